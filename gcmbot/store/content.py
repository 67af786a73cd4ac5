"""Content tables: sync from `content/` files and read back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timezone

from sqlmodel import Session, delete, func, select

from gcmbot.content.loader import Content
from gcmbot.models import Event, FaqEntry, Feed, Source, Statement, TaxonomyTerm, utcnow


@dataclass
class SyncReport:
    """What `sync_content` changed, per table: added, updated, removed (or retired)."""

    counts: dict[str, tuple[int, int, int]]
    # Entries edited in the web console, kept as they are in the database (not overwritten).
    kept: dict[str, list[str]] = field(default_factory=dict)

    def __str__(self) -> str:
        lines = [f"{name}: {a} added, {u} updated, {r} removed" for name, (a, u, r) in self.counts.items()]
        for name, ids in self.kept.items():
            lines.append(f"{name}: kept {len(ids)} edited in the web console ({', '.join(ids)}); `gcmbot content load --overwrite` replaces them")
        return "\n".join(lines)

    @property
    def changed(self) -> bool:
        return any(any(c) for c in self.counts.values())


def _upsert(session: Session, model: type, rows: list[dict], *, keep: tuple[str, ...] = (), retire: str | None = None) -> tuple[int, int, int]:
    """Make `model`'s rows equal to `rows` (keyed by `id`). Fields in `keep` are never overwritten."""
    existing = {row.id: row for row in session.exec(select(model)).all()}
    added = updated = removed = 0
    protected = _edited_in_console(session, model)
    for data in rows:
        row = existing.pop(data["id"], None)
        if data["id"] in protected:
            continue  # edited (or retired) in the console: the database's version stands
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
        if row.id in protected:
            continue
        if retire:
            if not getattr(row, retire):
                setattr(row, retire, True)
                session.add(row)
                removed += 1
        else:
            session.delete(row)
            removed += 1
    return added, updated, removed


_CONSOLE_KINDS = {"Event": "event", "FaqEntry": "faq", "Statement": "statement", "Feed": "feed"}


def _edited_in_console(session: Session, model: type) -> set[str]:
    """Ids of `model`'s entries edited in the web console, unless this sync overwrites them."""
    from gcmbot.models import ConsoleEdit

    kind = _CONSOLE_KINDS.get(model.__name__) if isinstance(model, type) else model
    if kind is None:
        return set()
    ids = set(session.exec(select(ConsoleEdit.entry_id).where(ConsoleEdit.kind == kind)).all())
    if session.info.get("gcmbot_overwrite"):
        session.exec(delete(ConsoleEdit).where(ConsoleEdit.kind == kind))
        return set()
    ids -= {i for k, i in session.info.get("gcmbot_force", ()) if k == kind}
    if ids and not session.info.get("gcmbot_force"):
        session.info.setdefault("gcmbot_kept", {})[kind] = sorted(ids)
    return ids


def sync_content(
    session: Session, content: Content, *, overwrite: bool = False, force: frozenset[tuple[str, str]] = frozenset()
) -> SyncReport:
    """Load content into the database. Running it twice changes nothing the second time.

    Entries edited in the web console are left as they are (and listed in the report)
    unless `overwrite`, which replaces them with the files' version. `force` = the
    (kind, id) entries the console itself is saving now.
    """
    session.info["gcmbot_overwrite"] = overwrite
    session.info["gcmbot_force"] = force
    session.info.pop("gcmbot_kept", None)
    counts: dict[str, tuple[int, int, int]] = {}
    counts["sources"] = _upsert(
        session, Source, [dict(id=s.id, title=s.title, publisher=s.publisher, date=s.date, url=s.url, file=s.file) for s in content.sources]
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
    if content.lexicon is not None:  # the matcher's word lists (content/lexicon.yaml), one row
        wanted[("lexicon", "lexicon")] = dict(kind="lexicon", id="lexicon", name="lexicon", position=0, data=content.lexicon.to_data())
    current = {(t.kind, t.id): t for t in session.exec(select(TaxonomyTerm)).all()}
    protected = {(kind, i) for kind in ("region", "constituency", "topic") for i in _edited_in_console(session, kind)}
    for key in protected:
        wanted.pop(key, None)
        current.pop(key, None)
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
                note=s.note, translations=s.translations,
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
                 translations=q.translations, as_of=q.as_of, events=list(q.events))
            for q in content.faq
        ],
    )
    # Feeds keep their polling state; a feed removed from content is retired, keeping its items.
    counts["feeds"] = _upsert(
        session, Feed,
        [
            dict(id=f.id, name=f.name, url=f.url, kind=f.kind, enabled=f.enabled, interval_minutes=f.interval_minutes,
                 regions=list(f.regions), topics=list(f.topics), note=f.note)
            for f in content.feeds
        ],
        retire="retired",
    )
    return SyncReport(counts, kept=session.info.pop("gcmbot_kept", {}))


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


def mark_edited(session: Session, kind: str, entry_id: str, admin_id: int, now: datetime) -> None:
    """Remember that the console changed this entry (content load then keeps it)."""
    from gcmbot.models import ConsoleEdit

    row = session.get(ConsoleEdit, (kind, entry_id))
    if row is None:
        session.add(ConsoleEdit(kind=kind, entry_id=entry_id, edited_at=now, edited_by=admin_id))
    else:
        row.edited_at, row.edited_by = now, admin_id
        session.add(row)
    session.flush()


def console_version(session: Session) -> tuple[int, datetime | None]:
    """Changes whenever the console saves an entry: (edits, latest edit time). Cheap to poll."""
    from gcmbot.models import ConsoleEdit

    count, latest = session.exec(select(func.count(), func.max(ConsoleEdit.edited_at))).one()
    return count, latest


def unmark_edited(session: Session, kind: str, entry_id: str) -> None:
    from gcmbot.models import ConsoleEdit

    session.exec(delete(ConsoleEdit).where(ConsoleEdit.kind == kind, ConsoleEdit.entry_id == entry_id))


def lexicon(session: Session):
    """The matcher's word lists as loaded from content/lexicon.yaml, or None (never loaded)."""
    from gcmbot.content.lexicon import Lexicon

    row = session.get(TaxonomyTerm, ("lexicon", "lexicon"))
    return Lexicon.from_data(row.data) if row is not None else None
