"""/broadcast (text → segment → preview → send) and /broadcasts, for the bot's admins only."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from html import escape

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application, ApplicationHandlerStop, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from gcmbot.bot.context import BotContext
from gcmbot.bot.lang import chat_language
from gcmbot.bot.permissions import admin_only, is_admin
from gcmbot.bot.replies import edit_screen
from gcmbot.bot.render import broadcast as render
from gcmbot.i18n import translator
from gcmbot.models import utcnow
from gcmbot.services import scheduling
from gcmbot.services.broadcast import Attachment, EmptySegment, InvalidHTML
from gcmbot.services.subscriptions import KINDS, Segment

DRAFT = "broadcast_draft"


@dataclass
class Draft:
    """An admin's broadcast in the making, kept in chat_data of their private chat."""

    token: str = field(default_factory=lambda: secrets.token_hex(3))
    stage: str = "text"  # text → segment → confirm
    text: str = ""
    chosen: dict[str, set[str]] = field(default_factory=lambda: {k: set() for k in KINDS})
    attachment: Attachment | None = None  # a document or photo the admin sent (by its file_id); text is its caption
    pin: bool = False  # pin in groups where the bot may
    scheduled_at: datetime | None = None  # chosen with "Schedule…" (UTC); None = send now

    def segment(self) -> Segment:
        get = lambda kind: frozenset(self.chosen[kind]) or None  # noqa: E731
        return Segment(get("region"), get("constituency"), get("topic"))


def _options(context: BotContext, lang: str = "en") -> dict[str, dict[str, str]]:
    """Region / constituency / topic names (in the admin's language) by id."""
    return {kind: dict(context.services.broadcasts.options(kind, lang)) for kind in KINDS}


def _lang(update: Update, context: BotContext) -> str:
    """Admin texts are in the admin's chat language, like everything else."""
    return chat_language(update, context)


def _t(update: Update, context: BotContext, message: str) -> str:
    return translator(_lang(update, context)).gettext(message)




@admin_only("/broadcast")
async def broadcast_command(update: Update, context: BotContext) -> None:
    if update.effective_chat.type != ChatType.PRIVATE:
        await update.effective_message.reply_text(_t(update, context, render.PRIVATE_ONLY))
        return
    draft = context.chat_data[DRAFT] = Draft()
    text, markup = render.ask_text(draft.token, _lang(update, context))
    await update.effective_message.reply_html(text, reply_markup=markup)


async def typed_text(update: Update, context: BotContext) -> None:
    """The admin's message text, only while a draft waits for it (otherwise other handlers see it)."""
    draft: Draft | None = context.chat_data.get(DRAFT)
    if draft is not None and draft.stage == "time" and is_admin(update, context):
        await _time_chosen(update, context, draft, update.effective_message.text)
        raise ApplicationHandlerStop
    if draft is None or draft.stage != "text" or not is_admin(update, context):
        return
    try:
        draft.text = context.services.broadcasts.validate(render.html_source(update.effective_message))
    except InvalidHTML as exc:
        await update.effective_message.reply_html(render.bad_html(str(exc), _lang(update, context)))
        raise ApplicationHandlerStop from None
    await _ask_segment(update, context, draft)


async def typed_file(update: Update, context: BotContext) -> None:
    """A document or photo (its caption is the text), only while a draft waits for the message.
    Telegram has the file already: every recipient gets it by this file_id, nothing is uploaded again."""
    draft: Draft | None = context.chat_data.get(DRAFT)
    if draft is None or draft.stage != "text" or not is_admin(update, context):
        return
    message = update.effective_message
    if message.document is not None:
        attachment = Attachment("document", message.document.file_name or "document", message.document.file_id)
    else:
        attachment = Attachment("photo", "photo.jpg", message.photo[-1].file_id)
    try:
        draft.text = context.services.broadcasts.validate(render.caption_source(message), caption=True)
    except InvalidHTML as exc:
        await message.reply_html(render.bad_html(str(exc), _lang(update, context)))
        raise ApplicationHandlerStop from None
    draft.attachment = attachment
    await _ask_segment(update, context, draft)


async def _ask_segment(update: Update, context: BotContext, draft: Draft) -> None:
    draft.stage = "segment"
    count = context.services.broadcasts.count(draft.segment())
    text, markup = render.segment_menu(draft.token, draft.chosen, _options(context, _lang(update, context)), count, _lang(update, context))
    await update.effective_message.reply_html(text, reply_markup=markup)
    raise ApplicationHandlerStop


@admin_only("broadcast button")
async def on_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    parts = (query.data or "").split(":")
    draft: Draft | None = context.chat_data.get(DRAFT)
    if draft is None or len(parts) < 3 or parts[1] != draft.token:
        await query.answer(_t(update, context, render.STALE))
        return
    action, args = parts[2], parts[3:]
    options = _options(context, _lang(update, context))
    if action not in render.ACTIONS or action in "vta" and (not args or args[0] not in render.KIND_CODES) \
            or action == "t" and (len(args) < 2 or args[1] not in options[render.KIND_CODES[args[0]]]) \
            or action in "psnwqkc" and not (draft.text or draft.attachment) \
            or action == "q" and (not args or args[0] not in render.QUICK_TIMES) \
            or action == "k" and draft.scheduled_at is None:
        await query.answer(_t(update, context, render.UNKNOWN))
        return
    await query.answer()
    if action == "p":
        await _preview(update, context, draft, options)
    elif action == "s":
        draft.scheduled_at = None  # "Send now"
        await _send(update, context, draft)
    elif action == "k":
        await _send(update, context, draft)
    elif action in "nc":
        if action == "n":
            draft.pin = not draft.pin
        draft.stage, draft.scheduled_at = "confirm", None
        confirm_text, markup = render.confirm(draft.token, context.services.broadcasts.count(draft.segment()), _lang(update, context), pin=draft.pin)
        await edit_screen(query, confirm_text, markup)
    elif action == "w":
        await _ask_time(update, context, draft)
    elif action == "q":
        await _time_chosen(update, context, draft, render.QUICK_TIMES[args[0]])
    elif action == "x":
        context.chat_data.pop(DRAFT, None)
        await edit_screen(query, _t(update, context, render.CANCELLED), None)
    else:
        await edit_screen(query, *_segment_screen(context, draft, action, args, options, _lang(update, context)))


def _segment_screen(context: BotContext, draft: Draft, action: str, args: list[str], options, lang: str = "en"):
    """Apply a segment button (v, t, a, m) and return the screen to show."""
    draft.stage = "segment"
    kind = render.KIND_CODES[args[0]] if args else None
    if action == "t":
        draft.chosen[kind] ^= {args[1]}
    elif action == "a":
        draft.chosen[kind] = set()
    count = context.services.broadcasts.count(draft.segment())
    if kind is None:
        return render.segment_menu(draft.token, draft.chosen, options, count, lang)
    return render.choice_menu(draft.token, kind, draft.chosen[kind], options[kind], count, lang)


async def _preview(update: Update, context: BotContext, draft: Draft, options) -> None:
    text, count = context.services.broadcasts.preview(draft.text, draft.segment(), caption=draft.attachment is not None)
    draft.stage = "confirm"
    lang = _lang(update, context)
    await edit_screen(update.callback_query, render.segment_chosen(draft.chosen, options, lang), None)
    chat, attachment = update.effective_chat, draft.attachment
    # Exactly what recipients get.
    if attachment is None:
        await chat.send_message(text)
    elif attachment.kind == "photo":
        await chat.send_photo(attachment.file_id, caption=text or None)
    else:
        await chat.send_document(attachment.file_id, caption=text or None)
    confirm_text, markup = render.confirm(draft.token, count, lang, pin=draft.pin)
    await update.effective_chat.send_message(confirm_text, reply_markup=markup)


async def _ask_time(update: Update, context: BotContext, draft: Draft) -> None:
    """ "Schedule…": ask for the time (typed, in the admin's timezone, or a quick pick)."""
    draft.stage, draft.scheduled_at = "time", None
    text, markup = render.ask_time(draft.token, admin_timezone(context, update.effective_user.id), _lang(update, context))
    await edit_screen(update.callback_query, text, markup)


async def _time_chosen(update: Update, context: BotContext, draft: Draft, typed: str) -> None:
    """A time typed or picked: say it back in plain words with the button that schedules, or say why not."""
    lang, now = _lang(update, context), utcnow()
    tz = admin_timezone(context, update.effective_user.id)
    try:
        at = scheduling.parse_when(typed, tz, now)
    except scheduling.BadTime as exc:
        why = exc.translated(translator(lang).gettext)
        await update.effective_message.reply_html(_t(update, context, render.BAD_TIME).format(why=escape(why)))
        return
    draft.stage, draft.scheduled_at = "confirm", at
    count = context.services.broadcasts.count(draft.segment())
    text, markup = render.confirm_schedule(draft.token, count, scheduling.describe(at, tz, now, lang), lang, pin=draft.pin)
    if update.callback_query is not None:
        await edit_screen(update.callback_query, text, markup)
    else:
        await update.effective_message.reply_html(text, reply_markup=markup)


async def _send(update: Update, context: BotContext, draft: Draft) -> None:
    lang, now = _lang(update, context), utcnow()
    if draft.scheduled_at is not None and draft.scheduled_at <= now:
        draft.stage = "time"  # waited too long on the confirmation: ask again
        text, markup = render.ask_time(draft.token, admin_timezone(context, update.effective_user.id), lang)
        await edit_screen(update.callback_query, _t(update, context, render.TIME_PASSED) + "\n\n" + text, markup)
        return
    context.chat_data.pop(DRAFT, None)  # a second tap on Send finds no draft: never queued twice
    try:
        broadcast_id = context.services.broadcasts.enqueue(
            update.effective_user.id, draft.text, draft.segment(), draft.scheduled_at, attachment=draft.attachment, pin_in_groups=draft.pin
        )
    except EmptySegment:
        await edit_screen(update.callback_query, _t(update, context, render.EMPTY), None)
        return
    [status] = context.services.broadcasts.status(broadcast_id)
    if draft.scheduled_at is None:
        await edit_screen(update.callback_query, render.queued(broadcast_id, status.recipients, lang), None)
        return
    when = scheduling.describe(draft.scheduled_at, admin_timezone(context, update.effective_user.id), now, lang)
    await edit_screen(update.callback_query, render.scheduled(broadcast_id, status.recipients, when, lang), None)


def admin_timezone(context: BotContext, user_id: int) -> str:
    """The admin's own timezone (their subscription's), else GCMBOT_TIMEZONE."""
    sub = context.services.subscriptions.get(user_id)
    return sub.timezone if sub is not None else context.services.settings.timezone


def _listing(update: Update, context: BotContext):
    """The /broadcasts message: recent broadcasts, scheduled ones with their time in the admin's words and a Cancel button."""
    service, now, lang = context.services.broadcasts, utcnow(), _lang(update, context)
    tz = admin_timezone(context, update.effective_user.id)
    entries, cancellable = [], []
    for st in service.status():
        entry = service.format_status(st, lang=lang)
        if service.is_cancellable(st, now):
            entry += "\n⏰ " + escape(scheduling.describe(st.scheduled_at, tz, now, lang))
            cancellable.append(st.id)
        entries.append(entry)
    return render.broadcasts_list(entries, lang), render.cancel_buttons(cancellable, lang)


@admin_only("/broadcasts")
async def broadcasts_command(update: Update, context: BotContext) -> None:
    text, markup = _listing(update, context)
    await update.effective_message.reply_html(text, reply_markup=markup)


@admin_only("broadcast cancel button")
async def on_cancel_button(update: Update, context: BotContext) -> None:
    """✖ Cancel #N under /broadcasts: withdraw a scheduled broadcast that has not started."""
    query = update.callback_query
    try:
        broadcast_id = int((query.data or "").split(":")[1])
    except (IndexError, ValueError):
        await query.answer(_t(update, context, render.UNKNOWN))
        return
    withdrawn = context.services.broadcasts.cancel(broadcast_id, update.effective_user.id)
    if withdrawn is None:
        await query.answer(_t(update, context, render.NOT_CANCELLABLE).format(id=broadcast_id), show_alert=True)
    else:
        await query.answer(_t(update, context, render.CANCELLED_ONE).format(id=broadcast_id, n=withdrawn))
    text, markup = _listing(update, context)
    await edit_screen(query, text, markup)


def register(application: Application) -> None:
    application.add_handler(CommandHandler("broadcast", broadcast_command))
    application.add_handler(CommandHandler("broadcasts", broadcasts_command))
    application.add_handler(CallbackQueryHandler(on_button, pattern=r"^b:"))
    application.add_handler(CallbackQueryHandler(on_cancel_button, pattern=r"^bx:"))
    # Like the timezone prompt (group -1), it consumes a plain message only while a draft waits for
    # text. Its own group -2: within one group PTB runs only the first handler whose filter matches.
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, typed_text), group=-2)
    application.add_handler(MessageHandler(filters.ChatType.PRIVATE & (filters.Document.ALL | filters.PHOTO), typed_file), group=-2)
