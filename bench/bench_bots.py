"""Bot detection by User-Agent on public lists: crawlers counted, browsers dropped.

The evaluation set is built from public material installed with the dev extra:

- crawlers: Matomo Device Detector's bot fixtures (``device-detector`` on PyPI,
  ``tests/fixtures/upstream/bots.yml``) and crawler-user-agents' example
  instances (``crawler-user-agents``; its own patterns are built from these, so
  for that list the figure without its patterns is the honest one);
- browsers: every fixture of Device Detector whose client type is ``browser``
  (desktop, phone, tablet, TV, console, …) and fake-useragent's real-world list.

Each detector is timed per agent, uncached (the app caches each agent's answer).

The shape rules of ``ingest/bots.py`` were written while reading what the
libraries missed on those lists, so a second table measures on lists nobody
looked at while writing them (``bench/heldback_agents.py`` fetches them from
the package registries into ``bench/out/``): real browsers from intoli's
``user-agents`` and ``top-user-agents`` (npm), woothee's test sets (npm), and
crawlerdetect's own fixtures (its PyPI source archive; circular for the
crawlerdetect layer, so engagement without that layer is shown too).

    .venv/bin/python bench/bench_bots.py [--sample 3000]
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import random
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import crawleruseragents
import device_detector
import fake_useragent
import yaml
from crawlerdetect import CrawlerDetect

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from engagement.ingest import bots  # noqa: E402


def load() -> tuple[list[str], list[str], list[str]]:
    """(Matomo bots, crawler-user-agents instances, browsers)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    fixtures = Path(device_detector.__file__).parent / "tests" / "fixtures" / "upstream"
    matomo_bots: set[str] = set()
    browsers: set[str] = set()
    for path in glob.glob(str(fixtures / "*.yml")):
        for entry in yaml.load(Path(path).read_text(encoding="utf-8"), Loader=loader) or []:
            agent = str(entry.get("user_agent") or "")
            if os.path.basename(path) == "bots.yml":
                matomo_bots.add(agent)
                continue
            client = entry.get("client") or {}
            if isinstance(client, dict) and client.get("type") == "browser" and agent.strip():
                browsers.add(agent)
    listed = Path(fake_useragent.__file__).parent / "data" / "browsers.jsonl"
    for line in listed.read_text(encoding="utf-8").splitlines():
        browsers.add(json.loads(line)["useragent"])
    instances = {
        i for entry in crawleruseragents.CRAWLER_USER_AGENTS_DATA for i in entry["instances"]
    }
    return sorted(matomo_bots), sorted(instances), sorted(browsers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=3000, help="browsers to test (of ~35,000)")
    args = parser.parse_args()
    matomo, instances, browsers = load()
    rng = random.Random(7)
    sample = rng.sample(browsers, min(args.sample, len(browsers)))
    detect = CrawlerDetect()

    def matomo_detector(agent: str) -> bool:
        return bool(device_detector.DeviceDetector(agent).parse().is_bot())

    detectors: list[tuple[str, Callable[[str], bool]]] = [
        ("crawlerdetect alone (before)", detect.isCrawler),
        ("crawler-user-agents alone", crawleruseragents.is_crawler),
        ("Device Detector alone", matomo_detector),
        (
            "the three OR-ed",
            lambda a: detect.isCrawler(a) or crawleruseragents.is_crawler(a) or matomo_detector(a),
        ),
        (
            "engagement without crawler-user-agents",
            lambda a: bots.layer(a) not in (None, "crawler-user-agents"),
        ),
        ("engagement (ingest/bots.py)", lambda a: bots.layer(a) is not None),
    ]
    print(
        f"bot detection: {len(matomo):,} Matomo bot fixtures, {len(instances):,}"
        f" crawler-user-agents instances, {len(sample):,} of {len(browsers):,} browsers;"
        f" {time.strftime('%Y-%m-%d %H:%M')}"
    )
    print()
    print(
        "| detector | Matomo bots counted | crawler-user-agents counted"
        " | browsers dropped | µs per agent |"
    )
    print("|---|---|---|---|---|")
    for name, is_bot in detectors:
        started = time.perf_counter()
        missed_matomo = sum(not is_bot(a) for a in matomo)
        missed_listed = sum(not is_bot(a) for a in instances)
        dropped = sum(is_bot(a) for a in sample)
        agents = len(matomo) + len(instances) + len(sample)
        micros = (time.perf_counter() - started) / agents * 1e6
        print(
            f"| {name} | {100 * missed_matomo / len(matomo):.1f} % |"
            f" {100 * missed_listed / len(instances):.1f} % |"
            f" {100 * dropped / len(sample):.2f} % | {micros:.0f} |"
        )
    layers = Counter(bots.layer(a) for a in matomo + instances)
    print()
    print(
        "Which layer caught the crawlers: "
        + ", ".join(f"{k} {v}" for k, v in layers.most_common() if k is not None)
        + f", missed {layers[None]}."
    )
    sanity_cost()
    heldback(detectors[0][1], detectors[-2:])


def sanity_cost() -> None:
    """What the request-sanity layer and a cached User-Agent verdict cost a request."""
    from engagement.ingest.sanity import failed_rule

    environs = [
        {
            "HTTP_ACCEPT_LANGUAGE": "zh-CN",
            "HTTP_SEC_FETCH_SITE": "same-origin",
            "HTTP_SEC_FETCH_MODE": "cors",
            "HTTP_SEC_FETCH_DEST": "empty",
        },
        {"HTTP_ACCEPT_LANGUAGE": "zh-CN", "HTTP_ORIGIN": "https://news.example"},
        {},
    ]
    rounds = 100_000
    started = time.perf_counter()
    for _ in range(rounds):
        for environ in environs:
            failed_rule(environ)
    sanity = (time.perf_counter() - started) / (rounds * len(environs)) * 1e6
    agent = (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/130.0.0.0 Safari/537.36"
    )
    bots.is_bot(agent)
    started = time.perf_counter()
    for _ in range(rounds):
        bots.is_bot(agent)
    cached = (time.perf_counter() - started) / rounds * 1e6
    print()
    print(
        f"Per request in the app: the request-sanity layer {sanity:.2f} µs, a User-Agent"
        f" verdict from the cache {cached:.2f} µs (an unseen agent costs the µs above, once)."
    )


def heldback(
    crawlerdetect: Callable[[str], bool], ours: list[tuple[str, Callable[[str], bool]]]
) -> None:
    """The second table: lists the rules were not written against."""
    from heldback_agents import load as load_heldback

    try:
        lists = load_heldback()
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"\nheld-back lists unavailable ({exc}); skipped")
        return
    detectors = [
        ("crawlerdetect alone", crawlerdetect),
        (
            "engagement without crawlerdetect",
            lambda a: bots.layer(a) not in (None, "crawlerdetect"),
        ),
        ours[-1],
    ]
    print()
    print("Held-back lists (not read while writing the rules):")
    print()
    print(
        "| detector | "
        + " | ".join(f"{name} ({len(agents):,})" for name, (_, agents) in lists.items())
        + " |"
    )
    print("|---|" + "---|" * len(lists))
    for name, is_bot in detectors:
        cells = []
        for kind, agents in lists.values():
            wrong = sum(is_bot(a) != (kind == "crawlers") for a in agents)
            verb = "counted" if kind == "crawlers" else "dropped"
            cells.append(f"{100 * wrong / len(agents):.2f} % {verb}")
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
