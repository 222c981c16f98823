"""User-Agent lists kept back from the rules of ``ingest/bots.py``, fetched from
the package registries at bench time into ``bench/out/`` (ignored by git):

- ``user-agents`` (npm, intoli): 10,000 browser agents sampled from real
  traffic, refreshed daily, so current browsers;
- ``top-user-agents`` (npm): the 100 most common browser agents;
- woothee's test sets (npm ``woothee``): labelled crawlers, and PC and
  smartphone browsers (its feature-phone sets are left out: no page script
  runs there);
- crawlerdetect's fixtures (its PyPI source archive): crawlers and the
  browsers and devices it must not flag (a fixed sample of ``DEVICES`` of its
  165,000, to keep the bench short).
"""

from __future__ import annotations

import io
import json
import random
import subprocess
import sys
import tarfile
from pathlib import Path

import yaml

OUT = Path(__file__).resolve().parent / "out"
NPM = {"user-agents": "2.1.198", "top-user-agents": "2.1.138", "woothee": "1.11.1"}
CRAWLERDETECT = "crawlerdetect==0.4.2"
DEVICES = 5000


def npm_archive(name: str, version: str) -> Path:
    found = OUT / f"{name}-{version}.tgz"
    if not found.exists():
        OUT.mkdir(exist_ok=True)
        subprocess.run(
            ["npm", "pack", "--silent", f"{name}@{version}"],
            cwd=OUT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return found


def pypi_sdist() -> Path:
    found = sorted(OUT.glob("crawlerdetect-*.tar.gz"))
    if not found:
        OUT.mkdir(exist_ok=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--no-binary",
                ":all:",
                "-d",
                OUT,
                CRAWLERDETECT,
            ],
            check=True,
        )
        found = sorted(OUT.glob("crawlerdetect-*.tar.gz"))
    return found[-1]


def members(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive) as tar:
        return {
            m.name: tar.extractfile(m).read()  # type: ignore[union-attr]
            for m in tar.getmembers()
            if m.isfile()
        }


def load() -> dict[str, tuple[str, list[str]]]:
    """List name -> ("crawlers" or "browsers", agents)."""
    files = members(npm_archive("user-agents", NPM["user-agents"]))
    intoli = [e["userAgent"] for e in json.loads(files["package/dist/user-agents.json"])]
    files = members(npm_archive("top-user-agents", NPM["top-user-agents"]))
    top = json.loads(files["package/src/index.json"])
    woothee_crawlers, woothee_browsers = [], []
    for name, data in members(npm_archive("woothee", NPM["woothee"])).items():
        if "/testsets/" not in name or not name.endswith(".yaml"):
            continue
        kind = name.rsplit("/", 1)[1]
        for entry in yaml.safe_load(io.BytesIO(data)) or []:
            if entry.get("category") == "crawler":
                woothee_crawlers.append(entry["target"])
            elif kind.startswith(("pc_", "smartphone_")):
                woothee_browsers.append(entry["target"])
    fixtures = {
        name.rsplit("/", 1)[1]: data.decode("utf-8").splitlines()
        for name, data in members(pypi_sdist()).items()
        if "/fixtures/user_agent/" in name
    }

    def clean(agents: list[str]) -> list[str]:
        return sorted({a for a in agents if a.strip()})

    return {
        "intoli user-agents": ("browsers", clean(intoli)),
        "top-user-agents": ("browsers", clean(top)),
        "woothee browsers": ("browsers", clean(woothee_browsers)),
        "crawlerdetect devices": (
            "browsers",
            random.Random(7).sample(clean(fixtures["devices.txt"]), DEVICES),
        ),
        "woothee crawlers": ("crawlers", clean(woothee_crawlers)),
        "crawlerdetect crawlers": ("crawlers", clean(fixtures["crawlers.txt"])),
    }
