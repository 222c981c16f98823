"""Server-side SVG charts: no script, readable without a legend hunt.

Each line is labelled at its end in its own colour, the axes carry their
values, and the SVG has a title and description; the numbers are also given
as a table next to the chart for screen readers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 52, 64, 16, 36
COLOURS = ("#1565c0", "#b71c1c", "#2e7d32", "#6a1b9a")
FONT = 13  # in viewBox units; the page keeps the chart at least 560 px wide (admin.css)
LABEL_GAP = FONT + 3  # end labels closer than this are pushed apart


def nice_max(value: float) -> float:
    """The smallest "round" number at or above ``value`` (1, 1.2, 1.5, 2, 2.5, 3,
    4, 5, 6, 8 times a power of ten): the axis ends near the peak, not at twice it."""
    if value <= 0:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if value <= step * magnitude + 1e-9:
            return step * magnitude
    return 10 * magnitude


def spread(positions: list[float], gap: float, low: float, high: float) -> list[float]:
    """Move label positions apart until neighbours are ``gap`` apart, inside [low, high]."""
    order = sorted(range(len(positions)), key=lambda i: positions[i])
    placed = [positions[i] for i in order]
    for i in range(1, len(placed)):
        placed[i] = max(placed[i], placed[i - 1] + gap)
    overflow = placed[-1] - high if placed else 0
    if overflow > 0:
        placed = [p - overflow for p in placed]
        for i in range(len(placed) - 2, -1, -1):
            placed[i] = min(placed[i], placed[i + 1] - gap)
    placed = [max(low, p) for p in placed]
    out = [0.0] * len(positions)
    for rank, i in enumerate(order):
        out[i] = placed[rank]
    return out


def _number(value: float) -> str:
    return f"{value:g}" if value < 10_000 else f"{value / 10_000:g}万"


def line_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    chart_id: str,
) -> Markup:
    top = nice_max(max((max(v, default=0) for _, v in series), default=0))
    n = max(1, len(labels) - 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(i: int) -> float:
        return LEFT + plot_w * i / n

    def y(v: float) -> float:
        return TOP + plot_h * (1 - v / top)

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">'
        + escape("; ".join(f"{name}: 共 {int(sum(values))}" for name, values in series))
        + "</desc>",
    ]
    for fraction in (0, 0.25, 0.5, 0.75, 1):
        value = top * fraction
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
            'stroke="#ddd"/>'
            f'<text x="{LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end" font-size="{FONT}">'
            f"{_number(value)}</text>"
        )
    # About one date label per 90 viewBox units, so that they never touch.
    step = max(1, math.ceil(len(labels) / max(1, plot_w // 90)))
    for i in range(0, len(labels), step):
        parts.append(
            f'<text x="{x(i):.1f}" y="{HEIGHT - 12}" text-anchor="middle" font-size="{FONT}">'
            f"{escape(labels[i])}</text>"
        )
    drawn = [
        (name, values, colour) for (name, values), colour in zip(series, COLOURS, strict=False)
    ]
    for _, values, colour in drawn:
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>'
        )
    ends = [(name, values, colour) for name, values, colour in drawn if values]
    label_y = spread([y(v[-1]) + 4 for _, v, _ in ends], LABEL_GAP, TOP + 4, HEIGHT - BOTTOM + 4)
    for (name, values, colour), at in zip(ends, label_y, strict=True):
        parts.append(
            f'<text x="{x(len(values) - 1) + 6:.1f}" y="{at:.1f}" '
            f'fill="{colour}" font-size="{FONT}">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
