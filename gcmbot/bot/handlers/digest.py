"""/digest, /events (with past/upcoming buttons), /calendar, and the digest schedule job."""

from __future__ import annotations

import html
import logging
from datetime import datetime, timezone

from telegram import InputFile, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from gcmbot.bot.context import BotContext
from gcmbot.bot.keyboards import markup
from gcmbot.bot.lang import chat_language
from gcmbot.bot.replies import edit_screen
from gcmbot.render import digest as render
from gcmbot.render.calendar import render_calendar
from gcmbot.render.texts import tr

log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(timezone.utc)


async def digest_command(update: Update, context: BotContext) -> None:
    texts = render.render_digest_view(await context.run(context.services.digest.preview, update.effective_chat.id, _now()))
    for text in texts:
        await update.effective_message.reply_html(text)
    await update.effective_message.reply_text(tr(await chat_language(update, context), render.PREVIEW_NOTE))


async def events_command(update: Update, context: BotContext) -> None:
    text = render.render_events_view(await context.run(context.services.digest.events_list, update.effective_chat.id, _now()))
    await update.effective_message.reply_html(text, reply_markup=markup(render.events_keyboard(past=False, lang=await chat_language(update, context))))


async def events_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    if query.data not in (render.PAST, render.UPCOMING) or query.message is None:
        await query.answer(tr(await chat_language(update, context), render.UNKNOWN_BUTTON))
        return
    past = query.data == render.PAST
    text = render.render_events_view(await context.run(context.services.digest.events_list, query.message.chat.id, _now(), past=past))
    await query.answer()
    await edit_screen(query, text, render.events_keyboard(past=past, lang=await chat_language(update, context)))


async def calendar_command(update: Update, context: BotContext) -> None:
    data = render_calendar(await context.run(context.services.digest.calendar, update.effective_chat.id, _now()))
    caption = tr(await chat_language(update, context), render.CALENDAR_CAPTION)
    feed = await context.run(calendar_feed_url, context, update.effective_chat.id)
    if feed:  # the web console serves the same events as a calendar apps keep up to date
        caption += "\n\n🔄 " + html.escape(feed)
    await update.effective_message.reply_document(InputFile(data, filename=render.CALENDAR_FILE), caption=caption)


def calendar_feed_url(context: BotContext, chat_id: int) -> str | None:
    """webcal:// link of the public calendar of this chat's choices, when GCMBOT_WEB_URL is set."""
    from gcmbot.services.calendar import segment_payload

    base = context.services.settings.web_url
    if not base:
        return None
    sub = context.services.subscriptions.get(chat_id)
    payload = segment_payload(sub.segment) if sub is not None else "all"
    return "webcal://" + base.split("://", 1)[1] + f"/calendar/{payload}.ics"


async def digest_tick(context: BotContext) -> None:
    """Queue due digests and reminders; the delivery worker sends them."""
    if not context.services.is_leader:
        return  # another process is the scheduler leader (README "Scaling"); dedup keys make overlap harmless anyway
    try:
        await context.run(context.services.digest.send_due, _now())
    except Exception:  # a database hiccup must not stop the schedule
        log.exception("digest tick failed; trying again at the next tick")


def register(application: Application) -> None:
    application.add_handler(CommandHandler("digest", digest_command))
    application.add_handler(CommandHandler("events", events_command))
    application.add_handler(CommandHandler("calendar", calendar_command))
    application.add_handler(CallbackQueryHandler(events_button, pattern=r"^ev:"))
    every = application.bot_data["services"].settings.digest_tick_seconds
    if every > 0 and application.job_queue is not None:
        application.job_queue.run_repeating(
            digest_tick, interval=every, first=min(every, 5), name="digest", job_kwargs={"max_instances": 1, "coalesce": True}
        )
