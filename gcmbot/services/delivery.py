"""The one sending path: delivers outbox rows under Telegram's limits.

Digests, alerts, reminders and broadcasts are all rows in the outbox; this
worker sends them, paced by the process's one sending budget (services/pacing.py:
about 30 messages/s overall shared with replies to people, which go first, 1/s
per private chat and 20/min per group), and decides what to do with each failure:

- flood control (429): pause all sending for `retry_after`, then retry the row;
- server or network error: retry with exponential backoff, up to MAX_ATTEMPTS;
- blocked / kicked / chat not found: the subscriber becomes inactive, the row and
  everything else queued for that chat end as failed / skipped, never retried;
- group migrated to a supergroup: move the subscriber and retry at the new id.

Delivery is at-most-once for the one message in flight when a worker dies: a row
is claimed (pending → sending) just before its request and marked sent right after,
so after a crash a row still in `sending` may or may not have arrived; it is marked
failed instead of being sent twice. Every other row continues where it stopped.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Protocol

from gcmbot.models import OutboxKind, OutboxStatus
from gcmbot.services.pacing import BROADCAST, OUTBOX, Budget, Limits
from gcmbot.store import Database
from gcmbot.store import outbox as store

__all__ = ["Attachment", "DeliveryWorker", "Limits", "MessageOptions", "SendError", "Sender", "Sent"]

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
INTERRUPTED_AFTER = timedelta(seconds=90)
RECOVER_EVERY = 15.0  # seconds between two recover() passes of a running worker


class SendError(Exception):
    """A send failed. `kind` says what the worker should do about it."""

    RETRY_AFTER = "retry_after"  # flood control: wait retry_after seconds
    TRANSIENT = "transient"  # 5xx, network: retry with backoff
    GONE = "gone"  # blocked, kicked, deactivated, chat not found: never retry
    MIGRATED = "migrated"  # group became a supergroup: retry at new_chat_id
    REJECTED = "rejected"  # any other 400: the message itself is wrong
    UNCERTAIN = "uncertain"  # sent, but no answer: may have arrived; never retried (at-most-once)

    def __init__(self, kind: str, message: str, *, retry_after: float = 0, new_chat_id: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.retry_after = retry_after
        self.new_chat_id = new_chat_id


@dataclass(frozen=True)
class Attachment:
    """A broadcast's document or photo. Sent by `file_id` once known; uploaded from `data` until then."""

    kind: str  # document, photo
    file_name: str
    file_id: str | None = None
    data: bytes | None = None
    mime_type: str | None = None


@dataclass(frozen=True)
class MessageOptions:
    """What a message needs beyond its HTML text (None for a plain message)."""

    silent: bool = False  # disable_notification
    pin: bool = False  # pin after sending where the bot has the right; a failed pin never fails the send
    attachment: Attachment | None = None  # the text is then its caption


@dataclass(frozen=True)
class Sent:
    """A richer answer than the message id: the file_id Telegram gave an uploaded attachment."""

    message_id: int
    file_id: str | None = None


class Sender(Protocol):
    async def send(self, chat_id: int, text: str, options: MessageOptions | None = None) -> int | Sent:
        """Send one HTML message (a caption with an attachment); return Telegram's message id
        (or a Sent) or raise SendError. Senders that know only text may omit `options`: it is
        passed only when a row needs it."""


class AttachmentSource(Protocol):
    """Where the worker finds a broadcast's attachment, and records its file_id after the first upload."""

    def attachment(self, broadcast_id: int) -> Attachment | None: ...

    def remember_file_id(self, broadcast_id: int, file_id: str) -> None: ...


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _message_id(result: int | Sent) -> int:
    return result.message_id if isinstance(result, Sent) else result


class DeliveryWorker:
    def __init__(
        self,
        db: Database,
        sender: Sender,
        *,
        limits: Limits = Limits(),
        budget: Budget | None = None,
        on_gone: Callable[[int], None] | None = None,
        on_migrated: Callable[[int, int], None] | None = None,
        on_finished: Callable[[store.Due, str], Awaitable[None] | None] | None = None,
        after_round: Callable[[], object] | None = None,
        interrupted_after: timedelta = INTERRUPTED_AFTER,
        clock: Callable[[], datetime] = _utcnow,
        attachments: AttachmentSource | None = None,
    ) -> None:
        self.db = db
        self.sender = sender
        self.limits = limits
        self.on_gone = on_gone
        self.on_migrated = on_migrated
        self.on_finished = on_finished
        self.after_round = after_round  # e.g. notice finished broadcasts; runs after every round
        self.interrupted_after = interrupted_after
        self.clock = clock
        self.attachments = attachments
        self._attachments: dict[int, Attachment | None] = {}  # per broadcast id
        self._upload_locks: dict[int, asyncio.Lock] = {}  # one upload per attachment: the others wait for its file_id
        # The process's one sending budget (the bot's, when it was built by make_bot): evenly
        # spaced slots, replies to people before outbox rows, broadcasts last (services/pacing.py).
        self.budget = budget or Budget(limits)
        self._recovered_at = 0.0
        self._chat_locks: dict[int, asyncio.Lock] = {}
        self._gone: set[int] = set()
        self.stats = {"sent": 0, "failed": 0, "skipped": 0, "retried": 0, "429": 0}
        self._stop: asyncio.Event | None = None  # set by run_forever: once set, no new row is claimed

    def recover(self) -> int:
        """On start: rows a crashed worker left in `sending` end as failed (at-most-once). Blocking."""
        with self.db.session() as s:
            n = store.fail_interrupted(s, self.clock() - self.interrupted_after)
        if n:
            log.warning("%d message(s) were being sent when the bot stopped; marked failed, not resent", n)
        return n

    async def run_once(self) -> int:
        """Send every row due now. Returns how many rows were handled."""
        batch = await asyncio.to_thread(self._due)
        if not batch:
            return 0
        semaphore = asyncio.Semaphore(self.limits.concurrency)
        # Rows for one chat go in order; different chats interleave.
        try:
            await asyncio.gather(*(self._deliver(row, semaphore) for row in batch))
        finally:
            self._chat_locks.clear()
            self._gone.clear()
        return len(batch)

    def _due(self) -> list[store.Due]:
        with self.db.session() as s:
            return store.due(s, self.clock(), limit=500)

    def _backlog(self) -> int:
        with self.db.session() as s:
            return store.backlog(s)

    async def drain(self, *, idle_timeout: float = 0.0) -> None:
        """Send until nothing is due (and nothing becomes due within `idle_timeout` s)."""
        idle_since = time.monotonic()
        while True:
            handled = await self.run_once()
            if self.after_round is not None and await asyncio.to_thread(self.after_round):
                continue  # it may have queued something (a broadcast's report)
            if handled:
                idle_since = time.monotonic()
                continue
            waiting = await asyncio.to_thread(self._backlog)
            if not waiting or time.monotonic() - idle_since >= idle_timeout:
                return
            await asyncio.sleep(0.2)

    def maintain(self) -> bool:
        """Between rounds: recover rows of crashed workers now and then, and run `after_round`.

        `recover` runs again every RECOVER_EVERY seconds, not only at start: rows a
        worker that died *just before* this one started left in `sending` are
        younger than `interrupted_after` at start and would otherwise stay there.
        """
        if time.monotonic() - self._recovered_at >= RECOVER_EVERY:
            self._recovered_at = time.monotonic()
            self.recover()
        return bool(self.after_round()) if self.after_round is not None else False

    async def run_forever(self, stop: asyncio.Event, poll_interval: float = 1.0) -> None:
        """The bot's background loop. Finishes in-flight sends when `stop` is set; the rest stay pending."""
        self._stop = stop
        await asyncio.to_thread(self.recover)
        self._recovered_at = time.monotonic()
        while not stop.is_set():
            try:
                handled = await self.run_once()
                handled = await asyncio.to_thread(self.maintain) or handled  # a report was just queued: no need to wait
            except Exception:  # a database hiccup must not kill the loop
                log.exception("delivery round failed; retrying")
                handled = 0
            if not handled:
                try:
                    await asyncio.wait_for(stop.wait(), poll_interval)
                except asyncio.TimeoutError:
                    pass

    async def _deliver(self, row: store.Due, semaphore: asyncio.Semaphore) -> None:
        # One chat's messages go strictly in order (a split digest arrives 1, 2, 3).
        lock = self._chat_locks.setdefault(row.chat_id, asyncio.Lock())
        async with lock:
            if self._stop is not None and self._stop.is_set():
                return  # shutting down: leave it pending
            if row.chat_id in self._gone:
                await asyncio.to_thread(self._skip_for_chat, row.chat_id)
                return
            await self.budget.wait_chat(row.chat_id)  # outside the semaphore: other chats go meanwhile
            await self._send(row, semaphore)

    def _skip_for_chat(self, chat_id: int) -> int:
        with self.db.session() as s:
            return store.skip_pending_for_chat(s, chat_id, "chat blocked the bot or is gone")

    def _claim(self, row_id: int) -> bool:
        with self.db.session() as s:
            return store.claim(s, row_id, self.clock())

    def _sent(self, row_id: int, message_id: int) -> None:
        with self.db.session() as s:
            store.finish(s, row_id, OutboxStatus.SENT, now=self.clock(), message_id=message_id)

    async def _send(self, row: store.Due, semaphore: asyncio.Semaphore) -> None:
        async with semaphore:
            # Broadcasts wait behind digests, alerts and reminders, which wait behind replies to people.
            await self.budget.acquire(row.chat_id, BROADCAST if row.kind == OutboxKind.BROADCAST else OUTBOX)
            if self._stop is not None and self._stop.is_set():
                return  # shutting down: leave it pending for the next start
            if not await asyncio.to_thread(self._claim, row.id):
                return  # another worker took it, or it was skipped meanwhile
            try:
                message_id = await self._send_one(row)
            except SendError as exc:
                if exc.kind == SendError.RETRY_AFTER:
                    self.budget.pause(exc.retry_after)
                outcome = await asyncio.to_thread(self._failed, row, exc)
            except Exception as exc:  # unknown: treat like a network error
                outcome = await asyncio.to_thread(self._failed, row, SendError(SendError.TRANSIENT, repr(exc)))
            else:
                await asyncio.to_thread(self._sent, row.id, message_id)
                self.stats["sent"] += 1
                outcome = "sent"
        if outcome != "retry" and self.on_finished is not None:
            result = self.on_finished(row, outcome)
            if asyncio.iscoroutine(result):
                await result

    def _attachment(self, broadcast_id: int | None) -> Attachment | None:
        if broadcast_id is None or self.attachments is None:
            return None
        if broadcast_id not in self._attachments:
            self._attachments[broadcast_id] = self.attachments.attachment(broadcast_id)
        return self._attachments[broadcast_id]

    async def _send_one(self, row: store.Due) -> int:
        """One request (the row is claimed). An attachment without a file_id yet is uploaded by one
        send at a time: the first upload's file_id serves every later recipient."""
        attachment = self._attachment(row.broadcast_id)
        if attachment is None and not row.silent and not row.pin:
            return _message_id(await self.sender.send(row.chat_id, row.text))
        if attachment is None or attachment.file_id:
            options = MessageOptions(silent=row.silent, pin=row.pin, attachment=attachment)
            return _message_id(await self.sender.send(row.chat_id, row.text, options))
        lock = self._upload_locks.setdefault(row.broadcast_id, asyncio.Lock())
        async with lock:
            if self._attachments.get(row.broadcast_id) is not attachment:  # another send uploaded it meanwhile
                return await self._send_one(row)
            if attachment.data is None:  # another process uploaded it: ask the database again
                self._attachments.pop(row.broadcast_id, None)
                fresh = self._attachment(row.broadcast_id)
                if fresh is None or fresh.file_id or fresh.data is not None:
                    return await self._send_one(row)
                raise SendError(SendError.REJECTED, "the attachment has neither a file_id nor data")
            result = await self.sender.send(row.chat_id, row.text, MessageOptions(silent=row.silent, pin=row.pin, attachment=attachment))
            file_id = result.file_id if isinstance(result, Sent) else None
            if file_id:
                self.attachments.remember_file_id(row.broadcast_id, file_id)
                self._attachments[row.broadcast_id] = Attachment(attachment.kind, attachment.file_name, file_id, None, attachment.mime_type)
            return _message_id(result)

    def _failed(self, row: store.Due, exc: SendError) -> str:
        """Record a failed send and decide what happens to the row (blocking: run in a thread)."""
        now, migrated = self.clock(), False
        with self.db.session() as s:
            if exc.kind == SendError.RETRY_AFTER:
                self.stats["429"] += 1  # the budget was paused by _send, on the event loop
                store.release(s, row.id, not_before=now + timedelta(seconds=exc.retry_after), error=str(exc))
                self.stats["retried"] += 1
                return "retry"
            if exc.kind == SendError.MIGRATED and exc.new_chat_id is not None:
                store.release(s, row.id, not_before=now, error=str(exc), chat_id=exc.new_chat_id)
                self.stats["retried"] += 1
                migrated = True
            if exc.kind == SendError.TRANSIENT and row.attempts + 1 < MAX_ATTEMPTS:
                backoff = min(2 ** (row.attempts + 1), 300)
                store.release(s, row.id, not_before=now + timedelta(seconds=backoff), error=str(exc))
                self.stats["retried"] += 1
                return "retry"
            if not migrated:
                store.finish(s, row.id, OutboxStatus.FAILED, now=now, error=str(exc)[:500])
                self.stats["failed"] += 1
                if exc.kind == SendError.GONE:
                    self._gone.add(row.chat_id)
                    self.stats["skipped"] += store.skip_pending_for_chat(s, row.chat_id, "chat blocked the bot or is gone")
        # Callbacks open their own sessions: call them after ours is committed.
        if migrated:
            if self.on_migrated:
                self.on_migrated(row.chat_id, exc.new_chat_id)
            return "retry"
        if exc.kind == SendError.GONE and self.on_gone:
            self.on_gone(row.chat_id)
        log.info("message %d (%s) failed: %s", row.id, row.kind, exc.kind)
        return "failed"
