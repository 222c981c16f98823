"""Server-side SVG charts: no script, readable without a legend hunt.

Each line is labelled at its end in its own colour, the axes carry their
values, and the SVG has a title and description; the numbers are also given
as a table next to the chart for screen readers.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 90, 16, 36
COLOURS = ("#1565c0", "#b71c1c", "#2e7d32", "#6a1b9a")


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return value


def line_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    chart_id: str,
) -> Markup:
    top = _nice_max(max((max(v, default=0) for _, v in series), default=0))
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
    for fraction in (0, 0.5, 1):
        value = top * fraction
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
            'stroke="#ddd"/>'
            f'<text x="{LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end" font-size="11">'
            f"{int(value)}</text>"
        )
    step = max(1, len(labels) // 8)
    for i in range(0, len(labels), step):
        parts.append(
            f'<text x="{x(i):.1f}" y="{HEIGHT - 12}" text-anchor="middle" font-size="11">'
            f"{escape(labels[i])}</text>"
        )
    for (name, values), colour in zip(series, COLOURS, strict=False):
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>'
        )
        if values:
            parts.append(
                f'<text x="{x(len(values) - 1) + 6:.1f}" y="{y(values[-1]) + 4:.1f}" '
                f'fill="{colour}" font-size="12">{escape(name)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))
