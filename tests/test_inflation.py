"""Inflation limits that spare shared networks: one address making up
identities stops counting (as suspect, never silently), a NAT's crowd of real
readers still counts, and readers with their cookie are never held back."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from engagement.store import keys
from tests.conftest import PASSWORD, login
from tests.helpers import BROWSER, reader_client

SLUG = "kashi-orchard-cooperative"
DEFAULT = "60/minute;600/hour"
# Eight articles of the demo content.
DEMO_SLUGS = [
    "kashi-orchard-cooperative",
    "hetian-carpet-workshop",
    "aksu-solar-pumps",
    "shache-vocational-school",
    "kashgar-teacher-exchange",
    "remote-classroom-network",
    "kanas-winter-tourism",
    "muqam-heritage-center",
]


@pytest.fixture
def site(app_factory: Any, redis_server: Any) -> Flask:
    """The demo site with the shipped limit (the other tests raise it)."""
    app = app_factory(redis_server.url, ENGAGEMENT_NEW_READERS_PER_ADDRESS=DEFAULT)
    assert app.config["ENGAGEMENT_NEW_READERS_PER_ADDRESS"] == DEFAULT
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    return app


def browser(n: int) -> str:
    return BROWSER.replace("Chrome/130.0.0.0", f"Chrome/130.0.{n}.0")


def beacon(app: Flask, address: str, agent: str, slug: str = SLUG) -> dict[str, Any]:
    client = reader_client(app, address=address, agent=agent)
    response = client.post(f"/api/v1/articles/{slug}/views", json={})
    assert response.status_code == 202
    return response.get_json()


def test_a_nat_crowd_of_real_readers_still_counts(site: Flask) -> None:
    # A classroom behind one address: 50 first-time readers in the same minute.
    answers = [beacon(site, "203.0.113.50", browser(n)) for n in range(50)]
    assert all(a["counted"] for a in answers)
    assert answers[-1]["views"] == 50


def test_a_loop_of_made_up_identities_is_held_back_as_suspect(
    site: Flask, redis_client: Any
) -> None:
    answers = [beacon(site, "198.51.100.66", browser(n)) for n in range(200)]
    counted = sum(a["counted"] for a in answers)
    assert counted == 60
    assert answers[-1]["views"] == 60 and answers[-1]["page_view"] is None
    assert int(redis_client.hget(keys.stats_key(), "views_suspect")) == 140
    assert int(redis_client.hget(keys.stats_key(), "views_counted")) == 60
    # Another address is not affected.
    assert beacon(site, "198.51.100.67", browser(999))["counted"]


def test_readers_with_their_cookie_are_never_held_back(site: Flask) -> None:
    reader = reader_client(site, address="198.51.100.80")
    slugs = DEMO_SLUGS[:5]
    assert reader.post(f"/api/v1/articles/{slugs[0]}/views", json={}).get_json()["counted"]
    # The same address then makes up 100 identities: over its limit.
    for n in range(100):
        beacon(site, "198.51.100.80", browser(n))
    # The reader who has the cookie still counts.
    for slug in slugs[1:]:
        assert reader.post(f"/api/v1/articles/{slug}/views", json={}).get_json()["counted"], slug


def test_operators_see_the_suspect_views(site: Flask) -> None:
    for n in range(70):
        beacon(site, "198.51.100.90", browser(n))
    result = site.test_cli_runner().invoke(
        args=["create-operator", "editor"], input=PASSWORD + "\n"
    )
    assert result.exit_code == 0, result.output
    admin, status = login(site)
    assert status == 302
    numbers = admin.get("/admin/overview.json?window=24h").get_json()
    assert numbers["suspects"] == 10 and numbers["views"] == 60
    html = admin.get("/admin/").get_data(as_text=True)
    assert 'data-total="suspects">10<' in html


def test_one_address_reacts_to_one_article_at_most_its_bound(
    app_factory: Any, redis_server: Any, redis_client: Any
) -> None:
    # The per-client rate limit raised, so that only the per-article bound acts.
    site = app_factory(
        redis_server.url,
        ENGAGEMENT_RATELIMIT_REACTIONS="100000/minute",
        ENGAGEMENT_REACTIONS_PER_ARTICLE="100/day",
    )
    assert site.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    statuses = []
    for n in range(120):
        client = reader_client(site, address="198.51.100.70", agent=browser(n))
        response = client.post(f"/api/v1/articles/{SLUG}/reactions", json={"reaction": "smile"})
        statuses.append(response.status_code)
    assert statuses.count(200) == 100 and statuses.count(429) == 20
    assert response.headers["Retry-After"].isdigit()
    state = reader_client(site).get(f"/api/v1/articles/{SLUG}/reactions").get_json()
    assert state["counts"]["smile"] == 100
    assert int(redis_client.hget(keys.stats_key(), "reactions_suspect")) == 20
    # Another article, and another address, are not held back.
    other = reader_client(site, address="198.51.100.70", agent=browser(999))
    assert (
        other.post(
            "/api/v1/articles/aksu-solar-pumps/reactions", json={"reaction": "sad"}
        ).status_code
        == 200
    )
    elsewhere = reader_client(site, address="198.51.100.71", agent=browser(999))
    assert (
        elsewhere.post(f"/api/v1/articles/{SLUG}/reactions", json={"reaction": "sad"}).status_code
        == 200
    )


def test_a_reader_faster_than_a_person_stops_counting(
    app_factory: Any, redis_server: Any, redis_client: Any
) -> None:
    site = app_factory(redis_server.url, ENGAGEMENT_READER_PACE="5/minute")
    assert site.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    reader = reader_client(site, address="198.51.100.95")
    slugs = DEMO_SLUGS
    answers = [reader.post(f"/api/v1/articles/{s}/views", json={}).get_json() for s in slugs]
    assert [a["counted"] for a in answers] == [True] * 5 + [False] * 3
    assert int(redis_client.hget(keys.stats_key(), "views_suspect")) == 3
