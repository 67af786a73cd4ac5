"""Build the python-telegram-bot Application: wiring only, no logic."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import Application, ApplicationBuilder, BaseUpdateProcessor, CallbackQueryHandler, ContextTypes, Defaults

from gcmbot.app import Services
from gcmbot.render import texts
from gcmbot.bot.botapi import budget_of, make_bot
from gcmbot.bot.context import BotContext
from gcmbot.bot.handlers import broadcast, channels, core, digest, feeds, questions, settings
from gcmbot.bot.handlers import web as web_console
from gcmbot.bot.sender import TelegramSender
from gcmbot.i18n import LANGUAGES, translator
from gcmbot.services.delivery import DeliveryWorker
from gcmbot.services.pacing import UNLIMITED

log = logging.getLogger(__name__)

# Feature modules, each with register(application). Order matters for the dialogs
# (broadcast's before settings' timezone prompt, see handlers/broadcast.py) and the
# catch-all handlers (questions), which register last.
HANDLER_MODULES = [core, broadcast, settings, channels, digest, feeds, questions]
HANDLER_MODULES.insert(-1, web_console)  # /web (issue 14); before the catch-all questions


class PerChatUpdates(BaseUpdateProcessor):
    """Updates run concurrently, except that one chat's updates run one at a time, in order.

    A reply waiting for its slot of the sending budget then holds up only its own
    chat, not everybody's (PTB's default processes one update at a time).
    """

    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        user = update.effective_user if isinstance(update, Update) else None
        key = chat.id if chat is not None else user.id if user is not None else None
        if key is None:
            await coroutine
            return
        lock, users = self._locks.get(key) or (asyncio.Lock(), 0)
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                await coroutine
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


def build_application(services: Services, *, rate_limit: bool = True) -> Application:
    """The bot. `rate_limit=False` (tests on a fake without limits) keeps the budget but unthrottled."""
    settings = services.settings
    bot = make_bot(
        settings, db=services.db, limits=None if rate_limit else UNLIMITED,
        defaults=Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)),
    )
    builder = (
        ApplicationBuilder()
        .bot(bot)
        .concurrent_updates(PerChatUpdates())
        .context_types(ContextTypes(context=BotContext))
        .post_init(_post_init)
        .post_stop(_post_stop)
    )
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
    application.bot_data["services"].questions.start_encoder()  # loads in a thread; lexical answers meanwhile
    await application.bot.set_my_commands([BotCommand(cmd, desc) for cmd, desc in texts.commands("en")])
    for lang in LANGUAGES:
        if lang != "en":
            await application.bot.set_my_commands([BotCommand(cmd, desc) for cmd, desc in texts.commands(lang)], language_code=lang)
    if application.bot_data.get("delivery", True):
        await start_delivery(application)


async def _post_stop(application: Application) -> None:
    await stop_delivery(application)


def delivery_worker(services: Services, bot) -> DeliveryWorker:
    """The outbox worker, sending through `bot` (and its budget, if make_bot built it), with subscriber bookkeeping on failures."""
    subs = services.subscriptions
    return DeliveryWorker(
        services.db, TelegramSender(bot), budget=budget_of(bot), on_gone=subs.mark_inactive, on_migrated=subs.migrate_chat,
        after_round=services.broadcasts.check_completion, attachments=services.broadcasts,
    )


async def start_delivery(application: Application) -> None:
    """Run the outbox worker next to the handlers, on the Application's own Bot and budget."""
    services: Services = application.bot_data["services"]
    worker = delivery_worker(services, application.bot)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run_forever(stop), name="gcmbot-delivery")
    application.bot_data["delivery_state"] = (worker, application.bot, stop, task)


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
        await asyncio.gather(task, return_exceptions=True)


async def _on_error(update: object, context: BotContext) -> None:
    # Never log message texts: only the kind of update and the error.
    kind = type(update).__name__
    if isinstance(update, Update):
        kind = next((k for k in ("message", "callback_query", "my_chat_member", "edited_message") if getattr(update, k)), "update")
    log.error("error while handling %s: %r", kind, context.error, exc_info=context.error)
