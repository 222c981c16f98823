"""How good are the 相关文章 suggestions? Precision@5 on a blind import.

Imports a labelled corpus with every article put in ONE category, so that the
category cannot leak the answer, then scores each article's 5 suggestions by
the share whose true label matches. The corpora: the Chinese cnews set
(../shared/data/cnews-1000.jsonl, where it exists) and an English news set
built from public material (bench/english_news.py), or the paths given. Two
baselines run on the same corpus in the same process:

- YARPP-style: each article's 20 most frequent words, split on non-word
  characters (what MySQL full-text sees: no Chinese word segmentation), scored
  by how many of them two articles share;
- plain TF-IDF cosine over rjieba tokens (raw term frequency, no stop words,
  no title weight, no feedback).

Then what each step is worth: the same model with one step taken away or
changed (the second scoring, the feedback, stemming, stop words), and with
word bigrams added, computed on the model directly.

    .venv/bin/python bench/related_quality.py [PATH ...]
"""

from __future__ import annotations

import heapq
import json
import math
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import rjieba
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CNEWS = ROOT.parent / "shared" / "data" / "cnews-1000.jsonl"
K = 5


def precision(suggested: dict[int, list[int]], labels: dict[int, str]) -> float:
    hits = sum(sum(labels[o] == labels[a] for o in found[:K]) for a, found in suggested.items())
    return hits / (K * len(suggested))


def yarpp_style(texts: dict[int, str]) -> dict[int, list[int]]:
    keywords = {
        i: {w for w, _ in Counter(w.lower() for w in re.split(r"\W+", t) if w).most_common(20)}
        for i, t in texts.items()
    }
    postings: dict[str, list[int]] = defaultdict(list)
    for i, words in keywords.items():
        for w in words:
            postings[w].append(i)
    out = {}
    for i, words in keywords.items():
        shared: Counter[int] = Counter()
        for w in words:
            shared.update(o for o in postings[w] if o != i)
        out[i] = [o for o, _ in heapq.nlargest(K, shared.items(), key=lambda kv: (kv[1], -kv[0]))]
    return out


def plain_tfidf(texts: dict[int, str]) -> dict[int, list[int]]:
    counts = {i: Counter(t for t in rjieba.cut(text) if t.strip()) for i, text in texts.items()}
    n = len(counts)
    df = Counter(t for c in counts.values() for t in c)
    vectors = {}
    for i, c in counts.items():
        v = {t: tf * math.log(n / df[t]) for t, tf in c.items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        vectors[i] = {t: x / norm for t, x in v.items()}
    postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for i, v in vectors.items():
        for t, x in v.items():
            postings[t].append((i, x))
    out = {}
    for i, v in vectors.items():
        scores: dict[int, float] = defaultdict(float)
        for t, x in v.items():
            for o, y in postings[t]:
                if o != i:
                    scores[o] += x * y
        out[i] = [o for o, _ in heapq.nlargest(K, scores.items(), key=lambda kv: kv[1])]
    return out


def ours(path: Path) -> tuple[dict[str, list[str]], float, float]:
    from engagement import create_app
    from engagement.cli import import_stream
    from engagement.extensions import db
    from engagement.models import Article
    from engagement.related import store

    tmp = Path(tempfile.mkdtemp(prefix="engagement-related-"))
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench",
            "INSTANCE_PATH": str(tmp),
            "DATABASE_URL": f"sqlite:///{tmp}/related.sqlite3",
            "REDIS_URL": "redis://127.0.0.1:1/0",  # never contacted: import is SQL only
        }
    )
    blind = tmp / "blind.jsonl"
    with path.open(encoding="utf-8") as src, blind.open("w", encoding="utf-8") as dst:
        for line in src:
            record = json.loads(line)
            record["category"] = "全部"
            dst.write(json.dumps(record, ensure_ascii=False) + "\n")
    with app.app_context():
        from flask_migrate import upgrade

        from engagement import MIGRATIONS

        upgrade(directory=MIGRATIONS)
        started = time.perf_counter()
        with blind.open(encoding="utf-8") as fh:
            import_stream(fh)
        import_seconds = time.perf_counter() - started
        started = time.perf_counter()
        store.rebuild()
        rebuild_seconds = time.perf_counter() - started
        out = {}
        for article in db.session.scalars(sa.select(Article)):
            out[article.slug] = [a.slug for a, _ in store.suggestions(article, K)]
    return out, import_seconds, rebuild_seconds


def ablations(rows: list[dict]) -> list[tuple[str, dict[int, list[int]]]]:
    """Suggestions of the model with one step changed, straight from ``Model``."""
    from engagement.related import model as m
    from engagement.related import text

    def build() -> m.Model:
        text.normalize.cache_clear()
        return m.Model(
            m.Doc(id=i, counts=text.article_terms(r["title"], r["body"]))
            for i, r in enumerate(rows)
        )

    out = []
    model = build()
    out.append(("model alone (no dates: the reference for the rows below)", _neighbours(model)))
    out.append(("without the second scoring", model.first_pass(K)))
    out.append(("without feedback or second scoring", model.first_pass(K, feedback=False)))
    stem, stop, article_terms = text._stem, text.ENGLISH_STOP, text.article_terms
    try:
        text._stem = lambda word: word
        out.append(("without stemming", _neighbours(build())))
        text._stem = stem
        text.ENGLISH_STOP = frozenset()
        out.append(("without English stop words", _neighbours(build())))
        text.ENGLISH_STOP = stop

        def with_bigrams(title: str, body: str) -> dict[str, int]:
            counts = Counter(article_terms(title, body))
            words = text.terms(body)
            counts.update(f"{a}_{b}" for a, b in zip(words, words[1:], strict=False))
            return dict(counts)

        text.article_terms = with_bigrams
        out.append(("with word bigrams", _neighbours(build())))
    finally:
        text._stem, text.ENGLISH_STOP, text.article_terms = stem, stop, article_terms
        text.normalize.cache_clear()
    return out


def _neighbours(model) -> dict[int, list[int]]:  # type: ignore[no-untyped-def]
    return {i: [o for o, _ in found] for i, found in model.all_neighbours(model.docs, K).items()}


def report(path: Path) -> None:
    rows = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
    labels = {r["slug"]: r["category"] for r in rows}
    index = {r["slug"]: i for i, r in enumerate(rows)}
    by_index = {i: r["category"] for i, r in enumerate(rows)}
    texts = {i: r["title"] + "\n" + r["body"] for i, r in enumerate(rows)}

    started = time.perf_counter()
    yarpp = precision(yarpp_style(texts), by_index)
    yarpp_seconds = time.perf_counter() - started
    started = time.perf_counter()
    tfidf = precision(plain_tfidf(texts), by_index)
    tfidf_seconds = time.perf_counter() - started
    suggested, import_seconds, rebuild_seconds = ours(path)
    ours_p = precision({index[s]: [index[o] for o in f] for s, f in suggested.items()}, by_index)
    never_self = all(s not in f for s, f in suggested.items())
    full = all(len(f) == K for f in suggested.values())

    sizes = Counter(labels.values())
    print(
        f"related quality: {path.name}, {len(rows)} articles, {len(sizes)} labels "
        f"({', '.join(f'{k} {v}' for k, v in sizes.most_common())}), imported blind "
        "(one category); precision@5 by true label"
    )
    print()
    print("| method | precision@5 | seconds for all suggestions |")
    print("|---|---|---|")
    print(
        f"| YARPP-style (20 most frequent \\W+-split words) | {yarpp:.3f} | {yarpp_seconds:.2f} |"
    )
    print(f"| plain TF-IDF cosine over rjieba tokens | {tfidf:.3f} | {tfidf_seconds:.2f} |")
    print(f"| **engagement** (rebuild-related) | **{ours_p:.3f}** | {rebuild_seconds:.2f} |")
    for name, found in ablations(rows):
        print(f"| engagement {name} | {precision(found, by_index):.3f} | |")
    print()
    print(
        f"import with incremental suggestions: {import_seconds:.2f}s; "
        f"never self: {never_self}; always {K} suggestions: {full}"
    )
    print()


def main() -> None:
    paths = [Path(p) for p in sys.argv[1:]]
    if not paths:
        from english_news import build

        paths = [p for p in (CNEWS,) if p.exists()] + [build()]
    for path in paths:
        if not path.exists():
            sys.exit(f"no corpus at {path}")
        report(path)


if __name__ == "__main__":
    main()
