"""One sending budget per bot token: every message the process sends takes a slot here.

Telegram allows a bot about 30 messages a second overall, 1 a second per private
chat and 20 a minute per group. `Budget` hands out those slots:

- per chat, the next free time (1 s apart in a private chat, 3 s in a group,
  counted from when a message got its slot);
- overall, evenly spaced slots just under 30/s, given to the waiting sender with
  the best priority first: replies to people (REPLY), then queued digests, alerts
  and reminders (OUTBOX), then broadcasts (BROADCAST);
- a 429 pauses every sender for its retry_after (`pause`).

Processes that share a database share the overall rate too: slots are reserved
in small blocks from a row of the `sendbudget` table (see store/budget.py), so
`gcmbot run` and a `gcmbot digest send-due` or `broadcast --send` next to it
never add up to more than the cap; while one process is answering people, the
others hold their queued traffic back (REPLY_HOLD). Without a database (tests, tools) the budget
is this process's alone.

Nothing here knows Telegram: the bot's rate limiter (bot/ratelimit.py) and the
delivery worker both call `acquire`.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import deque
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger(__name__)

REPLY, OUTBOX, BROADCAST = 0, 1, 2
LATE_RESET = 0.005  # seconds
REPLY_HOLD = 0.5  # seconds after another process last reserved for replies that queued traffic waits
MAX_BLOCK = 10  # slots reserved from the shared budget at a time (a third of a second)


@dataclass(frozen=True)
class Limits:
    per_second: float = 30.0
    private_interval: float = 1.0  # seconds between two messages to one private chat
    group_interval: float = 3.0  # 20 per minute
    concurrency: int = 8  # outbox rows in flight at once (delivery worker)
    # Pace a little under the limit: the server counts arrivals, which jitter by a few ms.
    headroom: float = 0.96


UNLIMITED = Limits(per_second=10_000, private_interval=0, group_interval=0, concurrency=32, headroom=1.0)


class SharedSlots(Protocol):
    """Slots shared with other processes: the time (Unix seconds) a block of slots starts."""

    def reserve(self, span: float, now: float, *, replies: bool = False, hold: float = 0.5) -> float | None:
        """Reserve `span` seconds of sending time starting no earlier than `now`; return its start.

        `replies`: the block is (also) for replies to people. A block only for queued traffic is
        refused (None) while another process reserved for replies within REPLY_HOLD seconds:
        people first across processes too."""

    def pause_until(self, until: float) -> None:
        """No process may send before `until` (a 429)."""


class Budget:
    def __init__(self, limits: Limits = Limits(), shared: SharedSlots | None = None) -> None:
        self.limits = limits
        self.interval = 1.0 / (limits.per_second * limits.headroom)
        self.shared = shared
        self._chat_next: dict[int, float] = {}
        self._waiters: list[tuple[int, int, int | None, asyncio.Future]] = []  # priority, order, chat, future
        self._seq = itertools.count()
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task | None = None
        self._block: deque[float] = deque()  # reserved slot times (monotonic), oldest first
        self._next_local = 0.0
        self._last = 0.0
        self._paused_until = 0.0
        self.granted = {REPLY: 0, OUTBOX: 0, BROADCAST: 0}

    # ------------------------------------------------------------------ public
    def chat_ready_in(self, chat_id: int) -> float:
        """Seconds until this chat may get its next message (0: now)."""
        return max(0.0, self._chat_next.get(chat_id, 0.0) - time.monotonic())

    async def wait_chat(self, chat_id: int) -> None:
        """Wait until this chat may get a message, without queuing for an overall slot yet."""
        wait = self.chat_ready_in(chat_id)
        if wait > 0:
            await asyncio.sleep(wait)

    async def acquire(self, chat_id: int | None, priority: int = REPLY) -> None:
        """Wait for an overall slot at which this chat may get a message (best priority first).

        The chat's spacing (1 s private, 3 s group) counts from the moment a slot is
        granted, so a message that waited long in the queue is never followed too
        closely by the chat's next one.
        """
        if self._take_now(chat_id):  # nobody waiting and a slot free: no trip through the dispatcher
            self.granted[priority] = self.granted.get(priority, 0) + 1
            return
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._waiters.append((priority, next(self._seq), chat_id, future))
        if self._task is None or self._task.done():
            self._wake = asyncio.Event()
            self._task = loop.create_task(self._dispatch(), name="gcmbot-budget")
        elif self._wake is not None:
            self._wake.set()
        await future  # cancelled: the dispatcher skips it
        self.granted[priority] = self.granted.get(priority, 0) + 1

    def _take_now(self, chat_id: int | None) -> bool:
        now = time.monotonic()
        if self.waiting or self._paused_until > now or now - self._last < self.interval:
            return False
        if chat_id is not None and self._chat_next.get(chat_id, 0.0) > now:
            return False
        if self.shared is not None or self._next_local > now:
            return False  # a shared budget's slots come in reserved blocks: the dispatcher hands them out
        self._next_local = now + self.interval
        self._last = now
        if chat_id is not None:
            self._chat_next[chat_id] = now + (self.limits.group_interval if chat_id < 0 else self.limits.private_interval)
        return True

    async def acquire_slot(self, priority: int = REPLY) -> None:
        """An overall slot, for no chat in particular."""
        await self.acquire(None, priority)

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
        return sum(1 for *_, f in self._waiters if not f.done())

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
        while not self._block:
            if not self.waiting:
                return time.monotonic()  # everyone left meanwhile: no need to reserve
            n = max(1, min(MAX_BLOCK, self.waiting))
            replies = any(w[0] == REPLY for w in self._waiters if not w[3].done())
            try:
                start = await asyncio.to_thread(self.shared.reserve, n * self.interval, time.time(), replies=replies, hold=REPLY_HOLD)
            except Exception:
                log.warning("shared sending budget unavailable; pacing this process alone", exc_info=True)
                at = max(now, self._next_local)
                self._next_local = at + self.interval
                return at
            if start is None:  # another process is answering people: queued traffic waits
                await asyncio.sleep(REPLY_HOLD / 2)
                continue
            base = start - time.time() + time.monotonic()
            self._block.extend(base + i * self.interval for i in range(n))
        return self._block.popleft()

    def _best_ready(self, at: float) -> tuple[int, int, int | None, asyncio.Future] | None:
        """The waiter with the best (priority, arrival) whose chat may get a message at `at`."""
        self._waiters = [w for w in self._waiters if not w[3].done()]
        ready = [w for w in self._waiters if w[2] is None or self._chat_next.get(w[2], 0.0) <= at]
        return min(ready, key=lambda w: (w[0], w[1])) if ready else None

    def _grant(self, waiter: tuple[int, int, int | None, asyncio.Future], at: float) -> None:
        self._waiters.remove(waiter)
        chat = waiter[2]
        if chat is not None:
            interval = self.limits.group_interval if chat < 0 else self.limits.private_interval
            self._chat_next[chat] = at + interval
            if len(self._chat_next) > 50_000:  # forget chats whose next slot is long past
                self._chat_next = {c: t for c, t in self._chat_next.items() if t > at}
        waiter[3].set_result(None)

    async def _dispatch(self) -> None:
        assert self._wake is not None
        while True:
            now = time.monotonic()
            if self._best_ready(now) is None:
                self._wake.clear()
                # Nobody may send now: sleep until the first waiting chat is ready, or someone new comes.
                pending = [self._chat_next.get(w[2], 0.0) for w in self._waiters if w[2] is not None]
                timeout = min(pending) - now if pending else 30.0
                try:
                    await asyncio.wait_for(self._wake.wait(), max(0.001, timeout))
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
            now = time.monotonic()
            waiter = self._best_ready(now)  # someone better may have come while we slept
            if waiter is None:
                continue  # the slot is lost (rare: the waiter was cancelled)
            late = now - at
            # A late wake-up (busy loop, slow commit) must not squeeze the next sends together.
            self._last = at if late <= LATE_RESET else now
            self._grant(waiter, now)
