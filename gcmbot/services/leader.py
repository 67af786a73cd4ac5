"""Which process runs the scheduled jobs when several share one PostgreSQL database.

Every process handles updates and delivers outbox rows (claims are atomic, so no
row is sent twice). Jobs that must run once — digests, feed polls, reminders —
check `services.is_leader` first. `gcmbot run` calls `try_take()` at start and
every minute, so a follower takes over within a minute when the leader stops.
"""

from __future__ import annotations

import logging

from gcmbot.store import Database
from gcmbot.store.leader import release_leader, still_leader, try_acquire_leader

log = logging.getLogger(__name__)


class Leadership:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._conn = None
        self._contested = False  # until try_take() runs, this is the only process: the leader

    @property
    def is_leader(self) -> bool:
        return not self._contested or self._conn is not None

    def try_take(self) -> bool:
        """Take (or keep) the leader lock if it is free. Returns is_leader."""
        self._contested = True
        if self._conn is not None and not still_leader(self._conn):
            log.warning("lost the scheduler leader lock (database connection dropped)")
            self._release()
        if self._conn is None:
            try:
                self._conn = try_acquire_leader(self.db.engine)
            except Exception:
                log.exception("could not ask the database for the scheduler leader lock")
                return False
            if self._conn is not None:
                log.info("this process is the scheduler leader")
        return self._conn is not None

    def release(self) -> None:
        self._release()
        self._contested = False

    def _release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                release_leader(conn)
            except Exception:
                log.debug("leader connection already gone", exc_info=True)
