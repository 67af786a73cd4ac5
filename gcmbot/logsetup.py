"""Logging: JSON lines for machines, plain text for people, never a raw chat id or a message text.

- `setup_logging(...)` is called once by the `gcmbot` command line.
- `hash_id(chat_id)` turns a chat id into a short keyed hash (stable for one
  deployment, so one chat's lines can be followed, but not reversible without
  the bot token). Log calls pass it as text or as `extra={"chat_id": id}`: the
  formatter hashes `chat_id`, `chat`, `user_id` and `new_chat_id` extras itself.
- Extras named `text`, `message_text` or `question` are dropped: message texts
  never reach the logs.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import sys
from datetime import datetime, timezone

_ID_FIELDS = frozenset({"chat_id", "chat", "user_id", "new_chat_id", "from_chat_id"})
_TEXT_FIELDS = frozenset({"text", "message_text", "question", "caption"})
# Attributes every LogRecord has; anything else came in through `extra=`.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None)).keys()) | {"message", "asctime", "taskName"}

_key: bytes = secrets.token_bytes(32)


def set_hash_key(secret: str | None) -> None:
    """Key the chat id hash. With the bot token, hashes stay the same across restarts."""
    global _key
    _key = hashlib.sha256(b"gcmbot-log:" + secret.encode()).digest() if secret else secrets.token_bytes(32)


def hash_id(chat_id: int | str | None) -> str:
    """A chat id as it may appear in logs: `c-` and 12 hex digits."""
    if chat_id is None:
        return "-"
    return "c-" + hmac.new(_key, str(chat_id).encode(), hashlib.sha256).hexdigest()[:12]


def _extras(record: logging.LogRecord) -> dict:
    out = {}
    for key, value in vars(record).items():
        if key in _STANDARD or key.startswith("_") or key in _TEXT_FIELDS:
            continue
        if key in _ID_FIELDS:
            value = hash_id(value)
        elif not isinstance(value, (str, int, float, bool, type(None))):
            value = repr(value)
        out[key] = value
    return out


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg, extras, exc."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update(_extras(record))
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = _extras(record)
        if extras:
            line += " " + " ".join(f"{k}={v}" for k, v in extras.items())
        return line


def setup_logging(
    level: str | int = "INFO", fmt: str = "auto", *, secret: str | None = None, stream=None, force: bool = False
) -> logging.Handler | None:
    """Configure the root logger. `fmt`: auto (JSON unless the stream is a terminal), json or text.

    Like logging.basicConfig, it adds no handler when someone else (a test runner, an
    embedding program) already configured the root logger, unless `force`.
    """
    stream = stream or sys.stderr
    if fmt == "auto":
        fmt = "text" if getattr(stream, "isatty", lambda: False)() else "json"
    set_hash_key(secret)
    for name in ("httpx", "apscheduler", "alembic", "tornado.access"):
        # httpx logs request URLs (they contain the bot token); the others are noisy at INFO.
        logging.getLogger(name).setLevel(logging.WARNING)
    root = logging.getLogger()
    if not force and any(not getattr(h, "_gcmbot", False) for h in root.handlers):
        return None
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    for old in list(root.handlers):
        if getattr(old, "_gcmbot", False):  # ours from an earlier call; leave others' (pytest's) alone
            root.removeHandler(old)
    handler._gcmbot = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    if isinstance(level, str):
        level = logging.getLevelName(level.strip().upper())
    root.setLevel(level if isinstance(level, int) else logging.INFO)
    return handler
