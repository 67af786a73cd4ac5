"""Login to the web console without passwords: one-time links sent by the bot, then sessions.

- `/web` from an admin makes a link with a random token (32 bytes), stored only as its
  SHA-256, valid once, for 10 minutes.
- Using it opens a session: a random id in an HttpOnly cookie (stored hashed too), with its
  own CSRF token, ended by logout or after IDLE_MINUTES without a request.
- Admin rights are checked again on every request: removing an id from GCMBOT_ADMIN_IDS
  ends its sessions at once.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from gcmbot.logsetup import hash_id
from gcmbot.models import utcnow
from gcmbot.store import Database
from gcmbot.store import web as store

log = logging.getLogger(__name__)

LINK_MINUTES = 10
IDLE_MINUTES = 30
TOUCH_SECONDS = 60  # last_seen_at is written at most once a minute per session


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class WebUser:
    """The admin behind a session."""

    admin_id: int
    session_hash: str
    csrf_token: str

    @property
    def hashed_id(self) -> str:
        return hash_id(self.admin_id)

    def csrf_ok(self, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(token.encode(), self.csrf_token.encode())


class WebAuth:
    def __init__(self, db: Database, is_admin) -> None:
        self.db = db
        self.is_admin = is_admin  # callable(user_id) -> bool: GCMBOT_ADMIN_IDS, read on every check

    def issue_link_token(self, admin_id: int, now: datetime | None = None) -> str:
        """A fresh one-time token for `admin_id` (the caller checked they are an admin)."""
        if not self.is_admin(admin_id):
            raise PermissionError("not an admin")
        now = now or utcnow()
        token = secrets.token_urlsafe(32)
        with self.db.session() as s:
            store.forget_old_tokens(s, now - timedelta(days=1))
            store.add_login_token(s, token_hash=_hash(token), admin_id=admin_id, now=now, expires_at=now + timedelta(minutes=LINK_MINUTES))
        log.info("web console login link issued to %s", hash_id(admin_id))
        return token

    def link_state(self, token: str, now: datetime | None = None) -> str:
        with self.db.session() as s:
            return store.login_token_state(s, _hash(token), now or utcnow())

    def redeem(self, token: str, now: datetime | None = None) -> tuple[str, WebUser] | None:
        """Use a login token once: (cookie value, user) or None (unknown, used, expired, or no longer an admin)."""
        now = now or utcnow()
        with self.db.session() as s:
            admin_id = store.use_login_token(s, _hash(token), now)
            if admin_id is None or not self.is_admin(admin_id):
                return None
            cookie = secrets.token_urlsafe(32)
            csrf = secrets.token_urlsafe(24)
            store.add_session(s, id_hash=_hash(cookie), admin_id=admin_id, csrf_token=csrf, now=now)
            store.forget_old_sessions(s, now - timedelta(days=7))
        log.info("web console session opened by %s", hash_id(admin_id))
        return cookie, WebUser(admin_id, _hash(cookie), csrf)

    def user(self, cookie: str | None, now: datetime | None = None) -> WebUser | None:
        """The admin of a live session, or None (no cookie, unknown, ended, idle too long, not an admin any more)."""
        if not cookie:
            return None
        now = now or utcnow()
        id_hash = _hash(cookie)
        with self.db.session() as s:
            row = store.get_session(s, id_hash)
            if row is None or row.ended_at is not None or not self.is_admin(row.admin_id):
                return None
            seen = _aware(row.last_seen_at)
            if now - seen > timedelta(minutes=IDLE_MINUTES):
                store.end_session(s, id_hash, now)
                return None
            if (now - seen).total_seconds() >= TOUCH_SECONDS:
                store.touch_session(s, id_hash, now)
            return WebUser(row.admin_id, id_hash, row.csrf_token)

    def logout(self, user: WebUser, now: datetime | None = None) -> bool:
        with self.db.session() as s:
            return store.end_session(s, user.session_hash, now or utcnow())
