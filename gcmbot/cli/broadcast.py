"""`gcmbot broadcast …`: queue an admin broadcast, follow it, or deliver it from here.

    gcmbot broadcast --region africa --constituency trade-unions --text-file alert.html [--attach FILE] [--pin] [--yes] [--send]
    gcmbot broadcast status [ID]
    gcmbot broadcast send ID          # deliver (or finish delivering) a queued broadcast from here
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import mimetypes
import sys
import time
from pathlib import Path

from gcmbot.app import build_services
from gcmbot.config import load_settings
from gcmbot.render import broadcast as broadcast_texts
from gcmbot.render.broadcast import describe_segment
from gcmbot.services.broadcast import CLI_ACTOR, Attachment, EmptySegment, InvalidChoice, InvalidHTML

PROGRESS_EVERY = 5.0  # seconds between two progress lines of --send


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "broadcast",
        help="send an admin message to a segment of subscribers; `broadcast status [ID]` follows it",
        description="Queue a broadcast (HTML) to every active subscriber of a segment. With no segment flags it goes to "
        "every active subscriber. The running bot delivers it within seconds; --send delivers it from here.",
    )
    p.add_argument("action", nargs="?", choices=["status", "send"], help="status: show broadcasts; send ID: deliver a queued broadcast from here")
    p.add_argument("id", nargs="?", type=int, help="broadcast id (for status / send)")
    p.add_argument("--region", action="append", default=[], metavar="ID", help="region id(s); repeat or comma-separate")
    p.add_argument("--constituency", action="append", default=[], metavar="ID", help="constituency id(s); repeat or comma-separate")
    p.add_argument("--topic", action="append", default=[], metavar="ID", help="topic id(s); repeat or comma-separate")
    p.add_argument("--text-file", type=Path, metavar="FILE", help="the message, in Telegram HTML (the caption with --attach)")
    p.add_argument("--attach", type=Path, metavar="FILE",
                   help="one document (e.g. a PDF, up to 50 MB) or photo (.jpg/.png, up to 10 MB), uploaded once and sent by file_id")
    p.add_argument("--pin", action="store_true", help="pin it in groups where the bot may pin messages")
    p.add_argument("--at", metavar="WHEN", help='send it later: "2026-12-10 14:00", "tomorrow 9:00", "friday 10:00", "in 2 hours" '
                   "(in GCMBOT_TIMEZONE)")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.add_argument("--send", action="store_true", help="deliver it from this process (when no bot is running), printing progress")
    p.set_defaults(func=cmd_broadcast)


def _ids(values: list[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _fail(message: str) -> int:
    print(f"gcmbot: {message}", file=sys.stderr)
    return 2


def cmd_broadcast(args: argparse.Namespace) -> int:
    if args.action == "status":
        return _status(args.id)
    if args.action == "send":
        if args.id is None:
            return _fail("broadcast send needs the broadcast id, e.g. gcmbot broadcast send 3")
        return _deliver(args.id)
    if args.id is not None:
        return _fail(f"unexpected argument {args.id}: did you mean gcmbot broadcast status {args.id}?")
    if args.text_file is None and args.attach is None:
        return _fail("--text-file FILE is required (the message in Telegram HTML)")
    try:
        text = args.text_file.read_text(encoding="utf-8") if args.text_file else ""
    except (OSError, UnicodeDecodeError) as exc:
        return _fail(f"cannot read {args.text_file}: {exc}")
    text = text.strip()
    settings = load_settings()
    scheduled_at = None
    if args.at:
        from datetime import datetime, timezone

        from gcmbot.render.when import describe
        from gcmbot.services.scheduling import BadTime, parse_when

        now = datetime.now(timezone.utc)
        try:
            scheduled_at = parse_when(args.at, settings.timezone, now)
        except BadTime as exc:
            return _fail(f"--at {args.at!r}: {exc}")
        when_words = describe(scheduled_at, settings.timezone, now)
    attachment = None
    if args.attach is not None:
        try:
            data = args.attach.read_bytes()
        except OSError as exc:
            return _fail(f"cannot read {args.attach}: {exc}")
        mime = mimetypes.guess_type(args.attach.name)[0]
        kind = "photo" if args.attach.suffix.lower() in (".jpg", ".jpeg", ".png") else "document"
        attachment = Attachment(kind, args.attach.name, None, data, mime)

    services = build_services(settings)
    try:
        broadcasts = services.broadcasts
        try:
            segment = broadcasts.segment(regions=_ids(args.region), constituencies=_ids(args.constituency), topics=_ids(args.topic))
            text, count = broadcasts.preview(text, segment, caption=attachment is not None)
            if attachment is not None:
                broadcasts.check_attachment(attachment)
        except InvalidChoice as exc:
            return _fail(str(exc))
        except InvalidHTML as exc:
            return _fail(f"{args.text_file}: {exc}")
        except ValueError as exc:
            return _fail(str(exc))
        if count == 0:
            return _fail(f"no active subscriber matches this segment ({describe_segment(broadcasts.names(segment))}); nothing queued")
        if not args.yes:
            print("----- preview (Telegram HTML, exactly as it will be sent) -----")
            print(text)
            print("----------------------------------------------------------------")
            if attachment is not None:
                print(f"With {attachment.kind}: {attachment.file_name} ({len(attachment.data or b'')} bytes)")
            if args.pin:
                print("Pinned in groups where the bot may pin")
            if scheduled_at is not None:
                print(f"Goes out: {when_words}")
            print(f"To: {describe_segment(broadcasts.names(segment))}")
            print(f"Recipients: {count}")
            try:
                answer = input("Queue this broadcast? [y/N] ")
            except EOFError:
                answer = ""
            if answer.strip().lower() not in ("y", "yes"):
                print("cancelled; nothing queued")
                return 1
        try:
            user = getpass.getuser()
        except Exception:  # noqa: BLE001 - no user name is fine
            user = "unknown"
        try:
            broadcast_id = broadcasts.enqueue(
                CLI_ACTOR, text, segment, scheduled_at, via=f"cli:{user}", attachment=attachment, pin_in_groups=args.pin
            )
        except EmptySegment as exc:
            return _fail(f"{exc}; nothing queued")
        [st] = broadcasts.status(broadcast_id)
        print(f"broadcast #{broadcast_id} queued for {st.recipients} recipient(s)" + (f", to go out {when_words}" if scheduled_at else ""))
    finally:
        services.close()
    if args.send:
        return _deliver(broadcast_id)
    print(f"the running bot delivers it; follow it with: gcmbot broadcast status {broadcast_id}")
    return 0


def _status(broadcast_id: int | None) -> int:
    services = build_services(load_settings())
    try:
        found = services.broadcasts.status(broadcast_id)
        if broadcast_id is not None and not found:
            return _fail(f"no broadcast #{broadcast_id}")
        if not found:
            print("no broadcasts yet")
        for i, st in enumerate(found):
            if i:
                print()
            print(broadcast_texts.status(st, services.broadcasts.names(st.segment), html=False))
        return 0
    finally:
        services.close()


def _deliver(broadcast_id: int) -> int:
    """Run a delivery worker here until the broadcast is done, printing progress."""
    from gcmbot.bot.transport import delivery_worker, make_bot

    settings = load_settings()
    settings.require_token()
    services = build_services(settings)
    try:
        if not services.broadcasts.status(broadcast_id):
            return _fail(f"no broadcast #{broadcast_id}")
        return asyncio.run(_deliver_async(services, make_bot(settings, db=services.db), broadcast_id, delivery_worker))
    finally:
        services.close()


async def _deliver_async(services, bot, broadcast_id: int, make_worker) -> int:
    broadcasts = services.broadcasts
    async with bot:
        worker = make_worker(services, bot)
        worker.recover()
        last_print = 0.0
        while True:
            handled = await worker.run_once()
            worker.maintain()
            [st] = broadcasts.status(broadcast_id)
            if st.status == "done" or time.monotonic() - last_print >= PROGRESS_EVERY:
                last_print = time.monotonic()
                rate = f", {st.rate:.1f} msg/s" if st.rate else ""
                print(f"#{broadcast_id}: sent {st.sent} / pending {st.pending} / failed {st.failed} / skipped {st.skipped} of {st.recipients}{rate}", flush=True)
            if st.status == "done":
                break
            if not handled:
                await asyncio.sleep(0.5)
    print(broadcast_texts.status(st, broadcasts.names(st.segment), html=False))
    return 0
