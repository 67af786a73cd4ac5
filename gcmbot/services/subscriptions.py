"""Who gets what: subscribing, settings, and selecting recipients for a segment."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gcmbot.store import Database
from gcmbot.store import content as content_store
from gcmbot.store import outbox as outbox_store
from gcmbot.store import subscribers as store

KINDS = store.KINDS
LANGUAGES = ("en", "es", "fr", "ar")
# "Deliver quietly" (disable_notification) for digests. "auto" is the default: at night for groups
# and channels, never for people.
QUIET_MODES = ("off", "night", "always")
REMINDER_DAY_CHOICES = (2, 3, 7, 14)  # what the settings menu offers; plural in every language we speak
FLAGS = ("alerts", "reminders", "send_empty_digest")  # on/off settings
NIGHT_FROM, NIGHT_UNTIL = 22, 7  # local hours: 22:00-07:00
SHARED_CHATS = ("group", "supergroup", "channel")


class InvalidChoice(ValueError):
    """A setting the user asked for does not exist (unknown region, bad timezone, …)."""


class NotSubscribed(LookupError):
    """The chat has no subscription yet."""


@dataclass(frozen=True)
class Segment:
    """What a subscriber follows. `None` in a dimension means "all"."""

    regions: frozenset[str] | None = None
    constituencies: frozenset[str] | None = None
    topics: frozenset[str] | None = None

    def get(self, kind: str) -> frozenset[str] | None:
        return {"region": self.regions, "constituency": self.constituencies, "topic": self.topics}[kind]

    @property
    def key(self) -> str:
        """A stable text key: subscribers with the same key get the same digest."""
        parts = []
        for kind in KINDS:
            values = self.get(kind)
            parts.append("*" if values is None else ",".join(sorted(values)))
        return "|".join(parts)

    def wants(self, *, regions: Iterable[str] = (), topics: Iterable[str] = (), constituencies: Iterable[str] = ()) -> bool:
        """Does an item tagged like this belong to the segment? Untagged means "for everyone"."""
        for mine, tags in ((self.regions, regions), (self.topics, topics), (self.constituencies, constituencies)):
            tags = set(tags) - {"global"}
            if mine is not None and tags and not (mine & tags):
                return False
        return True


@dataclass(frozen=True)
class Subscription:
    """A read-only snapshot of one chat's subscription."""

    chat_id: int
    chat_type: str
    status: str
    language: str
    timezone: str
    segment: Segment
    digest_weekday: int | None
    digest_hour: int
    send_empty_digest: bool
    alerts: bool
    reminders: bool
    reminder_days: int
    menu_token: str
    chosen: dict[str, frozenset[str]] = field(default_factory=dict)  # kept even when "all" is on
    quiet: str = "auto"  # as stored: auto, off, night, always

    @property
    def active(self) -> bool:
        return self.status == "active"

    @property
    def is_channel(self) -> bool:
        return self.chat_type == "channel"

    @property
    def quiet_mode(self) -> str:
        """off, night or always ("auto" resolved by the chat type)."""
        if self.quiet in QUIET_MODES:
            return self.quiet
        return "night" if self.chat_type in SHARED_CHATS else "off"

    def digest_quietly(self, now: datetime) -> bool:
        """Should a digest queued at `now` go without a notification sound (disable_notification)?"""
        mode = self.quiet_mode
        if mode != "night":
            return mode == "always"
        try:
            zone = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo("UTC")
        hour = (now if now.tzinfo else now.replace(tzinfo=timezone.utc)).astimezone(zone).hour
        return hour >= NIGHT_FROM or hour < NIGHT_UNTIL


def _snapshot(sub, chosen: dict[str, set[str]]) -> Subscription:
    segment = Segment(
        None if sub.all_regions else frozenset(chosen["region"]),
        None if sub.all_constituencies else frozenset(chosen["constituency"]),
        None if sub.all_topics else frozenset(chosen["topic"]),
    )
    return Subscription(
        chat_id=sub.chat_id, chat_type=sub.chat_type, status=sub.status, language=sub.language, timezone=sub.timezone,
        segment=segment, digest_weekday=sub.digest_weekday, digest_hour=sub.digest_hour,
        send_empty_digest=sub.send_empty_digest, alerts=sub.alerts, reminders=sub.reminders,
        reminder_days=sub.reminder_days, menu_token=sub.menu_token,
        chosen={k: frozenset(v) for k, v in chosen.items()}, quiet=sub.quiet or "auto",
    )


def _translated(data: dict | None, field: str, language: str | None) -> str | None:
    if not language or language == "en" or not data:
        return None
    value = (data.get("translations") or {}).get(field)
    return value.get(language) if isinstance(value, dict) else None


@dataclass(frozen=True)
class StartResult:
    subscription: Subscription
    created: bool  # a new subscriber
    restored: bool  # came back after /stop or after being inactive
    preselected: tuple[tuple[str, str], ...] = ()


class Subscriptions:
    def __init__(self, db: Database, *, default_timezone: str = "UTC", default_reminder_days: int = 3) -> None:
        self.db = db
        self.default_timezone = default_timezone
        self.default_reminder_days = default_reminder_days

    # --- reading -------------------------------------------------------------

    def get(self, chat_id: int) -> Subscription | None:
        with self.db.session() as s:
            sub = store.get(s, chat_id)
            return None if sub is None else _snapshot(sub, store.choices(s, sub.id))

    def require(self, chat_id: int) -> Subscription:
        found = self.get(chat_id)
        if found is None:
            raise NotSubscribed(chat_id)
        return found

    def language_of(self, chat_id: int) -> str:
        """The language of a chat the bot writes to unprompted (an admin's report, a notice): the
        subscriber's stored one, English for a chat that is not subscribed."""
        sub = self.get(chat_id)
        return sub.language if sub is not None and sub.language else "en"

    def options(self, kind: str, language: str | None = None) -> list[tuple[str, str]]:
        """(id, name) of every choice of a kind, in content order; names in `language` where the
        content has them (the `translations` of the term), else English."""
        with self.db.session() as s:
            return [(t.id, _translated(t.data, "name", language) or t.name) for t in content_store.terms(s, kind)]

    def timezones_for_regions(self) -> list[tuple[str, list[str]]]:
        with self.db.session() as s:
            return [(t.name, list(t.data.get("timezones", []))) for t in content_store.terms(s, "region")]

    def select_recipients(
        self,
        *,
        regions: Iterable[str] | None = None,
        constituencies: Iterable[str] | None = None,
        topics: Iterable[str] | None = None,
    ) -> list[int]:
        """Chat ids of active subscribers who follow any of the given values in each dimension."""
        with self.db.session() as s:
            return store.select_chat_ids(s, regions=regions, constituencies=constituencies, topics=topics)

    def active(self) -> list[Subscription]:
        """Every active subscription (for digests and alerts)."""
        with self.db.session() as s:
            subs = store.active(s)
            chosen = store.choices_for(s, [x.id for x in subs])
            return [_snapshot(x, chosen[x.id]) for x in subs]

    def counts(self) -> dict[str, int]:
        with self.db.session() as s:
            return store.count_by_status(s)

    # --- changing ------------------------------------------------------------

    def start(
        self, chat_id: int, chat_type: str, *, language: str | None = None, preselect: Iterable[tuple[str, str]] = ()
    ) -> StartResult:
        """Subscribe a chat at once (everything, weekly digest), or reactivate it with its old choices.

        `preselect` narrows a dimension to the given values (from a deep link).
        """
        preselect = tuple(preselect)
        with self.db.session() as s:
            sub = store.get(s, chat_id)
            created = sub is None
            restored = False
            if sub is None:
                sub = store.create(
                    s, chat_id=chat_id, chat_type=chat_type, timezone=self.default_timezone,
                    language=language if language in LANGUAGES else "en", menu_token=_token(),
                    reminder_days=self.default_reminder_days,
                )
            else:
                restored = sub.status != "active"
                sub.status = "active"
                sub.chat_type = chat_type
            if preselect:
                valid = {kind: {t.id for t in content_store.terms(s, kind)} for kind in KINDS}
                grouped: dict[str, set[str]] = {}
                for kind, value in preselect:
                    if kind not in valid or value not in valid[kind]:
                        raise InvalidChoice(f"{kind} {value!r}")
                    grouped.setdefault(kind, set()).add(value)
                for kind, values in grouped.items():
                    current = store.choices(s, sub.id)[kind] if not created else set()
                    store.set_choices(s, sub.id, kind, current | values)
                    setattr(sub, store.ALL_FLAG[kind], False)
            store.save(s, sub)
            return StartResult(_snapshot(sub, store.choices(s, sub.id)), created, restored, preselect)

    def stop(self, chat_id: int) -> bool:
        """Unsubscribe, keeping choices. False when there was nothing to stop."""
        return self._set_status(chat_id, "stopped")

    def mark_inactive(self, chat_id: int) -> bool:
        """The bot was blocked or removed: send nothing more until the chat comes back."""
        return self._set_status(chat_id, "inactive")

    def _set_status(self, chat_id: int, status: str) -> bool:
        with self.db.session() as s:
            sub = store.get(s, chat_id)
            if sub is None or sub.status == status:
                return False
            sub.status = status
            store.save(s, sub)
            # Nothing more goes to it: not even what was queued before (a broadcast scheduled for later).
            outbox_store.skip_pending_for_chat(s, chat_id, "the chat stopped or removed the bot")
            return True

    def forget(self, chat_id: int) -> dict[str, int]:
        """Delete everything stored about a chat."""
        with self.db.session() as s:
            return store.forget(s, chat_id)

    def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> bool:
        """A group became a supergroup: same subscriber, new chat id."""
        with self.db.session() as s:
            sub = store.get(s, old_chat_id)
            if sub is None or store.get(s, new_chat_id) is not None:
                return False
            sub.chat_id = new_chat_id
            sub.chat_type = "supergroup"
            store.save(s, sub)
            store.move_chat(s, old_chat_id, new_chat_id)
            return True

    def _update(self, chat_id: int, change) -> Subscription:
        with self.db.session() as s:
            sub = store.get(s, chat_id)
            if sub is None:
                raise NotSubscribed(chat_id)
            change(s, sub)
            store.save(s, sub)
            return _snapshot(sub, store.choices(s, sub.id))

    def toggle(self, chat_id: int, kind: str, value: str) -> Subscription:
        """Add or remove one region / constituency / topic. Choosing one turns "all" off."""
        if kind not in KINDS:
            raise InvalidChoice(kind)

        def change(s, sub):
            if value not in {t.id for t in content_store.terms(s, kind)}:
                raise InvalidChoice(f"{kind} {value!r}")
            chosen = store.choices(s, sub.id)[kind]
            if getattr(sub, store.ALL_FLAG[kind]):
                chosen = {value}
            else:
                chosen ^= {value}
            store.set_choices(s, sub.id, kind, chosen)
            setattr(sub, store.ALL_FLAG[kind], not chosen)

        return self._update(chat_id, change)

    def set_all(self, chat_id: int, kind: str) -> Subscription:
        """Follow every value of a kind ("All regions"). Earlier picks are forgotten."""
        if kind not in KINDS:
            raise InvalidChoice(kind)

        def change(s, sub):
            store.set_choices(s, sub.id, kind, ())
            setattr(sub, store.ALL_FLAG[kind], True)

        return self._update(chat_id, change)

    def set_timezone(self, chat_id: int, name: str) -> Subscription:
        name = name.strip()
        try:
            if not name or len(name) > 64 or name.startswith("/") or ".." in name:
                raise ValueError
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name the OS cannot even look up
            raise InvalidChoice(name) from None
        return self._update(chat_id, lambda s, sub: setattr(sub, "timezone", name))

    def set_language(self, chat_id: int, language: str) -> Subscription:
        if language not in LANGUAGES:
            raise InvalidChoice(language)
        return self._update(chat_id, lambda s, sub: setattr(sub, "language", language))

    def set_digest(self, chat_id: int, weekday: int | None, hour: int | None = None) -> Subscription:
        if weekday is not None and not 0 <= weekday <= 6 or hour is not None and not 0 <= hour <= 23:
            raise InvalidChoice(f"{weekday} {hour}")

        def change(s, sub):
            sub.digest_weekday = weekday
            if hour is not None:
                sub.digest_hour = hour

        return self._update(chat_id, change)

    def choose_digest_hour(self, chat_id: int, hour: int) -> Subscription:
        """The hour of the weekly digest (0–23, the chat's timezone). Choosing an hour turns the
        digest on: on Mondays when it was off; the weekday chosen before is kept."""
        if not 0 <= hour <= 23:
            raise InvalidChoice(str(hour))

        def change(s, sub):
            if sub.digest_weekday is None:
                sub.digest_weekday = 0
            sub.digest_hour = hour

        return self._update(chat_id, change)

    def set_flag(self, chat_id: int, name: str, value: bool) -> Subscription:
        """Turn alerts, reminders or the "nothing new" digest on or off."""
        if name not in FLAGS:
            raise InvalidChoice(name)
        return self._update(chat_id, lambda s, sub: setattr(sub, name, bool(value)))

    def toggle_flag(self, chat_id: int, name: str) -> Subscription:
        """Turn alerts, reminders or the "nothing new" digest the other way (a menu button)."""
        if name not in FLAGS:
            raise InvalidChoice(name)
        return self._update(chat_id, lambda s, sub: setattr(sub, name, not getattr(sub, name)))

    def choose_reminder_days(self, chat_id: int, days: int) -> Subscription:
        """One of the menu's REMINDER_DAY_CHOICES; choosing it turns reminders on."""
        if days not in REMINDER_DAY_CHOICES:
            raise InvalidChoice(str(days))
        return self.set_reminder_days(chat_id, days)

    def set_reminder_days(self, chat_id: int, days: int) -> Subscription:
        """How many days before an event the reminder comes (1–30); choosing it turns reminders on."""
        if not 1 <= days <= 30:
            raise InvalidChoice(str(days))

        def change(s, sub):
            sub.reminder_days = days
            sub.reminders = True

        return self._update(chat_id, change)

    def set_quiet(self, chat_id: int, mode: str) -> Subscription:
        """Digests without notification sound: off, night (22:00-07:00 in the chat's timezone) or always."""
        if mode not in QUIET_MODES:
            raise InvalidChoice(mode)
        return self._update(chat_id, lambda s, sub: setattr(sub, "quiet", mode))

    def unlink_channel(self, chat_id: int) -> bool:
        """A channel's admin unlinked it (/channel off): nothing more is posted; choices are kept."""
        sub = self.get(chat_id)
        return sub is not None and sub.is_channel and self.stop(chat_id)

    def new_menu_token(self, chat_id: int) -> str:
        """Invalidate the buttons of every older settings menu of this chat."""
        token = _token()
        self._update(chat_id, lambda s, sub: setattr(sub, "menu_token", token))
        return token


def _token() -> str:
    return secrets.token_hex(2)
