"""End to end through the fake Bot API: /start, /help, /stop as a person sees them."""

from __future__ import annotations

from gcmbot.bot.handlers.core import parse_start_payload


async def test_start_subscribes_at_once_and_says_how_to_narrow(running_bot, services):
    fake = running_bot
    fake.send_message(1001, "/start", language_code="es")
    [reply, *_] = await fake.wait_messages(1001, 1)
    # language_code=es: the welcome is in Spanish (issue 9)
    assert "suscrito" in reply["text"]
    assert "todas las regiones y todos los grupos" in reply["text"]
    assert "/settings" in reply["text"]

    sub = services.subscriptions.get(1001)
    assert sub is not None and sub.active
    assert sub.chat_type == "private"
    assert sub.language == "es"  # taken from Telegram's language_code
    assert sub.segment.regions is None and sub.segment.constituencies is None
    assert sub.digest_weekday is not None  # weekly digest on by default
    # The commands are registered for Telegram's menu.
    assert "start" in [c["command"] for c in fake.commands]


async def test_help_lists_commands(running_bot):
    fake = running_bot
    fake.send_message(1002, "/help")
    [reply] = await fake.wait_messages(1002, 1)
    for command in ("/start", "/settings", "/stop", "/forget"):
        assert command in reply["text"]


async def test_stop_then_start_restores_choices(running_bot, services):
    fake = running_bot
    fake.send_message(1003, "/start region-africa")
    await fake.wait_messages(1003, 1)
    fake.send_message(1003, "/stop")
    await fake.wait_for(lambda: any("receive nothing more" in m["text"] for m in fake.sent(1003)))
    assert services.subscriptions.get(1003).status == "stopped"
    assert services.subscriptions.select_recipients(regions=["africa"]) == []

    fake.send_message(1003, "/start")
    await fake.wait_for(lambda: any("Welcome back" in m["text"] for m in fake.sent(1003)))
    sub = services.subscriptions.get(1003)
    assert sub.active and sub.segment.regions == {"africa"}


async def test_stop_when_not_subscribed(running_bot):
    fake = running_bot
    fake.send_message(1004, "/stop")
    [reply] = await fake.wait_messages(1004, 1)
    assert "not subscribed" in reply["text"]


async def test_start_link_with_unknown_option_still_subscribes(running_bot, services):
    fake = running_bot
    fake.send_message(1005, "/start region-atlantis")
    await fake.wait_for(lambda: any("do not know" in m["text"] for m in fake.sent(1005)))
    assert services.subscriptions.get(1005).segment.regions is None


def test_start_payload_format():
    assert parse_start_payload("region-africa_c-trade-unions") == [("region", "africa"), ("constituency", "trade-unions")]
