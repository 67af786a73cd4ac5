"""`gcmbot export` → `gcmbot import`: subscribers and content state survive a move from SQLite to PostgreSQL."""

from __future__ import annotations

import json
import os
import stat
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import select

from gcmbot.app import build_services, load_content_into_db
from gcmbot.cli import main
from gcmbot.config import Settings
from gcmbot.models import Broadcast, Feed, FeedItem, Statement
from gcmbot.services.backup import export_data
from gcmbot.store import Database

from conftest import CONTENT_DIR, MIGRATIONS_DIR

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)


def populate(url: str) -> None:
    """A bot that has been running for a while: subscribers with choices, polled feeds, a broadcast."""
    db = Database(url)
    db.upgrade(MIGRATIONS_DIR)
    services = build_services(Settings(_env_file=None, database_url=url, content_dir=CONTENT_DIR), db=db)
    load_content_into_db(services)
    subs = services.subscriptions
    subs.start(101, "private", language="es", preselect=[("region", "africa")])
    subs.toggle(101, "topic", "human-rights")
    subs.set_timezone(101, "Africa/Nairobi")
    subs.start(-100200, "supergroup", preselect=[("constituency", "trade-unions")])
    subs.set_digest(-100200, None)
    subs.start(303, "private")
    subs.stop(303)
    with db.session() as s:
        feed = s.exec(select(Feed).order_by(Feed.id)).first()
        feed.etag, feed.last_modified, feed.last_polled_at, feed.consecutive_failures = '"abc"', "Mon, 02 Mar 2026 09:00:00 GMT", T0, 1
        s.add(feed)
        s.add(FeedItem(feed_id=feed.id, key="guid-1", title="News one", link="https://example.org/1", published_at=T0,
                       first_seen_at=T0, topics=["labour-migration"], regions=["africa"], alerted=True))
        s.add(Broadcast(text="Consultation opens", segment={"regions": ["africa"]}, created_by=4242, created_at=T0, status="done", recipients=1))
        statement = s.exec(select(Statement).order_by(Statement.id)).first()
        statement.first_seen_at = T0 - timedelta(days=30)
        s.add(statement)
    db.dispose()


def comparable(url: str) -> dict:
    db = Database(url)
    try:
        data = export_data(db, T0)
    finally:
        db.dispose()
    return data


def run_cli(monkeypatch, url: str, *argv: str) -> int:
    monkeypatch.setenv("GCMBOT_DATABASE_URL", url)
    return main(list(argv))


@pytest.fixture
def cli_env(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no stray .env
    for key in [k for k in os.environ if k.startswith("GCMBOT_") and k != "GCMBOT_TEST_DATABASE_URL"]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("GCMBOT_CONTENT_DIR", str(CONTENT_DIR))
    return tmp_path


@pytest.fixture
def postgres_target():
    """An empty PostgreSQL database: GCMBOT_TEST_IMPORT_DATABASE_URL (wiped), else a new one created and dropped."""
    url = os.environ.get("GCMBOT_TEST_IMPORT_DATABASE_URL")
    if url:
        db = Database(url)
        db.wipe()
        db.dispose()
        yield url
        return
    base = os.environ.get("GCMBOT_TEST_DATABASE_URL", "")
    server = make_url(base) if base.startswith("postgres") else make_url("postgresql://gcmbot:gcmbot@127.0.0.1:5432/postgres")
    server = server.set(drivername="postgresql+psycopg")
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = f"gcmbot_import_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        pytest.skip(f"PostgreSQL not usable at {server.host}:{server.port} as {server.username} ({type(exc).__name__}); "
                    "set GCMBOT_TEST_IMPORT_DATABASE_URL to an empty database")
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def round_trip(monkeypatch, tmp_path, source: str, target: str, capsys) -> None:
    populate(source)
    backup = tmp_path / "backup.json"
    assert run_cli(monkeypatch, source, "export", str(backup)) == 0
    assert "exported 3 subscriber(s)" in capsys.readouterr().out
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600  # chat ids: owner only

    data = json.loads(backup.read_text())
    assert {s["chat_id"] for s in data["subscribers"]} == {101, -100200, 303}
    # Ids and choices only: nothing about the person beyond what they chose.
    assert set(data["subscribers"][0]) == {
        "chat_id", "chat_type", "language", "timezone", "status", "all_regions", "all_constituencies", "all_topics",
        "digest_weekday", "digest_hour", "send_empty_digest", "alerts", "reminders", "reminder_days", "quiet", "choices"}

    assert run_cli(monkeypatch, target, "import", str(backup)) == 0
    assert "imported 3 subscriber(s)" in capsys.readouterr().out
    before, after = comparable(source), comparable(target)
    for key in ("subscribers", "feeds", "feed_items", "statements_first_seen", "broadcasts"):
        assert after[key] == before[key], key

    # The moved bot works: segments select the same chats, and new rows get fresh ids.
    db = Database(target)
    try:
        services = build_services(Settings(_env_file=None, database_url=target, content_dir=CONTENT_DIR), db=db)
        assert services.subscriptions.get(101).segment.regions == {"africa"}
        assert services.subscriptions.get(101).timezone == "Africa/Nairobi"
        assert services.subscriptions.get(303).status == "stopped"
        assert sorted(services.subscriptions.select_recipients(regions=["africa"])) == [-100200, 101]  # 303 stopped
        services.subscriptions.start(404, "private")
        with db.session() as s:
            s.add(Broadcast(text="next", segment={}, created_by=4242))
    finally:
        db.dispose()

    # A second import into the now-filled database is refused, loudly, and changes nothing.
    assert run_cli(monkeypatch, target, "import", str(backup)) == 1
    err = capsys.readouterr().err
    assert "not empty" in err and "4 subscribers" in err


def test_export_import_round_trip_sqlite_to_postgresql(monkeypatch, cli_env, postgres_target, capsys):
    round_trip(monkeypatch, cli_env, f"sqlite:///{cli_env / 'old.db'}", postgres_target, capsys)


def test_export_import_round_trip_sqlite_to_sqlite(monkeypatch, cli_env, capsys):
    round_trip(monkeypatch, cli_env, f"sqlite:///{cli_env / 'old.db'}", f"sqlite:///{cli_env / 'new.db'}", capsys)


def test_import_rejects_bad_files_and_changes_nothing(monkeypatch, cli_env, capsys):
    target = f"sqlite:///{cli_env / 'new.db'}"
    (cli_env / "junk.json").write_text("{not json")
    assert run_cli(monkeypatch, target, "import", "junk.json") == 1
    assert "is not valid JSON" in capsys.readouterr().err
    (cli_env / "other.json").write_text('{"hello": 1}')
    assert run_cli(monkeypatch, target, "import", "other.json") == 1
    assert "not a gcmbot export file" in capsys.readouterr().err
    (cli_env / "bad.json").write_text(json.dumps({"format": "gcmbot-export", "version": 1, "subscribers": [{"chat_id": 1, "chat_type": "private", "nickname": "x"}]}))
    assert run_cli(monkeypatch, target, "import", "bad.json") == 1
    assert "nothing was imported" in capsys.readouterr().err
    assert run_cli(monkeypatch, target, "import", "missing.json") == 1
    assert "cannot read missing.json" in capsys.readouterr().err
    assert comparable(target)["subscribers"] == []
