"""Build the python-telegram-bot Application: wiring only, no logic."""

from __future__ import annotations

import asyncio
import logging

from telegram import Bot, BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, CallbackQueryHandler, ContextTypes, Defaults

from gcmbot.app import Services
from gcmbot.bot import texts
from gcmbot.bot.context import BotContext
from gcmbot.bot.handlers import broadcast, channels, core, digest, feeds, questions, settings
from gcmbot.bot.handlers import web as web_console
from gcmbot.bot.sender import TelegramSender
from gcmbot.i18n import LANGUAGES, translator
from gcmbot.services.delivery import DeliveryWorker

log = logging.getLogger(__name__)

# Feature modules, each with register(application). Order matters only for
# catch-all handlers (questions), which register last.
HANDLER_MODULES = [core, settings, channels, digest, feeds, broadcast, questions]
HANDLER_MODULES.insert(-1, web_console)  # /web (issue 14); before the catch-all questions


def build_application(services: Services, *, rate_limit: bool = True) -> Application:
    settings = services.settings
    builder = (
        ApplicationBuilder()
        .token(settings.require_token())
        .context_types(ContextTypes(context=BotContext))
        .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)))
        .post_init(_post_init)
        .post_stop(_post_stop)
    )
    if settings.bot_api_url:
        base = settings.bot_api_url.rstrip("/")
        builder = builder.base_url(base).base_file_url(base.removesuffix("/bot") + "/file/bot")
    if rate_limit:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))
    application = builder.build()
    BotContext.attach(application, services)
    for lang in LANGUAGES:  # load the catalogues now, not on the first message
        translator(lang)
    for module in HANDLER_MODULES:
        module.register(application)
    # Last in group 0, so it runs only when no feature took the button press.
    application.add_handler(CallbackQueryHandler(core.unknown_button))
    application.add_error_handler(_on_error)
    return application


async def _post_init(application: Application) -> None:
    # getMe ran in initialize(): digests and alerts end with a start link to this bot.
    application.bot_data["services"].set_bot_username(application.bot.username)
    await application.bot.set_my_commands([BotCommand(cmd, desc) for cmd, desc in texts.commands("en")])
    for lang in LANGUAGES:
        if lang != "en":
            await application.bot.set_my_commands([BotCommand(cmd, desc) for cmd, desc in texts.commands(lang)], language_code=lang)
    if application.bot_data.get("delivery", True):
        await start_delivery(application)


async def _post_stop(application: Application) -> None:
    await stop_delivery(application)


def delivery_worker(services: Services, bot) -> DeliveryWorker:
    """The outbox worker, sending through `bot`, with subscriber bookkeeping on failures."""
    subs = services.subscriptions
    return DeliveryWorker(
        services.db, TelegramSender(bot), on_gone=subs.mark_inactive, on_migrated=subs.migrate_chat,
        after_round=services.broadcasts.check_completion, attachments=services.broadcasts,
    )


async def start_delivery(application: Application) -> None:
    """Run the outbox worker next to the handlers, on its own Bot (paced by the worker, not by PTB)."""
    services: Services = application.bot_data["services"]
    bot = Bot(application.bot.token, base_url=application.bot.base_url.removesuffix(application.bot.token))
    await bot.initialize()
    worker = delivery_worker(services, bot)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run_forever(stop), name="gcmbot-delivery")
    application.bot_data["delivery_state"] = (worker, bot, stop, task)


async def stop_delivery(application: Application) -> None:
    state = application.bot_data.pop("delivery_state", None)
    if state is None:
        return
    worker, bot, stop, task = state
    stop.set()
    try:
        await asyncio.wait_for(task, timeout=8)  # the whole shutdown stays under 10 s
    except asyncio.TimeoutError:
        task.cancel()
    await bot.shutdown()


async def _on_error(update: object, context: BotContext) -> None:
    # Never log message texts: only the kind of update and the error.
    kind = type(update).__name__
    if isinstance(update, Update):
        kind = next((k for k in ("message", "callback_query", "my_chat_member", "edited_message") if getattr(update, k)), "update")
    log.error("error while handling %s: %r", kind, context.error, exc_info=context.error)
