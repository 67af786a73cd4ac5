"""`gcmbot ask "question"`: the answer the bot would give, as plain text; `gcmbot questions report`:
what admins see in /stats (top unanswered and down-voted questions, redacted)."""

from __future__ import annotations

import argparse
import sys
from datetime import date

from gcmbot.config import load_settings
from gcmbot.content import ContentError, load_content
from gcmbot.i18n import LANGUAGES
from gcmbot.services.questions import DECLINED, SUGGESTED, answer_question, knowledge_from_content
from gcmbot.services.semantic import VectorCache, default_cache_dir, load_encoder


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ask", help="answer a question as the bot would (exit 0 answered, 3 declined)")
    p.add_argument("question", nargs="+", help="the question, e.g. \"when is the Geneva consultation\"")
    p.add_argument("--explain", action="store_true", help="show the matched entries and their scores")
    p.add_argument("--lang", choices=LANGUAGES, default="en", help="answer in this language where the content has it (default: en)")
    p.add_argument("--today", type=_day, default=None, help="answer as on this day (YYYY-MM-DD; default: today)")
    p.set_defaults(func=cmd_ask)
    questions = sub.add_parser("questions", help="what people ask").add_subparsers(dest="questions_command", metavar="ACTION", required=True)
    p = questions.add_parser("report", help="questions by outcome, top unanswered and down-voted ones (as /stats)")
    p.add_argument("--days", type=int, default=30, help="how far back (default: 30; texts are kept 30 days)")
    p.set_defaults(func=cmd_report)


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date: write YYYY-MM-DD") from None


def cmd_ask(args: argparse.Namespace) -> int:
    from gcmbot.render.answers import answer_plain

    settings = load_settings()
    encoder = load_encoder(settings.encoder)  # None (lexical answers) when off or not installed
    cache = VectorCache(settings.cache_dir if settings.cache_dir is not None else default_cache_dir())
    try:
        knowledge = knowledge_from_content(load_content(settings.content_dir), args.today or date.today(), encoder=encoder, cache=cache)
    except ContentError as exc:
        print(exc, file=sys.stderr)
        print("gcmbot: content/ has problems; fix them first (gcmbot content check)", file=sys.stderr)
        return 1
    question = " ".join(args.question)
    answer = answer_question(question, knowledge, args.today or date.today())
    print(answer_plain(answer, args.lang))
    if answer.outcome == SUGGESTED:
        print("\n(not sure: only suggestions were given)")
    if args.explain:
        print(f"\noutcome: {answer.outcome}; kind: {answer.kind}; matched: {answer.matched or '-'}")
        if answer.reason:
            print(f"reason: {answer.reason} (content/lexicon.yaml)")
        if answer.classes:
            print("bot and calendar questions by meaning (cosine with the nearest lexicon example): "
                  + ", ".join(f"{c} {v:.3f}" for c, v in answer.classes))
        if answer.corrections:
            print("spelling: " + ", ".join(f"{a} → {b}" for a, b in answer.corrections))
        if answer.events:
            print("events: " + ", ".join(e.id for e in answer.events))
        mode = f"{knowledge.tuning.fusion} fusion, encoder {encoder.name}" if encoder else "lexical only (no encoder)"
        print(f"matching: {mode}; answer at ≥ {knowledge.tuning.answer_at}, suggest at ≥ {knowledge.tuning.suggest_at}")
        print("FAQ candidates (fused confidence, lexical confidence, semantic cosine, BM25 score):")
        for c in answer.candidates:
            sem = "    -" if c.semantic is None else f"{c.semantic:5.3f}"
            print(f"  {c.confidence:.3f}  lexical {c.lexical:.3f}  semantic {sem}  bm25 {c.score:7.3f}  {c.id}")
        if not answer.candidates:
            print("  none")
    return 3 if answer.outcome == DECLINED else 0


def cmd_report(args: argparse.Namespace) -> int:
    from gcmbot.app import build_services
    from gcmbot.render.answers import stats_plain
    from gcmbot.models import utcnow

    if args.days < 1:
        print("gcmbot: --days must be at least 1", file=sys.stderr)
        return 2
    services = build_services(load_settings())
    services.db.upgrade(services.settings.migrations_dir)
    try:
        print(stats_plain(services.questions.stats(now=utcnow(), days=args.days)))
    finally:
        services.close()
    return 0
