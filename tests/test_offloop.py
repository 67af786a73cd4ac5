"""Handlers call services off the event loop (issue 21): a slow database call in one chat
does not stall the other chats' updates."""

from __future__ import annotations

import asyncio
import threading


def hold_write_lock(db):
    """Another connection holds the write lock, as a CLI writing to the same database would.

    SQLite: BEGIN IMMEDIATE (no other writer until it ends; readers go on, WAL). PostgreSQL:
    the subscriber table locked against writes (reads go on). Returns release()."""
    raw = db.engine.raw_connection()
    cur = raw.cursor()
    cur.execute("BEGIN IMMEDIATE" if db.is_sqlite else "LOCK TABLE subscriber IN EXCLUSIVE MODE")
    released = threading.Event()

    def release() -> None:
        if not released.is_set():
            released.set()
            raw.rollback()
            raw.close()

    return release, released


async def test_a_chat_waiting_for_the_database_does_not_stall_another_chat(running_bot, db):
    fake = running_bot
    release, released = hold_write_lock(db)
    # Released from a thread: if a handler blocked the event loop, nothing on it could release it.
    timer = threading.Timer(4.0, release)
    timer.start()
    try:
        fake.send_message(7101, "/start")  # subscribes: a write, which waits for the lock
        await asyncio.sleep(0.5)  # the bot has taken it and waits
        fake.send_message(7102, "/help")  # reads only
        [reply] = await fake.wait_messages(7102, 1, timeout=10)
        assert "/settings" in reply["text"]
        assert not released.is_set(), "/help was answered only after the other chat's write could go on"
        assert fake.sent(7101) == []  # still waiting for the lock
    finally:
        timer.cancel()
        release()
    replies = await fake.wait_messages(7101, 1, timeout=10)  # and then it goes on, unharmed
    assert "/settings" in replies[0]["text"]  # the welcome
