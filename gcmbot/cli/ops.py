"""`gcmbot export FILE` and `gcmbot import FILE`: backups, and the SQLite → PostgreSQL path."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

from gcmbot.app import build_services, load_content_into_db
from gcmbot.config import load_settings
from gcmbot.content import ContentError
from gcmbot.services.backup import BackupError, check_empty, export_data, import_data, validate


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="write subscribers and content state to a JSON file (a backup)")
    p.add_argument("file", help="where to write, e.g. gcmbot-backup.json ('-' for standard output)")
    p.set_defaults(func=cmd_export)
    p = sub.add_parser("import", help="restore an export into an empty database (e.g. SQLite → PostgreSQL)")
    p.add_argument("file", help="a file written by `gcmbot export`")
    p.set_defaults(func=cmd_import)


def cmd_export(args: argparse.Namespace) -> int:
    services = build_services(load_settings())
    try:
        services.db.upgrade(services.settings.migrations_dir)
        data = export_data(services.db, datetime.now(timezone.utc))
    finally:
        services.close()
    text = json.dumps(data, ensure_ascii=False, indent=1)
    if args.file == "-":
        sys.stdout.write(text + "\n")
    else:
        # Chat ids are personal data: the file is readable by its owner only.
        fd = os.open(args.file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text + "\n")
        print(f"exported {len(data['subscribers'])} subscriber(s), {len(data['feeds'])} feed(s), "
              f"{len(data['feed_items'])} feed item(s), {len(data['broadcasts'])} broadcast(s) to {args.file}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        print(f"gcmbot: cannot read {path}: {exc.strerror}", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"gcmbot: {path} is not valid JSON ({exc}); nothing imported", file=sys.stderr)
        return 1
    services = build_services(load_settings())
    try:
        services.db.upgrade(services.settings.migrations_dir)
        validate(data)
        check_empty(services.db)
        try:
            load_content_into_db(services)  # feeds and statements first, so their state can be restored
        except ContentError as exc:
            print(f"gcmbot: content/ has {len(exc.problems)} problem(s); importing without it (fix them and run `gcmbot content load`)", file=sys.stderr)
        report = import_data(services.db, data)
    except BackupError as exc:
        print(f"gcmbot: {exc}", file=sys.stderr)
        return 1
    finally:
        services.close()
    print(report)
    return 0
