"""The bot and the CLI share one database file: the CLI writes while the bot delivers."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text
from sqlmodel import func, select

from gcmbot.bot.application import delivery_worker
from gcmbot.bot.botapi import make_bot
from gcmbot.models import Broadcast, OutboxMessage
from gcmbot.services.broadcast import CLI_ACTOR
from gcmbot.services.pacing import Limits
from gcmbot.services.subscriptions import Segment

ROOT = Path(__file__).resolve().parent.parent


def test_sqlite_connections_use_wal_and_a_busy_timeout(db):
    if not db.is_sqlite:
        return
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 10_000


async def test_cli_writes_while_the_bot_delivers(services, settings, fake_api, tmp_path):
    subscribers = list(range(9_000, 9_300))
    for chat in subscribers:
        services.subscriptions.start(chat, "private")
    first = services.broadcasts.enqueue(CLI_ACTOR, "First", Segment())
    message = tmp_path / "second.html"
    message.write_text("<b>Second</b>", encoding="utf-8")
    env = {**os.environ, "GCMBOT_DATABASE_URL": services.db.url, "GCMBOT_CONTENT_DIR": str(ROOT / "content"),
           "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.pop("GCMBOT_TOKEN", None)
    commands = [
        ["broadcast", "--text-file", str(message), "--yes"],  # queues 300 rows in one transaction
        ["content", "load"],
        ["digest", "send-due", "--no-deliver"],
    ]
    settings.bot_api_url = fake_api.base_url
    async with make_bot(settings, db=services.db) as bot:
        worker = delivery_worker(services, bot)
        worker.budget = type(worker.budget)(Limits(per_second=500, private_interval=0, group_interval=0), worker.budget.shared)
        delivering = asyncio.create_task(worker.drain(idle_timeout=3))
        await fake_api.wait_for(lambda: len(fake_api.sent()) >= 20, timeout=10)  # the bot is writing
        children = [await asyncio.create_subprocess_exec(sys.executable, "-m", "gcmbot", *c, cwd=tmp_path, env=env,
                                                         stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
                    for c in commands]
        outputs = [(await child.communicate())[0].decode() for child in children]
        await delivering
        await worker.drain()
    for command, child, output in zip(commands, children, outputs):
        assert child.returncode == 0, (command, output)
        assert "locked" not in output, (command, output)
    with services.db.session() as s:
        second = s.exec(select(Broadcast.id).where(Broadcast.id != first)).one()
        for broadcast_id in (first, second):
            rows = s.exec(select(OutboxMessage.status, func.count()).where(OutboxMessage.broadcast_id == broadcast_id)
                          .group_by(OutboxMessage.status)).all()
            assert dict(rows) == {"sent": len(subscribers)}  # no write of either process was lost
    for chat in subscribers:
        # `digest send-due` may also queue an event reminder when one falls due around today's date.
        texts = [m["text"] for m in fake_api.sent(chat) if not m["text"].startswith("⏰")]
        assert texts == ["First", "<b>Second</b>"]
