"""Engine, sessions and migrations."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine


BUSY_TIMEOUT_SECONDS = 30.0


def _normalise_url(url: str) -> str:
    # Accept the URLs people paste (postgres://, postgresql://) and use psycopg 3.
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


class Database:
    """Owns the SQLAlchemy engine; hands out sessions."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = _normalise_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        # hide_parameters: SQL errors must not carry message texts or chat ids into logs.
        kwargs: dict = {"echo": echo, "hide_parameters": True}
        if self.is_sqlite:
            # timeout: how long a writer waits for another process's write lock (SQLite's busy timeout).
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": BUSY_TIMEOUT_SECONDS}
        else:
            kwargs["pool_pre_ping"] = True
        self.engine: Engine = create_engine(self.url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in a transaction: committed on success, rolled back on error."""
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def upgrade(self, migrations_dir: Path, revision: str = "head") -> None:
        """Apply pending Alembic migrations."""
        from alembic import command

        command.upgrade(_alembic_config(self, migrations_dir), revision)

    def wipe(self) -> None:
        """Drop every table (tests and benchmarks only): the next upgrade() starts from nothing."""
        from sqlalchemy import text
        from sqlmodel import SQLModel

        with self.engine.begin() as conn:
            if self.is_sqlite:
                SQLModel.metadata.drop_all(conn)
                conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
            else:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))

    def current_revision(self) -> str | None:
        from alembic.migration import MigrationContext

        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def dispose(self) -> None:
        self.engine.dispose()


def _alembic_config(db: Database, migrations_dir: Path):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir))
    cfg.attributes["engine"] = db.engine
    return cfg


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    """WAL (readers never wait for the writer) and a busy timeout, on every connection.

    The bot and the CLI (`broadcast --yes`, `content load`, `digest send-due`) may write
    to one file at once: a writer waits up to BUSY_TIMEOUT_SECONDS for the other's lock
    instead of failing with "database is locked". The driver's default transaction
    handling is kept on purpose: it starts a transaction only at the first write, so a
    session that reads and then writes never holds a stale read snapshot that SQLite
    would have to refuse at once (tests/test_sqlite_concurrency.py).
    """
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}")
    cur.close()

