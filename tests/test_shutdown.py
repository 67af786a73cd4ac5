"""`gcmbot run` as a real process: SIGTERM finishes the in-flight send, leaves the rest pending, exits 0 within 10 s."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlmodel import select

from gcmbot.models import OutboxMessage
from gcmbot.store import Database, outbox

ROOT = Path(__file__).resolve().parent.parent
CHAT = 7001


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_bot(tmp_path: Path, fake, **extra_env: str) -> tuple[subprocess.Popen, Path]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GCMBOT_")}
    env.update(
        PYTHONPATH=str(ROOT),  # this checkout's code, whatever is installed
        GCMBOT_TOKEN="123456:TEST",
        GCMBOT_BOT_API_URL=fake.base_url,
        GCMBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'bot.db'}",
        **extra_env,
    )
    log = tmp_path / "stderr.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "gcmbot", "run"], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=log.open("w")
    )
    return proc, log


def stop_bot(proc: subprocess.Popen, log: Path) -> float:
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        code = proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("gcmbot run did not exit within 10 s of SIGTERM:\n" + log.read_text()[-3000:])
    assert code == 0, log.read_text()[-3000:]
    return time.monotonic() - started


def wait_until(predicate, proc, log: Path, timeout: float = 20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"gcmbot run exited with {proc.returncode}:\n" + log.read_text()[-3000:])
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail("timed out; bot log:\n" + log.read_text()[-3000:])


def get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=3) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())
    except OSError:
        return 0, {}


def test_sigterm_finishes_the_send_in_flight_and_keeps_the_rest(tmp_path, fake_api):
    metrics_port = free_port()
    proc, log = start_bot(tmp_path, fake_api, GCMBOT_METRICS_PORT=str(metrics_port))
    try:
        wait_until(lambda: fake_api.calls_to("deleteWebhook"), proc, log)  # polling bootstrap
        fake_api.send_message(CHAT, "/start")
        wait_until(lambda: fake_api.sent(CHAT), proc, log)
        status, health = wait_until(lambda: (r := get(f"http://127.0.0.1:{metrics_port}/healthz")) and r[0] and r, proc, log)
        assert status == 200 and health["status"] == "ok", health

        # A long queue for one private chat: Telegram allows one message a second there.
        db = Database(f"sqlite:///{tmp_path / 'bot.db'}")
        with db.session() as s:
            outbox.enqueue(s, [outbox.Outgoing(CHAT, "broadcast", f"b:{i}", f"news {i}") for i in range(30)])
        wait_until(lambda: any(m["text"].startswith("news") for m in fake_api.sent(CHAT)), proc, log)
    finally:
        if proc.poll() is None:
            elapsed = stop_bot(proc, log)
    assert elapsed < 10

    with db.session() as s:
        statuses = [r.status for r in s.exec(select(OutboxMessage))]
    db.dispose()
    delivered = [m for m in fake_api.sent(CHAT) if m["text"].startswith("news")]
    assert statuses.count("sent") == len(delivered) >= 1  # what was in flight arrived and is recorded
    assert statuses.count("pending") == 30 - len(delivered) > 0  # the rest waits for the next start
    assert "sending" not in statuses and "failed" not in statuses

    # Logs are JSON lines (stderr is not a terminal) without the raw chat id.
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    assert lines and all(json.loads(line)["level"] for line in lines)
    assert str(CHAT) not in log.read_text()


def test_webhook_mode_process(tmp_path, fake_api):
    port = free_port()
    proc, log = start_bot(
        tmp_path, fake_api,
        GCMBOT_WEBHOOK_URL=f"http://127.0.0.1:{port}/hook", GCMBOT_WEBHOOK_SECRET="abc123",
        GCMBOT_WEBHOOK_LISTEN="127.0.0.1", GCMBOT_WEBHOOK_PORT=str(port),
    )
    try:
        wait_until(lambda: fake_api.calls_to("setWebhook"), proc, log)
        assert fake_api.calls_to("deleteWebhook") == []
        body = json.dumps({"update_id": 1, "message": {
            "message_id": 1, "date": 1_700_000_000, "chat": {"id": CHAT, "type": "private"},
            "from": {"id": CHAT, "is_bot": False, "first_name": "Ana"}, "text": "/help",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}]}}).encode()

        def post(secret: str) -> int:
            request = urllib.request.Request(f"http://127.0.0.1:{port}/hook", data=body, method="POST", headers={
                "Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret})
            try:
                with urllib.request.urlopen(request, timeout=3) as r:
                    return r.status
            except urllib.error.HTTPError as exc:
                return exc.code
            except OSError:
                return 0

        assert wait_until(lambda: post("wrong"), proc, log) == 403
        assert post("abc123") == 200
        wait_until(lambda: fake_api.sent(CHAT), proc, log)
        assert "/start" in fake_api.sent(CHAT)[0]["text"]
    finally:
        if proc.poll() is None:
            stop_bot(proc, log)
