"""One scheduler leader among several processes: a PostgreSQL session advisory lock.

The lock belongs to a database connection: while that connection stays open the
process is the leader; when the process dies, PostgreSQL releases the lock and
another process can take it. SQLite runs one process per file, so there the
caller is always the leader.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

# Any 64-bit number, the same in every gcmbot process: "gcmbot" in ASCII.
LEADER_LOCK_KEY = 0x67636D626F74


def try_acquire_leader(engine: Engine) -> Connection | None:
    """A connection holding the leader lock, or None if another process holds it.

    Keep the connection open for as long as this process leads; close it (or
    call `release_leader`) to step down.
    """
    conn = engine.connect()
    if engine.dialect.name != "postgresql":
        return conn
    try:
        got = conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": LEADER_LOCK_KEY}).scalar()
        conn.commit()  # a session-level lock outlives the transaction
    except Exception:
        conn.close()
        raise
    if got:
        return conn
    conn.close()
    return None


def still_leader(conn: Connection) -> bool:
    """True while `conn` is alive (and, on PostgreSQL, still holds the lock)."""
    try:
        if conn.dialect.name != "postgresql":
            return not conn.closed
        held = conn.execute(
            text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND objid = :lo AND classid = :hi"),
            {"lo": LEADER_LOCK_KEY & 0xFFFFFFFF, "hi": LEADER_LOCK_KEY >> 32},
        ).scalar()
        conn.commit()
        return bool(held)
    except Exception:
        return False


def release_leader(conn: Connection) -> None:
    try:
        if conn.dialect.name == "postgresql" and not conn.closed:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LEADER_LOCK_KEY})
            conn.commit()
    finally:
        conn.close()
