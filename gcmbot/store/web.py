"""Web console login links and sessions (only SHA-256 hashes of their secrets are stored)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, delete, select, update

from gcmbot.models import WebLoginToken, WebSession


def add_login_token(session: Session, *, token_hash: str, admin_id: int, now: datetime, expires_at: datetime) -> None:
    session.add(WebLoginToken(token_hash=token_hash, admin_id=admin_id, created_at=now, expires_at=expires_at))
    session.flush()


def use_login_token(session: Session, token_hash: str, now: datetime) -> int | None:
    """Mark an unused, unexpired token used and return its admin id; None if there is no such token.

    A conditional UPDATE, so two requests racing with the same link cannot both win.
    """
    row = session.get(WebLoginToken, token_hash)
    if row is None:
        return None
    result = session.exec(
        update(WebLoginToken)
        .where(WebLoginToken.token_hash == token_hash, col(WebLoginToken.used_at).is_(None), WebLoginToken.expires_at > now)
        .values(used_at=now)
    )
    return row.admin_id if result.rowcount == 1 else None  # type: ignore[union-attr]


def login_token_state(session: Session, token_hash: str, now: datetime) -> str:
    """unknown, used, expired or valid (for the page shown before the login button)."""
    row = session.get(WebLoginToken, token_hash)
    if row is None:
        return "unknown"
    if row.used_at is not None:
        return "used"
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=now.tzinfo)
    return "expired" if expires <= now else "valid"


def forget_old_tokens(session: Session, before: datetime) -> int:
    result = session.exec(delete(WebLoginToken).where(WebLoginToken.expires_at < before))
    return result.rowcount or 0  # type: ignore[union-attr]


def add_session(session: Session, *, id_hash: str, admin_id: int, csrf_token: str, now: datetime) -> None:
    session.add(WebSession(id_hash=id_hash, admin_id=admin_id, csrf_token=csrf_token, created_at=now, last_seen_at=now))
    session.flush()


def get_session(session: Session, id_hash: str) -> WebSession | None:
    return session.get(WebSession, id_hash)


def touch_session(session: Session, id_hash: str, now: datetime) -> None:
    session.exec(update(WebSession).where(WebSession.id_hash == id_hash).values(last_seen_at=now))


def end_session(session: Session, id_hash: str, now: datetime) -> bool:
    result = session.exec(
        update(WebSession).where(WebSession.id_hash == id_hash, col(WebSession.ended_at).is_(None)).values(ended_at=now)
    )
    return result.rowcount == 1  # type: ignore[union-attr]


def forget_old_sessions(session: Session, before: datetime) -> int:
    result = session.exec(delete(WebSession).where(WebSession.last_seen_at < before))
    return result.rowcount or 0  # type: ignore[union-attr]


def active_sessions(session: Session, admin_id: int) -> list[WebSession]:
    return list(session.exec(select(WebSession).where(WebSession.admin_id == admin_id, col(WebSession.ended_at).is_(None))).all())
