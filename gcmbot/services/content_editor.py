"""The database as the working copy of `content/`: export it as YAML, edit one entry, validate, save.

An edit is validated exactly as `gcmbot content check` validates the files: the database's
content is written out as the YAML files (`export_files`), the edited entry replaces its
old version (first in its file, so its lines are known), and `check_content` reads the
folder. Problems on the entry's lines are shown next to their field; anything else (another
entry that now refers to a retired region) above the form. When there are no errors, the
content that was checked is synced into the database (the other entries are unchanged by
construction) and the entry is marked as edited in the console, so `gcmbot content load`
keeps it (`--overwrite` replaces it).
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import yaml

from gcmbot.content.loader import ID_RE, TRANSLATABLE, TRANSLATED, _LineLoader, check_content
from gcmbot.models import utcnow
from gcmbot.store import Database
from gcmbot.store import content as store
from gcmbot.store import feeds as feed_store

FILES = {"event": "events", "faq": "faq", "statement": "statements", "feed": "feeds",
         "region": "regions", "constituency": "constituencies", "topic": "topics"}
TITLES = {"event": "Events", "faq": "FAQ", "statement": "Statements", "feed": "Feeds",
          "region": "Regions", "constituency": "Constituencies", "topic": "Topics"}
LIMITS = {"text": 300, "textarea": 4000, "lines": 4000}  # characters; answers must fit a Telegram message
ALL_FILES = ("sources", "regions", "constituencies", "topics", "events", "statements", "faq", "feeds")


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    type: str = "text"  # text, textarea, lines, choice, multi, bool, number
    required: bool = False
    hint: str = ""
    options: str = ""  # for choice/multi: "event_kinds", "regions", "topics", … (see options())
    default: str = ""  # what an absent value means (the loader's default)


DATE_HINT = "YYYY-MM-DD, or YYYY-MM / YYYY when only the month or year is known"
SCHEMA: dict[str, list[FieldSpec]] = {
    "event": [
        FieldSpec("title", "Title", required=True),
        FieldSpec("kind", "Kind", "choice", True, options="event_kinds"),
        FieldSpec("status", "Status", "choice", options="event_statuses", hint="What the record says as of the date checked.", default="confirmed"),
        FieldSpec("start", "Start", required=True, hint=DATE_HINT),
        FieldSpec("part", "Part of the month", "choice", options="parts", hint="Only with a month (YYYY-MM) start."),
        FieldSpec("end", "End", hint=DATE_HINT),
        FieldSpec("recurs", "Repeats", "choice", options="recurrences"),
        FieldSpec("as_of", "Checked against its source on", hint="YYYY-MM-DD"),
        FieldSpec("region", "Region", "choice", options="regions_global", default="global"),
        FieldSpec("topics", "Topics", "multi", options="topics"),
        FieldSpec("place", "Place"),
        FieldSpec("country", "Country"),
        FieldSpec("theme", "Theme", "textarea"),
        FieldSpec("participation", "How civil society can take part", "textarea"),
        FieldSpec("organiser", "Organiser"),
        FieldSpec("history", "What was planned before", "textarea"),
        FieldSpec("source", "Source document", "choice", options="sources"),
        FieldSpec("note", "Editor's note (not shown to subscribers)", "textarea"),
    ],
    "faq": [
        FieldSpec("question", "Question", required=True),
        FieldSpec("alternatives", "Other ways people ask it", "lines", hint="One phrasing per line."),
        FieldSpec("answer", "Answer", "textarea", True),
        FieldSpec("topics", "Topics", "multi", options="topics"),
        FieldSpec("source", "Source document", "choice", options="sources"),
        FieldSpec("as_of", "Checked against its source on", hint="YYYY-MM-DD"),
    ],
    "statement": [
        FieldSpec("title", "Title", required=True),
        FieldSpec("date", "Date", required=True, hint=DATE_HINT),
        FieldSpec("organisation", "Organisation"),
        FieldSpec("summary", "Summary", "textarea", True),
        FieldSpec("topics", "Topics", "multi", options="topics"),
        FieldSpec("regions", "Regions", "multi", options="regions"),
        FieldSpec("source", "Source document", "choice", options="sources"),
        FieldSpec("url", "Link", hint="https://…"),
        FieldSpec("note", "Editor's note (not shown to subscribers)", "textarea"),
    ],
    "feed": [
        FieldSpec("name", "Name", required=True),
        FieldSpec("url", "Address", required=True, hint="https://…"),
        FieldSpec("kind", "Kind", "choice", True, options="feed_kinds", default="rss"),
        FieldSpec("enabled", "Polled", "bool"),
        FieldSpec("interval_minutes", "Minutes between polls", "number", default="30"),
        FieldSpec("regions", "Regions given to every item", "multi", options="regions"),
        FieldSpec("topics", "Topics given to every item", "multi", options="topics"),
        FieldSpec("note", "Editor's note (not shown to subscribers)", "textarea"),
    ],
    "region": [
        FieldSpec("name", "Name", required=True),
        FieldSpec("description", "Description", "textarea"),
        FieldSpec("aliases", "Other names (for tagging feed items)", "lines", hint="One per line."),
        FieldSpec("timezones", "Timezones offered to subscribers", "lines", hint="IANA names, one per line (Africa/Nairobi)."),
    ],
    "constituency": [
        FieldSpec("name", "Name", required=True),
        FieldSpec("description", "Description", "textarea"),
        FieldSpec("aliases", "Other names", "lines", hint="One per line."),
    ],
    "topic": [
        FieldSpec("name", "Name", required=True),
        FieldSpec("description", "Description", "textarea"),
        FieldSpec("keywords", "Keywords (for tagging feed items)", "lines", hint="One per line."),
        FieldSpec("thematic", "One of the six thematic sessions", "bool"),
    ],
}


def translatable(kind: str) -> tuple[str, ...]:
    return tuple(f for f in TRANSLATABLE.get(f"{FILES[kind]}.yaml", ()) if any(s.name == f for s in SCHEMA[kind]))


# --- database → YAML entries ------------------------------------------------------------


def _translations_out(data: dict | None) -> dict:
    """{field: {lang: text}} (database) → {lang: {field: text}} (YAML)."""
    out: dict[str, dict] = {}
    for name, per in (data or {}).items():
        for lang, text in (per or {}).items():
            if text:
                out.setdefault(lang, {})[name] = list(text) if isinstance(text, list) else text
    return {lang: out[lang] for lang in sorted(out)}


def _date_out(value: date | None, precision: str | None) -> str | None:
    if value is None:
        return None
    return {"month": value.strftime("%Y-%m"), "year": str(value.year)}.get(precision or "day", value.isoformat())


def _clean(entry: dict) -> dict:
    return {k: v for k, v in entry.items() if v not in (None, "", [], {}) or k == "id"}


def _entries_from_db(session) -> dict[str, list[dict]]:
    files: dict[str, list[dict]] = {}
    files["sources"] = [_clean(dict(id=s.id, title=s.title, publisher=s.publisher, date=s.date, url=s.url, file=getattr(s, "file", "")))
                        for s in sorted(store.sources(session).values(), key=lambda s: s.id)]
    for kind in ("region", "constituency", "topic"):
        rows = []
        for t in store.terms(session, kind):
            d = t.data or {}
            entry = dict(id=t.id, name=t.name, description=d.get("description", ""), aliases=list(d.get("aliases", [])))
            if kind == "region":
                entry["timezones"] = list(d.get("timezones", []))
            if kind == "topic":
                entry["keywords"] = list(d.get("keywords", []))
                if d.get("thematic"):
                    entry["thematic"] = True
            entry["translations"] = _translations_out(d.get("translations"))
            rows.append(_clean(entry))
        files[FILES[kind]] = rows
    files["events"] = [
        _clean(dict(
            id=e.id, title=e.title, kind=e.kind, status=e.status if e.status != "confirmed" else None,
            topics=list(e.topics), theme=e.theme, place=e.place, country=e.country, region=e.region,
            start=_date_out(e.start, e.start_precision), part=e.part, end=_date_out(e.end, e.end_precision),
            recurs=getattr(e, "recurs", None), as_of=e.as_of.isoformat() if getattr(e, "as_of", None) else None,
            organiser=e.organiser, participation=e.participation, history=getattr(e, "history", ""), source=e.source, note=e.note,
            translations=_translations_out(e.translations),
        ))
        for e in store.all_events(session)
    ]
    files["statements"] = [
        _clean(dict(
            id=s.id, title=s.title, date=_date_out(s.date, s.date_precision), organisation=s.organisation, summary=s.summary,
            topics=list(s.topics), regions=list(s.regions), source=s.source, url=s.url, note=s.note,
            translations=_translations_out(getattr(s, "translations", None)),
        ))
        for s in store.all_statements(session)
    ]
    files["faq"] = [
        _clean(dict(id=q.id, question=q.question, alternatives=list(q.alternatives), answer=q.answer, topics=list(q.topics),
                    events=list(getattr(q, "events", None) or ()), source=q.source, as_of=q.as_of.isoformat() if getattr(q, "as_of", None) else None,
                    translations=_translations_out(q.translations)))
        for q in sorted(store.all_faq(session), key=lambda q: q.id)
    ]
    files["feeds"] = [
        _clean(dict(id=f.id, name=f.name, url=f.url, kind=f.kind, enabled=f.enabled, interval_minutes=f.interval_minutes,
                    regions=list(f.regions), topics=list(f.topics), note=f.note))
        for f in feed_store.all_feeds(session) if not f.retired
    ]
    return files


_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml when available


def dump(entries: list[dict]) -> str:
    if not entries:
        return "[]\n"
    return yaml.dump(entries, Dumper=_DUMPER, allow_unicode=True, sort_keys=False, width=110, default_flow_style=False)


def write_files(directory: Path, files: dict[str, list[dict]], header: str = "") -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name in ALL_FILES:
        (directory / f"{name}.yaml").write_text(header + dump(files.get(name, [])), encoding="utf-8")


# --- form ↔ entry -----------------------------------------------------------------------


def form_values(kind: str, entry: dict) -> dict:
    """An entry as the form shows it (lists as lines, translations flattened to tr.<lang>.<field>)."""
    values: dict = {"id": entry.get("id", "")}
    for spec in SCHEMA[kind]:
        v = entry.get(spec.name)
        if spec.type == "lines":
            values[spec.name] = "\n".join(v or [])
        elif spec.type == "multi":
            values[spec.name] = list(v or [])
        elif spec.type == "bool":
            values[spec.name] = bool(v) if v is not None else spec.name == "enabled"
        else:
            values[spec.name] = spec.default if v is None else str(v)
    for lang, per in (entry.get("translations") or {}).items():
        for name, text in per.items():
            values[f"tr.{lang}.{name}"] = "\n".join(text) if isinstance(text, list) else text
    return values


def entry_from_form(kind: str, form) -> tuple[dict, dict[str, str]]:
    """(the YAML entry, problems the loader does not check: lengths). `form` is a mapping with getlist."""
    problems: dict[str, str] = {}
    entry: dict = {"id": str(form.get("id", "")).strip()}
    for spec in SCHEMA[kind]:
        raw = form.get(spec.name)
        if spec.type == "multi":
            values = [str(v).strip() for v in form.getlist(spec.name) if str(v).strip()]
            if values:
                entry[spec.name] = values
            continue
        if spec.type == "bool":
            entry[spec.name] = raw in ("1", "on", "true")
            continue
        text = str(raw or "").replace("\r\n", "\n").strip()
        limit = LIMITS.get(spec.type, LIMITS["text"])
        if len(text) > limit:
            problems[spec.name] = f"too long: {len(text)} characters; at most {limit}"
            text = text[:limit]
        if not text:
            continue
        if spec.type == "lines":
            entry[spec.name] = [line.strip() for line in text.split("\n") if line.strip()]
        elif spec.type == "number":
            entry[spec.name] = int(text) if re.fullmatch(r"-?\d{1,9}", text) else text
        else:
            entry[spec.name] = text
    translations: dict[str, dict] = {}
    for lang in TRANSLATED:
        for name in translatable(kind):
            key = f"tr.{lang}.{name}"
            text = str(form.get(key) or "").replace("\r\n", "\n").strip()
            limit = LIMITS["textarea"]
            if len(text) > limit:
                problems[key] = f"too long: {len(text)} characters; at most {limit}"
                text = text[:limit]
            if text:
                lines = [t.strip() for t in text.split("\n") if t.strip()]
                translations.setdefault(lang, {})[name] = lines if name == "alternatives" else text
    if translations:
        entry["translations"] = translations
    return entry, problems


def _carry_over(kind: str, old: dict, new: dict) -> None:
    """What the form does not show (translators' notes) stays as it was, so a save loses nothing."""
    shown = {spec.name for spec in SCHEMA[kind]} | {"id", "translations"}
    for key, value in old.items():
        if key not in shown:
            new.setdefault(key, value)
    fields = set(translatable(kind))
    for lang, per in (old.get("translations") or {}).items():
        for name, text in per.items():
            if name not in fields:
                new.setdefault("translations", {}).setdefault(lang, {}).setdefault(name, text)


# --- checking and saving -------------------------------------------------------------------


@dataclass
class Outcome:
    saved: bool
    field_errors: dict[str, str] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)
    warnings: dict[str, str] = field(default_factory=dict)
    entry_id: str = ""


def _searchable(entry: dict) -> str:
    parts: list[str] = []

    def walk(value) -> None:
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)
        elif value is not None:
            parts.append(str(value))

    walk(entry)
    return "\n".join(parts).lower()


_KEY_IN_MESSAGE = re.compile(r"'([a-z_]+)'")
_TR_IN_MESSAGE = re.compile(r"translations\.([a-z]{2})\.([a-z_]+)")


def _field_of(message: str, line: int, lines: dict[str, int], first: int) -> str:
    tr = _TR_IN_MESSAGE.search(message)
    if tr:
        return f"tr.{tr.group(1)}.{tr.group(2)}"
    if line == first:
        quoted = _KEY_IN_MESSAGE.search(message)
        if quoted and (quoted.group(1) in lines or quoted.group(1) in {"id"} | set(lines)):
            return quoted.group(1)
        quoted = _KEY_IN_MESSAGE.search(message)
        return quoted.group(1) if quoted else "id"
    best, at = "id", 0
    for key, key_line in lines.items():
        if at < key_line <= line:
            best, at = key, key_line
    return best


SNAPSHOT_SECONDS = 5.0  # how long a read of all content is reused (edits here refresh it at once)


class ContentEditor:
    def __init__(self, db: Database, *, on_change=None) -> None:
        self.db = db
        self.on_change = on_change or (lambda: None)  # e.g. Questions.reload: answers use the new FAQ at once
        self._snapshot: tuple[float, tuple, dict] | None = None

    def _files(self) -> dict[str, list[dict]]:
        """All content as YAML entries, shared (do not change it): reread when the console saved something
        (here or in another process) or after SNAPSHOT_SECONDS, so browsing the console costs the bot little."""
        import time

        with self.db.session() as s:
            version = store.console_version(s)
            if self._snapshot is None or self._snapshot[1] != version or time.monotonic() - self._snapshot[0] > SNAPSHOT_SECONDS:
                self._snapshot = (time.monotonic(), version, _entries_from_db(s))
        return self._snapshot[2]

    def files(self) -> dict[str, list[dict]]:
        """A fresh copy of all content as YAML entries (safe to change)."""
        with self.db.session() as s:
            return _entries_from_db(s)

    def export(self, directory: Path) -> dict[str, int]:
        """Write the database's content as the YAML files of `content/` (the working copy, for review in git)."""
        files = self.files()
        header = f"# Exported from the gcmbot database on {utcnow():%Y-%m-%d %H:%M} UTC (gcmbot content export).\n"
        write_files(Path(directory), files, header)
        return {name: len(files.get(name, [])) for name in ALL_FILES}

    def entries(self, kind: str, query: str = "") -> list[dict]:
        import copy

        rows = self._files()[FILES[kind]]
        q = query.strip().lower()
        if q:
            rows = [e for e in rows if q in _searchable(e)]
        return copy.deepcopy(rows)

    def get(self, kind: str, entry_id: str) -> dict | None:
        import copy

        found = next((e for e in self._files()[FILES[kind]] if e["id"] == entry_id), None)
        return copy.deepcopy(found)

    def sources(self) -> list[tuple[str, str]]:
        return [(e["id"], e.get("title", "")) for e in self._files()["sources"]]

    def edited(self) -> set[tuple[str, str]]:
        from gcmbot.models import ConsoleEdit
        from sqlmodel import select

        with self.db.session() as s:
            return {(row.kind, row.entry_id) for row in s.exec(select(ConsoleEdit))}

    def save(self, kind: str, form, *, original_id: str | None, admin_id: int, today: date | None = None, dry_run: bool = False) -> Outcome:
        """Validate the form as `content check` would, then store it (unless there is any error)."""
        entry, field_errors = entry_from_form(kind, form)
        outcome = Outcome(False, dict(field_errors), entry_id=entry["id"])
        files = self.files()
        name = FILES[kind]
        others = [e for e in files[name] if e["id"] != (original_id or entry["id"])]
        if not ID_RE.match(entry["id"]):
            outcome.field_errors["id"] = "Use lowercase letters, digits and '-' (e.g. regional-review-africa-2026)."
        elif original_id is None and any(e["id"] == entry["id"] for e in files[name]):
            outcome.field_errors["id"] = f"There is already an entry {entry['id']!r}: choose another id."
        elif original_id is not None and entry["id"] != original_id:
            outcome.field_errors["id"] = "The id of an existing entry cannot change (subscribers' links and the log use it)."
        if outcome.field_errors.get("id"):
            return outcome
        old = next((e for e in files[name] if e["id"] == original_id), None) if original_id else None
        if old is not None:
            _carry_over(kind, old, entry)
        files[name] = [entry] + others
        content, problems = self._check(files, name, entry, outcome, today)
        if outcome.field_errors or outcome.general or dry_run:
            return outcome
        self._store(content, kind, entry["id"], admin_id)
        outcome.saved = True
        return outcome

    def retire(self, kind: str, entry_id: str, *, admin_id: int, today: date | None = None) -> Outcome:
        """Remove an entry (a feed is retired: never polled again, its items kept). Refused if others still refer to it."""
        files = self.files()
        name = FILES[kind]
        outcome = Outcome(False, entry_id=entry_id)
        if not any(e["id"] == entry_id for e in files[name]):
            outcome.general.append(f"There is no entry {entry_id!r}.")
            return outcome
        files[name] = [e for e in files[name] if e["id"] != entry_id]
        content, problems = self._check(files, name, None, outcome, today)
        if outcome.general or outcome.field_errors:
            outcome.general = [f"It cannot be retired: {m}" for m in outcome.general + list(outcome.field_errors.values())]
            outcome.field_errors = {}
            return outcome
        self._store(content, kind, entry_id, admin_id)
        outcome.saved = True
        return outcome

    def _check(self, files, name, entry, outcome: Outcome, today):
        with tempfile.TemporaryDirectory(prefix="gcmbot-edit-") as tmp:
            write_files(Path(tmp), files)
            content, problems = check_content(Path(tmp), today=today or date.today())
            text = (Path(tmp) / f"{name}.yaml").read_text(encoding="utf-8")
        lines, first, last = {}, 0, 0
        if entry is not None:
            parsed = yaml.load(text, Loader=_LineLoader) or []
            if parsed:
                lines = dict(parsed[0].get("__lines__", {}))
                first = parsed[0]["__line__"]
                last = parsed[1]["__line__"] - 1 if len(parsed) > 1 else 10**9
        for p in problems:
            mine = entry is not None and p.file == f"{name}.yaml" and first <= p.line <= last
            message = p.message.removeprefix(f"{entry['id']}: ") if entry is not None else p.message
            if mine:
                target = outcome.warnings if p.is_warning else outcome.field_errors
                key = _field_of(p.message, p.line, lines, first)
                target[key] = f"{target[key]}; {message}" if key in target else message
            elif not p.is_warning:
                outcome.general.append(str(p))
        return content, problems

    def _store(self, content, kind: str, entry_id: str, admin_id: int) -> None:
        from gcmbot.store.content import sync_content

        with self.db.session() as s:
            sync_content(s, content, force=frozenset({(kind, entry_id)}))
            store.mark_edited(s, kind, entry_id, admin_id, utcnow())
        self._snapshot = None
        self.on_change()


def loaded_at(db: Database) -> tuple[int, datetime | None]:
    with db.session() as s:
        return store.console_version(s)
