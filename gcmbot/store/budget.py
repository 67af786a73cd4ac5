"""The shared sending budget: one row per bot id in `sendbudget` (see services/pacing.py)."""

from __future__ import annotations

import secrets

from sqlalchemy import case, literal, or_
from sqlalchemy.engine import Connection
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import update

from gcmbot.models import SendBudget
from gcmbot.store.db import Database

_table = SendBudget.__table__  # type: ignore[attr-defined]


class DatabaseSlots:
    """`SharedSlots` held in the database: every process sending for `bot_id` draws from one row."""

    def __init__(self, db: Database, bot_id: int) -> None:
        self.db = db
        self.bot_id = bot_id
        self.me = secrets.token_hex(8)  # this process, in `replies_by`
        self._ready = False

    def _ensure_row(self, connection: Connection) -> None:
        if self._ready:
            return
        insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
        connection.execute(insert(_table).values(bot_id=self.bot_id, next_at=0.0).on_conflict_do_nothing(index_elements=["bot_id"]))
        self._ready = True

    def reserve(self, span: float, now: float, *, replies: bool = False, hold: float = 0.5) -> float | None:
        """Move `next_at` forward by `span` from max(next_at, now), atomically; return the block's start.

        With `replies`, also note that this process is answering people (`replies_at`); without,
        refuse (None) while another process did so within `hold` seconds."""
        with self.db.engine.begin() as conn:
            self._ensure_row(conn)
            start = case((_table.c.next_at > literal(now), _table.c.next_at), else_=literal(now))
            query = update(_table).where(_table.c.bot_id == self.bot_id)
            values: dict[str, object] = {"next_at": start + span}
            if replies:
                values.update(replies_at=now, replies_by=self.me)
            else:
                query = query.where(or_(_table.c.replies_at < now - hold, _table.c.replies_by == self.me))
            new_next = conn.execute(query.values(**values).returning(_table.c.next_at)).scalar_one_or_none()
        return None if new_next is None else float(new_next) - span

    def pause_until(self, until: float) -> None:
        with self.db.engine.begin() as conn:
            self._ensure_row(conn)
            conn.execute(
                update(_table).where(_table.c.bot_id == self.bot_id, _table.c.next_at < until).values(next_at=until)
            )
