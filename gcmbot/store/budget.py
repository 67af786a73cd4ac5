"""The shared sending budget: one row per bot id in `sendbudget` (see services/pacing.py)."""

from __future__ import annotations

from sqlalchemy import case, literal
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
        self._ready = False

    def _ensure_row(self, connection) -> None:
        if self._ready:
            return
        insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
        connection.execute(insert(_table).values(bot_id=self.bot_id, next_at=0.0).on_conflict_do_nothing(index_elements=["bot_id"]))
        self._ready = True

    def reserve(self, span: float, now: float) -> float:
        """Move `next_at` forward by `span` from max(next_at, now), atomically; return the block's start."""
        with self.db.engine.begin() as conn:
            self._ensure_row(conn)
            start = case((_table.c.next_at > literal(now), _table.c.next_at), else_=literal(now))
            new_next = conn.execute(
                update(_table).where(_table.c.bot_id == self.bot_id).values(next_at=start + span).returning(_table.c.next_at)
            ).scalar_one()
        return float(new_next) - span

    def pause_until(self, until: float) -> None:
        with self.db.engine.begin() as conn:
            self._ensure_row(conn)
            conn.execute(
                update(_table).where(_table.c.bot_id == self.bot_id, _table.c.next_at < until).values(next_at=until)
            )
