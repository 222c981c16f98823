"""The request-sanity layer (``engagement/ingest/sanity.py``): a browser's
User-Agent without a browser's request stops counting; real browsers, old ones
without Fetch Metadata included, still count."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from engagement.ingest.sanity import failed_rule
from engagement.store import keys
from tests.helpers import BROWSER, BROWSER_HEADERS

SLUG = "kashi-orchard-cooperative"
SAFARI_15 = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/15.6 Safari/605.1.15"
)
OLD_SAFARI = {"HTTP_ACCEPT_LANGUAGE": "zh-CN", "HTTP_ORIGIN": "http://localhost"}


@pytest.mark.parametrize(
    ("headers", "rule"),
    [
        (BROWSER_HEADERS, None),
        (OLD_SAFARI, None),  # no Fetch Metadata before Safari 16.4
        ({"HTTP_SEC_FETCH_SITE": "same-origin", "HTTP_SEC_FETCH_DEST": "empty"}, None),
        ({"HTTP_ORIGIN": "http://localhost"}, None),  # a browser that sends no language
        ({}, "headers"),  # a script: a browser's User-Agent and nothing else
        ({**BROWSER_HEADERS, "HTTP_SEC_FETCH_SITE": "none"}, "sec-fetch"),
        ({**BROWSER_HEADERS, "HTTP_SEC_FETCH_MODE": "navigate"}, "sec-fetch"),
        ({**BROWSER_HEADERS, "HTTP_SEC_FETCH_DEST": "document"}, "sec-fetch"),
    ],
)
def test_each_rule(headers: dict[str, str], rule: str | None) -> None:
    assert failed_rule(headers) == rule


def post(app: Flask, agent: str, headers: dict[str, str], address: str) -> Any:
    client = app.test_client()
    client.environ_base.update({"REMOTE_ADDR": address, "HTTP_USER_AGENT": agent, **headers})
    return client.post(f"/api/v1/articles/{SLUG}/views", json={})


def test_a_script_with_a_browser_agent_is_counted_as_a_bot(demo: Flask, redis_client: Any) -> None:
    answer = post(demo, BROWSER, {}, "198.51.100.31")
    assert answer.status_code == 202 and answer.get_json()["counted"] is False
    assert (
        post(demo, BROWSER, {"HTTP_SEC_FETCH_SITE": "none"}, "198.51.100.32").get_json()["counted"]
        is False
    )
    assert int(redis_client.hget(keys.stats_key(), "views_bot")) == 2
    # An old Safari and a current browser count.
    assert post(demo, SAFARI_15, OLD_SAFARI, "198.51.100.33").get_json()["counted"]
    assert post(demo, BROWSER, BROWSER_HEADERS, "198.51.100.34").get_json()["counted"]
    assert int(redis_client.hget(keys.stats_key(), "views_counted")) == 2
