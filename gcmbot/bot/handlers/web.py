"""/web: an admin's one-time login link to the web console (private chat only)."""

from __future__ import annotations

import asyncio
from html import escape

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application, CommandHandler

from gcmbot.bot.context import BotContext
from gcmbot.bot.permissions import admin_only

PRIVATE_ONLY = "Send /web to me in a private chat: a login link must not be shown in a group."
CONSOLE_OFF = "The web console is off. Set GCMBOT_WEB_PORT (and GCMBOT_WEB_URL, its public address) and restart, or run <code>gcmbot web</code>."


def login_message(url: str) -> str:
    return (
        f'<a href="{escape(url, quote=True)}">Open the web console</a>\n\n'
        "This link logs you in once and expires in 10 minutes. Do not forward it."
    )


@admin_only("/web")
async def web_command(update: Update, context: BotContext) -> None:
    if update.effective_chat.type != ChatType.PRIVATE:
        await update.effective_message.reply_text(PRIVATE_ONLY)
        return
    settings = context.services.settings
    if settings.web_port is None and settings.web_url is None:
        await update.effective_message.reply_html(CONSOLE_OFF)
        return
    token = await asyncio.to_thread(context.services.webauth.issue_link_token, update.effective_user.id)
    await update.effective_message.reply_html(login_message(f"{settings.web_base_url}/login/{token}"))


def register(application: Application) -> None:
    application.add_handler(CommandHandler("web", web_command))
