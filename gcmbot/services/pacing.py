"""One sending budget per bot token: every message the process sends takes a slot here.

Telegram allows a bot about 30 messages a second overall, 1 a second per private
chat and 20 a minute per group. `Budget` hands out those slots:

- per chat, the next free time (1 s apart in a private chat, 3 s in a group);
- overall, evenly spaced slots just under 30/s, given to the waiting sender with
  the best priority first: replies to people (REPLY), then queued digests, alerts
  and reminders (OUTBOX), then broadcasts (BROADCAST);
- a 429 pauses every sender for its retry_after (`pause`).

Processes that share a database share the overall rate too: slots are reserved
in small blocks from a row of the `sendbudget` table (see store/budget.py), so
`gcmbot run` and a `gcmbot digest send-due` or `broadcast --send` next to it
never add up to more than the cap. Without a database (tests, tools) the budget
is this process's alone.

Nothing here knows Telegram: the bot's rate limiter (bot/ratelimit.py) and the
delivery worker both call `acquire`.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import time
from collections import deque
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger(__name__)

REPLY, OUTBOX, BROADCAST = 0, 1, 2
LATE_RESET = 0.005  # seconds
MAX_BLOCK = 10  # slots reserved from the shared budget at a time (a third of a second)


@dataclass(frozen=True)
class Limits:
    per_second: float = 30.0
    private_interval: float = 1.0  # seconds between two messages to one private chat
    group_interval: float = 3.0  # 20 per minute
    concurrency: int = 8  # outbox rows in flight at once (delivery worker)
    # Pace a little under the limit: the server counts arrivals, which jitter by a few ms.
    headroom: float = 0.98


UNLIMITED = Limits(per_second=10_000, private_interval=0, group_interval=0, concurrency=32, headroom=1.0)


class SharedSlots(Protocol):
    """Slots shared with other processes: the time (Unix seconds) a block of slots starts."""

    def reserve(self, span: float, now: float) -> float:
        """Reserve `span` seconds of sending time starting no earlier than `now`; return its start."""

    def pause_until(self, until: float) -> None:
        """No process may send before `until` (a 429)."""


class Budget:
    def __init__(self, limits: Limits = Limits(), shared: SharedSlots | None = None) -> None:
        self.limits = limits
        self.interval = 1.0 / (limits.per_second * limits.headroom)
        self.shared = shared
        self._chat_next: dict[int, float] = {}
        self._waiters: list[tuple[int, int, asyncio.Future]] = []
        self._seq = itertools.count()
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task | None = None
        self._block: deque[float] = deque()  # reserved slot times (monotonic), oldest first
        self._next_local = 0.0
        self._last = 0.0
        self._paused_until = 0.0
        self.granted = {REPLY: 0, OUTBOX: 0, BROADCAST: 0}

    # ------------------------------------------------------------------ public
    def reserve_chat(self, chat_id: int) -> float:
        """Reserve this chat's next slot; return how long to wait for it."""
        now = time.monotonic()
        interval = self.limits.group_interval if chat_id < 0 else self.limits.private_interval
        at = max(now, self._chat_next.get(chat_id, 0.0))
        self._chat_next[chat_id] = at + interval
        if len(self._chat_next) > 50_000:  # forget chats whose slot is long past
            self._chat_next = {c: t for c, t in self._chat_next.items() if t > now}
        return at - now

    async def acquire(self, chat_id: int | None, priority: int = REPLY) -> None:
        """Wait for this chat's next slot, then for an overall slot (best priority first)."""
        if chat_id is not None:
            wait = self.reserve_chat(chat_id)
            if wait > 0:
                await asyncio.sleep(wait)
        await self.acquire_slot(priority)

    async def acquire_slot(self, priority: int = REPLY) -> None:
        """Wait for an overall slot only."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        heapq.heappush(self._waiters, (priority, next(self._seq), future))
        if self._task is None or self._task.done():
            self._wake = asyncio.Event()
            self._task = loop.create_task(self._dispatch(), name="gcmbot-budget")
        elif self._wake is not None:
            self._wake.set()
        await future  # cancelled: the dispatcher skips it
        self.granted[priority] = self.granted.get(priority, 0) + 1

    def pause(self, seconds: float) -> None:
        """Telegram said 429: nobody sends for `seconds` (nor, with a shared budget, any other process)."""
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)
        self._block.clear()
        if self.shared is not None:
            until = time.time() + seconds
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                self._share_pause(until)
            else:
                loop.run_in_executor(None, self._share_pause, until)

    def _share_pause(self, until: float) -> None:
        try:
            self.shared.pause_until(until)  # type: ignore[union-attr]
        except Exception:
            log.warning("could not record a 429 pause in the shared sending budget", exc_info=True)

    @property
    def paused_for(self) -> float:
        return max(0.0, self._paused_until - time.monotonic())

    @property
    def waiting(self) -> int:
        return sum(1 for _, _, f in self._waiters if not f.done())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    # ------------------------------------------------------------------ slots
    async def _next_slot(self) -> float:
        """The next overall slot (monotonic time)."""
        now = time.monotonic()
        if self.shared is None:
            at = max(now, self._next_local)
            self._next_local = at + self.interval
            return at
        while self._block and self._block[0] < now - self.interval:
            self._block.popleft()  # missed (a busy loop): never squeeze sends together
        if not self._block:
            n = max(1, min(MAX_BLOCK, self.waiting))
            try:
                start = await asyncio.to_thread(self.shared.reserve, n * self.interval, time.time())
            except Exception:
                log.warning("shared sending budget unavailable; pacing this process alone", exc_info=True)
                at = max(now, self._next_local)
                self._next_local = at + self.interval
                return at
            base = start - time.time() + time.monotonic()
            self._block.extend(base + i * self.interval for i in range(n))
        return self._block.popleft()

    async def _dispatch(self) -> None:
        while True:
            while self._waiters and self._waiters[0][2].done():
                heapq.heappop(self._waiters)
            if not self._waiters:
                assert self._wake is not None
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), 30)
                except asyncio.TimeoutError:
                    if not self._waiters:
                        self._task = None
                        return
                continue
            pause = self._paused_until - time.monotonic()
            if pause > 0:
                await asyncio.sleep(pause)
                continue
            at = max(await self._next_slot(), self._last + self.interval)
            delay = at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if self._paused_until > time.monotonic():
                continue  # a 429 came in meanwhile: this slot is void
            late = time.monotonic() - at
            # A late wake-up (busy loop, slow commit) must not squeeze the next sends together.
            self._last = at if late <= LATE_RESET else at + late
            while self._waiters:
                _, _, future = heapq.heappop(self._waiters)
                if not future.done():
                    future.set_result(None)
                    break
