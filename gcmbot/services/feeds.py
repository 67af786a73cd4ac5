"""Polling UN / IOM feeds, split the way lemon24/reader separates parsing from updating:

- `feed_fetch`    HTTP (httpx): conditional GET, time limit, size cap        (I/O)
- `feed_parse`    bytes → typed `ParsedItem`s (feedparser, ReliefWeb API)    (pure)
- `feed_tagging`  topics and regions from content/'s keyword rules           (pure)
- `feed_decide`   `diff_items` (new / updated / unchanged) and
                  `decide(state, outcome, now) -> FeedUpdate` (schedule, backoff, flagging)  (pure)
- this module     the `Feeds` service: for each due feed, fetch → parse → decide → write
                  (store/feeds.py), off the event loop where it touches the database; it decides nothing itself.

Knows nothing of Telegram.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

import httpx

from gcmbot.models import Feed, FeedItem, utcnow
from gcmbot.services.feed_decide import FeedState, Known, PollOutcome, alertable, decide, diff_items
from gcmbot.services.feed_fetch import CONCURRENCY, CONNECT_TIMEOUT, MAX_BYTES, TOTAL_TIMEOUT, Fetched, fetch, new_client
from gcmbot.services.feed_parse import FeedError, Parsed, ParsedItem, parse_feed, parse_reliefweb, reliefweb_url
from gcmbot.services.feed_tagging import TagRules
from gcmbot.store import Database
from gcmbot.store import content as content_store
from gcmbot.store import feeds as store
from gcmbot.store import subscribers as subscriber_store
from gcmbot.store.outbox import Outgoing, enqueue

__all__ = ["FeedError", "FeedStatus", "Feeds", "NewItem", "ParsedItem", "PollResult", "TagRules"]

log = logging.getLogger(__name__)

RELIEFWEB_MAX_PAGES = 3


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


def feed_state(feed: Feed) -> FeedState:
    """What `decide` needs of a stored feed."""
    return FeedState(
        interval_minutes=feed.interval_minutes, consecutive_failures=feed.consecutive_failures, flagged=feed.flagged,
        last_success_at=feed.last_success_at, etag=feed.etag, last_modified=feed.last_modified, body_hash=feed.body_hash,
    )


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
            decision = diff_items(items, {k: Known(r.id, r.title, r.link, r.summary) for k, r in stored.items()})  # type: ignore[arg-type]
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
        outcome = PollOutcome(
            result.outcome, error=result.error, problem=result.problem, content_hash=content_hash,
            status=fetched.status if fetched else None, etag=fetched.etag if fetched else None,
            last_modified=fetched.last_modified if fetched else None,
        )
        with self.db.session() as s:
            feed = store.get_feed(s, feed_id)
            if feed is None:
                return
            update = decide(feed_state(feed), outcome, now, self.rand())
            store.update_feed(s, feed, update.columns())
            since = update.since.isoformat() if update.since else "never"
            messages = []
            if update.notify == "flagged":
                result.flagged = True
                notice = FeedNotice(feed.name, failures=update.consecutive_failures, error=update.last_error)
                messages = [
                    Outgoing(a, "admin", f"feedflag:{feed.id}:{since}:{a}", self._notice(notice, _admin_language(s, a)))
                    for a in self.admin_ids
                ]
                log.warning("feed %s flagged after %d failures: %s", feed.id, update.consecutive_failures, update.last_error)
            elif update.notify == "recovered":
                result.recovered = True
                messages = [
                    Outgoing(a, "admin", f"feedok:{feed.id}:{since}:{a}", self._notice(FeedNotice(feed.name, recovered=True), _admin_language(s, a)))
                    for a in self.admin_ids
                ]
                log.info("feed %s recovered", feed.id)
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
        return diff_items(items, {}).new  # what a first poll would store: a repeated guid once
