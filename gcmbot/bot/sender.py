"""The Telegram side of the sending path: one Bot API call, errors sorted into SendError kinds."""

from __future__ import annotations

import httpx
from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from gcmbot.bot.botapi import budget_of, retry_seconds
from gcmbot.services.delivery import SendError

_GONE_PHRASES = ("chat not found", "user is deactivated", "bot was kicked", "bot was blocked", "group chat was deactivated", "peer_id_invalid")


class TelegramSender:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        # The worker took a slot of the bot's budget before calling send(): don't take a second one.
        self._extra: dict = {"rate_limit_args": {"paced": True}} if budget_of(bot) is not None else {}

    async def send(self, chat_id: int, text: str) -> int:
        try:
            message = await self.bot.send_message(
                chat_id, text, parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True), **self._extra
            )
        except RetryAfter as exc:
            raise SendError(SendError.RETRY_AFTER, "flood control", retry_after=retry_seconds(exc)) from None
        except ChatMigrated as exc:
            raise SendError(SendError.MIGRATED, "group migrated", new_chat_id=exc.new_chat_id) from None
        except Forbidden as exc:
            raise SendError(SendError.GONE, exc.message) from None
        except BadRequest as exc:
            if any(p in exc.message.lower() for p in _GONE_PHRASES):
                raise SendError(SendError.GONE, exc.message) from None
            raise SendError(SendError.REJECTED, exc.message) from None
        except TimedOut as exc:
            if isinstance(exc.__cause__, httpx.ReadTimeout):
                # The request reached Telegram; it may have been delivered. Not retried: a duplicate
                # is worse than a miss here (at-most-once, like an interrupted send).
                raise SendError(SendError.UNCERTAIN, "timed out waiting for Telegram's answer; not retried") from None
            raise SendError(SendError.TRANSIENT, str(exc)) from None
        except NetworkError as exc:
            raise SendError(SendError.TRANSIENT, str(exc)) from None
        except TelegramError as exc:
            raise SendError(SendError.TRANSIENT, str(exc)) from None
        return message.message_id
