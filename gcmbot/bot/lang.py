"""The language to speak to a chat: the subscriber's stored one, else the user's Telegram language_code
when it is one we speak, else English."""

from __future__ import annotations

from telegram import Update

from gcmbot.bot.context import BotContext
from gcmbot.i18n import pick


def chat_language(update: Update, context: BotContext) -> str:
    chat, user = update.effective_chat, update.effective_user
    sub = context.services.subscriptions.get(chat.id) if chat is not None else None
    return pick(sub.language if sub is not None else None, user.language_code if user is not None else None)
