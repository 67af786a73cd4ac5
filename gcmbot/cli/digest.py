"""`gcmbot digest preview …` and `gcmbot digest send-due`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date, datetime, time, timezone

from gcmbot.app import Services, build_services, load_content_into_db
from gcmbot.config import load_settings
from gcmbot.content import ContentError
from gcmbot.i18n import LANGUAGES
from gcmbot.render.digest import render_digest_view
from gcmbot.render.markup import html_to_text
from gcmbot.services.digest_select import zone
from gcmbot.services.subscriptions import Segment


class UsageError(Exception):
    """Bad flags: one line for the operator, exit 2."""


def add_commands(sub: argparse._SubParsersAction) -> None:
    digest = sub.add_parser("digest", help="weekly digests and reminders").add_subparsers(dest="digest_command", metavar="ACTION", required=True)

    p = digest.add_parser("preview", help="print the digest of a subscriber or of a segment (no flags: everything)")
    p.add_argument("--chat-id", type=int, help="the digest this subscriber would get")
    p.add_argument("--region", action="append", default=[], help="region id (repeatable or comma-separated)")
    p.add_argument("--constituency", action="append", default=[], help="constituency id (repeatable or comma-separated)")
    p.add_argument("--topic", action="append", default=[], help="topic id (repeatable or comma-separated)")
    p.add_argument("--as-of", help="preview as on this day, YYYY-MM-DD (default: today)")
    p.add_argument("--html", action="store_true", help="print the Telegram HTML instead of plain text")
    p.add_argument("--lang", choices=LANGUAGES, default=None, help="language of a segment preview (default: en; --chat-id uses the subscriber's)")
    p.set_defaults(func=cmd_preview)

    p = digest.add_parser("send-due", help="run one scheduling tick: queue due digests and reminders, then deliver them")
    p.add_argument("--now", help="pretend it is this moment (ISO 8601, e.g. 2026-11-23T09:00Z; default: now)")
    p.add_argument("--no-deliver", action="store_true", help="only queue; leave sending to the running bot")
    p.set_defaults(func=cmd_send_due)


def _fail(message: str) -> int:
    print(f"gcmbot: {message}", file=sys.stderr)
    return 2


def _services() -> Services:
    services = build_services(load_settings())
    services.db.upgrade(services.settings.migrations_dir)
    if not services.subscriptions.options("region"):  # a fresh database: bring in the shipped content
        try:
            load_content_into_db(services)
        except ContentError as exc:
            print(exc, file=sys.stderr)
    return services


def _values(raw: list[str]) -> frozenset[str] | None:
    values = {v.strip() for item in raw for v in item.split(",") if v.strip()}
    return frozenset(values) if values else None


def _parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"--as-of: {text!r} is not a date; write YYYY-MM-DD, e.g. 2017-05-01") from None


def _parse_moment(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--now: {text!r} is not a moment; write e.g. 2026-11-23T09:00Z") from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def cmd_preview(args: argparse.Namespace) -> int:
    try:
        as_of = _parse_day(args.as_of) if args.as_of else None
        segment = Segment(_values(args.region), _values(args.constituency), _values(args.topic))
        if args.chat_id is not None and (segment.regions or segment.constituencies or segment.topics):
            raise UsageError("--chat-id previews that subscriber's own choices; leave out --region/--constituency/--topic")
        services = _services()
        try:
            texts = _preview(services, args.chat_id, segment, as_of, args.lang)
        finally:
            services.close()
    except UsageError as exc:
        return _fail(str(exc))
    for i, text in enumerate(texts, 1):
        if len(texts) > 1:
            print(f"──── message {i} of {len(texts)} ────")
        print(text if args.html else html_to_text(text))
        print()
    return 0


def _preview(services: Services, chat_id: int | None, segment: Segment, as_of: date | None, lang: str | None = None) -> list[str]:
    digest = services.digest
    if chat_id is not None:
        sub = services.subscriptions.get(chat_id)
        if sub is None:
            raise UsageError(f"--chat-id: no subscriber with chat id {chat_id}")
        now = _noon(as_of, sub.timezone) if as_of else datetime.now(timezone.utc)
        since = None if as_of else digest.since_for(chat_id, now)
        return render_digest_view(digest.preview_segment(sub.segment, now, tz=sub.timezone, language=lang or sub.language, since=since))
    for kind in ("region", "constituency", "topic"):
        chosen = segment.get(kind)
        if chosen:
            known = {vid for vid, _ in services.subscriptions.options(kind)}
            unknown = sorted(chosen - known)
            if unknown:
                raise UsageError(f"--{kind}: unknown id {unknown[0]!r}; known: {', '.join(sorted(known))}")
    now = _noon(as_of, "UTC") if as_of else datetime.now(timezone.utc)
    return render_digest_view(digest.preview_segment(segment, now, language=lang or "en"))


def _noon(day: date, tz: str) -> datetime:
    """Mid-day on `day` in the timezone: "as it would be on that day"."""
    return datetime.combine(day, time(12), tzinfo=zone(tz)).astimezone(timezone.utc)


def cmd_send_due(args: argparse.Namespace) -> int:
    try:
        now = _parse_moment(args.now) if args.now else datetime.now(timezone.utc)
    except UsageError as exc:
        return _fail(str(exc))
    settings = load_settings()
    if not args.no_deliver:
        settings.require_token()
    services = _services()
    try:
        if not args.no_deliver:
            from gcmbot.bot.transport import fetch_username

            services.set_bot_username(asyncio.run(fetch_username(settings)))
        report = services.digest.send_due(now)
        print(report)
        if not args.no_deliver:
            stats = asyncio.run(_deliver(services))
            print(f"delivered: {stats['sent']} sent, {stats['failed']} failed, {stats['skipped']} skipped, {stats['retried']} to retry")
    finally:
        services.close()
    return 0


async def _deliver(services: Services) -> dict[str, int]:
    from gcmbot.bot.transport import delivery_worker, make_bot

    async with make_bot(services.settings, db=services.db) as bot:
        worker = delivery_worker(services, bot)
        worker.recover()
        await worker.drain()
        return worker.stats
