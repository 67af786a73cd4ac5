"""/feeds for admins, and the repeating job that polls feeds that are due."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import Application, CommandHandler

from gcmbot.bot.context import BotContext
from gcmbot.bot.lang import chat_language
from gcmbot.bot.permissions import admin_only
from gcmbot.render import feeds as render

log = logging.getLogger(__name__)

POLL_EVERY_SECONDS = 60
FIRST_POLL_AFTER_SECONDS = 15


@admin_only("/feeds")
async def feeds_command(update: Update, context: BotContext) -> None:
    status = await context.run(context.services.feeds.status)
    await update.effective_message.reply_html(render.feed_status(status, await chat_language(update, context)))


async def poll_feeds_job(context: BotContext) -> None:
    """Every minute: poll the feeds whose time has come (alerts are queued by the service)."""
    if not context.services.is_leader:
        return  # another process is the scheduler leader (see README "Scaling")
    await context.services.feeds.poll_due()


def schedule(application: Application) -> None:
    """Poll due feeds every minute. The job never overlaps itself."""
    if application.job_queue is None:
        log.warning("no job queue (install python-telegram-bot[job-queue]): feeds are not polled")
        return
    application.job_queue.run_repeating(
        poll_feeds_job, interval=POLL_EVERY_SECONDS, first=FIRST_POLL_AFTER_SECONDS, name="feeds",
        job_kwargs={"max_instances": 1, "coalesce": True},
    )
    previous = application.post_shutdown

    async def close_client(app: Application) -> None:
        if previous is not None:
            await previous(app)
        await app.bot_data["services"].feeds.aclose()

    application.post_shutdown = close_client


def register(application: Application) -> None:
    application.add_handler(CommandHandler("feeds", feeds_command))
    schedule(application)
