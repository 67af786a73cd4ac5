"""/start, /help, /stop."""

from __future__ import annotations

import html
import logging

from telegram import Update
from telegram.ext import Application, CommandHandler

from gcmbot.render import texts
from gcmbot.bot.context import BotContext
from gcmbot.bot.lang import chat_language
from gcmbot.bot.handlers.settings import open_menu
from gcmbot.bot.permissions import may_change_settings
from gcmbot.services.subscriptions import InvalidChoice

log = logging.getLogger(__name__)

# Deep-link payload: kind-value pairs joined by "_", e.g. region-africa_constituency-trade-unions.
_KIND_PREFIX = {"region": "region", "r": "region", "constituency": "constituency", "c": "constituency", "topic": "topic", "t": "topic"}


def parse_start_payload(payload: str) -> list[tuple[str, str]]:
    """`region-africa_c-trade-unions` → [("region", "africa"), ("constituency", "trade-unions")]."""
    pairs = []
    for part in payload.split("_"):
        prefix, _, value = part.partition("-")
        kind = _KIND_PREFIX.get(prefix.lower())
        if kind is None or not value:
            raise InvalidChoice(part)
        pairs.append((kind, value.lower()))
    return pairs


async def start(update: Update, context: BotContext) -> None:
    chat = update.effective_chat
    if not await may_change_settings(update, context):
        await update.effective_message.reply_text(texts.tr(await chat_language(update, context), texts.ADMINS_ONLY))
        return
    subs = context.services.subscriptions
    language = await chat_language(update, context)
    notice = None
    try:
        preselect = parse_start_payload(context.args[0]) if context.args else []
        result = await context.run(subs.start, chat.id, chat.type, language=language, preselect=preselect)
    except InvalidChoice as exc:
        notice = texts.tr(language, texts.BAD_START_LINK).format(what=html.escape(str(exc)[:64]))
        result = await context.run(subs.start, chat.id, chat.type, language=language)
    language = await chat_language(update, context, fresh=True)  # an existing subscriber keeps the language they chose
    narrowed = [
        name for kind, value in result.preselected for vid, name in await context.run(subs.options, kind, language) if vid == value
    ]
    await update.effective_message.reply_html(
        texts.welcome(created=result.created, restored=result.restored, narrowed=narrowed, lang=language)
    )
    if notice:
        await update.effective_message.reply_text(notice)
    await open_menu(update, context)


async def help_(update: Update, context: BotContext) -> None:
    user = update.effective_user
    await update.effective_message.reply_html(
        texts.help_text(is_admin=context.services.settings.is_admin(user.id if user else None), lang=await chat_language(update, context))
    )


async def stop(update: Update, context: BotContext) -> None:
    lang = await chat_language(update, context)
    if not await may_change_settings(update, context):
        await update.effective_message.reply_text(texts.tr(lang, texts.ADMINS_ONLY))
        return
    stopped = await context.run(context.services.subscriptions.stop, update.effective_chat.id)
    await update.effective_message.reply_text(texts.tr(lang, texts.STOPPED if stopped else texts.NOT_SUBSCRIBED))


async def unknown_button(update: Update, context: BotContext) -> None:
    """Every button press gets an answer, even a forged one."""
    await update.callback_query.answer(texts.tr(await chat_language(update, context), texts.UNKNOWN_BUTTON))


def register(application: Application) -> None:
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CommandHandler("help", help_))
    application.add_handler(CommandHandler("stop", stop))
