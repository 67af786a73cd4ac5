"""Inline keyboards as plain data: rows of (label, callback data). gcmbot.bot.keyboards turns
them into Telegram's InlineKeyboardMarkup, so the words and buttons stay free of `telegram`."""

from __future__ import annotations

from dataclasses import dataclass

MAX_DATA = 64  # bytes of callback data Telegram accepts


@dataclass(frozen=True)
class Button:
    text: str
    data: str  # callback data, at most MAX_DATA bytes


Keyboard = list[list[Button]]


def rows(buttons: list[Button], width: int) -> Keyboard:
    return [buttons[i : i + width] for i in range(0, len(buttons), width)]


def fits(data: str) -> bool:
    return len(data.encode()) <= MAX_DATA
