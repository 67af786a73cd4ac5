"""Done-when of issue 17, end to end through the fake Bot API: a subscriber in Spanish, French or
Arabic gets a weekly digest, a reminder and answers to three questions with no English sentence in
them (names of documents and organisations excepted)."""

from __future__ import annotations

import asyncio
import html
import re
from datetime import UTC, datetime

import pytest
import yaml

from conftest import CONTENT_DIR
from gcmbot.models import Subscriber

MONDAY = datetime(2017, 5, 1, 10, tzinfo=UTC)  # thematic consultation 1 is a week away

QUESTIONS = {
    "es": ["¿Cuándo es la consulta de Ginebra?", "¿Qué son los cortafuegos?", "¿Es vinculante el pacto?"],
    "fr": ["Quand a lieu la consultation de Genève ?", "Que sont les pare-feu ?", "Le pacte est-il juridiquement contraignant ?"],
    "ar": ["متى مشاورة جنيف؟", "ما هي جدران الحماية؟", "هل الاتفاق ملزم قانوناً؟"],
}
HEADINGS = {"es": "Tu resumen semanal", "fr": "Votre résumé hebdomadaire", "ar": "ملخصك الأسبوعي"}
REMINDER = {"es": "Recordatorio", "fr": "Rappel", "ar": "تذكير"}
# Words that only an English sentence has (none is a Spanish, French or Arabic word).
ENGLISH = re.compile(r"\b(the|and|of|with|your|you|this|that|is|are|for|from|will|has|have|was|were|which|what|when|how|it|to|in|on)\b", re.I)


def _names() -> list[str]:
    """Names kept as published: source documents, statements' published titles, organisations."""
    names = []
    for file, keys in (("sources", ("title",)), ("statements", ("title", "organisation"))):
        for entry in yaml.safe_load((CONTENT_DIR / f"{file}.yaml").read_text(encoding="utf-8")):
            names += [str(entry[k]) for k in keys if entry.get(k)]
    names += ["Global Coalition on Migration", "Safe, Orderly, Regular Migration Now: Mechanics of a Compact worth Agreeing to",
              "Safe, Orderly, Regular Migration Now", "Initiative for Child Rights in the Global Compacts", "Peoples' Global Action"]
    return sorted(set(names), key=len, reverse=True)


def english_left(message: str) -> list[str]:
    text = html.unescape(re.sub(r"<[^>]+>", " ", message)).replace("\u2068", "").replace("\u2069", "")
    for name in _names():
        text = text.replace(name, " ")
    text = re.sub(r"https?://\S+|\S+@\S+|/\w+", " ", text)  # links, e-mail addresses, commands
    return ENGLISH.findall(text)


def test_the_english_detector_finds_english_and_only_english():
    assert english_left("<b>Your weekly digest</b>") == ["Your"]
    assert english_left("Consulta temática 1: derechos humanos, inclusión social y xenofobia — Fuente: <i>What is the Global Compact on Migration? Answers to FAQs for civil society</i>") == []
    assert english_left("قمة الأمم المتحدة · /settings · https://www.iom.int/global-compact-migration") == []


@pytest.mark.parametrize("lang", ["es", "fr", "ar"])
async def test_digest_reminder_and_answers_entirely_in_the_language(running_bot, services, lang):
    fake = running_bot
    chat = {"es": 9501, "fr": 9502, "ar": 9503}[lang]
    fake.send_message(chat, "/start", language_code=lang)
    await fake.wait_for(lambda: services.subscriptions.get(chat) is not None)
    with services.db.session() as s:  # subscribed in April 2017, reminders a week ahead
        row = s.exec(Subscriber.__table__.select().where(Subscriber.chat_id == chat)).first()
        s.exec(Subscriber.__table__.update().where(Subscriber.chat_id == chat).values(
            created_at=datetime(2017, 4, 1, tzinfo=UTC), reminder_days=7, reminders=True))
        s.commit()
    assert row is not None and services.subscriptions.get(chat).language == lang
    before = len(fake.sent(chat))

    report = await asyncio.to_thread(services.digest.send_due, MONDAY)
    assert report.digests >= 1 and report.reminders >= 1
    await fake.wait_for(lambda: any(HEADINGS[lang] in (m.get("text") or "") for m in fake.sent(chat)))
    await fake.wait_for(lambda: any(REMINDER[lang] in (m.get("text") or "") for m in fake.sent(chat)))
    for question in QUESTIONS[lang]:
        count = len(fake.sent(chat))
        fake.send_message(chat, question, language_code=lang)
        await fake.wait_for(lambda: len(fake.sent(chat)) > count)
    await fake.wait_idle()

    received = [m["text"] for m in fake.sent(chat)[before:] if m.get("text")]
    digest = [t for t in received if HEADINGS[lang] in t]
    reminder = [t for t in received if REMINDER[lang] in t]
    answers = received[-3:]
    assert digest and reminder and len(answers) == 3
    assert all("2017" in a or len(a) > 200 for a in answers)  # real answers, not "I don't know"
    for text in [*digest, *reminder, *answers]:
        assert english_left(text) == [], (english_left(text), text)
    if lang == "ar":
        assert all("\u2068" in t for t in [*digest, *reminder])  # dates and names isolated
