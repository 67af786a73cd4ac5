"""Quiet digests (disable_notification) and the forward-safe start link at the end of digests and alerts."""

from __future__ import annotations

from datetime import datetime, timezone

from telegram import Bot

from gcmbot.bot.application import delivery_worker
from gcmbot.bot.handlers.core import parse_start_payload
from gcmbot.render.alerts import render_alert
from gcmbot.render.sharing import share_line
from gcmbot.services.alerts import AlertItem
from gcmbot.services.sharing import start_link, start_payload
from gcmbot.services.subscriptions import Segment

MONDAY_6 = datetime(2030, 12, 2, 6, 5, tzinfo=timezone.utc)  # a Monday, 06:05 UTC, after the test runs
MONDAY_9 = datetime(2030, 12, 2, 9, 5, tzinfo=timezone.utc)


def test_quiet_mode_defaults_by_chat_type_and_night_in_the_chats_timezone(services):
    subs = services.subscriptions
    for chat, kind in ((9001, "private"), (-9002, "group"), (-1009003, "channel")):
        subs.start(chat, kind)
    person, group, channel = subs.get(9001), subs.get(-9002), subs.get(-1009003)
    assert (person.quiet_mode, group.quiet_mode, channel.quiet_mode) == ("off", "night", "night")
    at = lambda h, m=0: datetime(2030, 12, 2, h, m, tzinfo=timezone.utc)  # noqa: E731
    assert group.digest_quietly(at(22)) and group.digest_quietly(at(6, 59)) and not group.digest_quietly(at(7))
    assert not group.digest_quietly(at(21, 59)) and not person.digest_quietly(at(23))
    nairobi = subs.set_timezone(-9002, "Africa/Nairobi")  # UTC+3
    assert nairobi.digest_quietly(at(19)) and not nairobi.digest_quietly(at(4))
    assert subs.set_quiet(9001, "always").digest_quietly(at(12))
    assert not subs.set_quiet(-1009003, "off").digest_quietly(at(23))


async def test_a_group_digest_at_night_is_quiet_a_person_is_not(services, fake_api):
    subs = services.subscriptions
    subs.start(-9101, "group")
    subs.start(9102, "private")
    subs.start(9103, "private")
    for chat in (-9101, 9102, 9103):
        subs.set_digest(chat, 0, 6)
        subs.set_flag(chat, "send_empty_digest", True)
    subs.set_quiet(9103, "always")
    services.digest.send_due(MONDAY_6)
    async with Bot("123:TEST", base_url=fake_api.base_url) as bot:
        await delivery_worker(services, bot).drain()
    admins = set(services.settings.admin_ids)  # they may get the weekly note about a stale record
    quiet = {c["chat_id"]: bool(c.get("disable_notification")) for c in fake_api.calls_to("sendMessage") if c["chat_id"] not in admins}
    assert quiet == {-9101: True, 9102: False, 9103: True}


async def test_quiet_digests_in_the_settings_menu(running_bot, services):
    fake = running_bot
    fake.send_message(9201, "/start")
    await fake.wait_for(lambda: any(m.get("reply_markup") for m in fake.sent(9201)))
    menu = [m for m in fake.sent(9201) if m.get("reply_markup")][-1]

    async def tap(message, label):
        data = next(b["callback_data"] for row in message["reply_markup"]["inline_keyboard"] for b in row if label in b["text"])
        n = len(fake.callback_answers)
        fake.press_button(9201, message["message_id"], data)
        await fake.wait_for(lambda: len(fake.callback_answers) > n)
        await fake.wait_idle()
        return next(m for m in fake.sent(9201) if m["message_id"] == message["message_id"])

    screen = await tap(menu, "Digest")
    assert "✅ 🔔 With sound" in str(screen["reply_markup"])
    screen = await tap(screen, "Quiet at night")
    assert services.subscriptions.get(9201).quiet == "night" and "✅ 🌙 Quiet at night" in str(screen["reply_markup"])
    screen = await tap(screen, "Always quiet")
    assert services.subscriptions.get(9201).quiet == "always"
    screen = await tap(await tap(screen, "Back"), "Done")
    assert "Digests without notification sound: always" in screen["text"]


def test_start_payload_is_the_deep_link_format_and_fits_64_characters():
    assert start_payload(Segment()) == ""
    segment = Segment(frozenset({"africa"}), frozenset({"trade-unions"}), None)
    assert start_payload(segment) == "r-africa_c-trade-unions"
    assert parse_start_payload(start_payload(segment)) == [("region", "africa"), ("constituency", "trade-unions")]
    wide = Segment(frozenset({"africa", "europe", "asia-pacific"}), frozenset({"trade-unions", "ngos"}),
                   frozenset({"labour-regular-pathways", "smuggling-trafficking"}))
    payload = start_payload(wide)
    assert payload == "r-africa_r-asia-pacific_r-europe_c-ngos_c-trade-unions"  # too long with topics: they are dropped
    assert start_link("gcm_bot", Segment()) == "t.me/gcm_bot"
    line = share_line("gcm_bot", segment)
    assert line == '📣 Get these updates: <a href="https://t.me/gcm_bot?start=r-africa_c-trade-unions">t.me/gcm_bot?start=r-africa_c-trade-unions</a>'
    assert share_line(None, segment) == ""
    assert "Recibe estas novedades" in share_line("gcm_bot", segment, "es")


def test_alert_ends_with_the_link_and_stays_under_the_limit():
    items = [AlertItem(i, f"Report {i} " + "x" * 300, f"https://example.org/{i}", "IOM", None) for i in range(30)]
    share = share_line("gcm_bot", Segment(frozenset({"europe"})))
    text = render_alert(items, share=share)
    assert text.endswith(share) and len(text.encode("utf-16-le")) // 2 <= 4096 and "more" in text


async def test_digest_preview_and_weekly_digest_end_with_the_link(running_bot, services):
    fake = running_bot
    fake.send_message(9301, "/start region-africa")
    await fake.wait_for(lambda: any(m.get("reply_markup") for m in fake.sent(9301)))
    fake.send_message(9301, "/digest")
    await fake.wait_for(lambda: any("Preview of your weekly digest" in m["text"] for m in fake.sent(9301)))
    preview = next(m for m in fake.sent(9301) if "Preview of your weekly digest" in m["text"])
    assert "t.me/gcm_test_bot?start=r-africa" in preview["text"]  # the username comes from getMe
    services.subscriptions.set_flag(9301, "send_empty_digest", True)
    services.digest.send_due(MONDAY_9)
    await fake.wait_for(lambda: any("Your weekly digest" in m["text"] for m in fake.sent(9301)), timeout=10)
    digest = next(m for m in fake.sent(9301) if "Your weekly digest" in m["text"])
    assert digest["text"].rstrip().endswith("t.me/gcm_test_bot?start=r-africa</a>")
