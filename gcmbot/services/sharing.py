"""Forward-safe messages: a digest or alert ends with a start link for the segment it was made for,
so a forwarded copy recruits new subscribers into the same segment.

The payload is the deep-link format /start already reads (README "Using the bot"): `kind-id`
pairs joined by `_`, with the short kinds r, c, t (`r-africa_c-trade-unions`). Telegram allows
64 characters of A-Z a-z 0-9 _ -; a segment too long for that is widened (topics dropped first,
then constituencies, then regions) rather than cut in the middle of an id. The line a message ends
with is gcmbot.render.sharing's.
"""

from __future__ import annotations

import re
from gcmbot.services.subscriptions import Segment

MAX_PAYLOAD = 64
_ALLOWED = re.compile(r"^[A-Za-z0-9_-]*$")
SHORT = (("region", "r"), ("constituency", "c"), ("topic", "t"))


def start_payload(segment: Segment) -> str:
    """`r-africa_c-trade-unions` for a segment; "" for everything."""
    kinds = [(code, sorted(segment.get(kind))) for kind, code in SHORT if segment.get(kind)]
    while kinds:
        payload = "_".join(f"{code}-{value}" for code, values in kinds for value in values)
        if len(payload) <= MAX_PAYLOAD and _ALLOWED.match(payload):
            return payload
        kinds.pop()  # too specific to fit: widen, most specific kind first
    return ""


def start_link(bot_username: str, segment: Segment) -> str:
    payload = start_payload(segment)
    return f"t.me/{bot_username}" + (f"?start={payload}" if payload else "")
