"""👍 / 👎 under answers (issue 13): one vote per answer, stored without any chat id, shown to admins
in /stats, on the console's Questions page and by `gcmbot questions report`."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select as sa_select
from sqlmodel import SQLModel, select

from fakebotapi import button, tap
from gcmbot.render import answers as render
from gcmbot.cli import main as cli_main
from gcmbot.models import AnswerFeedback
from gcmbot.services.questions import DOWN, UP, QuestionStats, VOTE_RECORDED, VOTE_REPEATED, VOTE_UNKNOWN

NOW = datetime(2026, 3, 4, 12, tzinfo=timezone.utc)  # a Wednesday
ADMIN = 4242


def _rows(db) -> list[AnswerFeedback]:
    with db.session() as session:
        return list(session.exec(select(AnswerFeedback).order_by(AnswerFeedback.id)).all())


# --- the service ---------------------------------------------------------------------------


def test_answers_from_the_content_get_a_token_declines_and_bot_help_do_not(services, db):
    q = services.questions
    answered = q.ask("is the compact legally binding?", now=NOW)
    assert answered.outcome == "answered" and answered.feedback_token and len(answered.feedback_token) == 16
    assert q.ask("is the compact legally binding?", now=NOW).feedback_token != answered.feedback_token
    assert q.ask("what is the capital of France", now=NOW).feedback_token is None  # declined: already in "unanswered"
    assert q.ask("how do I unsubscribe", now=NOW).feedback_token is None  # the bot's own help
    assert q.ask("when is the Geneva consultation", now=NOW).feedback_token  # events are rated too
    rows = _rows(db)
    assert len(rows) == 3 and {r.week.isoformat() for r in rows} == {"2026-03-02"}  # the Monday, no time of day
    assert rows[0].matched == "is-it-binding" and rows[0].vote is None


def test_one_vote_per_answer_and_forged_tokens_count_nothing(services, db):
    q = services.questions
    token = q.ask("is the compact legally binding?", now=NOW).feedback_token
    assert q.vote(token, DOWN, now=NOW) == VOTE_RECORDED
    assert q.vote(token, DOWN, now=NOW) == VOTE_REPEATED
    assert q.vote(token, UP, now=NOW) == VOTE_REPEATED  # no changing it into the other vote either
    assert q.vote("A" * 16, DOWN, now=NOW) == VOTE_UNKNOWN
    assert q.vote(token, "sideways", now=NOW) == VOTE_UNKNOWN
    stats = q.stats(now=NOW)
    assert stats.votes == {"down": 1}
    assert stats.down_voted == [("is the compact legally binding?", "is-it-binding", 1)]


def test_a_thumbs_up_drops_the_text_a_thumbs_down_keeps_it_30_days(services, db):
    q = services.questions
    up = q.ask("is the compact legally binding?", now=NOW).feedback_token
    down = q.ask("Is the compact legally binding?", now=NOW).feedback_token
    q.vote(up, UP, now=NOW)
    q.vote(down, DOWN, now=NOW)
    rows = {r.token: r for r in _rows(db)}
    assert rows[up].vote == "up" and rows[up].text is None
    assert rows[down].vote == "down" and rows[down].text == "Is the compact legally binding?"
    assert q.stats(now=NOW).down_voted == [("is the compact legally binding?", "is-it-binding", 1)]

    later = NOW + timedelta(days=40)
    stats = q.stats(now=later, days=60)
    assert stats.votes == {"up": 1, "down": 1} and stats.down_voted == []  # counted, the text is gone
    assert all(r.text is None for r in _rows(db))


def test_the_kept_text_is_redacted_as_declined_questions_are(services, db, monkeypatch):
    from gcmbot.services import questions as service

    answered = service.Answer("answered", "faq", faq=service.faq_answer(services.questions.knowledge(NOW.date()), "is-it-binding", NOW.date()).faq)
    monkeypatch.setattr(service, "answer_question", lambda *a, **kw: answered)
    services.questions.ask("is it binding? call me on +254 712 345 678 or amina@example.org", now=NOW)
    [row] = _rows(db)
    assert row.text == "is it binding? call me on [number] or [e-mail]"


def test_an_answer_not_rated_within_a_week_or_two_cannot_be_rated_later(services, db):
    q = services.questions
    token = q.ask("is the compact legally binding?", now=NOW).feedback_token
    assert q.vote(token, DOWN, now=NOW + timedelta(days=16)) == VOTE_UNKNOWN
    assert _rows(db) == []  # the unrated answer and its text were deleted


def test_feedback_callback_data_is_validated():
    assert render.parse_feedback("fb:d:" + "a1_-" * 4) == ("a1_-" * 4, DOWN)
    assert render.parse_feedback("fb:u:" + "B" * 16) == ("B" * 16, UP)
    for bad in (None, "", "fb:", "fb:x:" + "a" * 16, "fb:d:" + "a" * 15, "fb:d:" + "a" * 17, "fb:d:" + "a" * 15 + "!", "q:children"):
        assert render.parse_feedback(bad) is None


def test_stats_render_votes_and_down_voted_questions_escaped():
    stats = QuestionStats(30, {"answered": 2}, [], [], {"down": 1, "up": 3}, [("is it <b>binding</b>?", "is-it-binding", 1)])
    text = render.stats_html(stats)
    assert "Top down-voted questions" in text and "👍 3 · 👎 1" in text
    assert "1× is it &lt;b&gt;binding&lt;/b&gt;? → is-it-binding" in text
    assert "Preguntas con más valoraciones negativas" in render.stats_html(stats, "es")
    plain = render.stats_plain(stats)
    assert plain.startswith("Questions in the last 30 days: 2\n")  # no markup of ours…
    assert "1× is it <b>binding</b>? → is-it-binding" in plain  # …and the question as asked


# --- end to end through the fake Bot API -------------------------------------------------


async def _reply(fake, chat_id, text):
    before = len(fake.sent(chat_id))
    fake.send_message(chat_id, text)
    await fake.wait_for(lambda: len(fake.sent(chat_id)) > before)
    return fake.sent(chat_id)[-1]


async def _press(fake, chat_id, message, data):
    answers = len(fake.callback_answers)
    fake.press_button(chat_id, message["message_id"], data)
    await fake.wait_for(lambda: len(fake.callback_answers) > answers)
    await fake.wait_idle(quiet=0.3)  # an edit may follow the answer
    return fake.callback_answers[-1].get("text"), next(m for m in fake.sent(chat_id) if m["message_id"] == message["message_id"])


def _everything_stored(db) -> str:
    """Every value of every table, as one string (to look for a chat id in)."""
    out = []
    with db.engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            out += [repr(tuple(row)) for row in conn.execute(sa_select(table))]
    return "\n".join(out)


async def test_thumbs_down_in_chat_reaches_stats_and_the_report_without_the_chat_id(running_bot, services, db, monkeypatch, capsys):
    fake, chat = running_bot, 3777123
    msg = await _reply(fake, chat, "is the compact legally binding?")
    assert "non-legally binding" in msg["text"]
    labels = [b["text"] for row in msg["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == ["👍", "👎"]

    said, edited = await _press(fake, chat, msg, button(msg, "👎"))
    assert said == render.VOTE_TEXTS[VOTE_RECORDED]
    assert not edited.get("reply_markup") and "non-legally binding" in edited["text"]  # buttons gone, answer kept

    # The old buttons pressed again (a second device, a client that kept them): not counted twice.
    said, _ = await _press(fake, chat, msg, button(msg, "👍"))
    assert said == render.VOTE_TEXTS[VOTE_REPEATED]
    # Forged or garbled data: a clear reply, nothing counted, nothing crashes.
    for forged in ("fb:d:" + "Z" * 16, "fb:d:../../etc", "fb:"):
        said, _ = await _press(fake, chat, msg, forged)
        assert said == render.VOTE_TEXTS[VOTE_UNKNOWN]

    [row] = _rows(db)
    assert row.vote == "down" and row.text == "is the compact legally binding?"
    assert str(chat) not in _everything_stored(db)  # no table holds who voted (nor who asked)

    stats = await _reply(fake, ADMIN, "/stats")
    assert "Top down-voted questions" in stats["text"] and "👎 1" in stats["text"]
    assert "1× is the compact legally binding? → is-it-binding" in stats["text"]
    denied = await _reply(fake, chat, "/stats")
    assert "administrators only" in denied["text"]

    monkeypatch.setenv("GCMBOT_DATABASE_URL", services.db.url)
    monkeypatch.setenv("GCMBOT_CONTENT_DIR", str(services.settings.content_dir))
    capsys.readouterr()
    assert cli_main(["questions", "report"]) == 0
    out = capsys.readouterr().out
    assert "<b>" not in out and "Top down-voted questions" in out and "Top unanswered questions" in out
    assert "1× is the compact legally binding? → is-it-binding" in out and "👍 0 · 👎 1" in out
    assert cli_main(["questions", "report", "--days", "0"]) == 2


async def test_forget_after_voting_leaves_nothing_tied_to_the_chat(running_bot, services, db):
    fake, chat = running_bot, 3777124
    fake.send_message(chat, "/start")
    await fake.wait_for(lambda: any(m.get("reply_markup") for m in fake.sent(chat)))  # the settings menu
    await fake.wait_idle()
    msg = await _reply(fake, chat, "is the compact legally binding?")
    await _press(fake, chat, msg, button(msg, "👎"))
    assert str(chat) in _everything_stored(db)  # the subscription
    fake.send_message(chat, "/forget")
    await fake.wait_for(lambda: "cannot be undone" in fake.sent(chat)[-1]["text"])
    await tap(fake, chat, fake.sent(chat)[-1], "Delete everything")
    assert str(chat) not in _everything_stored(db)
    assert [r.vote for r in _rows(db)] == ["down"]  # the anonymous vote stays: it cannot be told apart from others'


# --- the web console ---------------------------------------------------------------------


async def test_console_questions_page_lists_down_voted_questions_with_the_create_button(services):
    from test_web import client, login

    services.settings.web_url = "https://console.test"
    now = datetime.now(timezone.utc)
    token = services.questions.ask("is the compact legally <i>binding</i>?", now=now).feedback_token
    assert token and services.questions.vote(token, DOWN, now=now) == VOTE_RECORDED
    liked = services.questions.ask("is the compact legally binding?", now=now).feedback_token
    services.questions.vote(liked, UP, now=now)
    async with client(services) as c:
        await login(c, services)
        page = (await c.get("/questions")).text
    section = page.split("<h2>Down-voted answers</h2>", 1)[1].split("<h2>", 1)[0]
    assert "1 👎, 1 👍" in section
    assert "is the compact legally &lt;i&gt;binding&lt;/i&gt;?" in section and "<i>binding" not in section  # escaped
    assert "<code>is-it-binding</code>" in section
    assert 'href="/content/faq/new?question=is+the+compact+legally+%3Ci%3Ebinding%3C%2Fi%3E%3F"' in section
