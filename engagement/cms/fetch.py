"""Fetching feeds, sitemaps and pages from a publisher: timeouts, a size cap and
conditional GET. httpx does the HTTP; this module only sets the limits."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
MAX_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 5
USER_AGENT = "engagement-fetch/1.0 (+feeds and sitemaps of registered sites)"


class FetchError(Exception):
    """The URL could not be fetched; the message says why, in Chinese, for operators."""


@dataclass(frozen=True)
class Fetched:
    status: int  # 200, or 304 when the conditional GET found nothing new
    content: bytes
    content_type: str
    etag: str | None
    last_modified: str | None
    url: str  # after redirects


def fetch(
    url: str,
    etag: str | None = None,
    last_modified: str | None = None,
    max_bytes: int = MAX_BYTES,
    client: httpx.Client | None = None,
) -> Fetched:
    """GET ``url``: 200 with the body, or 304; anything else is :class:`FetchError`."""
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    own = client is None
    http = client or httpx.Client(
        timeout=TIMEOUT, follow_redirects=True, max_redirects=MAX_REDIRECTS
    )
    try:
        with http.stream("GET", url, headers=headers) as response:
            if response.status_code == 304:
                return Fetched(304, b"", "", etag, last_modified, str(response.url))
            if response.status_code != 200:
                raise FetchError(f"HTTP {response.status_code}")
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise FetchError(f"内容超过 {max_bytes // 1024} KiB 上限")
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise FetchError(f"内容超过 {max_bytes // 1024} KiB 上限")
                chunks.append(chunk)
            return Fetched(
                200,
                b"".join(chunks),
                response.headers.get("Content-Type", ""),
                response.headers.get("ETag"),
                response.headers.get("Last-Modified"),
                str(response.url),
            )
    except httpx.TimeoutException:
        raise FetchError("连接超时") from None
    except httpx.TooManyRedirects:
        raise FetchError("重定向次数过多") from None
    except httpx.HTTPError as exc:
        raise FetchError(f"无法获取：{type(exc).__name__}") from None
    finally:
        if own:
            http.close()
