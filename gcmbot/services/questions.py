"""Answering people's questions: events from data, FAQ by meaning, bot usage, an honest "I don't know".

`answer_question(text, knowledge, today)` is pure and decides everything; the
`Questions` service builds the knowledge from the database, logs outcomes (text
only for declined questions) and serves admin statistics.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

from gcmbot.content.events import EventView, event_view, with_occurrences
from gcmbot.content.loader import Content
from gcmbot.services.knowledge import LEXICAL, Candidate, EventMatch, FaqDoc, Knowledge, TermDoc, Tuning
from gcmbot.services.semantic import Encoder, VectorCache, default_cache_dir, load_encoder
from gcmbot.services.textmatch import words
from gcmbot.store import Database
from gcmbot.store import content as content_store
from gcmbot.store import feedback as feedback_store
from gcmbot.store import questions as store

# Confidence bands live in knowledge.Tuning (FUSED with an encoder, LEXICAL without),
# chosen by measurement on the tune half of tests/data/questions.yaml (benchmarks/faq.py).
log = logging.getLogger(__name__)

MAX_SUGGESTIONS = 3
MAX_QUESTION_CHARS = 500
STATS_DAYS = 30
KNOWLEDGE_TTL_SECONDS = 300
CONSOLE_CHECK_SECONDS = 2.0  # how often the console's edit counter is read

ANSWERED, SUGGESTED, DECLINED = "answered", "suggested", "declined"


@dataclass(frozen=True)
class Answer:
    """What to tell the person. Rendered by gcmbot/render/answers.py (HTML) and the CLI (plain text)."""

    outcome: str  # answered, suggested, declined
    kind: str  # faq, events, bot, none
    faq: FaqDoc | None = None
    events: tuple[EventView, ...] = ()
    more_events: int = 0
    no_upcoming: bool = False
    none_of_that_kind: bool = False  # the month asked about has events, none of the kind asked for
    period: tuple[date, date] | None = None  # calendar questions about "last month", "this year"
    intent: str | None = None
    suggestions: tuple[Candidate, ...] = ()
    candidates: tuple[Candidate, ...] = ()  # for --explain
    corrections: tuple[tuple[str, str], ...] = ()
    today: date = field(default_factory=date.today)
    reason: str = ""  # why, for --explain: "off-topic" (declined unmatched), "by meaning" (bot/calendar class)
    classes: tuple[tuple[str, float], ...] = ()  # for --explain: cosine with each lexicon `examples` class
    feedback_token: str | None = None  # set by Questions.ask on answers people can rate (👍 / 👎)

    @property
    def rateable(self) -> bool:
        """An answer from the content (FAQ, events, calendar) — not a decline, suggestions or bot help."""
        return self.outcome == ANSWERED and self.kind in ("faq", "events", "calendar")

    @property
    def matched(self) -> str | None:
        """What the log records as matched: an FAQ id, events:<first id>, bot:<intent>."""
        if self.faq:
            return self.faq.id
        if self.events:
            return f"event:{self.events[0].id}"
        if self.intent:
            return f"bot:{self.intent}"
        if self.suggestions:
            return self.suggestions[0].id
        return None


_REDACT = [
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), "[e-mail]"),
    (re.compile(r"(?<!\w)@\w{3,}"), "[@handle]"),
    (re.compile(r"https?://\S+|www\.\S+"), "[link]"),
    (re.compile(r"\+?\d[\d\s().-]{5,}\d"), "[number]"),
]


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def redact(text: str) -> str:
    """What is kept of a declined question: no e-mail addresses, handles, links or phone/ID numbers.

    People at risk may type such things; admins only need to see what the content is missing.
    Control characters are dropped too (PostgreSQL refuses NUL in text; nobody needs them).
    """
    text = _CONTROL.sub("", text)
    for pattern, placeholder in _REDACT:
        text = pattern.sub(placeholder, text)
    return text


def answer_question(text: str, knowledge: Knowledge, today: date, tuning: Tuning | None = None) -> Answer:
    """Decide how to answer `text` on `today`. Deterministic; no I/O."""
    tuning = tuning or knowledge.tuning
    text = knowledge.subject_of(text[:MAX_QUESTION_CHARS])
    parsed = knowledge.parse(text)
    common = dict(corrections=parsed.corrections, today=today)
    found = knowledge.semantic_all(text) if tuning.fusion != "lexical" else None
    semantic, class_cos = found if found is not None else (None, {})
    common["classes"] = tuple(sorted(((c, round(v, 4)) for c, v in class_cos.items()), key=lambda cv: (-cv[1], cv[0])))
    intent = knowledge.intent(parsed)
    if intent and not (semantic is not None and knowledge.intent_overruled(intent, parsed, semantic, class_cos, tuning)):
        return Answer(ANSWERED, "bot", intent=intent, **common)
    # Travel to an event named or asked when or where ("is the second IMRF still happening this
    # year and where? our delegation has to book flights") is a question about it, not a personal case.
    if parsed.off_topic and not (parsed.named or (parsed.kinds and parsed.asks_when_where)):
        # A job, a visa, an asylum claim: nothing in the content answers a person's own case, and a
        # confident answer about something near it would mislead (lexicon `off_topic`).
        return Answer(DECLINED, "none", reason="off-topic", **common)
    # An event named by its title ("what day is International Migrants Day") is not a bot question,
    # however near "which day does the digest arrive" it sounds.
    meant = knowledge.semantic_class(semantic, class_cos, parsed, tuning) if semantic is not None and not parsed.named else None
    if meant:
        common["reason"] = "by meaning"
    if knowledge.is_calendar_question(parsed) or meant == "calendar" or (not parsed.named and not meant and knowledge.has_calendar_sentence(text)):
        # "what's next?", "anything coming up?", "what happened last month?": always the calendar,
        # never a loosely matching FAQ entry, never a decline.
        return _calendar(knowledge.calendar_window(parsed, today), (), common)
    if meant:
        # A bot question in everyday words ("I don't want these messages anymore"), by meaning.
        return Answer(ANSWERED, "bot", intent=meant, **common)
    if semantic is not None and parsed.corrections:
        # The encoder reads typos poorly ("waht are firewals"): also embed the corrected words.
        fixed = dict(parsed.corrections)
        semantic = np.maximum(semantic, knowledge.semantic_scores(" ".join(fixed.get(w, w) for w in words(text))))
    if semantic is not None:
        semantic = knowledge.with_clauses(text, semantic)
    candidates = tuple(knowledge.search_faq(parsed, semantic=semantic, tuning=tuning))
    answer_at, suggest_at = tuning.answer_at, tuning.suggest_at
    lead = candidates[0].confidence - (candidates[1].confidence if len(candidates) > 1 else 0.0) if candidates else 0.0
    # Outright only with content words to go on ("what?" has none), a clear lead, and lexical
    # support unless the encoder alone is very sure.
    confident = bool(candidates) and candidates[0].confidence >= answer_at and lead >= tuning.margin and tuning.agrees(candidates[0])
    sure_faq = (confident and bool(parsed.terms)
                and not (tuning.key_word and knowledge.misses_key_word(parsed, candidates[0], list(candidates[1:MAX_SUGGESTIONS]))))
    # Events or FAQ: decided on the lexical evidence as before the encoder; a match by meaning alone
    # ("any meetings soon?" ≈ the stocktaking entry) does not stop a timed event question.
    # A place or a month without a year ("in Vienna", "in December") asks the calendar; a year or
    # a kind alone does not, when an FAQ entry matches ("who ran the 2017 consultations?").
    calendar_words = bool(parsed.places) or (bool(parsed.months) and not parsed.years)
    strong_faq = (sure_faq and candidates[0].lexical >= LEXICAL.answer_at) or (
        bool(candidates) and not calendar_words and candidates[0].confidence >= tuning.event_faq_at)
    # "when did the negotiations end and how many rounds were there?", "… and who wrote it?": a sure
    # FAQ entry answers more than a list of dates can.
    # (the entry need not have the question's rarest word: "combien de sessions … et quand …").
    faq_answers_more = parsed.asks_more and confident
    best = candidates[0] if candidates else None
    if not (best is not None and best.confidence >= answer_at) and knowledge.loosely_calendar(parsed, class_cos.get("calendar"), tuning):
        # … in more words: "c quoi le programme pour l'année prochaine"; of a kind or in a month
        # ("anything on the calendar for the rest of December?"): those events.
        match = knowledge.match_events(parsed, today) if parsed.kinds or parsed.months else None
        if match is not None and match.events and not match.none_of_that_kind:
            return _events(match, candidates, common)
        return _calendar(knowledge.calendar_window(parsed, today), candidates, common)
    event_question = knowledge.is_event_question(parsed, strong_only=strong_faq)
    if sure_faq and not (parsed.places or parsed.kinds or parsed.event_noun or parsed.named or parsed.months or parsed.years):
        # Only a region, beside a sure FAQ entry: where the asker is ("our network in Dakar wants
        # to know what the UN fund pays for and since when"), not which events ("what happened in
        # Vienna", a place, still lists its events).
        event_question = False
    if event_question and not faq_answers_more:
        match = knowledge.match_events(parsed, today)
        if match.events:
            if best is not None and best.confidence >= suggest_at and set(knowledge.faq_by_id[best.id].events) & {e.id for e in match.events}:
                # The question's best FAQ match explains these very events ("what went on in Puerto
                # Vallarta in December 2017?" is the stocktaking meeting): both.
                # The dates first when the question asks only when or where, or names a place or a month.
                dates_first = (parsed.asks_when_where or calendar_words) and not parsed.asks_more
                return _with_dates(knowledge.faq_by_id[best.id], match, dates_first, candidates, common)
            return _events(match, candidates, common)
    if best and sure_faq:
        return Answer(ANSWERED, "faq", faq=knowledge.faq_by_id[best.id], candidates=candidates, **common)
    # "Did you mean" on meaning alone needs a question of a few words: "ok", "hola", "test" sit near
    # some short phrasing or other, and suggesting it answers nothing.
    # A long question's context dilutes its cosines ("I'm mapping the original scope of the compact
    # for my thesis. Before any drafting started, …"): "Did you mean" from a lower confidence.
    if len(parsed.words) >= tuning.long_words:
        suggest_at -= tuning.long_suggest_drop
    if best and best.confidence >= suggest_at and (best.lexical > 0 or len(parsed.words) >= 3):
        close = tuple(c for c in candidates[:MAX_SUGGESTIONS] if c.confidence >= suggest_at * 0.75)
        return Answer(SUGGESTED, "faq", suggestions=close, candidates=candidates, **common)
    return Answer(DECLINED, "none", candidates=candidates, **common)


def _events(match: EventMatch, candidates: tuple[Candidate, ...], common: dict) -> Answer:
    """The events a question asks about (`none_of_that_kind`: the kind asked for is not among them)."""
    return Answer(ANSWERED, "events", events=match.events, more_events=match.total - len(match.events),
                  no_upcoming=match.no_upcoming, none_of_that_kind=match.none_of_that_kind, candidates=candidates, **common)


def _calendar(match: EventMatch, candidates: tuple[Candidate, ...], common: dict) -> Answer:
    """The calendar's answer: what comes next, or what falls in the period asked about."""
    return Answer(ANSWERED, "calendar", events=match.events, more_events=match.total - len(match.events),
                  no_upcoming=match.no_upcoming, period=match.period, candidates=candidates, **common)


def _with_dates(doc: FaqDoc, match: EventMatch, dates_first: bool, candidates: tuple[Candidate, ...], common: dict) -> Answer:
    """An FAQ entry and the dates of its events the question asks about, the dates first if `dates_first`."""
    first = "events" if dates_first else "faq"
    return Answer(ANSWERED, first, faq=doc, events=match.events, more_events=match.total - len(match.events),
                  no_upcoming=match.no_upcoming, candidates=candidates, **common)


def faq_answer(knowledge: Knowledge, faq_id: str, today: date) -> Answer | None:
    """The answer for one FAQ entry (a "Did you mean" button was pressed); None if unknown."""
    doc = knowledge.faq_by_id.get(faq_id)
    return None if doc is None else Answer(ANSWERED, "faq", faq=doc, today=today)


# --- building knowledge ----------------------------------------------------------------------


def _with_yearly(events: list[EventView], today: date) -> list[EventView]:
    out = with_occurrences(events, today)
    out.sort(key=lambda e: (e.start.sort_day, e.id))
    return out


def knowledge_from_content(content: Content, today: date | None = None, *, encoder: Encoder | None = None,
                           cache: VectorCache | None = None) -> Knowledge:
    """Knowledge from content files; with `encoder`, FAQ phrasings are embedded (vectors from `cache` where it has them)."""
    today = today or date.today()
    sources = {s.id: s for s in content.sources}
    knowledge = Knowledge(
        faqs=[FaqDoc(f.id, f.question, f.answer, f.alternatives, _title(sources.get(f.source)), f.translations, f.events)
              for f in content.faq],
        events=_with_yearly([
            dataclasses.replace(e, source_title=_title(sources.get(e.source)), source_url=getattr(sources.get(e.source), "url", ""))
            for e in content.events
        ], today),
        topics=[TermDoc(t.id, t.name, t.keywords, t.thematic) for t in content.topics],
        regions=[TermDoc(r.id, r.name, r.aliases) for r in content.regions],
        lexicon=content.lexicon,
    )
    knowledge.attach_encoder(encoder, cache)
    return knowledge


def _title(source) -> str:
    return source.title if source is not None else ""


def knowledge_from_db(db: Database, today: date | None = None) -> Knowledge:
    today = today or date.today()
    with db.session() as session:
        sources = content_store.sources(session)
        faqs = [
            FaqDoc(f.id, f.question, f.answer, tuple(f.alternatives or ()), _title(sources.get(f.source)), f.translations or {},
                   tuple(f.events or ()))
            for f in sorted(content_store.all_faq(session), key=lambda f: f.id)
        ]
        events = [event_view(e, sources) for e in content_store.all_events(session)]
        topics = [TermDoc(t.id, t.name, tuple(t.data.get("keywords", ())), bool(t.data.get("thematic"))) for t in content_store.terms(session, "topic")]
        regions = [TermDoc(t.id, t.name, tuple(t.data.get("aliases", ()))) for t in content_store.terms(session, "region")]
        lexicon = content_store.lexicon(session)
    return Knowledge(faqs=faqs, events=_with_yearly(events, today), topics=topics, regions=regions, lexicon=lexicon)


# --- the service ------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionStats:
    days: int
    counts: dict[str, int]
    top_matched: list[tuple[str, int]]
    unanswered: list[tuple[str, int]]
    votes: dict[str, int] = field(default_factory=dict)  # up / down
    down_voted: list[tuple[str, str, int]] = field(default_factory=list)  # (question, matched entry, times)


UP, DOWN = "up", "down"
VOTE_RECORDED, VOTE_REPEATED, VOTE_UNKNOWN = feedback_store.RECORDED, feedback_store.REPEATED, feedback_store.UNKNOWN


def _printable(text: str) -> str:
    """The text without control characters (PostgreSQL refuses NUL in text; the others are noise)."""
    return "".join(ch if ch in "\n\t" or ch >= " " and ch != "\x7f" else " " for ch in text)


class Questions:
    """Answers questions from the content in the database and keeps an anonymous log.

    The sentence encoder is loaded once, in a thread (`start_encoder`, called at start-up),
    so the event loop never waits for it; until it is ready, and if it cannot be loaded,
    questions are answered lexically.
    """

    def __init__(self, db: Database, *, encoder: str = "off", cache_dir: Path | None = None) -> None:
        self.db = db
        self.encoder_name = encoder
        self.cache = VectorCache(cache_dir if cache_dir is not None else default_cache_dir())
        self._encoder: Encoder | None = None
        self._encoder_thread: threading.Thread | None = None
        self.encoder_ready = threading.Event()  # set once loading ended (loaded or not)
        self._lock = threading.Lock()
        self._knowledge: Knowledge | None = None
        self._built_at = 0.0
        self._built_for: date | None = None

    def start_encoder(self) -> threading.Thread:
        """In a background thread (once): load the encoder (unless off) and build the knowledge,
        FAQ vectors included, so no question waits for either on the event loop."""
        with self._lock:
            if self._encoder_thread is None:
                self._encoder_thread = threading.Thread(target=self._load_encoder, name="gcmbot-encoder", daemon=True)
                self._encoder_thread.start()
        return self._encoder_thread

    def _load_encoder(self) -> None:
        try:
            encoder = load_encoder(self.encoder_name)  # None (with a log line) when off or not installed
            today = date.today()
            knowledge = knowledge_from_db(self.db, today)
            knowledge.attach_encoder(encoder, self.cache)  # embeds the FAQ here, not on a question
            with self._lock:
                self._encoder = encoder
                self._knowledge, self._built_at, self._built_for = knowledge, time.monotonic(), today
        except Exception:
            log.warning("semantic matching could not be started; questions are matched lexically", exc_info=True)
        finally:
            self.encoder_ready.set()

    @property
    def semantic(self) -> bool:
        """Are questions matched by meaning now (encoder loaded)?"""
        return self._encoder is not None

    def knowledge(self, today: date | None = None) -> Knowledge:
        # Content changes on `gcmbot content load`, a restart or an edit in the web console:
        # rebuild now and then, on a console edit, and when the day changes (yearly events are
        # placed around today). Unchanged phrasings keep their vectors (in memory and on disk):
        # a rebuild embeds only new ones.
        today = today or date.today()
        edited = self._edited_in_console()  # read first, so the first build also records the version
        if (self._knowledge is None or time.monotonic() - self._built_at > KNOWLEDGE_TTL_SECONDS or edited
                or self._built_for != today):
            knowledge = knowledge_from_db(self.db, today)
            knowledge.attach_encoder(self._encoder, self.cache)
            with self._lock:
                self._knowledge, self._built_at, self._built_for = knowledge, time.monotonic(), today
        return self._knowledge

    def _edited_in_console(self) -> bool:
        """An FAQ entry saved in the web console (maybe by another process) is answered within seconds."""
        now = time.monotonic()
        if now - getattr(self, "_version_checked", 0.0) < CONSOLE_CHECK_SECONDS:
            return False
        self._version_checked = now
        from gcmbot.store.content import console_version

        with self.db.session() as session:
            version = console_version(session)
        changed, self._console_version = version != getattr(self, "_console_version", version), version
        return changed

    def reload(self) -> None:
        self._knowledge = None

    def ask(self, text: str, *, now: datetime) -> Answer:
        """Answer a question asked in a chat and log the outcome (the text only if declined).

        An answer from the content gets a feedback token for its 👍 / 👎 buttons; the redacted
        question is kept with it (not with who asked) so a 👎 shows admins what was asked.
        """
        answer = answer_question(text, self.knowledge(now.date()), now.date())
        redacted = redact(_printable(text).strip()[:MAX_QUESTION_CHARS])
        token = secrets.token_urlsafe(12) if answer.rateable else None  # 16 characters, unguessable
        with self.db.session() as session:
            store.log_question(session, outcome=answer.outcome, matched=answer.matched,
                               text=redacted if answer.outcome == DECLINED else None, now=now)
            if token:
                feedback_store.add_answer(session, token=token, matched=answer.matched, text=redacted, now=now)
        return dataclasses.replace(answer, feedback_token=token) if token else answer

    def vote(self, token: str, value: str, *, now: datetime) -> str:
        """A 👍 (UP) or 👎 (DOWN) on the answer with `token`: VOTE_RECORDED, or VOTE_REPEATED when
        that answer was rated already, or VOTE_UNKNOWN (forged, or too old: see store/feedback.py)."""
        if value not in (UP, DOWN):
            return VOTE_UNKNOWN
        with self.db.session() as session:
            feedback_store.forget_old(session, now)
            return feedback_store.vote(session, token, value)

    def faq(self, faq_id: str, *, now: datetime) -> Answer | None:
        return faq_answer(self.knowledge(now.date()), faq_id, now.date())

    def stats(self, *, now: datetime, days: int = STATS_DAYS) -> QuestionStats:
        since = now - timedelta(days=days)
        with self.db.session() as session:
            store.forget_old_texts(session, now)
            feedback_store.forget_old(session, now)
            return QuestionStats(
                days, store.counts_by_outcome(session, since), store.top_matched(session, since), store.top_unanswered(session, since),
                feedback_store.votes(session, since), feedback_store.top_down_voted(session, since),
            )
