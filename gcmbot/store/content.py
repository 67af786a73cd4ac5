"""Content tables: sync from `content/` files and read back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timezone

from sqlmodel import Session, delete, select

from gcmbot.content.loader import Content
from gcmbot.models import Event, FaqEntry, Feed, Source, Statement, TaxonomyTerm, utcnow


@dataclass
class SyncReport:
    """What `sync_content` changed, per table: added, updated, removed (or retired)."""

    counts: dict[str, tuple[int, int, int]]

    def __str__(self) -> str:
        return "\n".join(f"{name}: {a} added, {u} updated, {r} removed" for name, (a, u, r) in self.counts.items())

    @property
    def changed(self) -> bool:
        return any(any(c) for c in self.counts.values())


def _upsert(session: Session, model: type, rows: list[dict], *, keep: tuple[str, ...] = (), retire: str | None = None) -> tuple[int, int, int]:
    """Make `model`'s rows equal to `rows` (keyed by `id`). Fields in `keep` are never overwritten."""
    existing = {row.id: row for row in session.exec(select(model)).all()}
    added = updated = removed = 0
    for data in rows:
        row = existing.pop(data["id"], None)
        if row is None:
            session.add(model(**data))
            added += 1
            continue
        changed = False
        for key, value in data.items():
            if key not in keep and getattr(row, key) != value:
                setattr(row, key, value)
                changed = True
        if retire and getattr(row, retire):
            setattr(row, retire, False)
            changed = True
        if changed:
            session.add(row)
            updated += 1
    for row in existing.values():
        if retire:
            if not getattr(row, retire):
                setattr(row, retire, True)
                session.add(row)
                removed += 1
        else:
            session.delete(row)
            removed += 1
    return added, updated, removed


def sync_content(session: Session, content: Content) -> SyncReport:
    """Load content into the database. Running it twice changes nothing the second time."""
    counts: dict[str, tuple[int, int, int]] = {}
    counts["sources"] = _upsert(
        session, Source, [dict(id=s.id, title=s.title, publisher=s.publisher, date=s.date, url=s.url) for s in content.sources]
    )

    # Taxonomy: composite key (kind, id), so it is replaced wholesale when it changed.
    wanted = {
        (t.kind, t.id): dict(
            kind=t.kind, id=t.id, name=t.name, position=i,
            data={"description": t.description, "aliases": list(t.aliases), "timezones": list(t.timezones),
                  "keywords": list(t.keywords), "thematic": t.thematic, "translations": t.translations},
        )
        for kind in ("region", "constituency", "topic")
        for i, t in enumerate(content.terms(kind))
    }
    current = {(t.kind, t.id): t for t in session.exec(select(TaxonomyTerm)).all()}
    a = u = r = 0
    for key, data in wanted.items():
        row = current.pop(key, None)
        if row is None:
            session.add(TaxonomyTerm(**data))
            a += 1
        elif any(getattr(row, k) != v for k, v in data.items()):
            for k, v in data.items():
                setattr(row, k, v)
            session.add(row)
            u += 1
    for row in current.values():
        session.delete(row)
        r += 1
    counts["taxonomy"] = (a, u, r)

    counts["events"] = _upsert(
        session, Event,
        [
            dict(
                id=e.id, title=e.title, kind=e.kind, topics=list(e.topics), theme=e.theme, place=e.place, country=e.country,
                region=e.region, start=e.start.value, start_precision=e.start.precision, part=e.start.part,
                end=e.end.value if e.end else None, end_precision=e.end.precision if e.end else None,
                organiser=e.organiser, participation=e.participation, source=e.source, note=e.note,
                translations=e.translations, status=e.status, as_of=e.as_of, history=e.history, recurs=e.recurs,
            )
            for e in content.events
        ],
    )
    # A statement is news from when it was published, not from when it was curated: a 2017
    # statement loaded today is not "new this week", one dated yesterday is (set once, on insert).
    now = utcnow()
    counts["statements"] = _upsert(
        session, Statement,
        [
            dict(
                id=s.id, title=s.title, date=s.date.value, date_precision=s.date.precision, organisation=s.organisation,
                summary=s.summary, topics=list(s.topics), regions=list(s.regions), source=s.source, url=s.url,
                first_seen_at=min(now, datetime.combine(s.date.last_day, time(23, 59), tzinfo=timezone.utc)),
            )
            for s in content.statements
        ],
        keep=("first_seen_at",),
    )
    counts["faq"] = _upsert(
        session, FaqEntry,
        [
            dict(id=q.id, question=q.question, alternatives=list(q.alternatives), answer=q.answer, topics=list(q.topics), source=q.source,
                 translations=q.translations)
            for q in content.faq
        ],
    )
    # Feeds keep their polling state; a feed removed from content is retired, keeping its items.
    counts["feeds"] = _upsert(
        session, Feed,
        [
            dict(id=f.id, name=f.name, url=f.url, kind=f.kind, enabled=f.enabled, interval_minutes=f.interval_minutes,
                 regions=list(f.regions), topics=list(f.topics))
            for f in content.feeds
        ],
        retire="retired",
    )
    return SyncReport(counts)


def terms(session: Session, kind: str) -> list[TaxonomyTerm]:
    return list(session.exec(select(TaxonomyTerm).where(TaxonomyTerm.kind == kind).order_by(TaxonomyTerm.position)).all())


def all_events(session: Session) -> list[Event]:
    return list(session.exec(select(Event).order_by(Event.start)).all())


def all_statements(session: Session) -> list[Statement]:
    return list(session.exec(select(Statement).order_by(Statement.date)).all())


def all_faq(session: Session) -> list[FaqEntry]:
    return list(session.exec(select(FaqEntry)).all())


def sources(session: Session) -> dict[str, Source]:
    return {s.id: s for s in session.exec(select(Source)).all()}


def clear_content(session: Session) -> None:
    """Used by tests and `gcmbot import`: drop all content rows (not feeds' items)."""
    for model in (Event, Statement, FaqEntry, TaxonomyTerm, Source):
        session.exec(delete(model))
