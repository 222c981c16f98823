"""Demo attention: what each simulated view's page script would have sent.

A view gets a traffic source (search most, then social, 站内, …), a page view
id, and pings every 12 s while the reader stays (a long-tailed stay), each
with its engaged seconds, a growing depth and the blocks that came into view;
one view in six arrived by a click on one of our blocks from the reader's
previous page. All of it goes through the same scripts as real pings.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ..store.attention import Ping
from ..store.counters import Arrival

SOURCES = [
    ("search", 0.34, ["www.baidu.com", "m.baidu.com", "www.sogou.com", "cn.bing.com", "m.so.com"]),
    ("social", 0.24, ["mp.weixin.qq.com", "weibo.com", "www.zhihu.com", ""]),
    ("aggregator", 0.1, ["m.toutiao.com", "news.qq.com"]),
    ("internal", 0.16, [""]),
    ("external", 0.05, ["www.example.org", "bbs.example.net"]),
    ("direct", 0.11, [""]),
]
BLOCKS = [("featured", 0.85, 4), ("gallery", 0.6, 3), ("rankings", 0.7, 10), ("related", 0.45, 5)]
SLOTS = {block: slots for block, _, slots in BLOCKS}
PING_SECONDS = 12


@dataclass(frozen=True)
class PingEvent:
    at: float
    ping: Ping


class Attention:
    """Arrivals and pings for a stream of simulated views, one reader's tab at a time."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.count = 0
        self.last: dict[str, tuple[str, float, int]] = {}  # reader -> (page view, time, article)

    def arrival(self, reader: str, at: float, article: int) -> Arrival:
        rng = self.rng
        self.count += 1
        page_view = f"demo{self.count:018d}"
        kind, _, hosts = rng.choices(SOURCES, [w for _, w, _ in SOURCES])[0]
        prev, via = "", ""
        before = self.last.get(reader)
        if before and at - before[1] < 1800 and before[2] != article:
            prev = before[0]
            kind = "internal"
            if rng.random() < 0.6:
                block, _, slots = rng.choice(BLOCKS)
                via = f"{block}:{min(slots, int(rng.paretovariate(1.2)))}"
        self.last[reader] = (page_view, at, article)
        return Arrival(
            page_view=page_view,
            source=kind,
            host=rng.choice(hosts) if kind not in ("internal", "direct") else "",
            prev=prev,
            via=via,
            visitor="returning" if rng.random() < 0.4 else "new",
        )

    def pings(self, page_view: str, at: float) -> list[PingEvent]:
        rng = self.rng
        stay = min(1500.0, rng.lognormvariate(3.4, 0.9))  # seconds; median about 30
        attentive = rng.uniform(0.4, 0.95)
        final_depth = min(1.0, rng.betavariate(1.6, 1.2) * 1.15)
        seen_at = {
            block: rng.random() * stay
            for block, share, _ in BLOCKS
            if rng.random() < share * (final_depth if block == "related" else 1)
        }
        events, t, seq = [], 0.0, 0
        while t < stay:
            step = min(PING_SECONDS, stay - t)
            t += step
            seq += 1
            seen = [b for b, when in seen_at.items() if t - step <= when < t]
            slots = [f"{b}:{n}" for b in seen for n in range(1, min(3, SLOTS[b]) + 1)]
            events.append(
                PingEvent(
                    at + t,
                    Ping(
                        page_view=page_view,
                        seq=seq,
                        engaged=round(step * attentive, 1),
                        depth=round(final_depth * min(1.0, t / stay + 0.2), 3),
                        hidden=t >= stay,
                        seen=tuple(seen + slots),
                    ),
                )
            )
        return events
