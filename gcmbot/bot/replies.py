"""Small helpers shared by handlers."""

from __future__ import annotations

from telegram import CallbackQuery, InlineKeyboardMarkup
from telegram.error import BadRequest


async def edit_screen(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Show the next screen of a menu by editing its message; pressing a button twice is not an error."""
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as exc:
        if "not modified" not in str(exc):
            raise
