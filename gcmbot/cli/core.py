"""`gcmbot run`, `gcmbot db …`, `gcmbot content …`."""

from __future__ import annotations

import argparse
import sys
from datetime import date

from gcmbot.app import build_services, load_content_into_db, prepare
from gcmbot.config import load_settings
from gcmbot.content import ContentError
from gcmbot.content.loader import check_content, errors


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="start the bot (long polling, or webhook mode when GCMBOT_WEBHOOK_URL is set)")
    p.set_defaults(func=cmd_run)

    db = sub.add_parser("db", help="database schema").add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db.add_parser("upgrade", help="apply pending migrations").set_defaults(func=cmd_db_upgrade)

    content = sub.add_parser("content", help="the curated content in content/").add_subparsers(dest="content_command", metavar="ACTION", required=True)
    p = content.add_parser("check", help="validate content files; print file:line: message for each problem")
    p.add_argument("--dir", help="content folder (default: GCMBOT_CONTENT_DIR or the shipped content/)")
    p.add_argument("--strict", action="store_true", help="treat warnings (a stale record, missing translations) as errors")
    p.add_argument("--today", type=_day, help="check the record as of this day, YYYY-MM-DD (default: today)")
    p.set_defaults(func=cmd_content_check)
    content.add_parser("load", help="validate and sync content into the database").set_defaults(func=cmd_content_load)


def cmd_run(args: argparse.Namespace) -> int:
    from gcmbot.bot.serve import serve

    settings = load_settings()
    settings.require_token()
    if settings.webhook_url:
        settings.require_webhook()  # a missing secret is reported before anything starts
    services = build_services(settings)
    prepare(services)
    try:
        serve(services)
    finally:
        services.close()
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    services = build_services(load_settings())
    services.db.upgrade(services.settings.migrations_dir)
    print(f"database at revision {services.db.current_revision()}")
    return 0


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a day: write YYYY-MM-DD") from None


def cmd_content_check(args: argparse.Namespace) -> int:
    directory = args.dir or load_settings().content_dir
    content, problems = check_content(directory, today=args.today or date.today())
    for problem in problems:
        print(problem)
    failing = problems if args.strict else errors(problems)
    warnings = len(problems) - len(errors(problems))
    if failing:
        print(f"{len(failing)} problem(s) in {directory}" + (" (warnings count: --strict)" if args.strict and warnings else ""), file=sys.stderr)
        return 1
    if warnings:
        print(f"{warnings} warning(s): the content loads, but an editor should look at them", file=sys.stderr)
    print(
        f"content OK: {len(content.events)} events, {len(content.faq)} FAQ entries, {len(content.statements)} statements, "
        f"{len(content.feeds)} feeds, {len(content.regions)} regions, {len(content.constituencies)} constituencies, "
        f"{len(content.topics)} topics"
    )
    return 0


def cmd_content_load(args: argparse.Namespace) -> int:
    services = build_services(load_settings())
    services.db.upgrade(services.settings.migrations_dir)
    try:
        report = load_content_into_db(services)
    except ContentError as exc:
        print(exc)
        print("nothing loaded: fix the problems above first", file=sys.stderr)
        return 1
    print(report)
    return 0
