"""Hostile and odd updates: each is answered or ignored cleanly, none raises in a handler."""

from __future__ import annotations

import logging

from fakebotapi import BOT_USER

CHAT = 2601


_ids = iter(range(10**6))


def _callback(fake, data, *, message=True, user_id=CHAT, chat_id=CHAT):
    update = {"id": f"hostile-{next(_ids)}", "from": {"id": user_id, "is_bot": False, "first_name": "X"},
              "chat_instance": "ci", "data": data}
    if message:
        update["message"] = {"message_id": 999_999, "date": 0, "chat": {"id": chat_id, "type": "private", "first_name": "X"},
                             "from": BOT_USER, "text": "old menu"}
    else:
        update["inline_message_id"] = "inline-1"
    return fake.send_update({"callback_query": update})


async def test_hostile_updates_are_answered_or_ignored(running_bot, services, caplog):
    fake = running_bot
    caplog.set_level(logging.ERROR)
    fake.send_message(CHAT, "/start")
    await fake.wait_for(lambda: any(m.get("reply_markup") for m in fake.sent(CHAT)))
    token = services.subscriptions.get(CHAT).menu_token

    callbacks = [
        "s", "s:", "s::", f"s:{token}", f"s:{token}:", f"s:{token}:zz", f"s:{token}:t", f"s:{token}:t:x:y",
        f"s:{token}:t:r:" + "a" * 50, f"s:{token}:dh:99", f"s:{token}:dh:-1", f"s:{token}:dh:abc", f"s:{token}:rd:5",
        f"s:{token}:ls:xx", f"s:{token}:zs:../../etc/passwd", f"s:{token}:zs:" + "A" * 40, f"s:{token}:fg:maybe",
        "s:999.abc:m", "s:abc.def:m", "s:-100.x:z", "b", "b:", "b:zz:s", "b:000000:t:r:africa", "bx:", "bx:abc", "bx:-1",
        "q", "q:", "q:999999", "q:../x", "e", "e:", "e:past:x", "\x00\x01", "💥" * 16, "x" * 64, "",
        "s:" + token + ":d\n", "s:%s:m\x00" % token,
    ]
    for data in callbacks:
        _callback(fake, data)
    _callback(fake, f"s:{token}:m", message=False)  # an inline message: no chat
    _callback(fake, f"s:{token}:m", user_id=7777)  # someone else's menu

    texts = ["A" * 5000, "\x00\x01\x02\x1b[31m", "\u202e\u202dreversed", "/start " + "x" * 3000, "/timezone " + "\x00" * 100,
             "/lang " + "z" * 500, "/ask " + "?" * 4000, "/events " + "x" * 100, "/calendar now", "/broadcast", "/stats",
             "/feeds", "/forget extra", "/help@other_bot", "/" + "a" * 200, "<b>unclosed", "&amp;&lt;"]
    for text in texts:
        fake.send_message(CHAT, text)
    # Updates without a sender, channel posts, edits, anonymous group admins.
    fake.send_update({"channel_post": {"message_id": 1, "date": 0, "chat": {"id": -1009, "type": "channel", "title": "C"}, "text": "/start"}})
    fake.send_update({"edited_channel_post": {"message_id": 1, "date": 0, "edit_date": 1, "chat": {"id": -1009, "type": "channel", "title": "C"}, "text": "x"}})
    fake.send_update({"message": {"message_id": 2, "date": 0, "chat": {"id": -4001, "type": "group", "title": "G"}, "text": "/start",
                                  "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}})
    fake.send_update({"message": {"message_id": 3, "date": 0, "chat": {"id": -4002, "type": "supergroup", "title": "G"},
                                  "sender_chat": {"id": -4002, "type": "supergroup", "title": "G"}, "text": "/settings",
                                  "entities": [{"type": "bot_command", "offset": 0, "length": 9}]}})
    fake.send_update({"edited_message": {"message_id": 4, "date": 0, "edit_date": 1, "chat": {"id": CHAT, "type": "private"},
                                         "from": {"id": CHAT, "is_bot": False, "first_name": "X"}, "text": "edited"}})
    fake.send_update({"message": {"message_id": 5, "date": 0, "chat": {"id": CHAT, "type": "private"},
                                  "from": {"id": CHAT, "is_bot": False, "first_name": "X"}, "sticker": {
                                      "file_id": "s", "file_unique_id": "s", "type": "regular", "width": 1, "height": 1,
                                      "is_animated": False, "is_video": False}}})
    # Every press is answered, even while the first question loads the sentence encoder (seconds
    # with no Bot API call, which a quiet-period wait alone would take for "done").
    await fake.wait_for(lambda: len({a["callback_query_id"] for a in fake.callback_answers}) >= len(callbacks) + 2, timeout=60)
    await fake.wait_idle(timeout=30, quiet=0.5)

    answered = {a["callback_query_id"] for a in fake.callback_answers}
    assert len(answered) >= len(callbacks) + 2  # every button press got an answer
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors]
    assert services.subscriptions.get(CHAT).timezone == "UTC"
    for message in fake.sent(CHAT):
        assert len(message.get("text") or message.get("caption") or "") <= 4096
