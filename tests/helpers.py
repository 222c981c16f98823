"""Small helpers shared by the API tests."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

BROWSER = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Safari/537.36"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


# What a browser's fetch from the page script sends beside its User-Agent.
BROWSER_HEADERS = {
    "HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9,en;q=0.8",
    "HTTP_SEC_FETCH_SITE": "same-origin",
    "HTTP_SEC_FETCH_MODE": "cors",
    "HTTP_SEC_FETCH_DEST": "empty",
}


def reader_client(app: Any, address: str = "198.51.100.7", agent: str = BROWSER) -> FlaskClient:
    """A test client that looks like one browser at one address."""
    client = app.test_client()
    # Every browser sends Accept-Language; Fetch Metadata is left to each test.
    client.environ_base.update(
        {
            "REMOTE_ADDR": address,
            "HTTP_USER_AGENT": agent,
            "HTTP_ACCEPT_LANGUAGE": BROWSER_HEADERS["HTTP_ACCEPT_LANGUAGE"],
        }
    )
    return client


def react(client: FlaskClient, slug: str, mood: str) -> Any:
    return client.post(f"/api/v1/articles/{slug}/reactions", json={"reaction": mood})


def view(client: FlaskClient, slug: str, **kwargs: Any) -> Any:
    return client.post(f"/api/v1/articles/{slug}/views", json={}, **kwargs)


def beacon(answer: Any) -> dict[str, Any]:
    """A view beacon's JSON without its (random) ``page_view`` id, which must be there."""
    data = dict(answer.json)
    page_view = data.pop("page_view")
    assert page_view is None or isinstance(page_view, str)
    return data
