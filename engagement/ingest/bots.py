"""Known crawlers, by User-Agent, via crawlerdetect's list of thousands of patterns."""

from __future__ import annotations

from functools import lru_cache

from crawlerdetect import CrawlerDetect

_detector = CrawlerDetect()


@lru_cache(maxsize=4096)
def is_bot(user_agent: str) -> bool:
    """True for crawlers, headless browsers and requests without a User-Agent.

    Cached because one pattern match costs up to a few hundred microseconds and
    real traffic repeats a small set of agents.
    """
    if not user_agent.strip():
        return True
    return bool(_detector.isCrawler(user_agent))
