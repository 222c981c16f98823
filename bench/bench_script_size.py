"""What the one script tag costs a publisher's page: gzipped bytes of engage.js and
of what it loads, beside what our own article page loads for the same blocks.

    .venv/bin/python bench/bench_script_size.py
"""

from __future__ import annotations

import gzip
from pathlib import Path

STATIC = Path(__file__).resolve().parents[1] / "static"
OURS = ["js/site.js", "js/reactions.js", "js/attention.js", "css/site.css"]
FOREIGN = {
    "engage.js alone": ["js/engage.js"],
    "mood bar + related + counting": [
        "js/engage.js",
        "js/reactions.js",
        "js/attention.js",
        "css/engage.css",
    ],
    "… and rankings": [
        "js/engage.js",
        "js/reactions.js",
        "js/attention.js",
        "css/engage.css",
        "js/embed.js",
    ],
}


def gzipped(files: list[str]) -> int:
    return sum(len(gzip.compress((STATIC / f).read_bytes(), 9)) for f in files)


def main() -> None:
    baseline = gzipped(OURS)
    print(f"baseline: our own article page's scripts and stylesheet, {baseline:,} B gzipped")
    print()
    print("| on a publisher's page | files | gzipped bytes | vs our own page |")
    print("| --- | --- | --- | --- |")
    for label, files in FOREIGN.items():
        size = gzipped(files)
        names = ", ".join(Path(f).name for f in files)
        print(f"| {label} | {names} | {size:,} | {size / baseline:.2f} |")


if __name__ == "__main__":
    main()
