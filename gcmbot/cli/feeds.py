"""`gcmbot feeds poll --once`, `gcmbot feeds list`, `gcmbot feeds try URL`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time

from gcmbot.app import build_services
from gcmbot.config import load_settings
from gcmbot.content import ContentError, load_content
from gcmbot.services.feeds import Feeds, FeedError, ParsedItem, PollResult, TagRules

log = logging.getLogger(__name__)


def add_commands(sub: argparse._SubParsersAction) -> None:
    feeds = sub.add_parser("feeds", help="the UN/IOM feeds the bot polls").add_subparsers(dest="feeds_command", metavar="ACTION", required=True)
    p = feeds.add_parser("poll", help="poll feeds, store new items and queue alerts")
    p.add_argument("--once", action="store_true", help="poll every enabled feed once, print what was new, and exit")
    p.set_defaults(func=cmd_poll)
    feeds.add_parser("list", help="every feed with its state").set_defaults(func=cmd_list)
    p = feeds.add_parser("try", help="fetch and parse a feed without storing anything")
    p.add_argument("url")
    p.add_argument("--kind", choices=("rss", "atom", "reliefweb"), default="rss", help="rss and atom are the same parser (default rss)")
    p.set_defaults(func=cmd_try)


def _print_results(results: list[PollResult]) -> None:
    for r in results:
        line = f"{r.feed_id}: {r.outcome}"
        if r.new:
            line += f", {len(r.new)} new"
        if r.updated:
            line += f", {r.updated} updated"
        if r.error:
            line += f" — {r.error}"
        if r.flagged:
            line += " (flagged; admins told)"
        if r.recovered:
            line += " (recovered; admins told)"
        print(line)
        for item in r.new:
            print(f"  + {item.title}" + (f"  <{item.link}>" if item.link else ""))


def cmd_poll(args: argparse.Namespace) -> int:
    services = build_services(load_settings())
    services.db.upgrade(services.settings.migrations_dir)
    if services.settings.token:  # alerts end with a start link to the bot (its username from getMe)
        from gcmbot.bot.transport import fetch_username

        services.set_bot_username(asyncio.run(fetch_username(services.settings)))

    async def once() -> list[PollResult]:
        try:
            return await services.feeds.poll_all()
        finally:
            await services.feeds.aclose()

    async def forever() -> None:
        try:
            while True:
                _print_results(await services.feeds.poll_due())
                await asyncio.sleep(60)
        finally:
            await services.feeds.aclose()

    try:
        if not args.once:
            asyncio.run(forever())
            return 0
        results = asyncio.run(once())
    finally:
        services.close()
    if not results:
        print("no enabled feeds (content/feeds.yaml; run gcmbot content load)")
    _print_results(results)
    return 1 if results and all(r.outcome == "error" for r in results) else 0


def cmd_list(args: argparse.Namespace) -> int:
    services = build_services(load_settings())
    services.db.upgrade(services.settings.migrations_dir)
    try:
        feeds = services.feeds.status()
    finally:
        services.close()
    if not feeds:
        print("no feeds: add them to content/feeds.yaml and run gcmbot content load")
    for f in feeds:
        state = "FLAGGED" if f.flagged else "retired" if f.retired else "on" if f.enabled else "off"
        success = f"{f.last_success_at:%Y-%m-%d %H:%M}" if f.last_success_at else "never"
        print(f"{f.id}  [{state}] {f.kind}  {f.items} items  last success: {success}  {f.url}")
        if f.last_error:
            print(f"    last error: {f.last_error}" + (f" ({f.consecutive_failures}x in a row)" if f.consecutive_failures else ""))
    return 0


def _rules(settings) -> TagRules:
    try:
        content = load_content(settings.content_dir)
    except ContentError:
        return TagRules()
    return TagRules.build(
        [(t.id, t.keywords) for t in content.topics], [(t.id, [t.name, *t.aliases]) for t in content.regions]
    )


def _print_item(item: ParsedItem, rules: TagRules) -> None:
    topics, regions = rules.tag(item)
    date = f"{item.published_at:%Y-%m-%d}" if item.published_at else "no date"
    print(f"- {item.title}")
    print(f"  {item.link or '(no usable link)'}")
    print(f"  {date} · key {item.key}" + (f" · regions: {', '.join(regions)}" if regions else "") + (f" · topics: {', '.join(topics)}" if topics else ""))


def cmd_try(args: argparse.Namespace) -> int:
    settings = load_settings()
    feeds = Feeds(None, reliefweb_appname=settings.reliefweb_appname)  # type: ignore[arg-type]  # stores nothing

    async def go() -> list[ParsedItem]:
        try:
            return await feeds.try_url(args.url, args.kind)
        finally:
            await feeds.aclose()

    started = time.monotonic()
    try:
        items = asyncio.run(go())
    except FeedError as exc:
        print(f"gcmbot: {args.url}: {exc}", file=sys.stderr)
        return 1
    rules = _rules(settings)
    for item in items:
        _print_item(item, rules)
    print(f"{len(items)} items in {time.monotonic() - started:.2f}s")
    return 0
