"""docs/api.md is the contract: it must keep step with the code."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask

from engagement import config
from engagement.web.openapi import spec

ROOT = Path(__file__).resolve().parents[1]
API = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
# Internal switches the tests use, not settings for operators.
INTERNAL = {"ENGAGEMENT_RANKING_REFRESHER"}


def documented_operations() -> set[tuple[str, str]]:
    return {
        (method, path)
        for method, path in re.findall(r"^### `(GET|POST|DELETE|PUT) (/api/v1\S*)`", API, re.M)
    }


def test_every_openapi_operation_has_its_section_and_back() -> None:
    from_spec = {
        (method.upper(), "/api/v1" + re.sub(r"\{(\w+)\}", r"<\1>", path))
        for path, operations in spec()["paths"].items()
        for method in operations
        if method in ("get", "post", "delete", "put")
    }
    assert from_spec == documented_operations() - {("GET", "/api/v1/openapi.json")}


def test_every_setting_is_documented() -> None:
    table = {name for name in re.findall(r"^\| `([A-Z_]+)` \|", API, re.M)}
    read = (set(config.PARSERS) - INTERNAL) | {"ENGAGEMENT_INSTANCE_PATH"}
    assert read == table


def test_every_route_is_documented(app: Flask) -> None:
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = re.sub(r"<(?:int:)?(\w+)>", r"<\1>", rule.rule)
        assert path in API, path


def test_nothing_points_outside_the_repository() -> None:
    for path in [ROOT / "README.md", *ROOT.glob("docs/*.md"), *ROOT.glob("engagement/**/*.py")]:
        text = path.read_text(encoding="utf-8")
        assert "../shared" not in text and "API.md" not in text.replace("docs/api.md", ""), path
