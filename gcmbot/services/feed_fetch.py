"""Fetching a feed over HTTP (httpx): conditional GET, a total time limit, a size cap, one-line errors."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import httpx

from gcmbot import __version__
from gcmbot.services.feed_parse import FeedError, safe_link

USER_AGENT = f"gcmbot/{__version__} (+https://github.com/gcmbot)"
MAX_BYTES = 5 * 1024 * 1024
CONNECT_TIMEOUT = 10.0
TOTAL_TIMEOUT = 30.0
MAX_REDIRECTS = 5
CONCURRENCY = 8
ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"


@dataclass
class Fetched:
    status: int  # 200 or 304
    url: str
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")


def new_client(*, connect_timeout: float = CONNECT_TIMEOUT, total_timeout: float = TOTAL_TIMEOUT, concurrency: int = CONCURRENCY) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=httpx.Timeout(total_timeout, connect=connect_timeout),
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        headers={"User-Agent": USER_AGENT, "Accept": ACCEPT},  # httpx asks for gzip itself and decodes it
        limits=httpx.Limits(max_connections=max(concurrency * 2, 10), max_keepalive_connections=concurrency),
    )


async def fetch(
    client: httpx.AsyncClient,
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    max_bytes: int = MAX_BYTES,
    total_timeout: float = TOTAL_TIMEOUT,
) -> Fetched:
    """GET with conditional headers, a total time limit and a size cap. Raises FeedError."""
    if not safe_link(url):
        raise FeedError("not an http(s) URL")
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        async with asyncio.timeout(total_timeout):
            async with client.stream("GET", url, headers=headers) as response:
                if response.status_code == 304:
                    return Fetched(304, str(response.url), headers=dict(response.headers))
                if response.status_code != 200:
                    raise FeedError(f"HTTP {response.status_code}" + (f" {response.reason_phrase}" if response.reason_phrase else ""))
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > max_bytes and "content-encoding" not in response.headers:
                    raise FeedError(f"too large: {int(declared)} bytes, the limit is {max_bytes}")
                chunks, size = [], 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise FeedError(f"too large: more than {max_bytes} bytes, cut off")
                    chunks.append(chunk)
                return Fetched(200, str(response.url), b"".join(chunks), dict(response.headers))
    except TimeoutError:
        raise FeedError(f"timeout after {total_timeout:g}s") from None
    except httpx.TimeoutException as exc:
        raise FeedError(f"timeout ({type(exc).__name__})") from None
    except httpx.TooManyRedirects:
        raise FeedError(f"too many redirects (more than {MAX_REDIRECTS})") from None
    except httpx.HTTPError as exc:
        raise FeedError(f"connection failed: {type(exc).__name__}: {str(exc)[:120]}".rstrip(": ")) from None
