"""A typed CallbackContext: handlers reach services as `context.services`, and call them
off the event loop with `await context.run(fn, ...)`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from telegram.ext import Application, CallbackContext, ExtBot

if TYPE_CHECKING:
    from gcmbot.app import Services

P = ParamSpec("P")
R = TypeVar("R")


class BotContext(CallbackContext[ExtBot, dict, dict, dict]):
    # PTB builds one context per update and hands it to every handler of that update:
    # what is looked up here once (the chat's language, bot/lang.py) lasts for that update only.
    language: str | None = None

    @property
    def services(self) -> Services:
        return self.application.bot_data["services"]

    @staticmethod
    async def run(fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        """Call a (synchronous, database-bound) service in a worker thread.

        Services open database sessions; a slow query or a lock held by another process
        (the CLI writing to the same SQLite file) would otherwise stop every chat's
        updates, not just this one's. Measured against an async engine in benchmarks/offloop.py.
        """
        return await asyncio.to_thread(fn, *args, **kwargs)

    @classmethod
    def attach(cls, application: Application, services: Services) -> None:
        application.bot_data["services"] = services
