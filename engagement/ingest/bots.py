"""Known crawlers by User-Agent, in layers, cheapest first.

1. **Shape rules** of our own that hold for any browser a reader could use:
   a browser's agent names no URL or e-mail address, no HTTP library or
   automation tool, has a parenthesised platform after ``Mozilla/5.0``, says
   ``(KHTML, like Gecko)`` and nothing more inside those brackets, and never
   is a bare ``Mozilla/5.0 (compatible; Name/1.0)``.
2. **crawler-user-agents**' patterns (a maintained list of some 1,500).
3. **crawlerdetect**'s patterns (thousands; the slowest, a few hundred µs).
4. **Our own list** for crawlers all of them miss; each entry has a test.

The layers were chosen by measurement (``bench/bench_bots.py``: crawlers
counted and browsers dropped on public lists, µs per agent). Each agent's
answer is cached: real traffic repeats a small set of agents.
"""

from __future__ import annotations

import re
from functools import lru_cache

import crawleruseragents
from crawlerdetect import CrawlerDetect

_detector = CrawlerDetect()

RULES = re.compile(
    # A URL or an e-mail address: crawlers sign with them, browsers never do.
    r"(?i:https?://|\+http|www\.)|\w@[A-Za-z][\w-]*\.[A-Za-z]{2,}|[a-z0-9]\.(?:com|net|org|io|ai)\b"
    # Libraries, tools and automation (lower case as they write themselves).
    r"|(?i:crawl|spider|scrap|slurp|fetcher|archiv|monitor|preview|probe|checker|scanner"
    r"|httpclient|http-client|python|java/|curl/|wget|go-http|okhttp|axios|node\.js|node-fetch"
    r"|libwww-perl|headless|phantomjs|puppeteer|playwright|selenium|lighthouse|uptime"
    r"|validator|synthetic|diagnostic|inspector|measurement)"
    # "bot" as crawlers spell it (Googlebot, AhrefsBot), not a phone brand (CUBOT).
    r"|[Bb]ot\b"
    # Forged browser shapes.
    r"|\(KHTML, like Gecko[;,]"
    r"|^Mozilla/5\.0 \(compatible; (?!MSIE|Trident)[^()]*\)$"
    r"|^Mozilla/5\.0 \([^;()]*\)$"
    r"|^Mozilla/5\.0 [^();]*$"
)
# Agents that are not a browser at all: a name and version, no platform (brackets
# or "; " lists), not Mozilla or Opera.
BARE = re.compile(r"^(?!Mozilla/|Opera/)[^();]*$")
# Crawlers the lists above miss, seen in public lists (each has a test).
OWN = re.compile(
    r"yunjiankong|Time/\d{13}|recon-engine|LeadGen|LeadRadar|Prospect|Keydrop|OnlyScans"
    r"|patchwatch|Functionize|Assetnote|CybaaAgent|Convertify|Sparkler|internal dummy connection"
)


def layer(user_agent: str) -> str | None:
    """Which layer calls ``user_agent`` a crawler (``empty``, ``rules``,
    ``crawler-user-agents``, ``crawlerdetect``, ``own``), or None for a browser."""
    if not user_agent.strip():
        return "empty"
    if RULES.search(user_agent) or BARE.match(user_agent):
        return "rules"
    if OWN.search(user_agent):
        return "own"
    if crawleruseragents.is_crawler(user_agent):
        return "crawler-user-agents"
    if _detector.isCrawler(user_agent):
        return "crawlerdetect"
    return None


@lru_cache(maxsize=4096)
def is_bot(user_agent: str) -> bool:
    """True for crawlers, headless browsers and requests without a User-Agent."""
    return layer(user_agent) is not None
