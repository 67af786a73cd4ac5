"""Who may change a chat's settings: anyone in a private chat, only administrators in groups."""

from __future__ import annotations

import functools
import time

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError

from gcmbot.bot.context import BotContext
from gcmbot.bot.lang import chat_language
from gcmbot.i18n import N_, translator

ADMIN_CACHE_SECONDS = 300
_ADMIN_STATUSES = {ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER}


async def may_change_settings(update: Update, context: BotContext) -> bool:
    chat, user = update.effective_chat, update.effective_user
    if chat is None:
        return False
    if chat.type == ChatType.PRIVATE:
        return True
    message = update.effective_message
    if message is not None and message.sender_chat is not None and message.sender_chat.id == chat.id:
        return True  # an anonymous administrator posting as the group
    if user is None:
        return False
    return await is_chat_admin(context, chat.id, user.id)


async def is_chat_admin(context: BotContext, chat_id: int, user_id: int, *, fresh: bool = False) -> bool:
    """Is the user an administrator (or the owner) of the group or channel? getChatMember, cached
    for 5 minutes (`fresh` asks Telegram again, e.g. when a channel is linked)."""
    cache: dict = context.application.bot_data.setdefault("admin_cache", {})
    key, now = (chat_id, user_id), time.monotonic()
    hit = cache.get(key)
    if not fresh and hit is not None and now - hit[1] < ADMIN_CACHE_SECONDS:
        return hit[0]
    try:
        member = await context.bot.get_chat_member(chat_id, user_id)
        allowed = member.status in _ADMIN_STATUSES
    except TelegramError:
        allowed = False
    cache[key] = (allowed, now)
    return allowed


async def bot_may_post(context: BotContext, channel_id: int) -> bool:
    """Is the bot an administrator of the channel with the right to post messages?"""
    try:
        member = await context.bot.get_chat_member(channel_id, context.bot.id)
    except TelegramError:
        return False
    return member.status == ChatMemberStatus.ADMINISTRATOR and bool(getattr(member, "can_post_messages", False))


def forget_cached_admins(context: BotContext, chat_id: int) -> None:
    cache: dict = context.application.bot_data.get("admin_cache", {})
    for key in [k for k in cache if k[0] == chat_id]:
        del cache[key]


NOT_ALLOWED = N_("Sorry, not allowed: this is for the bot's administrators only.")


def is_admin(update: Update, context: BotContext) -> bool:
    user = update.effective_user
    return context.services.settings.is_admin(user.id if user else None)


def admin_only(command: str):
    """Run the handler only for users in GCMBOT_ADMIN_IDS; others are refused, and the attempt is
    logged (hashed id) and audited, without anything they typed."""

    def wrap(handler):
        @functools.wraps(handler)
        async def guarded(update: Update, context: BotContext):
            if not is_admin(update, context):
                await refuse(update, context, command)
                return None  # (in a dialog: no state change)
            return await handler(update, context)

        return guarded

    return wrap


async def refuse(update: Update, context: BotContext, command: str) -> None:
    user = update.effective_user
    await context.run(context.services.audit.refused, user.id if user else None, command)
    text = translator(await chat_language(update, context)).gettext(NOT_ALLOWED)
    if update.callback_query:
        await update.callback_query.answer(text, show_alert=True)
    elif update.effective_message:
        await update.effective_message.reply_text(text)
