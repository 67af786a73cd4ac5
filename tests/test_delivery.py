"""The sending path: outbox rows delivered through the fake Bot API, with Telegram's failure modes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import select
from telegram import Bot

from gcmbot.bot.application import delivery_worker
from gcmbot.models import OutboxMessage
from gcmbot.services.delivery import Limits
from gcmbot.services.pacing import Budget
from gcmbot.store import outbox


class Clock:
    """Real time plus an offset the test moves forward."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(timezone.utc) + self.offset


@pytest.fixture
async def bot(fake_api):
    async with Bot("123:TEST", base_url=fake_api.base_url) as b:
        yield b


@pytest.fixture
def worker(services, bot):
    w = delivery_worker(services, bot)
    w.limits = Limits(per_second=1000, private_interval=0, group_interval=0)
    w.budget = Budget(w.limits)
    w.clock = Clock()
    return w


def queue(services, *messages):
    with services.db.session() as s:
        return outbox.enqueue(s, [outbox.Outgoing(chat_id, "broadcast", key, text) for chat_id, key, text in messages])


def rows(services):
    with services.db.session() as s:
        return {r.dedup_key: r for r in s.exec(select(OutboxMessage))}


async def test_each_chat_gets_its_message_once(services, fake_api, worker):
    assert queue(services, (1, "b1:1", "<b>Hello</b> one"), (2, "b1:2", "Hello two"), (3, "b1:3", "Hello three")) == 3
    assert queue(services, (1, "b1:1", "again")) == 0  # same dedup key: not queued twice
    await worker.drain()
    assert [m["text"] for m in fake_api.sent(1)] == ["Hello one"] or fake_api.sent(1)[0]["text"].endswith("one")
    assert len(fake_api.sent()) == 3
    assert fake_api.calls_to("sendMessage")[0]["parse_mode"] == "HTML"
    assert all(r.status == "sent" and r.telegram_message_id for r in rows(services).values())
    await worker.drain()
    assert len(fake_api.sent()) == 3


async def test_flood_control_is_honoured(services, fake_api, worker):
    queue(services, (10, "k10", "a"), (11, "k11", "b"))
    fake_api.inject_error("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    await worker.run_once()
    state = {k: r.status for k, r in rows(services).items()}
    assert sorted(state.values()) == ["pending", "sent"]
    worker.clock.offset += timedelta(seconds=2)
    await worker.drain()
    assert {r.status for r in rows(services).values()} == {"sent"}
    assert len(fake_api.sent(10)) == 1 and len(fake_api.sent(11)) == 1
    assert worker.stats["429"] == 1


async def test_blocked_chat_becomes_inactive_and_is_not_retried(services, fake_api, worker):
    services.subscriptions.start(20, "private")
    fake_api.block(20)
    queue(services, (20, "a:20", "first"), (20, "b:20", "second"), (21, "a:21", "other"))
    await worker.drain()
    state = rows(services)
    assert state["a:20"].status == "failed" and "blocked" in state["a:20"].error
    assert state["b:20"].status == "skipped"
    assert state["a:21"].status == "sent"
    assert services.subscriptions.get(20).status == "inactive"
    assert len(fake_api.calls_to("sendMessage")) == 2  # one try for the blocked chat, never again


async def test_server_errors_are_retried_with_backoff(services, fake_api, worker):
    queue(services, (30, "k30", "x"))
    fake_api.inject_error("sendMessage", 502, "Bad Gateway", times=2)
    await worker.run_once()
    assert rows(services)["k30"].status == "pending"
    await worker.run_once()  # backoff: not due yet, nothing sent
    assert len(fake_api.calls_to("sendMessage")) == 1
    for _ in range(2):
        worker.clock.offset += timedelta(minutes=5)
        await worker.run_once()
    assert rows(services)["k30"].status == "sent"
    assert len(fake_api.sent(30)) == 1


async def test_migrated_group_moves_subscriber(services, fake_api, worker):
    services.subscriptions.start(-40, "group")
    fake_api.inject_error("sendMessage", 400, "Bad Request: group chat was upgraded to a supergroup chat", migrate_to_chat_id=-10040, chat_id=-40)
    queue(services, (-40, "digest:2026-W48:-40", "this week's digest"))
    await worker.drain()
    assert len(fake_api.sent(-10040)) == 1
    assert services.subscriptions.get(-10040) is not None and services.subscriptions.get(-40) is None
    # The week's digest is known as sent to the new id: queuing it again for the supergroup is a no-op.
    assert queue(services, (-10040, "digest:2026-W48:-10040", "this week's digest")) == 0


async def test_crash_leaves_no_duplicate_and_nothing_skipped(services, fake_api, worker):
    queue(services, *[(50 + i, f"k{i}", f"m{i}") for i in range(5)])
    # A worker died after claiming k0 (its request may have reached Telegram).
    with services.db.session() as s:
        row = s.exec(select(OutboxMessage).where(OutboxMessage.dedup_key == "k0")).one()
        row.status, row.claimed_at = "sending", worker.clock() - timedelta(minutes=5)
        s.add(row)
    assert worker.recover() == 1
    await worker.drain()
    state = rows(services)
    assert state["k0"].status == "failed" and "at-most-once" in state["k0"].error
    assert all(state[f"k{i}"].status == "sent" for i in range(1, 5))
    assert fake_api.sent(50) == []


async def test_running_bot_delivers_queued_messages(running_bot, services):
    fake = running_bot
    queue(services, (60, "k60", "queued <i>while</i> running"))
    await fake.wait_for(lambda: fake.sent(60))
    assert fake.sent(60)[0]["text"] == "queued while running" or "queued" in fake.sent(60)[0]["text"]


async def test_read_timeout_is_not_retried(services):
    """Telegram got the request but did not answer: it may have been delivered, so no second try."""
    import socket

    from telegram.request import HTTPXRequest

    from gcmbot.bot.sender import TelegramSender
    from gcmbot.services.delivery import SendError

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    port = silent.getsockname()[1]
    try:
        bot = Bot("123:TEST", base_url=f"http://127.0.0.1:{port}/bot", request=HTTPXRequest(read_timeout=0.3, connect_timeout=1))
        with pytest.raises(SendError) as err:
            await TelegramSender(bot).send(1, "hello")
        assert err.value.kind == SendError.UNCERTAIN
    finally:
        silent.close()
