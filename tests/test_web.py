"""The web console over its ASGI app (httpx): login links, sessions, CSRF, rate limit, audit, every route."""

from __future__ import annotations

import os
import re
import signal
import time
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from icalendar import Calendar
from sqlmodel import select

from gcmbot.models import AuditLog, Broadcast, Feed, OutboxMessage, WebLoginToken
from gcmbot.web.app import create_app

ADMIN = 4242
BASE = "https://console.test"
PAGES = ["/", "/broadcasts", "/broadcasts/new", "/feeds", "/questions", "/broadcasts/1", "/content", "/content/event",
         "/content/faq/new", "/content/event/summit-outcome-agreed-2016"]
POSTS = ["/logout", "/broadcasts", "/broadcasts/1/cancel", "/feeds/x/enabled", "/feeds/try", "/content/faq/new",
         "/content/event/summit-outcome-agreed-2016", "/content/faq/what-is-the-gcm/retire"]


@pytest.fixture
def web_services(services):
    services.settings.web_url = BASE
    services.settings.web_port = 8080
    return services


def client(services, **kwargs) -> httpx.AsyncClient:
    app = create_app(services, **kwargs)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("10.0.0.1", 1234)), base_url=BASE)


async def login(c: httpx.AsyncClient, services, admin: int = ADMIN) -> str:
    """Log in through a fresh link; returns the page's CSRF token."""
    token = services.webauth.issue_link_token(admin)
    page = await c.get(f"/login/{token}")
    assert page.status_code == 200 and "Log in to the console" in page.text
    r = await c.post("/login", data={"token": token})
    assert r.status_code == 303 and r.headers["location"] == "/"
    return csrf_of((await c.get("/")).text)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def subscribe(services):
    subs = services.subscriptions
    for chat in (3001, 3002, 3003, 3004):
        subs.start(chat, "private")
    subs.toggle(3001, "region", "africa")
    subs.toggle(3002, "region", "africa")
    subs.toggle(3003, "region", "europe")
    subs.stop(3004)


def audit(services, prefix="web:"):
    with services.db.session() as s:
        return [a for a in s.exec(select(AuditLog).order_by(AuditLog.id)) if a.action.startswith(prefix)]


# --- auth on every route ------------------------------------------------------------


async def test_every_page_needs_a_session(web_services):
    async with client(web_services) as c:
        for path in PAGES:
            r = await c.get(path)
            assert r.status_code == 303 and r.headers["location"] == "/login", path
        r = await c.get("/broadcasts/count", headers={"Accept": "application/json"})
        assert r.status_code == 403
        for path in POSTS:
            r = await c.post(path, data={"csrf": "x"})
            assert r.status_code == 403, path
        login_page = await c.get("/login")
        assert login_page.status_code == 200 and "/web" in login_page.text


async def test_login_link_opens_a_session_once_with_strict_cookie(web_services):
    async with client(web_services) as c:
        token = web_services.webauth.issue_link_token(ADMIN)
        assert (await c.get(f"/login/{token}")).status_code == 200  # looking at the page does not use it
        r = await c.post("/login", data={"token": token})
        assert r.status_code == 303
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and "secure" in cookie and "path=/" in cookie
        dash = await c.get("/")
        assert dash.status_code == 200 and "Dashboard" in dash.text and dash.headers["cache-control"] == "no-store"
        assert "frame-ancestors 'none'" in dash.headers["content-security-policy"]
        assert dash.headers["referrer-policy"] == "no-referrer"
    async with client(web_services) as other:  # the same link again, from another browser
        again = await other.get(f"/login/{token}")
        assert again.status_code == 410 and "already been used" in again.text
        r = await other.post("/login", data={"token": token})
        assert r.status_code == 403 and "set-cookie" not in r.headers
        assert (await other.get("/")).status_code == 303
    with web_services.db.session() as s:
        [row] = s.exec(select(WebLoginToken)).all()
    assert row.token_hash != token and len(row.token_hash) == 64  # only the hash is stored
    [entry] = audit(web_services)
    assert entry.action == "web:login" and entry.actor_id == ADMIN and entry.detail["admin"].startswith("c-")


async def test_an_expired_link_is_refused(web_services):
    token = web_services.webauth.issue_link_token(ADMIN, now=datetime.now(timezone.utc) - timedelta(minutes=11))
    async with client(web_services) as c:
        page = await c.get(f"/login/{token}")
        assert page.status_code == 410 and "expired" in page.text
        assert (await c.post("/login", data={"token": token})).status_code == 403
        assert (await c.get("/")).status_code == 303
        assert (await c.get("/login/not-a-token")).status_code == 404


async def test_a_link_still_works_at_nine_minutes(web_services):
    token = web_services.webauth.issue_link_token(ADMIN, now=datetime.now(timezone.utc) - timedelta(minutes=9))
    async with client(web_services) as c:
        assert (await c.post("/login", data={"token": token})).status_code == 303


async def test_non_admins_get_no_link_and_a_removed_admin_loses_the_session(web_services):
    with pytest.raises(PermissionError):
        web_services.webauth.issue_link_token(5001)
    async with client(web_services) as c:
        await login(c, web_services)
        token = web_services.webauth.issue_link_token(ADMIN)
        web_services.settings.admin_ids = frozenset()  # removed from GCMBOT_ADMIN_IDS
        assert (await c.get("/")).status_code == 303
        assert (await c.post("/login", data={"token": token})).status_code == 403


async def test_login_attempts_are_rate_limited(web_services):
    async with client(web_services, login_limit=3) as c:
        for _ in range(3):
            assert (await c.post("/login", data={"token": "guess"})).status_code == 403
        token = web_services.webauth.issue_link_token(ADMIN)
        limited = await c.post("/login", data={"token": token})
        assert limited.status_code == 429 and "Too many" in limited.text
        assert (await c.get(f"/login/{token}")).status_code == 429
    assert web_services.webauth.link_state(token) == "valid"  # refused before the token was looked at


async def test_idle_session_ends_and_logout_ends_it(web_services):
    async with client(web_services) as c:
        csrf = await login(c, web_services)
        cookie = c.cookies.get("gcmbot_session")
        later = datetime.now(timezone.utc) + timedelta(minutes=31)
        assert web_services.webauth.user(cookie, now=later) is None  # idle too long: ended
        assert (await c.get("/")).status_code == 303
        csrf = await login(c, web_services)
        r = await c.post("/logout", data={"csrf": csrf})
        assert r.status_code == 200 and "logged out" in r.text
        assert (await c.get("/")).status_code == 303
    assert [a.action for a in audit(web_services)] == ["web:login", "web:login", "web:logout"]


async def test_a_post_without_the_csrf_token_changes_nothing(web_services):
    async with client(web_services) as c:
        csrf = await login(c, web_services)
        for data in ({}, {"csrf": "wrong"}, {"csrf": ""}):
            r = await c.post("/feeds/un-news-migrants-refugees/enabled", data={**data, "enabled": "0"})
            assert r.status_code == 403 and "CSRF" in r.text
        with web_services.db.session() as s:
            assert s.get(Feed, "un-news-migrants-refugees").enabled
        r = await c.post("/feeds/un-news-migrants-refugees/enabled", data={"csrf": csrf, "enabled": "0"})
        assert r.status_code == 303
        with web_services.db.session() as s:
            assert not s.get(Feed, "un-news-migrants-refugees").enabled
        assert (await c.post("/feeds/no-such-feed/enabled", data={"csrf": csrf, "enabled": "0"})).status_code == 404
    [_, entry] = audit(web_services)
    assert entry.action == "web:feed-disable" and entry.detail["feed"] == "un-news-migrants-refugees"


# --- pages ------------------------------------------------------------------------------


async def test_dashboard_counts_and_chart(web_services):
    subscribe(web_services)
    async with client(web_services) as c:
        await login(c, web_services)
        page = (await c.get("/")).text
    assert "<svg" in page and "New and lost subscribers per week" in page
    assert re.search(r"<strong>3</strong> active", page) and re.search(r"<strong>1</strong> stopped", page)
    assert re.search(r"<th scope=\"row\">Africa</th><td>2</td><td>0</td>", page)
    assert "webcal://console.test/calendar/all.ics" in page


async def test_questions_page_shows_redacted_unanswered(web_services):
    from gcmbot.models import utcnow

    web_services.questions.ask("What does my cousin at anna@example.org think of pizza?", now=utcnow())
    async with client(web_services) as c:
        await login(c, web_services)
        page = (await c.get("/questions")).text
    assert "pizza" in page and "anna@example.org" not in page


async def test_feeds_page_and_try_url(web_services, make_httpserver):
    make_httpserver.expect_request("/web-try.xml").respond_with_data(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>https://example.org/</link><description>d</description>'
        "<item><guid>g1</guid><title>Migrants in Africa &lt;b&gt;</title><link>https://example.org/1</link></item></channel></rss>",
        content_type="application/rss+xml",
    )
    async with client(web_services) as c:
        csrf = await login(c, web_services)
        page = await c.get("/feeds")
        assert page.status_code == 200 and "UN News" in page.text
        r = await c.post("/feeds/try", data={"csrf": csrf, "url": make_httpserver.url_for("/web-try.xml"), "kind": "rss"})
        # markup escaped into a title is stripped before it is shown (issue 21), never rendered
        assert r.status_code == 200 and "1 item(s)" in r.text and "Migrants in Africa" in r.text and "Africa <b>" not in r.text
        bad = await c.post("/feeds/try", data={"csrf": csrf, "url": "ftp://x", "kind": "rss"})
        assert bad.status_code == 400 and "starting with https://" in bad.text


# --- broadcasts -----------------------------------------------------------------------------


async def test_compose_preview_send_to_one_region(web_services):
    subscribe(web_services)
    text = "<b>Consultation</b> in Addis &amp; online"
    async with client(web_services) as c:
        csrf = await login(c, web_services)
        count = await c.get("/broadcasts/count", params={"region": "africa"}, headers={"Accept": "application/json"})
        assert count.json()["count"] == 2
        form = {"csrf": csrf, "text": text, "region": "africa", "when": "now", "timezone": "UTC"}
        preview = await c.post("/broadcasts", data={**form, "action": "preview"})
        assert preview.status_code == 200 and "To <strong>2</strong> chat(s)" in preview.text
        assert '<div class="bubble"><b>Consultation</b> in Addis &amp; online</div>' in preview.text
        with web_services.db.session() as s:
            assert s.exec(select(OutboxMessage)).all() == []  # nothing queued by a preview
        fingerprint = re.search(r'name="previewed" value="([^"]+)"', preview.text).group(1)
        changed = await c.post("/broadcasts", data={**form, "text": text + "!", "action": "send", "previewed": fingerprint})
        assert "changed since the last preview" in changed.text
        sent = await c.post("/broadcasts", data={**form, "action": "send", "previewed": fingerprint})
        assert sent.status_code == 303
        detail = await c.get(sent.headers["location"])
        assert "Regions: Africa" in detail.text and "pending 2" in detail.text
    with web_services.db.session() as s:
        rows = s.exec(select(OutboxMessage)).all()
        [b] = s.exec(select(Broadcast)).all()
    assert sorted(r.chat_id for r in rows) == [3001, 3002] and b.text == text and b.created_by == ADMIN
    assert [a.action for a in audit(web_services)] == ["web:login", "web:broadcast"]


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"text": ""}, "text", "Write the message first."),
        ({"text": "line one\n<b>bold"}, "text", "line 2, column 1: &lt;b&gt; is never closed"),
        ({"text": "x" * 10_001}, "text", "Telegram allows 4096"),
        ({"region": "atlantis"}, "segment", "unknown region atlantis"),
        ({"when": "later", "at": "2020-01-01T10:00"}, "at", "That time has passed"),
        ({"when": "later", "at": ""}, "at", "Pick the date and time"),
        ({"timezone": "Mars/Olympus"}, "timezone", "is not a timezone name"),
        ({"region": "north-america"}, "segment", "No active subscriber follows this choice"),
        ({"text": "Hello\x00 world"}, "text", "line 1, column 6: an invisible control character (U+0000) cannot be sent"),
        ({"timezone": "A" * 10_000}, "timezone", "is not a timezone name"),
        ({"region": "a" * 10_000}, "segment", "unknown region aaaa"),
    ],
)
async def test_bad_broadcast_input_is_explained_and_stores_nothing(web_services, change, field, message):
    subscribe(web_services)
    async with client(web_services) as c:
        csrf = await login(c, web_services)
        form = {"csrf": csrf, "text": "Hello", "region": "africa", "when": "now", "timezone": "UTC", "action": "send", **change}
        r = await c.post("/broadcasts", data=form)
    assert r.status_code == 400 and message in r.text
    if field == "text" and "line 2" in message:
        assert "2: &lt;b&gt;bold" in r.text  # the offending line is shown
    with web_services.db.session() as s:
        assert s.exec(select(Broadcast)).all() == [] and s.exec(select(OutboxMessage)).all() == []


@pytest.mark.parametrize("body", [b"x" * 2_000_000, b"text=" + b"x" * 100_000])
async def test_an_oversize_form_is_refused_with_a_message_and_stores_nothing(web_services, body):
    subscribe(web_services)
    async with client(web_services) as c:
        csrf = await login(c, web_services)
        form = f"csrf={csrf}&region=africa&when=now&timezone=UTC&action=send&".encode() + body
        r = await c.post("/broadcasts", content=form, headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert r.status_code == 413 and "This form is too large" in r.text and "nothing was saved" in r.text
        r = await c.post("/content/faq/new", content=form, headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert r.status_code == 413 and "This form is too large" in r.text
    with web_services.db.session() as s:
        assert s.exec(select(Broadcast)).all() == []
    assert [a.action for a in audit(web_services)] == ["web:login"]


@pytest.mark.parametrize("url", ["http://exa\x00mple.org/feed", "https://example.org/a feed", "https://:80/", "https://example.org:port/"])
async def test_try_a_feed_address_that_is_no_address(web_services, url):
    async with client(web_services) as c:
        csrf = await login(c, web_services)
        r = await c.post("/feeds/try", data={"csrf": csrf, "url": url, "kind": "rss"})
    assert r.status_code == 400 and "Give the feed&#39;s address" in r.text


async def test_schedule_in_the_admins_timezone_then_cancel(web_services):
    subscribe(web_services)
    web_services.subscriptions.start(ADMIN, "private")
    web_services.subscriptions.set_timezone(ADMIN, "Africa/Nairobi")
    when = (datetime.now(timezone.utc) + timedelta(days=2)).astimezone(timezone(timedelta(hours=3))).replace(second=0, microsecond=0, tzinfo=None)
    async with client(web_services) as c:
        csrf = await login(c, web_services)
        composer = await c.get("/broadcasts/new")
        assert 'value="Africa/Nairobi"' in composer.text  # the admin's own timezone
        form = {"csrf": csrf, "text": "Later", "region": "africa", "when": "later", "at": when.isoformat(timespec="minutes"), "timezone": "Africa/Nairobi"}
        preview = await c.post("/broadcasts", data={**form, "action": "preview"})
        fingerprint = re.search(r'name="previewed" value="([^"]+)"', preview.text).group(1)
        r = await c.post("/broadcasts", data={**form, "action": "send", "previewed": fingerprint})
        detail = await c.get(r.headers["location"])
        assert "Scheduled for" in detail.text and "Cancel this broadcast" in detail.text
        with web_services.db.session() as s:
            [b] = s.exec(select(Broadcast)).all()
        assert b.scheduled_at.replace(tzinfo=timezone.utc) == when.replace(tzinfo=timezone(timedelta(hours=3))).astimezone(timezone.utc)
        assert (await c.post(f"/broadcasts/{b.id}/cancel", data={})).status_code == 403  # no CSRF token
        r = await c.post(f"/broadcasts/{b.id}/cancel", data={"csrf": csrf})
        assert r.status_code == 303
        assert "Cancelled" in (await c.get(f"/broadcasts/{b.id}")).text
        assert (await c.post(f"/broadcasts/{b.id}/cancel", data={"csrf": csrf})).status_code == 409
    with web_services.db.session() as s:
        assert {r.status for r in s.exec(select(OutboxMessage))} == {"skipped"}
        assert s.get(Broadcast, b.id).status == "cancelled"
    assert [a.action for a in audit(web_services)] == ["web:login", "web:broadcast", "web:broadcast-cancel"]


# --- public calendar -----------------------------------------------------------------------------


async def test_public_calendar_feed_needs_no_login_and_parses(web_services):
    async with client(web_services) as c:
        r = await c.get("/calendar/region-africa_constituency-trade-unions.ics")
        everything = await c.get("/calendar/all.ics")
        unknown = await c.get("/calendar/region-atlantis.ics")
        garbage = await c.get("/calendar/nonsense.ics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
    cal = Calendar.from_ical(r.content)
    assert "REFRESH-INTERVAL" in cal and str(cal["X-PUBLISHED-TTL"]) == "PT6H"
    assert "Africa" in str(cal["X-WR-CALNAME"])
    events = [e for e in cal.walk("VEVENT")]
    all_events = Calendar.from_ical(everything.content).walk("VEVENT")
    assert 0 < len(events) < len(all_events)
    assert unknown.status_code == 404 and garbage.status_code == 404
    assert "set-cookie" not in r.headers


# --- the bot side: /web ---------------------------------------------------------------------------


async def test_web_command_gives_a_link_that_logs_in(running_bot, services):
    fake = running_bot
    services.settings.web_url = BASE
    fake.send_message(ADMIN, "/web")
    await fake.wait_for(lambda: fake.sent(ADMIN))
    message = fake.sent(ADMIN)[-1]
    url = re.search(r'href="([^"]+)"', message["text"]).group(1)
    assert url.startswith(f"{BASE}/login/") and "once" in message["text"]
    async with client(services) as c:
        r = await c.post("/login", data={"token": url.rsplit("/", 1)[1]})
        assert r.status_code == 303 and (await c.get("/")).status_code == 200

    fake.send_message(5001, "/web")
    await fake.wait_for(lambda: fake.sent(5001))
    assert "not allowed" in fake.sent(5001)[-1]["text"]
    with services.db.session() as s:
        assert len(s.exec(select(WebLoginToken)).all()) == 1
        assert [a.actor_id for a in s.exec(select(AuditLog).where(AuditLog.action == "refused"))] == [5001]


async def test_calendar_command_offers_the_webcal_link(running_bot, services):
    fake = running_bot
    services.settings.web_url = BASE
    services.subscriptions.start(3001, "private")
    services.subscriptions.toggle(3001, "region", "africa")
    fake.send_message(3001, "/calendar")
    await fake.wait_for(lambda: fake.documents(3001))
    assert "webcal://console.test/calendar/region-africa.ics" in fake.documents(3001)[-1]["caption"]


async def test_server_runs_in_the_loop_and_stops(web_services):
    from gcmbot.web.server import WebServer

    server = await WebServer(web_services, port=0).start()
    try:
        async with httpx.AsyncClient() as c:
            r = await c.get(f"http://127.0.0.1:{server.port}/login")
        assert r.status_code == 200 and "server" not in r.headers
    finally:
        await server.stop()
    assert server.task is None


async def test_content_load_keeps_a_feed_changed_in_the_console(web_services):
    from gcmbot.app import load_content_into_db

    async with client(web_services) as c:
        csrf = await login(c, web_services)
        await c.post("/feeds/un-news-migrants-refugees/enabled", data={"csrf": csrf, "enabled": "0"})
    report = load_content_into_db(web_services)
    assert "kept 1 edited in the web console (un-news-migrants-refugees)" in str(report)
    with web_services.db.session() as s:
        assert not s.get(Feed, "un-news-migrants-refugees").enabled
    report = load_content_into_db(web_services, overwrite=True)
    assert "kept" not in str(report)
    with web_services.db.session() as s:
        assert s.get(Feed, "un-news-migrants-refugees").enabled
    assert "kept" not in str(load_content_into_db(web_services))  # the console's edit is gone for good


def test_gcmbot_run_serves_the_console_and_stops_on_sigterm(tmp_path, fake_api):
    import urllib.request

    from test_shutdown import free_port, start_bot, stop_bot, wait_until

    port = free_port()
    proc, log = start_bot(tmp_path, fake_api, GCMBOT_WEB_PORT=str(port), GCMBOT_ADMIN_IDS=str(ADMIN))
    try:
        wait_until(lambda: fake_api.calls_to("deleteWebhook"), proc, log)
        fake_api.send_message(ADMIN, "/web")
        message = wait_until(lambda: fake_api.sent(ADMIN) and fake_api.sent(ADMIN)[-1], proc, log)
        url = re.search(r'href="([^"]+)"', message["text"]).group(1)
        assert url.startswith(f"http://127.0.0.1:{port}/login/")
        with urllib.request.urlopen(url, timeout=3) as r:
            assert r.status == 200 and "Log in to the console" in r.read().decode()
        # The console is a child process (its work never holds the bot's interpreter lock)...
        console = int(wait_until(lambda: re.search(r"web console \(process (\d+)\)", log.read_text()), proc, log).group(1))
        assert console != proc.pid
        # ...that comes back if it dies.
        os.kill(console, signal.SIGKILL)
        wait_until(lambda: "the web console stopped" in log.read_text(), proc, log)
        wait_until(lambda: _answers(port), proc, log)
    finally:
        elapsed = stop_bot(proc, log) if proc.poll() is None else 0
    assert elapsed < 10
    assert not _answers(port)  # stopped with the bot
    assert "/login/" not in log.read_text()  # no access log: the token never reaches the log


def _answers(port: int) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def test_the_console_stops_when_the_bot_is_killed(tmp_path, fake_api):
    from test_shutdown import free_port, start_bot, wait_until

    port = free_port()
    proc, log = start_bot(tmp_path, fake_api, GCMBOT_WEB_PORT=str(port), GCMBOT_ADMIN_IDS=str(ADMIN))
    try:
        wait_until(lambda: _answers(port), proc, log)
    finally:
        proc.kill()  # SIGKILL: the bot cannot stop its child
        proc.wait()
    deadline = time.monotonic() + 10
    while _answers(port) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _answers(port), "the console outlived the bot"


def test_gcmbot_web_alone_serves_the_console(tmp_path, fake_api):
    import subprocess
    import sys
    import urllib.request

    from test_shutdown import ROOT, free_port, stop_bot, wait_until

    port = free_port()
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("GCMBOT_")}
    env.update(PYTHONPATH=str(ROOT), GCMBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'web.db'}", GCMBOT_WEB_PORT=str(port))
    log = tmp_path / "stderr.log"
    proc = subprocess.Popen([sys.executable, "-m", "gcmbot", "web"], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=log.open("w"))

    def page():
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as r:
                return r.read().decode()
        except OSError:
            return None

    try:
        assert "send <code>/web</code> to the bot" in wait_until(page, proc, log)
    finally:
        if proc.poll() is None:
            stop_bot(proc, log)


async def test_web_command_speaks_the_admins_language_and_only_in_private(running_bot, services):
    fake = running_bot
    services.settings.web_url = BASE
    services.subscriptions.start(ADMIN, "private", language="es")
    fake.send_message(ADMIN, "/web")
    await fake.wait_for(lambda: fake.sent(ADMIN))
    assert "Abrir la consola web" in fake.sent(ADMIN)[-1]["text"] and "10 minutos" in fake.sent(ADMIN)[-1]["text"]
    fake.send_message(-100777, "/web", user_id=ADMIN, chat_type="supergroup")
    await fake.wait_for(lambda: fake.sent(-100777))
    assert "private chat" in fake.sent(-100777)[-1]["text"] and "/login/" not in fake.sent(-100777)[-1]["text"]
    with services.db.session() as s:
        assert len(s.exec(select(WebLoginToken)).all()) == 1  # no link made for the group
