"""The audit log: who did what with admin powers, and who tried without them."""

from __future__ import annotations

import logging

from gcmbot.logsetup import hash_id
from gcmbot.models import utcnow
from gcmbot.store import Database
from gcmbot.store import audit as store

log = logging.getLogger(__name__)


class Audit:
    def __init__(self, db: Database) -> None:
        self.db = db

    def refused(self, user_id: int | None, command: str) -> None:
        """A non-admin tried an admin command: kept, without anything they typed (/forget removes it)."""
        log.warning("user %s is not an admin and tried %s", hash_id(user_id), command)
        with self.db.session() as s:
            store.record(s, actor_id=user_id or 0, action="refused", detail={"command": command}, now=utcnow())

    def web(self, admin_id: int, action: str, **detail) -> None:
        """A change made in the web console: `web:<action>`, with the admin's hashed id in the detail."""
        log.info("web console: %s by %s", action, hash_id(admin_id))
        with self.db.session() as s:
            store.record(s, actor_id=admin_id, action=f"web:{action}"[:32], detail={"admin": hash_id(admin_id), **detail}, now=utcnow())
