"""What the bot knows to answer questions: FAQ entries, events, topics, regions — and how to match them.

Everything here is pure: built once from content (files or database rows), then
queried with `today` passed in. See services/questions.py for the service around it.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
from rapidfuzz.distance import Levenshtein

from gcmbot.content.events import EventView
from gcmbot.content.lexicon import Lexicon, shipped_lexicon
from gcmbot.services.semantic import Encoder, SemanticIndex, VectorCache
from gcmbot.services.textmatch import BM25, STOPWORDS, Speller, fold, guess_lang, stem, terms, words

# --- documents ------------------------------------------------------------------------


ORDINALS = frozenset({"second", "third", "fourth"})  # stems; "first" is a time word (the earliest occasion)
OCCASION_DAYS = 7  # events of one kind starting this close together are one occasion


@dataclass(frozen=True)
class FaqDoc:
    id: str
    question: str
    answer: str
    alternatives: tuple[str, ...] = ()
    source: str = ""  # source document title
    translations: dict = field(default_factory=dict, hash=False, compare=False)  # {field: {lang: text}}
    events: tuple[str, ...] = ()  # ids of the events it explains (content/faq.yaml `events`)

    @property
    def questions(self) -> tuple[str, ...]:
        """The question in the other languages the content has."""
        return tuple((self.translations.get("question") or {}).values())

    @property
    def translated(self) -> tuple[tuple[str, str], ...]:
        """(language, text) of the translated questions and alternatives."""
        out = list((self.translations.get("question") or {}).items())
        for lang, alts in (self.translations.get("alternatives") or {}).items():
            out += [(lang, a) for a in alts]
        return tuple(out)

    @property
    def phrasings(self) -> tuple[str, ...]:
        """Other phrasings to match, in every language the content has."""
        more: list[str] = list(self.alternatives)
        more += (self.translations.get("question") or {}).values()
        for alts in (self.translations.get("alternatives") or {}).values():
            more += alts
        return tuple(more)


@dataclass(frozen=True)
class TermDoc:
    """A topic (keywords) or a region (aliases)."""

    id: str
    name: str
    words: tuple[str, ...] = ()
    thematic: bool = False


# --- word lists ------------------------------------------------------------------------

_SHIPPED: list[Lexicon] = []


def _shipped_lexicon() -> Lexicon:
    if not _SHIPPED:
        _SHIPPED.append(shipped_lexicon())
    return _SHIPPED[0]


# Bot intents, synonyms, place names, months, time words, periods, event words, kinds, filler
# words and words never spell-corrected are content: content/lexicon.yaml (gcmbot/content/lexicon.py),
# compiled by Knowledge below.
_NOT_PLACES = {"various", "to be confirmed", "tbc", ""}
MAX_EVENTS = 8
# Matched idf weight needed for full confidence (idf of a word in ~1 entry in 8 is about 2).
EVIDENCE = 3.0
# Weight of a word no entry contains, relative to the rarest known word: unknown words mean "off topic".
UNKNOWN_WEIGHT = 1.5
NAMED_WEIGHT = 2 / 3  # share of a title's word weight (idf) a question must have to name it
# A question often comes with context: "I'm a human rights lawyer. Why do NGOs push for
# regularization?". Each sentence (or a clause starting with a question word) of at least
# CLAUSE_WORDS words is embedded too, and an entry scores its best (benchmarks/faq.py: +1 point on
# two development sets none of it was tuned on; shorter clauses, or averaging, measured no better).
CLAUSE_WORDS = 6
# Sentences and comma-separated parts, for a calendar question amid chatter; a part that starts
# with one of these words goes on from the one before.
_SENTENCES = re.compile(r"(?<=[.!?؟;:,،])\s+")
_GOES_ON = frozenset(("and", "or", "y", "e", "o", "et", "ou"))
_CLAUSES = re.compile(r"(?<=[.!?؟;:])\s+|\s*[,،]\s+(?=(?:but|pero|mais|what|why|how|que|qué|quoi|comment|cómo|como|ما|شو|ايه|كيف|est-ce)\b)")


def _goes_on(seq: list[str]) -> bool:
    """Does a part start by going on from the one before ("y qué viene después")? Not the French
    "y a" ("y a des événements prévus bientôt ?": there are)."""
    return seq[0] in _GOES_ON and seq[:2] != ["y", "a"]


def _place_keys(e: EventView) -> set[str]:
    """An event's place and country, as the question parser names places."""
    return {" ".join(words(e.place)), " ".join(words(e.country))}

def _period(today: date, unit: str, shift: int) -> tuple[date, date]:
    """First and last day of the week / month / year `shift` units from today's."""
    import calendar as _calendar
    from datetime import timedelta

    if unit == "week":
        monday = today - timedelta(days=today.weekday()) + timedelta(weeks=shift)
        return monday, monday + timedelta(days=6)
    if unit == "month":
        index = today.year * 12 + today.month - 1 + shift
        year, month = divmod(index, 12)
        month += 1
        return date(year, month, 1), date(year, month, _calendar.monthrange(year, month)[1])
    return date(today.year + shift, 1, 1), date(today.year + shift, 12, 31)


# --- results ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    id: str
    question: str
    confidence: float  # fused: what the answer/suggest thresholds compare
    score: float  # BM25
    translations: dict = field(default_factory=dict, hash=False, compare=False)  # of the FAQ entry
    lexical: float = 0.0  # lexical confidence (0–1)
    semantic: float | None = None  # best cosine of the question with one of the entry's phrasings


@dataclass(frozen=True)
class Tuning:
    """How lexical and semantic evidence are fused, and the confidence bands.

    Chosen by measurement (benchmarks/faq.py --tune, and sweeps of the class and event settings) on
    the "tune" half of tests/data/questions.yaml, questions_tune_extra.yaml, questions_tune_bot.yaml,
    the held-out sets and the dev-5 set (all looked at while tuning, so tuning data); reported on
    the "test" half and on each blind held-out set at its first look (README "Questions").
    """

    fusion: str = "weighted"  # lexical (no encoder), max, weighted, rrf
    weight: float = 0.3  # share of the lexical confidence in the weighted sum
    # … for a question in Spanish, French or Arabic: there the encoder's cosines bunch together
    # (the same "¿Qué dice … sobre …?" pattern scores high whatever the subject), so words count more.
    weight_other: float = 0.5
    sem_lo: float = 0.25  # cosine mapped to semantic confidence 0 …
    sem_hi: float = 0.9  # … and to 1
    answer_at: float = 0.45
    suggest_at: float = 0.3
    margin: float = 0.05  # the best must lead the second by this much to be answered
    lex_min: float = 0.15  # an outright answer needs this much lexical confidence …
    sem_sure: float = 0.75  # … unless the encoder alone is this sure (cosine)
    key_word: bool = True  # not outright when the best leaves out the question's rarest word another has
    rrf_k: float = 10.0
    # A question close to an `examples` sentence of the lexicon (a bot intent, "calendar") by this
    # cosine, and closer to it by `class_margin` than to every FAQ phrasing, means that class.
    class_at: float = 0.5
    class_margin: float = 0.08
    sem_same: float = 0.9  # a cosine this high is the same sentence, in other words
    class_lead: float = 0.05  # … and by this much than to any other class (stop and start sit close)
    # With an FAQ candidate this confident, only an explicit when/where makes an event question
    # ("who ran the 2017 consultations?" is about the organisers, not a list of 2017 events).
    event_faq_at: float = 0.25
    overrule_margin: float = 0.1  # an intent's words are overruled by an FAQ phrasing this much nearer
    # A time word and the compact or its events, near a "calendar" example by this cosine, with no
    # confident FAQ entry and nothing named: a calendar question in more words than filler
    # ("c quoi le programme pour l'année prochaine", "ما آخر المستجدات المتعلقة بالميثاق مؤخرا؟").
    loose_calendar_at: float = 0.45
    # A question of this many words or more gets "Did you mean" from suggest_at minus this.
    long_words: int = 12
    long_suggest_drop: float = 0.05

    def agrees(self, best: Candidate) -> bool:
        """May `best` be answered outright? Not on the encoder alone unless it is very sure:
        short vague questions ("what?") sit close to short generic phrasings."""
        if self.fusion == "lexical" or best.semantic is None:
            return True
        return best.lexical >= self.lex_min or best.semantic >= self.sem_sure


# Without an encoder: the lexical confidence alone, with the bands measured for it (issue 7).
LEXICAL = Tuning(fusion="lexical", answer_at=0.62, suggest_at=0.35, margin=0.0, lex_min=0.0, key_word=False, event_faq_at=1.0,
                 long_suggest_drop=0.0)
FUSED = Tuning()


@dataclass(frozen=True)
class Parsed:
    """A question after spelling correction, with what the event matcher recognised."""

    words: tuple[str, ...]
    unknown: tuple[str, ...]
    terms: tuple[str, ...]
    corrections: tuple[tuple[str, str], ...] = ()
    lang: str = "en"  # the language the question seems to be in (for stemming)
    places: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    kinds: frozenset[str] = frozenset()
    topics: frozenset[str] = frozenset()
    months: frozenset[int] = frozenset()
    years: frozenset[int] = frozenset()
    time: str | None = None
    period: tuple[str, int] | None = None  # ("month", -1) for "last month"
    vague: bool = False  # only time words and filler: "what's next?"
    asks_when_where: bool = False
    asks_what_happens: bool = False
    event_noun: bool = False
    off_topic: bool = False  # a person's job, visa, asylum claim… (lexicon `off_topic`): declined
    asks_more: bool = False  # who / why / how many / what for, beside any when or where
    named: frozenset[str] = frozenset()  # titles of the events the question names (Knowledge.named_events)


@dataclass(frozen=True)
class EventMatch:
    events: tuple[EventView, ...]
    total: int  # how many matched before cutting to MAX_EVENTS
    no_upcoming: bool = False  # "next" asked but nothing is ahead: the latest past one is shown
    none_of_that_kind: bool = False  # "a consultation in December": none then; what the month has is shown
    period: tuple[date, date] | None = None  # the days asked about ("last month"), if any


class _Phrases:
    """Which labelled phrases (lists of words) occur in a word sequence; indexed by first word."""

    def __init__(self, items: list[tuple[str, list[str]]]) -> None:
        self._by_first: dict[str, list[tuple[str, list[str]]]] = {}
        for label, phrase in items:
            if phrase:
                self._by_first.setdefault(phrase[0], []).append((label, phrase))

    def starting(self, word: str) -> list[tuple[str, list[str]]]:
        """The (label, phrase) pairs whose phrase starts with `word`."""
        return self._by_first.get(word, [])

    def find(self, seq: list[str]) -> frozenset[str]:
        found = set()
        for i, w in enumerate(seq):
            for label, phrase in self._by_first.get(w, ()):
                if seq[i : i + len(phrase)] == phrase:
                    found.add(label)
        return frozenset(found)


@dataclass
class Knowledge:
    faqs: list[FaqDoc]
    events: list[EventView]
    topics: list[TermDoc] = field(default_factory=list)
    regions: list[TermDoc] = field(default_factory=list)
    lexicon: Lexicon | None = None  # content/lexicon.yaml; None: the shipped one

    def _compile_lexicon(self) -> None:
        lex = self.lexicon if self.lexicon is not None else _shipped_lexicon()
        self.lexicon = lex
        self._intent_patterns = tuple(
            (intent, lang, frozenset(stem(w, lang) for w in words(" ".join(phrase)))) for intent, lang, phrase in lex.intents
        )
        self._synonyms = {fold(k): fold(v) for k, v in lex.synonyms.items() if " " not in k.strip()}
        # Phrases ("nations unies: un"): replaced in the question before the event words are read.
        self._phrase_synonyms = [(re.compile(r"\b" + re.escape(" ".join(words(k))) + r"\b"), " ".join(words(v)))
                                 for k, v in lex.synonyms.items() if " " in k.strip()]
        self._place_aliases = {" ".join(words(k)): " ".join(words(v)) for k, v in lex.places.items()}
        self._months = {fold(k): n for k, n in lex.months.items() if len(words(k)) == 1}
        self._month_phrases = _Phrases([(str(n), words(k)) for k, n in lex.months.items() if len(words(k)) > 1])
        self._time_words = {fold(k): v for k, v in lex.time_words.items()}
        self._period_units = {fold(k): v for k, v in lex.period_units.items()}
        self._period_shift = {fold(k): v for k, v in lex.period_shift.items()}
        self._asks_when_where = frozenset(fold(w) for w in lex.asks_when_where)
        self._asks_for_a_text = frozenset(fold(w) for w in lex.asks_for_a_text)
        self._asks_more = frozenset(fold(w) for w in lex.asks_more)
        self._meaning_of = _Phrases([(p, words(p)) for p in lex.asks_meaning_of])
        self._asks_what_happens = frozenset(fold(w) for w in lex.asks_what_happens)
        self._event_nouns = frozenset(stem(fold(w)) for w in lex.event_nouns)
        self._calendar_subjects = frozenset(fold(w) for w in lex.calendar_subjects)
        self._generic_nouns = frozenset(stem(w) for w in ("event", "events", "days"))  # name no kind of event
        self._kind_words: dict[str, set[str]] = {}
        for kind, ws in lex.kinds.items():
            for w in ws:
                self._kind_words.setdefault(stem(fold(w)), set()).add(kind)
        self._vague = frozenset(fold(w) for w in lex.vague)
        self._off_topic = tuple((lang, frozenset(stem(w, lang) for w in words(" ".join(phrase))), frozenset(words(" ".join(phrase))))
                                for lang, phrase in lex.off_topic)
        # Example sentences by class (a bot intent or "calendar"), matched by meaning.
        by_class = sorted(lex.examples, key=lambda e: e[0])  # grouped, so each class's vectors are contiguous
        self._classes = tuple(dict.fromkeys(c for c, _, _ in by_class))
        self._class_examples = [(self._classes.index(c), text) for c, _, text in by_class]
        # … and the content words of each class's sentences, stemmed in their language.
        self._class_terms: dict[str, set[str]] = {}
        for c, lang, text in lex.examples:
            self._class_terms.setdefault(c, set()).update(terms(text, lang))
        # Filler words ("what", "شو") share no subject: they never count as a word in common.
        filler = {fold(w) for w in lex.vague} - {fold(w) for w in (*lex.time_words, *lex.period_units, *lex.period_shift)}
        self._filler_terms = {stem(w, lang) for w in filler for lang in ("en", "es", "fr", "ar")}

    def __post_init__(self) -> None:
        self._compile_lexicon()
        self.faq_by_id = {f.id: f for f in self.faqs}
        self._faq_index = {f.id: i for i, f in enumerate(self.faqs)}
        self.semantic: SemanticIndex | None = None
        # Phrasings (question + alternatives) each a document; whole entries another index.
        # Translated phrasings get their own index, so they never change how English is weighed.
        self._phrasing_indexes = []
        # Each text is stemmed in its own language (Snowball: en, es, fr, ar).
        for texts_of in (lambda f: [("en", t) for t in (f.question, *f.alternatives)], lambda f: f.translated):
            owner: list[int] = []
            phrasings: list[list[str]] = []
            for i, f in enumerate(self.faqs):
                for lang, text in texts_of(f):
                    phrasings.append(terms(text, lang))
                    owner.append(i)
            self._phrasing_indexes.append((BM25(phrasings), np.asarray(owner, dtype=np.int64),
                                           np.array([len(set(p)) for p in phrasings], dtype=np.float64)))
        # Whole entries (English); the words of translated phrasings count as evidence for their entry.
        entries = [terms(" ".join((f.question, *f.alternatives, f.answer))) for f in self.faqs]
        self._entries = BM25(entries)
        self._entry_sets = [set(e).union(*(terms(text, lang) for lang, text in f.translated)) for e, f in zip(entries, self.faqs)]
        idf = self._entries.idf
        self._max_idf = max(idf.values(), default=1.0)
        # How specific a word is, over entries in every language (for `misses_key_word`).
        entry_df = Counter(t for e in self._entry_sets for t in e)
        having: dict[str, list[int]] = {}
        for i, e in enumerate(self._entry_sets):
            for t in e:
                having.setdefault(t, []).append(i)
        self._entry_postings = {t: np.asarray(ix, dtype=np.int64) for t, ix in having.items()}  # term → entries with it
        self._entry_idf = {t: math.log(len(self.faqs) / c) for t, c in entry_df.items()}

        # Events: title words (for "second round", "civil society days", …), places.
        # Each title's words in English and, stemmed in their language, in its translations (one set
        # per language, for naming an event: "when is International Migrants Day"); all of them together.
        self._titles_by_lang = [
            [set(terms(e.title))] + [set(terms(t, lang)) for lang, t in ((e.translations or {}).get("title") or {}).items()]
            for e in self.events
        ]
        self._title_terms = [set().union(*titles) for titles in self._titles_by_lang]
        df = Counter(t for s in self._title_terms for t in s)
        n = max(len(self.events), 1)
        self._title_idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        self._places: dict[str, list[str]] = {}
        for e in self.events:
            for name in (e.place, e.country):
                key = " ".join(words(name))
                if key not in _NOT_PLACES and "confirmed" not in key and "various" not in key:
                    self._places.setdefault(key, key.split())
        for alias, target in self._place_aliases.items():
            if target in self._places:
                self._places.setdefault(alias, alias.split())
        self._place_target = {k: self._place_aliases.get(k, k) for k in self._places}
        self._region_phrases = _Phrases([
            (r.id, words(w)) for r in self.regions for w in (r.name, *r.words) if len(fold(w)) > 2
        ])
        self._topic_phrases = _Phrases([
            (t.id, [stem(w) for w in words(k)])
            for t in self.topics for k in t.words
            if not ({stem(w) for w in words(k)} & (self._event_nouns | set(self._kind_words)))
        ])
        self._place_phrases = _Phrases([(k, phrase) for k, phrase in self._places.items()])

        # Spelling: every word the bot could recognise.
        vocab: Counter = Counter()
        for f in self.faqs:
            vocab.update(words(" ".join((f.question, *f.phrasings, f.answer))))
        for e in self.events:
            vocab.update(words(" ".join((e.title, e.theme, e.place, e.country))))
        for t in (*self.topics, *self.regions):
            vocab.update(words(" ".join((t.name, *t.words))))
        lex = self.lexicon
        for _, _, phrase in lex.intents:
            vocab.update(words(" ".join(phrase)))
        vocab.update(list(self._synonyms))
        vocab.update(w for a in self._place_aliases for w in a.split())
        vocab.update(self._asks_when_where | self._asks_what_happens | self._asks_for_a_text | self._asks_more)
        vocab.update(list(self._time_words))
        vocab.update(list(self._months))
        vocab.update(w for k in lex.months for w in words(k))
        vocab.update(("imrf", "review", "reviews", "forum"))
        vocab.update(STOPWORDS)
        vocab.update(fold(w) for w in lex.not_typos)
        vocab.update(w for _, phrase in lex.off_topic for w in words(" ".join(phrase)))  # never "corrected" away
        vocab.update(self._vague)
        vocab.update(w for _, text in self._class_examples for w in words(text))
        vocab.update(("unsubscribe", "subscribe", "digest", "settings", "region", "regions", "delete", "data"))
        self.speller = Speller(vocab, vocab)
        # A question in English is never "corrected" into a word only the translations use
        # ("life" is not the French "lieu", "joke" not the Spanish "José").
        english: set[str] = set()
        for f in self.faqs:
            english.update(words(" ".join((f.question, *f.alternatives, f.answer))))
        for e in self.events:
            english.update(words(" ".join((e.title, e.theme, e.place, e.country))))
        foreign = {w for f in self.faqs for _, text in f.translated for w in words(text)} - english
        self._speller_en = Speller(vocab, vocab, targets=[w for w in vocab if w not in foreign])

    # --- parsing -------------------------------------------------------------------------

    def subject_of(self, text: str) -> str:
        """The words a "what does X mean by Y" question asks about (lexicon `asks_meaning_of`): "what
        does GCM mean by regularization" asks what regularization is, not what GCM stands for.
        Other questions come back as they are."""
        seq = words(text)
        for i, w in enumerate(seq[:7]):
            for _, phrase in self._meaning_of.starting(w):
                if seq[i : i + len(phrase)] == phrase and len(seq) > i + len(phrase):
                    return " ".join(seq[i + len(phrase):])
        return text

    def parse(self, text: str) -> Parsed:
        raw = words(text)
        lang = guess_lang(raw)
        fixed, unknown = (self._speller_en if lang == "en" else self.speller).correct_words(raw)
        corrections = tuple((a, b) for a, b in zip(raw, fixed) if a != b)
        # FAQ terms: each word stemmed in the question's language, and, when it has an English
        # synonym (consulta → consultation), that too, so entries not yet translated are found.
        content: list[str] = []
        for w in fixed:
            if w not in STOPWORDS:
                content.append(stem(w, lang))
            other = self._synonyms.get(w)
            if other and other not in STOPWORDS:
                content.append(stem(other))
        content_terms = tuple(dict.fromkeys(content))
        # Event vocabulary is English: map synonyms, stem in English.
        fixed = [self._synonyms.get(w, w) for w in fixed]
        joined = " ".join(fixed).replace("stock taking", "stocktaking")
        for pattern, replacement in self._phrase_synonyms:
            joined = pattern.sub(replacement, joined)
        fixed = joined.split()
        stems = [stem(w) for w in fixed]

        # A place reached only by a bold spelling correction is no place ("viven" is not "Viena"):
        # places filter events hard, so a guess two letters away must not choose them.
        far = {b for a, b in corrections if Levenshtein.distance(a, b) > 1}
        far |= {self._synonyms[b] for b in far if b in self._synonyms}
        places = frozenset(self._place_target[k] for k in self._place_phrases.find([w for w in fixed if w not in far]))
        regions = self._region_phrases.find(fixed) if not places else frozenset()
        kinds: set[str] = set()
        for s in stems:
            kinds |= self._kind_words.get(s, set())
        # "regional review(s)" is one kind, "IMRF" / "migration review forum" the other.
        if "regional" in fixed and any(w.startswith("review") for w in fixed):
            kinds = {"regional-review"}
        if "imrf" in fixed or {"migration", "review", "forum"} <= set(fixed) or {"review", "forum"} <= set(fixed):
            kinds = {"review-forum"}
        if "regional-civil-society" in kinds and {"civil", "intergovernmental"} & set(fixed):
            kinds -= {"regional-intergovernmental"} if "civil" in fixed else {"regional-civil-society"}
        topics = self._topic_phrases.find(stems)
        months = frozenset(self._months[w] for w in fixed if w in self._months and w not in ("may", "mar"))
        months |= frozenset(int(n) for n in self._month_phrases.find(fixed))
        # "may" is a month only next to a year or "in": "in May", "May 2017".
        for i, w in enumerate(fixed):
            if w in ("may", "mar") and w in self._months and ((i and fixed[i - 1] == "in") or (i + 1 < len(fixed) and re.fullmatch(r"(19|20)\d\d", fixed[i + 1]))):
                months = months | {self._months[w]}
        years = frozenset(int(w) for w in fixed if re.fullmatch(r"(19|20)\d\d", w))
        time = next((self._time_words[w] for w in fixed if w in self._time_words), None)
        period = None
        for i in range(len(fixed) - 1):
            a, b = fixed[i], fixed[i + 1]
            if a in self._period_shift and b in self._period_units:  # "last month", "ce mois"
                period = (self._period_units[b], self._period_shift[a])
                break
            if a in self._period_units and b in self._period_shift:  # "el mes pasado", "الشهر الماضي"
                period = (self._period_units[a], self._period_shift[b])
                break
        if period and time in ("next", "last") and fixed.count("next") + fixed.count("last") + fixed.count("coming") <= 1:
            time = None  # "last month" names a period, not "the last one"
        # Filler, time words and at most one year: "what's next?", "¿qué hay en agenda pal 2027?".
        year_words = {str(y) for y in years}
        # Function words never make a question specific, unless they ask who, why or how many.
        filler = self._vague | (STOPWORDS - self._asks_more)
        vague = bool(fixed) and all(w in filler or w in self._time_words or w in year_words for w in fixed) and (
            time is not None or period is not None or 1 <= len(years) <= 2)
        return Parsed(
            words=tuple(fixed), unknown=tuple(unknown), terms=content_terms, corrections=corrections, lang=lang,
            places=places, regions=regions, kinds=frozenset(kinds), topics=topics, months=months, years=years, time=time,
            period=period, vague=vague,
            # "where can I read the declaration?" asks for a document, not a venue ("when" still asks).
            asks_when_where=bool(self._asks_when_where & set(fixed)) and not (
                self._asks_for_a_text & set(fixed) and not ({"when", "date", "dates"} & set(fixed))),
            asks_what_happens=bool(self._asks_what_happens & set(fixed)),
            event_noun=bool(self._event_nouns & set(stems)),
            off_topic=self._is_off_topic(raw, fixed, lang),
            asks_more=bool(self._asks_more & set(fixed)),
            named=self.named_events(content_terms),
        )

    def _is_off_topic(self, raw: list[str], fixed: list[str], lang: str) -> bool:
        """Does the question name something the bot does not answer (lexicon `off_topic`)?"""
        # As for intents, a short word reached only by spelling correction does not count
        # ("para qué nos vamos a *meter*" is not "météo").
        guessed = {b for a, b in zip(raw, fixed) if a != b and len(a) <= 6}
        typed = {*raw, *(w for w in fixed if w not in guessed)}
        seen: dict[str, set[str]] = {}
        for pattern_lang, pattern, exact in self._off_topic:
            if pattern_lang != lang:
                # Another language's words must be typed as they are: stemmed, an English "employer"
                # is French "emploi".
                if exact <= typed:
                    return True
                continue
            stems = seen.get(lang)
            if stems is None:
                stems = seen[lang] = {stem(w, lang) for w in typed}
            if pattern <= stems:
                return True
        return False

    # --- bot intents -----------------------------------------------------------------------

    def intent(self, parsed: Parsed) -> str | None:
        """The bot intent whose words (lexicon `intents`) all occur in the question, if any."""
        # Each pattern is compared with the question stemmed in the pattern's language. A short
        # word reached only by spelling correction does not count ("ça sert" is not "settings",
        # "une bonne recette" is not "abonné", "les règles" not "réglages").
        guessed = {b for a, b in parsed.corrections if len(a) <= 6}
        typed = [w for w in parsed.words if w not in guessed]
        by_lang: dict[str, set[str]] = {}
        for intent, lang, pattern in self._intent_patterns:  # in the lexicon's order
            stems = by_lang.get(lang)
            if stems is None:
                stems = by_lang[lang] = {stem(w, lang) for w in typed}
            if pattern <= stems:
                return intent
        return None

    # --- FAQ ------------------------------------------------------------------------------

    def attach_encoder(self, encoder: Encoder | None, cache: VectorCache | None = None) -> None:
        """Embed every FAQ question, alternative and translation (vectors from `cache` where it has them)."""
        if encoder is None:
            self.semantic = None
            return
        texts, owner = [], []
        for i, f in enumerate(self.faqs):
            for text in dict.fromkeys((f.question, *f.phrasings)):
                texts.append(text)
                owner.append(i)
        # The lexicon's example sentences follow, owned by "entries" after the last FAQ entry.
        for c, text in self._class_examples:
            texts.append(text)
            owner.append(len(self.faqs) + c)
        self.semantic = SemanticIndex(encoder, texts, owner, len(self.faqs) + len(self._classes), cache)

    @property
    def tuning(self) -> Tuning:
        return FUSED if self.semantic is not None else LEXICAL

    def semantic_scores(self, text: str):
        """Best cosine per FAQ entry (numpy array), or None without an encoder."""
        found = self.semantic_all(text)
        return None if found is None else found[0]

    def semantic_all(self, text: str) -> tuple[np.ndarray, dict[str, float]] | None:
        """(best cosine per FAQ entry, best cosine per example class), one encoding; None without an encoder."""
        if self.semantic is None:
            return None
        sims = self.semantic.scores(text)
        n = len(self.faqs)
        return sims[:n], {c: float(sims[n + i]) for i, c in enumerate(self._classes)}

    def with_clauses(self, text: str, faq_cos: np.ndarray) -> np.ndarray:
        """`faq_cos` (the whole question's cosines), raised to each long clause's where higher:
        the question after its context ("I'm a lawyer. Why …?") is matched on its own too.
        Bot and calendar classes are decided on the whole question, before this."""
        clauses = [c for c in _CLAUSES.split(text) if c and len(words(c)) >= CLAUSE_WORDS]
        if self.semantic is None or len(clauses) < 2:
            return faq_cos
        n = len(self.faqs)
        for clause in clauses:
            faq_cos = np.maximum(faq_cos, self.semantic.scores(clause)[:n])
        return faq_cos

    def intent_overruled(self, intent: str, parsed: Parsed, faq_cos, class_cos: dict[str, float],
                         tuning: Tuning | None = None) -> bool:
        """Do the intent's words occur by chance in a question about the compact? ("what did
        governments sign up to in 2018?"): the encoder puts it much nearer an FAQ phrasing
        than any example of the intent, and the FAQ shares words with it too."""
        tuning = tuning or self.tuning
        if intent not in class_cos or not len(faq_cos):
            return False
        nearest = float(np.max(faq_cos))
        # An entry that answers with the intent's own command (one of the three nearest) is no other
        # subject: "how do I sign up to get these updates?" is /start, although the get-updates
        # entry (which says "send /start") is nearer.
        if any(f"/{intent}" in self.faqs[int(i)].answer for i in np.argsort(-np.asarray(faq_cos))[:3]):
            return False
        # Only an FAQ phrasing the question is really near can overrule ("شو الأوامر اللي عندك؟" is
        # far from the FAQ and from the help examples alike: its word "commands" stands).
        if nearest < class_cos[intent] + tuning.overrule_margin or nearest < tuning.class_at:
            return False
        return float(np.max(self.lexical_arrays(parsed)[1], initial=0.0)) >= tuning.lex_min

    def semantic_class(self, faq_cos, class_cos: dict[str, float], parsed: Parsed, tuning: Tuning | None = None) -> str | None:
        """The example class (bot intent or "calendar") the question means, by the encoder: close
        to one of its sentences, and closer than to any FAQ phrasing. "calendar" only when the
        question names nothing (no place, region, kind, topic, month or year)."""
        tuning = tuning or self.tuning
        if not class_cos:
            return None
        ranked = sorted(class_cos, key=lambda c: (-class_cos[c], c))
        best, cos = ranked[0], class_cos[ranked[0]]
        runner_up = class_cos[ranked[1]] if len(ranked) > 1 else -1.0
        faq_best = float(np.max(faq_cos)) if len(faq_cos) else -1.0
        if cos < tuning.class_at or cos < faq_best + tuning.class_margin or cos < runner_up + tuning.class_lead:
            return None
        # Meaning alone is not enough unless nearly the same sentence: the question must share a
        # content word with the class's sentences ("tell me everything" is near "erase all my data").
        if cos < tuning.sem_same and not (self._class_terms.get(best, set()) & set(parsed.terms) - self._filler_terms):
            return None
        if best == "calendar" and (self.names_something(parsed) or parsed.months):
            return None
        if best == "digest" and parsed.kinds:
            # Which day an event of a kind falls on is not which day the digest comes ("l'anniversaire
            # de l'adoption à Marrakech, c'est quel jour, cette semaine ?").
            return None
        return best

    def lexical_faq(self, parsed: Parsed) -> dict[int, tuple[float, float]]:
        """{entry index: (lexical confidence 0–1, BM25 score)} for entries sharing a term with the question."""
        matched, conf, score = self.lexical_arrays(parsed)
        return {int(i): (float(conf[i]), float(score[i])) for i in np.flatnonzero(matched)}

    def lexical_arrays(self, parsed: Parsed) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per entry: (shares a term with the question?, lexical confidence 0–1, BM25 score).

        Confidence is the share of the question's weight (idf) an entry explains — in
        one of its phrasings and in its whole text — scaled down when the matched words
        carry little evidence (a lone common word like "migration", or a word only
        reached by spelling correction). Computed with numpy over each term's postings:
        no Python loop over entries or phrasings (benchmarks/faq.py, 500 entries).
        """
        n = len(self.faqs)
        query = list(dict.fromkeys(parsed.terms))
        if not query or not n:
            return np.zeros(n, dtype=bool), np.zeros(n), np.zeros(n)
        idf = self._entries.idf
        corrected = {stem(b, parsed.lang) for _, b in parsed.corrections}
        weight = {t: idf.get(t, UNKNOWN_WEIGHT * self._max_idf) for t in query}
        total = sum(weight.values())
        bm_entry = self._entries.score_array(query)
        matched = bm_entry > 0
        best_ph = np.zeros(n)
        cover_ph = np.zeros(n)
        for index, owner, distinct in self._phrasing_indexes:
            covered = np.zeros(len(owner))
            hits = np.zeros(len(owner))
            for t in query:
                found = index.arrays.get(t)
                if found is not None:
                    covered[found[0]] += weight[t]
                    hits[found[0]] += 1
            hit = hits > 0
            if not hit.any():
                continue
            # A phrasing that says much more than the question matches it less well.
            value = covered[hit] / total - 0.04 * (distinct[hit] - hits[hit])
            np.maximum.at(best_ph, owner[hit], index.score_array(query)[hit])
            np.maximum.at(cover_ph, owner[hit], value)
            matched[owner[hit]] = True
        cover_all = np.zeros(n)
        evidence = np.zeros(n)
        for t in query:
            entries = self._entry_postings.get(t)
            if entries is not None:
                cover_all[entries] += weight[t]
                evidence[entries] += weight[t] * (0.5 if t in corrected else 1.0)
        conf = np.maximum(0.0, 0.6 * cover_ph + 0.4 * (cover_all / total)) * np.minimum(1.0, evidence / EVIDENCE)
        score = best_ph + 0.3 * bm_entry
        return matched, np.where(matched, conf, 0.0), np.where(matched, score, 0.0)

    def misses_key_word(self, parsed: Parsed, best: Candidate, others: list[Candidate]) -> bool:
        """Does `best` leave out the question's most specific word while another candidate has it?

        "what does GCM mean by regularization": the GCM entry explains "GCM" and "mean" but not
        "regularization", which the regularization entry has: too unsure to answer outright.
        """
        idf = self._entry_idf
        known = [t for t in parsed.terms if t in idf]
        if not known or best.id not in self._faq_index:
            return False
        key = max(known, key=lambda t: (idf[t], t))
        if key in self._entry_sets[self._faq_index[best.id]]:
            return False
        return any(key in self._entry_sets[self._faq_index[c.id]] for c in others if c.id in self._faq_index)

    def search_faq(self, parsed: Parsed, limit: int = 5, semantic=None, tuning: Tuning | None = None) -> list[Candidate]:
        """FAQ entries ranked by fused confidence (0–1): lexical, and semantic when `semantic`
        (best cosine per entry, from `semantic_scores`) is given."""
        tuning = tuning or self.tuning
        matched, lex, bm25 = self.lexical_arrays(parsed)
        use_sem = semantic is not None and tuning.fusion != "lexical"
        if not use_sem:
            rows = sorted(np.flatnonzero(matched).tolist(), key=lambda i: (-(lex[i] + 0.01 * bm25[i]), self.faqs[i].id))[:limit]
            return [self._candidate(i, float(lex[i]), float(lex[i]), float(bm25[i]), None) for i in rows]
        n = len(self.faqs)
        cos = np.asarray(semantic, dtype=np.float64)
        sem_conf = np.clip((cos - tuning.sem_lo) / max(tuning.sem_hi - tuning.sem_lo, 1e-6), 0.0, 1.0)
        weight = tuning.weight if parsed.lang == "en" else tuning.weight_other
        fused = weight * lex + (1 - weight) * sem_conf
        if tuning.fusion == "max":
            fused = np.maximum(lex, sem_conf)
            order = fused + 0.01 * bm25
        elif tuning.fusion == "rrf":
            # Rank fusion orders; the weighted sum says how sure.
            rank_lex = np.empty(n)
            rank_lex[np.lexsort((-bm25, -lex))] = np.arange(n)
            rank_sem = np.empty(n)
            rank_sem[np.argsort(-cos, kind="stable")] = np.arange(n)
            order = 1 / (tuning.rrf_k + rank_lex) + 1 / (tuning.rrf_k + rank_sem) + 0.0001 * bm25
        else:
            order = fused + 0.01 * bm25  # BM25 breaks near-ties
        k = min(limit, n)
        top = np.argpartition(-order, k - 1)[:k] if k < n else np.arange(n)
        ranked = sorted(top.tolist(), key=lambda i: (-order[i], self.faqs[i].id))
        return [self._candidate(i, float(fused[i]), float(lex[i]), float(bm25[i]), float(cos[i])) for i in ranked]

    def _candidate(self, i: int, confidence: float, lexical: float, score: float, cos: float | None) -> Candidate:
        f = self.faqs[i]
        return Candidate(f.id, f.question, round(confidence, 4), round(score, 4), f.translations,
                         lexical=round(lexical, 4), semantic=None if cos is None else round(cos, 4))

    # --- events ---------------------------------------------------------------------------

    def names_something(self, parsed: Parsed) -> bool:
        """A place, region, kind, year or thematic topic: what a calendar question does not name
        ("the migration compact" is the subject of everything, not a topic that narrows it)."""
        thematic = any(t.thematic for t in self.topics if t.id in parsed.topics)
        return bool(parsed.places or parsed.regions or parsed.kinds or parsed.years or thematic)

    def is_calendar_question(self, parsed: Parsed) -> bool:
        """A question about the calendar itself, relative to today: "what's next?", "anything
        coming up?", "what happened last month?" — nothing else named."""
        # A year alone is the period asked about ("what's planned for 2027?"), not something named.
        named = self.names_something(dataclasses.replace(parsed, years=frozenset()))
        return bool(parsed.vague and not named)

    def loosely_calendar(self, parsed: Parsed, calendar_cos: float | None, tuning: Tuning | None = None) -> bool:
        """A calendar question with a word or a clause more than `is_calendar_question` allows:
        a time word, the compact or its events (lexicon `calendar_subjects`, event nouns), nothing
        named and nothing off-topic, and a meaning near the lexicon's calendar examples."""
        tuning = tuning or self.tuning
        # A kind may narrow it ("the most recent milestones in the follow-up and review"): the
        # caller lists that kind's events for the time asked.
        if parsed.off_topic or parsed.named or parsed.places or self.names_something(dataclasses.replace(parsed, years=frozenset(), kinds=frozenset())):
            return False
        # "next" or "last", a period or one year: not "first" ("where was the first of those meetings?");
        # with a kind, not a year alone ("participar hoy en la revisión del pacto, no lo de 2017").
        timed = parsed.time in ("next", "last") or parsed.period is not None or (1 <= len(parsed.years) <= 2 and not parsed.kinds) or bool(parsed.months)
        if timed:
            about = parsed.event_noun or bool(self._calendar_subjects & set(parsed.words))
            if about and calendar_cos is not None and calendar_cos >= tuning.loose_calendar_at:
                return True
        return False

    def has_calendar_sentence(self, text: str) -> bool:
        """Is one sentence (or comma-separated part) of a longer question a calendar question on
        its own, with a time word? "What has happened on the compact lately? I've been offline for
        months.", "been buried in casework for months, what happened lately with the compact?"
        (not a year alone: "…, no lo de 2017, lo de ahora" is no calendar question; "¿qué hay
        planeado para 2027 o 2028? …" is)."""
        # A part that goes on from the one before ("…, y qué viene después?") is not a question of its own.
        sentences = [" ".join(seq) for seq in map(words, _SENTENCES.split(text)) if seq and not _goes_on(seq)]
        return len(sentences) > 1 and any(
            self.is_calendar_question(p) and (p.time or p.period or (p.years and self._calendar_subjects & set(p.words)))
            for p in map(self.parse, sentences))

    def calendar_window(self, parsed: Parsed, today: date, limit: int = 5) -> EventMatch:
        """Events for a calendar question: what comes next (`no_upcoming` with the latest held
        one when nothing is ahead), or what falls in "last month", "this year", "next week"."""
        alive = [e for e in self.events if e.status != "cancelled"]
        if parsed.period or 1 <= len(parsed.years) <= 2:
            unit, shift = parsed.period or ("year", min(parsed.years) - today.year)
            first, last = _period(today, unit, shift)
            if not parsed.period and len(parsed.years) == 2:  # "2027 o 2028": both years
                last = date(max(parsed.years), 12, 31)
            found = [e for e in alive if e.start.value <= last and e.last_day >= first
                     and (e.start.precision != "year" or unit == "year")]  # "2026" says nothing of last month
            found.sort(key=lambda e: (e.start.sort_day, e.id))
            return EventMatch(tuple(found[:limit]), len(found), period=(first, last))
        if parsed.time == "last":
            past = sorted((e for e in alive if e.last_day < today), key=lambda e: (e.last_day, e.id))
            return EventMatch(tuple(past[-1:]), min(len(past), 1))
        # Under way or ahead; something known only to "this year" comes after what has a date.
        ahead = sorted((e for e in alive if e.last_day >= today),
                       key=lambda e: (e.start.sort_day if e.start.value >= today else e.last_day, e.id))
        if ahead:
            return EventMatch(tuple(ahead[:limit]), len(ahead))
        past = sorted((e for e in alive if e.last_day < today), key=lambda e: (e.last_day, e.id))
        return EventMatch(tuple(past[-1:]), 1 if past else 0, no_upcoming=True)

    def named_events(self, question_terms: tuple[str, ...]) -> frozenset[str]:
        """Titles of the events a question's terms name, in any of their languages: at least two of
        a title's words carrying two thirds of its word weight, that name no more than two titles ("International
        Migrants Day", "Día Internacional del Migrante"; not "the review forum", a series)."""
        asked = set(question_terms)
        best: frozenset[str] = frozenset()
        best_hit = 0
        for titles in self._titles_by_lang:
            for title in titles:
                hit = title & asked
                # Two thirds of the title's word weight (idf over titles): its rare words name it
                # ("Progress Declaration", not "General Assembly adopts"; "draft" and "compact" are
                # not "Zero draft of the compact").
                weight = sum(self._title_idf.get(t, 0.0) for t in hit) / max(sum(self._title_idf.get(t, 0.0) for t in title), 1e-9)
                if len(hit) >= 2 and weight >= NAMED_WEIGHT and len(hit) > best_hit:
                    named = frozenset(e.title for e, other in zip(self.events, self._titles_by_lang) if any(hit <= t for t in other))
                    if len(named) <= 2:  # a yearly day is one title, however many years are listed
                        best, best_hit = named, len(hit)
        return best

    def is_event_question(self, parsed: Parsed, *, strong_only: bool = False) -> bool:
        """Does the question ask when/where something happens, naming what? With `strong_only`,
        only an explicit when/where/date counts (a good FAQ match wins over "what happened …")."""
        constraint = bool(parsed.places or parsed.regions or parsed.kinds or parsed.months or parsed.years) or (
            (parsed.asks_when_where or parsed.asks_what_happens) and bool(parsed.named))  # "what day is Migrants Day?"
        topical = bool(parsed.topics) and parsed.event_noun
        # "anything coming up in Asia?": a time word with a place or a region asks the calendar there.
        # Not "how many Venezuelans live in Colombia, by the latest figures?": that asks for a number.
        timed = (parsed.time is not None or parsed.months or parsed.years) and (
            parsed.event_noun or (parsed.time is not None and bool(parsed.places or parsed.regions) and not parsed.asks_more))
        # An event named by its title needs no more than "what day": "what day is Migrants Day?",
        # or a day of the month: "Migrants Day, c'est bien le 18 décembre ?".
        on_a_day = bool(parsed.months) and any(w.isdigit() and 1 <= int(w) <= 31 for w in parsed.words)
        asks = parsed.asks_when_where or ((parsed.asks_what_happens or on_a_day) and bool(parsed.named)) or (
            not strong_only and (parsed.asks_what_happens or timed))
        if not (parsed.kinds or parsed.event_noun or parsed.topics or parsed.months or parsed.years or parsed.time or parsed.named) and parsed.unknown:
            # Only a place, and words no entry or event knows ("where can I find a nurse in Germany"):
            # a question about something else that happens to name a city.
            return False
        return bool(asks and (constraint or topical or timed))

    def match_events(self, parsed: Parsed, today: date) -> EventMatch:
        found = list(self.events)
        if parsed.named and (parsed.places or parsed.regions) and not any(
                e.title in parsed.named and (_place_keys(e) & parsed.places or e.region in parsed.regions) for e in found):
            # An event named by its title, and a place it is not held in: where the asker is ("what
            # date is International Migrants Day? we want to hold a vigil in Dakar").
            parsed = dataclasses.replace(parsed, places=frozenset(), regions=frozenset())
        if parsed.places:
            found = [e for e in found if _place_keys(e) & parsed.places]
        if parsed.regions:
            found = [e for e in found if e.region in parsed.regions]
        kinded = [e for e in found if e.kind in parsed.kinds] if parsed.kinds else found
        if parsed.named:
            # "le 2e forum d'examen des migrations internationales": the title names one of the kind;
            # "la date où l'Assemblée a adopté la Déclaration sur les progrès": a title wins over a kind word.
            titled = [e for e in kinded if e.title in parsed.named] or [e for e in found if e.title in parsed.named]
            found = titled if titled or not (parsed.places or parsed.regions or parsed.kinds) else kinded
        else:
            found = kinded
        if parsed.years:
            found = [e for e in found if any(e.start.value.year <= y <= e.last_day.year for y in parsed.years)]
        if parsed.months and not parsed.years and parsed.time is None:
            # "is there a consultation in December": the coming December (this year's if not over).
            soon = [e for e in found if e.start.precision != "year" and e.start.value.month in parsed.months
                    and e.last_day >= today and e.start.value <= today.replace(year=today.year + 1)]
            if soon:
                found = soon
        if parsed.period and not parsed.years:
            # "the Asia-Pacific review last year", "le forum, c'est cette année ?": those in the period, if any.
            first, last = _period(today, *parsed.period)
            within = [e for e in found if e.start.value <= last and e.last_day >= first]
            if within:
                found = within
        if parsed.months:
            starting = [e for e in found if e.start.precision != "year" and e.start.value.month in parsed.months]
            found = starting or [
                e for e in found
                if any(date(e.start.value.year, m, 1) <= e.last_day and e.start.value <= date(e.last_day.year, m, 28) for m in parsed.months)
            ]
        # "is there a consultation in December": the month has events, but none is what was asked for.
        specific = {t for t in parsed.terms if t in self._event_nouns} - self._generic_nouns
        none_of_that_kind = bool(parsed.months and specific and found and not parsed.kinds and not parsed.named
                                 and not any(specific & self._title_terms[self.events.index(e)] for e in found))
        # Relevance: title words and topics. Keep the best ones when the question names any.
        # A place already chose the events: its words say nothing more ("consultations in New York"
        # must not prefer an event with "New York" in its title over the consultations held there).
        query = set(parsed.terms)
        if parsed.places:
            query -= {stem(w, lang) for p in parsed.places for w in p.split() for lang in ("en", parsed.lang)}
        # So did a year: "the 2017 meetings in Geneva" must not prefer the one with "2017" in its title.
        query -= {str(y) for y in parsed.years}
        scored = []
        for e in found:
            i = self.events.index(e)
            rel = sum(self._title_idf.get(t, 0.0) for t in query & self._title_terms[i])
            rel += sum(2.0 / len(e.topics) for t in parsed.topics if t in e.topics)
            scored.append((rel, e))
        top = max((r for r, _ in scored), default=0.0)
        companions = sorted(found, key=lambda e: (e.start.sort_day, e.id))
        # An ordinal (lexicon synonyms map "2e", "segundo", "التاني" to it) picks that occasion of a series.
        ordinal = query & ORDINALS
        if ordinal and any(ordinal & self._title_terms[self.events.index(e)] for _, e in scored):
            scored = [(r, e) for r, e in scored if ordinal & self._title_terms[self.events.index(e)]]
            found, top = [e for _, e in scored], max(r for r, _ in scored)
        if top > 0:
            found = [e for r, e in scored if r >= 0.75 * top]
        found.sort(key=lambda e: (e.start.sort_day, e.id))
        no_upcoming = False
        # "the first review forum": one occasion — what starts within a week of the first (the
        # hearing the day before the Forum comes with it).
        occasion = timedelta(days=OCCASION_DAYS)
        if parsed.time == "next" and found:
            ahead = [e for e in found if e.last_day >= today and e.status != "cancelled"]
            if ahead:
                found = [e for e in ahead if e.start.sort_day <= ahead[0].start.sort_day + occasion]
            else:
                found, no_upcoming = [found[-1]], True
        elif parsed.time == "first" and found:
            # The occasion of the first relevant one, with what goes with it ("the first IMRF and
            # its hearing"): companions are those the place, region and kind allowed.
            day = found[0].start.sort_day
            found = [e for e in companions if day <= e.start.sort_day <= day + occasion]
        elif parsed.time == "last" and found:
            day = found[-1].start.sort_day
            found = [e for e in companions if day - occasion <= e.start.sort_day <= day]
        # Soonest first: what is still ahead (or happening), then what is over.
        found.sort(key=lambda e: (e.last_day < today, e.start.sort_day, e.id))
        return EventMatch(tuple(found[:MAX_EVENTS]), len(found), no_upcoming, none_of_that_kind=none_of_that_kind)
