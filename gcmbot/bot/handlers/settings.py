"""/settings menu, /mysubscription, /timezone, /forget, and the bot being added to or removed from chats.

The typed-timezone prompt is a ConversationHandler (`timezone_dialog`): entered by
/timezone without a name or a menu's "Timezone" button (this chat's, or a channel's
menu in its admin's private chat), state TYPING_TIMEZONE takes the next plain message
as the name; any other settings button, /cancel or TIMEZONE_TIMEOUT seconds end it.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import Update
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from gcmbot.render import texts
from gcmbot.bot.context import BotContext
from gcmbot.bot.lang import chat_language
from gcmbot.bot.permissions import forget_cached_admins, is_chat_admin, may_change_settings
from gcmbot.bot.keyboards import markup
from gcmbot.bot.replies import dialog, edit_screen
from gcmbot.render import settings as render
from gcmbot.render.keyboard import Keyboard
from gcmbot.services.subscriptions import InvalidChoice, NotSubscribed, Subscription

log = logging.getLogger(__name__)
TYPING_TIMEZONE = "typing_timezone"
TIMEZONE_TARGET = "timezone_target"  # chat_data: the chat whose timezone the prompt sets
TIMEZONE_TIMEOUT = 600  # seconds the prompt waits for a name


async def _options(context: BotContext, lang: str = "en") -> dict[str, dict[str, str]]:
    subs = context.services.subscriptions
    return await context.run(lambda: {kind: dict(subs.options(kind, lang)) for kind in ("region", "constituency", "topic")})


async def _say(update: Update, context: BotContext, message: str) -> str:
    """A module text in the chat's language."""
    return texts.tr(await chat_language(update, context), message)


async def open_menu(update: Update, context: BotContext) -> None:
    """Send a fresh settings menu; older menus of this chat go stale."""
    chat_id = update.effective_chat.id
    subs = context.services.subscriptions
    if await context.run(subs.get, chat_id) is None:
        await update.effective_message.reply_text(await _say(update, context, texts.NOT_SUBSCRIBED))
        return
    await context.run(subs.new_menu_token, chat_id)
    sub = await context.run(subs.require, chat_id)
    text, keyboard = render.main_menu(sub, await _options(context, sub.language))
    await update.effective_message.reply_html(text, reply_markup=markup(keyboard))


async def settings_command(update: Update, context: BotContext) -> None:
    if not await may_change_settings(update, context):
        await update.effective_message.reply_text(await _say(update, context, texts.ADMINS_ONLY))
        return
    await open_menu(update, context)


async def mysubscription(update: Update, context: BotContext) -> None:
    sub = await context.run(context.services.subscriptions.get, update.effective_chat.id)
    text = await _say(update, context, texts.NOT_SUBSCRIBED) if sub is None else render.summary(sub, await _options(context, sub.language))
    await update.effective_message.reply_html(text)


async def timezone_command(update: Update, context: BotContext):
    if not await may_change_settings(update, context):
        await update.effective_message.reply_text(await _say(update, context, texts.ADMINS_ONLY))
        return ConversationHandler.END
    if not context.args:
        context.chat_data[TIMEZONE_TARGET] = update.effective_chat.id
        await update.effective_message.reply_text(await _say(update, context, render.TIMEZONE_ASK))
        return TYPING_TIMEZONE
    await _set_timezone(update, context, " ".join(context.args))
    return ConversationHandler.END


async def timezone_button(update: Update, context: BotContext):
    """A menu's "Timezone" button: show the zones, and take a typed name next."""
    return TYPING_TIMEZONE if await on_button(update, context) else ConversationHandler.END


async def typed_timezone(update: Update, context: BotContext):
    """The plain message after the prompt: the timezone's name (for this chat, or for the
    channel whose menu is open in this private chat)."""
    target = context.chat_data.pop(TIMEZONE_TARGET, None)
    chat_id = update.effective_chat.id
    if target is None or target == chat_id:
        if not await may_change_settings(update, context):
            return ConversationHandler.END
        target = chat_id
    elif update.effective_user is None or not await is_chat_admin(context, target, update.effective_user.id):
        return ConversationHandler.END
    await _set_timezone(update, context, update.effective_message.text, target)
    return ConversationHandler.END


async def other_button_ends_prompt(update: Update, context: BotContext):
    """Any other settings button ends the prompt (it still does what it says)."""
    applied = await on_button(update, context)
    if applied and render.action_of(_action(update)) == render.TIMEZONE:
        return TYPING_TIMEZONE
    context.chat_data.pop(TIMEZONE_TARGET, None)
    return ConversationHandler.END


async def cancel_prompt(update: Update, context: BotContext):
    context.chat_data.pop(TIMEZONE_TARGET, None)
    await update.effective_message.reply_text(await _say(update, context, render.PROMPT_CANCELLED))
    return ConversationHandler.END


async def nothing_to_cancel(update: Update, context: BotContext) -> None:
    """/cancel outside any dialog."""
    await update.effective_message.reply_text(await _say(update, context, render.NOTHING_TO_CANCEL))


def _action(update: Update) -> str:
    parts = (update.callback_query.data or "").split(":") if update.callback_query else []
    return parts[2] if len(parts) > 2 else ""


async def _set_timezone(update: Update, context: BotContext, name: str, chat_id: int | None = None) -> None:
    try:
        sub = await context.run(context.services.subscriptions.set_timezone, chat_id or update.effective_chat.id, name)
    except InvalidChoice:
        await update.effective_message.reply_text((await _say(update, context, render.TIMEZONE_BAD)).format(text=html.escape(name.strip()[:64])))
    except NotSubscribed:
        await update.effective_message.reply_text(await _say(update, context, texts.NOT_SUBSCRIBED))
    else:
        await update.effective_message.reply_text(texts.tr(sub.language, render.TIMEZONE_SET).format(zone=sub.timezone))


async def forget_command(update: Update, context: BotContext) -> None:
    if not await may_change_settings(update, context):
        await update.effective_message.reply_text(await _say(update, context, texts.ADMINS_ONLY))
        return
    subs = context.services.subscriptions
    if await context.run(subs.get, update.effective_chat.id) is None:
        await update.effective_message.reply_text(await _say(update, context, render.NOTHING_STORED))
        return
    token = await context.run(subs.new_menu_token, update.effective_chat.id)
    text, keyboard = render.forget_confirm(token, await chat_language(update, context))
    await update.effective_message.reply_html(text, reply_markup=markup(keyboard))


async def lang_command(update: Update, context: BotContext) -> None:
    """/lang fr switches; /lang alone shows the language buttons; a bad code changes nothing."""
    if not await may_change_settings(update, context):
        await update.effective_message.reply_text(await _say(update, context, texts.ADMINS_ONLY))
        return
    subs, chat_id = context.services.subscriptions, update.effective_chat.id
    if await context.run(subs.get, chat_id) is None:
        await update.effective_message.reply_text(await _say(update, context, texts.NOT_SUBSCRIBED))
        return
    if not context.args:
        await context.run(subs.new_menu_token, chat_id)
        text, keyboard = render.language_menu(await context.run(subs.require, chat_id))
        await update.effective_message.reply_html(text, reply_markup=markup(keyboard))
        return
    code = context.args[0].strip().lower()
    try:
        sub = await context.run(subs.set_language, chat_id, code)
    except InvalidChoice:
        await update.effective_message.reply_html(texts.language_bad(code, await chat_language(update, context)))
        return
    await update.effective_message.reply_text(texts.language_set(sub.language))


# --- button presses: one function per screen -----------------------------------------
# Callback data `s:<key>:<action>[:<arg>…]` (gcmbot.render.settings): `_live_menu` checks the
# key (stale menus, someone else's channel, who may change a group's settings); `on_button` hands the press
# to the function of the action's screen, which returns the screen to show next.


@dataclass(frozen=True)
class Press:
    """A settings button pressed on a live menu."""

    sub: Subscription  # the chat (or channel) the menu is for
    action: str  # its name (legacy codes already read as names)
    args: list[str]
    options: dict[str, dict[str, str]]  # region, constituency and topic names in the chat's language


Screen = tuple[str, Keyboard | None]


async def main_screen(context: BotContext, press: Press) -> Screen:
    if press.action == render.DONE:
        return render.done(press.sub, press.options), None
    return render.main_menu(press.sub, press.options)


async def choices_screen(context: BotContext, press: Press) -> Screen:
    subs, chat_id, run = context.services.subscriptions, press.sub.chat_id, context.run
    kind = render.KIND_CODES[press.args[0]]
    sub = press.sub
    if press.action == render.TOGGLE:
        sub = await run(subs.toggle, chat_id, kind, press.args[1])
    elif press.action == render.ALL:
        sub = await run(subs.set_all, chat_id, kind)
    return render.choice_menu(sub, kind, press.options[kind])


async def digest_screen(context: BotContext, press: Press) -> Screen:
    subs, chat_id, action, args, run = context.services.subscriptions, press.sub.chat_id, press.action, press.args, context.run
    sub = press.sub
    if action == render.WEEKDAY:
        sub = await run(subs.set_digest, chat_id, None if args[0] == "off" else int(args[0]))
    elif action == render.HOUR:
        sub = await run(subs.choose_digest_hour, chat_id, int(args[0]))
    elif action == render.REMIND_DAYS:
        sub = await run(subs.choose_reminder_days, chat_id, int(args[0]))
    elif action == render.FLAG:
        sub = await run(subs.toggle_flag, chat_id, render.FLAGS[args[0]])
    elif action == render.QUIET:
        sub = await run(subs.set_quiet, chat_id, args[0])
    return render.digest_menu(sub)


async def timezone_screen(context: BotContext, press: Press) -> Screen:
    subs, sub = context.services.subscriptions, press.sub
    if press.action == render.SET_TIMEZONE:
        sub = await context.run(subs.set_timezone, sub.chat_id, ":".join(press.args))
    else:  # the menu's chat (this one, or a channel's): timezone_dialog takes a typed name next
        context.chat_data[TIMEZONE_TARGET] = sub.chat_id
    return render.timezone_menu(sub, await context.run(subs.timezones_for_regions))


async def language_screen(context: BotContext, press: Press) -> Screen:
    sub = press.sub
    if press.action == render.SET_LANGUAGE:
        sub = await context.run(context.services.subscriptions.set_language, sub.chat_id, press.args[0])
    return render.language_menu(sub)


async def forget_screen(context: BotContext, press: Press) -> Screen:
    """/forget's confirmation: Delete everything or Cancel."""
    sub, answer = press.sub, press.args[0]
    if answer == "yes":
        deleted = await context.run(context.services.subscriptions.forget, sub.chat_id)
        context.application.drop_chat_data(sub.chat_id)
        forget_cached_admins(context, sub.chat_id)
        return render.forgotten(deleted, sub.language), None
    if answer == "no":
        return texts.tr(sub.language, render.FORGET_CANCELLED), None
    raise InvalidChoice(answer)


SCREENS: dict[str, Callable[[BotContext, Press], Awaitable[Screen]]] = {
    "main": main_screen, "choices": choices_screen, "digest": digest_screen,
    "timezone": timezone_screen, "language": language_screen, "forget": forget_screen,
}
SCREEN_OF = {action: SCREENS[screen] for screen, actions in render.ACTIONS.items() for action in actions}


async def _live_menu(update: Update, context: BotContext) -> Subscription | None:
    """The subscription a pressed menu is for, when the menu is current and the person may use it;
    else None, the press answered (stale, not subscribed, not an admin)."""
    query = update.callback_query
    chat_id = query.message.chat.id if query.message else None
    parts = (query.data or "").split(":")
    subs = context.services.subscriptions
    try:
        channel_id, token = render.parse_key(parts[1]) if len(parts) >= 3 else (None, "")
    except ValueError:
        channel_id, token = None, ""
    if channel_id is not None:  # a channel's menu, in its admin's private chat
        sub = await context.run(subs.get, channel_id) if query.message and query.message.chat.type == "private" else None
        if sub is None or not sub.is_channel or token != sub.menu_token:
            await query.answer(await _say(update, context, render.STALE), show_alert=False)
            return None
        if not await is_chat_admin(context, channel_id, update.effective_user.id):
            await query.answer(await _say(update, context, texts.CHANNEL_ADMINS_ONLY), show_alert=True)
            return None
        return sub
    sub = await context.run(subs.get, chat_id) if chat_id is not None else None
    if sub is None or len(parts) < 3 or token != sub.menu_token:
        await query.answer(await _say(update, context, render.STALE if sub is not None else texts.NOT_SUBSCRIBED), show_alert=False)
        return None
    if not await may_change_settings(update, context):
        await query.answer(await _say(update, context, texts.ADMINS_ONLY), show_alert=True)
        return None
    return sub


async def on_button(update: Update, context: BotContext) -> bool:
    """A settings button: its screen's function does what it says; True when it was applied
    (not stale, not refused, not a forged or unknown action)."""
    query = update.callback_query
    sub = await _live_menu(update, context)
    if sub is None:
        return False
    parts = (query.data or "").split(":")
    action = render.action_of(parts[2])
    screen = SCREEN_OF.get(action)
    try:
        if screen is None:
            raise InvalidChoice(action)
        text, keyboard = await screen(context, Press(sub, action, parts[3:], await _options(context, sub.language)))
    except (InvalidChoice, KeyError, ValueError, IndexError):
        await query.answer(await _say(update, context, render.UNKNOWN))
        return False
    await query.answer()
    await edit_screen(query, text, keyboard)
    return True


# --- membership -----------------------------------------------------------------


async def on_membership(update: Update, context: BotContext) -> None:
    """The bot was added to, removed from or blocked in a chat."""
    change = update.my_chat_member
    chat_id, status = change.chat.id, change.new_chat_member.status
    lost_channel_rights = change.chat.type == "channel" and not (
        status == ChatMemberStatus.ADMINISTRATOR and getattr(change.new_chat_member, "can_post_messages", False)
    )
    if status in (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED) or lost_channel_rights:
        # Removed, blocked, or (in a channel) no right to post any more: the chat is unlinked.
        if await context.run(context.services.subscriptions.mark_inactive, chat_id):
            log.info("bot removed, blocked or without rights; subscriber marked inactive (chat type %s)", change.chat.type)
        forget_cached_admins(context, chat_id)
    elif change.chat.type == "channel":
        # Made an administrator who may post: tell the person who did it how to link the channel, in
        # their private chat (if they never started the bot, Telegram refuses and that is fine).
        user = change.from_user
        if user is not None and change.old_chat_member.status != ChatMemberStatus.ADMINISTRATOR:
            ref = f"@{change.chat.username}" if change.chat.username else str(chat_id)
            try:
                await context.bot.send_message(user.id, texts.tr(user.language_code, texts.CHANNEL_ADDED).format(name=html.escape(ref)))
            except TelegramError:
                pass
    elif change.chat.type != "private" and change.old_chat_member.status in (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED):
        user = change.from_user
        await context.bot.send_message(chat_id, texts.tr(user.language_code if user else None, render.ADDED_TO_GROUP))


async def on_migrate(update: Update, context: BotContext) -> None:
    message = update.effective_message
    if message.migrate_to_chat_id:
        await context.run(context.services.subscriptions.migrate_chat, message.chat.id, message.migrate_to_chat_id)


def timezone_dialog() -> ConversationHandler:
    return dialog(
        entry_points=[
            CommandHandler("timezone", timezone_command),
            CallbackQueryHandler(timezone_button, pattern=rf"^s:[^:]*:({render.TIMEZONE}|z)$"),  # z: menus sent before the names
        ],
        states={TYPING_TIMEZONE: [MessageHandler(filters.TEXT & ~filters.COMMAND, typed_timezone)]},
        fallbacks=[CommandHandler("cancel", cancel_prompt), CallbackQueryHandler(other_button_ends_prompt, pattern=r"^s:")],
        conversation_timeout=TIMEZONE_TIMEOUT,
        name="timezone",
    )


def register(application: Application) -> None:
    application.add_handler(CommandHandler("settings", settings_command))
    application.add_handler(CommandHandler("mysubscription", mysubscription))
    application.add_handler(timezone_dialog())
    application.add_handler(CommandHandler("forget", forget_command))
    application.add_handler(CommandHandler("lang", lang_command))
    application.add_handler(CallbackQueryHandler(on_button, pattern=r"^s:"))
    application.add_handler(ChatMemberHandler(on_membership, ChatMemberHandler.MY_CHAT_MEMBER))
    application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, on_migrate))
    # After every dialog (the /broadcast one registers first): /cancel when nothing is going on.
    application.add_handler(CommandHandler("cancel", nothing_to_cancel))
