"""Scheduled broadcasts: they wait in the outbox for their time, survive a restart, can be cancelled."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from telegram import Bot

from gcmbot.app import build_services
from gcmbot.bot.application import delivery_worker
from gcmbot.render import broadcast as broadcast_texts
from gcmbot.services.subscriptions import Segment
from fakebotapi import button as _button, tap as _tap

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
    assert "scheduled for" in broadcast_texts.status(st, services.broadcasts.names(st.segment))

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


async def test_broadcasts_lists_scheduled_ones_with_a_cancel_button(running_bot, services):
    fake = running_bot
    services.subscriptions.start(ADMIN, "private")
    services.subscriptions.set_timezone(ADMIN, "Africa/Nairobi")
    services.subscriptions.start(8701, "private")
    at = datetime.now(timezone.utc) + timedelta(days=2)
    later = services.broadcasts.enqueue(ADMIN, "Later", Segment(), scheduled_at=at)
    services.broadcasts.enqueue(ADMIN, "Now", Segment())
    await fake.wait_messages(8701, 1)
    fake.send_message(ADMIN, "/broadcasts")
    # (the "Now" broadcast's report may arrive after the listing: look the listing up, not the last message)
    listing = await fake.wait_for(lambda: next((m for m in reversed(fake.sent(ADMIN)) if "Recent broadcasts" in m["text"]), None))
    assert f"#{later}" in listing["text"] and "(Africa/Nairobi" in listing["text"] and "in 1 day and 23 hours" in listing["text"]
    [[cancel]] = listing["reply_markup"]["inline_keyboard"]  # only the scheduled one can be cancelled
    assert cancel["text"] == f"✖ Cancel #{later}"
    fake.press_button(ADMIN, listing["message_id"], cancel["callback_data"])
    await fake.wait_for(lambda: "cancelled: 2 message(s) withdrawn" in fake.callback_answers[-1].get("text", ""))
    edited = await fake.wait_for(lambda: next((m for m in fake.sent(ADMIN) if m["message_id"] == listing["message_id"] and m.get("edit_date")), None))
    assert "cancelled" in edited["text"] and not edited.get("reply_markup")
    [st] = services.broadcasts.status(later)
    assert st.status == "cancelled" and st.skipped == 2  # the admin is subscribed too

    fake.press_button(ADMIN, listing["message_id"], cancel["callback_data"])  # twice: nothing more
    await fake.wait_for(lambda: "cannot be cancelled" in fake.callback_answers[-1].get("text", ""))
    fake.press_button(8701, listing["message_id"], cancel["callback_data"])  # not an admin
    await fake.wait_for(lambda: "not allowed" in fake.callback_answers[-1].get("text", ""))


def test_cli_at_schedules_in_gcmbot_timezone(services, tmp_path, monkeypatch, capsys):
    from gcmbot.cli import main as cli

    monkeypatch.setenv("GCMBOT_DATABASE_URL", services.db.url)
    monkeypatch.setenv("GCMBOT_CONTENT_DIR", str(services.settings.content_dir))
    monkeypatch.setenv("GCMBOT_TIMEZONE", "Europe/Madrid")
    monkeypatch.chdir(tmp_path)
    services.subscriptions.start(8801, "private")
    (tmp_path / "m.html").write_text("Later")
    assert cli(["broadcast", "--text-file", "m.html", "--at", "in 2 hours", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "queued for 1 recipient(s), to go out" in out and "(Europe/Madrid" in out and "in 2 hours" in out
    [st] = services.broadcasts.status()
    assert st.scheduled_at is not None and services.broadcasts.is_cancellable(st)
    assert cli(["broadcast", "--text-file", "m.html", "--at", "yesterday 9:00", "--yes"]) == 2
    assert "--at 'yesterday 9:00'" in capsys.readouterr().err


async def test_schedule_from_chat_in_the_admins_timezone_then_it_goes_out_after_a_restart(running_bot, services):
    fake = running_bot
    services.subscriptions.start(ADMIN, "private")
    services.subscriptions.set_timezone(ADMIN, "America/Mexico_City")
    services.subscriptions.stop(ADMIN)  # the admin is not a recipient
    for chat in (8901, 8902):
        services.subscriptions.start(chat, "private")
    fake.send_message(ADMIN, "/broadcast")
    await fake.wait_for(lambda: "Send me the message" in fake.sent(ADMIN)[-1]["text"])
    fake.send_message(ADMIN, "<b>Webinar</b> on the review")
    await fake.wait_for(lambda: "Who should get it?" in fake.sent(ADMIN)[-1]["text"])
    await _tap(fake, ADMIN, fake.sent(ADMIN)[-1], "Preview")
    await fake.wait_for(lambda: "Send it?" in fake.sent(ADMIN)[-1]["text"])
    confirm = fake.sent(ADMIN)[-1]
    assert "Send to 2" in str(confirm["reply_markup"]) and "Schedule…" in str(confirm["reply_markup"])

    prompt = await _tap(fake, ADMIN, confirm, "Schedule…")
    assert "When should it go out?" in prompt["text"] and "America/Mexico_City" in prompt["text"]
    fake.send_message(ADMIN, "yesterday at noon")
    await fake.wait_for(lambda: "I cannot use that time" in fake.sent(ADMIN)[-1]["text"])
    before = datetime.now(timezone.utc)
    fake.send_message(ADMIN, "in 2 hours")
    await fake.wait_for(lambda: "Schedule it?" in fake.sent(ADMIN)[-1]["text"])
    said = fake.sent(ADMIN)[-1]
    assert "(America/Mexico_City" in said["text"] and "in 2 hours" in said["text"] and "to 2 subscribers" in said["text"]
    done = await _tap(fake, ADMIN, said, "Schedule for 2")
    assert "is scheduled for 2 recipients" in done["text"] and "/broadcasts" in done["text"]
    [st] = services.broadcasts.status()
    assert st.scheduled_at is not None and abs((st.scheduled_at - before - timedelta(hours=2)).total_seconds()) < 30
    await asyncio.sleep(1.5)
    assert fake.sent(8901) == [] and fake.sent(8902) == []  # not before its time

    # Quick pick: "Tomorrow 09:00" is 09:00 in the admin's timezone.
    fake.send_message(ADMIN, "/broadcast")
    await fake.wait_for(lambda: "Send me the message" in fake.sent(ADMIN)[-1]["text"])
    fake.send_message(ADMIN, "Second")
    await fake.wait_for(lambda: "Who should get it?" in fake.sent(ADMIN)[-1]["text"])
    await _tap(fake, ADMIN, fake.sent(ADMIN)[-1], "Preview")
    await fake.wait_for(lambda: "Send it?" in fake.sent(ADMIN)[-1]["text"])
    prompt = await _tap(fake, ADMIN, fake.sent(ADMIN)[-1], "Schedule…")
    said = await _tap(fake, ADMIN, prompt, "Tomorrow 09:00")
    assert "at 09:00 (America/Mexico_City" in said["text"]
    back = await _tap(fake, ADMIN, said, "Change the time")
    assert "When should it go out?" in back["text"]
    back = await _tap(fake, ADMIN, back, "Back")
    assert "Send it?" in back["text"]  # back to Send now / Schedule…

    # Restart: a fresh worker whose clock says the time has come.
    restarted = build_services(services.settings, db=services.db)
    async with Bot("123:TEST", base_url=fake.base_url) as bot:
        worker = delivery_worker(restarted, bot)
        worker.clock = lambda: st.scheduled_at + timedelta(seconds=1)
        await worker.drain()
    assert [m["text"] for m in fake.sent(8901)] == ["<b>Webinar</b> on the review"]
    assert len(fake.sent(8902)) == 1
