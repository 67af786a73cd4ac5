"""/channel: link a channel the user administers (by @name or a forwarded post), its settings menu in the
private chat, and /channel off.

A channel cannot talk to the bot, so its administrator manages it from a private chat: the link is
checked with getChatMember on the channel for the bot (administrator with can_post_messages) and for
the user (administrator or owner), then the channel is a subscriber like any other (chat type
"channel") and its menu, shown here, edits the channel's subscription (README "Channels").
Losing the right to post (my_chat_member) unlinks it: see handlers/settings.on_membership.
"""

from __future__ import annotations

import logging
import re

from telegram import Chat, MessageOriginChannel, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import Application, CommandHandler, MessageHandler, filters

from gcmbot.bot.context import BotContext
from gcmbot.bot.keyboards import markup
from gcmbot.bot.lang import chat_language
from gcmbot.bot.permissions import bot_may_post, is_chat_admin
from gcmbot.logsetup import hash_id
from gcmbot.render import channels as render
from gcmbot.render import settings as settings_render

log = logging.getLogger(__name__)
CURRENT = "channel"  # chat_data of the private chat: the channel whose menu was opened last
_NAME = re.compile(r"^(?:https?://)?(?:t\.me/|telegram\.me/)?@?([A-Za-z][A-Za-z0-9_]{3,31})$")
_ID = re.compile(r"^-100\d{5,15}$")


class _FromChannel(filters.MessageFilter):
    """A message forwarded from a channel (forward_origin of type "channel")."""

    def filter(self, message) -> bool:
        return isinstance(message.forward_origin, MessageOriginChannel)


FORWARDED_FROM_CHANNEL = _FromChannel(name="forwarded from a channel")


def channel_ref(text: str) -> str | int | None:
    """"@name", "name", "t.me/name" → "@name"; "-1001234567" → the id; anything else → None."""
    text = text.strip()
    if _ID.match(text):
        return int(text)
    m = _NAME.match(text)
    return f"@{m.group(1)}" if m else None


def _ref_of(chat: Chat) -> str:
    return f"@{chat.username}" if chat.username else str(chat.id)


async def channel_command(update: Update, context: BotContext) -> None:
    message, lang = update.effective_message, await chat_language(update, context)
    if update.effective_chat.type != ChatType.PRIVATE:
        await message.reply_text(render.say(lang, render.PRIVATE_ONLY))
        return
    args = context.args or []
    if not args:
        await message.reply_html(render.say(lang, render.USAGE))
        return
    if args[0].lower() == "off":
        ref = channel_ref(args[1]) if len(args) > 1 else context.chat_data.get(CURRENT)
        if ref is None:
            await message.reply_text(render.say(lang, render.OFF_WHICH if len(args) == 1 else render.BAD_NAME, name=" ".join(args[1:])[:64]))
            return
        await _unlink(update, context, ref)
        return
    ref = channel_ref(args[0])
    if ref is None:
        await message.reply_text(render.say(lang, render.BAD_NAME, name=args[0][:64]))
        return
    await _link(update, context, ref)


async def forwarded_post(update: Update, context: BotContext) -> None:
    """A post forwarded from a channel into the private chat: link that channel."""
    origin = update.effective_message.forward_origin
    await _link(update, context, origin.chat.id)


async def _channel(update: Update, context: BotContext, ref: str | int) -> Chat | None:
    """The channel, if the bot may post there and the user administers it; otherwise says why and returns None."""
    message, lang, user = update.effective_message, await chat_language(update, context), update.effective_user
    try:
        chat = await context.bot.get_chat(ref)
    except TelegramError:
        await message.reply_text(render.say(lang, render.NOT_FOUND))
        return None
    if chat.type != ChatType.CHANNEL:
        await message.reply_text(render.say(lang, render.NOT_A_CHANNEL))
        return None
    title = chat.title or _ref_of(chat)
    if not await bot_may_post(context, chat.id):
        await message.reply_text(render.say(lang, render.BOT_CANNOT_POST, title=title))
        return None
    if not await is_chat_admin(context, chat.id, user.id, fresh=True):
        await context.run(context.services.audit.refused, user.id, "/channel")
        log.info("channel link refused: %s is not an administrator of %s", hash_id(user.id), hash_id(chat.id))
        await message.reply_text(render.say(lang, render.NOT_ADMIN, title=title))
        return None
    return chat


async def _link(update: Update, context: BotContext, ref: str | int) -> None:
    chat = await _channel(update, context, ref)
    if chat is None:
        return
    lang = await chat_language(update, context)
    subs = context.services.subscriptions
    result = await context.run(subs.start, chat.id, "channel", language=lang)
    context.chat_data[CURRENT] = chat.id
    log.info("channel %s linked by %s", hash_id(chat.id), hash_id(update.effective_user.id))
    await update.effective_message.reply_html(render.linked(chat.title or _ref_of(chat), _ref_of(chat), created=result.created, lang=lang))
    await open_channel_menu(update, context, chat.id)


async def open_channel_menu(update: Update, context: BotContext, channel_id: int) -> None:
    subs = context.services.subscriptions
    await context.run(subs.new_menu_token, channel_id)
    sub = await context.run(subs.require, channel_id)
    options = await context.run(lambda: {kind: dict(subs.options(kind, sub.language)) for kind in ("region", "constituency", "topic")})
    text, keyboard = settings_render.main_menu(sub, options)
    await update.effective_message.reply_html(text, reply_markup=markup(keyboard))


async def _unlink(update: Update, context: BotContext, ref: str | int) -> None:
    message, lang, user = update.effective_message, await chat_language(update, context), update.effective_user
    try:
        chat = await context.bot.get_chat(ref)
    except TelegramError:
        await message.reply_text(render.say(lang, render.NOT_FOUND))
        return
    title = chat.title or _ref_of(chat)
    if not await is_chat_admin(context, chat.id, user.id, fresh=True):
        await context.run(context.services.audit.refused, user.id, "/channel off")
        await message.reply_text(render.say(lang, render.NOT_ADMIN, title=title))
        return
    if not await context.run(context.services.subscriptions.unlink_channel, chat.id):
        await message.reply_text(render.say(lang, render.NOT_LINKED, title=title))
        return
    context.chat_data.pop(CURRENT, None)
    log.info("channel %s unlinked by %s", hash_id(chat.id), hash_id(user.id))
    await message.reply_text(render.say(lang, render.UNLINKED, title=title, name=_ref_of(chat)))


def register(application: Application) -> None:
    application.add_handler(CommandHandler("channel", channel_command))
    # In group 0 before the question handler: a forwarded channel post links the channel, it is not a question.
    application.add_handler(MessageHandler(filters.ChatType.PRIVATE & FORWARDED_FROM_CHANNEL, forwarded_post))
