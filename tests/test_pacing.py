"""One sending budget: priorities, sharing between processes, the Bot's rate limiter."""

from __future__ import annotations

import asyncio
import time

from gcmbot.bot.botapi import BudgetRateLimiter, budget_of, make_bot
from gcmbot.services.pacing import BROADCAST, OUTBOX, REPLY, Budget, Limits
from gcmbot.store import Database
from gcmbot.store.budget import DatabaseSlots


async def test_replies_go_before_queued_traffic():
    budget = Budget(Limits(per_second=50, private_interval=0, group_interval=0, headroom=1.0))
    order: list[str] = []

    async def take(name: str, priority: int) -> None:
        await budget.acquire_slot(priority)
        order.append(name)

    tasks = [asyncio.create_task(take(f"b{i}", BROADCAST)) for i in range(10)]
    tasks += [asyncio.create_task(take(f"d{i}", OUTBOX)) for i in range(3)]
    while len(order) < 2:  # a few slots go out
        await asyncio.sleep(0.005)
    tasks += [asyncio.create_task(take(f"r{i}", REPLY)) for i in range(3)]
    await asyncio.gather(*tasks)
    await budget.close()
    first_reply = order.index("r0")
    assert first_reply <= 4  # replies jump the queue...
    assert order[first_reply : first_reply + 3] == ["r0", "r1", "r2"]
    assert order.index("d2") < order.index("b1")  # ...digests before broadcasts (b0 may go at once: nobody waited)
    assert [n for n in order if n.startswith("b")] == [f"b{i}" for i in range(10)]
    assert budget.granted == {REPLY: 3, OUTBOX: 3, BROADCAST: 10}


async def test_one_chat_gets_one_message_a_second():
    budget = Budget(Limits(per_second=1000, private_interval=0.2, group_interval=0.5))
    start = time.monotonic()
    for _ in range(3):
        await budget.acquire(42)
    assert time.monotonic() - start >= 0.38  # 0, 0.2, 0.4
    await budget.close()


async def test_processes_on_one_database_share_the_rate(db):
    # Two "processes": two engines and two budgets for the same bot; together they stay under the cap.
    engines = [Database(db.url), Database(db.url)]
    limits = Limits(per_second=40, private_interval=0, group_interval=0, headroom=0.95)
    budgets = [Budget(limits, DatabaseSlots(engine, bot_id=123)) for engine in engines]
    times: list[float] = []

    async def burst(budget: Budget) -> None:
        async def one() -> None:
            await budget.acquire_slot(BROADCAST)
            times.append(time.monotonic())

        await asyncio.gather(*(one() for _ in range(30)))

    try:
        await asyncio.gather(*(burst(b) for b in budgets))
    finally:
        for budget in budgets:
            await budget.close()
        for engine in engines:
            engine.dispose()
    times.sort()
    assert len(times) == 60
    # 60 slots at 40/s take at least ~1.5 s; two private budgets would have needed 0.75 s.
    assert times[-1] - times[0] >= 1.3
    # and no second holds much more than one budget's rate (38/s planned; two unshared ones: 76/s)
    assert max(sum(1 for t in times if s <= t < s + 1) for s in times) <= 42


async def test_a_429_pauses_the_budget_and_the_reply_is_sent_after_it(settings, fake_api):
    settings.bot_api_url = fake_api.base_url
    fake_api.inject_error("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    async with make_bot(settings) as bot:
        assert isinstance(bot.rate_limiter, BudgetRateLimiter)
        start = time.monotonic()
        await bot.send_message(77, "hello")
        assert time.monotonic() - start >= 0.95
        assert budget_of(bot) is bot.rate_limiter.budget
    assert [m["text"] for m in fake_api.sent(77)] == ["hello"]


async def test_cli_and_bot_processes_build_their_bot_with_make_bot(settings, db):
    bot = make_bot(settings, db=db)
    budget = budget_of(bot)
    assert budget is not None and isinstance(budget.shared, DatabaseSlots) and budget.shared.bot_id == 123456
    assert budget_of(make_bot(settings)).shared is None  # no database: this process's budget alone


def test_retry_after_is_read_through_the_public_attribute(monkeypatch):
    import pytest
    from telegram.error import RetryAfter
    from telegram.warnings import PTBDeprecationWarning

    from gcmbot.bot.botapi import retry_seconds

    assert retry_seconds(RetryAfter(3)) == 3.0  # a timedelta (PTB_TIMEDELTA, set by gcmbot.bot)
    monkeypatch.setenv("PTB_TIMEDELTA", "false")
    with pytest.warns(PTBDeprecationWarning):
        assert retry_seconds(RetryAfter(4)) == 4.0  # the int of PTB 22's default


async def test_a_chat_spacing_counts_from_the_granted_slot():
    # The first reply waits behind a queue; the chat's next message still keeps its distance.
    budget = Budget(Limits(per_second=10, private_interval=0.5, group_interval=0.5, headroom=1.0))
    others = [asyncio.create_task(budget.acquire(100 + i, REPLY)) for i in range(5)]
    await budget.acquire(42, REPLY)
    first = time.monotonic()
    await budget.acquire(42, REPLY)
    assert time.monotonic() - first >= 0.45
    await asyncio.gather(*others)
    await budget.close()


async def test_another_process_holds_its_queued_traffic_while_this_one_answers_people(db):
    engines = [Database(db.url), Database(db.url)]
    limits = Limits(per_second=20, private_interval=0, group_interval=0, headroom=1.0)
    cli, bot = (Budget(limits, DatabaseSlots(engine, bot_id=321)) for engine in engines)
    granted: list[tuple[str, float]] = []

    async def take(budget: Budget, name: str, priority: int) -> None:
        await budget.acquire_slot(priority)
        granted.append((name, time.monotonic()))

    try:
        broadcast = [asyncio.create_task(take(cli, "b", BROADCAST)) for _ in range(40)]
        await asyncio.sleep(0.3)
        start = time.monotonic()
        await asyncio.gather(*(take(bot, "r", REPLY) for _ in range(10)))
        replies_done = time.monotonic()
        await asyncio.gather(*broadcast)
    finally:
        for budget in (cli, bot):
            await budget.close()
        for engine in engines:
            engine.dispose()
    during = [n for n, t in granted if start <= t <= replies_done]
    assert during.count("r") == 10
    assert during.count("b") <= 12  # only what the other process had reserved before (one block + the edge)
    assert replies_done - start < 1.6  # 10 replies at 20/s, after at most one block of the other's


async def test_the_clis_getme_bot_is_built_by_make_bot(settings, fake_api, monkeypatch):
    from gcmbot.bot import sender

    settings.bot_api_url = fake_api.base_url
    built = []

    def recording_make_bot(*args, **kwargs):
        bot = make_bot(*args, **kwargs)
        built.append(bot)
        return bot

    monkeypatch.setattr(sender, "make_bot", recording_make_bot)
    assert await sender.fetch_username(settings) is not None
    assert len(built) == 1 and isinstance(built[0].rate_limiter, BudgetRateLimiter)
