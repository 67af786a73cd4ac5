"""Shared fixtures.

The database is real: a SQLite file by default, or the PostgreSQL server named
by GCMBOT_TEST_DATABASE_URL (CI runs the suite once for each). The schema is
created with the project's Alembic migrations, once per session; each test
starts from empty tables.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel

from gcmbot.app import Services, build_services, load_content_into_db
from gcmbot.config import Settings
from gcmbot.store import Database

ROOT = Path(__file__).resolve().parent.parent
CONTENT_DIR = ROOT / "content"
MIGRATIONS_DIR = ROOT / "migrations"


@pytest.fixture(autouse=True)
def _no_internet(monkeypatch):
    """Like PTB's OfflineRequest: a test that tries to leave this machine fails loudly."""
    real_connect = socket.socket.connect

    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and host not in ("127.0.0.1", "localhost", "::1") and not host.startswith("/"):
            raise RuntimeError(f"test tried to reach the network: {address!r}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(autouse=True, scope="session")
def _vector_cache(tmp_path_factory):
    """FAQ vectors (issue 13) are cached in a temporary folder, never in the user's cache."""
    old = os.environ.get("GCMBOT_CACHE_DIR")
    os.environ["GCMBOT_CACHE_DIR"] = str(tmp_path_factory.mktemp("vector-cache"))
    yield
    if old is None:
        os.environ.pop("GCMBOT_CACHE_DIR", None)
    else:
        os.environ["GCMBOT_CACHE_DIR"] = old


def _test_database_url(tmp_path_factory) -> str:
    url = os.environ.get("GCMBOT_TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def database(tmp_path_factory) -> Database:
    db = Database(_test_database_url(tmp_path_factory))
    db.wipe()
    db.upgrade(MIGRATIONS_DIR)
    yield db
    db.dispose()


def truncate_all(db: Database) -> None:
    with db.engine.begin() as conn:
        tables = list(reversed(SQLModel.metadata.sorted_tables))
        if db.is_sqlite:
            for table in tables:
                conn.execute(table.delete())
        else:
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
def db(database) -> Database:
    truncate_all(database)
    return database


@pytest.fixture
def settings(db, tmp_path) -> Settings:
    return Settings(
        _env_file=None,
        token="123456:TEST",
        database_url=db.url,
        admin_ids="4242",
        content_dir=CONTENT_DIR,
        timezone="UTC",
        digest_tick_seconds=0,  # tests run the digest schedule themselves, with a controlled clock
        encoder="off",  # lexical answers; tests of matching by meaning turn the encoder on themselves
    )


@pytest.fixture
def services(settings, db) -> Services:
    """Services over the test database with the shipped content loaded."""
    svc = build_services(settings, db=db)
    load_content_into_db(svc)
    return svc


@pytest.fixture
def fake_api():
    from fakebotapi import FakeBotAPI

    with FakeBotAPI() as fake:
        yield fake


@pytest.fixture
async def running_bot(services, fake_api):
    """The real Application, long-polling the fake Bot API. Yields the fake."""
    from gcmbot.bot.application import build_application

    services.settings.bot_api_url = fake_api.base_url
    application = build_application(services, rate_limit=False)
    async with application:
        await application.post_init(application)  # run_polling() would call it
        await application.start()
        await application.updater.start_polling(poll_interval=0, timeout=1)
        try:
            yield fake_api
        finally:
            await application.updater.stop()
            await application.stop()


@pytest.fixture(scope="session")
def make_httpserver():
    """pytest-httpserver's server, but threaded like a real one: a slow feed must not delay the others."""
    from pytest_httpserver import HTTPServer

    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()
