"""Small helpers shared by handlers."""

from __future__ import annotations

import warnings

from telegram import CallbackQuery, InlineKeyboardMarkup
from telegram.error import BadRequest
from telegram.ext import ConversationHandler
from telegram.warnings import PTBUserWarning

from gcmbot.bot.keyboards import markup as to_markup
from gcmbot.render.keyboard import Keyboard


async def edit_screen(query: CallbackQuery, text: str, markup: Keyboard | InlineKeyboardMarkup | None = None) -> None:
    """Show the next screen of a menu by editing its message; pressing a button twice is not an error.
    `markup` is a gcmbot.render keyboard (or, still, a Telegram one)."""
    if isinstance(markup, list):
        markup = to_markup(markup)
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as exc:
        # Pressed twice; or the menu's message is gone (deleted, too old, a forged button): nothing to show.
        if not any(p in str(exc).lower() for p in ("not modified", "message to edit not found", "message can't be edited")):
            raise


def dialog(**kwargs) -> ConversationHandler:
    """A ConversationHandler kept per chat and user (not per message).

    Its buttons belong to the chat's current dialog, which is what we want; PTB's warning
    that per_message=False does not track CallbackQueryHandlers per message says exactly
    that, so it is not shown.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="If 'per_message=False'", category=PTBUserWarning)
        return ConversationHandler(per_chat=True, per_user=True, per_message=False, **kwargs)
