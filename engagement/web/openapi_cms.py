"""The OpenAPI description of the publisher API (``publisher_api.py``), merged
into ``openapi.spec``; a module of its own to keep ``openapi.py`` readable."""

from __future__ import annotations

from typing import Any

from ..importer import SLUG_PATTERN
from .openapi_parts import SLUG, error, ok

TOKEN_ERRORS = {
    "401": error("No token (`missing_token`), or a wrong or revoked one (`invalid_token`)."),
    "409": error("The slug is an article of another site, or this site's own (`slug_taken`)."),
}
TEXT = {"type": "string"}
PATHS: dict[str, Any] = {
    "/articles/{slug}": {
        "parameters": [SLUG],
        "put": {
            "operationId": "putArticle",
            "summary": "Create or update a site's article (the import format as JSON).",
            "security": [{"siteToken": []}],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/ArticleInput"}}
                },
            },
            "responses": {
                "200": ok("Updated (or unchanged).", "PublishedArticle"),
                "201": ok("Created.", "PublishedArticle"),
                "400": error("A bad slug (`invalid_slug`), body or field (`invalid_article`)."),
                **TOKEN_ERRORS,
                "413": error("Over 2 MiB (`payload_too_large`)."),
            },
        },
        "delete": {
            "operationId": "deleteArticle",
            "summary": "Delete a site's article, its counts and suggestions.",
            "security": [{"siteToken": []}],
            "responses": {
                "204": {"description": "Deleted."},
                "400": error("A bad slug (`invalid_slug`)."),
                **TOKEN_ERRORS,
                "404": error("Unknown article (`article_not_found`)."),
            },
        },
    },
    "/lookup": {
        "get": {
            "operationId": "lookupArticle",
            "summary": "The article a page shows: by slug, or by its canonical URL.",
            "parameters": [
                {
                    "name": "slug",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string", "pattern": SLUG_PATTERN},
                    "description": "The page's data-article value.",
                },
                {
                    "name": "url",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "array", "items": TEXT, "maxItems": 4},
                    "style": "form",
                    "explode": True,
                    "description": "Candidate URLs, tried in order (canonical first).",
                },
            ],
            "responses": {
                "200": ok("Found.", "FoundArticle"),
                "304": {"description": "Not modified (If-None-Match)."},
                "400": error("Neither given, or a bad one (`invalid_url`, `invalid_slug`)."),
                "404": error("No such article (`article_not_found`)."),
            },
        }
    },
}
SCHEMAS: dict[str, Any] = {
    "ArticleInput": {
        "type": "object",
        "required": ["title", "body", "category", "published_at"],
        "properties": {
            "slug": {"type": "string", "description": "If given, the URL's slug."},
            "title": TEXT,
            "body": {"type": "string", "description": "HTML (sanitized) or plain text."},
            "category": TEXT,
            "published_at": {"type": "string", "description": "ISO 8601 with a UTC offset."},
            "url": {"type": "string", "description": "The article's own page."},
            "breadcrumb": {"type": "array", "items": TEXT},
            "tags": {"type": "array", "items": TEXT},
            "source": TEXT,
            "editor": TEXT,
            "author": TEXT,
            "summary": TEXT,
            "image_url": TEXT,
        },
    },
    "PublishedArticle": {
        "type": "object",
        "required": ["slug", "title", "url", "category", "published_at", "created"],
        "properties": {
            "slug": TEXT,
            "title": TEXT,
            "url": TEXT,
            "category": TEXT,
            "published_at": TEXT,
            "created": {"type": "boolean"},
        },
    },
    "FoundArticle": {
        "type": "object",
        "required": ["slug", "title", "url"],
        "properties": {"slug": TEXT, "title": TEXT, "url": TEXT},
    },
}
SECURITY_SCHEMES = {
    "siteToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "A site's API token (`flask create-token SITE` or the admin area).",
    }
}
