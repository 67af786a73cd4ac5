"""Content translations: coverage warnings (`content check`, `--strict`), `content coverage`,
translated statements in digests, translated calendars."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime

import pytest

from gcmbot.cli import main as cli
from gcmbot.content.loader import TRANSLATED, check_content

from conftest import CONTENT_DIR


@pytest.fixture
def content_copy(tmp_path):
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target)
    return target


STATEMENT = """- id: s1
  title: A statement
  date: "2017-05"
  organisation: Office of the UN High Commissioner for Human Rights (OHCHR)
  summary: What it says.
  translations:
    es:
      title: Una declaración
      summary: Lo que dice.
      organisation: Oficina del Alto Comisionado de las Naciones Unidas para los Derechos Humanos (ACNUDH)
"""


def test_missing_translations_are_warnings_with_file_and_line_and_errors_with_strict(content_copy, capsys):
    (content_copy / "statements.yaml").write_text(STATEMENT, encoding="utf-8")
    content, problems = check_content(content_copy)
    assert problems == []
    ours = [m for m in content.missing if m.file == "statements.yaml"]
    assert {(m.language, m.field) for m in ours} == {(lang, f) for lang in ("fr", "ar") for f in ("title", "summary", "organisation")}
    assert {m.line for m in ours} == {6}  # the `translations:` line of the entry
    assert str(ours[0]).startswith("statements.yaml:6: warning: s1: missing ")

    code = cli(["content", "check", "--dir", str(content_copy)])
    out = capsys.readouterr().out
    assert "statements.yaml:6: warning: s1: missing fr translation of 'summary'" in out
    assert "statements.yaml:6: warning: s1: missing ar translation of 'title'" in out
    assert ("missing es translation" not in out.split("statements.yaml")[1]) and "content OK" in out
    if not any(m.file != "statements.yaml" for m in content.missing):
        assert code == 0
    assert cli(["content", "check", "--dir", str(content_copy), "--strict"]) == 1
    out = capsys.readouterr().out
    assert "statements.yaml:6: warning: s1: missing ar translation of 'summary'" in out and "content OK" not in out


def test_an_entry_without_translations_is_reported_at_its_own_line_and_empty_fields_need_none(content_copy):
    (content_copy / "statements.yaml").write_text(STATEMENT + "- id: s2\n  title: Other\n  date: \"2018\"\n  summary: Text.\n", encoding="utf-8")
    content, _ = check_content(content_copy)
    s2 = [m for m in content.missing if m.entry == "s2"]
    assert {m.line for m in s2} == {11} and {m.field for m in s2} == {"title", "summary"}  # no organisation: nothing to translate
    assert content.coverage[("statements.yaml", "organisation")] == {"total": 1, "es": 1, "fr": 0, "ar": 0}
    assert content.coverage[("statements.yaml", "title")] == {"total": 2, "es": 1, "fr": 0, "ar": 0}


def test_strict_passes_when_everything_is_translated(content_copy, capsys):
    full = STATEMENT + "".join(
        f"    {lang}:\n      title: t\n      summary: s\n      organisation: o\n" for lang in TRANSLATED if lang != "es"
    )
    (content_copy / "statements.yaml").write_text(full, encoding="utf-8")
    content, _ = check_content(content_copy)
    assert not [m for m in content.missing if m.file == "statements.yaml"]
    for name in ("regions", "constituencies", "topics", "events", "faq"):  # keep only entries with everything translated
        (content_copy / f"{name}.yaml").write_text("", encoding="utf-8")
    assert cli(["content", "check", "--dir", str(content_copy), "--strict", "--today", "2017-05-01"]) == 0
    assert "content OK" in capsys.readouterr().out


def test_coverage_table_lists_fields_by_language_with_percentages(content_copy, capsys):
    (content_copy / "statements.yaml").write_text(STATEMENT, encoding="utf-8")
    assert cli(["content", "coverage", "--dir", str(content_copy)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["field", "entries", "es", "fr", "ar"]
    row = next(line for line in out if line.startswith("statements.summary "))
    assert row.split() == ["statements.summary", "1", "1", "(100", "%)", "0", "(0", "%)", "0", "(0", "%)"]
    assert any(line.startswith("faq.answer ") for line in out) and any(line.startswith("events.place ") for line in out)
    assert out[-1].startswith("all fields")


def test_a_translation_of_an_unknown_statement_field_is_a_problem(content_copy):
    (content_copy / "statements.yaml").write_text(STATEMENT.replace("      summary: Lo que dice.", "      resumen: Lo que dice."), encoding="utf-8")
    _, problems = check_content(content_copy)
    assert any("translations.es.resumen" in p.message and p.file == "statements.yaml" for p in problems)


def test_translated_statements_appear_in_digests(services):
    from gcmbot.render.digest import render_statement
    from gcmbot.store import digest as digest_store

    with services.db.session() as s:
        statements = {x.id: x for x in digest_store.statements_seen_since(s, datetime(2000, 1, 1, tzinfo=UTC))}
    statement = statements["ohchr-borders-principles-2014"]
    assert statement.translations["summary"]["es"]
    spanish = render_statement(statement, "es")
    assert statement.translations["summary"]["es"][:60] in spanish
    assert "Oficina del Alto Comisionado" in spanish and "22 de octubre de 2014" in spanish
    assert "OHCHR guidance" not in spanish
    assert "OHCHR guidance" in render_statement(statement, "en")


def test_calendar_in_french(services):
    from icalendar import Calendar

    from gcmbot.render.calendar import render_calendar

    services.subscriptions.start(9301, "private", language="fr")
    cal = Calendar.from_ical(render_calendar(services.digest.calendar(9301, datetime(2017, 5, 1, tzinfo=UTC))))
    events = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    tc1 = events["thematic-consultation-1@gcmbot"]
    assert "Consultation thématique 1" in str(tc1["SUMMARY"])
    assert "Genève" in str(tc1["LOCATION"])
    assert "Comment la société civile peut participer" in str(tc1["DESCRIPTION"])
    assert str(cal["X-WR-CALNAME"]) == "Pacte mondial sur les migrations"
    month_only = next(e for e in events.values() if "dates" in str(e["SUMMARY"]).lower() or "à confirmer" in str(e["SUMMARY"]))
    assert "à confirmer" in str(month_only["SUMMARY"]) and "tbc" not in str(month_only["SUMMARY"])


def test_migration_adds_statement_translations(tmp_path):
    from sqlalchemy import inspect

    from gcmbot.store import Database

    db = Database(f"sqlite:///{tmp_path / 'm.db'}")
    db.upgrade(CONTENT_DIR.parent / "migrations")
    assert "translations" in {c["name"] for c in inspect(db.engine).get_columns("statement")}
    db.dispose()


# --- right-to-left -------------------------------------------------------------------------


def _show(text: str) -> str:
    return text.replace("\u2068", "⟦").replace("\u2069", "⟧")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("8–9 مايو 2017", "⟦8–9⟧ مايو 2017"),  # a range would read 9–8 without the isolate; a lone number is fine
        ("أرسل /start ثم /settings", "أرسل ⟦/start⟧ ثم ⟦/settings⟧"),  # not "start/"
        ("التحالف العالمي للهجرة (GCM) في 2017", "التحالف العالمي للهجرة (⟦GCM⟧) في 2017"),  # brackets stay Arabic
        ("الوثيقة A/71/L.1 على http://www.un.org/ga", "الوثيقة ⟦A/71/L.1⟧ على ⟦http://www.un.org/ga⟧"),
        ("راسل coordinator@gcmigration.org)، وهو", "راسل ⟦coordinator@gcmigration.org⟧)، وهو"),
        ("Global Coalition on Migration تحالف", "⟦Global Coalition on Migration⟧ تحالف"),
        ("already ⟦8–9⟧ مايو", "⟦already⟧ ⟦8–9⟧ مايو"),
    ],
)
def test_latin_runs_dates_and_numbers_are_isolated_in_arabic(text, expected):
    from gcmbot.i18n import isolate

    assert _show(isolate(text.replace("⟦", "\u2068").replace("⟧", "\u2069"), "ar")) == expected


def test_isolates_only_for_arabic_and_never_inside_tags_or_entities():
    from gcmbot.i18n import isolate, isolate_html

    assert isolate("8–9 May 2017", "ar") == "8–9 May 2017"  # no Arabic letter: nothing to do
    assert isolate("8–9 de mayo de 2017", "es") == "8–9 de mayo de 2017"
    html = '<b>الاتفاق</b> &amp; <a href="https://x.org/a?b=1&amp;c=2">GCM &amp; co</a> 8–9 مايو &lt;'
    out = isolate_html(html, "ar")
    assert _show(out) == '<b>الاتفاق</b> &amp; <a href="https://x.org/a?b=1&amp;c=2">⟦GCM &amp; co⟧</a> ⟦8–9⟧ مايو &lt;'
    assert isolate_html(out, "ar") == out  # idempotent


def test_arabic_digest_reminder_and_answer_isolate_dates_and_names(services):
    from gcmbot.render.digest import render_reminder, render_digest_view
    from gcmbot.store import digest as digest_store

    services.subscriptions.start(9401, "private", language="ar")
    [message] = render_digest_view(services.digest.preview(9401, datetime(2017, 5, 1, 12, tzinfo=UTC)))
    assert "\u2068" in message and "⟦8–9⟧ مايو 2017" in _show(message) and "⟦/settings⟧" in _show(message)
    assert message.count("\u2068") == message.count("\u2069")
    assert "📍 جنيف، سويسرا" in message  # the content's Arabic names, joined with the Arabic comma
    assert "المشاورة المواضيعية 1" in message and "Thematic consultation" not in message
    with services.db.session() as s:
        event = next(e for e in digest_store.events(s) if e.id == "thematic-consultation-1")
    assert "⟦8–9⟧ مايو 2017" in _show(render_reminder(event, 3, "ar"))
    assert "\u2068" not in render_reminder(event, 3, "fr")


def test_an_untitled_feed_item_is_untitled_in_the_readers_language():
    from types import SimpleNamespace

    from gcmbot.render.alerts import render_alert
    from gcmbot.render.digest import render_feed_item
    from gcmbot.services.alerts import AlertItem

    item = SimpleNamespace(link="", title="(untitled)", feed_id="f", published_at=datetime(2026, 11, 2, tzinfo=UTC), first_seen_at=None)
    assert "(sin título)" in render_feed_item(item, feed_names={"f": "IOM"}, language="es")
    assert "(untitled)" in render_feed_item(item, feed_names={"f": "IOM"})
    alert = render_alert([AlertItem(1, "(untitled)", "", "IOM", datetime(2026, 11, 2, tzinfo=UTC))], language="fr")
    assert "(sans titre)" in alert
