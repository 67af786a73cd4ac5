"""Running it for real: webhook mode, /healthz and /metrics, JSON logs, the leader lock, CLI errors."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
import socket
import urllib.error
import urllib.request
from datetime import datetime, timezone

import pytest
from sqlmodel import select

from gcmbot.bot.application import build_application
from gcmbot.bot.serve import start_metrics_server, webhook_options
from gcmbot.cli import main
from gcmbot.config import ConfigError, Settings
from gcmbot.logsetup import hash_id, setup_logging
from gcmbot.metrics import Metrics, MetricsServer
from gcmbot.models import Feed, QuestionLog
from gcmbot.services.health import check
from gcmbot.services.leader import Leadership
from gcmbot.store import Database, outbox
from gcmbot.store.leader import try_acquire_leader

SECRET = "s3cret-token_value"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method: str, url: str, body: dict | None = None, headers: dict | None = None) -> tuple[int, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


async def ahttp(*args, **kwargs) -> tuple[int, bytes]:
    """`http` from an async test: in a thread, so the bot's event loop keeps serving."""
    return await asyncio.to_thread(http, *args, **kwargs)


def update(update_id: int, chat_id: int, text: str) -> dict:
    user = {"id": chat_id, "is_bot": False, "first_name": "Ana", "language_code": "en"}
    entities = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}] if text.startswith("/") else []
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id, "date": 1_700_000_000, "chat": {"id": chat_id, "type": "private", "first_name": "Ana"},
            "from": user, "text": text, "entities": entities,
        },
    }


@pytest.fixture
async def webhook_bot(services, fake_api):
    """The real Application in webhook mode: PTB's server on a free local port, secret required."""
    port = free_port()
    services.settings.bot_api_url = fake_api.base_url
    services.settings.webhook_url = "https://bot.example.org/telegram/hook"
    services.settings.webhook_secret = SECRET
    services.settings.webhook_listen = "127.0.0.1"
    services.settings.webhook_port = port
    application = build_application(services, rate_limit=False)
    async with application:
        await application.post_init(application)
        await application.start()
        await application.updater.start_webhook(**webhook_options(services.settings))
        try:
            yield fake_api, f"http://127.0.0.1:{port}/telegram/hook"
        finally:
            await application.updater.stop()
            await application.stop()
            await application.post_stop(application)


async def test_webhook_mode_answers_updates_posted_with_the_secret(webhook_bot, services):
    fake, url = webhook_bot
    # PTB registered the public URL and the secret with Telegram.
    [registered] = fake.calls_to("setWebhook")
    assert registered["url"] == "https://bot.example.org/telegram/hook"
    assert registered["secret_token"] == SECRET

    status, _ = await ahttp("POST", url, update(1, 5001, "/start"), {"X-Telegram-Bot-Api-Secret-Token": SECRET})
    assert status == 200
    reply = (await fake.wait_messages(5001, 1))[0]  # the welcome; the settings menu follows
    assert "subscribed" in reply["text"]
    assert services.subscriptions.get(5001).active


async def test_webhook_rejects_a_wrong_or_missing_secret(webhook_bot, services):
    fake, url = webhook_bot
    status, _ = await ahttp("POST", url, update(2, 5002, "/start"), {"X-Telegram-Bot-Api-Secret-Token": "wrong"})
    assert status == 403
    status, _ = await ahttp("POST", url, update(3, 5002, "/start"))
    assert status == 403
    await fake.wait_idle(timeout=2, quiet=0.3)
    assert fake.sent(5002) == []
    assert services.subscriptions.get(5002) is None


def test_webhook_settings_need_a_secret():
    settings = Settings(_env_file=None, token="1:A", webhook_url="https://bot.example.org/hook")
    with pytest.raises(ConfigError, match="GCMBOT_WEBHOOK_SECRET is not set"):
        webhook_options(settings)
    with pytest.raises(ConfigError, match="may only contain"):
        webhook_options(Settings(_env_file=None, webhook_url="https://bot.example.org/hook", webhook_secret="has space"))
    with pytest.raises(ConfigError, match="is not a URL"):
        webhook_options(Settings(_env_file=None, webhook_url="bot.example.org", webhook_secret="abc"))
    options = webhook_options(Settings(_env_file=None, webhook_url="https://bot.example.org/tg/", webhook_secret="abc"))
    assert options["url_path"] == "tg" and options["port"] == 8443 and options["listen"] == "0.0.0.0"


def test_run_without_webhook_secret_is_a_one_line_error(monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GCMBOT_TOKEN", "1:A")
    monkeypatch.setenv("GCMBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    monkeypatch.setenv("GCMBOT_WEBHOOK_URL", "https://bot.example.org/hook")
    monkeypatch.delenv("GCMBOT_WEBHOOK_SECRET", raising=False)
    assert main(["run"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("gcmbot: GCMBOT_WEBHOOK_SECRET is not set") and "\n" not in err
    assert not (tmp_path / "x.db").exists()  # nothing started


# --------------------------------------------------------------------------- health and metrics


@pytest.fixture
async def metrics_bot(services, fake_api):
    """A bot long-polling the fake Bot API, with /healthz and /metrics served as `gcmbot run` does."""
    services.settings.bot_api_url = fake_api.base_url
    application = build_application(services, rate_limit=False)
    async with application:
        await application.post_init(application)
        await application.start()
        await application.updater.start_polling(poll_interval=0, timeout=1)
        server = start_metrics_server(services, application, port=0)
        try:
            yield fake_api, f"http://127.0.0.1:{server.port}"
        finally:
            server.stop()
            await application.updater.stop()
            await application.stop()
            await application.post_stop(application)


async def test_healthz_reports_a_healthy_bot(metrics_bot, services):
    _, metrics_url = metrics_bot
    with services.db.session() as s:
        outbox.enqueue(s, [outbox.Outgoing(77, "digest", "d:77", "hi")])
    status, body = http("GET", metrics_url + "/healthz")
    data = json.loads(body)
    assert status == 200, data
    assert data["status"] == "ok"
    assert data["database"] and data["scheduler"] and data["delivery"]
    assert data["last_feed_poll_age_seconds"] is None  # no feed polled yet
    assert data["outbox_backlog"] in (0, 1)  # the worker may already have sent it


async def test_metrics_count_subscribers_messages_questions_and_feeds(metrics_bot, services):
    fake, metrics_url = metrics_bot
    fake.send_message(6001, "/start")
    await fake.wait_messages(6001, 1)
    with services.db.session() as s:
        s.add(QuestionLog(outcome="answered", matched="what-is-gcm"))
        s.add(QuestionLog(outcome="declined"))
        s.add(QuestionLog(outcome="declined"))
        feed = s.exec(select(Feed)).first()
        feed.consecutive_failures = 2
        feed.last_polled_at = datetime.now(timezone.utc)
        s.add(feed)
    status, body = http("GET", metrics_url + "/metrics")
    assert status == 200
    text = body.decode()
    assert "gcmbot_subscribers_active 1.0" in text
    assert 'gcmbot_subscribers{status="active"} 1.0' in text
    assert 'gcmbot_questions{outcome="declined"} 2.0' in text
    assert 'gcmbot_questions{outcome="answered"} 1.0' in text
    assert 'gcmbot_feeds{state="failing"} 1.0' in text
    assert "gcmbot_feed_consecutive_failures 2.0" in text
    assert "gcmbot_outbox_backlog 0.0" in text
    assert 'gcmbot_outbox_messages{kind="broadcast",status="sent"}' in text
    assert 'gcmbot_delivery_total{outcome="sent"}' in text
    assert "gcmbot_telegram_429_total 0.0" in text
    status, body = http("GET", metrics_url + "/healthz")
    assert json.loads(body)["last_feed_poll_age_seconds"] < 60


def test_healthz_is_503_when_the_database_is_unreachable(tmp_path):
    broken = Database(f"sqlite:///{tmp_path / 'missing' / 'dir' / 'x.db'}")
    server = MetricsServer(
        "127.0.0.1", 0, Metrics(broken),
        lambda: check(broken, datetime.now(timezone.utc), scheduler_running=True, delivery_running=True),
    ).start()
    try:
        status, body = http("GET", f"http://127.0.0.1:{server.port}/healthz")
        assert status == 503
        data = json.loads(body)
        assert data["status"] == "unhealthy" and data["database"] is False
        status, body = http("GET", f"http://127.0.0.1:{server.port}/metrics")
        assert status == 200 and b"gcmbot_database_up 0.0" in body
        assert http("GET", f"http://127.0.0.1:{server.port}/nope")[0] == 404
    finally:
        server.stop()


# --------------------------------------------------------------------------- logs


def test_json_log_lines_hide_chat_ids_and_texts():
    stream = io.StringIO()
    handler = setup_logging("INFO", "json", secret="1:A", stream=stream, force=True)
    try:
        log = logging.getLogger("gcmbot.test")
        log.info("sent digest to %s", hash_id(123456789), extra={"chat_id": 987654321, "text": "secret words"})
        log.info("plain")
    finally:
        logging.getLogger().removeHandler(handler)
    first, second = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert first["level"] == "INFO" and first["logger"] == "gcmbot.test"
    assert first["msg"] == f"sent digest to {hash_id(123456789)}"
    assert first["chat_id"] == hash_id(987654321)
    raw = stream.getvalue()
    assert "123456789" not in raw and "987654321" not in raw and "secret words" not in raw
    assert second["msg"] == "plain"
    # Stable within a deployment (same token), different for another.
    setup_logging("INFO", "text", secret="1:A", stream=io.StringIO(), force=True)
    before = hash_id(42)
    setup_logging("INFO", "text", secret="2:B", stream=io.StringIO(), force=True)
    assert hash_id(42) != before
    logging.getLogger().handlers = [h for h in logging.getLogger().handlers if not getattr(h, "_gcmbot", False)]


def test_log_format_setting_is_checked():
    with pytest.raises(ValueError, match="GCMBOT_LOG_FORMAT"):
        Settings(_env_file=None, log_format="xml")


# --------------------------------------------------------------------------- leader lock


def test_one_scheduler_leader(db):
    first, second = Leadership(db), Leadership(Database(db.url))
    try:
        assert first.is_leader and second.is_leader  # nobody contested yet: single process
        assert first.try_take() is True
        if db.is_sqlite:
            assert second.try_take() is True  # one process per SQLite file: always leader
            return
        assert second.try_take() is False and not second.is_leader
        first.release()
        assert second.try_take() is True  # the follower takes over when the leader stops
        assert try_acquire_leader(db.engine) is None
    finally:
        first.release()
        second.release()
        second.db.dispose()


# --------------------------------------------------------------------------- deployment files


def test_compose_file_and_env_example_are_complete():
    import yaml

    from conftest import ROOT

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    bot, db = compose["services"]["bot"], compose["services"]["db"]
    assert db["image"] == "postgres:16" and "pgdata:/var/lib/postgresql/data" in db["volumes"] and "pgdata" in compose["volumes"]
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert "/healthz" in " ".join(bot["healthcheck"]["test"])
    assert bot["restart"] == db["restart"] == "unless-stopped"
    assert bot["env_file"] == ".env" and bot["depends_on"]["db"]["condition"] == "service_healthy"
    example = (ROOT / ".env.example").read_text()
    readme = (ROOT / "README.md").read_text()
    for name in Settings.model_fields:
        variable = f"GCMBOT_{name.upper()}"
        assert variable in readme, f"{variable} missing from the README configuration table"
        if name not in ("bot_api_url", "content_dir"):
            assert variable in example, f"{variable} missing from .env.example"
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "USER gcmbot" in dockerfile and "HEALTHCHECK" in dockerfile and "GCMBOT_CONTENT_DIR=/app/content" in dockerfile
    # The console: reachable from outside the container, published on the host's loopback only.
    assert re.search(r"^EXPOSE .*\b8080\b", dockerfile, re.M) and "GCMBOT_WEB_LISTEN=0.0.0.0" in dockerfile
    assert bot["environment"]["GCMBOT_WEB_PORT"] == "8080" and bot["ports"] == ["127.0.0.1:8080:8080"]
