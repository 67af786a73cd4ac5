"""Load and validate `content/*.yaml`.

Every problem is reported as `file:line: message` so an editor can jump to it;
nothing is loaded into the database unless all files are valid.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from gcmbot.content.dates import PartialDate
from gcmbot.content.events import EventView
from gcmbot.content.lexicon import Lexicon, parse_lexicon
from gcmbot.content.lifecycle import STATUSES as EVENT_STATUSES
from gcmbot.content.lifecycle import yearly_on
from gcmbot.i18n import LANGUAGES

ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
EVENT_KINDS = (
    "thematic",
    "regional-intergovernmental",
    "regional-civil-society",
    "national",
    "stocktaking",
    "negotiation",
    "adoption",
    "regional-review",
    "review-forum",
    "observance",
    "other",
)
RECURRENCES = ("yearly",)  # see content/lifecycle.py
FEED_KINDS = ("rss", "atom", "reliefweb")
GLOBAL = "global"
# Languages every user-visible field must be translated into (`content check --strict`).
TRANSLATED = tuple(lang for lang in LANGUAGES if lang != "en")
# Per file: the fields a subscriber can read, which must have a translation in every language of
# TRANSLATED wherever the English field is not empty. They are also the fields `translations` accepts.
TRANSLATABLE = {
    "regions.yaml": ("name", "description"),
    "constituencies.yaml": ("name", "description"),
    "topics.yaml": ("name", "description"),
    "events.yaml": ("title", "theme", "participation", "place", "country", "organiser", "history"),
    "statements.yaml": ("title", "summary", "organisation"),
    "faq.yaml": ("question", "answer", "alternatives"),
}


@dataclass(frozen=True)
class Problem:
    """Something wrong in a content file. A `warning` does not stop loading (an `error` does);
    `gcmbot content check --strict` treats warnings as errors."""

    file: str
    line: int
    message: str
    severity: str = "error"  # error, warning

    @property
    def is_warning(self) -> bool:
        return self.severity == "warning"

    def __str__(self) -> str:
        label = "warning: " if self.is_warning else ""
        return f"{self.file}:{self.line}: {label}{self.message}"


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if not p.is_warning]


@dataclass(frozen=True)
class Missing:
    """A user-visible field of an entry without a translation in one language (a warning,
    an error with `content check --strict`)."""

    file: str
    line: int
    entry: str
    language: str
    field: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: warning: {self.entry}: missing {self.language} translation of '{self.field}'"


class ContentError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(map(str, problems)))


@dataclass(frozen=True)
class SourceDoc:
    id: str
    title: str
    publisher: str = ""
    date: str = ""
    url: str = ""
    file: str = ""


_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _visible(text: str) -> bool:
    """Has something to read: not only spaces and invisible format characters (zero-width space, …)."""
    return any(not ch.isspace() and unicodedata.category(ch) not in ("Cf", "Cc") for ch in text)


# Every key an entry of each file may have (what check_content reads; `content export` writes them all back).
KEYS: dict[str, tuple[str, ...]] = {
    "sources": ("id", "title", "publisher", "date", "url", "file"),
    "regions": ("id", "name", "description", "aliases", "timezones", "translations"),
    "constituencies": ("id", "name", "description", "aliases", "translations"),
    "topics": ("id", "name", "description", "keywords", "thematic", "translations"),
    "events": ("id", "title", "kind", "status", "start", "part", "end", "recurs", "as_of", "region", "topics", "place", "country",
               "theme", "participation", "organiser", "history", "source", "note", "translations"),
    "statements": ("id", "title", "date", "organisation", "summary", "topics", "regions", "source", "url", "note", "translations"),
    "faq": ("id", "question", "alternatives", "answer", "topics", "events", "source", "as_of", "translations"),
    "feeds": ("id", "name", "url", "kind", "enabled", "interval_minutes", "regions", "topics", "note"),
}


@dataclass(frozen=True)
class Term:
    """A region, constituency or topic."""

    kind: str
    id: str
    name: str
    description: str = ""
    aliases: tuple[str, ...] = ()
    timezones: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    thematic: bool = False
    # {field: {language: text}}: the `translations` of the entry (English is the field itself)
    translations: dict = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class StatementSpec:
    id: str
    title: str
    date: PartialDate
    organisation: str = ""
    summary: str = ""
    topics: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    source: str = ""
    url: str = ""
    note: str = ""
    # {field: {language: text}}: the `translations` of the entry (English is the field itself)
    translations: dict = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class FaqSpec:
    id: str
    question: str
    answer: str
    alternatives: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    source: str = ""
    # {field: {language: text}}: the `translations` of the entry (English is the field itself)
    translations: dict = field(default_factory=dict, hash=False, compare=False)
    as_of: date | None = None  # when the answer was last checked against its source
    # The calendar's events this entry explains: a question asking both what and when
    # ("how do the regional reviews work and when is the next round?") gets the answer and their dates.
    events: tuple[str, ...] = ()


@dataclass(frozen=True)
class FeedSpec:
    id: str
    name: str
    url: str
    kind: str = "rss"
    enabled: bool = True
    interval_minutes: int = 30
    regions: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    note: str = ""


@dataclass
class Content:
    sources: list[SourceDoc] = field(default_factory=list)
    regions: list[Term] = field(default_factory=list)
    constituencies: list[Term] = field(default_factory=list)
    topics: list[Term] = field(default_factory=list)
    events: list[EventView] = field(default_factory=list)
    statements: list[StatementSpec] = field(default_factory=list)
    faq: list[FaqSpec] = field(default_factory=list)
    feeds: list[FeedSpec] = field(default_factory=list)
    # Translation coverage: user-visible fields without a translation, and per (file, field)
    # how many entries have the field in English and how many of them each language covers.
    missing: list[Missing] = field(default_factory=list)
    coverage: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    # The matcher's word lists (lexicon.yaml, issue 13); None when the folder has no lexicon.yaml.
    lexicon: Lexicon | None = None

    def terms(self, kind: str) -> list[Term]:
        return {"region": self.regions, "constituency": self.constituencies, "topic": self.topics}[kind]


# --- YAML with line numbers ---------------------------------------------------


class _LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml when available
    """A SafeLoader that remembers the line of every mapping and of each of its keys."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    mapping["__lines__"] = {k.value: k.start_mark.line + 1 for k, _ in node.value if hasattr(k, "value")}
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


# --- field checking -----------------------------------------------------------


class _Entries:
    """Reads one file's entries, collecting problems instead of stopping at the first."""

    def __init__(self, path: Path, problems: list[Problem], content: Content | None = None) -> None:
        self.name = path.name
        self.problems = problems
        self.content = content
        self.entries: list[dict] = []
        if not path.exists():
            self.problem(1, "file is missing")
            return
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            reason = getattr(exc, "problem", None) or str(exc)
            self.problem(mark.line + 1 if mark else 1, f"not valid YAML: {reason}")
            return
        except UnicodeDecodeError:
            self.problem(1, "not UTF-8 text")
            return
        if data is None:
            return
        if not isinstance(data, list) or not all(isinstance(e, dict) for e in data):
            self.problem(1, "expected a list of entries (each starting with '- id: ...')")
            return
        seen: dict[str, int] = {}
        for entry in data:
            ident = entry.get("id")
            if not isinstance(ident, str) or not ID_RE.match(ident):
                self.problem(entry["__line__"], f"id {ident!r} must be lowercase letters, digits and '-'")
                continue
            if ident in seen:
                self.problem(entry["__line__"], f"duplicate id {ident!r} (first at line {seen[ident]})")
                continue
            seen[ident] = entry["__line__"]
            self.entries.append(entry)

    def problem(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.name, line, message))

    def unknown_keys(self) -> None:
        """A key the loader does not read would be silently ignored (and lost by `content export`): warn."""
        known = KEYS.get(self.name.removesuffix(".yaml"), ())
        for entry in self.entries:
            for key in entry:
                if key not in known and key not in ("__line__", "__lines__"):
                    self.warning(self.line(entry, key), f"{entry['id']}: unknown key {key!r} is not read (known keys: {', '.join(known)})")

    def warning(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.name, line, message, "warning"))

    def day(self, entry: dict, key: str) -> date | None:
        """An exact day (YYYY-MM-DD), or None when absent; a problem when it is something else."""
        when = self.when(entry, key, required=False)
        if when is not None and when.precision != "day":
            self.problem(self.line(entry, key), f"{entry['id']}: '{key}' must be a day (YYYY-MM-DD)")
            return None
        return when.value if when else None

    def line(self, entry: dict, key: str) -> int:
        return entry["__lines__"].get(key, entry["__line__"])

    def text(self, entry: dict, key: str, *, required: bool = False) -> str:
        value = entry.get(key)
        if value is None or value == "" or (isinstance(value, str) and not _visible(value)):
            if required:
                self.problem(entry["__line__"], f"{entry['id']}: '{key}' is required")
            return ""
        if isinstance(value, (dict, list)):
            self.problem(self.line(entry, key), f"{entry['id']}: '{key}' must be text")
            return ""
        self.no_control(entry, key, str(value))
        return str(value).strip()

    def no_control(self, entry: dict, key: str, value: str, line: int | None = None) -> None:
        """Invisible control characters (pasted along with text) are refused: PostgreSQL cannot store NUL."""
        found = _CONTROL_RE.search(value)
        if found is not None:
            self.problem(line or self.line(entry, key), f"{entry['id']}: '{key}' holds an invisible control character "
                                                        f"(U+{ord(found.group()):04X}): delete it")

    def texts(self, entry: dict, key: str) -> tuple[str, ...]:
        value = entry.get(key)
        if value is None:
            return ()
        if not isinstance(value, list) or any(isinstance(v, (dict, list)) for v in value):
            self.problem(self.line(entry, key), f"{entry['id']}: '{key}' must be a list of words")
            return ()
        for v in value:
            self.no_control(entry, key, str(v))
        return tuple(str(v).strip() for v in value if _visible(str(v)))

    def translations(self, entry: dict, fields: tuple[str, ...] | None = None) -> dict:
        """`translations: {es: {title: …}, fr: {…}}` → {"title": {"es": …, "fr": …}}; problems for
        unknown languages or fields, and for anything that is not text. Records the entry's
        translation coverage (its fields in TRANSLATABLE) in the content."""
        fields = fields or TRANSLATABLE.get(self.name, ())
        result = self._translations(entry, fields)
        if self.content is not None:
            at = self.line(entry, "translations")
            for name in TRANSLATABLE.get(self.name, ()):
                english = entry.get(name)
                if english is None or (isinstance(english, (str, list)) and not english) or not str(english).strip():
                    continue
                counts = self.content.coverage.setdefault((self.name, name), {"total": 0, **{lang: 0 for lang in TRANSLATED}})
                counts["total"] += 1
                for lang in TRANSLATED:
                    if (result.get(name) or {}).get(lang):
                        counts[lang] += 1
                    else:
                        self.content.missing.append(Missing(self.name, at, entry["id"], lang, name))
        return result

    def _translations(self, entry: dict, fields: tuple[str, ...]) -> dict:
        value = entry.get("translations")
        if value is None:
            return {}
        line = self.line(entry, "translations")
        if not isinstance(value, dict):
            self.problem(line, f"{entry['id']}: 'translations' must map languages ({', '.join(LANGUAGES)}) to fields")
            return {}
        result: dict[str, dict[str, str]] = {}
        for lang, texts in value.items():
            if lang in ("__line__", "__lines__"):
                continue
            at = value.get("__lines__", {}).get(lang, line)
            if lang not in LANGUAGES:
                self.problem(at, f"{entry['id']}: translation language {lang!r} is not one of {', '.join(LANGUAGES)}")
                continue
            if not isinstance(texts, dict):
                self.problem(at, f"{entry['id']}: translations.{lang} must map fields ({', '.join(fields)}) to text")
                continue
            for name, text in texts.items():
                if name in ("__line__", "__lines__"):
                    continue
                where = texts.get("__lines__", {}).get(name, at)
                if name == "note":  # the translator's note (not shown): e.g. "no official name known"; kept for export
                    if isinstance(text, (dict, list)) or text is None:
                        self.problem(where, f"{entry['id']}: translations.{lang}.note must be text")
                    elif str(text).strip():
                        result.setdefault("note", {})[lang] = str(text).strip()
                    continue
                if name not in fields:
                    self.problem(where, f"{entry['id']}: translations.{lang}.{name}: only {', '.join(fields)} can be translated here")
                elif name == "alternatives":
                    if not isinstance(text, list) or any(isinstance(t, (dict, list)) for t in text):
                        self.problem(where, f"{entry['id']}: translations.{lang}.alternatives must be a list of phrasings")
                    elif lang != "en":
                        result.setdefault(name, {})[lang] = [str(t).strip() for t in text if str(t).strip()]
                elif isinstance(text, (dict, list)) or text is None or not _visible(str(text)):
                    self.problem(where, f"{entry['id']}: translations.{lang}.{name} must be text")
                elif lang != "en":  # English is the field itself
                    self.no_control(entry, f"translations.{lang}.{name}", str(text), where)
                    result.setdefault(name, {})[lang] = str(text).strip()
        return result

    def choice(self, entry: dict, key: str, allowed: tuple[str, ...], default: str | None = None) -> str:
        value = entry.get(key, default)
        if value not in allowed:
            self.problem(self.line(entry, key), f"{entry['id']}: '{key}' is {value!r}; expected one of: {', '.join(allowed)}")
            return default or allowed[0]
        return value

    def flag(self, entry: dict, key: str, default: bool) -> bool:
        value = entry.get(key, default)
        if not isinstance(value, bool):
            self.problem(self.line(entry, key), f"{entry['id']}: '{key}' must be true or false")
            return default
        return value

    def number(self, entry: dict, key: str, default: int, minimum: int = 1) -> int:
        value = entry.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            self.problem(self.line(entry, key), f"{entry['id']}: '{key}' must be a whole number ≥ {minimum}")
            return default
        return value

    def when(self, entry: dict, key: str, *, required: bool, part_key: str | None = None) -> PartialDate | None:
        raw = entry.get(key)
        if raw is None or raw == "":
            if required:
                self.problem(entry["__line__"], f"{entry['id']}: '{key}' is required")
            return None
        try:
            return PartialDate.parse(raw, entry.get(part_key) if part_key else None)
        except ValueError as exc:
            self.problem(self.line(entry, key), f"{entry['id']}: '{key}': {exc}")
            return None

    def url(self, entry: dict, key: str, *, required: bool = False) -> str:
        value = self.text(entry, key, required=required)
        if value and not re.match(r"^https?://[^\s]+$", value):
            self.problem(self.line(entry, key), f"{entry['id']}: '{key}' must be an http(s) URL")
            return ""
        return value

    def refs(self, entry: dict, key: str, known: set[str], what: str, *, allow: tuple[str, ...] = ()) -> tuple[str, ...]:
        values = self.texts(entry, key) if isinstance(entry.get(key), list) or entry.get(key) is None else (self.text(entry, key),)
        for value in values:
            if value not in known and value not in allow:
                self.problem(self.line(entry, key), f"{entry['id']}: unknown {what} {value!r} in '{key}'")
        return tuple(v for v in values if v in known or v in allow)


# --- the files ------------------------------------------------------------------


def check_content(directory: Path, today: date | None = None) -> tuple[Content, list[Problem]]:
    """Read every file; return what could be read and every problem found.

    With `today`, the record is also checked for staleness (warnings: past events still
    expected or confirmed, old forecasts, nothing coming up); see `record_warnings`."""
    directory = Path(directory)
    problems: list[Problem] = []
    if not directory.is_dir():
        return Content(), [Problem(str(directory), 1, "content folder does not exist")]

    content = Content()

    def read(name: str) -> _Entries:
        entries = _Entries(directory / f"{name}.yaml", problems, content)
        entries.unknown_keys()
        return entries

    f = read("sources")
    content.sources = [
        SourceDoc(e["id"], f.text(e, "title", required=True), f.text(e, "publisher"), f.text(e, "date"), f.url(e, "url"), f.text(e, "file"))
        for e in f.entries
    ]
    source_ids = {s.id for s in content.sources}

    f = read("regions")
    for e in f.entries:
        zones = f.texts(e, "timezones")
        for zone in zones:
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: e.g. a name too long for a file name
                f.problem(f.line(e, "timezones"), f"{e['id']}: {zone!r} is not an IANA timezone name")
        content.regions.append(
            Term("region", e["id"], f.text(e, "name", required=True), f.text(e, "description"), f.texts(e, "aliases"), zones,
                 translations=f.translations(e))
        )
    region_ids = {r.id for r in content.regions}

    f = read("constituencies")
    content.constituencies = [
        Term("constituency", e["id"], f.text(e, "name", required=True), f.text(e, "description"), f.texts(e, "aliases"),
             translations=f.translations(e))
        for e in f.entries
    ]

    f = read("topics")
    content.topics = [
        Term(
            "topic", e["id"], f.text(e, "name", required=True), f.text(e, "description"),
            keywords=tuple(k.lower() for k in f.texts(e, "keywords")), thematic=f.flag(e, "thematic", False),
            translations=f.translations(e),
        )
        for e in f.entries
    ]
    topic_ids = {t.id for t in content.topics}

    f = read("events")
    for e in f.entries:
        start = f.when(e, "start", required=True, part_key="part")
        end = f.when(e, "end", required=False)
        if start and end and end.last_day < start.value:
            f.problem(f.line(e, "end"), f"{e['id']}: 'end' {end.iso()} is before 'start' {start.iso()}")
        recurs = None
        if e.get("recurs") is not None:
            if e["recurs"] in RECURRENCES:
                recurs = e["recurs"]
            else:
                f.problem(f.line(e, "recurs"), f"{e['id']}: 'recurs' is {e['recurs']!r}; expected: {', '.join(RECURRENCES)}")
        if recurs and start and start.precision != "day":
            f.problem(f.line(e, "recurs"), f"{e['id']}: a yearly event needs a 'start' day (YYYY-MM-DD)")
            recurs = None
        status = f.choice(e, "status", EVENT_STATUSES, "confirmed")
        as_of = f.day(e, "as_of")
        if start is None:
            continue
        spec = EventView(
            e["id"], f.text(e, "title", required=True), f.choice(e, "kind", EVENT_KINDS), start, end,
            f.refs(e, "topics", topic_ids, "topic"), f.text(e, "theme"), f.text(e, "place"), f.text(e, "country"),
            (f.refs(e, "region", region_ids, "region", allow=(GLOBAL,)) or (GLOBAL,))[0],
            f.text(e, "organiser"), f.text(e, "participation"),
            (f.refs(e, "source", source_ids, "source") or ("",))[0], f.text(e, "note"),
            translations=f.translations(e),
            status=status, as_of=as_of, history=f.text(e, "history"), recurs=recurs,
        )
        if as_of and today and as_of > today:
            f.problem(f.line(e, "as_of"), f"{e['id']}: 'as_of' {as_of} is in the future")
        if status == "held" and today and start.value > today and not recurs:
            f.problem(f.line(e, "status"), f"{e['id']}: marked held but starts {start.iso()}, after today ({today})")
        for message in record_warnings(spec, today):
            f.warning(f.line(e, "status") if "status" in e else e["__line__"], message)
        content.events.append(spec)
    if today and content.events:
        ahead = next_occurrence_within(content.events, today, UPCOMING_WINDOW_DAYS)
        if ahead is None:
            f.warning(1, f"no event in the next {UPCOMING_WINDOW_DAYS} days (after {today}): the calendar will look empty; add what is coming")

    f = read("statements")
    for e in f.entries:
        when = f.when(e, "date", required=True)
        if when is None:
            continue
        content.statements.append(
            StatementSpec(
                e["id"], f.text(e, "title", required=True), when, f.text(e, "organisation"), f.text(e, "summary", required=True),
                f.refs(e, "topics", topic_ids, "topic"), f.refs(e, "regions", region_ids, "region"),
                (f.refs(e, "source", source_ids, "source") or ("",))[0], f.url(e, "url"), f.text(e, "note"),
                translations=f.translations(e),
            )
        )

    event_ids = {e.id for e in content.events}
    f = read("faq")
    content.faq = [
        FaqSpec(
            e["id"], f.text(e, "question", required=True), f.text(e, "answer", required=True), f.texts(e, "alternatives"),
            f.refs(e, "topics", topic_ids, "topic"), (f.refs(e, "source", source_ids, "source") or ("",))[0],
            translations=f.translations(e), as_of=f.day(e, "as_of"), events=f.refs(e, "events", event_ids, "event"),
        )
        for e in f.entries
    ]

    f = read("feeds")
    content.feeds = [
        FeedSpec(
            e["id"], f.text(e, "name", required=True), f.url(e, "url", required=True), f.choice(e, "kind", FEED_KINDS, "rss"),
            f.flag(e, "enabled", True), f.number(e, "interval_minutes", 30), f.refs(e, "regions", region_ids, "region"),
            f.refs(e, "topics", topic_ids, "topic"), f.text(e, "note"),
        )
        for e in f.entries
    ]
    path = directory / "lexicon.yaml"
    if path.exists():  # optional: without it the shipped one is used
        content.lexicon = _read_lexicon(path, problems)
    return content, problems


def _read_lexicon(path: Path, problems: list[Problem]) -> Lexicon:
    def problem(line: int, message: str) -> None:
        problems.append(Problem(path.name, line, message))

    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem(mark.line + 1 if mark else 1, f"not valid YAML: {getattr(exc, 'problem', None) or exc}")
        return Lexicon()
    except UnicodeDecodeError:
        problem(1, "not UTF-8 text")
        return Lexicon()
    return parse_lexicon(data, problem, EVENT_KINDS)


def load_lexicon(path: Path) -> Lexicon:
    """content/lexicon.yaml alone; ContentError on problems."""
    problems: list[Problem] = []
    lexicon = _read_lexicon(Path(path), problems)
    if problems:
        raise ContentError(problems)
    return lexicon


def load_content(directory: Path) -> Content:
    """Load valid content or raise ContentError listing every error (warnings do not stop it)."""
    content, problems = check_content(directory)
    if errors(problems):
        raise ContentError(errors(problems))
    return content


# --- keeping the record true ------------------------------------------------------

UPCOMING_WINDOW_DAYS = 90
STALE_FORECAST_DAYS = 183  # six months


def record_warnings(event, today: date | None) -> list[str]:
    """What an editor should check about one event on `today` (pure; used by
    `gcmbot content check` and by the weekly note to admins).

    `event` needs id, status, as_of, start (PartialDate), last_day and recurs."""
    if today is None or getattr(event, "recurs", None):
        return []
    out = []
    status = event.status
    if status in ("expected", "confirmed") and event.last_day < today:
        out.append(f"{event.id}: ended {event.last_day} but is still '{status}': did it happen? mark it held, moved or cancelled")
    if status == "moved" and event.last_day < today:
        out.append(f"{event.id}: 'moved' to dates now past ({event.last_day}): mark it held or cancelled")
    if status == "expected" and (event.as_of is None or (today - event.as_of).days > STALE_FORECAST_DAYS):
        checked = f"last checked {event.as_of}" if event.as_of else "never checked (no 'as_of')"
        out.append(f"{event.id}: 'expected' and {checked}: check the source again and update 'as_of'")
    return out


def next_occurrence_within(events, today: date, days: int):
    """The first event (yearly ones included) still ahead or under way within `days` of `today`, or None."""
    from datetime import timedelta

    horizon = today + timedelta(days=days)
    best = None
    for e in events:
        if getattr(e, "status", "") == "cancelled":
            continue
        if getattr(e, "recurs", None) == "yearly":
            first = yearly_on(e.start.value, today.year)
            if first < today:
                first = yearly_on(e.start.value, today.year + 1)
            day = first
        elif e.last_day >= today:
            day = max(e.start.value, today)
        else:
            continue
        if day <= horizon and (best is None or day < best[0]):
            best = (day, e)
    return best[1] if best else None
