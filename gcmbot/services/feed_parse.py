"""Feed bytes → typed items: RSS / Atom (feedparser) and the ReliefWeb API, cleaned, with a stable key.

Pure functions (no I/O): `parse_feed`, `parse_reliefweb`, and the text, link and identity
helpers they use. The result is NOT escaped: whoever puts it into Telegram HTML escapes it.
"""

from __future__ import annotations

import calendar
import hashlib
import html
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import feedparser
import nh3

from gcmbot.i18n import N_

# Stored as the title of an item that has none; shown translated (digest, alerts).
UNTITLED = N_("(untitled)")
SUMMARY_CHARS = 1000


class FeedError(Exception):
    """A feed could not be read. `str(exc)` is one line for operators: "timeout after 30s", "HTTP 500", …"""



def clean_text(value: str | None, limit: int | None = None) -> str:
    """Plain text from feed HTML: tags stripped, entities decoded, whitespace collapsed.

    The result is NOT escaped: whoever puts it into Telegram HTML escapes it.
    """
    if not value:
        return ""
    text = html.unescape(nh3.clean(value, tags=set(), clean_content_tags={"script", "style"}))
    text = " ".join(text.split())
    if limit and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def plain_text(value: str | None, limit: int | None = None) -> str:
    """Text that should be plain (an RSS title): entities decoded, whitespace collapsed, and markup
    that a publisher escaped into it (`&lt;script&gt;…`) stripped like in any other text, content
    of script and style included: it would only show as tag soup."""
    unescaped = html.unescape(value or "")
    if "<" in unescaped:
        unescaped = html.unescape(nh3.clean(unescaped, tags=set(), clean_content_tags={"script", "style"}))
    text = " ".join(unescaped.split())
    if limit and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def _entry_text(entry, name: str, limit: int | None = None) -> str:
    detail = entry.get(f"{name}_detail") or {}
    if detail.get("type") == "text/plain":
        return plain_text(entry.get(name), limit)
    return clean_text(entry.get(name), limit)


def safe_link(url: str | None) -> str:
    """The link if it is an absolute http(s) URL, else "" (javascript:, data:, relative, …)."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or any(c in url for c in "\r\n\t "):
        return ""
    return url


_STORY_ID = re.compile(r"/story/\d{4}/\d{1,2}/(\d+)")
MAX_KEY = 255


def item_key(guid: str | None, link: str | None, title: str, date: str | None) -> str:
    """A stable identity: UN News story id, else guid/id, else link, else a hash of title + date."""
    for value in (guid, link):
        match = _STORY_ID.search(value or "")
        if match:
            return f"story:{match.group(1)}"
    for value in (guid, link):
        value = (value or "").strip()
        if value:
            return value if len(value) <= MAX_KEY else "sha1:" + hashlib.sha1(value.encode()).hexdigest()
    return "sha1:" + hashlib.sha1(f"{title}\n{date or ''}".encode()).hexdigest()


@dataclass(frozen=True)
class ParsedItem:
    """One entry of a feed, cleaned, in the shape every source adapter yields."""

    key: str
    title: str
    link: str = ""
    summary: str = ""
    published_at: datetime | None = None
    places: tuple[str, ...] = ()  # country names etc. from structured sources, used for tagging


@dataclass(frozen=True)
class Parsed:
    items: list[ParsedItem]
    problem: str | None = None  # a bozo feed that still had entries: logged, not fatal
    next_url: str | None = None  # more pages (ReliefWeb API)
    content_hash: str | None = None  # what "unchanged" is judged on, when not the whole body


def _struct_to_dt(value) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), timezone.utc)
    except (TypeError, ValueError, OverflowError):
        return None


def parse_feed(body: bytes, headers: Mapping[str, str] | None = None, url: str = "") -> Parsed:
    """RSS 0.9x/1.0/2.0 or Atom bytes → items. Raises FeedError when nothing usable is in it."""
    response_headers = {"content-location": url} if url else {}
    for name in ("content-type", "content-language"):
        if headers and headers.get(name):
            response_headers[name] = headers[name]
    # Tags are stripped by clean_text (nh3) anyway: feedparser need not sanitize or resolve URIs in HTML.
    result = feedparser.parse(body, response_headers=response_headers, sanitize_html=False, resolve_relative_uris=False)
    problem = None
    if result.bozo:
        problem = f"{type(result.bozo_exception).__name__}: {result.bozo_exception}".splitlines()[0][:200]
    if not result.entries:
        if result.bozo or not result.get("version"):
            raise FeedError("not a feed" + (f" ({problem})" if problem else ""))
        return Parsed([], problem)
    items = []
    for entry in result.entries:
        title = _entry_text(entry, "title", SUMMARY_CHARS) or UNTITLED
        raw_date = entry.get("published") or entry.get("updated")
        published = _struct_to_dt(entry.get("published_parsed") or entry.get("updated_parsed"))
        raw_link = entry.get("link") or ""
        items.append(
            ParsedItem(
                key=item_key(entry.get("id"), raw_link, title, raw_date),
                title=title,
                link=safe_link(raw_link),
                summary=_entry_text(entry, "summary", SUMMARY_CHARS),
                published_at=published,
            )
        )
    return Parsed(items, problem)


def _iso(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def parse_reliefweb(body: bytes) -> Parsed:
    """ReliefWeb API v2 (`data[].fields`, `links.next`) → the same item shape as feeds."""
    try:
        payload = json.loads(body)
        data = payload["data"]
        if not isinstance(data, list):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        raise FeedError("not a ReliefWeb API answer (no data list)") from None
    items = []
    for row in data:
        fields = row.get("fields") or {}
        rid = fields.get("id", row.get("id"))
        title = clean_text(fields.get("title")) or UNTITLED
        date = (fields.get("date") or {}).get("original") or (fields.get("date") or {}).get("created")
        places = tuple(c.get("name", "") for c in fields.get("country") or [] if isinstance(c, dict))
        items.append(
            ParsedItem(
                key=f"reliefweb:{rid}" if rid is not None else item_key(None, fields.get("url"), title, date),
                title=title,
                link=safe_link(fields.get("url_alias") or fields.get("url") or row.get("href")),
                summary=clean_text(fields.get("body-html") or fields.get("body"), SUMMARY_CHARS),
                published_at=_iso(date),
                places=places,
            )
        )
    nxt = ((payload.get("links") or {}).get("next") or {}).get("href")
    digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
    return Parsed(items, None, safe_link(nxt) or None, digest)


def reliefweb_url(url: str, appname: str) -> str:
    """The API URL with the appname and sensible defaults added (filters in the feed URL are kept)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "appname"]
    have = {k for k, _ in query}
    query.insert(0, ("appname", appname))
    defaults = [("preset", "latest"), ("limit", "50"), ("profile", "list")]
    query += [(k, v) for k, v in defaults if k not in have]
    if not any(k.startswith("fields[include]") for k in have):
        query += [("fields[include][]", f) for f in ("title", "url_alias", "date.original", "country.name", "body")]
    return urlunsplit(parts._replace(query=urlencode(query)))
