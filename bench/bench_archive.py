"""How long does an archive take to import, and one article after it?

Writes N short synthetic Chinese articles in 20 categories (each category has
its own words, all share a common vocabulary, drawn Zipf-like; deterministic).
The words are the real words of the cnews corpus (../shared/data, read here,
never copied), so that segmentation sees Chinese words; without it, Latin
pseudo-words. It imports them with
``flask --app wsgi import-articles`` into a fresh SQLite database (segmentation,
sanitizing and related suggestions for every article), then times importing
one changed article and one new article into that archive (their suggestions
and their neighbours' included).

    .venv/bin/python bench/bench_archive.py [--sizes 20000,100000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLASK = [str(ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi"]
CATEGORIES = 20


CNEWS = ROOT.parent / "shared" / "data" / "cnews-1000.jsonl"
COMMON, TOPIC = 3000, 300  # words shared by all categories; each category's own
JOIN = "" if CNEWS.exists() else " "


def words_in_use(rng: random.Random) -> list[str]:
    """Distinct words, most frequent first: cnews's Chinese words, or made-up ones."""
    if CNEWS.exists():
        import rjieba

        counts: Counter[str] = Counter()
        for line in CNEWS.open(encoding="utf-8"):
            record = json.loads(line)
            for word in rjieba.cut(record["title"] + record["body"]):
                if len(word) >= 2 and all("\u4e00" <= ch <= "\u9fff" for ch in word):
                    counts[word] += 1
        return [w for w, _ in counts.most_common()]
    letters = "abcdefghijklmnopqrstuvwxyz"
    made = {"".join(rng.choice(letters) for _ in range(rng.randint(5, 8))) for _ in range(12_000)}
    return sorted(made)


def article(rng: random.Random, n: int, common: list[str], topics: list[list[str]]) -> dict:
    category = n % CATEGORIES
    topic = topics[category]

    def words(count: int) -> list[str]:
        # Zipf-like: low indexes are far more frequent.
        return [
            topic[int(len(topic) ** rng.random()) - 1]
            if rng.random() < 0.35
            else common[int(len(common) ** rng.random()) - 1]
            for _ in range(count)
        ]

    sentences = [JOIN.join(words(rng.randint(6, 14))) + "。" for _ in range(rng.randint(8, 16))]
    return {
        "slug": f"archive-{n}",
        "title": JOIN.join(words(rng.randint(5, 9))),
        "body": "".join(sentences),
        "category": f"栏目{category}",
        "published_at": f"2026-{1 + n % 11:02d}-{1 + n % 28:02d}T08:00:00+08:00",
    }


def write_archive(path: Path, size: int) -> list[str]:
    rng = random.Random(size)
    vocabulary = words_in_use(rng)
    common = vocabulary[:COMMON]
    rest = vocabulary[COMMON:]
    rng.shuffle(rest)
    topics = [rest[i * TOPIC : (i + 1) * TOPIC] for i in range(CATEGORIES)]
    lines = [json.dumps(article(rng, n, common, topics), ensure_ascii=False) for n in range(size)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return lines


def run(env: dict[str, str], *args: str) -> tuple[float, float]:
    """Wall seconds of the command, and the seconds it reports for its own work
    (``import-articles`` prints them; the rest is starting Python and the app)."""
    started = time.perf_counter()
    done = subprocess.run(
        [*FLASK, *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    wall = time.perf_counter() - started
    said = re.search(r"in ([0-9.]+)s$", done.stdout.strip())
    return wall, float(said.group(1)) if said else wall


def on_topic(database: Path) -> float:
    """Share of each article's first five suggestions from its own category."""
    with sqlite3.connect(database) as db:
        (share,) = db.execute(
            """
            SELECT AVG(a.category_id = b.category_id) FROM (
              SELECT article_id, related_id,
                     ROW_NUMBER() OVER (PARTITION BY article_id ORDER BY score DESC) AS n
              FROM related_articles WHERE source = 'content') r
            JOIN articles a ON a.id = r.article_id JOIN articles b ON b.id = r.related_id
            WHERE r.n <= 5
            """
        ).fetchone()
    return float(share or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20000,100000")
    args = parser.parse_args()
    print("archive import: synthetic short articles, 20 categories, SQLite, one process")
    print()
    print(
        "| articles | import-articles s (target ≤ 600 at 100k) | one changed article s "
        "| one new article s | first 5 suggestions on topic |"
    )
    print("|---|---|---|---|---|")
    for size in (int(s) for s in args.sizes.split(",")):
        tmp = Path(tempfile.mkdtemp(prefix="engagement-archive-"))
        try:
            env = dict(
                os.environ,
                DATABASE_URL=f"sqlite:///{tmp}/archive.sqlite3",
                ENGAGEMENT_INSTANCE_PATH=str(tmp),
                SECRET_KEY="bench",
                REDIS_URL="redis://127.0.0.1:1/0",
            )
            run(env, "init-db")
            archive = tmp / "archive.jsonl"
            lines = write_archive(archive, size)
            whole, _ = run(env, "import-articles", str(archive))
            changed = json.loads(lines[size // 2])
            changed["body"] += "新增的一段文字。"
            one = tmp / "one.jsonl"
            one.write_text(json.dumps(changed, ensure_ascii=False) + "\n", encoding="utf-8")
            changed_s = run(env, "import-articles", str(one))
            fresh = dict(changed, slug=f"archive-new-{size}")
            one.write_text(json.dumps(fresh, ensure_ascii=False) + "\n", encoding="utf-8")
            new_s = run(env, "import-articles", str(one))
            share = on_topic(tmp / "archive.sqlite3")
            print(
                f"| {size:,} | {whole:.1f} | {changed_s[1]:.2f} (process: {changed_s[0]:.2f}) "
                f"| {new_s[1]:.2f} (process: {new_s[0]:.2f}) | {share:.3f} |",
                flush=True,
            )
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
