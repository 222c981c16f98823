"""`make bench`: run every benchmark and write bench/RESULTS.md (machine, date,
commands, numbers). Each script prints its own table; this only collects them."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
RUNS = [
    ("Endpoints against the hello-world ceiling", ["bench/bench_engagement.py"]),
    (
        "The same endpoints on a 3-master Redis Cluster",
        ["bench/bench_engagement.py", "--redis-cluster"],
    ),
    (
        "The cost of an event and of the window upkeep at 1k, 100k and 1M articles",
        ["bench/bench_rankings_scale.py"],
    ),
    ("An archive: importing 20,000 and 100,000 articles", ["bench/bench_archive.py"]),
    ("Related-article quality (blind imports: cnews, English news)", ["bench/related_quality.py"]),
    ("Bot detection (public lists, and lists held back from the rules)", ["bench/bench_bots.py"]),
    ("Mixed load and a Redis outage", ["bench/load_faults.py"]),
    ("Side by side with WordPress-style SQL counters (PostgreSQL)", ["bench/bench_peer.py"]),
    ("The one script tag on a publisher's page: bytes", ["bench/bench_script_size.py"]),
]


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{platform.system()} {platform.release()}, {os.cpu_count()} cores ({cpu}), "
        f"Python {platform.python_version()}"
    )


def main() -> None:
    sections = [
        "# Benchmark results",
        "",
        f"Written by `make bench` on {time.strftime('%Y-%m-%d %H:%M %Z')}.",
        f"Machine: {machine()}.",
        "All load is on loopback; each script starts its own Redis and app servers.",
        "",
    ]
    for title, command in RUNS:
        print(f"== {title}", flush=True)
        started = time.perf_counter()
        result = subprocess.run(
            [PYTHON, *command], cwd=ROOT, capture_output=True, text=True, check=False
        )
        elapsed = time.perf_counter() - started
        output = "\n".join(
            line for line in result.stdout.splitlines() if not line.startswith("INFO ")
        ).strip()
        print(output, flush=True)
        sections += [f"## {title}", "", f"`{' '.join(['python', *command])}` ({elapsed:.0f} s)", ""]
        if result.returncode != 0:
            sections += ["Failed:", "", "```", result.stderr.strip()[-2000:], "```", ""]
        elif output.startswith("no corpus"):
            sections += [output, ""]
        else:
            sections += [output, ""]
    (ROOT / "bench" / "RESULTS.md").write_text("\n".join(sections) + "\n", encoding="utf-8")
    print("wrote bench/RESULTS.md")


if __name__ == "__main__":
    main()
