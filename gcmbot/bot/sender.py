"""The Telegram side of the sending path: one Bot API call, errors sorted into SendError kinds."""

from __future__ import annotations

import logging
import time

import httpx
from telegram import Bot, InputFile, LinkPreviewOptions
from telegram.constants import ChatMemberStatus, ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from gcmbot.bot.botapi import budget_of, make_bot, retry_seconds
from gcmbot.logsetup import hash_id
from gcmbot.services.delivery import MessageOptions, SendError, Sent
from gcmbot.config import Settings

log = logging.getLogger(__name__)
PIN_RIGHTS_CACHE_SECONDS = 300

_GONE_PHRASES = ("chat not found", "user is deactivated", "bot was kicked", "bot was blocked", "group chat was deactivated", "peer_id_invalid")


class TelegramSender:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        # The worker took a slot of the bot's budget before calling send(): don't take a second one.
        self._extra: dict = {"rate_limit_args": {"paced": True}} if budget_of(bot) is not None else {}
        self._may_pin: dict[int, tuple[bool, float]] = {}  # chat id -> (bot may pin there, when checked)

    async def send(self, chat_id: int, text: str, options: MessageOptions | None = None) -> int | Sent:
        options = options or MessageOptions()
        try:
            message, file_id = await self._request(chat_id, text, options)
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
        if options.pin:
            await self._pin(chat_id, message.message_id)
        return Sent(message.message_id, file_id) if file_id else message.message_id

    async def _request(self, chat_id: int, text: str, options: MessageOptions):
        """(the Message, the file_id of an attachment that was uploaded now or None)."""
        quiet = options.silent or None
        attachment = options.attachment
        if attachment is None:
            message = await self.bot.send_message(
                chat_id, text, parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True),
                disable_notification=quiet, **self._extra,
            )
            return message, None
        upload = attachment.file_id is None
        media = attachment.file_id or InputFile(attachment.data or b"", filename=attachment.file_name)
        caption = text or None
        if attachment.kind == "photo":
            message = await self.bot.send_photo(chat_id, media, caption=caption, parse_mode=ParseMode.HTML, disable_notification=quiet,
                                                 **self._extra)
            file_id = message.photo[-1].file_id if message.photo else None
        else:
            message = await self.bot.send_document(chat_id, media, caption=caption, parse_mode=ParseMode.HTML, disable_notification=quiet,
                                                    **self._extra)
            file_id = message.document.file_id if message.document else None
        return message, file_id if upload else None

    async def _pin(self, chat_id: int, message_id: int) -> None:
        """Pin a sent message if the bot has the right there (getChatMember can_pin_messages).
        Never raises: the message is delivered whatever happens to the pin."""
        try:
            if not await self._may_pin_in(chat_id):
                return
            await self.bot.pin_chat_message(chat_id, message_id, disable_notification=True)
        except Exception as exc:  # noqa: BLE001 - a pin is a nicety; the delivery stands
            log.info("could not pin message in chat %s: %s", hash_id(chat_id), type(exc).__name__)
            self._may_pin.pop(chat_id, None)

    async def _may_pin_in(self, chat_id: int) -> bool:
        hit = self._may_pin.get(chat_id)
        if hit is not None and time.monotonic() - hit[1] < PIN_RIGHTS_CACHE_SECONDS:
            return hit[0]
        member = await self.bot.get_chat_member(chat_id, self.bot.id)
        allowed = member.status == ChatMemberStatus.OWNER or (
            member.status == ChatMemberStatus.ADMINISTRATOR and bool(getattr(member, "can_pin_messages", False))
        )
        self._may_pin[chat_id] = (allowed, time.monotonic())
        return allowed


async def fetch_username(settings: Settings) -> str | None:
    """The bot's @username from getMe (for the forward-safe start link of CLI-queued digests and
    alerts), or None when Telegram cannot be reached. The Bot comes from `make_bot`, like every
    other Bot the process builds (getMe is not a send: its rate limiter lets it through unpaced)."""
    try:
        async with make_bot(settings) as bot:
            return bot.username
    except Exception as exc:  # noqa: BLE001 - unreachable, bad token…: the messages go anyway
        log.warning("getMe failed (%s): digests and alerts go without the start link", type(exc).__name__)
        return None
