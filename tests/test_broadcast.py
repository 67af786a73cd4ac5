"""Admin broadcasts end to end: the chat flow, the CLI, delivery through the fake Bot API, crashes."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from sqlmodel import select
from telegram import Bot

from gcmbot.bot.application import delivery_worker
from gcmbot.cli import main as cli
from gcmbot.models import AuditLog, Broadcast, OutboxMessage
from gcmbot.services.broadcast import CLI_ACTOR
from gcmbot.services.delivery import Limits
from gcmbot.services.subscriptions import Segment
from gcmbot.services.telegram_html import InvalidHTML, validate
from fakebotapi import button, tap

ADMIN = 4242
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def subscribe(services):
    """3001 Africa + trade unions, 3002 Africa, 3003 Europe, 3004 Africa but stopped, 3005 everything."""
    subs = services.subscriptions
    for chat in (3001, 3002, 3003, 3004, 3005):
        subs.start(chat, "private")
    subs.toggle(3001, "region", "africa")
    subs.toggle(3001, "constituency", "trade-unions")
    subs.toggle(3002, "region", "africa")
    subs.toggle(3003, "region", "europe")
    subs.toggle(3004, "region", "africa")
    subs.stop(3004)


async def say(fake, chat_id, text, expect):
    before = len(fake.sent(chat_id))
    fake.send_message(chat_id, text)
    await fake.wait_for(lambda: len(fake.sent(chat_id)) > before and expect in fake.sent(chat_id)[-1]["text"])
    return fake.sent(chat_id)[-1]


def outbox_rows(services):
    with services.db.session() as s:
        return list(s.exec(select(OutboxMessage).order_by(OutboxMessage.id)))


# --- validation ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("<b>bold", "line 1, column 1: <b> is never closed"),
        ("ok\nfish & chips", "line 2, column 6: a bare '&'"),
        ("<b><i>x</b></i>", "</b> does not match <i> opened at line 1, column 4"),
        ('<a href="javascript:alert(1)">x</a>', "links must start with http://, https:// or tg://"),
        ("<div>x</div>", "<div> is not supported"),
        ("1 < 2", "write &lt;"),
        ("&nbsp;", "&nbsp; is not supported"),
        ("x" * 4097, "Telegram allows at most 4096"),
        ("<b> </b>", "the message is empty"),
    ],
)
def test_invalid_html_is_explained_with_its_position(text, expected):
    with pytest.raises(InvalidHTML) as exc:
        validate(text)
    assert expected in str(exc.value)


def test_valid_telegram_html_passes_unchanged():
    text = ('<b>Geneva</b> &amp; <i>Nairobi</i> <a href="https://example.org/a?b=1&amp;c=2">link</a> <tg-spoiler>s</tg-spoiler> '
            '<span class="tg-spoiler">s</span> <pre><code class="language-python">x = 1 &lt; 2</code></pre> <blockquote>q</blockquote> '
            + "é" * 3900)
    assert validate(text) == text


# --- the chat flow ---------------------------------------------------------------------


async def test_non_admin_is_refused_and_nothing_is_queued(running_bot, services):
    fake = running_bot
    subscribe(services)
    reply = await say(fake, 5001, "/broadcast secret plans", "not allowed")
    assert "administrators" in reply["text"]
    fake.press_button(5001, reply["message_id"], "b:abcdef:s")
    await fake.wait_for(lambda: fake.callback_answers)
    assert "not allowed" in fake.callback_answers[-1]["text"]
    with services.db.session() as s:
        assert s.exec(select(Broadcast)).all() == []
        audit = s.exec(select(AuditLog)).all()
    assert outbox_rows(services) == []
    assert [a.action for a in audit] == ["refused", "refused"] and audit[0].actor_id == 5001
    assert "secret" not in str([a.detail for a in audit])  # the attempt is logged without the text


async def test_admin_previews_and_sends_to_a_segment_once(running_bot, services):
    fake = running_bot
    subscribe(services)
    await say(fake, ADMIN, "/broadcast", "Send me the message")
    html = '<b>Registration</b> for the Geneva consultation closes <i>Friday</i> &amp; <a href="https://example.org/r">register</a>'
    menu = await say(fake, ADMIN, html, "Who should get it?")
    assert "Recipients now: <b>4</b>" in menu["text"] or "Recipients now: 4" in menu["text"]  # active subscribers
    screen = await tap(fake, ADMIN, menu, "Regions")
    screen = await tap(fake, ADMIN, screen, "Africa")
    assert "✅ Africa" in str(screen["reply_markup"]) and "3" in screen["text"]  # 3001, 3002, 3005 (all regions)
    screen = await tap(fake, ADMIN, screen, "Back")
    screen = await tap(fake, ADMIN, screen, "Constituencies")
    screen = await tap(fake, ADMIN, screen, "Trade unions")
    screen = await tap(fake, ADMIN, screen, "Back")
    assert "Regions: Africa" in screen["text"]
    before = len(fake.sent(ADMIN))
    await tap(fake, ADMIN, screen, "Preview")
    await fake.wait_for(lambda: len(fake.sent(ADMIN)) >= before + 2)
    preview, confirm = fake.sent(ADMIN)[-2:]
    assert preview["text"] == html and "goes to <b>3</b>" in confirm["text"] or "goes to 3" in confirm["text"]
    assert outbox_rows(services) == []  # nothing queued before Send

    await tap(fake, ADMIN, confirm, "Send to 3")
    for chat in (3001, 3002, 3005):
        await fake.wait_messages(chat, 1)
    report = await fake.wait_for(lambda: next((m for m in fake.sent(ADMIN) if "finished" in m["text"]), None), timeout=10)
    assert "Sent: 3 of 3" in report["text"]
    for chat in (3001, 3002, 3005):
        assert [m["text"] for m in fake.sent(chat)] == [preview["text"]]  # exactly the preview, once
    assert fake.sent(3003) == [] and fake.sent(3004) == []
    assert fake.stats["duplicates"] == 0

    # A second tap on Send (stale draft) queues nothing more.
    fake.press_button(ADMIN, confirm["message_id"], button(confirm, "Send to 3"))
    await fake.wait_for(lambda: "out of date" in fake.callback_answers[-1].get("text", ""))
    with services.db.session() as s:
        [b] = s.exec(select(Broadcast)).all()
        [entry] = s.exec(select(AuditLog).where(AuditLog.action == "broadcast")).all()
    assert b.status == "done" and b.report_sent and b.text == html and b.recipients == 3
    assert entry.actor_id == ADMIN and entry.detail["segment"] == {"regions": ["africa"], "constituencies": ["trade-unions"]}

    listing = await say(fake, ADMIN, "/broadcasts", "Recent broadcasts")
    assert "#1" in listing["text"] and "sent 3 / pending 0 / failed 0" in listing["text"]


async def test_invalid_html_gets_a_clear_message_and_can_be_corrected(running_bot, services):
    fake = running_bot
    subscribe(services)
    await say(fake, ADMIN, "/broadcast", "Send me the message")
    reply = await say(fake, ADMIN, "<b>Deadline Friday", "cannot be sent")
    assert "line 1, column 1" in reply["text"] and "never closed" in reply["text"]
    await say(fake, ADMIN, "<b>Deadline</b> Friday", "Who should get it?")
    assert outbox_rows(services) == []


async def test_stale_and_forged_buttons_get_a_short_answer(running_bot, services):
    fake = running_bot
    prompt = await say(fake, ADMIN, "/broadcast", "Send me the message")
    fake.press_button(ADMIN, prompt["message_id"], "b:000000:s")
    await fake.wait_for(lambda: fake.callback_answers)
    assert "out of date" in fake.callback_answers[-1]["text"]
    token = button(prompt, "Cancel").split(":")[1]
    fake.press_button(ADMIN, prompt["message_id"], f"b:{token}:t:r:atlantis")
    await fake.wait_for(lambda: len(fake.callback_answers) == 2)
    assert "Unknown option" in fake.callback_answers[-1]["text"]
    await tap(fake, ADMIN, prompt, "Cancel")
    assert "Cancelled" in fake.sent(ADMIN)[0]["text"]


async def test_cancel_ends_the_dialog_and_the_next_message_is_a_question(running_bot, services):
    fake = running_bot
    subscribe(services)
    prompt = await say(fake, ADMIN, "/broadcast", "Send me the message")
    await say(fake, ADMIN, "/cancel", "Cancelled. Nothing was sent.")
    before = len(fake.sent(ADMIN))
    fake.send_message(ADMIN, "<b>Deadline</b> Friday")  # not a broadcast text any more
    await fake.wait_for(lambda: len(fake.sent(ADMIN)) > before)
    assert "Who should get it?" not in fake.sent(ADMIN)[-1]["text"]
    fake.press_button(ADMIN, prompt["message_id"], button(prompt, "Cancel"))
    await fake.wait_for(lambda: fake.callback_answers)
    assert "out of date" in fake.callback_answers[-1]["text"]
    assert outbox_rows(services) == []


async def test_an_idle_draft_times_out(monkeypatch, services, fake_api):
    from gcmbot.bot.application import build_application
    from gcmbot.bot.handlers import broadcast as handlers

    monkeypatch.setattr(handlers, "BROADCAST_TIMEOUT", 0.5)
    services.settings.bot_api_url = fake_api.base_url
    application = build_application(services, rate_limit=False)
    async with application:
        await application.start()
        await application.updater.start_polling(poll_interval=0, timeout=1)
        try:
            prompt = await say(fake_api, ADMIN, "/broadcast", "Send me the message")
            await asyncio.sleep(1.5)
            before = len(fake_api.sent(ADMIN))
            fake_api.send_message(ADMIN, "<b>Deadline</b> Friday")
            await fake_api.wait_for(lambda: len(fake_api.sent(ADMIN)) > before)
            assert "Who should get it?" not in fake_api.sent(ADMIN)[-1]["text"]
            fake_api.press_button(ADMIN, prompt["message_id"], button(prompt, "Cancel"))
            await fake_api.wait_for(lambda: fake_api.callback_answers)
            assert "out of date" in fake_api.callback_answers[-1]["text"]  # the draft was dropped
        finally:
            await application.updater.stop()
            await application.stop()


# --- delivery -----------------------------------------------------------------------------


async def test_flood_control_in_the_middle_is_honoured(running_bot, services):
    fake = running_bot
    subscribe(services)
    fake.inject_error("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1, chat_id=3002)
    started = time.monotonic()
    services.broadcasts.enqueue(ADMIN, "<b>Heads up</b>", Segment())
    for chat in (3001, 3002, 3003, 3005):
        await fake.wait_messages(chat, 1, timeout=10)
    assert time.monotonic() - started >= 1  # nothing went to 3002 before retry_after
    assert len(fake.sent(3002)) == 1 and fake.stats["duplicates"] == 0
    assert [e[2] for e in fake.errors] == [429]


async def test_blocked_chat_is_marked_inactive_and_reported(running_bot, services):
    fake = running_bot
    subscribe(services)
    fake.block(3003)
    broadcast_id = services.broadcasts.enqueue(ADMIN, "Update", Segment())
    report = await fake.wait_for(lambda: next((m for m in fake.sent(ADMIN) if "finished" in m["text"]), None), timeout=10)
    assert "Sent: 3 of 4" in report["text"] and "Failed: 1" in report["text"]
    assert services.subscriptions.get(3003).status == "inactive"
    [st] = services.broadcasts.status(broadcast_id)
    assert (st.sent, st.failed, st.pending) == (3, 1, 0)


async def test_resume_after_a_crash_sends_nothing_twice(services, fake_api):
    for chat in range(7001, 7021):
        services.subscriptions.start(chat, "private")
    broadcast_id = services.broadcasts.enqueue(ADMIN, "Resume me", Segment())
    async with Bot("123:TEST", base_url=fake_api.base_url) as bot:
        first = delivery_worker(services, bot)
        task = asyncio.create_task(first.run_forever(asyncio.Event()))
        await fake_api.wait_for(lambda: len(fake_api.sent()) >= 8)
        task.cancel()  # the process dies: whatever it had claimed stays "sending"
        await asyncio.gather(task, return_exceptions=True)
        delivered_before = len(fake_api.sent())
        second = delivery_worker(services, bot)
        second.interrupted_after = timedelta(0)  # the first worker is known dead
        second.recover()
        await second.drain()
    per_chat = [len(fake_api.sent(chat)) for chat in range(7001, 7021)]
    assert max(per_chat) == 1 and fake_api.stats["duplicates"] == 0
    [st] = services.broadcasts.status(broadcast_id)
    assert st.status == "done" and st.pending == 0
    assert sum(per_chat) > delivered_before  # the second worker continued where the first stopped
    interrupted = [r for r in outbox_rows(services) if r.status == "failed"]
    assert len(interrupted) <= Limits().concurrency and all("at-most-once" in r.error for r in interrupted)
    # An interrupted row may or may not have reached Telegram: that is the at-most-once trade-off.
    assert st.sent <= sum(per_chat) <= st.sent + len(interrupted)
    assert st.sent + len(interrupted) == 20  # nobody skipped


# --- the command line -------------------------------------------------------------------


@pytest.fixture
def cli_env(monkeypatch, services, tmp_path):
    monkeypatch.setenv("GCMBOT_DATABASE_URL", services.db.url)
    monkeypatch.setenv("GCMBOT_CONTENT_DIR", str(services.settings.content_dir))
    monkeypatch.chdir(tmp_path)
    subscribe(services)
    (tmp_path / "alert.html").write_text("<b>Registration closes Friday</b>\n", encoding="utf-8")
    return tmp_path


def test_cli_refuses_unknown_ids_and_bad_html(cli_env, services, capsys):
    assert cli(["broadcast", "--region", "atlantis", "--text-file", "alert.html", "--yes"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown region atlantis" in err
    (cli_env / "bad.html").write_text("fish & chips")
    assert cli(["broadcast", "--text-file", "bad.html", "--yes"]) == 2
    assert "bad.html: line 1, column 6: a bare '&'" in capsys.readouterr().err
    assert outbox_rows(services) == []


def test_cli_asks_before_queueing(cli_env, services, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("n\n"))
    assert cli(["broadcast", "--region", "africa,europe", "--constituency", "trade-unions", "--text-file", "alert.html"]) == 1
    out = capsys.readouterr().out
    assert "<b>Registration closes Friday</b>" in out and "Recipients: 4" in out and "nothing queued" in out
    assert outbox_rows(services) == []


def test_cli_send_delivers_and_status_reports(cli_env, services, fake_api, capsys, monkeypatch):
    monkeypatch.setenv("GCMBOT_TOKEN", "123:TEST")
    monkeypatch.setenv("GCMBOT_BOT_API_URL", fake_api.base_url)
    assert cli(["broadcast", "--topic", "gcm-process", "--yes", "--send", "--text-file", "alert.html"]) == 0
    out = capsys.readouterr().out
    assert "broadcast #1 queued for 4 recipient(s)" in out and "sent 4 / pending 0" in out
    assert all(len(fake_api.sent(chat)) == 1 for chat in (3001, 3002, 3003, 3005)) and fake_api.sent(3004) == []
    assert cli(["broadcast", "status", "1"]) == 0
    status = capsys.readouterr().out
    assert status.startswith("#1 ") and "done" in status and "sent 4 / pending 0 / failed 0 / skipped 0 of 4" in status
    assert cli(["broadcast", "status"]) == 0 and "#1 " in capsys.readouterr().out
    assert cli(["broadcast", "status", "99"]) == 2
    with services.db.session() as s:
        [entry] = s.exec(select(AuditLog)).all()
    assert entry.actor_id == CLI_ACTOR and entry.detail["via"].startswith("cli:")


async def test_running_bot_picks_up_a_cli_broadcast_from_another_process(running_bot, services, tmp_path):
    fake = running_bot
    subscribe(services)
    (tmp_path / "alert.html").write_text("<i>From the command line</i>")
    env = {**os.environ, "GCMBOT_DATABASE_URL": services.db.url, "PYTHONPATH": ROOT}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gcmbot", "broadcast", "--region", "europe", "--yes", "--text-file", str(tmp_path / "alert.html"),
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    assert b"queued for 2 recipient(s)" in out
    queued_at = time.monotonic()
    await fake.wait_messages(3003, 1, timeout=5)
    await fake.wait_messages(3005, 1, timeout=5)
    assert time.monotonic() - queued_at < 5
    assert fake.sent(3001) == [] and fake.sent(3003)[0]["text"] == "<i>From the command line</i>"
