"""Questions: plain texts in private chats and /ask anywhere; "Did you mean" and 👍 / 👎 buttons; /stats for admins."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from gcmbot.bot.context import BotContext
from gcmbot.bot.keyboards import markup
from gcmbot.bot.lang import chat_language
from gcmbot.bot.permissions import admin_only
from gcmbot.models import utcnow
from gcmbot.render import answers as render
from gcmbot.render.texts import tr
from gcmbot.services.questions import VOTE_UNKNOWN

log = logging.getLogger(__name__)


async def _answer(update: Update, context: BotContext, text: str) -> None:
    answer = await context.run(context.services.questions.ask, text, now=utcnow())
    log.debug("question answered: outcome=%s matched=%s", answer.outcome, answer.matched)  # never the text
    lang = await chat_language(update, context)
    await update.effective_message.reply_html(render.answer_html(answer, lang), reply_markup=markup(render.reply_markup(answer, lang)))


async def on_text(update: Update, context: BotContext) -> None:
    """Any plain text in a private chat is a question."""
    await _answer(update, context, update.effective_message.text)


async def ask_command(update: Update, context: BotContext) -> None:
    question = " ".join(context.args or []).strip()
    if not question:
        await update.effective_message.reply_text(tr(await chat_language(update, context), render.ASK_USAGE))
        return
    await _answer(update, context, question)


async def on_suggestion(update: Update, context: BotContext) -> None:
    """A "Did you mean" button: answer with that entry (always answer the callback query)."""
    query = update.callback_query
    faq_id = render.parse_callback(query.data)
    answer = await context.run(context.services.questions.faq, faq_id, now=utcnow()) if faq_id else None
    if answer is None:
        await query.answer(tr(await chat_language(update, context), render.UNKNOWN_ENTRY))
        return
    await query.answer()
    await query.message.reply_html(render.answer_html(answer, await chat_language(update, context)))


async def on_feedback(update: Update, context: BotContext) -> None:
    """A 👍 / 👎 under an answer: counted once (no chat id is stored), then the buttons go."""
    query = update.callback_query
    parsed = render.parse_feedback(query.data)
    result = await context.run(context.services.questions.vote, *parsed, now=utcnow()) if parsed else VOTE_UNKNOWN
    await query.answer(tr(await chat_language(update, context), render.VOTE_TEXTS[result]))
    if result != VOTE_UNKNOWN and query.message is not None:
        try:
            await query.edit_message_reply_markup(reply_markup=None)
        except BadRequest:  # already without buttons, or too old to edit: the vote counts anyway
            log.debug("feedback buttons not removed", exc_info=True)


@admin_only("/stats")
async def stats_command(update: Update, context: BotContext) -> None:
    stats = await context.run(context.services.questions.stats, now=utcnow())
    await update.effective_message.reply_html(render.stats_html(stats, await chat_language(update, context)))


def register(application: Application) -> None:
    application.add_handler(CommandHandler("ask", ask_command))
    application.add_handler(CommandHandler("stats", stats_command))
    application.add_handler(CallbackQueryHandler(on_suggestion, pattern=r"^q:"))
    application.add_handler(CallbackQueryHandler(on_feedback, pattern=r"^fb:"))
    # Registered last in group 0: only texts no other handler took are questions.
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE, on_text))
