"""Admin texts (/broadcast flow, /broadcasts, /feeds, /stats, reports, notices) in the admin's language."""

from __future__ import annotations

from datetime import UTC, datetime

from fakebotapi import tap
from test_broadcast import ADMIN, say, subscribe

from gcmbot.i18n import moment, number


def test_numbers_and_moments_per_language():
    assert number(12345.5, "fr", 1) == "12\u202f345,5" and number(12345.5, "es", 1) == "12.345,5"
    assert number(12345.5, "en", 1) == "12,345.5" and number(28.4, "ar", 1) == "28.4"
    when = datetime(2026, 12, 4, 20, 5, tzinfo=UTC)
    assert moment(when, "en") == "2026-12-04 20:05 UTC"
    assert moment(when, "es") == "4 dic 2026, 20:05 UTC"
    assert moment(when, "ar").startswith("4 ديسمبر 2026")


async def test_spanish_admin_runs_a_broadcast_in_spanish_and_gets_a_spanish_report(running_bot, services):
    fake = running_bot
    subscribe(services)
    services.subscriptions.start(ADMIN, "private", language="es")
    prompt = await say(fake, ADMIN, "/broadcast", "Envíame ahora el mensaje")
    assert "Nueva difusión" in prompt["text"] and "Cancelar" in str(prompt["reply_markup"])
    menu = await say(fake, ADMIN, "<b>Hola</b>", "¿Quién debe recibirlo?")
    assert "Regiones: todas las regiones" in menu["text"] and "Destinatarios ahora:" in menu["text"]
    screen = await tap(fake, ADMIN, menu, "Regiones")
    assert "Todas las regiones" in str(screen["reply_markup"]) and "África" in str(screen["reply_markup"])
    screen = await tap(fake, ADMIN, screen, "África")
    screen = await tap(fake, ADMIN, screen, "Atrás")
    assert "Regiones: África" in screen["text"]
    before = len(fake.sent(ADMIN))
    await tap(fake, ADMIN, screen, "Vista previa")
    await fake.wait_for(lambda: len(fake.sent(ADMIN)) >= before + 2)
    confirm = fake.sent(ADMIN)[-1]
    assert "Arriba está el mensaje" in confirm["text"] and "¿Enviarlo?" in confirm["text"]
    await tap(fake, ADMIN, confirm, "Enviar a 4")  # 3001, 3002, 3005 and the admin's own chat (all regions)
    await fake.wait_for(lambda: "está en cola para" in next(m for m in fake.sent(ADMIN) if m["message_id"] == confirm["message_id"])["text"], timeout=20)
    report = await fake.wait_for(lambda: next((m for m in fake.sent(ADMIN) if "terminada" in m["text"]), None), timeout=30)
    assert "Enviados: 4 de 4" in report["text"] and "Omitidos" in report["text"] and "Sent:" not in report["text"]
    listing = await say(fake, ADMIN, "/broadcasts", "Difusiones recientes")
    assert "enviados 4 / pendientes 0" in listing["text"] and "terminada" in listing["text"] and "UTC" in listing["text"]


async def test_feeds_stats_and_refusals_in_the_chat_language(running_bot, services):
    fake = running_bot
    services.subscriptions.start(ADMIN, "private", language="fr")
    feeds = await say(fake, ADMIN, "/feeds", "Flux")
    assert "dernier succès : jamais" in feeds["text"] and "last success" not in feeds["text"]
    stats = await say(fake, ADMIN, "/stats", "Questions des 30 derniers jours")
    assert "répondues : 0" in stats["text"].replace(": ", " : ") or "répondues: 0" in stats["text"]
    assert "Questions sans réponse les plus fréquentes" in stats["text"]
    services.subscriptions.start(5101, "private", language="ar")
    refused = await say(fake, 5101, "/stats", "عذراً")
    assert "لمشرفي البوت فقط" in refused["text"]


def test_feed_flag_notice_in_the_admins_language():
    from gcmbot.render.feeds import admin_flag_text, admin_recovered_text

    assert admin_flag_text("UN News", 3, "timeout", "es").startswith("⚠️ La fuente <b>UN News</b> falló 3 veces seguidas")
    assert "Dernière erreur : timeout" in admin_flag_text("UN News", 3, "timeout", "fr")
    assert "3 مرات متتالية" in admin_flag_text("UN News", 3, "timeout", "ar")
    assert admin_recovered_text("UN News", "fr") == "✅ Le flux <b>UN News</b> fonctionne de nouveau et n’est plus signalé."
    assert admin_flag_text("UN News", 3, None).startswith("⚠️ Feed <b>UN News</b> failed 3 times in a row")


def test_weekly_record_note_in_the_admins_language():
    from gcmbot.render.digest import render_record_warnings

    note = render_record_warnings([f"w{i}" for i in range(22)], language="fr")
    assert note.startswith("📋 <b>Le registre des événements est à revoir</b>") and "… et 2 de plus" in note
    assert "<code>content/events.yaml</code>" in note and "needs a look" not in note
    assert "The event record needs a look" in render_record_warnings(["w"])
