"""More than one process on one PostgreSQL database: no message is sent twice."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from sqlmodel import select
from telegram import Bot

from gcmbot.bot.sender import TelegramSender
from gcmbot.models import OutboxMessage
from gcmbot.services.delivery import DeliveryWorker, Limits
from gcmbot.store import Database, outbox

# One request at a time per worker: 200 sends then take each worker a few hundred milliseconds,
# so the other worker is certainly running meanwhile (with 32 requests at once, one worker could finish
# the whole queue before the other's first query returned on a loaded machine).
ONE_AT_A_TIME = Limits(per_second=1000, private_interval=0, group_interval=0, concurrency=1)


async def test_two_delivery_workers_never_send_the_same_row_twice(db, fake_api):
    if db.is_sqlite:
        pytest.skip("several delivery processes need PostgreSQL (set GCMBOT_TEST_DATABASE_URL); SQLite runs one process")
    # Two "processes": separate engines (connection pools) and separate Bot API clients. Which of
    # them gets which rows is up to timing (the shared send budget hands out slots in blocks), so
    # a round in which one worker happens to take everything proves nothing: try up to 3 rounds
    # until both have sent, and check exactly-once delivery in every round.
    engines = [Database(db.url), Database(db.url)]
    bots = [Bot("123:TEST", base_url=fake_api.base_url) for _ in engines]
    both_worked = False
    try:
        for bot in bots:
            await bot.initialize()
        for round_ in range(3):
            with db.session() as s:
                rows = [outbox.Outgoing(10_000 + i, "broadcast", f"b:{round_}:{i}", f"message {round_}:{i}") for i in range(200)]
                assert outbox.enqueue(s, rows) == 200
            workers = [DeliveryWorker(engine, TelegramSender(bot), limits=ONE_AT_A_TIME) for engine, bot in zip(engines, bots)]
            await asyncio.gather(*(w.drain() for w in workers))
            received = Counter(call["text"] for call in fake_api.calls_to("sendMessage") if call["text"].startswith(f"message {round_}:"))
            assert len(received) == 200 and set(received.values()) == {1}  # each message arrived exactly once
            assert sum(w.stats["sent"] for w in workers) == 200
            if all(w.stats["sent"] for w in workers):
                both_worked = True
                break
    finally:
        for bot in bots:
            await bot.shutdown()
        for engine in engines:
            engine.dispose()
    assert both_worked  # both really worked the same queue, in at least one round
    with db.session() as s:
        assert {r.status for r in s.exec(select(OutboxMessage))} == {"sent"}
