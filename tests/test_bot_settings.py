"""The settings menu end to end, as a person taps through it in the fake Bot API."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import select

from gcmbot.models import Subscriber, SubscriberChoice
from gcmbot.services.subscriptions import InvalidChoice
from fakebotapi import button, tap


def menu_of(fake, chat_id):
    """The newest bot message with a keyboard in the chat."""
    return [m for m in fake.sent(chat_id) if m.get("reply_markup")][-1]


async def subscribe(fake, chat_id, **kw):
    fake.send_message(chat_id, "/start", **kw)
    await fake.wait_for(lambda: any(m.get("reply_markup") for m in fake.sent(chat_id)))
    return menu_of(fake, chat_id)


async def test_tailor_subscription_in_one_edited_message(running_bot, services):
    fake = running_bot
    menu = await subscribe(fake, 2001)
    sent_before = len(fake.sent(2001))

    screen = await tap(fake, 2001, menu, "Regions")
    screen = await tap(fake, 2001, screen, "Africa")
    screen = await tap(fake, 2001, screen, "Europe")
    assert "✅ Africa" in str(screen["reply_markup"]) and "✅ Europe" in str(screen["reply_markup"])
    assert "✅ All regions" not in str(screen["reply_markup"])
    screen = await tap(fake, 2001, screen, "Back")
    screen = await tap(fake, 2001, screen, "Constituencies")
    screen = await tap(fake, 2001, screen, "Trade unions")
    screen = await tap(fake, 2001, screen, "Back")
    screen = await tap(fake, 2001, screen, "Done")

    assert "Regions: Africa, Europe" in screen["text"]
    assert "Constituencies: Trade unions" in screen["text"] or "Constituencies: Trade Unions" in screen["text"]
    assert not screen.get("reply_markup")
    assert len(fake.sent(2001)) == sent_before  # everything happened by editing the one menu

    sub = services.subscriptions.get(2001)
    assert sub.segment.regions == {"africa", "europe"}
    assert sub.segment.constituencies == {"trade-unions"}
    assert services.subscriptions.select_recipients(regions=["africa"], constituencies=["trade-unions"]) == [2001]
    assert services.subscriptions.select_recipients(regions=["asia-pacific"]) == []

    fake.send_message(2001, "/mysubscription")
    await fake.wait_for(lambda: "Your subscription" in fake.sent(2001)[-1]["text"])
    assert "Regions: Africa, Europe" in fake.sent(2001)[-1]["text"]


async def test_all_regions_resets_choice(running_bot, services):
    fake = running_bot
    menu = await subscribe(fake, 2002)
    screen = await tap(fake, 2002, menu, "Regions")
    screen = await tap(fake, 2002, screen, "Africa")
    screen = await tap(fake, 2002, screen, "All regions")
    assert services.subscriptions.get(2002).segment.regions is None
    assert services.subscriptions.select_recipients(regions=["europe"]) == [2002]


async def test_timezone_by_name_and_bad_name(running_bot, services):
    fake = running_bot
    menu = await subscribe(fake, 2003)
    await tap(fake, 2003, menu, "Timezone")
    fake.send_message(2003, "Africa/Nairobi")
    await fake.wait_for(lambda: "Timezone set to Africa/Nairobi" in fake.sent(2003)[-1]["text"])
    assert services.subscriptions.get(2003).timezone == "Africa/Nairobi"

    fake.send_message(2003, "/timezone Mars/Olympus_Mons")
    await fake.wait_for(lambda: "not a timezone name" in fake.sent(2003)[-1]["text"])
    assert "Nothing was changed" in fake.sent(2003)[-1]["text"]
    assert services.subscriptions.get(2003).timezone == "Africa/Nairobi"


async def test_digest_day_hour_and_alerts(running_bot, services):
    fake = running_bot
    menu = await subscribe(fake, 2004)
    screen = await tap(fake, 2004, menu, "Digest")
    screen = await tap(fake, 2004, screen, "Thu")
    screen = await tap(fake, 2004, screen, "18:00")
    screen = await tap(fake, 2004, screen, "Instant alerts")
    sub = services.subscriptions.get(2004)
    assert (sub.digest_weekday, sub.digest_hour, sub.alerts) == (3, 18, True)
    assert "Thursdays at 18:00" in screen["text"]
    screen = await tap(fake, 2004, screen, "Off")
    assert services.subscriptions.get(2004).digest_weekday is None


async def test_stale_and_forged_buttons_change_nothing(running_bot, services):
    fake = running_bot
    old_menu = await subscribe(fake, 2005)
    fake.send_message(2005, "/settings")
    await fake.wait_for(lambda: menu_of(fake, 2005)["message_id"] != old_menu["message_id"])

    await tap(fake, 2005, old_menu, "Regions")
    assert "out of date" in fake.callback_answers[-1]["text"]

    token = services.subscriptions.get(2005).menu_token
    new_menu = menu_of(fake, 2005)
    for data in (f"s:{token}:t:r:atlantis", f"s:{token}:zz", f"s:{token}:dh:99", "garbage", f"s:{token}:ls:xx"):
        n = len(fake.callback_answers)
        fake.press_button(2005, new_menu["message_id"], data)
        await fake.wait_for(lambda: len(fake.callback_answers) > n)
    assert all(a.get("text") for a in fake.callback_answers[-5:])
    sub = services.subscriptions.get(2005)
    assert sub.segment.regions is None and sub.digest_hour == 9 and sub.language == "en"

    # Another chat replaying this chat's button gets a "stale" answer, not a change.
    await subscribe(fake, 2006)
    n = len(fake.callback_answers)
    fake.press_button(2006, menu_of(fake, 2006)["message_id"], f"s:{token}:t:r:africa")
    await fake.wait_for(lambda: len(fake.callback_answers) > n)
    assert services.subscriptions.get(2006).segment.regions is None


async def test_group_admin_may_change_settings_others_may_not(running_bot, services):
    fake = running_bot
    group = -100500
    fake.set_chat_member(group, 7, "administrator")
    fake.set_chat_member(group, 8, "member")

    fake.send_message(group, "/start", user_id=8, chat_type="supergroup")
    await fake.wait_for(lambda: "administrators" in fake.sent(group)[-1]["text"])
    assert services.subscriptions.get(group) is None

    menu = await subscribe(fake, group, user_id=7, chat_type="supergroup")
    assert services.subscriptions.get(group).active

    screen = await tap(fake, group, menu, "Regions", user_id=8)
    assert "administrators" in fake.callback_answers[-1]["text"]
    assert "Africa" not in screen["text"]
    screen = await tap(fake, group, menu, "Regions", user_id=7)
    await tap(fake, group, screen, "Africa", user_id=7)
    assert services.subscriptions.get(group).segment.regions == {"africa"}

    fake.send_message(group, "/stop", user_id=8, chat_type="supergroup")
    await fake.wait_for(lambda: "administrators" in fake.sent(group)[-1]["text"])
    assert services.subscriptions.get(group).active


async def test_bot_removed_or_blocked_makes_subscriber_inactive(running_bot, services):
    fake = running_bot
    fake.set_chat_member(-100600, 7, "administrator")
    await subscribe(fake, -100600, user_id=7, chat_type="group")
    await subscribe(fake, 2007)
    fake.my_chat_member(-100600, "left", chat_type="group")
    fake.my_chat_member(2007, "kicked", chat_type="private", user_id=2007)
    await fake.wait_for(lambda: services.subscriptions.get(2007).status == "inactive")
    await fake.wait_for(lambda: services.subscriptions.get(-100600).status == "inactive")
    assert services.subscriptions.select_recipients() == []


async def test_forget_deletes_everything_after_confirmation(running_bot, services, db):
    fake = running_bot
    menu = await subscribe(fake, 2008)
    screen = await tap(fake, 2008, menu, "Regions")
    await tap(fake, 2008, screen, "Africa")

    fake.send_message(2008, "/forget")
    await fake.wait_for(lambda: "cannot be undone" in fake.sent(2008)[-1]["text"])
    confirm = fake.sent(2008)[-1]
    screen = await tap(fake, 2008, confirm, "Cancel")
    assert "Nothing was deleted" in screen["text"]
    assert services.subscriptions.get(2008) is not None

    fake.send_message(2008, "/forget")
    await fake.wait_for(lambda: "cannot be undone" in fake.sent(2008)[-1]["text"] and fake.sent(2008)[-1]["message_id"] != confirm["message_id"])
    screen = await tap(fake, 2008, fake.sent(2008)[-1], "Delete everything")
    assert "Deleted: 1 subscription, 1 choices" in screen["text"]
    with db.session() as s:
        assert s.exec(select(Subscriber).where(Subscriber.chat_id == 2008)).first() is None
        assert s.exec(select(SubscriberChoice)).all() == []


async def test_hostile_input_is_escaped_in_replies(running_bot, services):
    fake = running_bot
    fake.send_message(2101, "/start <a_href=x>")
    await fake.wait_for(lambda: any("do not know" in m["text"] for m in fake.sent(2101)))
    await fake.wait_for(lambda: any(m.get("reply_markup") for m in fake.sent(2101)))  # the menu still follows
    sent = [c["text"] for c in fake.calls_to("sendMessage") if "do not know" in c["text"]]
    assert "&lt;a" in sent[0]  # the HTML the bot sent has the user's text escaped

    fake.send_message(2101, "/timezone Europe/<b>x")
    await fake.wait_for(lambda: "not a timezone name" in fake.sent(2101)[-1]["text"])
    assert "Europe/&lt;b&gt;x" in fake.calls_to("sendMessage")[-1]["text"]
    assert services.subscriptions.get(2101).timezone == "UTC"


async def test_timezone_prompt_ends_with_the_next_button(running_bot, services):
    fake = running_bot
    menu = await subscribe(fake, 2102)
    screen = await tap(fake, 2102, menu, "Timezone")
    await tap(fake, 2102, screen, "Back")
    fake.send_message(2102, "Europe/Madrid")
    await fake.wait_idle()
    assert services.subscriptions.get(2102).timezone == "UTC"  # taken as a question, not a timezone
    assert not any("Timezone set" in m["text"] for m in fake.sent(2102))


async def test_forget_removes_refused_admin_attempts(running_bot, services, db):
    from gcmbot.models import AuditLog

    fake = running_bot
    await subscribe(fake, 2103)
    fake.send_message(2103, "/broadcast")
    await fake.wait_for(lambda: "not allowed" in fake.sent(2103)[-1]["text"])
    with db.session() as s:
        assert s.exec(select(AuditLog).where(AuditLog.actor_id == 2103)).all()
    services.subscriptions.forget(2103)
    with db.session() as s:
        assert s.exec(select(AuditLog).where(AuditLog.actor_id == 2103)).all() == []


async def test_reminder_days_chosen_in_the_menu(running_bot, services):
    fake = running_bot
    menu = await subscribe(fake, 2104)
    screen = await tap(fake, 2104, menu, "Digest")
    screen = await tap(fake, 2104, screen, "Event reminders")  # off
    assert services.subscriptions.get(2104).reminders is False
    screen = await tap(fake, 2104, screen, "7 days before")  # choosing a lead time turns them back on
    sub = services.subscriptions.get(2104)
    assert (sub.reminders, sub.reminder_days) == (True, 7)
    assert "✅ 7 days before" in str(screen["reply_markup"])
    fake.press_button(2104, screen["message_id"], f"s:{sub.menu_token}:rd:5")  # not offered: forged
    await fake.wait_for(lambda: "nothing was changed" in fake.callback_answers[-1].get("text", ""))
    assert services.subscriptions.get(2104).reminder_days == 7


async def test_a_very_long_timezone_name_is_unknown_not_a_crash(running_bot, services, caplog):
    fake = running_bot
    await subscribe(fake, 2110)
    fake.send_message(2110, "/timezone " + "A" * 3000)
    await fake.wait_for(lambda: "not a timezone name" in fake.sent(2110)[-1]["text"])
    assert services.subscriptions.get(2110).timezone == "UTC"
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


async def test_timezone_prompt_and_cancel(running_bot, services):
    fake = running_bot
    await subscribe(fake, 2111)
    fake.send_message(2111, "/timezone")
    await fake.wait_for(lambda: "Send the name of your timezone" in fake.sent(2111)[-1]["text"])
    fake.send_message(2111, "/cancel")
    await fake.wait_for(lambda: "Cancelled. Nothing was changed." in fake.sent(2111)[-1]["text"])
    fake.send_message(2111, "Europe/Madrid")  # no prompt any more: a question
    await fake.wait_idle()
    assert services.subscriptions.get(2111).timezone == "UTC"
    fake.send_message(2111, "/cancel")
    await fake.wait_for(lambda: "nothing to cancel" in fake.sent(2111)[-1]["text"])
    fake.send_message(2111, "/timezone")
    await fake.wait_for(lambda: "Send the name of your timezone" in fake.sent(2111)[-1]["text"])
    fake.send_message(2111, "Europe/Madrid")
    await fake.wait_for(lambda: "Timezone set to Europe/Madrid" in fake.sent(2111)[-1]["text"])


async def test_timezone_prompt_times_out(monkeypatch, services, fake_api):
    from gcmbot.bot.handlers import settings as handlers

    monkeypatch.setattr(handlers, "TIMEZONE_TIMEOUT", 0.5)
    from gcmbot.bot.application import build_application

    services.settings.bot_api_url = fake_api.base_url
    application = build_application(services, rate_limit=False)
    async with application:
        await application.start()
        await application.updater.start_polling(poll_interval=0, timeout=1)
        try:
            fake = fake_api
            await subscribe(fake, 2112)
            fake.send_message(2112, "/timezone")
            await fake.wait_for(lambda: "Send the name of your timezone" in fake.sent(2112)[-1]["text"])
            await asyncio.sleep(1.5)
            fake.send_message(2112, "Europe/Madrid")
            await fake.wait_idle()
            assert services.subscriptions.get(2112).timezone == "UTC"  # the prompt had ended
        finally:
            await application.updater.stop()
            await application.stop()


# Menus sent before the actions had names carry terse codes, and stay live until the chat opens a
# newer menu: each code must do exactly what its named action does.
LEGACY_PRESSES = [
    ("v:r", "choices:r"), ("t:r:africa", "toggle:r:africa"), ("t:r:europe", "toggle:r:europe"), ("a:c", "all:c"),
    ("m", "menu"), ("d", "digest"), ("dw:3", "weekday:3"), ("dh:18", "hour:18"), ("dw:off", "weekday:off"),
    ("dh:7", "hour:7"), ("rd:7", "remind-days:7"), ("f:alerts", "flag:alerts"), ("f:empty", "flag:empty"),
    ("q:night", "quiet:night"), ("z", "timezone"), ("zs:Africa/Nairobi", "set-timezone:Africa/Nairobi"),
    ("l", "language"), ("ls:fr", "set-language:fr"), ("ls:en", "set-language:en"), ("done", "done"),
]


def _labels(message):
    return [[b["text"] for b in row] for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])]


async def _press(fake, chat_id, message, data):
    answers = len(fake.callback_answers)
    fake.press_button(chat_id, message["message_id"], data)
    await fake.wait_for(lambda: len(fake.callback_answers) > answers)
    await fake.wait_idle(quiet=0.3)
    return next(m for m in fake.sent(chat_id) if m["message_id"] == message["message_id"]), fake.callback_answers[-1]


async def test_buttons_of_menus_sent_before_the_action_names_still_work(running_bot, services):
    fake = running_bot
    old, new = await subscribe(fake, 2201), await subscribe(fake, 2202)
    old_key, new_key = services.subscriptions.get(2201).menu_token, services.subscriptions.get(2202).menu_token
    assert button(new, "Digest") == f"s:{new_key}:digest"  # what menus send now
    for code, name in LEGACY_PRESSES:
        old, old_answer = await _press(fake, 2201, old, f"s:{old_key}:{code}")
        new, new_answer = await _press(fake, 2202, new, f"s:{new_key}:{name}")
        assert not old_answer.get("text") and not new_answer.get("text"), code  # applied, no complaint
        assert old["text"] == new["text"] and _labels(old) == _labels(new), code
    a, b = services.subscriptions.get(2201), services.subscriptions.get(2202)
    assert a.segment == b.segment and a.segment.regions == frozenset({"africa", "europe"})
    assert (a.digest_weekday, a.digest_hour, a.reminder_days, a.alerts, a.send_empty_digest, a.quiet_mode, a.timezone) == (
        b.digest_weekday, b.digest_hour, b.reminder_days, b.alerts, b.send_empty_digest, b.quiet_mode, b.timezone)
    assert (a.digest_weekday, a.digest_hour, a.timezone) == (0, 7, "Africa/Nairobi")  # the hour turned the digest on, Mondays

    for chat_id, action in ((2201, "fg"), (2202, "forget")):  # /forget's confirmation, Cancel
        fake.send_message(chat_id, "/forget")
        await fake.wait_for(lambda: "Delete everything" in str(menu_of(fake, chat_id).get("reply_markup")))
        token = services.subscriptions.get(chat_id).menu_token
        screen, _ = await _press(fake, chat_id, menu_of(fake, chat_id), f"s:{token}:{action}:no")
        assert "Nothing was deleted" in screen["text"] and services.subscriptions.get(chat_id) is not None


async def test_the_legacy_timezone_button_still_takes_a_typed_name(running_bot, services):
    fake = running_bot
    menu = await subscribe(fake, 2203)
    token = services.subscriptions.get(2203).menu_token
    await _press(fake, 2203, menu, f"s:{token}:z")
    fake.send_message(2203, "Asia/Bangkok")
    await fake.wait_for(lambda: services.subscriptions.get(2203).timezone == "Asia/Bangkok")


def test_choosing_an_hour_turns_the_digest_on(services):
    subs = services.subscriptions
    subs.start(2301, "private")
    subs.set_digest(2301, None)
    sub = subs.choose_digest_hour(2301, 18)
    assert (sub.digest_weekday, sub.digest_hour) == (0, 18)  # off → Mondays, at the hour chosen
    subs.set_digest(2301, 4)
    assert (subs.choose_digest_hour(2301, 6).digest_weekday, subs.get(2301).digest_hour) == (4, 6)  # the day is kept
    for bad in (-1, 24):
        with pytest.raises(InvalidChoice):
            subs.choose_digest_hour(2301, bad)
    with pytest.raises(InvalidChoice):
        subs.choose_reminder_days(2301, 5)  # the menu offers 2, 3, 7 and 14
    assert subs.toggle_flag(2301, "alerts").alerts is not subs.toggle_flag(2301, "alerts").alerts
