"""What a poll means for a feed and its items: pure decisions, no I/O (like reader's `_update` Decider).

`diff_items` sorts parsed items into new / updated / unchanged against what is stored;
`decide(state, outcome, now, rand)` turns a poll's outcome into the feed's next state:
schedule (interval, or exponential backoff after failures, with jitter), flagging after
FAILURES_BEFORE_FLAG failures in a row and recovery, conditional-GET validators.
The service (services/feeds.py) fetches, calls these, and writes what they return.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from gcmbot.services.feed_parse import ParsedItem

FAILURES_BEFORE_FLAG = 3
FIRST_RETRY = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=6)
JITTER = 0.1  # ± this fraction of the delay
ALERT_MAX_AGE = timedelta(days=7)


@dataclass(frozen=True)
class Known:
    """What is stored about an item, as far as deciding goes."""

    id: int
    title: str
    link: str
    summary: str


@dataclass
class ItemChanges:
    new: list[ParsedItem] = field(default_factory=list)
    updated: list[tuple[int, ParsedItem]] = field(default_factory=list)  # (stored id, new version)
    unchanged: int = 0


def diff_items(items: Sequence[ParsedItem], known: Mapping[str, Known]) -> ItemChanges:
    """New items are announced; a known item with a new title/link/summary is updated silently.

    Order and dates do not matter: identity is the key alone. Duplicates within a feed count once.
    """
    decision = ItemChanges()
    seen: set[str] = set()
    for item in items:
        if item.key in seen:
            continue
        seen.add(item.key)
        old = known.get(item.key)
        if old is None:
            decision.new.append(item)
        elif (old.title, old.link, old.summary) != (item.title, item.link or old.link, item.summary):
            decision.updated.append((old.id, item))
        else:
            decision.unchanged += 1
    return decision


def next_poll_at(now: datetime, interval_minutes: int, failures: int, rand: float) -> datetime:
    """When to poll next: the interval after a success, exponential backoff after failures; ± jitter.

    `rand` is a number in [0, 1) (random.random()), so the function stays pure.
    """
    if failures <= 0:
        delay = timedelta(minutes=max(1, interval_minutes))
    else:
        delay = min(FIRST_RETRY * (2 ** min(failures - 1, 20)), MAX_BACKOFF)
    return now + delay * (1 + JITTER * (2 * rand - 1))


def alertable(published_at: datetime | None, now: datetime, *, baseline: bool) -> bool:
    """A new item is worth an instant alert unless it came with the feed's first poll or is old news."""
    if baseline:
        return False
    return published_at is None or published_at >= now - ALERT_MAX_AGE


# --- the feed's state after a poll -----------------------------------------------

SUCCESS = frozenset({"new", "unchanged", "not-modified"})


@dataclass(frozen=True)
class FeedState:
    """What is stored about a feed, as far as deciding goes."""

    interval_minutes: int
    consecutive_failures: int = 0
    flagged: bool = False
    last_success_at: datetime | None = None
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None


@dataclass(frozen=True)
class PollOutcome:
    """What one poll found. `kind`: new, unchanged, not-modified (a success), error, or skipped
    (not polled at all: nothing counts, e.g. the ReliefWeb appname is missing)."""

    kind: str
    error: str | None = None  # error / skipped: why
    problem: str | None = None  # a success from a feed that is not well-formed but usable
    status: int | None = None  # the HTTP status of a success: 200 or 304
    etag: str | None = None  # the response's validators
    last_modified: str | None = None
    content_hash: str | None = None  # what "unchanged" is judged on next time


@dataclass(frozen=True)
class FeedUpdate:
    """The feed's new state, and whom to tell. `since` (the last success before this poll) keys the
    admins' notices, so each flagging or recovery is told once."""

    last_polled_at: datetime
    next_poll_at: datetime
    consecutive_failures: int
    flagged: bool
    last_error: str | None
    last_success_at: datetime | None
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    notify: str | None = None  # "flagged" or "recovered": the admins are told
    since: datetime | None = None

    def columns(self) -> dict[str, object]:
        """The Feed columns to write."""
        return {
            "last_polled_at": self.last_polled_at, "next_poll_at": self.next_poll_at,
            "consecutive_failures": self.consecutive_failures, "flagged": self.flagged, "last_error": self.last_error,
            "last_success_at": self.last_success_at, "etag": self.etag, "last_modified": self.last_modified,
            "body_hash": self.body_hash,
        }


def decide(state: FeedState, outcome: PollOutcome, now: datetime, rand: float = 0.5) -> FeedUpdate:
    """The feed after a poll. Pure: `rand` in [0, 1) is the schedule's jitter (random.random()).

    - skipped: the error is shown, the feed is polled again after its interval; nothing else changes.
    - error: one more failure, backoff; at FAILURES_BEFORE_FLAG in a row the feed is flagged (once).
    - success: failures reset, a flagged feed recovers, a usable-but-malformed feed keeps a note;
      a 304 keeps the validators it was asked with when the answer carries none.
    """
    keep = {
        "last_polled_at": now, "consecutive_failures": state.consecutive_failures, "flagged": state.flagged,
        "last_success_at": state.last_success_at, "etag": state.etag, "last_modified": state.last_modified,
        "body_hash": state.body_hash,
    }
    if outcome.kind == "skipped":
        return FeedUpdate(**keep, last_error=outcome.error, next_poll_at=next_poll_at(now, state.interval_minutes, 0, rand))
    if outcome.kind == "error":
        failures = state.consecutive_failures + 1
        flag = failures >= FAILURES_BEFORE_FLAG and not state.flagged
        return FeedUpdate(
            **{**keep, "consecutive_failures": failures, "flagged": state.flagged or flag},
            last_error=outcome.error, next_poll_at=next_poll_at(now, state.interval_minutes, failures, rand),
            notify="flagged" if flag else None, since=state.last_success_at,
        )
    if outcome.kind not in SUCCESS:
        raise ValueError(f"unknown poll outcome {outcome.kind!r}")
    not_modified = outcome.status == 304
    return FeedUpdate(
        last_polled_at=now,
        next_poll_at=next_poll_at(now, state.interval_minutes, 0, rand),
        consecutive_failures=0,
        flagged=False,
        last_error=outcome.problem and f"usable, but: {outcome.problem}",
        last_success_at=now,
        etag=outcome.etag or (state.etag if not_modified else None),
        last_modified=outcome.last_modified or (state.last_modified if not_modified else None),
        body_hash=outcome.content_hash,
        notify="recovered" if state.flagged else None,
        since=state.last_success_at,
    )
