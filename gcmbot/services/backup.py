"""Backups and moving databases: `gcmbot export FILE` / `gcmbot import FILE`.

The file holds what cannot be rebuilt from content/: subscribers (chat id, chat
type, language, timezone, status, settings and choices; no names, no message
texts), feed polling state and feed items, when each statement was first seen,
and the broadcasts (the admins' audit record). Queued messages are not
exported: they are transient. Events, FAQ and taxonomy come from content/.

Import restores into an empty database only (after migrations and loading
content/), so nothing is ever merged into live data by accident.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gcmbot.models import Broadcast, FeedItem
from gcmbot.store import Database
from gcmbot.store import backup as store

FORMAT = "gcmbot-export"
VERSION = 1


class BackupError(Exception):
    """The file or the target database is not usable; the message says why in one line."""


def export_data(db: Database, now: datetime) -> dict:
    with db.session() as s:
        return {
            "format": FORMAT,
            "version": VERSION,
            "exported_at": now.isoformat(),
            "subscribers": store.subscribers(s),
            "feeds": store.feeds(s),
            "feed_items": store.feed_items(s),
            "statements_first_seen": store.statements_first_seen(s),
            "broadcasts": store.broadcasts(s),
        }


@dataclass
class ImportReport:
    subscribers: int
    feeds: int
    feed_items: int
    statements: int
    broadcasts: int

    def __str__(self) -> str:
        return (
            f"imported {self.subscribers} subscriber(s), polling state of {self.feeds} feed(s), {self.feed_items} feed item(s), "
            f"first-seen dates of {self.statements} statement(s), {self.broadcasts} broadcast(s)"
        )


def check_empty(db: Database) -> None:
    with db.session() as s:
        counts = store.user_row_counts(s)
    filled = [f"{n} {name}" for name, n in counts.items() if n]
    if filled:
        raise BackupError(f"the target database is not empty ({', '.join(filled)}); import only into a new, empty database")


def validate(data: object) -> dict:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BackupError("not a gcmbot export file (no \"format\": \"gcmbot-export\")")
    if data.get("version") != VERSION:
        raise BackupError(f"export format version {data.get('version')!r} is not supported (this gcmbot reads version {VERSION})")
    for key, kind in (("subscribers", list), ("feeds", list), ("feed_items", list), ("statements_first_seen", dict), ("broadcasts", list)):
        if not isinstance(data.get(key, kind()), kind):
            raise BackupError(f"{key!r} must be a {'list' if kind is list else 'mapping'}")
    return data


def import_data(db: Database, data: object) -> ImportReport:
    """Restore an export into an empty database (migrated, content loaded). All or nothing."""
    data = validate(data)
    check_empty(db)
    try:
        with db.session() as s:
            report = ImportReport(
                subscribers=store.add_subscribers(s, data.get("subscribers", [])),
                feeds=store.merge_feeds(s, data.get("feeds", [])),
                feed_items=store.add_rows(s, FeedItem, data.get("feed_items", [])),
                statements=store.set_statements_first_seen(s, data.get("statements_first_seen", {})),
                broadcasts=store.add_rows(s, Broadcast, data.get("broadcasts", [])),
            )
            store.reset_sequences(s)
    except (ValueError, TypeError, KeyError) as exc:
        raise BackupError(f"the file has a bad record ({exc}); nothing was imported") from None
    return report
