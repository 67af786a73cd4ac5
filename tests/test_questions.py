"""Questions (issue 7): events from data, FAQ by meaning, bot usage, honest "I don't know"."""

from __future__ import annotations

import importlib.util
import sys
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlmodel import select

from conftest import CONTENT_DIR, ROOT
from gcmbot.render import answers as render
from gcmbot.cli import main as cli_main
from gcmbot.content import load_content
from gcmbot.models import QuestionLog
from gcmbot.services.knowledge import FaqDoc, Knowledge
from gcmbot.services.questions import Answer, answer_question, knowledge_from_content

# The level reached on tests/data/questions.yaml by the lexical matcher alone (no encoder: the
# fallback when the encoder cannot be loaded). Snowball stemmers (issue 13) cost it about a point;
# matching by meaning is held to its own floors in tests/test_matching.py.
REQUIRED_ACCURACY = 0.92
GENEVA = {"thematic-consultation-1", "thematic-consultation-3", "thematic-consultation-6"}


@pytest.fixture(scope="module")
def knowledge() -> Knowledge:
    return knowledge_from_content(load_content(CONTENT_DIR))


def _benchmark():
    spec = importlib.util.spec_from_file_location("faq_benchmark", ROOT / "benchmarks" / "faq.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_evaluation_set_accuracy(knowledge):
    bench = _benchmark()
    today, items = bench.load_eval()
    assert len(items) >= 60
    assert {"direct", "paraphrase", "typo", "out-of-scope", "bot", "event"} <= {i["category"] for i in items}
    counts, total = bench.evaluate(knowledge)
    assert total >= REQUIRED_ACCURACY, counts
    assert counts["out-of-scope"][0] == counts["out-of-scope"][1]  # never answer off-topic questions


def test_geneva_lists_all_three_consultations_with_dates_themes_and_tense(knowledge):
    answer = answer_question("when is the Geneva consultation", knowledge, date(2026, 1, 1))
    assert answer.outcome == "answered" and {e.id for e in answer.events} == GENEVA
    text = render.answer_html(answer)
    assert "took place on 8–9 May 2017" in text and "took place on 19–20 June 2017" in text
    assert "took place on 12–13 October 2017" in text and "Geneva, Switzerland" in text
    assert "Theme: Human rights of all migrants" in text and "Source: <i>What is the Global Compact on Migration?" in text

    before = render.answer_html(answer_question("when is the Geneva consultation", knowledge, date(2017, 5, 1)))
    assert "will take place on 8–9 May 2017" in before and "will take place on 12–13 October 2017" in before


def test_event_questions_in_other_languages_and_with_time_words(knowledge):
    spanish = answer_question("¿cuándo es la consulta en Ginebra?", knowledge, date(2026, 1, 1))
    assert {e.id for e in spanish.events} == GENEVA
    nxt = answer_question("when is the next thematic consultation", knowledge, date(2017, 6, 1))
    assert [e.id for e in nxt.events] == ["thematic-consultation-3"]
    october = answer_question("which consultation is in October", knowledge, date(2026, 1, 1))
    assert [e.id for e in october.events] == ["thematic-consultation-6"]
    later = answer_question("when is the next thematic consultation", knowledge, date(2026, 1, 1))
    assert later.no_upcoming and [e.id for e in later.events] == ["thematic-consultation-6"]
    assert "No upcoming event" in render.answer_html(later)


def test_typos_paraphrases_and_bot_usage(knowledge):
    today = date(2026, 1, 1)
    assert answer_question("is the compakt legaly binding", knowledge, today).faq.id == "is-it-binding"
    assert {e.id for e in answer_question("wen is the geneva consultaton", knowledge, today).events} == GENEVA
    stop = answer_question("how do I unsubscribe", knowledge, today)
    assert stop.intent == "stop" and "/stop" in render.answer_html(stop)
    assert "/settings" in render.answer_html(answer_question("how can I change my region", knowledge, today))
    assert "/forget" in render.answer_html(answer_question("delete my data", knowledge, today))


def test_out_of_domain_is_declined_with_pointers(knowledge):
    answer = answer_question("what is the capital of France", knowledge, date(2026, 1, 1))
    assert answer.outcome == "declined" and answer.faq is None and not answer.events
    text = render.answer_html(answer)
    assert "don't know" in text and "/events" in text and "/help" in text


def test_answers_are_escaped_and_fit_in_a_message():
    evil = FaqDoc("evil", "What is <b>this</b> & that?", "An answer with <script>alert(1)</script> " + "x " * 3000)
    text = render.answer_html(Answer("answered", "faq", faq=evil))
    assert "<script>" not in text and "&lt;script&gt;" in text and "&lt;b&gt;this&lt;/b&gt;" in text
    assert len(text) <= 4096 and text.count("<b>") == text.count("</b>")


def test_suggestion_callback_data_is_validated():
    assert render.parse_callback("q:is-it-binding") == "is-it-binding"
    for bad in (None, "", "q:", "q:Bad_ID", "s:x:y", "q:" + "a" * 80, "q:../etc"):
        assert render.parse_callback(bad) is None


# --- the service: log and stats ----------------------------------------------------------


def test_log_keeps_text_only_for_declined_questions_and_only_30_days(services, db):
    now = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)
    q = services.questions
    q.ask("is the compact binding", now=now - timedelta(days=40))
    q.ask("what is the capital of France", now=now - timedelta(days=40))
    q.ask("what is the capital of France", now=now)
    q.ask("What is the capital of France ", now=now)
    q.ask("who won the world cup", now=now)
    q.ask("what about unaccompanied minors", now=now)
    with db.session() as session:
        rows = session.exec(select(QuestionLog).order_by(QuestionLog.id)).all()
    assert [r.outcome for r in rows] == ["answered", "declined", "declined", "declined", "declined", "suggested"]
    assert rows[0].matched == "is-it-binding" and rows[0].text is None
    assert rows[1].text is None  # older than 30 days: wiped on a later write
    assert rows[2].text == "what is the capital of France" and rows[5].text is None

    stats = q.stats(now=now)
    assert stats.counts == {"declined": 3, "suggested": 1}
    assert stats.unanswered[0] == ("what is the capital of france", 2)
    text = render.stats_html(stats)
    assert "declined: 3" in text and "2× what is the capital of france" in text


def test_declined_question_keeps_no_contact_details(services, db):
    now = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)
    services.questions.ask("can you call me on +254 712 345 678 or write to amina@example.org, I am @amina_k", now=now)
    with db.session() as session:
        [row] = session.exec(select(QuestionLog)).all()
    assert row.outcome == "declined"
    assert "712" not in row.text and "example.org" not in row.text and "amina_k" not in row.text
    assert "[number]" in row.text and "[e-mail]" in row.text and "[@handle]" in row.text


# --- end to end through the fake Bot API -------------------------------------------------


async def _reply(fake, chat_id, text, **kw):
    before = len(fake.sent(chat_id))
    fake.send_message(chat_id, text, **kw)
    await fake.wait_for(lambda: len(fake.sent(chat_id)) > before)
    return fake.sent(chat_id)[-1]


async def test_private_question_gets_the_answer(running_bot):
    msg = await _reply(running_bot, 3001, "is the compact legally binding?")
    assert "legally binding" in msg["text"] and "non-legally binding" in msg["text"]
    assert [b["text"] for row in msg["reply_markup"]["inline_keyboard"] for b in row] == ["👍", "👎"]  # see test_feedback.py


async def test_event_question_in_private_chat(running_bot):
    msg = await _reply(running_bot, 3002, "when is the Geneva consultation")
    assert msg["text"].count("Geneva, Switzerland") == 3 and "8–9 May 2017" in msg["text"]


async def test_middle_confidence_gets_buttons_and_pressing_one_answers(running_bot):
    fake = running_bot
    msg = await _reply(fake, 3003, "what about unaccompanied minors")
    assert "Did you mean" in msg["text"]
    buttons = [b for row in msg["reply_markup"]["inline_keyboard"] for b in row]
    assert 1 <= len(buttons) <= 3 and buttons[0]["callback_data"] == "q:children"
    answers = len(fake.callback_answers)
    fake.press_button(3003, msg["message_id"], buttons[0]["callback_data"])
    await fake.wait_for(lambda: len(fake.callback_answers) > answers and "children" in fake.sent(3003)[-1]["text"].lower())
    assert fake.sent(3003)[-1]["text"].startswith("<b>What does the compact process mean for children?</b>")

    answers = len(fake.callback_answers)
    fake.press_button(3003, msg["message_id"], "q:no-such-entry")
    await fake.wait_for(lambda: len(fake.callback_answers) > answers)
    assert fake.callback_answers[-1].get("text") == render.UNKNOWN_ENTRY


async def test_ask_in_a_group_and_group_chatter_is_ignored(running_bot):
    fake = running_bot
    msg = await _reply(fake, -5001, "/ask where is the stocktaking meeting", chat_type="group")
    assert "Puerto Vallarta, Mexico" in msg["text"] and "4–6 December 2017" in msg["text"]
    usage = await _reply(fake, -5001, "/ask", chat_type="group")
    assert usage["text"] == render.ASK_USAGE
    fake.send_message(-5001, "is the compact binding", chat_type="group")  # plain talk in a group: not for us
    await fake.wait_idle()
    assert fake.sent(-5001)[-1]["text"] == render.ASK_USAGE


async def test_out_of_domain_declined_in_chat(running_bot, services):
    msg = await _reply(running_bot, 3004, "what is the capital of France")
    assert "don't know" in msg["text"] and "/events" in msg["text"]
    assert services.questions.stats(now=datetime.now(timezone.utc)).unanswered == [("what is the capital of france", 1)]


async def test_stats_for_admins_only(running_bot):
    fake = running_bot
    await _reply(fake, 3005, "who won the world cup")
    denied = await _reply(fake, 3005, "/stats")
    assert "administrators only" in denied["text"]
    allowed = await _reply(fake, 4242, "/stats")
    assert "Top unanswered questions" in allowed["text"] and "who won the world cup" in allowed["text"]


async def test_help_lists_ask_and_admin_stats(running_bot):
    fake = running_bot
    msg = await _reply(fake, 3006, "/help")
    assert "/ask" in msg["text"] and "/stats" not in msg["text"]
    admin = await _reply(fake, 4242, "/help")
    assert "/stats" in admin["text"]


# --- the command line ----------------------------------------------------------------------


def test_cli_ask_geneva_and_capital_of_france(capsys, monkeypatch):
    monkeypatch.setenv("GCMBOT_CONTENT_DIR", str(CONTENT_DIR))
    monkeypatch.setenv("GCMBOT_ENCODER", "off")  # lexical here; tests/test_matching.py asks by meaning
    assert cli_main(["ask", "when is the Geneva consultation", "--today", "2026-01-01"]) == 0
    out = capsys.readouterr().out
    assert "<" not in out and out.count("Geneva, Switzerland") == 3
    for when in ("8–9 May 2017", "19–20 June 2017", "October 2017"):
        assert when in out
    assert "Theme: International cooperation and governance" in out

    assert cli_main(["ask", "what is the capital of France"]) == 3
    assert "don't know" in capsys.readouterr().out

    assert cli_main(["ask", "what about unaccompanied minors", "--explain"]) == 0
    out = capsys.readouterr().out
    assert "Did you mean" in out and "not sure" in out and "children" in out and "confidence" in out
