"""Admin broadcasts: validate, preview, enqueue to a segment through the outbox, follow and report.

A broadcast is one Broadcast row (the text, the segment, who and when: it is also
the audit record) plus one outbox row per recipient, written in ONE transaction
with dedup keys `broadcast:<id>:<chat_id>`, so a crash can never leave half a
broadcast queued and no chat can be queued twice. The delivery worker sends the
rows; `check_completion` (run by the worker after each round) notices when every
row has ended (sent / failed / skipped), marks the broadcast done and queues a
summary for the admin who sent it, once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from gcmbot.logsetup import hash_id
from gcmbot.models import utcnow
from gcmbot.services import telegram_html
from gcmbot.services.delivery import Attachment
from gcmbot.services.subscriptions import KINDS, InvalidChoice, Segment, Subscriptions
from gcmbot.services.telegram_html import InvalidHTML
from gcmbot.store import Database
from gcmbot.store import audit as audit_store
from gcmbot.store import broadcasts as store
from gcmbot.store import outbox
from gcmbot.store import subscribers as subscriber_store

log = logging.getLogger(__name__)

__all__ = ["Attachment", "BroadcastService", "BroadcastStatus", "EmptySegment", "InvalidChoice", "InvalidHTML", "CLI_ACTOR"]

CLI_ACTOR = 0  # created_by for broadcasts sent from the command line (no Telegram user)
CAPTION_LIMIT = 1024  # Telegram's caption limit (UTF-16 units, after markup), for a document or photo
ATTACHMENT_KINDS = ("document", "photo")
# What the Bot API accepts as an upload (https://core.telegram.org/bots/api#sending-files).
UPLOAD_LIMITS = {"document": 50 * 1024 * 1024, "photo": 10 * 1024 * 1024}
GROUP_TYPES = ("group", "supergroup")
PLURAL = {"region": "regions", "constituency": "constituencies", "topic": "topics"}
ALL_OF = {"region": "all regions", "constituency": "all constituencies", "topic": "all topics"}


class EmptySegment(ValueError):
    """No active subscriber matches the segment: nothing to send."""


def segment_to_json(segment: Segment) -> dict:
    return {PLURAL[k]: sorted(segment.get(k)) for k in KINDS if segment.get(k) is not None}


def segment_from_json(data: dict) -> Segment:
    get = lambda kind: frozenset(data[PLURAL[kind]]) if data.get(PLURAL[kind]) is not None else None  # noqa: E731
    return Segment(get("region"), get("constituency"), get("topic"))


@dataclass(frozen=True)
class BroadcastStatus:
    id: int
    created_at: datetime
    created_by: int
    segment: Segment
    recipients: int
    status: str  # queued, done
    counts: dict[str, int]
    rate: float | None  # messages per second while sending
    completed_at: datetime | None
    scheduled_at: datetime | None

    def count(self, status: str) -> int:
        return self.counts.get(status, 0)

    @property
    def sent(self) -> int:
        return self.count("sent")

    @property
    def pending(self) -> int:
        return self.count("pending") + self.count("sending")

    @property
    def failed(self) -> int:
        return self.count("failed")

    @property
    def skipped(self) -> int:
        return self.count("skipped")


def _rate(sent: int, first: datetime | None, last: datetime | None) -> float | None:
    if sent < 2 or first is None or last is None:
        return None
    span = (last - first).total_seconds()
    return (sent - 1) / span if span > 0 else None


SegmentNames = dict[str, "tuple[str, ...] | None"]  # kind → the names of its chosen values; None: all
ReportRenderer = Callable[[BroadcastStatus, SegmentNames, str], str]  # (status, names, admin's language) → message


class BroadcastService:
    def __init__(self, db: Database, subscriptions: Subscriptions, *, report: ReportRenderer) -> None:
        self.db = db
        self.subscriptions = subscriptions
        self.report = report  # the words of the admin's summary: gcmbot.render.broadcast.report

    # --- before queueing -------------------------------------------------------

    @staticmethod
    def validate(text: str, *, caption: bool = False) -> str:
        """The text if Telegram will accept it as HTML; InvalidHTML (what and where) otherwise.
        A caption (with an attachment) may be empty and has Telegram's 1024-character limit."""
        if caption:
            if not text.strip():
                return ""
            return telegram_html.validate(text, max_length=CAPTION_LIMIT)
        return telegram_html.validate(text)

    @staticmethod
    def check_attachment(attachment: Attachment) -> Attachment:
        """ValueError with a one-line reason when Telegram would refuse the file."""
        if attachment.kind not in ATTACHMENT_KINDS:
            raise ValueError(f"an attachment is a document or a photo, not {attachment.kind!r}")
        if attachment.file_id is None:
            size = len(attachment.data or b"")
            if size == 0:
                raise ValueError(f"{attachment.file_name} is empty")
            if size > UPLOAD_LIMITS[attachment.kind]:
                limit = UPLOAD_LIMITS[attachment.kind] // (1024 * 1024)
                raise ValueError(f"{attachment.file_name} is {size / 1024 / 1024:.1f} MB; Telegram takes a {attachment.kind} of at most {limit} MB from a bot")
        return attachment

    # --- attachments, for the delivery worker (services.delivery.AttachmentSource) ------

    def attachment(self, broadcast_id: int) -> Attachment | None:
        with self.db.session() as s:
            row = store.get(s, broadcast_id)
            if row is None or not row.attachment_kind:
                return None
            if row.attachment_file_id:
                return Attachment(row.attachment_kind, row.attachment_name or "file", row.attachment_file_id)
            file = store.file_of(s, broadcast_id)
            return Attachment(row.attachment_kind, row.attachment_name or "file", None, file.data if file else None, file.mime_type if file else None)

    def remember_file_id(self, broadcast_id: int, file_id: str) -> None:
        with self.db.session() as s:
            store.set_file_id(s, broadcast_id, file_id)

    def options(self, kind: str, lang: str | None = None) -> list[tuple[str, str]]:
        return self.subscriptions.options(kind, lang)

    def segment(
        self, *, regions: Iterable[str] | None = None, constituencies: Iterable[str] | None = None, topics: Iterable[str] | None = None
    ) -> Segment:
        """A segment from ids; an empty or missing dimension means "all". InvalidChoice names unknown ids."""
        chosen = {"region": regions, "constituency": constituencies, "topic": topics}
        values: dict[str, frozenset[str] | None] = {}
        for kind in KINDS:
            ids = [v.strip().lower() for v in (chosen[kind] or ()) if v.strip()]
            if not ids:
                values[kind] = None
                continue
            known = [i for i, _ in self.options(kind)]
            unknown = [i for i in ids if i not in known]
            if unknown:
                raise InvalidChoice(f"unknown {kind} {', '.join(unknown)} (known: {', '.join(known)})")
            values[kind] = frozenset(ids)
        return Segment(values["region"], values["constituency"], values["topic"])

    def names(self, segment: Segment, lang: str = "en") -> SegmentNames:
        """The names of a segment's choices in `lang` (gcmbot.render.broadcast.describe_segment words them)."""
        names: SegmentNames = {}
        for kind in KINDS:
            values = segment.get(kind)
            names[kind] = None if values is None else tuple(name for vid, name in self.options(kind, lang) if vid in values)
        return names

    def count(self, segment: Segment) -> int:
        return len(self._recipients(segment))

    def preview(self, text: str, segment: Segment, *, caption: bool = False) -> tuple[str, int]:
        """(the text exactly as recipients will get it, how many recipients). Raises InvalidHTML."""
        return self.validate(text, caption=caption), self.count(segment)

    def _recipients(self, segment: Segment, session=None) -> list[int]:
        kwargs = {PLURAL[k]: segment.get(k) for k in KINDS}
        if session is not None:
            return subscriber_store.select_chat_ids(session, **kwargs)
        return self.subscriptions.select_recipients(**kwargs)

    def _recipients_of_types(self, segment: Segment, chat_types: tuple[str, ...], session) -> list[int]:
        kwargs = {PLURAL[k]: segment.get(k) for k in KINDS}
        return subscriber_store.select_chat_ids(session, **kwargs, chat_types=chat_types)

    # --- queueing ---------------------------------------------------------------

    def enqueue(
        self, admin_id: int, text: str, segment: Segment, scheduled_at: datetime | None = None, *, via: str = "chat", now: datetime | None = None,
        attachment: Attachment | None = None, pin_in_groups: bool = False,
    ) -> int:
        """Queue a broadcast to every active subscriber of the segment. Returns its id.

        The Broadcast row, one outbox row per recipient and the audit entry are
        written in one transaction: all of it is queued, or none. With an `attachment`
        (a document or photo: a file_id from chat, or the bytes to upload once) the text
        is its caption. `pin_in_groups` pins it in groups where the bot may pin.
        """
        text = self.validate(text, caption=attachment is not None)
        if attachment is not None:
            self.check_attachment(attachment)
        now = now or utcnow()
        extra: dict = {"pin_in_groups": pin_in_groups}
        if attachment is not None:
            extra.update(attachment_kind=attachment.kind, attachment_name=attachment.file_name[:255], attachment_file_id=attachment.file_id)
        with self.db.session() as s:
            chat_ids = self._recipients(segment, s)
            if not chat_ids:
                raise EmptySegment("no active subscriber matches this segment")
            groups = set(self._recipients_of_types(segment, GROUP_TYPES, s)) if pin_in_groups else set()
            row = store.create(s, text=text, segment=segment_to_json(segment), created_by=admin_id, scheduled_at=scheduled_at, now=now, **extra)
            if attachment is not None and attachment.file_id is None:
                store.add_file(s, row.id, attachment.data or b"", attachment.mime_type)
            queued = outbox.enqueue(
                s,
                [
                    outbox.Outgoing(
                        chat_id, "broadcast", f"broadcast:{row.id}:{chat_id}", text, broadcast_id=row.id, not_before=scheduled_at,
                        pin=chat_id in groups,
                    )
                    for chat_id in chat_ids
                ],
            )
            store.set_recipients(s, row.id, queued)
            audit_store.record(
                s, actor_id=admin_id, action="broadcast", now=now,
                detail={"broadcast_id": row.id, "segment": segment_to_json(segment), "recipients": queued, "via": via,
                        "scheduled_at": scheduled_at.isoformat() if scheduled_at else None,
                        "attachment": attachment.kind if attachment else None, "pin_in_groups": pin_in_groups},
            )
            broadcast_id = row.id
        log.info("broadcast %d queued for %d recipient(s) by %s", broadcast_id, queued, "cli" if admin_id == CLI_ACTOR else hash_id(admin_id))
        return broadcast_id

    # --- following ----------------------------------------------------------------

    def status(self, broadcast_id: int | None = None, *, limit: int = 10) -> list[BroadcastStatus]:
        """One broadcast (a list of one, or empty if unknown), or the most recent ones, newest first."""
        with self.db.session() as s:
            if broadcast_id is not None:
                row = store.get(s, broadcast_id)
                rows = [row] if row is not None else []
            else:
                rows = store.recent(s, limit)
            result = []
            for row in rows:
                d = store.delivery(s, row.id)
                result.append(
                    BroadcastStatus(
                        id=row.id, created_at=row.created_at, created_by=row.created_by, segment=segment_from_json(row.segment),
                        recipients=row.recipients, status=row.status, counts=d.counts,
                        rate=_rate(d.counts.get("sent", 0), d.first_sent_at, d.last_sent_at),
                        completed_at=row.completed_at, scheduled_at=row.scheduled_at,
                    )
                )
            return result

    @staticmethod
    def is_cancellable(st: BroadcastStatus, now: datetime | None = None) -> bool:
        """Still waiting for its scheduled time (what `cancel` accepts)."""
        now = now or utcnow()
        if st.status != "queued" or st.scheduled_at is None:
            return False
        at = st.scheduled_at if st.scheduled_at.tzinfo else st.scheduled_at.replace(tzinfo=now.tzinfo)
        return at > now

    def cancel(self, broadcast_id: int, admin_id: int, *, now: datetime | None = None) -> int | None:
        """Cancel a broadcast still waiting for its scheduled time: its rows are skipped, nothing more is sent.

        Returns how many messages were withdrawn, or None when it cannot be cancelled
        (unknown, already done or cancelled, or its time has come and sending started).
        """
        now = now or utcnow()
        with self.db.session() as s:
            row = store.get(s, broadcast_id)
            if row is None or row.status != "queued" or row.scheduled_at is None:
                return None
            scheduled = row.scheduled_at if row.scheduled_at.tzinfo else row.scheduled_at.replace(tzinfo=now.tzinfo)
            if scheduled <= now:
                return None
            withdrawn = store.cancel(s, broadcast_id, now)
            if withdrawn is None:
                return None
            audit_store.record(s, actor_id=admin_id, action="broadcast-cancel", now=now, detail={"broadcast_id": broadcast_id, "withdrawn": withdrawn})
        log.info("broadcast %d cancelled by %s: %d message(s) withdrawn", broadcast_id, hash_id(admin_id), withdrawn)
        return withdrawn

    def text_of(self, broadcast_id: int) -> str | None:
        with self.db.session() as s:
            row = store.get(s, broadcast_id)
            return None if row is None else row.text

    def check_completion(self, now: datetime | None = None) -> list[int]:
        """Mark broadcasts whose every row has ended as done and queue their report. Returns their ids."""
        now = now or utcnow()
        done: list[int] = []
        with self.db.session() as s:
            candidates = [i for i in store.open_ids(s) if store.unfinished(s, i) == 0]
        for broadcast_id in candidates:
            with self.db.session() as s:
                if not store.mark_done(s, broadcast_id, now):
                    continue
            done.append(broadcast_id)
            [st] = self.status(broadcast_id)
            with self.db.session() as s:
                if st.created_by != CLI_ACTOR and store.mark_report_sent(s, broadcast_id):
                    lang = self.subscriptions.language_of(st.created_by)  # the admin's private chat
                    outbox.enqueue(s, [outbox.Outgoing(st.created_by, "admin", f"broadcast-report:{broadcast_id}", self.report(st, self.names(st.segment, lang), lang))])
            log.info("broadcast %d done: %d sent, %d failed, %d skipped", broadcast_id, st.sent, st.failed, st.skipped)
        return done
