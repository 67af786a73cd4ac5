"""/web: an admin's one-time login link to the web console (private chat only)."""

from __future__ import annotations

from html import escape

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application, CommandHandler

from gcmbot.bot.context import BotContext
from gcmbot.bot.lang import chat_language
from gcmbot.bot.permissions import admin_only
from gcmbot.i18n import N_, translator

PRIVATE_ONLY = N_("Send /web to me in a private chat: a login link must not be shown in a group.")
CONSOLE_OFF = N_("The web console is off. Set GCMBOT_WEB_PORT (and GCMBOT_WEB_URL, its public address) and restart, or run {command}.")
OPEN = N_("Open the web console")
ONCE = N_("This link logs you in once and expires in 10 minutes. Do not forward it.")


def login_message(url: str, lang: str = "en") -> str:
    _ = translator(lang).gettext
    return f'<a href="{escape(url, quote=True)}">{escape(_(OPEN))}</a>\n\n{escape(_(ONCE))}'


@admin_only("/web")
async def web_command(update: Update, context: BotContext) -> None:
    _ = translator(await chat_language(update, context)).gettext
    if update.effective_chat.type != ChatType.PRIVATE:
        await update.effective_message.reply_text(_(PRIVATE_ONLY))
        return
    settings = context.services.settings
    if settings.web_port is None and settings.web_url is None:
        await update.effective_message.reply_html(escape(_(CONSOLE_OFF)).format(command="<code>gcmbot web</code>"))
        return
    token = await context.run(context.services.webauth.issue_link_token, update.effective_user.id)
    await update.effective_message.reply_html(login_message(f"{settings.web_base_url}/login/{token}", await chat_language(update, context)))


def register(application: Application) -> None:
    application.add_handler(CommandHandler("web", web_command))
