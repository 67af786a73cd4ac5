"""`gcmbot run`, `gcmbot db …`, `gcmbot content …`."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from gcmbot.app import build_services, load_content_into_db, prepare
from gcmbot.config import load_settings, require_dir
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
    p.add_argument("--strict", action="store_true", help="treat warnings (a stale record, missing es/fr/ar translations) as errors")
    p.add_argument("--today", type=_day, help="check the record as of this day, YYYY-MM-DD (default: today)")
    p.set_defaults(func=cmd_content_check)
    p = content.add_parser("coverage", help="translation coverage: a table of fields × languages")
    p.add_argument("--dir", help="content folder (default: GCMBOT_CONTENT_DIR or the shipped content/)")
    p.set_defaults(func=cmd_content_coverage)
    p = content.add_parser("load", help="validate and sync content into the database (keeps entries edited in the web console)")
    p.add_argument("--overwrite", action="store_true", help="also replace entries edited in the web console with the files' version")
    p.set_defaults(func=cmd_content_load)
    p = content.add_parser("export", help="write the database's content (with the web console's edits) as YAML files")
    p.add_argument("dir", help="folder to write events.yaml, faq.yaml, … into (created if needed)")
    p.set_defaults(func=cmd_content_export)


def cmd_run(args: argparse.Namespace) -> int:
    from gcmbot.bot.transport import serve

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
    directory = require_dir(Path(args.dir or load_settings().content_dir), "the content folder", "GCMBOT_CONTENT_DIR")
    content, problems = check_content(directory, today=args.today or date.today())
    for problem in problems:
        print(problem)
    for missing in content.missing:
        print(missing)
    failing = [*problems, *content.missing] if args.strict else errors(problems)
    warnings = len(problems) - len(errors(problems)) + len(content.missing)
    if failing:
        print(f"{len(failing)} problem(s) in {directory}" + (" (warnings count: --strict)" if args.strict and warnings else ""), file=sys.stderr)
        return 1
    if warnings:
        print(f"{warnings} warning(s): the content loads, but an editor should look at them"
              + (f" ({len(content.missing)} missing translations: see `gcmbot content coverage`)" if content.missing else ""), file=sys.stderr)
    print(
        f"content OK: {len(content.events)} events, {len(content.faq)} FAQ entries, {len(content.statements)} statements, "
        f"{len(content.feeds)} feeds, {len(content.regions)} regions, {len(content.constituencies)} constituencies, "
        f"{len(content.topics)} topics"
    )
    return 0


def coverage_table(content) -> str:
    """Fields × languages: translated / with English text, and the percentage."""
    from gcmbot.content.loader import TRANSLATED

    rows = [("field", "entries", *TRANSLATED)]
    totals = {lang: 0 for lang in TRANSLATED}
    total = 0
    for (file, name), counts in content.coverage.items():
        rows.append((f"{file.removesuffix('.yaml')}.{name}", str(counts["total"]),
                     *(f"{counts[lang]} ({_pct(counts[lang], counts['total'])})" for lang in TRANSLATED)))
        total += counts["total"]
        for lang in TRANSLATED:
            totals[lang] += counts[lang]
    rows.append(("all fields", str(total), *(f"{totals[lang]} ({_pct(totals[lang], total)})" for lang in TRANSLATED)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.insert(len(lines) - 1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _pct(part: int, whole: int) -> str:
    if not whole:
        return "100 %"
    value = 100 * part / whole
    return f"{int(value)} %" if part < whole else "100 %"  # never round 99.6 up to "100 %"


def cmd_content_coverage(args: argparse.Namespace) -> int:
    directory = args.dir or load_settings().content_dir
    content, problems = check_content(directory)
    for problem in errors(problems):
        print(problem, file=sys.stderr)
    print(coverage_table(content))
    return 1 if errors(problems) else 0


def cmd_content_load(args: argparse.Namespace) -> int:
    services = build_services(load_settings())
    services.db.upgrade(services.settings.migrations_dir)
    try:
        report = load_content_into_db(services, overwrite=getattr(args, "overwrite", False))
    except ContentError as exc:
        print(exc)
        print("nothing loaded: fix the problems above first", file=sys.stderr)
        return 1
    print(report)
    return 0


def cmd_content_export(args: argparse.Namespace) -> int:
    from pathlib import Path

    services = build_services(load_settings())
    try:
        services.db.upgrade(services.settings.migrations_dir)
        counts = services.editor.export(Path(args.dir))
    finally:
        services.close()
    print(f"wrote {args.dir}: " + ", ".join(f"{name}.yaml ({n})" for name, n in counts.items()))
    return 0
