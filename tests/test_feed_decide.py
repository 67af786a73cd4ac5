"""`decide(state, outcome, now)`: a feed's next state after a poll, as a pure function (issue 21)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from gcmbot.services.feed_decide import (
    FAILURES_BEFORE_FLAG,
    FIRST_RETRY,
    MAX_BACKOFF,
    FeedState,
    PollOutcome,
    decide,
)

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
EARLIER = NOW - timedelta(days=2)
HEALTHY = FeedState(interval_minutes=30, last_success_at=EARLIER, etag='"v1"', last_modified="Mon, 02 Mar 2026 10:00:00 GMT", body_hash="h1")
OK = PollOutcome("new", status=200, etag='"v2"', last_modified="Mon, 02 Mar 2026 11:00:00 GMT", content_hash="h2")
FAILED = PollOutcome("error", error="HTTP 500 Internal Server Error")


def test_a_success_schedules_the_interval_and_keeps_the_validators():
    update = decide(HEALTHY, OK, NOW, rand=0.5)  # 0.5: no jitter
    assert update.next_poll_at == NOW + timedelta(minutes=30)
    assert (update.last_polled_at, update.last_success_at) == (NOW, NOW)
    assert (update.etag, update.last_modified, update.body_hash) == ('"v2"', "Mon, 02 Mar 2026 11:00:00 GMT", "h2")
    assert (update.consecutive_failures, update.flagged, update.last_error, update.notify) == (0, False, None, None)


def test_jitter_is_ten_percent_either_way():
    assert decide(HEALTHY, OK, NOW, rand=0.0).next_poll_at == NOW + timedelta(minutes=27)
    assert decide(HEALTHY, OK, NOW, rand=0.9999999).next_poll_at - NOW == pytest.approx(timedelta(minutes=33), abs=timedelta(seconds=1))


def test_a_304_without_validators_keeps_the_ones_it_was_asked_with():
    update = decide(HEALTHY, PollOutcome("not-modified", status=304, content_hash="h1"), NOW)
    assert (update.etag, update.last_modified, update.body_hash) == ('"v1"', "Mon, 02 Mar 2026 10:00:00 GMT", "h1")
    # A 200 without validators drops them: the next request must not be conditional on stale ones.
    update = decide(HEALTHY, PollOutcome("unchanged", status=200, content_hash="h1"), NOW)
    assert (update.etag, update.last_modified) == (None, None)


def test_a_usable_but_malformed_feed_is_a_success_with_a_note():
    update = decide(HEALTHY, replace(OK, problem="SAXParseException: junk after document element"), NOW)
    assert update.last_error == "usable, but: SAXParseException: junk after document element"
    assert update.consecutive_failures == 0 and update.last_success_at == NOW


def test_failures_back_off_exponentially_up_to_the_cap():
    state, delays = HEALTHY, []
    for _ in range(12):
        update = decide(state, FAILED, NOW, rand=0.5)
        delays.append(update.next_poll_at - NOW)
        state = replace(state, consecutive_failures=update.consecutive_failures, flagged=update.flagged)
    assert delays[:4] == [FIRST_RETRY, FIRST_RETRY * 2, FIRST_RETRY * 4, FIRST_RETRY * 8]
    assert delays[-1] == MAX_BACKOFF and max(delays) == MAX_BACKOFF
    assert state.consecutive_failures == 12


def test_an_error_keeps_what_the_last_success_left():
    update = decide(HEALTHY, FAILED, NOW)
    assert update.last_error == "HTTP 500 Internal Server Error"
    assert (update.last_success_at, update.etag, update.last_modified, update.body_hash) == (EARLIER, '"v1"', "Mon, 02 Mar 2026 10:00:00 GMT", "h1")


def test_flagged_once_at_the_third_failure_in_a_row():
    notices = []
    state = HEALTHY
    for _ in range(FAILURES_BEFORE_FLAG + 2):
        update = decide(state, FAILED, NOW)
        notices.append(update.notify)
        state = replace(state, consecutive_failures=update.consecutive_failures, flagged=update.flagged)
    assert notices == [None, None, "flagged", None, None]
    assert state.flagged
    assert update.since == EARLIER  # the admins' notice is keyed on the last success: told once


def test_a_success_after_flagging_recovers_and_tells_once():
    flagged = replace(HEALTHY, consecutive_failures=5, flagged=True)
    update = decide(flagged, OK, NOW)
    assert (update.flagged, update.consecutive_failures, update.notify, update.since) == (False, 0, "recovered", EARLIER)
    assert decide(replace(flagged, flagged=False, consecutive_failures=0), OK, NOW).notify is None


def test_skipped_counts_neither_as_failure_nor_success():
    failing = replace(HEALTHY, consecutive_failures=2)
    update = decide(failing, PollOutcome("skipped", error="GCMBOT_RELIEFWEB_APPNAME is not set"), NOW, rand=0.5)
    assert update.consecutive_failures == 2 and not update.flagged and update.notify is None
    assert update.last_error == "GCMBOT_RELIEFWEB_APPNAME is not set"
    assert update.last_success_at == EARLIER and update.body_hash == "h1"
    assert update.next_poll_at == NOW + timedelta(minutes=30)  # the interval, not a backoff


def test_an_unknown_outcome_is_refused():
    with pytest.raises(ValueError):
        decide(HEALTHY, PollOutcome("maybe"), NOW)
