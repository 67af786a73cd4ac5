"""A typed CallbackContext: handlers reach services as `context.services`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram.ext import Application, CallbackContext, ExtBot

if TYPE_CHECKING:
    from gcmbot.app import Services


class BotContext(CallbackContext[ExtBot, dict, dict, dict]):
    @property
    def services(self) -> Services:
        return self.application.bot_data["services"]

    @classmethod
    def attach(cls, application: Application, services: Services) -> None:
        application.bot_data["services"] = services
