"""The word lists of the question matcher (content/lexicon.yaml): bot intents, synonyms, place names,
months, time words, periods, event words, kinds, filler words, words never spell-corrected, and
off-topic words (a person's own job, visa or asylum claim: the bot declines those).

`parse_lexicon(data, problem)` validates the YAML mapping (with the loader's line numbers) and
reports every problem as `file:line: message`; `Lexicon` is what the matcher (services/knowledge.py)
compiles. Words are folded by the matcher, so editors write them as people type them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

LANGS = ("en", "es", "fr", "ar")
# The bot questions that have an answer (render/answers.py INTENT_TEXTS keeps in step).
INTENTS = ("stop", "forget", "subscription", "digest", "settings", "start", "help")
TIME_VALUES = ("next", "first", "last")
PERIOD_UNITS = ("week", "month", "year")
# What an example sentence (section `examples`) can stand for: a bot intent, or "calendar" (what's next).
EXAMPLE_CLASSES = (*INTENTS, "calendar")
SECTIONS = ("intents", "examples", "synonyms", "places", "months", "time_words", "periods", "asks_when_where",
            "asks_for_a_text", "asks_more", "asks_meaning_of", "asks_what_happens", "event_nouns", "calendar_subjects", "kinds", "vague", "not_typos", "off_topic")


@dataclass(frozen=True)
class Lexicon:
    # (intent, language, words that must all occur), in the order they are checked
    intents: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    synonyms: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    places: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    months: dict[str, int] = field(default_factory=dict, hash=False, compare=False)  # word → 1..12
    time_words: dict[str, str] = field(default_factory=dict, hash=False, compare=False)  # word → next/first/last
    period_units: dict[str, str] = field(default_factory=dict, hash=False, compare=False)  # word → week/month/year
    period_shift: dict[str, int] = field(default_factory=dict, hash=False, compare=False)  # word → -1/0/1
    asks_when_where: frozenset[str] = frozenset()
    asks_for_a_text: frozenset[str] = frozenset()  # "where can I *read* …": a document, not a venue
    asks_more: frozenset[str] = frozenset()  # "when … and *who* wrote it": more than a date or a place
    asks_meaning_of: tuple[str, ...] = ()  # "what does GCM *mean by* regularization": the question is about what follows
    asks_what_happens: frozenset[str] = frozenset()
    event_nouns: tuple[str, ...] = ()
    # what a calendar question in more words is about: the compact, its programme ("what's planned
    # for next year *in the compact*", "le *programme* de l'an prochain")
    calendar_subjects: frozenset[str] = frozenset()
    kinds: dict[str, tuple[str, ...]] = field(default_factory=dict, hash=False, compare=False)  # event kind → words
    vague: frozenset[str] = frozenset()
    not_typos: tuple[str, ...] = ()
    # (language, words that must all occur): questions the bot declines whatever else they match
    off_topic: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # (class, language, sentence): whole questions meaning a bot intent or "calendar", matched by meaning
    examples: tuple[tuple[str, str, str], ...] = ()

    def to_data(self) -> dict:
        """A JSON-able form (stored in the database with the rest of the content)."""
        return {
            "intents": [[i, lang, list(ws)] for i, lang, ws in self.intents],
            "synonyms": dict(self.synonyms), "places": dict(self.places), "months": dict(self.months),
            "time_words": dict(self.time_words), "period_units": dict(self.period_units), "period_shift": dict(self.period_shift),
            "asks_when_where": sorted(self.asks_when_where), "asks_for_a_text": sorted(self.asks_for_a_text),
            "asks_more": sorted(self.asks_more), "asks_meaning_of": list(self.asks_meaning_of),
            "asks_what_happens": sorted(self.asks_what_happens),
            "event_nouns": list(self.event_nouns), "calendar_subjects": sorted(self.calendar_subjects), "kinds": {k: list(v) for k, v in self.kinds.items()},
            "vague": sorted(self.vague), "not_typos": list(self.not_typos),
            "off_topic": [[lang, list(ws)] for lang, ws in self.off_topic],
            "examples": [list(e) for e in self.examples],
        }

    @classmethod
    def from_data(cls, data: dict) -> Lexicon:
        return cls(
            intents=tuple((i, lang, tuple(ws)) for i, lang, ws in data.get("intents", ())),
            synonyms=dict(data.get("synonyms", {})), places=dict(data.get("places", {})),
            months={k: int(v) for k, v in data.get("months", {}).items()},
            time_words=dict(data.get("time_words", {})), period_units=dict(data.get("period_units", {})),
            period_shift={k: int(v) for k, v in data.get("period_shift", {}).items()},
            asks_when_where=frozenset(data.get("asks_when_where", ())), asks_for_a_text=frozenset(data.get("asks_for_a_text", ())),
            asks_more=frozenset(data.get("asks_more", ())), asks_meaning_of=tuple(data.get("asks_meaning_of", ())),
            asks_what_happens=frozenset(data.get("asks_what_happens", ())),
            event_nouns=tuple(data.get("event_nouns", ())), calendar_subjects=frozenset(data.get("calendar_subjects", ())), kinds={k: tuple(v) for k, v in data.get("kinds", {}).items()},
            vague=frozenset(data.get("vague", ())), not_typos=tuple(data.get("not_typos", ())),
            off_topic=tuple((lang, tuple(ws)) for lang, ws in data.get("off_topic", ())),
            examples=tuple((c, lang, text) for c, lang, text in data.get("examples", ())),
        )


def _lines(node) -> dict:
    return node.get("__lines__", {}) if isinstance(node, dict) else {}


def _items(node) -> list[tuple[str, object]]:
    return [(k, v) for k, v in node.items() if k not in ("__line__", "__lines__")] if isinstance(node, dict) else []


def parse_lexicon(data: object, problem: Callable[[int, str], None], kinds: tuple[str, ...] = ()) -> Lexicon:
    """Validate the parsed YAML of content/lexicon.yaml; `problem(line, message)` for each problem."""
    if data is None:
        return Lexicon()
    if not isinstance(data, dict):
        problem(1, "must be a mapping of sections (" + ", ".join(SECTIONS) + ")")
        return Lexicon()
    top = _lines(data)
    def at(key: str, node: object = None, sub: object = None) -> int:
        found = _lines(node).get(str(sub)) if sub is not None else None
        return found or top.get(key, 1)

    def words_list(key: str, value: object, where: int) -> tuple[str, ...]:
        if not isinstance(value, list):
            problem(where, f"{key}: must be a list of words or phrases")
            return ()
        bad = [w for w in value if not isinstance(w, str) or not w.strip()]
        if bad:
            problem(where, f"{key}: {bad[0]!r} is not a word (quote yes, no, on, off and numbers: \"on\")")
        return tuple(w.strip() for w in value if isinstance(w, str) and w.strip())

    def mapping(key: str, value: object) -> dict:
        if not isinstance(value, dict):
            problem(top.get(key, 1), f"{key}: must be a mapping")
            return {}
        return value

    for key, _ in _items(data):
        if key not in SECTIONS:
            problem(top.get(key, 1), f"unknown section {key!r}; expected one of: {', '.join(SECTIONS)}")

    def by_class_and_language(key: str, allowed: tuple[str, ...], what: str, things: str) -> list[tuple[str, str, str]]:
        """(class, language, phrase) of a section mapping classes to {language: [phrases]}."""
        node = data.get(key, {})
        out: list[tuple[str, str, str]] = []
        for cls, by_lang in _items(mapping(key, node) if key in data else {}):
            where = at(key, node, cls)
            if cls not in allowed:
                problem(where, f"{key}: unknown {what} {cls!r}; expected one of: {', '.join(allowed)}")
                continue
            if not isinstance(by_lang, dict):
                problem(where, f"{key}: {cls}: must map languages ({', '.join(LANGS)}) to lists of {things}")
                continue
            for lang, phrases in _items(by_lang):
                line = _lines(by_lang).get(lang, where)
                if lang not in LANGS:
                    problem(line, f"{key}: {cls}: unknown language {lang!r}; expected one of: {', '.join(LANGS)}")
                    continue
                out += [(cls, lang, text) for text in words_list(f"{key}: {cls}: {lang}", phrases, line)]
        return out

    intents = [(i, lang, tuple(p.split())) for i, lang, p in by_class_and_language("intents", INTENTS, "intent", "phrases")]
    examples = by_class_and_language("examples", EXAMPLE_CLASSES, "class", "questions")

    off_topic: list[tuple[str, tuple[str, ...]]] = []
    node = data.get("off_topic", {})
    for lang, phrases in _items(mapping("off_topic", node) if "off_topic" in data else {}):
        line = at("off_topic", node, lang)
        if lang not in LANGS:
            problem(line, f"off_topic: unknown language {lang!r}; expected one of: {', '.join(LANGS)}")
            continue
        off_topic += [(lang, tuple(p.split())) for p in words_list(f"off_topic: {lang}", phrases, line)]

    def word_map(key: str, check: Callable[[object], bool], what: str) -> dict:
        node = data.get(key, {})
        out = {}
        for word, value in _items(mapping(key, node)):
            if not check(value):
                problem(at(key, node, word), f"{key}: {word!r} → {value!r}: {what}")
            else:
                out[str(word)] = value
        return out

    synonyms = word_map("synonyms", lambda v: isinstance(v, str) and bool(v.strip()), "must be a word")
    places = word_map("places", lambda v: isinstance(v, str) and bool(v.strip()), "must be a place name")

    months: dict[str, int] = {}
    node = data.get("months", {})
    for number, names in _items(mapping("months", node)):
        where = at("months", node, number)
        if not isinstance(number, int) or not 1 <= number <= 12:
            problem(where, f"months: {number!r} must be a month number 1–12")
            continue
        months.update({w: number for w in words_list(f"months: {number}", names, where)})

    time_words: dict[str, str] = {}
    node = data.get("time_words", {})
    for value, ws in _items(mapping("time_words", node)):
        where = at("time_words", node, value)
        if value not in TIME_VALUES:
            problem(where, f"time_words: {value!r} must be one of: {', '.join(TIME_VALUES)}")
            continue
        time_words.update({w: value for w in words_list(f"time_words: {value}", ws, where)})

    units: dict[str, str] = {}
    shift: dict[str, int] = {}
    node = data.get("periods", {})
    periods = mapping("periods", node) if "periods" in data else {}
    for key, value in _items(periods):
        where = at("periods", node, key)
        if key == "units":
            for word, unit in _items(value if isinstance(value, dict) else {}):
                if unit not in PERIOD_UNITS:
                    problem(_lines(value).get(word, where), f"periods: units: {word!r} → {unit!r} must be one of: {', '.join(PERIOD_UNITS)}")
                else:
                    units[word] = unit
        elif key == "shift":
            for word, n in _items(value if isinstance(value, dict) else {}):
                if not isinstance(n, int) or isinstance(n, bool) or not -1 <= n <= 1:
                    problem(_lines(value).get(word, where), f"periods: shift: {word!r} → {n!r} must be -1, 0 or 1")
                else:
                    shift[word] = n
        else:
            problem(where, f"periods: unknown key {key!r}; expected units, shift")

    kind_words: dict[str, tuple[str, ...]] = {}
    node = data.get("kinds", {})
    for kind, ws in _items(mapping("kinds", node)):
        where = at("kinds", node, kind)
        if kinds and kind not in kinds:
            problem(where, f"kinds: unknown event kind {kind!r}; expected one of: {', '.join(kinds)}")
            continue
        kind_words[kind] = words_list(f"kinds: {kind}", ws, where)

    def plain(key: str) -> tuple[str, ...]:
        return words_list(key, data[key], top.get(key, 1)) if key in data else ()

    return Lexicon(
        intents=tuple(intents), synonyms=synonyms, places=places, months=months, time_words=time_words,
        period_units=units, period_shift=shift, asks_when_where=frozenset(plain("asks_when_where")),
        asks_for_a_text=frozenset(plain("asks_for_a_text")), asks_more=frozenset(plain("asks_more")), asks_meaning_of=plain("asks_meaning_of"),
        asks_what_happens=frozenset(plain("asks_what_happens")), event_nouns=plain("event_nouns"), calendar_subjects=frozenset(plain("calendar_subjects")), kinds=kind_words,
        vague=frozenset(plain("vague")), not_typos=plain("not_typos"), off_topic=tuple(off_topic),
        examples=tuple(examples),
    )


def shipped_lexicon() -> Lexicon:
    """The lexicon of the shipped content/ (for knowledge built without one, e.g. from an older database)."""
    from gcmbot.config import _project_dir
    from gcmbot.content.loader import load_lexicon

    path = _project_dir("content") / "lexicon.yaml"
    return load_lexicon(path) if path.exists() else Lexicon()


