"""Polling UN / IOM feeds: fetch (conditional GET), parse, dedup, tag, schedule, flag.

The decisions are pure functions (`clean_text`, `safe_link`, `item_key`, `parse_feed`,
`parse_reliefweb`, `TagRules.tag`, `decide`, `next_poll_at`, `alertable`); the `Feeds`
service does the I/O around them. Knows nothing of Telegram.
"""

from __future__ import annotations

import asyncio
import calendar
import hashlib
import html
import json
import logging
import random
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import feedparser
import httpx
import nh3

from gcmbot import __version__
from gcmbot.i18n import N_
from gcmbot.models import Feed, FeedItem, utcnow
from gcmbot.store import Database
from gcmbot.store import content as content_store
from gcmbot.store import feeds as store
from gcmbot.store import subscribers as subscriber_store
from gcmbot.store.outbox import Outgoing, enqueue

# Stored as the title of an item that has none; shown translated (digest, alerts).
UNTITLED = N_("(untitled)")
log = logging.getLogger(__name__)

USER_AGENT = f"gcmbot/{__version__} (+https://github.com/gcmbot)"
MAX_BYTES = 5 * 1024 * 1024
CONNECT_TIMEOUT = 10.0
TOTAL_TIMEOUT = 30.0
MAX_REDIRECTS = 5
CONCURRENCY = 8
FAILURES_BEFORE_FLAG = 3
FIRST_RETRY = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=6)
JITTER = 0.1  # ± this fraction of the delay
ALERT_MAX_AGE = timedelta(days=7)
RELIEFWEB_MAX_PAGES = 3
SUMMARY_CHARS = 1000
ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"


class FeedError(Exception):
    """A feed could not be read. `str(exc)` is one line for operators: "timeout after 30s", "HTTP 500", …"""


# --- pure: text, links, identity ------------------------------------------------


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


# --- pure: tagging ---------------------------------------------------------------


def _is_acronym(word: str) -> bool:
    return word.isupper() and len(word) <= 6


def _alternation(words: Iterable[str], flags: str) -> re.Pattern | None:
    words = sorted(set(words), key=len, reverse=True)  # longest first: "South Sudan" before "Sudan"
    if not words:
        return None
    return re.compile(rf"(?{flags}:(?<!\w)(?:" + "|".join(map(re.escape, words)) + r")(?!\w))")


@dataclass
class TagRules:
    """Keyword rules from content/: topic keywords and region aliases (plus the region's name).

    Whole words only; ALL-CAPS acronyms (EU, UK, USA) match case-sensitively, the rest in any case.
    One pass over the text finds every rule word; a lookup maps it to its topics / regions.
    """

    folded: re.Pattern | None = None
    exact: re.Pattern | None = None
    lookup: dict[str, set[tuple[str, str]]] = field(default_factory=dict)  # word → {(kind, id)}
    order: dict[tuple[str, str], int] = field(default_factory=dict)  # content order of the tags

    @classmethod
    def build(cls, topics: Iterable[tuple[str, Iterable[str]]], regions: Iterable[tuple[str, Iterable[str]]]) -> TagRules:
        lookup: dict[str, set[tuple[str, str]]] = {}
        order: dict[tuple[str, str], int] = {}
        for kind, rules in (("topic", topics), ("region", regions)):
            for tid, words in rules:
                order.setdefault((kind, tid), len(order))
                for word in words:
                    word = " ".join(word.split())
                    if word:
                        lookup.setdefault(word if _is_acronym(word) else word.casefold(), set()).add((kind, tid))
        return cls(
            _alternation([w for w in lookup if not _is_acronym(w)], "i"),
            _alternation([w for w in lookup if _is_acronym(w)], ""),
            lookup,
            order,
        )

    def tag(self, item: ParsedItem, *, feed_topics: Iterable[str] = (), feed_regions: Iterable[str] = ()) -> tuple[list[str], list[str]]:
        text = " ".join(" ".join((item.title, item.summary, *item.places)).split())
        found: set[tuple[str, str]] = set()
        if self.folded is not None:
            for match in self.folded.finditer(text):
                found |= self.lookup.get(match.group(0).casefold(), set())
        if self.exact is not None:
            for match in self.exact.finditer(text):
                found |= self.lookup.get(match.group(0), set())
        ranked = sorted(found, key=lambda t: self.order.get(t, 0))
        topics = list(dict.fromkeys([*feed_topics, *(i for k, i in ranked if k == "topic")]))
        regions = list(dict.fromkeys([*feed_regions, *(i for k, i in ranked if k == "region")]))
        return topics, regions


# --- pure: what is new, when to poll, what to alert ----------------------------------


@dataclass(frozen=True)
class Known:
    """What is stored about an item, as far as deciding goes."""

    id: int
    title: str
    link: str
    summary: str


@dataclass
class Decision:
    new: list[ParsedItem] = field(default_factory=list)
    updated: list[tuple[int, ParsedItem]] = field(default_factory=list)  # (stored id, new version)
    unchanged: int = 0


def decide(items: Sequence[ParsedItem], known: Mapping[str, Known]) -> Decision:
    """New items are announced; a known item with a new title/link/summary is updated silently.

    Order and dates do not matter: identity is the key alone. Duplicates within a feed count once.
    """
    decision = Decision()
    seen: set[str] = set()
    for item in items:
        if item.key in seen:
            continue
        seen.add(item.key)
        old = known.get(item.key)
        if old is None:
            decision.new.append(item)
        elif (old.title, old.link, old.summary) != (item.title, item.link or old.link, item.summary):
            decision.updated.append((old.id, item))
        else:
            decision.unchanged += 1
    return decision


def next_poll_at(now: datetime, interval_minutes: int, failures: int, rand: float) -> datetime:
    """When to poll next: the interval after a success, exponential backoff after failures; ± jitter.

    `rand` is a number in [0, 1) (random.random()), so the function stays pure.
    """
    if failures <= 0:
        delay = timedelta(minutes=max(1, interval_minutes))
    else:
        delay = min(FIRST_RETRY * (2 ** min(failures - 1, 20)), MAX_BACKOFF)
    return now + delay * (1 + JITTER * (2 * rand - 1))


def alertable(published_at: datetime | None, now: datetime, *, baseline: bool) -> bool:
    """A new item is worth an instant alert unless it came with the feed's first poll or is old news."""
    if baseline:
        return False
    return published_at is None or published_at >= now - ALERT_MAX_AGE


# --- fetching --------------------------------------------------------------------


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


# --- the service -----------------------------------------------------------------


@dataclass(frozen=True)
class NewItem:
    id: int
    title: str
    link: str
    published_at: datetime | None
    topics: tuple[str, ...]
    regions: tuple[str, ...]


@dataclass
class PollResult:
    feed_id: str
    name: str
    outcome: str  # new, unchanged, not-modified, error, skipped
    new: list[NewItem] = field(default_factory=list)
    updated: int = 0
    error: str | None = None
    problem: str | None = None  # bozo but usable
    flagged: bool = False  # flagged by this poll
    recovered: bool = False  # un-flagged by this poll


@dataclass(frozen=True)
class FeedStatus:
    id: str
    name: str
    url: str
    kind: str
    enabled: bool
    retired: bool
    flagged: bool
    items: int
    last_success_at: datetime | None
    last_error: str | None
    consecutive_failures: int
    next_poll_at: datetime | None


@dataclass(frozen=True)
class FeedNotice:
    """What admins are told when a feed gets flagged or works again (gcmbot.render.feeds words it)."""

    name: str
    recovered: bool = False
    failures: int = 0
    error: str | None = None


FeedNoticeRenderer = Callable[[FeedNotice, str], str]  # (notice, admin's language) → message


def _admin_language(session, admin_id: int) -> str:
    """An admin's language: their private chat's, when it is subscribed; else English."""
    sub = subscriber_store.get(session, admin_id)
    return sub.language if sub is not None and sub.language else "en"


class Feeds:
    """Polls feeds, stores new items, flags failing feeds, and hands new items to alerts."""

    def __init__(
        self,
        db: Database,
        *,
        admin_ids: Iterable[int] = (),
        reliefweb_appname: str | None = None,
        alerts=None,
        notices: FeedNoticeRenderer | None = None,
        concurrency: int = CONCURRENCY,
        connect_timeout: float = CONNECT_TIMEOUT,
        total_timeout: float = TOTAL_TIMEOUT,
        max_bytes: int = MAX_BYTES,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.db = db
        self.admin_ids = tuple(sorted(admin_ids))
        self.reliefweb_appname = reliefweb_appname
        self.alerts = alerts
        if self.admin_ids and notices is None:
            raise ValueError("Feeds with admins to tell need notices= (gcmbot.render.feeds.render_notice)")
        self.notices = notices
        self.concurrency = concurrency
        self.connect_timeout = connect_timeout
        self.total_timeout = total_timeout
        self.max_bytes = max_bytes
        self.rand = rand
        self._client: httpx.AsyncClient | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None

    # --- the shared client ---

    def client(self) -> httpx.AsyncClient:
        """One AsyncClient shared by every poll (per event loop)."""
        loop = asyncio.get_running_loop()
        if self._client is None or self._client.is_closed or self._client_loop is not loop:
            self._client = new_client(connect_timeout=self.connect_timeout, total_timeout=self.total_timeout, concurrency=self.concurrency)
            self._client_loop = loop
        return self._client

    async def aclose(self) -> None:
        if self._client is not None and not self._client.is_closed and self._client_loop is asyncio.get_running_loop():
            await self._client.aclose()
        self._client = None

    async def _get(self, url: str, etag: str | None = None, last_modified: str | None = None) -> Fetched:
        return await fetch(self.client(), url, etag=etag, last_modified=last_modified, max_bytes=self.max_bytes, total_timeout=self.total_timeout)

    # --- reading ---

    def rules(self) -> TagRules:
        with self.db.session() as s:
            topics = [(t.id, t.data.get("keywords", [])) for t in content_store.terms(s, "topic")]
            regions = [(t.id, [t.name, *t.data.get("aliases", [])]) for t in content_store.terms(s, "region")]
        return TagRules.build(topics, regions)

    def set_enabled(self, feed_id: str, enabled: bool, *, admin_id: int, now: datetime | None = None) -> bool:
        """Turn a feed's polling on or off (web console). False if there is no such (unretired) feed."""
        with self.db.session() as s:
            if not store.set_enabled(s, feed_id, enabled):
                return False
            content_store.mark_edited(s, "feed", feed_id, admin_id, now or utcnow())
        return True

    def status(self) -> list[FeedStatus]:
        with self.db.session() as s:
            counts = store.item_counts(s)
            return [
                FeedStatus(
                    f.id, f.name, f.url, f.kind, f.enabled, f.retired, f.flagged, counts.get(f.id, 0), f.last_success_at,
                    f.last_error, f.consecutive_failures, f.next_poll_at,
                )
                for f in store.all_feeds(s)
            ]

    # --- polling ---

    async def poll_due(self, now: datetime | None = None) -> list[PollResult]:
        """Poll every feed whose time has come; queue alerts for what is new. The scheduler calls this."""
        now = now or utcnow()
        return await self._poll(await asyncio.to_thread(self._feeds, store.due, now), now)

    async def poll_all(self, now: datetime | None = None) -> list[PollResult]:
        """Poll every enabled feed now, due or not (`gcmbot feeds poll --once`)."""
        now = now or utcnow()
        return await self._poll(await asyncio.to_thread(self._feeds, lambda s, _now: store.pollable(s), now), now)

    def _feeds(self, query, now: datetime) -> list[Feed]:
        with self.db.session() as s:
            return query(s, now)

    async def _poll(self, feeds: list[Feed], now: datetime) -> list[PollResult]:
        if not feeds:
            return []
        rules = self.rules()
        semaphore = asyncio.Semaphore(self.concurrency)

        async def one(feed: Feed) -> PollResult:
            async with semaphore:
                return await self.poll_feed(feed, now, rules)

        results = list(await asyncio.gather(*(one(f) for f in feeds)))
        if self.alerts is not None and any(r.new for r in results):
            await asyncio.to_thread(self.alerts.queue_new, now)
        return results

    async def poll_feed(self, feed: Feed, now: datetime, rules: TagRules) -> PollResult:
        """Poll one feed; never raises for a bad source (the error is recorded on the feed)."""
        result = PollResult(feed.id, feed.name, "unchanged")
        started = time.monotonic()
        try:
            if feed.kind == "reliefweb" and not self.reliefweb_appname:
                result.outcome, result.error = "skipped", "GCMBOT_RELIEFWEB_APPNAME is not set: the ReliefWeb API needs a pre-approved appname"
                await asyncio.to_thread(self._record, feed.id, now, result, fetched=None, content_hash=None)
                return result
            fetched = await self._get(
                reliefweb_url(feed.url, self.reliefweb_appname) if feed.kind == "reliefweb" else feed.url,  # type: ignore[arg-type]
                feed.etag, feed.last_modified,
            )
            if fetched.status == 304:
                result.outcome = "not-modified"
                await asyncio.to_thread(self._record, feed.id, now, result, fetched=fetched, content_hash=feed.body_hash)
                return result
            # Servers that ignore conditional headers: an unchanged body costs no parsing either.
            # (The ReliefWeb API's answers carry timings, so there the data itself is hashed.)
            parsed = parse_reliefweb(fetched.body) if feed.kind == "reliefweb" else None
            content_hash = parsed.content_hash if parsed else hashlib.sha256(fetched.body).hexdigest()
            if content_hash == feed.body_hash:
                result.outcome = "not-modified"
                await asyncio.to_thread(self._record, feed.id, now, result, fetched=fetched, content_hash=content_hash)
                return result
            if parsed is None:  # parsing is CPU work: off the event loop, so the bot keeps answering
                parsed = await asyncio.to_thread(parse_feed, fetched.body, fetched.headers, fetched.url)
            if parsed.problem:
                result.problem = parsed.problem
                log.warning("feed %s is not well-formed but usable (%d items): %s", feed.id, len(parsed.items), parsed.problem)
            items = list(parsed.items)
            if feed.kind == "reliefweb":
                items += await self._more_pages(feed.id, parsed)
            await asyncio.to_thread(self._store, feed, items, now, rules, result)  # database work: off the event loop
            await asyncio.to_thread(self._record, feed.id, now, result, fetched=fetched, content_hash=content_hash)
        except FeedError as exc:
            result.outcome, result.error = "error", str(exc)
            await asyncio.to_thread(self._record, feed.id, now, result, fetched=None, content_hash=None)
        except Exception as exc:  # a bug or a database hiccup must not stop the other feeds
            log.exception("feed %s: unexpected error", feed.id)
            result.outcome, result.error = "error", f"internal error: {type(exc).__name__}"
            try:
                await asyncio.to_thread(self._record, feed.id, now, result, fetched=None, content_hash=None)
            except Exception:
                log.exception("feed %s: could not record the error", feed.id)
        log.info(
            "feed %s: %s, %d new, %d updated in %.2fs%s", feed.id, result.outcome, len(result.new), result.updated,
            time.monotonic() - started, f" ({result.error})" if result.error else "",
        )
        return result

    async def _more_pages(self, feed_id: str, parsed: Parsed) -> list[ParsedItem]:
        """Follow `links.next` while every item on the page is new (a first poll or a busy day)."""
        more: list[ParsedItem] = []
        page, pages = parsed, 1
        while page.next_url and pages < RELIEFWEB_MAX_PAGES:
            with self.db.session() as s:
                if store.items_by_key(s, feed_id, [i.key for i in page.items]):
                    break
            page = parse_reliefweb((await self._get(page.next_url)).body)
            more += page.items
            pages += 1
        return more

    def _store(self, feed: Feed, items: list[ParsedItem], now: datetime, rules: TagRules, result: PollResult) -> None:
        with self.db.session() as s:
            stored = store.items_by_key(s, feed.id, [i.key for i in items])
            baseline = not stored and not store.has_items(s, feed.id)
            decision = decide(items, {k: Known(r.id, r.title, r.link, r.summary) for k, r in stored.items()})  # type: ignore[arg-type]
            by_id = {r.id: r for r in stored.values()}
            for item_id, item in decision.updated:
                row = by_id[item_id]
                row.title, row.summary = item.title, item.summary
                row.link = item.link or row.link
                s.add(row)
            rows = []
            oldest_first = sorted(decision.new, key=lambda i: i.published_at or now)
            for item in oldest_first:
                topics, regions = rules.tag(item, feed_topics=feed.topics, feed_regions=feed.regions)
                rows.append(
                    FeedItem(
                        feed_id=feed.id, key=item.key, title=item.title, link=item.link, summary=item.summary,
                        published_at=item.published_at, first_seen_at=now, topics=topics, regions=regions,
                        alerted=not alertable(item.published_at, now, baseline=baseline),
                    )
                )
            store.add_items(s, rows)
            result.new = [NewItem(r.id, r.title, r.link, r.published_at, tuple(r.topics), tuple(r.regions)) for r in rows]  # type: ignore[arg-type]
            result.updated = len(decision.updated)
            result.outcome = "new" if rows else "unchanged"

    def _notice(self, notice: FeedNotice, lang: str) -> str:
        assert self.notices is not None  # checked in __init__ whenever there are admins
        return self.notices(notice, lang)

    def _record(self, feed_id: str, now: datetime, result: PollResult, *, fetched: Fetched | None, content_hash: str | None) -> None:
        """Save the poll's outcome on the feed: state, schedule, flagging (admins told once)."""
        with self.db.session() as s:
            feed = store.get_feed(s, feed_id)
            if feed is None:
                return
            feed.last_polled_at = now
            messages = []
            if result.outcome == "skipped":
                feed.last_error = result.error
                feed.next_poll_at = next_poll_at(now, feed.interval_minutes, 0, self.rand())
            elif result.outcome == "error":
                feed.consecutive_failures += 1
                feed.last_error = result.error
                feed.next_poll_at = next_poll_at(now, feed.interval_minutes, feed.consecutive_failures, self.rand())
                if feed.consecutive_failures >= FAILURES_BEFORE_FLAG and not feed.flagged:
                    feed.flagged = result.flagged = True
                    since = feed.last_success_at.isoformat() if feed.last_success_at else "never"
                    messages = [
                        Outgoing(a, "admin", f"feedflag:{feed.id}:{since}:{a}",
                                 self._notice(FeedNotice(feed.name, failures=feed.consecutive_failures, error=feed.last_error), _admin_language(s, a)))
                        for a in self.admin_ids
                    ]
                    log.warning("feed %s flagged after %d failures: %s", feed.id, feed.consecutive_failures, feed.last_error)
            else:
                if feed.flagged:
                    since = feed.last_success_at.isoformat() if feed.last_success_at else "never"
                    messages = [
                        Outgoing(a, "admin", f"feedok:{feed.id}:{since}:{a}", self._notice(FeedNotice(feed.name, recovered=True), _admin_language(s, a)))
                        for a in self.admin_ids
                    ]
                    feed.flagged, result.recovered = False, True
                    log.info("feed %s recovered", feed.id)
                feed.consecutive_failures = 0
                feed.last_error = result.problem and f"usable, but: {result.problem}"
                feed.last_success_at = now
                feed.next_poll_at = next_poll_at(now, feed.interval_minutes, 0, self.rand())
                if fetched is not None:
                    feed.etag = fetched.etag or (feed.etag if fetched.status == 304 else None)
                    feed.last_modified = fetched.last_modified or (feed.last_modified if fetched.status == 304 else None)
                feed.body_hash = content_hash
            store.save_feed(s, feed)
            if messages:
                enqueue(s, messages)

    async def try_url(self, url: str, kind: str = "rss") -> list[ParsedItem]:
        """Fetch and parse a source without storing anything. Raises FeedError with a one-line reason."""
        if kind == "reliefweb":
            if not self.reliefweb_appname:
                raise FeedError("GCMBOT_RELIEFWEB_APPNAME is not set: the ReliefWeb API needs a pre-approved appname")
            url = reliefweb_url(url, self.reliefweb_appname)
        fetched = await self._get(url)
        if kind == "reliefweb":
            items = parse_reliefweb(fetched.body).items
        else:
            items = parse_feed(fetched.body, fetched.headers, fetched.url).items
        return decide(items, {}).new  # what a first poll would store: a repeated guid once
