"""The language to speak to a chat: the subscriber's stored one, else the user's Telegram language_code
when it is one we speak, else English."""

from __future__ import annotations

from telegram import Update

from gcmbot.bot.context import BotContext
from gcmbot.i18n import pick


async def chat_language(update: Update, context: BotContext, *, fresh: bool = False) -> str:
    """Looked up once per update, off the event loop, and kept on the update's context.

    `fresh` looks again (after something in this update may have changed the chat's subscriber)."""
    if context.language is not None and not fresh:
        return context.language
    chat, user = update.effective_chat, update.effective_user
    sub = await context.run(context.services.subscriptions.get, chat.id) if chat is not None else None
    context.language = pick(sub.language if sub is not None else None, user.language_code if user is not None else None)
    return context.language
