"""Buttons and fixed texts of /digest, /events and /calendar (the digest and lists: gcmbot.render.digest)."""

from __future__ import annotations

from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup as Markup

from gcmbot.i18n import N_, translator

# Callback data of the /events buttons: exactly these two values are valid.
PAST, UPCOMING = "ev:past", "ev:up"


def events_keyboard(*, past: bool, lang: str = "en") -> Markup:
    _ = translator(lang).gettext
    if past:
        return Markup([[Button("📅 " + _("Upcoming events"), callback_data=UPCOMING)]])
    return Markup([[Button("🗂 " + _("Past events"), callback_data=PAST)]])


CALENDAR_FILE = "gcm-events.ics"
CALENDAR_CAPTION = N_(
    "Consultations and milestones for your choices. Open the file to add them to your calendar app. "
    "Events known only to the month span it and say “dates tbc”."
)
PREVIEW_NOTE = N_("This preview does not replace your weekly digest.")
UNKNOWN_BUTTON = N_("This button is not valid.")
