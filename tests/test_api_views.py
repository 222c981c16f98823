from __future__ import annotations

from flask import Flask

from engagement.ingest.readers import COOKIE
from engagement.store import keys
from tests.conftest import Clock
from tests.helpers import BROWSER, GOOGLEBOT, beacon, reader_client, view

SLUG = "kashi-orchard-cooperative"


def test_view_is_counted_once_per_window(demo: Flask, clock: Clock) -> None:
    client = reader_client(demo)
    first = view(client, SLUG)
    assert first.status_code == 202
    assert beacon(first) == {"article": SLUG, "counted": True, "views": 1}
    assert beacon(view(client, SLUG)) == {"article": SLUG, "counted": False, "views": 1}
    clock.advance(demo.config["ENGAGEMENT_VIEW_WINDOW"] - 5)
    assert view(client, SLUG).json["counted"] is False
    clock.advance(10)
    assert beacon(view(client, SLUG)) == {"article": SLUG, "counted": True, "views": 2}


def test_view_window_is_configurable(app_factory, redis_server) -> None:
    clock = Clock()
    app = app_factory(redis_server.url, ENGAGEMENT_VIEW_WINDOW=60, ENGAGEMENT_CLOCK=clock)
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    client = reader_client(app)
    assert view(client, SLUG).json["counted"] is True
    clock.advance(61)
    assert view(client, SLUG).json["counted"] is True


def test_empty_and_odd_bodies_are_fine_for_the_beacon(demo: Flask) -> None:
    client = reader_client(demo)
    assert client.post(f"/api/v1/articles/{SLUG}/views").status_code == 202
    response = client.post(f"/api/v1/articles/{SLUG}/views", data="x", content_type="text/plain")
    assert response.status_code == 202


def test_bots_do_not_count_but_are_counted_as_dropped(demo: Flask, redis_client) -> None:
    human = reader_client(demo)
    view(human, SLUG)
    for agent in (GOOGLEBOT, "", "GPTBot/1.2", "Mozilla/5.0 HeadlessChrome/130.0"):
        response = view(reader_client(demo, agent=agent), SLUG)
        assert response.status_code == 202
        assert beacon(response) == {"article": SLUG, "counted": False, "views": 1}, agent
    stats = {k: int(v) for k, v in redis_client.hgetall(keys.stats_key()).items()}
    assert stats["views_bot"] == 4
    assert stats["views_counted"] == 1


def test_cookieless_reader_gets_a_cookie_and_keeps_it(demo: Flask) -> None:
    client = reader_client(demo, address="198.51.100.7")
    response = view(client, SLUG)
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"
    assert response.json["counted"] is True
    # Same cookie from a new address: still the same reader.
    client.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    assert view(client, SLUG).json["counted"] is False


def test_cookieless_identity_is_address_plus_agent(demo: Flask) -> None:
    a = reader_client(demo, address="198.51.100.7")
    a_again = reader_client(demo, address="198.51.100.7")
    other_agent = reader_client(demo, address="198.51.100.7", agent=BROWSER + " Edg/130")
    other_address = reader_client(demo, address="198.51.100.8")
    assert view(a, SLUG).json["counted"] is True
    assert view(a_again, SLUG).json["counted"] is False, "same address and agent: same reader"
    assert view(other_agent, SLUG).json["counted"] is True
    assert view(other_address, SLUG).json["counted"] is True


def test_forged_cookie_is_ignored(demo: Flask) -> None:
    client = reader_client(demo)
    client.set_cookie(COOKIE, "0" * 32 + ".forged")
    assert view(client, SLUG).json["counted"] is True
    assert client.get_cookie(COOKIE).value != "0" * 32 + ".forged"


def test_forwarded_for_is_ignored_without_trusted_proxies(demo: Flask) -> None:
    a = reader_client(demo, address="127.0.0.1")
    b = reader_client(demo, address="127.0.0.1")
    assert view(a, SLUG, headers={"X-Forwarded-For": "198.51.100.1"}).json["counted"] is True
    assert view(b, SLUG, headers={"X-Forwarded-For": "198.51.100.2"}).json["counted"] is False


def test_trusted_proxy_addresses_are_used(app_factory, redis_server) -> None:
    app = app_factory(redis_server.url, ENGAGEMENT_TRUSTED_PROXIES=1)
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    a = reader_client(app, address="127.0.0.1")
    b = reader_client(app, address="127.0.0.1")
    spoofed = {"X-Forwarded-For": "10.9.9.9, 198.51.100.2"}
    assert view(a, SLUG, headers={"X-Forwarded-For": "198.51.100.1"}).json["counted"] is True
    assert view(b, SLUG, headers={"X-Forwarded-For": "198.51.100.2"}).json["counted"] is True
    c = reader_client(app, address="127.0.0.1")
    assert view(c, SLUG, headers=spoofed).json["counted"] is False, "only the last hop is trusted"
