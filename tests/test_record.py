"""The record up to today (issue 20): event lifecycle, sourced review-era content, yearly days,
answers in the right tense at several dates, and a calendar that is never silent."""

from __future__ import annotations

import shutil
from datetime import date, datetime, timezone

import pytest
from sqlmodel import select

from conftest import CONTENT_DIR
from gcmbot.render.answers import answer_plain
from gcmbot.cli import main
from gcmbot.content import load_content
from gcmbot.content.loader import check_content, record_warnings
from gcmbot.models import OutboxMessage
from gcmbot.render.digest import render_digest_view
from gcmbot.services.questions import answer_question, knowledge_from_content

UTC = timezone.utc
TODAY = date(2026, 12, 4)  # the day the record was brought up to date


@pytest.fixture(scope="module")
def content():
    return load_content(CONTENT_DIR)


def ask(content, question: str, today: date, lang: str = "en") -> tuple[str, object]:
    answer = answer_question(question, knowledge_from_content(content, today), today)
    return answer_plain(answer, lang), answer


# --- the record itself ----------------------------------------------------------------------


def test_every_event_has_a_status_a_source_and_as_of(content):
    sources = {s.id: s for s in content.sources}
    for e in content.events:
        assert e.status in ("expected", "confirmed", "held", "moved", "cancelled"), e.id
        assert e.source in sources, e.id
        assert e.as_of is not None, f"{e.id}: no as_of"
    # Facts since 2018 come from public pages, each with its URL and date.
    for ident in ("adoption-conference-2018", "ga-endorsement-2018", "imrf-2022", "regional-review-2024-africa", "imrf-2026"):
        event = next(e for e in content.events if e.id == ident)
        assert sources[event.source].url.startswith("http") and sources[event.source].date


def test_no_past_event_is_still_expected_or_confirmed_today(content):
    today = date.today()
    stale = [w for e in content.events for w in record_warnings(e, today) if "still" in w]
    assert stale == [], "\n".join(stale)


def test_the_seed_forecast_of_the_adoption_stays_as_history(content):
    adoption = next(e for e in content.events if e.id == "adoption-conference-2018")
    assert (adoption.place, adoption.country, adoption.status) == ("Marrakech", "Morocco", "held")
    assert (adoption.start.value, adoption.end.value) == (date(2018, 12, 10), date(2018, 12, 11))
    assert "New York in September 2018" in adoption.history


# --- answers at several dates -----------------------------------------------------------------


@pytest.mark.parametrize("today, phrase", [
    (date(2017, 6, 1), "will take place on 10–11 December 2018"),
    (date(2018, 11, 1), "will take place on 10–11 December 2018"),
    (date(2022, 5, 18), "took place on 10–11 December 2018"),
    (TODAY, "took place on 10–11 December 2018"),
])
def test_where_the_compact_was_adopted_in_the_right_tense(content, today, phrase):
    text, answer = ask(content, "where was the compact adopted", today)
    assert answer.outcome == "answered"
    assert phrase in text and "Marrakech" in text
    assert "September 2018 in New York" not in text and "took place in September 2018" not in text


def test_general_assembly_endorsement(content):
    text, _ = ask(content, "when did the General Assembly endorse the compact", TODAY)
    assert "19 December 2018" in text and "73/195" in text


@pytest.mark.parametrize("today, first, next_", [
    (date(2018, 11, 1), "will take place on 17–20 May 2022", "First International Migration Review Forum"),
    (date(2022, 5, 18), "is taking place on 17–20 May 2022", "First International Migration Review Forum"),
    (TODAY, "took place on 17–20 May 2022", "Second International Migration Review Forum"),
])
def test_the_imrf_first_and_next(content, today, first, next_):
    text, _ = ask(content, "when was the first IMRF", today)
    assert first in text and "New York" in text
    text, answer = ask(content, "when is the next IMRF?", today)
    assert answer.outcome == "answered" and next_ in text


def test_the_next_imrf_today_says_expected_not_a_date(content):
    text, _ = ask(content, "when is the next IMRF?", TODAY)
    assert "is expected in 2026" in text  # the sources give only the year: no invented date


def test_what_the_imrf_is_and_who_coordinates_the_network(content):
    text, answer = ask(content, "what is the International Migration Review Forum?", TODAY)
    assert answer.outcome == "answered" and answer.faq.id == "imrf" and "every four years" in text
    text, answer = ask(content, "who coordinates the UN Network on Migration", TODAY)
    assert answer.faq.id == "un-network-on-migration" and "IOM" in text
    text, answer = ask(content, "what are the regional reviews of the compact", TODAY)
    assert answer.faq.id == "regional-reviews" and "2024–2025" in text


@pytest.mark.parametrize("today", [date(2017, 6, 1), date(2018, 11, 1), date(2022, 5, 18), TODAY, date(2027, 6, 1)])
def test_whats_coming_up_is_never_declined_and_never_lists_the_past(content, today):
    for question in ("what's coming up", "what's next?", "is there anything coming up"):
        text, answer = ask(content, question, today)
        assert answer.outcome == "answered" and answer.kind == "calendar", question
        assert answer.events and all(e.last_day >= today for e in answer.events), question
        assert "Coming up in the calendar" in text


def test_what_happened_last_month(content):
    text, answer = ask(content, "what happened last month", date(2024, 11, 15))
    assert answer.kind == "calendar" and [e.id for e in answer.events] == ["regional-review-2024-africa"]
    text, answer = ask(content, "what happened last month", date(2026, 12, 4))
    assert answer.kind == "calendar" and answer.events == () and "Nothing on the calendar" in text


@pytest.mark.parametrize("lang, question, fact", [
    ("es", "¿Dónde se aprobó el pacto?", "Marrakech"),
    ("fr", "Où le pacte a-t-il été adopté ?", "Marrakech"),
    ("ar", "أين اعتمد الاتفاق العالمي للهجرة؟", "مراكش"),
    ("es", "¿Qué es el Foro de Examen de la Migración Internacional?", "2022"),
    ("fr", "Qu’est-ce que le Forum d’examen des migrations internationales ?", "2022"),
    ("ar", "ما هو منتدى استعراض الهجرة الدولية", "2022"),
])
def test_adoption_and_imrf_in_other_languages(content, lang, question, fact):
    text, answer = ask(content, question, TODAY, lang)
    assert answer.outcome == "answered" and fact in text
    assert "The International Migration Review Forum is" not in text and "It was adopted" not in text  # not English


def test_yearly_days_are_always_ahead(content):
    for today in (date(2026, 12, 4), date(2026, 12, 19), date(2031, 1, 5)):
        knowledge = knowledge_from_content(content, today)
        days = [e for e in knowledge.events if e.id.startswith("international-migrants-day-")]
        ahead = [e for e in days if e.start.value >= today]
        assert ahead and ahead[0].start.value.month == 12 and ahead[0].start.value.day == 18


# --- content check ------------------------------------------------------------------------------


def test_content_check_warns_about_a_stale_record_and_strict_fails(tmp_path, capsys):
    folder = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, folder)
    events = folder / "events.yaml"
    events.write_text(events.read_text(encoding="utf-8").replace(
        "  status: held\n  as_of: \"2026-12-04\"\n  history: \"First planned for New York",
        "  status: confirmed\n  as_of: \"2026-12-04\"\n  history: \"First planned for New York", 1), encoding="utf-8")
    assert main(["content", "check", "--dir", str(folder), "--today", "2026-12-04"]) == 0
    out = capsys.readouterr().out
    assert "warning: adoption-conference-2018: ended 2018-12-11 but is still 'confirmed'" in out
    assert "mark it held, moved or cancelled" in out
    assert main(["content", "check", "--dir", str(folder), "--today", "2026-12-04", "--strict"]) == 1
    # An old forecast and an empty quarter are warned about too.
    assert main(["content", "check", "--dir", str(folder), "--today", "2027-08-01"]) == 0
    out = capsys.readouterr().out
    assert "imrf-2026: ended 2026-12-31 but is still 'expected'" in out
    assert "imrf-2030: 'expected' and last checked 2026-12-04" in out
    assert "no event in the next 90 days" in out


def test_content_check_rejects_a_held_event_in_the_future_and_a_bad_status(tmp_path):
    folder = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, folder)
    events = folder / "events.yaml"
    text = events.read_text(encoding="utf-8")
    text = text.replace("  status: expected\n  as_of: \"2026-12-04\"\n  note: \"No source dates it", "  status: held\n  as_of: \"2026-12-04\"\n  note: \"No source dates it", 1)
    text = text.replace("  recurs: yearly\n  source: ohchr-migrants-day\n  status: confirmed", "  recurs: yearly\n  source: ohchr-migrants-day\n  status: happening", 1)
    events.write_text(text, encoding="utf-8")
    _, problems = check_content(folder, today=TODAY)
    messages = [str(p) for p in problems if not p.is_warning]
    assert any("imrf-2030: marked held but starts 2030" in m for m in messages)
    assert any("international-migrants-day: 'status' is 'happening'" in m for m in messages)


# --- the bot: /events, digests, the weekly note to admins --------------------------------------------


def test_digest_with_nothing_new_says_what_comes_next(services):
    # 1 March 2023, Africa only: nothing in the next 8 weeks, no new statement or document.
    from gcmbot.services.subscriptions import Segment

    texts = render_digest_view(services.digest.preview_segment(Segment(regions=frozenset({"africa"})), datetime(2023, 3, 1, 9, tzinfo=UTC)))
    text = "\n".join(texts)
    assert "Nothing new this week" in text and "Coming next for your choices" in text
    assert "The most recent event for your choices" in text


def test_cli_digest_preview_today_names_something_ahead(cli_env, capsys):
    assert main(["digest", "preview", "--as-of", "2026-12-04"]) == 0
    out = capsys.readouterr().out
    assert "International Migrants Day" in out and "18 December 2026" in out


@pytest.fixture
def cli_env(monkeypatch, services, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GCMBOT_DATABASE_URL", services.db.url)
    monkeypatch.setenv("GCMBOT_CONTENT_DIR", str(services.settings.content_dir))
    return monkeypatch


def test_admins_are_told_once_a_week_while_the_record_is_stale(services):
    def notes():
        with services.db.session() as s:
            return [m for m in s.exec(select(OutboxMessage).where(OutboxMessage.kind == "admin")).all() if m.dedup_key.startswith("record:")]

    services.digest.send_due(datetime(2026, 12, 4, 12, tzinfo=UTC))
    assert notes() == []  # today the record is clean
    services.digest.send_due(datetime(2027, 3, 1, 12, tzinfo=UTC))  # the 2026 Forum still "expected"
    services.digest.send_due(datetime(2027, 3, 2, 12, tzinfo=UTC))  # same week: no second note
    [note] = notes()
    assert note.chat_id == 4242 and "imrf-2026" in note.text and "mark it held" in note.text
    services.digest.send_due(datetime(2027, 3, 9, 12, tzinfo=UTC))  # next week, still stale
    assert len(notes()) == 2


async def test_events_command_today_names_what_comes_next(running_bot, services):
    fake = running_bot
    fake.send_message(3901, "/events")
    await fake.wait_for(lambda: any("Upcoming consultations" in (m.get("text") or "") for m in fake.sent(3901)))
    msg = next(m for m in fake.sent(3901) if "Upcoming consultations" in (m.get("text") or ""))
    assert "International Migrants Day" in msg["text"]
    assert "Nothing scheduled" not in msg["text"]


async def test_asking_the_bot_where_it_was_adopted(running_bot, services):
    fake = running_bot
    fake.send_message(3902, "where was the compact adopted")
    await fake.wait_for(lambda: any("Marrakech" in (m.get("text") or "") for m in fake.sent(3902)))
    text = next(m["text"] for m in fake.sent(3902) if "Marrakech" in (m.get("text") or ""))
    assert "took place on 10–11 December 2018" in text and "Earlier plans" in text


def test_content_reads_the_same_without_libyaml():
    # Flow lists like `[¿Dónde …?, …]` parse with libyaml but not with PyYAML's pure-Python
    # loader; editors' tools and machines without libyaml must read the same content.
    import yaml

    for path in sorted(CONTENT_DIR.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        pure = yaml.load(text, Loader=yaml.SafeLoader)
        if hasattr(yaml, "CSafeLoader"):
            assert pure == yaml.load(text, Loader=yaml.CSafeLoader), path.name
