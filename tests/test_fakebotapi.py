"""Tests for tests/fakebotapi.py against the real python-telegram-bot stack."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request

import pytest
import pytest_asyncio
from telegram import Bot, ChatMemberAdministrator, ChatMemberMember, ChatMemberOwner
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter
from telegram.ext import (Application, CallbackQueryHandler, ChatMemberHandler,
                          CommandHandler, ContextTypes)

from fakebotapi import BOT_ID, FakeBotAPI

TOKEN = "123:ABC"
# PTB 22 warns when reading RetryAfter.retry_after as int; irrelevant here.
pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*")


@pytest.fixture
def fake():
    with FakeBotAPI() as api:
        yield api


@pytest_asyncio.fixture
async def bot(fake):
    async with Bot(TOKEN, base_url=fake.base_url, base_file_url=fake.file_url) as b:
        yield b


def raw_call(fake: FakeBotAPI, method: str, body: bytes = b"",
             content_type: str = "application/json", token: str = TOKEN) -> tuple[int, dict]:
    """POST straight to the fake, bypassing PTB."""
    req = urllib.request.Request(f"{fake.base_url}{token}/{method}", data=body,
                                 headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go")]])
    await update.message.reply_text("Hello!", reply_markup=keyboard)


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer("done")
    await query.edit_message_text(f"Pressed {query.data}")


@pytest.mark.asyncio
async def test_command_and_button_roundtrip(fake):
    members: list[str] = []

    async def on_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        members.append(update.my_chat_member.new_chat_member.status)

    app = Application.builder().token(TOKEN).base_url(fake.base_url).build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(button))
    app.add_handler(ChatMemberHandler(on_member, ChatMemberHandler.MY_CHAT_MEMBER))
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            fake.send_message(42, "/start@gcm_test_bot")
            [msg] = await fake.wait_messages(42, 1)
            assert msg["text"] == "Hello!"
            assert msg["from"]["id"] == BOT_ID
            assert msg["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "go"

            query_id = fake.press_button(42, msg["message_id"], "go")
            await fake.wait_for(lambda: fake.last_message(42)["text"] == "Pressed go")
            assert fake.callback_answers == [{"callback_query_id": query_id, "text": "done"}]
            assert "reply_markup" not in fake.last_message(42)
            assert fake.last_message(42)["edit_date"]

            fake.my_chat_member(-100, "administrator")
            await fake.wait_for(lambda: members == ["administrator"])
            await fake.wait_idle()
        finally:
            await app.updater.stop()
            await app.stop()
    methods = [m for m, _ in fake.calls]
    assert methods[0] == "getMe"
    assert {"deleteWebhook", "sendMessage", "answerCallbackQuery",
            "editMessageText"} <= set(methods)
    assert "getUpdates" not in methods


@pytest.mark.asyncio
async def test_injected_429_and_migration(fake, bot):
    fake.inject_error("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
    with pytest.raises(RetryAfter) as err:
        await bot.send_message(7, "hi")
    assert err.value.retry_after in (3, 3.0) or err.value.retry_after.total_seconds() == 3
    assert (await bot.send_message(7, "hi")).text == "hi"  # times=1: only once

    fake.inject_error("sendMessage", 400, "Bad Request: group chat was upgraded",
                      migrate_to_chat_id=-1001234, chat_id=-55)
    await bot.send_message(-56, "other chat is unaffected")
    with pytest.raises(ChatMigrated) as err:
        await bot.send_message(-55, "x")
    assert err.value.new_chat_id == -1001234


@pytest.mark.asyncio
async def test_blocked_and_unknown_chat(fake, bot):
    fake.block(9)
    fake.unknown_chat(10)
    with pytest.raises(Forbidden, match="blocked by the user"):
        await bot.send_message(9, "x")
    with pytest.raises(BadRequest, match="hat not found"):
        await bot.send_message(10, "x")
    assert fake.sent() == []
    assert [e[2] for e in fake.errors] == [403, 400]


@pytest.mark.asyncio
async def test_send_document_records_bytes(fake, bot):
    payload = b"\x00\x01binary\r\n--not-a-boundary\n\xff" * 50
    msg = await bot.send_document(5, document=payload, filename="report.csv", caption="ok")
    assert msg.document.file_name == "report.csv"
    assert msg.document.file_size == len(payload)
    [doc] = fake.documents(5)
    assert doc["data"] == payload and doc["file_name"] == "report.csv"
    assert doc["caption"] == "ok"
    file = await bot.get_file(msg.document.file_id)
    assert bytes(await file.download_as_bytearray()) == payload


@pytest.mark.asyncio
async def test_commands_edits_and_members(fake, bot):
    await bot.set_my_commands([("start", "Start the bot"), ("help", "Help")])
    assert fake.commands == [{"command": "start", "description": "Start the bot"},
                             {"command": "help", "description": "Help"}]
    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]

    msg = await bot.send_message(3, "*bold*", parse_mode="Markdown")
    assert fake.calls_to("sendMessage")[-1] == {"chat_id": 3, "text": "*bold*",
                                                "parse_mode": "Markdown"}
    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_text("*bold*", chat_id=3, message_id=msg.message_id)
    with pytest.raises(BadRequest, match="to edit not found"):
        await bot.edit_message_text("x", chat_id=3, message_id=999)
    await bot.delete_message(3, msg.message_id)
    assert fake.sent(3) == []

    assert isinstance(await bot.get_chat_member(3, 3), ChatMemberOwner)
    assert isinstance(await bot.get_chat_member(-20, 3), ChatMemberMember)
    fake.set_chat_member(-20, 3, "administrator")
    member = await bot.get_chat_member(-20, 3)
    assert isinstance(member, ChatMemberAdministrator) and member.user.id == 3
    assert [a.user.id for a in await bot.get_chat_administrators(-20)] == [3]
    assert (await bot.get_chat(-20)).type == "group"
    assert (await bot.get_me()).username == "gcm_test_bot"


@pytest.mark.asyncio
async def test_rate_limits_and_duplicates():
    with FakeBotAPI(enforce_limits=True, per_chat_per_second=1) as fake:
        async with Bot(TOKEN, base_url=fake.base_url) as bot:
            await bot.send_message(1, "a")
            with pytest.raises(RetryAfter):
                await bot.send_message(1, "b")
            await bot.send_message(2, "a")
            await bot.send_message(3, "a")
        assert fake.stats["sent"] == 3 and fake.stats["429"] == 1
        fake.reset()
        fake.enforce_limits = False
        async with Bot(TOKEN, base_url=fake.base_url) as bot:
            await bot.send_message(1, "same")
            await bot.send_message(1, "same")
        assert fake.stats["duplicates"] == 1


def test_raw_http_formats_and_errors(fake):
    assert raw_call(fake, "nope") == (404, {"ok": False, "error_code": 404,
                                            "description": "Not Found: method not found"})
    code, body = raw_call(fake, "sendMessage", b"chat_id=5&text=123&reply_markup="
                          b"%7B%22inline_keyboard%22%3A%5B%5D%7D",
                          "application/x-www-form-urlencoded", token="999:other")
    assert code == 200 and body["result"]["text"] == "123"
    assert fake.calls_to("sendMessage")[0] == {"chat_id": 5, "text": "123",
                                               "reply_markup": {"inline_keyboard": []}}
    code, body = raw_call(fake, "sendMessage", json.dumps({"chat_id": 5, "text": ""}).encode())
    assert (code, body["description"]) == (400, "Bad Request: message text is empty")


def test_long_poll_offset_and_stop():
    fake = FakeBotAPI().start()
    try:
        threading.Timer(0.2, fake.send_message, args=(1, "hi")).start()
        t0 = time.monotonic()
        _, body = raw_call(fake, "getUpdates", json.dumps({"timeout": 5}).encode())
        assert time.monotonic() - t0 < 2
        [upd] = body["result"]
        assert upd["message"]["text"] == "hi"
        fake.send_message(1, "again")
        _, body = raw_call(fake, "getUpdates",
                           json.dumps({"offset": upd["update_id"] + 1, "limit": 1}).encode())
        assert [u["message"]["text"] for u in body["result"]] == ["again"]
        _, body = raw_call(fake, "getUpdates", json.dumps({"timeout": 0.2}).encode())
        assert body["result"][0]["message"]["text"] == "again"  # not confirmed yet
        fake.reset()
        assert raw_call(fake, "getUpdates", b'{"timeout": 0.1}')[1]["result"] == []

        result: list = []
        poller = threading.Thread(target=lambda: result.append(
            raw_call(fake, "getUpdates", b'{"timeout": 30}')))
        poller.start()
        fake.wait_for_sync(lambda: fake._conns, timeout=2)
        time.sleep(0.05)
    finally:
        t0 = time.monotonic()
        fake.stop()
    poller.join(timeout=3)
    assert not poller.is_alive() and time.monotonic() - t0 < 3
    assert not [t for t in threading.enumerate() if t.name == "FakeBotAPI"]


async def test_channels_pins_and_photos(fake, bot):
    fake.add_channel(-100777, "civil_ch", "Civil")
    chat = await bot.get_chat("@civil_ch")
    assert (chat.id, chat.type, chat.username) == (-100777, "channel", "civil_ch")
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await bot.get_chat("@nobody_here")
    with pytest.raises(Forbidden, match="(?i)not a member of the channel"):
        await bot.send_message(-100777, "hi")  # the bot is not an administrator yet
    fake.set_chat_member(-100777, BOT_ID, "administrator", can_post_messages=False)
    member = await bot.get_chat_member("@civil_ch", BOT_ID)
    assert isinstance(member, ChatMemberAdministrator) and member.can_post_messages is False
    with pytest.raises(BadRequest, match="(?i)need administrator rights"):
        await bot.send_message(-100777, "hi")
    fake.set_chat_member(-100777, BOT_ID, "administrator")
    post = await bot.send_message(-100777, "hi")
    assert post.chat.type == "channel"

    fake.set_chat_member(-100888, BOT_ID, "administrator", can_pin_messages=False)
    msg = await bot.send_message(-100888, "pin me")
    with pytest.raises(BadRequest, match="(?i)not enough rights"):
        await bot.pin_chat_message(-100888, msg.message_id)
    fake.set_chat_member(-100888, BOT_ID, "administrator")
    assert await bot.pin_chat_message(-100888, msg.message_id) and fake.pins == [(-100888, msg.message_id)]

    photo = await bot.send_photo(5, b"\xff\xd8jpeg", caption="<b>x</b>", parse_mode="HTML")
    again = await bot.send_photo(6, photo.photo[-1].file_id)
    assert [d["data"] for d in fake.documents()] == [b"\xff\xd8jpeg"] * 2 and again.photo[-1].file_id != ""

    forwarded = fake.forward_post(7, -100777, "a post")
    assert forwarded["forward_origin"]["chat"]["id"] == -100777 and forwarded["forward_from_chat"]["type"] == "channel"
