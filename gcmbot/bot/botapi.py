"""The one way this process talks to the Bot API: `make_bot(settings)` and its rate limiter.

Every Bot the process builds — the Application's for `gcmbot run` (replies and
the delivery worker), the CLI's for `digest send-due` and `broadcast --send`,
the tests' — comes from `make_bot`, and every one sends through `BudgetRateLimiter`,
a `telegram.ext.BaseRateLimiter` over the process's one `pacing.Budget`:

- a plain call (a handler's reply) waits for its chat's slot and an overall slot
  with REPLY priority, so people are answered before queued traffic;
- the delivery worker takes its slots itself (OUTBOX or BROADCAST priority, before
  it claims a row) and marks its calls `{"paced": True}`;
- a 429 pauses the whole budget (and, through the database, every other process);
  a reply is tried again after the pause, an outbox row goes back to the queue.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter, Defaults, ExtBot
from telegram.request import HTTPXRequest

from gcmbot.services.pacing import REPLY, UNLIMITED, Budget, Limits

if TYPE_CHECKING:
    from gcmbot.config import Settings
    from gcmbot.store import Database

# Calls that deliver a message count against Telegram's limits (edits only overall, not per chat).
SENDS = frozenset({
    "sendMessage", "sendDocument", "sendPhoto", "sendMediaGroup", "sendAudio", "sendVideo", "sendAnimation",
    "sendVoice", "sendVideoNote", "sendSticker", "sendLocation", "sendVenue", "sendContact", "sendPoll",
    "sendDice", "sendInvoice", "copyMessage", "copyMessages", "forwardMessage", "forwardMessages",
})
EDITS = frozenset({"editMessageText", "editMessageCaption", "editMessageMedia", "editMessageReplyMarkup"})


def retry_seconds(exc: RetryAfter) -> float:
    """The wait Telegram asked for; `retry_after` is an int or (PTB_TIMEDELTA, PTB 23) a timedelta."""
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _chat_key(chat_id: Any) -> int | None:
    try:
        return int(chat_id)
    except (TypeError, ValueError):
        return None  # @channelusername: overall budget only


class BudgetRateLimiter(BaseRateLimiter[dict]):
    """PTB's rate-limiter hook over a `pacing.Budget` (see the module docstring)."""


    def __init__(self, budget: Budget, *, max_retries: int = 2) -> None:
        self.budget = budget
        self.max_retries = max_retries

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        await self.budget.close()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: dict | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        options = rate_limit_args or {}
        if endpoint not in SENDS and endpoint not in EDITS:
            return await callback(*args, **kwargs)
        if options.get("paced"):  # the delivery worker already holds a slot
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                self.budget.pause(retry_seconds(exc))
                raise
        priority = options.get("priority", REPLY)
        chat = _chat_key(data.get("chat_id")) if endpoint in SENDS else None
        for attempt in range(self.max_retries + 1):
            await self.budget.acquire(chat, priority)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                self.budget.pause(retry_seconds(exc))
                if attempt == self.max_retries:
                    raise
        raise AssertionError("unreachable")


def make_budget(settings: Settings, db: Database | None = None, limits: Limits | None = None) -> Budget:
    """The process's budget; shared through `db` with every process sending for the same bot."""
    shared = None
    if db is not None and limits is not UNLIMITED:
        from gcmbot.store.budget import DatabaseSlots

        shared = DatabaseSlots(db, bot_id=bot_id(settings.require_token()))
    return Budget(limits or Limits(), shared)


def bot_id(token: str) -> int:
    """The bot's numeric id: the part of the token before the colon (public, unlike the rest)."""
    head = token.split(":", 1)[0]
    return int(head) if head.isdigit() else 0


def make_bot(
    settings: Settings,
    *,
    db: Database | None = None,
    limits: Limits | None = None,
    defaults: Defaults | None = None,
    request: HTTPXRequest | None = None,
) -> ExtBot:
    """A Bot for this process: token and GCMBOT_BOT_API_URL from settings, sends paced by one budget.

    `db` shares the budget with the other processes on that database (always pass it
    outside tests); `limits=UNLIMITED` turns pacing off (tests on a fake without limits).
    """
    kwargs: dict[str, Any] = {}
    if settings.bot_api_url:
        base = settings.bot_api_url.rstrip("/")
        kwargs.update(base_url=base, base_file_url=base.removesuffix("/bot") + "/file/bot")
    return ExtBot(
        settings.require_token(),
        defaults=defaults,
        request=request or HTTPXRequest(connection_pool_size=256),
        get_updates_request=HTTPXRequest(connection_pool_size=1),
        rate_limiter=BudgetRateLimiter(make_budget(settings, db, limits)),
        **kwargs,
    )


def budget_of(bot: object) -> Budget | None:
    """The budget a Bot built by `make_bot` sends through (None for any other Bot)."""
    limiter = getattr(bot, "rate_limiter", None)
    return limiter.budget if isinstance(limiter, BudgetRateLimiter) else None
