"""Pieces both OpenAPI modules build their operations from."""

from __future__ import annotations

from typing import Any

from ..importer import SLUG_PATTERN

SLUG = {
    "name": "slug",
    "in": "path",
    "required": True,
    "description": "The article's URL-safe id.",
    "schema": {"type": "string", "pattern": SLUG_PATTERN},
}


def error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def ok(description: str, schema: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }
