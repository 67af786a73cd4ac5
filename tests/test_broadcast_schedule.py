"""Scheduled broadcasts: they wait in the outbox for their time, survive a restart, can be cancelled."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from telegram import Bot

from gcmbot.app import build_services
from gcmbot.bot.application import delivery_worker
from gcmbot.services.subscriptions import Segment

ADMIN = 4242


async def test_a_scheduled_broadcast_survives_a_restart_and_goes_out_at_its_time(services, fake_api):
    for chat in (8501, 8502, 8503):
        services.subscriptions.start(chat, "private")
    now = datetime.now(timezone.utc)
    at = now + timedelta(hours=3)
    broadcast_id = services.broadcasts.enqueue(ADMIN, "<b>Webinar</b> starts now", Segment(), scheduled_at=at)
    clock = [now]
    async with Bot("123:TEST", base_url=fake_api.base_url) as bot:
        worker = delivery_worker(services, bot)
        worker.clock = lambda: clock[0]
        assert await worker.run_once() == 0  # not yet
        clock[0] = at - timedelta(seconds=1)
        assert await worker.run_once() == 0
    assert fake_api.sent() == []
    [st] = services.broadcasts.status(broadcast_id)
    assert "scheduled for" in services.broadcasts.format_status(st)

    services.subscriptions.stop(8503)  # changed their mind meanwhile: gets nothing

    # The process stops; a new one starts (fresh services and worker) after the time has come.
    restarted = build_services(services.settings, db=services.db)
    clock[0] = at + timedelta(seconds=1)
    async with Bot("123:TEST", base_url=fake_api.base_url) as bot:
        worker = delivery_worker(restarted, bot)
        worker.clock = lambda: clock[0]
        await worker.drain()
    assert [m["text"] for m in fake_api.sent(8501)] == ["<b>Webinar</b> starts now"]
    assert len(fake_api.sent(8502)) == 1 and fake_api.sent(8503) == []
    [st] = restarted.broadcasts.status(broadcast_id)
    assert (st.sent, st.skipped) == (2, 1)


async def test_a_cancelled_scheduled_broadcast_sends_nothing(services, fake_api):
    services.subscriptions.start(8601, "private")
    at = datetime.now(timezone.utc) + timedelta(hours=1)
    broadcast_id = services.broadcasts.enqueue(ADMIN, "Maybe", Segment(), scheduled_at=at)
    assert services.broadcasts.cancel(broadcast_id, ADMIN) == 1
    assert services.broadcasts.cancel(broadcast_id, ADMIN) is None
    async with Bot("123:TEST", base_url=fake_api.base_url) as bot:
        worker = delivery_worker(services, bot)
        worker.clock = lambda: at + timedelta(minutes=1)
        await worker.drain()
    assert fake_api.sent(8601) == []
