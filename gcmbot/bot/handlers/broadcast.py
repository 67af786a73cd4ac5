"""/broadcast (text → segment → preview → send) and /broadcasts, for the bot's admins only.

/broadcast is a ConversationHandler (`broadcast_dialog`) with three states:
TYPING_TEXT (the admin's next message — text, or a document or photo with its
caption — is the broadcast; invalid HTML asks again), CHOOSING (segment buttons,
preview, pin, Send now / Schedule… / Cancel: all `b:` buttons) and TYPING_TIME (after
"Schedule…": the admin types when, in their timezone, or taps a quick pick; the time is
said back in plain words with the button that schedules). /cancel or BROADCAST_TIMEOUT
seconds without a step end it and drop the draft; nothing is queued.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from html import escape

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters

from gcmbot.bot.context import BotContext
from gcmbot.bot.incoming import caption_source, html_source
from gcmbot.bot.keyboards import markup as to_markup
from gcmbot.bot.lang import chat_language
from gcmbot.bot.permissions import admin_only, is_admin
from gcmbot.bot.replies import dialog, edit_screen
from gcmbot.i18n import translator
from gcmbot.models import utcnow
from gcmbot.render import broadcast as render
from gcmbot.render.when import describe as when_words
from gcmbot.services import scheduling
from gcmbot.services.broadcast import Attachment, EmptySegment, InvalidHTML
from gcmbot.services.subscriptions import KINDS, Segment

DRAFT = "broadcast_draft"
TYPING_TEXT, CHOOSING, TYPING_TIME = "typing_text", "choosing", "typing_time"
BROADCAST_TIMEOUT = 30 * 60  # seconds of silence after which a draft is dropped
END = ConversationHandler.END


@dataclass
class Draft:
    """An admin's broadcast in the making, kept in chat_data of their private chat."""

    token: str = field(default_factory=lambda: secrets.token_hex(3))
    stage: str = "text"  # text → segment → confirm (shown to the admin; the dialog's states drive the flow)
    text: str = ""
    chosen: dict[str, set[str]] = field(default_factory=lambda: {k: set() for k in KINDS})
    attachment: Attachment | None = None  # a document or photo the admin sent (by its file_id); text is its caption
    pin: bool = False  # pin in groups where the bot may
    scheduled_at: datetime | None = None  # chosen with "Schedule…" (UTC); None = send now

    def segment(self) -> Segment:
        get = lambda kind: frozenset(self.chosen[kind]) or None  # noqa: E731
        return Segment(get("region"), get("constituency"), get("topic"))


async def _options(context: BotContext, lang: str = "en") -> dict[str, dict[str, str]]:
    """Region / constituency / topic names (in the admin's language) by id."""
    service = context.services.broadcasts
    return await context.run(lambda: {kind: dict(service.options(kind, lang)) for kind in KINDS})


async def _lang(update: Update, context: BotContext) -> str:
    """Admin texts are in the admin's chat language, like everything else."""
    return await chat_language(update, context)


async def _t(update: Update, context: BotContext, message: str) -> str:
    return translator(await _lang(update, context)).gettext(message)




@admin_only("/broadcast")
async def broadcast_command(update: Update, context: BotContext):
    if update.effective_chat.type != ChatType.PRIVATE:
        await update.effective_message.reply_text(await _t(update, context, render.PRIVATE_ONLY))
        return END
    draft = context.chat_data[DRAFT] = Draft()
    text, markup = render.ask_text(draft.token, await _lang(update, context))
    await update.effective_message.reply_html(text, reply_markup=to_markup(markup))
    return TYPING_TEXT


async def typed_text(update: Update, context: BotContext):
    """The admin's next message: the broadcast's text."""
    draft: Draft | None = context.chat_data.get(DRAFT)
    if draft is None or not is_admin(update, context):
        return END
    try:
        draft.text = context.services.broadcasts.validate(html_source(update.effective_message))
    except InvalidHTML as exc:
        await update.effective_message.reply_html(render.bad_html(str(exc), await _lang(update, context)))
        return TYPING_TEXT  # ask again
    return await _ask_segment(update, context, draft)


async def typed_file(update: Update, context: BotContext):
    """A document or photo (its caption is the text) instead of a text.
    Telegram has the file already: every recipient gets it by this file_id, nothing is uploaded again."""
    draft: Draft | None = context.chat_data.get(DRAFT)
    if draft is None or not is_admin(update, context):
        return END
    message = update.effective_message
    if message.document is not None:
        attachment = Attachment("document", message.document.file_name or "document", message.document.file_id)
    else:
        attachment = Attachment("photo", "photo.jpg", message.photo[-1].file_id)
    try:
        draft.text = context.services.broadcasts.validate(caption_source(message), caption=True)
    except InvalidHTML as exc:
        await message.reply_html(render.bad_html(str(exc), await _lang(update, context)))
        return TYPING_TEXT
    draft.attachment = attachment
    return await _ask_segment(update, context, draft)


async def _ask_segment(update: Update, context: BotContext, draft: Draft):
    draft.stage = "segment"
    count = await context.run(context.services.broadcasts.count, draft.segment())
    text, markup = render.segment_menu(draft.token, draft.chosen, await _options(context, await _lang(update, context)), count, await _lang(update, context))
    await update.effective_message.reply_html(text, reply_markup=to_markup(markup))
    return CHOOSING


async def typed_time(update: Update, context: BotContext):
    """After "Schedule…": the admin's message says when (in their timezone)."""
    draft: Draft | None = context.chat_data.get(DRAFT)
    if draft is None or not is_admin(update, context):
        return END
    return await _time_chosen(update, context, draft, update.effective_message.text)


async def cancel(update: Update, context: BotContext):
    context.chat_data.pop(DRAFT, None)
    await update.effective_message.reply_text(await _t(update, context, render.CANCELLED))
    return END


async def timed_out(update: object, context: BotContext) -> None:
    context.chat_data.pop(DRAFT, None)  # its buttons now answer "out of date"


async def dialog_button(update: Update, context: BotContext):
    """A `b:` button during the dialog: the state after it."""
    outcome = await on_button(update, context)
    return outcome if outcome is not None else CHOOSING


@admin_only("broadcast button")
async def on_button(update: Update, context: BotContext):
    """A `b:` button: END after Send or Cancel, else CHOOSING; None when stale or unknown (nothing changes)."""
    query = update.callback_query
    parts = (query.data or "").split(":")
    draft: Draft | None = context.chat_data.get(DRAFT)
    if draft is None or len(parts) < 3 or parts[1] != draft.token:
        await query.answer(await _t(update, context, render.STALE))
        return None
    action, args = parts[2], parts[3:]
    options = await _options(context, await _lang(update, context))
    if action not in render.ACTIONS or action in "vta" and (not args or args[0] not in render.KIND_CODES) \
            or action == "t" and (len(args) < 2 or args[1] not in options[render.KIND_CODES[args[0]]]) \
            or action in "psnwqkc" and not (draft.text or draft.attachment) \
            or action == "q" and (not args or args[0] not in render.QUICK_TIMES) \
            or action == "k" and draft.scheduled_at is None:
        await query.answer(await _t(update, context, render.UNKNOWN))
        return None
    await query.answer()
    if action == "p":
        await _preview(update, context, draft, options)
    elif action == "s":
        draft.scheduled_at = None  # "Send now"
        return await _send(update, context, draft)
    elif action == "k":  # "Schedule for N", after the time was said back
        return await _send(update, context, draft)
    elif action in "nc":  # pin on/off, or back from Schedule… to Send now / Schedule…
        if action == "n":
            draft.pin = not draft.pin
        draft.stage, draft.scheduled_at = "confirm", None
        confirm_text, markup = render.confirm(draft.token, await context.run(context.services.broadcasts.count, draft.segment()), await _lang(update, context), pin=draft.pin)
        await edit_screen(query, confirm_text, markup)
    elif action == "w":
        await _ask_time(update, context, draft)
        return TYPING_TIME
    elif action == "q":
        return await _time_chosen(update, context, draft, render.QUICK_TIMES[args[0]])
    elif action == "x":
        context.chat_data.pop(DRAFT, None)
        await edit_screen(query, await _t(update, context, render.CANCELLED), None)
        return END
    else:
        await edit_screen(query, *await _segment_screen(context, draft, action, args, options, await _lang(update, context)))
    return CHOOSING


async def _segment_screen(context: BotContext, draft: Draft, action: str, args: list[str], options, lang: str = "en"):
    """Apply a segment button (v, t, a, m) and return the screen to show."""
    draft.stage = "segment"
    kind = render.KIND_CODES[args[0]] if args else None
    if action == "t":
        draft.chosen[kind] ^= {args[1]}
    elif action == "a":
        draft.chosen[kind] = set()
    count = await context.run(context.services.broadcasts.count, draft.segment())
    if kind is None:
        return render.segment_menu(draft.token, draft.chosen, options, count, lang)
    return render.choice_menu(draft.token, kind, draft.chosen[kind], options[kind], count, lang)


async def _preview(update: Update, context: BotContext, draft: Draft, options) -> None:
    text, count = await context.run(context.services.broadcasts.preview, draft.text, draft.segment(), caption=draft.attachment is not None)
    draft.stage = "confirm"
    lang = await _lang(update, context)
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
    await update.effective_chat.send_message(confirm_text, reply_markup=to_markup(markup))


async def _ask_time(update: Update, context: BotContext, draft: Draft) -> None:
    """ "Schedule…": ask for the time (typed, in the admin's timezone, or a quick pick)."""
    draft.stage, draft.scheduled_at = "time", None
    text, markup = render.ask_time(draft.token, await admin_timezone(context, update.effective_user.id), await _lang(update, context))
    await edit_screen(update.callback_query, text, markup)


async def _time_chosen(update: Update, context: BotContext, draft: Draft, typed: str):
    """A time typed or picked: say it back in plain words with the button that schedules (CHOOSING),
    or say why not and wait for another (TYPING_TIME)."""
    lang, now = await _lang(update, context), utcnow()
    tz = await admin_timezone(context, update.effective_user.id)
    try:
        at = scheduling.parse_when(typed, tz, now)
    except scheduling.BadTime as exc:
        why = exc.translated(translator(lang).gettext)
        await update.effective_message.reply_html((await _t(update, context, render.BAD_TIME)).format(why=escape(why)))
        return TYPING_TIME
    draft.stage, draft.scheduled_at = "confirm", at
    count = await context.run(context.services.broadcasts.count, draft.segment())
    text, markup = render.confirm_schedule(draft.token, count, when_words(at, tz, now, lang), lang, pin=draft.pin)
    if update.callback_query is not None:
        await edit_screen(update.callback_query, text, markup)
    else:
        await update.effective_message.reply_html(text, reply_markup=to_markup(markup))
    return CHOOSING


async def _send(update: Update, context: BotContext, draft: Draft):
    """Send now or schedule (draft.scheduled_at): END, or TYPING_TIME when the chosen time has passed meanwhile."""
    lang, now = await _lang(update, context), utcnow()
    if draft.scheduled_at is not None and draft.scheduled_at <= now:
        draft.stage = "time"  # waited too long on the confirmation: ask again
        text, markup = render.ask_time(draft.token, await admin_timezone(context, update.effective_user.id), lang)
        await edit_screen(update.callback_query, await _t(update, context, render.TIME_PASSED) + "\n\n" + text, markup)
        return TYPING_TIME
    context.chat_data.pop(DRAFT, None)  # a second tap on Send finds no draft: never queued twice
    try:
        broadcast_id = await context.run(
            context.services.broadcasts.enqueue,
            update.effective_user.id, draft.text, draft.segment(), draft.scheduled_at, attachment=draft.attachment, pin_in_groups=draft.pin
        )
    except EmptySegment:
        await edit_screen(update.callback_query, await _t(update, context, render.EMPTY), None)
        return END
    [status] = await context.run(context.services.broadcasts.status, broadcast_id)
    if draft.scheduled_at is None:
        await edit_screen(update.callback_query, render.queued(broadcast_id, status.recipients, lang), None)
        return END
    when = when_words(draft.scheduled_at, await admin_timezone(context, update.effective_user.id), now, lang)
    await edit_screen(update.callback_query, render.scheduled(broadcast_id, status.recipients, when, lang), None)
    return END


async def admin_timezone(context: BotContext, user_id: int) -> str:
    """The admin's own timezone (their subscription's), else GCMBOT_TIMEZONE."""
    sub = await context.run(context.services.subscriptions.get, user_id)
    return sub.timezone if sub is not None else context.services.settings.timezone


async def _listing(update: Update, context: BotContext):
    """The /broadcasts message: recent broadcasts, scheduled ones with their time in the admin's words and a Cancel button."""
    service, now, lang = context.services.broadcasts, utcnow(), await _lang(update, context)
    tz = await admin_timezone(context, update.effective_user.id)
    entries, cancellable = [], []
    for st in await context.run(service.status):
        entry = render.status(st, await context.run(service.names, st.segment, lang), lang=lang)
        if service.is_cancellable(st, now):
            entry += "\n⏰ " + escape(when_words(st.scheduled_at, tz, now, lang))
            cancellable.append(st.id)
        entries.append(entry)
    return render.broadcasts_list(entries, lang), render.cancel_buttons(cancellable, lang)


@admin_only("/broadcasts")
async def broadcasts_command(update: Update, context: BotContext) -> None:
    text, markup = await _listing(update, context)
    await update.effective_message.reply_html(text, reply_markup=to_markup(markup))


@admin_only("broadcast cancel button")
async def on_cancel_button(update: Update, context: BotContext) -> None:
    """✖ Cancel #N under /broadcasts: withdraw a scheduled broadcast that has not started."""
    query = update.callback_query
    try:
        broadcast_id = int((query.data or "").split(":")[1])
    except (IndexError, ValueError):
        await query.answer(await _t(update, context, render.UNKNOWN))
        return
    withdrawn = await context.run(context.services.broadcasts.cancel, broadcast_id, update.effective_user.id)
    if withdrawn is None:
        await query.answer((await _t(update, context, render.NOT_CANCELLABLE)).format(id=broadcast_id), show_alert=True)
    else:
        await query.answer((await _t(update, context, render.CANCELLED_ONE)).format(id=broadcast_id, n=withdrawn))
    text, markup = await _listing(update, context)
    await edit_screen(query, text, markup)


def broadcast_dialog() -> ConversationHandler:
    buttons = CallbackQueryHandler(dialog_button, pattern=r"^b:")
    return dialog(
        entry_points=[CommandHandler("broadcast", broadcast_command)],
        states={
            TYPING_TEXT: [
                MessageHandler(filters.TEXT & ~filters.COMMAND, typed_text),
                MessageHandler(filters.ChatType.PRIVATE & (filters.Document.ALL | filters.PHOTO), typed_file),
                buttons,
            ],
            CHOOSING: [buttons],
            TYPING_TIME: [MessageHandler(filters.TEXT & ~filters.COMMAND, typed_time), buttons],
            ConversationHandler.TIMEOUT: [MessageHandler(filters.ALL, timed_out), CallbackQueryHandler(timed_out)],
        },
        fallbacks=[CommandHandler("cancel", cancel), CommandHandler("broadcast", broadcast_command)],
        conversation_timeout=BROADCAST_TIMEOUT,
        name="broadcast",
    )


def register(application: Application) -> None:
    # The dialog registers before the settings module's: while a draft waits for its text, the
    # admin's message is the broadcast's, even if a timezone prompt was open too.
    application.add_handler(broadcast_dialog())
    application.add_handler(CommandHandler("broadcasts", broadcasts_command))
    application.add_handler(CallbackQueryHandler(on_button, pattern=r"^b:"))  # stale buttons after the dialog ended
    application.add_handler(CallbackQueryHandler(on_cancel_button, pattern=r"^bx:"))
