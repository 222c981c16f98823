"""The OpenAPI 3.1 description of ``/api/v1``, served at ``/api/v1/openapi.json``."""

from __future__ import annotations

from typing import Any

from .moods import MOOD_KEYS

SLUG = {
    "name": "slug",
    "in": "path",
    "required": True,
    "description": "The article's URL-safe id.",
    "schema": {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9._~-]{0,199}$"},
}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _ok(description: str, schema: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


COMMON_ERRORS = {
    "404": _error("Unknown article (`article_not_found`)."),
    "503": _error("Redis is unavailable (`counters_unavailable`)."),
}
WRITE_ERRORS = {
    "403": _error("A foreign Origin (`origin_not_allowed`)."),
    "413": _error("The body is over 16 KiB (`payload_too_large`)."),
}


def spec() -> dict[str, Any]:
    reaction_ops_errors = {**COMMON_ERRORS, **WRITE_ERRORS, "429": _error("Rate limited.")}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "engagement",
            "version": "1",
            "description": "Mood reactions and view counts for news articles.",
        },
        "servers": [{"url": "/api/v1"}],
        "paths": {
            "/articles/{slug}/reactions": {
                "parameters": [SLUG],
                "get": {
                    "operationId": "getReactions",
                    "summary": "Counts per mood and the calling reader's own reaction.",
                    "responses": {"200": _ok("The counts.", "Reactions"), **COMMON_ERRORS},
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
                        "200": _ok("The counts after the change.", "Reactions"),
                        "400": _error("Malformed body or `unknown_reaction`."),
                        **reaction_ops_errors,
                    },
                },
                "delete": {
                    "operationId": "removeReaction",
                    "summary": "Remove the reader's reaction (idempotent).",
                    "responses": {
                        "200": _ok("The counts after the change.", "Reactions"),
                        **reaction_ops_errors,
                    },
                },
            },
            "/articles/{slug}/views": {
                "parameters": [SLUG],
                "post": {
                    "operationId": "recordView",
                    "summary": "Record a page view (repeats within the window and bots count 0).",
                    "responses": {
                        "202": _ok("Recorded (or deliberately not counted).", "View"),
                        **COMMON_ERRORS,
                        **WRITE_ERRORS,
                    },
                },
            },
        },
        "components": {
            "schemas": {
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
            }
        },
    }
