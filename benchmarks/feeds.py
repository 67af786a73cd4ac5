"""How long does polling take? 50 feeds × 200 items served from this machine.

    python benchmarks/feeds.py [--feeds 50] [--items 200] [--database-url URL]

Serves N RSS feeds from a local ThreadingHTTPServer (with ETag / 304 support),
syncs them into a fresh database (a SQLite temp file by default; a PostgreSQL
URL has its tables dropped and recreated) and prints:
- the first poll (fetch + parse + dedup + tag + store every item),
- the second poll (every server answers 304: no parsing),
- a poll where the servers ignore conditional headers (the body hash skips parsing),
- parsing alone, in items per second.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import logging
import tempfile
import threading
import time
from dataclasses import replace
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


from gcmbot.content import load_content
from gcmbot.content.loader import FeedSpec
from gcmbot.services.feed_parse import parse_feed
from gcmbot.services.feeds import Feeds
from gcmbot.store import Database
from gcmbot.store.content import sync_content

ROOT = Path(__file__).resolve().parent.parent
WORDS = "migrants refugees Libya Europe Kenya detention children labour migration return human rights borders Mexico Asia".split()


def make_feed(n: int, items: int) -> bytes:
    start = datetime(2024, 5, 1, tzinfo=timezone.utc)
    entries = []
    for i in range(items):
        words = " ".join(WORDS[(i + n + k) % len(WORDS)] for k in range(6))
        entries.append(
            f"<item><title>Feed {n} story {i}: {words}</title><link>https://example.org/{n}/story/{i}</link>"
            f"<guid isPermaLink=\"false\">feed{n}-{i}</guid><pubDate>{format_datetime(start + timedelta(minutes=i))}</pubDate>"
            f"<description>&lt;p&gt;About {words} &amp;amp; more.&lt;/p&gt;</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Feed</title>'
        f"<link>https://example.org/{n}</link><description>bench</description>{''.join(entries)}</channel></rss>"
    ).encode()


class Handler(BaseHTTPRequestHandler):
    feeds: dict[str, bytes] = {}
    honour_conditional = True

    def do_GET(self) -> None:  # noqa: N802
        body = self.feeds.get(self.path)
        if body is None:
            self.send_error(404)
            return
        etag = '"' + hashlib.md5(body).hexdigest() + '"'
        if self.honour_conditional and self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(body)))
        if self.honour_conditional:
            self.send_header("ETag", etag)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def fresh_db(url: str | None) -> Database:
    db = Database(url or f"sqlite:///{tempfile.mkdtemp()}/bench.db")
    db.wipe()
    db.upgrade(ROOT / "migrations")
    return db


async def timed_poll(feeds: Feeds, now: datetime) -> tuple[float, int, dict[str, int]]:
    started = time.perf_counter()
    results = await feeds.poll_all(now)
    elapsed = time.perf_counter() - started
    outcomes: dict[str, int] = {}
    for r in results:
        outcomes[r.outcome] = outcomes.get(r.outcome, 0) + 1
    return elapsed, sum(len(r.new) for r in results), outcomes


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--feeds", type=int, default=50)
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    Handler.feeds = {f"/feed/{n}.xml": make_feed(n, args.items) for n in range(args.feeds)}
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"

    db = fresh_db(args.database_url)
    content = load_content(ROOT / "content")
    specs = [FeedSpec(id=f"bench-{n}", name=f"Bench {n}", url=f"{base}/feed/{n}.xml") for n in range(args.feeds)]
    with db.session() as s:
        sync_content(s, replace(content, feeds=specs))
    feeds = Feeds(db)
    now = datetime.now(timezone.utc)
    size = sum(map(len, Handler.feeds.values()))
    print(f"{args.feeds} feeds × {args.items} items ({size / 1e6:.1f} MB) on {db.engine.dialect.name}")

    async def run() -> None:
        elapsed, new, outcomes = await timed_poll(feeds, now)
        print(f"first poll:  {elapsed:6.2f} s  {new} new items stored  {outcomes}  ({new / elapsed:,.0f} items/s end to end)")
        elapsed, new, outcomes = await timed_poll(feeds, now + timedelta(minutes=30))
        print(f"second poll: {elapsed:6.2f} s  {new} new  {outcomes}  (all 304)")
        Handler.honour_conditional = False
        with db.session() as s:  # forget the validators: only the body hash is left
            from gcmbot.models import Feed

            for f in s.exec(__import__("sqlmodel").select(Feed)):
                f.etag = f.last_modified = None
                s.add(f)
        elapsed, new, outcomes = await timed_poll(feeds, now + timedelta(minutes=60))
        print(f"third poll:  {elapsed:6.2f} s  {new} new  {outcomes}  (server ignores conditional GET; body hash)")
        await feeds.aclose()

    asyncio.run(run())

    body = Handler.feeds["/feed/0.xml"]
    rounds = 10
    started = time.perf_counter()
    for _ in range(rounds):
        parse_feed(body, {"content-type": "application/rss+xml"}, f"{base}/feed/0.xml")
    elapsed = time.perf_counter() - started
    print(f"parsing:     {rounds * args.items / elapsed:,.0f} items/s (feedparser + cleaning, one {len(body) // 1024} KB feed × {rounds})")
    server.shutdown()
    db.dispose()


if __name__ == "__main__":
    main()
