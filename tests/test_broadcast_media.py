"""Broadcast attachments (uploaded once, then sent by file_id) and pins in groups, through the fake Bot API."""

from __future__ import annotations

import pytest
from fakebotapi import BOT_ID, UploadedFile
from telegram import Bot

from gcmbot.bot.application import delivery_worker
from gcmbot.cli import main as cli
from gcmbot.services.broadcast import Attachment, InvalidHTML
from gcmbot.services.subscriptions import Segment

ADMIN = 4242
PDF = b"%PDF-1.4\n" + b"statement " * 2000


async def deliver(services, fake):
    async with Bot("123:TEST", base_url=fake.base_url) as bot:
        await delivery_worker(services, bot).drain()


async def test_a_document_broadcast_uploads_once_and_sends_by_file_id(services, fake_api):
    for chat in range(8001, 8021):
        services.subscriptions.start(chat, "private")
    broadcast_id = services.broadcasts.enqueue(
        ADMIN, "<b>Our statement</b> to the review forum", Segment(),
        attachment=Attachment("document", "statement.pdf", data=PDF, mime_type="application/pdf"),
    )
    await deliver(services, fake_api)
    calls = fake_api.calls_to("sendDocument")
    assert len(calls) == 20 and [c["chat_id"] for c in fake_api.calls_to("sendMessage")] == [ADMIN]  # only the report
    uploads = [c for c in calls if isinstance(c["document"], UploadedFile)]
    assert len(uploads) == 1 and uploads[0]["document"].data == PDF and uploads[0]["document"].filename == "statement.pdf"
    answered = fake_api.sent(uploads[0]["chat_id"])[0]["document"]["file_id"]  # what Telegram answered to the upload
    by_id = [c["document"] for c in calls if isinstance(c["document"], str)]
    assert len(by_id) == 19 and set(by_id) == {answered}
    assert all(c["caption"] == "<b>Our statement</b> to the review forum" and c["parse_mode"] == "HTML" for c in calls)
    assert all(d["data"] == PDF for d in fake_api.documents())  # every recipient got the same file
    [st] = services.broadcasts.status(broadcast_id)
    assert st.sent == 20 and services.broadcasts.attachment(broadcast_id).file_id == by_id[0]


async def test_a_photo_from_chat_is_sent_by_its_file_id_with_the_caption(running_bot, services):
    fake = running_bot
    for chat in (8101, 8102):
        services.subscriptions.start(chat, "private")
    fake.send_message(ADMIN, "/broadcast")
    await fake.wait_for(lambda: fake.sent(ADMIN))
    fake.send_file(ADMIN, "poster.jpg", b"\xff\xd8jpeg", caption="<b>Join us</b> in Geneva", kind="photo", mime_type="image/jpeg")
    await fake.wait_for(lambda: "Who should get it?" in fake.sent(ADMIN)[-1]["text"])
    menu = fake.sent(ADMIN)[-1]
    data = next(b["callback_data"] for row in menu["reply_markup"]["inline_keyboard"] for b in row if "Preview" in b["text"])
    fake.press_button(ADMIN, menu["message_id"], data)
    await fake.wait_for(lambda: "Send it?" in (fake.sent(ADMIN)[-1].get("text") or ""))
    preview = fake.calls_to("sendPhoto")[-1]
    assert preview["chat_id"] == ADMIN and preview["caption"] == "<b>Join us</b> in Geneva"
    confirm = fake.sent(ADMIN)[-1]
    data = next(b["callback_data"] for row in confirm["reply_markup"]["inline_keyboard"] for b in row if "Send to 2" in b["text"])
    fake.press_button(ADMIN, confirm["message_id"], data)
    await fake.wait_for(lambda: len([c for c in fake.calls_to("sendPhoto") if c["chat_id"] in (8101, 8102)]) == 2, timeout=10)
    sends = [c for c in fake.calls_to("sendPhoto") if c["chat_id"] in (8101, 8102)]
    file_id = fake.user_messages[-1]["photo"][-1]["file_id"]
    assert all(c["photo"] == file_id for c in sends)  # Telegram has the admin's file: nothing is uploaded again


async def test_a_too_long_or_broken_caption_is_refused(services):
    services.subscriptions.start(8201, "private")
    doc = Attachment("document", "a.pdf", data=PDF)
    with pytest.raises(InvalidHTML, match="at most 1024"):
        services.broadcasts.enqueue(ADMIN, "é" * 1025, Segment(), attachment=doc)
    with pytest.raises(InvalidHTML, match="at most 1024"):
        services.broadcasts.enqueue(ADMIN, "😀" * 513, Segment(), attachment=doc)  # 1026 UTF-16 units
    services.broadcasts.enqueue(ADMIN, "😀" * 512, Segment(), attachment=doc)  # exactly 1024
    with pytest.raises(InvalidHTML, match="never closed"):
        services.broadcasts.enqueue(ADMIN, "<b>x", Segment(), attachment=doc)
    with pytest.raises(ValueError, match="at most 10 MB"):
        services.broadcasts.enqueue(ADMIN, "x", Segment(), attachment=Attachment("photo", "big.png", data=b"x" * (10 * 1024 * 1024 + 1)))


async def test_pin_in_groups_only_where_the_bot_may_pin(services, fake_api):
    may_pin, may_not, member_only, person = -100301, -100302, -100303, 8301
    for chat, kind in ((may_pin, "supergroup"), (may_not, "supergroup"), (member_only, "group"), (person, "private")):
        services.subscriptions.start(chat, kind)
    fake_api.set_chat_member(may_pin, BOT_ID, "administrator")
    fake_api.set_chat_member(may_not, BOT_ID, "administrator", can_pin_messages=False)
    fake_api.set_chat_member(member_only, BOT_ID, "member")
    broadcast_id = services.broadcasts.enqueue(ADMIN, "<b>Deadline Friday</b>", Segment(), pin_in_groups=True)
    await deliver(services, fake_api)
    [st] = services.broadcasts.status(broadcast_id)
    assert st.sent == 4 and st.failed == 0  # a pin that cannot happen never fails the delivery
    [(chat, message_id)] = fake_api.pins
    assert chat == may_pin and message_id == fake_api.sent(may_pin)[0]["message_id"]
    asked = {c["chat_id"] for c in fake_api.calls_to("getChatMember")}
    assert asked == {may_pin, may_not, member_only}  # private chats are never pinned or asked about

    # Without "pin in groups" nothing is pinned; a failing pin call is shrugged off.
    services.broadcasts.enqueue(ADMIN, "No pin", Segment())
    await deliver(services, fake_api)
    assert len(fake_api.pins) == 1
    fake_api.inject_error("pinChatMessage", 400, "Bad Request: CHAT_NOT_MODIFIED")
    third = services.broadcasts.enqueue(ADMIN, "Pin fails", Segment(), pin_in_groups=True)
    await deliver(services, fake_api)
    [st] = services.broadcasts.status(third)
    assert st.sent == 4 and len(fake_api.pins) == 1


def test_cli_attach_and_pin(services, fake_api, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GCMBOT_DATABASE_URL", services.db.url)
    monkeypatch.setenv("GCMBOT_CONTENT_DIR", str(services.settings.content_dir))
    monkeypatch.setenv("GCMBOT_TOKEN", "123:TEST")
    monkeypatch.setenv("GCMBOT_BOT_API_URL", fake_api.base_url)
    monkeypatch.chdir(tmp_path)
    services.subscriptions.start(8401, "private")
    services.subscriptions.start(-100401, "supergroup")
    fake_api.set_chat_member(-100401, BOT_ID, "administrator")
    (tmp_path / "caption.html").write_text("<i>Read our statement</i>")
    (tmp_path / "statement.pdf").write_bytes(PDF)
    assert cli(["broadcast", "--text-file", "caption.html", "--attach", "statement.pdf", "--pin", "--yes", "--send"]) == 0
    assert "queued for 2 recipient(s)" in capsys.readouterr().out
    calls = fake_api.calls_to("sendDocument")
    assert [isinstance(c["document"], UploadedFile) for c in calls] == [True, False]
    assert fake_api.pins == [(-100401, fake_api.sent(-100401)[0]["message_id"])]
    (tmp_path / "empty.pdf").write_bytes(b"")
    assert cli(["broadcast", "--attach", "empty.pdf", "--yes"]) == 2
    assert "empty.pdf is empty" in capsys.readouterr().err
