"""The reaction bar without JavaScript: plain forms, header-based CSRF checks."""

from __future__ import annotations

from flask import Flask

from engagement.ingest.readers import COOKIE
from tests.helpers import reader_client

SLUG = "kashi-orchard-cooperative"
FORM = f"/articles/{SLUG}/reactions"
SAME = {"Origin": "http://localhost"}


def test_form_post_sets_and_redirects_back(demo: Flask) -> None:
    client = reader_client(demo)
    response = client.post(FORM, data={"reaction": "envy"}, headers=SAME)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/articles/{SLUG}?reacted=1#reactions")
    assert client.get_cookie(COOKIE) is not None
    page = client.get(f"/articles/{SLUG}?reacted=1")
    assert page.headers["Cache-Control"] == "private, no-store"
    html = page.get_data(as_text=True)
    assert 'data-mood="envy"\n                aria-pressed="true"' in html
    assert '已有 <span class="total-count">1</span> 人表态' in html


def test_posting_the_same_mood_again_undoes_it(demo: Flask) -> None:
    client = reader_client(demo)
    client.post(FORM, data={"reaction": "smile"}, headers=SAME)
    client.post(FORM, data={"reaction": "smile"}, headers=SAME)
    state = client.get(f"/api/v1/articles/{SLUG}/reactions").json
    assert state["total"] == 0 and state["mine"] is None


def test_shared_page_never_shows_a_readers_own_mood(demo: Flask) -> None:
    client = reader_client(demo)
    client.post(FORM, data={"reaction": "smile"}, headers=SAME)
    page = client.get(f"/articles/{SLUG}")
    assert "public" in page.headers["Cache-Control"]
    assert 'aria-pressed="true"' not in page.get_data(as_text=True)
    assert "Set-Cookie" not in page.headers, "cacheable HTML sets no cookie"


def test_csrf_cross_site_posts_are_refused(demo: Flask) -> None:
    client = reader_client(demo)
    for headers in (
        {"Origin": "https://evil.example"},
        {"Referer": "https://evil.example/page"},
        {"Sec-Fetch-Site": "cross-site", "Origin": "http://localhost"},
        {},
    ):
        response = client.post(FORM, data={"reaction": "smile"}, headers=headers)
        assert response.status_code == 403, headers
        assert response.mimetype == "text/html"
    assert client.get(f"/api/v1/articles/{SLUG}/reactions").json["total"] == 0


def test_csrf_same_site_signals_are_accepted(demo: Flask) -> None:
    for i, headers in enumerate(
        (
            {"Sec-Fetch-Site": "same-origin"},
            {"Referer": f"http://localhost/articles/{SLUG}"},
            {"Origin": "http://localhost"},
        )
    ):
        client = reader_client(demo, address=f"198.51.100.{i}")
        assert client.post(FORM, data={"reaction": "sad"}, headers=headers).status_code == 303


def test_bad_form_input(demo: Flask) -> None:
    client = reader_client(demo)
    assert client.post(FORM, data={"reaction": "joy"}, headers=SAME).status_code == 400
    assert (
        client.post("/articles/nope/reactions", data={"reaction": "sad"}, headers=SAME).status_code
        == 404
    )


def test_article_page_shows_counts_and_shares(demo: Flask) -> None:
    for i, mood in enumerate(["smile", "smile", "smile", "sad"]):
        reader_client(demo, address=f"198.51.100.{i}").post(
            FORM, data={"reaction": mood}, headers=SAME
        )
    html = demo.test_client().get(f"/articles/{SLUG}").get_data(as_text=True)
    assert 'class="mood-count">3<' in html and 'class="mood-share">75%<' in html
    assert 'class="mood-count">1<' in html and 'class="mood-share">25%<' in html
