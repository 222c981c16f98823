"""The OpenAPI 3.1 description of ``/api/v1``, served at ``/api/v1/openapi.json``."""

from __future__ import annotations

import functools
import json
from typing import Any

from ..moods import MOOD_KEYS
from ..rankings.core import MAX_ITEMS, METRICS, WINDOWS
from ..store.keys import BLOCKS
from . import openapi_cms
from .openapi_parts import SLUG, error, ok

COMMON_ERRORS = {
    "404": error("Unknown article (`article_not_found`)."),
    "503": error("Redis is unavailable (`counters_unavailable`)."),
}
WRITE_ERRORS = {
    "403": error("A foreign Origin (`origin_not_allowed`)."),
    "413": error("The body is over 16 KiB (`payload_too_large`)."),
}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


BLOCK_OR_SLOT = {"type": "string", "pattern": "^(" + "|".join(BLOCKS) + ")(:[1-9][0-9]?)?$"}
ATTENTION_SCHEMAS: dict[str, Any] = {
    "Arrival": {
        "type": "object",
        "properties": {
            "referrer": {"type": "string"},
            "utm_source": {"type": "string"},
            "utm_medium": {"type": "string"},
            "prev": {"type": "string"},
            "via": {"type": "string"},
        },
    },
    "Ping": {
        "type": "object",
        "required": ["page_view", "seq"],
        "properties": {
            "page_view": {"type": "string", "pattern": "^[A-Za-z0-9_-]{16,32}$"},
            "seq": {"type": "integer", "minimum": 1, "maximum": 1000000},
            "engaged": {"type": "number", "minimum": 0, "maximum": 3600},
            "depth": {"type": "number", "minimum": 0, "maximum": 1},
            "hidden": {"type": "boolean"},
            "seen": {"type": "array", "maxItems": 64, "items": BLOCK_OR_SLOT},
        },
    },
    "PingResult": {
        "type": "object",
        "required": ["outcome", "credited"],
        "properties": {
            "outcome": {"enum": ["ok", "capped", "unknown", "stale", "suspect", "bot"]},
            "credited": {"type": "integer", "minimum": 0},
        },
    },
}


@functools.cache
def spec_json() -> bytes:
    """The document as served: it never changes while the process runs."""
    return json.dumps(spec(), ensure_ascii=False, indent=1).encode()


def spec() -> dict[str, Any]:
    reaction_ops_errors = {**COMMON_ERRORS, **WRITE_ERRORS, "429": error("Rate limited.")}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "engagement",
            "version": "1",
            "description": "Mood reactions and view counts for news articles.",
        },
        "servers": [{"url": "/api/v1"}],
        "paths": {
            **openapi_cms.PATHS,
            "/articles/{slug}/reactions": {
                "parameters": [SLUG],
                "get": {
                    "operationId": "getReactions",
                    "summary": "Counts per mood and the calling reader's own reaction.",
                    "responses": {"200": ok("The counts.", "Reactions"), **COMMON_ERRORS},
                },
                "post": {
                    "operationId": "setReaction",
                    "summary": "Set the reader's one reaction (moves it when it differs).",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/ReactionRequest"}
                            }
                        },
                    },
                    "responses": {
                        "200": ok("The counts after the change.", "Reactions"),
                        "400": error("Malformed body or `unknown_reaction`."),
                        **reaction_ops_errors,
                    },
                },
                "delete": {
                    "operationId": "removeReaction",
                    "summary": "Remove the reader's reaction (idempotent).",
                    "responses": {
                        "200": ok("The counts after the change.", "Reactions"),
                        **reaction_ops_errors,
                    },
                },
            },
            "/rankings": {
                "get": {
                    "operationId": "getRankings",
                    "summary": "新闻排行: the top articles of a sliding window.",
                    "parameters": [
                        _query(
                            "window",
                            {"type": "string", "enum": list(WINDOWS), "default": "24h"},
                            "Sliding window.",
                        ),
                        _query(
                            "metric",
                            {"type": "string", "enum": list(METRICS), "default": "views"},
                            "What is counted.",
                        ),
                        _query("category", {"type": "string"}, "A category slug."),
                        _query(
                            "limit",
                            {"type": "integer", "minimum": 1, "maximum": MAX_ITEMS, "default": 10},
                            "Items.",
                        ),
                    ],
                    "responses": {
                        "200": ok("The ranking.", "Ranking"),
                        "304": {"description": "Not modified (If-None-Match)."},
                        "400": error(
                            "A bad parameter (`invalid_window`, `invalid_metric`, "
                            "`invalid_limit`, `unknown_category`)."
                        ),
                        "503": error("Redis is unavailable."),
                    },
                }
            },
            "/articles/{slug}/related": {
                "parameters": [SLUG],
                "get": {
                    "operationId": "getRelated",
                    "summary": "相关文章: suggestions, best first, never the article itself.",
                    "parameters": [
                        _query(
                            "limit",
                            {"type": "integer", "minimum": 1, "maximum": 20, "default": 5},
                            "Items.",
                        ),
                    ],
                    "responses": {
                        "200": ok("The suggestions.", "Related"),
                        "304": {"description": "Not modified (If-None-Match)."},
                        "400": error("A bad `limit` (`invalid_limit`)."),
                        "404": error("Unknown article (`article_not_found`)."),
                    },
                },
            },
            "/articles/{slug}/views": {
                "parameters": [SLUG],
                "post": {
                    "operationId": "recordView",
                    "summary": "Record a page view (repeats within the window and bots count 0).",
                    "requestBody": {
                        "required": False,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Arrival"}}
                        },
                    },
                    "responses": {
                        "202": ok("Recorded (or deliberately not counted).", "View"),
                        **COMMON_ERRORS,
                        **WRITE_ERRORS,
                    },
                },
            },
            "/articles/{slug}/pings": {
                "parameters": [SLUG],
                "post": {
                    "operationId": "recordPing",
                    "summary": "An attention ping: engaged time, depth, blocks seen.",
                    "requestBody": {
                        "required": True,
                        "content": {
                            t: {"schema": {"$ref": "#/components/schemas/Ping"}}
                            for t in ("application/json", "text/plain")
                        },
                    },
                    "responses": {
                        "202": ok("Applied, capped, or refused as unknown or stale.", "PingResult"),
                        "400": error("A field that does not fit (`invalid_body`)."),
                        **COMMON_ERRORS,
                        **WRITE_ERRORS,
                    },
                },
            },
        },
        "components": {
            "securitySchemes": openapi_cms.SECURITY_SCHEMES,
            "schemas": {
                **openapi_cms.SCHEMAS,
                "Mood": {"type": "string", "enum": list(MOOD_KEYS)},
                "ReactionRequest": {
                    "type": "object",
                    "required": ["reaction"],
                    "properties": {"reaction": {"$ref": "#/components/schemas/Mood"}},
                },
                "Reactions": {
                    "type": "object",
                    "required": ["article", "counts", "total", "mine"],
                    "properties": {
                        "article": {"type": "string"},
                        "counts": {
                            "type": "object",
                            "required": list(MOOD_KEYS),
                            "properties": {k: {"type": "integer", "minimum": 0} for k in MOOD_KEYS},
                            "additionalProperties": False,
                        },
                        "total": {"type": "integer", "minimum": 0},
                        "mine": {
                            "oneOf": [{"$ref": "#/components/schemas/Mood"}, {"type": "null"}]
                        },
                    },
                },
                "View": {
                    "type": "object",
                    "required": ["article", "counted", "views"],
                    "properties": {
                        "article": {"type": "string"},
                        "counted": {"type": "boolean"},
                        "views": {"type": "integer", "minimum": 0},
                        "page_view": {"type": ["string", "null"]},
                    },
                },
                **ATTENTION_SCHEMAS,
                "Ranking": {
                    "type": "object",
                    "required": ["window", "metric", "category", "generated_at", "items"],
                    "properties": {
                        "window": {"type": "string"},
                        "metric": {"type": "string"},
                        "category": {"type": ["string", "null"]},
                        "generated_at": {"type": "string", "format": "date-time"},
                        "items": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": [
                                    "rank",
                                    "slug",
                                    "title",
                                    "url",
                                    "score",
                                    "published_at",
                                ],
                                "properties": {
                                    "rank": {"type": "integer", "minimum": 1},
                                    "slug": {"type": "string"},
                                    "title": {"type": "string"},
                                    "url": {"type": "string"},
                                    "score": {"type": "number"},
                                    "published_at": {"type": "string", "format": "date-time"},
                                },
                            },
                        },
                    },
                },
                "Related": {
                    "type": "object",
                    "required": ["article", "items"],
                    "properties": {
                        "article": {"type": "string"},
                        "items": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["slug", "title", "url", "score"],
                                "properties": {
                                    "slug": {"type": "string"},
                                    "title": {"type": "string"},
                                    "url": {"type": "string"},
                                    "score": {"type": "number"},
                                },
                            },
                        },
                    },
                },
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message"],
                            "properties": {
                                "code": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
                                "message": {"type": "string"},
                            },
                        }
                    },
                },
            },
        },
    }
