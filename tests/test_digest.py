"""Weekly digests, reminders, /digest /events /calendar and the `gcmbot digest` CLI.

The clock is controlled: every scheduling call gets `now`. Dates in 2030 are
used for the schedule (subscribers are created "today", before those slots);
2017 dates for the shipped consultations.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta, timezone
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from icalendar import Calendar
from sqlmodel import select

from gcmbot.bot.application import delivery_worker
from gcmbot.cli import main
from gcmbot.models import Event, OutboxMessage
from gcmbot.bot.sender import TelegramSender
from gcmbot.services.delivery import DeliveryWorker, Limits
from gcmbot.services.pacing import Budget
from gcmbot.render.calendar import render_calendar
from gcmbot.render.digest import pack, render_digest
from gcmbot.render.markup import tg_len
from gcmbot.services.digest import DigestService
from gcmbot.services.digest_schedule import due_digests, period_key
from gcmbot.services.digest_select import DigestContent, select_digest
from gcmbot.services.subscriptions import Segment
from gcmbot.store import digest as digest_store

UTC = timezone.utc
MONDAY = datetime(2030, 1, 7, tzinfo=UTC)  # a Monday; ISO week 2030-W02


def at(day_offset: float, hour: float = 0) -> datetime:
    return MONDAY + timedelta(days=day_offset, hours=hour)


def subscribe(services, chat_id, tz="UTC", *, weekday=0, hour=9, empty=False, reminders=True, regions=()):
    subs = services.subscriptions
    subs.start(chat_id, "private")
    subs.set_timezone(chat_id, tz)
    subs.set_digest(chat_id, weekday, hour)
    subs.set_flag(chat_id, "send_empty_digest", empty)
    subs.set_flag(chat_id, "reminders", reminders)
    for region in regions:
        subs.toggle(chat_id, "region", region)


def add_item(services, key, title, seen, *, link="https://www.iom.int/news/x", regions=(), topics=(), feed="un-news-migrants-refugees"):
    with services.db.session() as s:
        digest_store.add_feed_item(
            s, feed_id=feed, key=key, title=title, link=link, published_at=seen, first_seen_at=seen, regions=regions, topics=topics
        )


def outbox_rows(services, kind=None):
    with services.db.session() as s:
        rows = s.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    # The weekly note to admins about a stale record (test_record.py) is not a subscriber's message.
    return [r for r in rows if kind in (None, r.kind) and not r.dedup_key.startswith("record:")]


def queued_chats(services, kind="digest"):
    return sorted({r.chat_id for r in outbox_rows(services, kind) if r.status != "skipped"})


class TagChecker(HTMLParser):
    """Fails on unbalanced or badly nested tags; collects visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        assert tag in ("b", "i", "a", "code"), tag
        self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack}"
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def check_html(message: str) -> str:
    checker = TagChecker()
    checker.feed(message)
    checker.close()
    assert checker.stack == [], f"unclosed tags {checker.stack}"
    return "".join(checker.text)


# --- scheduling -------------------------------------------------------------------------


def test_three_timezones_get_the_digest_at_their_local_hour(services):
    subscribe(services, 1, "Asia/Tokyo")  # UTC+9: Monday 09:00 = Monday 00:00 UTC
    subscribe(services, 2, "Europe/Paris")  # UTC+1 in January: 08:00 UTC
    subscribe(services, 3, "America/Mexico_City")  # UTC-6: 15:00 UTC
    add_item(services, "n1", "New IOM report on labour migration", at(-2))
    digest = services.digest

    assert digest.send_due(at(-3)).empty == 3  # the week before: every slot has passed, nothing new yet

    def this_week():
        return sorted(r.chat_id for r in outbox_rows(services, "digest") if r.dedup_key.startswith("digest:2030-W02:"))

    assert digest.send_due(at(-1, 23.9)).digests == 0  # Sunday night UTC: Monday 08:54 in Tokyo
    assert digest.send_due(at(0, 0)).digests == 1
    assert this_week() == [1]
    assert digest.send_due(at(0, 7.5)).digests == 0  # 07:30 UTC = 08:30 in Paris
    assert digest.send_due(at(0, 8)).digests == 1
    assert this_week() == [1, 2]
    assert digest.send_due(at(0, 14.99)).digests == 0
    assert digest.send_due(at(0, 15)).digests == 1
    assert this_week() == [1, 2, 3]
    # Later ticks the same week change nothing.
    assert digest.send_due(at(3, 12)).digests == 0
    rows = [r for r in outbox_rows(services, "digest") if r.dedup_key.startswith("digest:2030-W02:")]
    assert {r.dedup_key for r in rows} == {"digest:2030-W02:1", "digest:2030-W02:2", "digest:2030-W02:3"}
    # Each digest holds what is new since the one before: the document seen on Saturday.
    assert all("New IOM report on labour migration" in r.text for r in rows)


def test_period_is_the_iso_week_in_the_subscribers_timezone():
    sunday_late_utc = datetime(2030, 1, 13, 20, tzinfo=UTC)  # Sunday 20:00 UTC = Monday 05:00 in Tokyo
    assert period_key(sunday_late_utc, "UTC") == "2030-W02"
    assert period_key(sunday_late_utc, "Asia/Tokyo") == "2030-W03"


def test_downtime_over_the_slot_sends_on_the_next_tick_same_week_not_next_week(services):
    subscribe(services, 10, "UTC")  # Mondays 09:00
    add_item(services, "n1", "Something new", at(-1))
    digest = services.digest
    # The bot was down all Monday and Tuesday; it comes back Wednesday afternoon.
    report = digest.send_due(at(2, 14))
    assert report.digests == 1 and queued_chats(services) == [10]
    assert [r.dedup_key for r in outbox_rows(services)] == ["digest:2030-W02:10"]
    # Down again from Wednesday until the next Monday 08:00: last week's digest is done, the new week's slot not yet come.
    assert digest.send_due(at(7, 8)).digests == 0
    add_item(services, "n2", "Something newer", at(5))
    assert digest.send_due(at(7, 9)).digests == 1
    assert [r.dedup_key for r in outbox_rows(services)] == ["digest:2030-W02:10", "digest:2030-W03:10"]


def test_a_week_missed_entirely_is_not_sent_the_week_after(services):
    subscribe(services, 11, "UTC", weekday=6, hour=20)  # Sundays 20:00
    add_item(services, "n1", "Something new", at(0))
    # Down from Sunday 19:00 until Monday 06:00: Sunday's digest belonged to last week.
    assert services.digest.send_due(at(7, 6)).digests == 0
    assert outbox_rows(services) == []


def test_new_subscriber_waits_for_next_weeks_slot():
    sub = SimpleNamespace(
        chat_id=5, active=True, digest_weekday=0, digest_hour=9, timezone="UTC", segment=Segment(),
        send_empty_digest=False, language="en",
    )
    now = at(2, 12)
    assert [d.key for d in due_digests([sub], now, set())] == ["digest:2030-W02:5"]
    assert due_digests([sub], now, {"digest:2030-W02:5"}) == []
    assert due_digests([sub], now, set(), joined={5: at(1)}) == []  # joined Tuesday, after Monday's slot
    assert len(due_digests([sub], now, set(), joined={5: at(-3)})) == 1


def test_nothing_new_is_skipped_unless_asked_for(services):
    subscribe(services, 20, "UTC", empty=False)
    subscribe(services, 21, "UTC", empty=True)
    report = services.digest.send_due(at(0, 10))
    assert (report.digests, report.empty) == (1, 1)
    sent = {r.chat_id: r for r in outbox_rows(services)}
    assert sent[20].status == "skipped" and sent[20].text == ""
    assert sent[21].status == "pending" and "Nothing new this week" in sent[21].text
    assert "/settings" in sent[21].text and "/stop" in sent[21].text
    # The skipped week counts as done: a document arriving on Wednesday waits for next Monday.
    add_item(services, "n1", "Wednesday's document", at(2))
    assert services.digest.send_due(at(2, 12)).digests == 0
    assert services.digest.send_due(at(7, 9)).digests == 2


def test_digest_sections_since_last_digest_and_by_segment(services):
    subscribe(services, 30, "UTC", regions=["africa"])
    subscribe(services, 31, "UTC", regions=["europe"])
    add_item(services, "old", "Seen before the last digest", at(-10))
    add_item(services, "afr", "Africa regional review", at(-2), regions=["africa"])
    add_item(services, "eur", "Europe regional review", at(-2), regions=["europe"])
    add_item(services, "glob", "Global report", at(-1))
    with services.db.session() as s:  # an old document a new feed brought in yesterday
        digest_store.add_feed_item(s, feed_id="un-news-migrants-refugees", key="arch", title="Archive piece from 2028",
                                   published_at=at(-400), first_seen_at=at(-1))
    services.digest.send_due(at(0, 9))
    texts = {r.chat_id: r.text for r in outbox_rows(services)}
    assert "Africa regional review" in texts[30] and "Global report" in texts[30]
    assert "Europe regional review" not in texts[30] and "Seen before" not in texts[30]
    assert "Archive piece" not in texts[30]
    assert "Europe regional review" in texts[31] and "Africa regional review" not in texts[31]
    assert "UN News: Migrants and refugees" in texts[30]  # the source's name


async def test_restart_in_the_middle_of_sending_gives_nobody_two(services, fake_api):
    from telegram import Bot

    chats = list(range(100, 112))
    for chat in chats:
        subscribe(services, chat, "UTC")
    add_item(services, "n1", "Weekly news", at(-1))
    assert services.digest.send_due(at(0, 9)).digests == len(chats)

    async with Bot("123:TEST", base_url=fake_api.base_url) as bot:
        # 10 a second: slow enough to crash midway.
        worker = DeliveryWorker(services.db, TelegramSender(bot), limits=Limits(per_second=10, private_interval=0, group_interval=0, concurrency=1))
        task = asyncio.create_task(worker.drain())
        await fake_api.wait_for(lambda: len(fake_api.sent()) >= 3)
        task.cancel()  # the process dies mid-run
        await asyncio.gather(task, return_exceptions=True)

    # Restart: a fresh service (no memory) ticks again, the same week, and a new worker resumes.
    restarted = DigestService(services.db, services.subscriptions, render=services.digest.render)
    assert restarted.send_due(at(0, 9) + timedelta(minutes=1)).digests == 0
    assert restarted.send_due(at(1, 9)).digests == 0
    async with Bot("123:TEST", base_url=fake_api.base_url) as bot:
        worker = delivery_worker(services, bot)
        worker.limits = Limits(per_second=1000, private_interval=0, group_interval=0)
        worker.budget = Budget(worker.limits)
        worker.clock = lambda: datetime.now(UTC) + timedelta(minutes=5)  # the interrupted row is old by now
        worker.recover()
        await worker.drain()

    per_chat = {chat: len(fake_api.sent(chat)) for chat in chats}
    assert all(n <= 1 for n in per_chat.values()), per_chat
    assert sum(per_chat.values()) >= len(chats) - 1  # at most the one message in flight is lost (at-most-once)
    assert fake_api.stats["duplicates"] == 0


# --- rendering ------------------------------------------------------------------------------


def _item(i, title=None, link="https://example.org/doc/{i}"):
    return SimpleNamespace(
        id=i, feed_id="un-news", title=title or f"Document number {i}: " + "a long title about migration governance " * 3,
        link=link.format(i=i), published_at=at(-1), first_seen_at=at(-1), regions=[], topics=[],
    )


def test_sixty_items_split_at_item_boundaries():
    items = tuple(_item(i) for i in range(60))
    events = tuple(
        SimpleNamespace(
            id=f"e{i}", title=f"Consultation {i}", start=date(2030, 1, 10 + i % 15), start_precision="day", part=None,
            end=None, end_precision=None, place="Geneva", country="Switzerland", region="global", topics=[],
            theme="Theme text " * 30, participation="Register with the NGO committee " * 5,
        )
        for i in range(20)
    )
    content = DigestContent(date(2030, 1, 7), events=events, feed_items=items)
    messages = render_digest(content, feed_names={"un-news": "UN News"})
    assert len(messages) > 2
    visible = ""
    for n, message in enumerate(messages, 1):
        assert tg_len(message) <= 4096
        text = check_html(message)
        visible += text
        if n > 1:
            assert message.startswith(f"<i>Part {n} of {len(messages)}</i>")
    for i in range(60):
        assert visible.count(f"Document number {i}:") == 1
    for i in range(20):
        assert visible.count(f"Consultation {i}\n") == 1
    assert "(continued)" in visible
    assert "/settings" in messages[-1] and "/stop" in messages[-1]
    assert all("/stop" not in m for m in messages[:-1])


def test_hostile_titles_and_links_are_escaped():
    hostile = '<script>alert("x")</script> & "Q&A" <b>bold?</b> \'quoted\''
    items = (
        _item(1, hostile, link="javascript:alert(1)"),
        _item(2, "Tricky link", link='https://example.org/"><b>x</b>'),
        _item(3, "Fine link", link="https://example.org/a?b=1&c=2"),
        _item(4, '"' * 5000),  # escapes to 30 000 characters: clipped, never over the limit
    )
    [message] = render_digest(DigestContent(date(2030, 1, 7), feed_items=items), feed_names={"un-news": 'Feed <"name">'})
    assert "<script>" not in message and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;Q&amp;A&quot;" in message
    assert "javascript:" not in message
    assert 'href="https://example.org/"' not in message and "Tricky link" in message
    assert 'href="https://example.org/a?b=1&amp;c=2"' in message
    assert "Feed &lt;&quot;name&quot;&gt;" in message
    assert tg_len(message) <= 4096
    text = check_html(message)
    assert hostile in text  # the reader sees exactly the title


def test_pack_never_lets_a_title_end_a_message():
    blocks = ["x" * 1500 for _ in range(5)]
    messages = pack("<b>head</b>", [("<b>Section</b>", blocks)], "foot")
    for message in messages:
        assert not message.rstrip().endswith("<b>Section</b>")
        assert tg_len(message) <= 4096


def test_as_of_2017_shows_the_thematic_consultations(services):
    now = datetime(2017, 5, 1, 12, tzinfo=UTC)
    with services.db.session() as s:
        events = digest_store.events(s)
    content = select_digest(Segment(), events, [], [], now, now - timedelta(days=7))
    ids = [e.id for e in content.events]
    assert "thematic-consultation-1" in ids and "thematic-consultation-2" in ids and "thematic-consultation-3" in ids
    assert "thematic-consultation-4" not in ids  # 24 July: beyond 8 weeks
    assert "hrc34-dialogue-2017" not in ids  # already over
    assert "modalities-resolution-2017" not in ids  # known only to the year
    [message] = render_digest(content)
    assert "8–9 May 2017" in message and "Geneva" in message and "22–23 May 2017" in message and "New York" in message
    assert "How civil society can take part" in message
    # An Africa subscriber sees global events and Africa's, not Europe's.
    aug = datetime(2017, 8, 15, 12, tzinfo=UTC)
    africa = [e.id for e in select_digest(Segment(regions=frozenset({"africa"})), events, [], [], aug, aug).events]
    assert "cs-consultation-africa" in africa and "cs-consultation-europe" not in africa
    assert "thematic-consultation-5" in africa  # global, "September 2017"


# --- reminders --------------------------------------------------------------------------------


def test_reminders_n_days_before_once_per_event(services):
    subscribe(services, 40, "UTC")
    subscribe(services, 41, "Pacific/Kiritimati")  # UTC+14: already a day ahead
    subscribe(services, 42, "UTC", reminders=False)
    # Thematic consultation 1 starts 8 May 2017 (Geneva).
    report = services.digest.send_due(datetime(2017, 5, 4, 12, tzinfo=UTC))
    assert queued_chats(services, "reminder") == [41]  # 8 May is 3 days away only in Kiritimati
    services.digest.send_due(datetime(2017, 5, 5, 12, tzinfo=UTC))
    assert queued_chats(services, "reminder") == [40, 41]
    again = DigestService(services.db, services.subscriptions, render=services.digest.render).send_due(datetime(2017, 5, 6, 12, tzinfo=UTC))
    assert again.reminders == 0  # once per event
    rows = outbox_rows(services, "reminder")
    assert {r.dedup_key for r in rows} == {"reminder:thematic-consultation-1:40", "reminder:thematic-consultation-1:41"}
    text = next(r.text for r in rows if r.chat_id == 40)
    assert "in 3 days" in text and "8–9 May 2017" in text and "Geneva" in text
    assert report.reminders == 1


def test_reminder_days_default_comes_from_settings(settings, db):
    from gcmbot.app import build_services, load_content_into_db

    settings.reminder_days = 5
    svc = build_services(settings, db=db)
    load_content_into_db(svc)
    svc.subscriptions.start(50, "private")
    assert svc.subscriptions.get(50).reminder_days == 5
    svc.digest.send_due(datetime(2017, 5, 3, 12, tzinfo=UTC))  # 8 May is 5 days away
    assert queued_chats(svc, "reminder") == [50]


# --- calendar -----------------------------------------------------------------------------------


def test_ics_round_trips_with_the_right_dates(services):
    data = render_calendar(services.digest.calendar(None, datetime(2026, 11, 23, tzinfo=UTC)))
    cal = Calendar.from_ical(data)
    events = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    tc1 = events["thematic-consultation-1@gcmbot"]
    assert tc1.decoded("DTSTART") == date(2017, 5, 8) and tc1.decoded("DTEND") == date(2017, 5, 10)
    assert "Geneva" in str(tc1["LOCATION"])
    tc5 = events["thematic-consultation-5@gcmbot"]  # 4–5 September 2017 (IOM), once "September 2017"
    assert tc5.decoded("DTSTART") == date(2017, 9, 4) and tc5.decoded("DTEND") == date(2017, 9, 6)
    zero = events["zero-draft-2018@gcmbot"]  # "February 2018": known to the month only
    assert zero.decoded("DTSTART") == date(2018, 2, 1) and zero.decoded("DTEND") == date(2018, 3, 1)
    assert "dates tbc: February 2018" in str(zero["SUMMARY"])
    last = events["negotiations-conclude-2018@gcmbot"]  # once "late July 2018", now 9–13 July 2018
    assert last.decoded("DTSTART") == date(2018, 7, 9) and last.decoded("DTEND") == date(2018, 7, 14)
    assert "adoption-conference-2018@gcmbot" in events and "Marrakech" in str(events["adoption-conference-2018@gcmbot"]["LOCATION"])
    assert "modalities-resolution-2017@gcmbot" not in events  # known only to the year
    assert b"VERSION:2.0" in data and b"PRODID:" in data


def test_calendar_follows_the_segment(services):
    subscribe(services, 60, "UTC", regions=["europe"])
    cal = Calendar.from_ical(render_calendar(services.digest.calendar(60, datetime(2026, 11, 23, tzinfo=UTC))))
    uids = {str(e["UID"]) for e in cal.walk("VEVENT")}
    assert "cs-consultation-europe@gcmbot" in uids and "cs-consultation-africa@gcmbot" not in uids


# --- through the fake Bot API -----------------------------------------------------------------------


def _next_monday(hour: int) -> datetime:
    now = datetime.now(UTC)
    monday = (now + timedelta(days=7 - now.weekday())).date()
    return datetime(monday.year, monday.month, monday.day, hour, tzinfo=UTC)


async def test_weekly_digest_arrives_through_the_bot(running_bot, services):
    fake = running_bot
    fake.send_message(3001, "/start")
    await fake.wait_for(lambda: services.subscriptions.get(3001) is not None)
    now = _next_monday(10)
    add_item(services, "live", 'Report on "safe & regular" <pathways>', now - timedelta(days=1))
    report = await asyncio.to_thread(services.digest.send_due, now)
    assert report.digests == 1
    await fake.wait_for(lambda: any("Your weekly digest" in m["text"] for m in fake.sent(3001) if m.get("text")))
    digest = next(m for m in fake.sent(3001) if "Your weekly digest" in (m.get("text") or ""))
    assert "Report on &quot;safe &amp; regular&quot; &lt;pathways&gt;" in digest["text"]  # the fake keeps the HTML
    call = next(c for c in fake.calls_to("sendMessage") if "Your weekly digest" in c["text"])
    assert call["parse_mode"] == "HTML" and "is_disabled" in str(call.get("link_preview_options"))
    await asyncio.to_thread(services.digest.send_due, now + timedelta(hours=3))
    await fake.wait_idle()
    assert sum("Your weekly digest" in (m.get("text") or "") for m in fake.sent(3001)) == 1


async def test_digest_command_is_a_preview(running_bot, services):
    fake = running_bot
    fake.send_message(3002, "/start")
    await fake.wait_for(lambda: services.subscriptions.get(3002) is not None)
    fake.send_message(3002, "/digest")
    await fake.wait_for(lambda: any("does not replace" in (m.get("text") or "") for m in fake.sent(3002)))
    texts = [m["text"] for m in fake.sent(3002) if "Preview of your weekly digest" in (m.get("text") or "")]
    # The shipped statements date from 2014–2018, so no statement is new today; the preview is never
    # silent: it lists what is coming up, or says what comes next (yearly days are always ahead).
    assert texts and "/settings" in texts[0]
    assert "Coming up in the next" in texts[0] or "Coming next for your choices" in texts[0]
    assert outbox_rows(services, "digest") == []  # the weekly one is still to come


async def test_events_command_with_past_button(running_bot, services):
    fake = running_bot
    fake.send_message(3003, "/events")
    await fake.wait_for(lambda: any("consultations and milestones" in (m.get("text") or "") for m in fake.sent(3003)))
    msg = next(m for m in fake.sent(3003) if "Upcoming consultations" in (m.get("text") or ""))
    # Never "nothing scheduled": at least the yearly days (International Migrants Day) are ahead.
    assert "International Migrants Day" in msg["text"] and "Nothing scheduled" not in msg["text"]
    [[button]] = msg["reply_markup"]["inline_keyboard"]
    assert button["callback_data"] == "ev:past"

    n = len(fake.callback_answers)
    fake.press_button(3003, msg["message_id"], "ev:past")
    await fake.wait_for(lambda: len(fake.callback_answers) > n)
    await fake.wait_for(lambda: "Past consultations" in fake.last_message(3003)["text"])
    past = fake.last_message(3003)
    # Most recent first: the review era (the 2022 Forum), down to the 2018 adoption and beyond.
    assert "First International Migration Review Forum" in past["text"] and "17–20 May 2022" in past["text"]
    assert "more. /calendar has them all." in past["text"]
    assert tg_len(past["text"]) <= 4096
    assert past["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "ev:up"

    for data in ("ev:up", "ev:../../x", "ev:"):
        n = len(fake.callback_answers)
        fake.press_button(3003, msg["message_id"], data)
        await fake.wait_for(lambda: len(fake.callback_answers) > n)
    assert fake.callback_answers[-1].get("text") and fake.callback_answers[-2].get("text")
    assert "Upcoming consultations" in fake.last_message(3003)["text"]


async def test_calendar_command_sends_an_ics_file(running_bot, services):
    fake = running_bot
    fake.send_message(3004, "/calendar")
    await fake.wait_for(lambda: fake.documents(3004))
    [doc] = fake.documents(3004)
    assert doc["file_name"].endswith(".ics")
    cal = Calendar.from_ical(doc["data"])
    starts = {str(e["UID"]): e.decoded("DTSTART") for e in cal.walk("VEVENT")}
    assert starts["thematic-consultation-2@gcmbot"] == date(2017, 5, 22)


async def test_schedule_job_runs_in_the_bot(services, fake_api):
    """With the in-bot tick on, a reminder is queued and delivered without anyone calling send_due."""
    from gcmbot.bot.application import build_application

    soon = (datetime.now(UTC) + timedelta(days=2)).date()
    with services.db.session() as s:
        s.add(Event(id="soon-event", title="Regional hearing", kind="consultation", start=soon, place="Nairobi", region="africa"))
    services.subscriptions.start(3005, "private")
    services.settings.digest_tick_seconds = 1
    services.settings.bot_api_url = fake_api.base_url
    application = build_application(services, rate_limit=False)
    async with application:
        await application.post_init(application)
        await application.start()
        try:
            # (a shipped event may fall due around the real date too: its reminder is not the one awaited)
            await fake_api.wait_for(lambda: any("Regional hearing" in (m.get("text") or "") for m in fake_api.sent(3005)), timeout=10)
        finally:
            await application.stop()
    hearing = [m["text"] for m in fake_api.sent(3005) if "Regional hearing" in (m.get("text") or "")]
    assert hearing and "Reminder" in hearing[0]


def test_commands_are_listed():
    from gcmbot.render import texts

    names = [c for c, _ in texts.COMMANDS]
    assert {"digest", "events", "calendar"} <= set(names)


# --- command line -------------------------------------------------------------------------------


@pytest.fixture
def cli_env(monkeypatch, services, tmp_path):
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("GCMBOT_DATABASE_URL", services.db.url)
    monkeypatch.setenv("GCMBOT_CONTENT_DIR", str(services.settings.content_dir))
    return monkeypatch


def test_cli_preview_as_of_2017(cli_env, capsys):
    assert main(["digest", "preview", "--as-of", "2017-05-01"]) == 0
    out = capsys.readouterr().out
    assert "Thematic consultation 1" in out and "8–9 May 2017" in out and "Geneva" in out
    assert "22–23 May 2017" in out and "New York" in out
    assert "<b>" not in out  # plain text


def test_cli_preview_segment_and_chat(cli_env, capsys, services):
    assert main(["digest", "preview", "--region", "europe,africa", "--topic", "civil-society", "--as-of", "2017-08-20"]) == 0
    out = capsys.readouterr().out
    assert "Regional civil society consultation for Europe" in out
    assert "Regional civil society consultation for Asia" not in out
    subscribe(services, 70, "Asia/Tokyo", regions=["asia-pacific"])
    assert main(["digest", "preview", "--chat-id", "70", "--as-of", "2017-08-20"]) == 0
    out = capsys.readouterr().out
    assert "Asia and the Pacific" in out and "consultation for Europe" not in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["--region", "atlantis"], "unknown id 'atlantis'"),
        (["--as-of", "2017-02-30"], "is not a date"),
        (["--chat-id", "999"], "no subscriber"),
    ],
)
def test_cli_preview_bad_flags(cli_env, capsys, args, message):
    assert main(["digest", "preview", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len([line for line in err if line.startswith("gcmbot:")]) == 1 and message in err[-1]


def test_cli_send_due_queues_and_delivers(cli_env, capsys, services, fake_api):
    cli_env.setenv("GCMBOT_TOKEN", "123:TEST")
    cli_env.setenv("GCMBOT_BOT_API_URL", fake_api.base_url)
    subscribe(services, 80, "UTC")
    subscribe(services, 81, "Asia/Tokyo")
    add_item(services, "c1", "CLI document", at(-1))
    assert main(["digest", "send-due", "--now", "2030-01-07T09:30Z"]) == 0
    out = capsys.readouterr().out
    assert "queued 2 digest(s)" in out and "delivered: 2 sent" in out
    assert "CLI document" in fake_api.sent(80)[0]["text"] and "CLI document" in fake_api.sent(81)[0]["text"]
    assert "t.me/gcm_test_bot" in fake_api.sent(80)[0]["text"]  # the start link: the username from getMe
    assert main(["digest", "send-due", "--now", "2030-01-07T10:30Z"]) == 0
    assert "queued 0 digest(s)" in capsys.readouterr().out
    assert len(fake_api.sent(80)) == 1
    # Next week: only what is new since the digest that was sent.
    add_item(services, "c2", "Following week document", at(3))
    assert main(["digest", "send-due", "--now", "2030-01-14T09:30Z"]) == 0
    assert "queued 2 digest(s)" in capsys.readouterr().out
    second = fake_api.sent(80)[1]["text"]
    assert "Following week document" in second and "CLI document" not in second
    assert main(["digest", "send-due", "--now", "tomorrow"]) == 2


def test_changes_between_ticks_are_seen(services):
    """The scheduler keeps a snapshot of subscriptions between ticks; any change must reach it."""
    subscribe(services, 90, "UTC", weekday=1)  # Tuesdays
    add_item(services, "n1", "News", at(-1))
    assert services.digest.send_due(at(0, 10)).digests == 0  # Monday: not yet
    services.subscriptions.set_digest(90, 0, 9)  # now Mondays 09:00
    assert services.digest.send_due(at(0, 10)).digests == 1
    subscribe(services, 91, "UTC")  # a new subscriber, joined "before" the 2030 slot
    assert services.digest.send_due(at(0, 11)).digests == 1
    services.subscriptions.stop(91)
    services.subscriptions.start(92, "private")
    services.subscriptions.stop(92)
    report = services.digest.send_due(at(7, 10))  # next week: 91 and 92 stopped, only 90 is considered
    assert report.digests + report.empty == 1
    assert {r.chat_id for r in outbox_rows(services) if r.dedup_key.startswith("digest:2030-W03")} == {90}
