"""Languages: catalogues complete and consistent, dates per locale, and the bot speaking es/fr/ar end to end."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from gcmbot import i18n
from gcmbot.render import texts
from gcmbot.content.dates import PartialDate, format_range
from gcmbot.render.digest import render_digest_view

ROOT = Path(__file__).resolve().parents[1]
POT = ROOT / "gcmbot" / "locale" / "messages.pot"
PLACEHOLDER = re.compile(r"\{(\w*)\}|%\((\w+)\)[sdr]")


def placeholders(text: str) -> set[str]:
    return {a or b for a, b in PLACEHOLDER.findall(text)}


def catalogue(lang: str):
    with (ROOT / "gcmbot" / "locale" / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=lang)


def template_ids() -> set:
    with POT.open("rb") as f:
        return {m.id for m in read_po(f) if m.id}


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_every_catalogue_translates_every_message_with_the_same_placeholders(lang):
    cat = catalogue(lang)
    ids = {m.id for m in cat if m.id}
    assert template_ids() - ids == set(), f"{lang}: messages missing from the catalogue (run pybabel update)"
    problems = []
    for m in cat:
        if not m.id:
            continue
        if "fuzzy" in m.flags:
            problems.append(f"fuzzy: {m.id!r}")
        if isinstance(m.id, tuple):  # plural forms may drop {n} ("one document"), but never invent one
            allowed = placeholders(m.id[0]) | placeholders(m.id[1])
            forms = list(m.string)
            if len(forms) != cat.num_plurals or not all(forms):
                problems.append(f"plural forms missing: {m.id!r}")
            problems += [f"broken placeholder in {f!r}" for f in forms if not placeholders(f) <= allowed]
        elif not m.string:
            problems.append(f"untranslated: {m.id!r}")
        elif placeholders(m.string) != placeholders(m.id):
            problems.append(f"placeholders {placeholders(m.string)} ≠ {placeholders(m.id)} in {m.id!r}")
        elif m.id.count("<") != m.string.count("<"):
            problems.append(f"HTML tags differ in {m.id!r}")
    assert problems == []


def test_the_template_is_up_to_date_with_the_code(tmp_path):
    out = tmp_path / "fresh.pot"
    CommandLineInterface().run(["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "-o", str(out), str(ROOT)])
    with out.open("rb") as f:
        fresh = {m.id for m in read_po(f) if m.id}
    assert fresh - template_ids() == set(), "run: pybabel extract -F babel.cfg --no-location --sort-output -o gcmbot/locale/messages.pot ."


def test_catalogues_load_from_po_without_a_compile_step_and_from_a_fresh_mo(tmp_path, monkeypatch):
    locale = tmp_path / "locale"
    shutil.copytree(ROOT / "gcmbot" / "locale", locale, ignore=shutil.ignore_patterns("*.mo"))
    monkeypatch.setattr(i18n, "LOCALE_DIR", locale)
    i18n.translator.cache_clear()
    try:
        assert i18n.translator("fr").gettext("Regions") == "Régions"  # compiled in memory
        CommandLineInterface().run(["pybabel", "-q", "compile", "-d", str(locale), "-D", "messages"])
        assert (locale / "fr" / "LC_MESSAGES" / "messages.mo").exists()
        i18n.translator.cache_clear()
        assert i18n.translator("fr").gettext("Regions") == "Régions"  # from the .mo
        assert i18n.translator("de").gettext("Regions") == "Regions"  # unknown → English
    finally:
        i18n.translator.cache_clear()


def test_pick_language():
    assert i18n.pick("es-419") == "es"
    assert i18n.pick(None, "pt-BR") == "en"
    assert i18n.pick("fr", "es") == "fr"
    assert i18n.pick(None, "AR") == "ar"


@pytest.mark.parametrize(
    "raw, end, part, locale, expected",
    [
        ("2017-05-08", "2017-05-09", None, "es", "8–9 de mayo de 2017"),
        ("2017-05-08", "2017-05-09", None, "fr", "8–9 mai 2017"),
        ("2017-06-30", "2017-07-01", None, "fr", "30 juin – 1 juillet 2017"),
        ("2017-06-30", "2017-07-01", None, "es", "30 de junio – 1 de julio de 2017"),
        ("2017-12-30", "2018-01-02", None, "es", "30 de diciembre de 2017 – 2 de enero de 2018"),
        ("2017-09", None, None, "es", "septiembre de 2017"),
        ("2017-09", None, None, "fr", "septembre 2017"),
        ("2017-11", None, "late", "es", "finales de noviembre de 2017"),
        ("2017-11", None, "late", "fr", "fin novembre 2017"),
        ("2017-11", None, "early", "fr", "début novembre 2017"),
        ("2018", None, None, "fr", "2018"),
        ("2017-05-08", None, None, "ar", "8 مايو 2017"),
        ("2017-11", None, "late", None, "late November 2017"),
        ("2017-05-08", "2017-05-09", None, "en", "8–9 May 2017"),
    ],
)
def test_dates_keep_their_precision_in_every_locale(raw, end, part, locale, expected):
    start = PartialDate.parse(raw, part)
    assert format_range(start, PartialDate.parse(end) if end else None, locale) == expected


def test_commands_have_descriptions_in_every_language():
    for lang in i18n.LANGUAGES:
        descriptions = dict(texts.commands(lang))
        assert set(descriptions) == {c for c, _ in texts.COMMANDS} and "lang" in descriptions
        assert all(0 < len(d) <= 256 for d in descriptions.values())
    assert dict(texts.commands("es"))["stop"].startswith("Pausa")


# --- the digest in French -------------------------------------------------------------------


def test_digest_preview_in_french_with_french_dates(services):
    subs = services.subscriptions
    subs.start(9101, "private", language="fr")
    subs.set_timezone(9101, "Europe/Paris")
    [message] = render_digest_view(services.digest.preview(9101, datetime(2017, 5, 1, 12, tzinfo=UTC)))
    assert "Aperçu de votre résumé hebdomadaire" in message
    assert "1 mai 2017" in message  # the day of the digest
    assert "8–9 mai 2017" in message and "22–23 mai 2017" in message
    assert "Comment la société civile peut participer" in message
    assert "Consultation thématique 1 : droits humains" in message  # the event title, translated in the content
    assert "📍 Genève, Suisse" in message
    assert "Modifier ce que vous recevez" in message
    assert "May 2017" not in message and "Your weekly digest" not in message


def test_digest_and_reminder_in_spanish_and_arabic_english_unchanged(services):
    from gcmbot.render.digest import render_reminder
    from gcmbot.store import digest as digest_store

    now = datetime(2017, 5, 1, 12, tzinfo=UTC)
    for chat_id, lang in ((9111, "es"), (9112, "en"), (9113, "ar")):
        services.subscriptions.start(chat_id, "private", language=lang)
    assert "Vista previa de tu resumen semanal" in render_digest_view(services.digest.preview(9111, now))[0]
    assert "8–9 de mayo de 2017" in render_digest_view(services.digest.preview(9111, now))[0]
    assert "Preview of your weekly digest" in render_digest_view(services.digest.preview(9112, now))[0]
    assert "8–9 May 2017" in render_digest_view(services.digest.preview(9112, now))[0]
    assert "معاينة ملخصك الأسبوعي" in render_digest_view(services.digest.preview(9113, now))[0]
    with services.db.session() as s:
        event = next(e for e in digest_store.events(s) if e.id == "thematic-consultation-1")
    assert "in 3 days" in render_reminder(event, 3)
    assert "en 3 días" in render_reminder(event, 3, "es") and "Recordatorio" in render_reminder(event, 3, "es")
    assert "بعد 3 أيام" in render_reminder(event, 3, "ar")


# --- end to end through the fake Bot API -------------------------------------------------------


def _menu(fake, chat_id):
    return [m for m in fake.sent(chat_id) if m.get("reply_markup")][-1]


def _labels(message) -> list[str]:
    return [b["text"] for row in message["reply_markup"]["inline_keyboard"] for b in row]


async def test_spanish_user_gets_the_spanish_interface_and_lang_fr_switches(running_bot, services):
    fake = running_bot
    fake.send_message(9201, "/start", language_code="es")
    await fake.wait_for(lambda: any(m.get("reply_markup") for m in fake.sent(9201)))
    texts_ = [m["text"] for m in fake.sent(9201)]
    assert any("¡Bienvenido!" in t for t in texts_)
    menu = _menu(fake, 9201)
    assert "Tu suscripción" in menu["text"] and "Idioma: Español" in menu["text"]
    assert "🌍 Regiones" in _labels(menu) and "Listo" in _labels(menu)
    assert services.subscriptions.get(9201).language == "es"

    fake.send_message(9201, "/lang fr")
    await fake.wait_for(lambda: any("Français" in (m.get("text") or "") for m in fake.sent(9201)))
    assert services.subscriptions.get(9201).language == "fr"
    assert "Le bot parle désormais Français" in fake.sent(9201)[-1]["text"]

    fake.send_message(9201, "/mysubscription")
    await fake.wait_for(lambda: "Votre abonnement" in (fake.sent(9201)[-1].get("text") or ""))
    assert "Langue : Français" in fake.sent(9201)[-1]["text"]


async def test_lang_without_argument_shows_buttons_and_a_bad_code_changes_nothing(running_bot, services):
    fake = running_bot
    fake.send_message(9202, "/start", language_code="en")
    await fake.wait_for(lambda: any(m.get("reply_markup") for m in fake.sent(9202)))
    fake.send_message(9202, "/lang xx")
    await fake.wait_for(lambda: "not a language I speak" in (fake.sent(9202)[-1].get("text") or ""))
    assert "en, es, fr, ar" in fake.sent(9202)[-1]["text"]
    assert services.subscriptions.get(9202).language == "en"

    fake.send_message(9202, "/lang")
    await fake.wait_for(lambda: "العربية" in str(fake.sent(9202)[-1].get("reply_markup")))
    menu = fake.sent(9202)[-1]
    data = next(b["callback_data"] for row in menu["reply_markup"]["inline_keyboard"] for b in row if b["text"] == "العربية")
    fake.press_button(9202, menu["message_id"], data)
    await fake.wait_for(lambda: services.subscriptions.get(9202).language == "ar")
    await fake.wait_for(lambda: "اللغة" in next(m for m in fake.sent(9202) if m["message_id"] == menu["message_id"])["text"])


async def test_unsubscribed_french_user_gets_help_in_french_and_commands_are_set_per_language(running_bot, services):
    fake = running_bot
    fake.send_message(9203, "/help", language_code="fr-CA")
    await fake.wait_for(lambda: bool(fake.sent(9203)))
    assert "vous tient informé" in fake.sent(9203)[-1]["text"] and "/lang — " in fake.sent(9203)[-1]["text"]
    await fake.wait_for(lambda: bool(fake.commands_for(language_code="ar")))
    assert {c["command"] for c in fake.commands_for(language_code="es")} == {c for c, _ in texts.COMMANDS}
    assert any("Pausa" in c["description"] for c in fake.commands_for(language_code="es"))
    assert any(c["description"] == "Pause all messages (your choices are kept)" for c in fake.commands_for())


async def test_question_in_spanish_is_answered_in_spanish(running_bot, services):
    fake = running_bot
    fake.send_message(9204, "/start", language_code="es")
    await fake.wait_for(lambda: any(m.get("reply_markup") for m in fake.sent(9204)))
    fake.send_message(9204, "¿Cuándo es la consulta de Ginebra?", language_code="es")
    await fake.wait_for(lambda: "2017" in (fake.sent(9204)[-1].get("text") or ""))
    answer = fake.sent(9204)[-1]["text"]
    assert "de mayo de 2017" in answer and ("se celebró" in answer or "se celebra" in answer)
    assert "Consulta temática 1" in answer and "en Ginebra, Suiza" in answer

    fake.send_message(9204, "¿Qué son los cortafuegos?", language_code="es")
    await fake.wait_for(lambda: "cortafuegos" in (fake.sent(9204)[-1].get("text") or "").lower() and fake.sent(9204)[-1]["text"] != "¿Qué son los cortafuegos?")
    assert "<b>¿Qué son los cortafuegos?</b>" in fake.sent(9204)[-1]["text"]
    assert "Fuente:" in fake.sent(9204)[-1]["text"]


def test_an_entry_without_a_translation_falls_back_to_english_silently():
    from gcmbot.render.answers import answer_html
    from gcmbot.services.knowledge import FaqDoc
    from gcmbot.services.questions import Answer

    doc = FaqDoc("x", "What is the role of IOM in the compact?", "IOM co-organised the consultations.", source="A source")
    text = answer_html(Answer("answered", "faq", faq=doc), "fr")
    assert "IOM co-organised" in text and "Source :" in text
    assert "missing" not in text.lower() and "traduction" not in text.lower()


async def test_settings_menu_shows_the_taxonomy_in_the_subscribers_language(running_bot, services):
    fake = running_bot
    fake.send_message(9206, "/start", language_code="ar")
    await fake.wait_for(lambda: any(m.get("reply_markup") for m in fake.sent(9206)))
    menu = _menu(fake, 9206)
    assert "اشتراكك" in menu["text"] and "جميع المناطق" in menu["text"]
    data = next(b["callback_data"] for row in menu["reply_markup"]["inline_keyboard"] for b in row if "المناطق" in b["text"])
    fake.press_button(9206, menu["message_id"], data)
    await fake.wait_for(lambda: "أفريقيا" in str(next(m for m in fake.sent(9206) if m["message_id"] == menu["message_id"]).get("reply_markup")))


# --- content files: translations ----------------------------------------------------------------


def test_content_translations_are_loaded_and_bad_keys_reported_with_file_and_line(tmp_path):
    from gcmbot.content.loader import check_content

    content, problems = check_content(ROOT / "content")
    assert problems == []
    africa = next(t for t in content.regions if t.id == "africa")
    assert africa.translations["name"] == {"es": "África", "fr": "Afrique", "ar": "أفريقيا"}
    assert all({"es", "fr", "ar"} <= set(t.translations.get("name", {})) for t in (*content.regions, *content.constituencies, *content.topics))
    assert all({"es", "fr"} <= set(e.translations.get("title", {})) for e in content.events)
    assert sum(1 for f in content.faq if {"es", "fr"} <= set(f.translations.get("answer", {}))) >= 15

    for f in (ROOT / "content").glob("*.yaml"):
        shutil.copy(f, tmp_path / f.name)
    regions = (tmp_path / "regions.yaml").read_text(encoding="utf-8")
    regions = regions.replace("    es:\n      name: África", "    de:\n      name: Afrika\n    es:\n      nombre: África", 1)
    (tmp_path / "regions.yaml").write_text(regions, encoding="utf-8")
    _, problems = check_content(tmp_path)
    messages = [str(p) for p in problems]
    assert any(m.startswith("regions.yaml:") and "'de' is not one of en, es, fr, ar" in m for m in messages), messages
    assert any(m.startswith("regions.yaml:") and "translations.es.nombre" in m for m in messages), messages
    line = next(p.line for p in problems if "'de'" in p.message)
    assert (tmp_path / "regions.yaml").read_text(encoding="utf-8").splitlines()[line - 1].strip() == "de:"


def test_migration_adds_and_removes_the_translations_columns(tmp_path):
    from sqlalchemy import inspect

    from gcmbot.store import Database

    db = Database(f"sqlite:///{tmp_path / 'm.db'}")
    db.upgrade(ROOT / "migrations")
    assert "translations" in {c["name"] for c in inspect(db.engine).get_columns("event")}
    from alembic import command

    from gcmbot.store.db import _alembic_config

    command.downgrade(_alembic_config(db, ROOT / "migrations"), "0001")
    assert "translations" not in {c["name"] for c in inspect(db.engine).get_columns("event")}
    db.upgrade(ROOT / "migrations")
    assert "translations" in {c["name"] for c in inspect(db.engine).get_columns("faqentry")}
    db.dispose()


def test_alerts_in_spanish_and_english_unchanged():
    from gcmbot.render.alerts import render_alert
    from gcmbot.services.alerts import AlertItem

    items = [AlertItem(i, f"Report {i}", f"https://example.org/{i}", "IOM", datetime(2026, 11, 2 + i, tzinfo=UTC)) for i in range(2)]
    assert render_alert(items).startswith("🆕 <b>2 new documents</b>")
    assert "3 Nov 2026" in render_alert(items)
    spanish = render_alert(items, language="es")
    assert spanish.startswith("🆕 <b>2 documentos nuevos</b>") and "3 nov 2026" in spanish
    assert render_alert(items[:1], language="fr").startswith("🆕 <b>Nouveau document</b>")
    assert render_alert(items[:1], language="ar").startswith("🆕 <b>وثيقة جديدة</b>")


def test_cli_preview_and_ask_in_french(services, monkeypatch, capsys, tmp_path):
    from gcmbot.cli import main

    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("GCMBOT_DATABASE_URL", services.db.url)
    monkeypatch.setenv("GCMBOT_CONTENT_DIR", str(services.settings.content_dir))
    assert main(["digest", "preview", "--as-of", "2017-05-01", "--lang", "fr"]) == 0
    out = capsys.readouterr().out
    assert "Aperçu de votre résumé hebdomadaire" in out and "8–9 mai 2017" in out
    assert main(["ask", "--lang", "fr", "--today", "2017-06-01", "Quand a lieu la consultation de Genève ?"]) == 0
    assert "s’est tenue le 8–9 mai 2017 à Genève, Suisse" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["digest", "preview", "--lang", "de"])  # only en, es, fr, ar
