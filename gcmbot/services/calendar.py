"""Segments in calendar URLs (`region-africa_c-trade-unions`, `all`); the .ics file itself is
gcmbot.render.calendar's."""

from __future__ import annotations

# --- segments in URLs: the deep-link payload format -----------------------------------
# `region-africa_constituency-trade-unions` (kinds may be abbreviated r, c, t); `all` = everything.

_KIND_PREFIX = {"region": "region", "r": "region", "constituency": "constituency", "c": "constituency", "topic": "topic", "t": "topic"}
ALL_PAYLOAD = "all"


class BadSegment(ValueError):
    """A payload part that is not `kind-id` with a known kind."""


def parse_segment_payload(payload: str) -> dict[str, set[str]]:
    """`region-africa_c-trade-unions` → {"region": {"africa"}, "constituency": {"trade-unions"}} (ids not checked here)."""
    chosen: dict[str, set[str]] = {}
    if payload.lower() == ALL_PAYLOAD:
        return chosen
    for part in payload.split("_"):
        prefix, _, value = part.partition("-")
        kind = _KIND_PREFIX.get(prefix.lower())
        if kind is None or not value:
            raise BadSegment(part[:64])
        chosen.setdefault(kind, set()).add(value.lower())
    return chosen


def segment_payload(segment) -> str:
    """The payload of a Segment (kinds in the order region, constituency, topic; ids sorted)."""
    parts = [f"{kind}-{value}" for kind in ("region", "constituency", "topic") for value in sorted(segment.get(kind) or ())]
    return "_".join(parts) or ALL_PAYLOAD
