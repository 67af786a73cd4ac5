"""The web console in a real browser: Debian's chromium driven by Playwright (no browser download).

Skipped only when /usr/bin/chromium is missing on this machine (`apt-get install chromium`);
`.ci/run` installs it, so CI runs these. Screenshots (desktop and 390 px wide) go to
$GCMBOT_SCREENSHOT_DIR (e.g. docs/screenshots) or to the test's temporary folder.
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from gcmbot.content.dates import PartialDate, format_range

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ADMIN = 4242
EVENT = "summit-outcome-agreed-2016"

if not os.path.exists(CHROMIUM) and os.environ.get("GCMBOT_REQUIRE_BROWSER"):
    raise RuntimeError(f"GCMBOT_REQUIRE_BROWSER is set but {CHROMIUM} is missing (apt-get install chromium)")
pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"Debian's chromium is not installed ({CHROMIUM}; apt-get install chromium)")


@pytest.fixture
async def console(running_bot, services):
    from gcmbot.web.server import WebServer

    server = await WebServer(services, port=0).start()
    services.settings.web_url = f"http://127.0.0.1:{server.port}"
    try:
        yield running_bot
    finally:
        await server.stop()


@pytest.fixture
async def browser():
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield b
        finally:
            await b.close()


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("GCMBOT_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def login_link(fake, user: int = ADMIN) -> str:
    before = len(fake.sent(user))
    fake.send_message(user, "/web")
    await fake.wait_for(lambda: len(fake.sent(user)) > before)
    return re.search(r'href="([^"]+)"', fake.sent(user)[-1]["text"]).group(1)


async def reply_to(fake, chat: int, text: str, expect: str) -> str:
    before = len(fake.sent(chat))
    fake.send_message(chat, text)
    await fake.wait_for(lambda: len(fake.sent(chat)) > before and any(expect in m["text"] for m in fake.sent(chat)[before:]), timeout=10)
    return "\n".join(m["text"] for m in fake.sent(chat)[before:])


async def snap(browser, context, url: str, shots: Path, name: str) -> None:
    """The page at desktop width (the context's) and at 390 px, full length."""
    page = await context.new_page()
    await page.goto(url)
    await page.screenshot(path=str(shots / f"{name}-desktop.png"), full_page=True)
    mobile = await browser.new_context(viewport={"width": 390, "height": 844}, storage_state=await context.storage_state())
    mpage = await mobile.new_page()
    await mpage.goto(url)
    width = await mpage.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{name} scrolls sideways at 390 px ({width} px)"
    await mpage.screenshot(path=str(shots / f"{name}-mobile.png"), full_page=True)
    await mobile.close()
    await page.close()


async def test_a_coordinator_does_everything_from_the_browser(console, services, browser, shots):
    fake = console
    subs = services.subscriptions
    for chat in (3001, 3002, 3003):
        subs.start(chat, "private")
    subs.toggle(3001, "region", "africa")
    subs.toggle(3002, "region", "africa")
    subs.toggle(3003, "region", "europe")

    # Log in with the link the bot sent.
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await page.goto(await login_link(fake))
    await page.get_by_role("button", name="Log in to the console").click()
    await page.wait_for_url(re.compile(r"/$"))
    assert await page.get_by_role("heading", name="Dashboard", level=1).is_visible()
    await snap(browser, context, page.url, shots, "dashboard")

    # Edit an event's date: /events and the next digest show the new date.
    new_day = (datetime.now(timezone.utc) + timedelta(days=10)).date()
    await page.goto(page.url.rstrip("/") + f"/content/event/{EVENT}")
    await page.get_by_label("Start", exact=False).first.fill(new_day.isoformat())
    await page.get_by_label("Status", exact=True).select_option("confirmed")  # a held event cannot be in the future
    await page.get_by_role("button", name="Save").click()
    await page.get_by_text("Saved.").wait_for()
    await snap(browser, context, page.url, shots, "editor")
    when = format_range(PartialDate(new_day), None)
    events = await reply_to(fake, 3001, "/events", "Member States agree the Summit outcome documents")
    assert when in events
    digest = await reply_to(fake, 3001, "/digest", "Member States agree the Summit outcome documents")
    assert when in digest

    # Create an FAQ entry; the bot answers with it.
    await page.goto(page.url.split("/content/")[0] + "/content/faq/new")
    await page.locator("#f-id").fill("zebra-crossing-chair")
    await page.locator("#f-question").fill("Who chairs the zebra crossing working group?")
    await page.locator("#f-answer").fill("The Stripes Collective chairs the zebra crossing working group.")
    await page.get_by_role("button", name="Save").click()
    await page.get_by_text("Saved.").wait_for()
    answer = await reply_to(fake, 3002, "Who chairs the zebra crossing working group?", "Stripes Collective")
    assert "Stripes Collective" in answer

    # Compose, preview and send a broadcast to Africa; see who got it.
    await page.goto(page.url.split("/content/")[0] + "/broadcasts/new")
    await page.locator("#text").fill("<b>Consultation</b> on Friday &amp; online")
    await page.get_by_text("Regions:").click()
    await page.get_by_label("Africa", exact=True).check()
    await page.locator("#count").filter(has_text="2").wait_for()  # the live recipient count
    await page.get_by_role("button", name="Check and preview").click()
    await page.get_by_role("heading", name="Preview").wait_for()
    assert await page.locator(".bubble b").inner_text() == "Consultation"
    await snap_form(browser, context, page, shots, "composer")
    await page.get_by_role("button", name="Send to 2 recipient(s)").click()
    await page.wait_for_url(re.compile(r"/broadcasts/\d+$"))
    for chat in (3001, 3002):
        await fake.wait_for(lambda chat=chat: any("Consultation" in m["text"] for m in fake.sent(chat)), timeout=10)
    assert not any("Consultation" in m["text"] for m in fake.sent(3003))
    for _ in range(40):
        await page.reload()
        if await page.get_by_text("Finished").count():
            break
        await page.wait_for_timeout(250)
    assert "Sent 2" in await page.locator(".progress").inner_text()

    # Every other page reads on a phone too: nothing wider than the screen (the feeds table is cards there).
    base = page.url.split("/broadcasts")[0]
    mobile = await browser.new_context(viewport={"width": 390, "height": 844}, storage_state=await context.storage_state())
    mpage = await mobile.new_page()
    for path in ("/feeds", "/questions", "/broadcasts", page.url[len(base):], "/content/event", "/content/feed/un-news-migrants-refugees"):
        await mpage.goto(base + path)
        width = await mpage.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} scrolls sideways at 390 px ({width} px)"
    await mpage.goto(base + "/feeds")
    assert await mpage.get_by_role("button", name="Turn off UN News: Migrants and refugees").is_visible()
    await mpage.screenshot(path=str(shots / "feeds-mobile.png"), full_page=True)
    await mobile.close()
    await context.close()


async def snap_form(browser, context, page, shots: Path, name: str) -> None:
    """A page that is the answer to a POST (the preview): screenshot it as it is, at both widths."""
    await page.screenshot(path=str(shots / f"{name}-desktop.png"), full_page=True)
    html = await page.content()
    mobile = await browser.new_context(viewport={"width": 390, "height": 844}, storage_state=await context.storage_state())
    mpage = await mobile.new_page()
    await mpage.goto(page.url.split("/broadcasts")[0] + "/login")  # same origin, so the stylesheet loads
    await mpage.set_content(html)
    await mpage.wait_for_load_state("networkidle")
    await mpage.screenshot(path=str(shots / f"{name}-mobile.png"), full_page=True)
    await mobile.close()


async def test_expired_and_reused_links_missing_csrf_and_non_admins_are_refused(console, services, browser):
    fake = console
    base = services.settings.web_url
    expired = services.webauth.issue_link_token(ADMIN, now=datetime.now(timezone.utc) - timedelta(minutes=11))
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(f"{base}/login/{expired}")
    assert await page.get_by_text("This login link has expired").is_visible()
    assert await page.get_by_role("button", name="Log in to the console").count() == 0

    link = await login_link(fake)
    await page.goto(link)
    await page.get_by_role("button", name="Log in to the console").click()
    await page.wait_for_url(f"{base}/")
    other = await browser.new_context()
    reused = await other.new_page()
    await reused.goto(link)
    assert await reused.get_by_text("already been used").is_visible()
    await reused.goto(f"{base}/")
    assert reused.url == f"{base}/login"  # no session there
    await other.close()

    # A form whose CSRF token was removed is refused and changes nothing.
    states = {f.id: f.enabled for f in services.feeds.status()}
    await page.goto(f"{base}/feeds")
    await page.evaluate("document.querySelectorAll('input[name=csrf]').forEach(e => e.remove())")
    await page.get_by_role("button", name=re.compile("Turn off")).first.click()
    assert "CSRF" in await page.locator("body").inner_text()
    assert {f.id: f.enabled for f in services.feeds.status()} == states

    # A non-admin's /web is refused like every admin command.
    fake.send_message(5001, "/web")
    await fake.wait_for(lambda: fake.sent(5001))
    assert "not allowed" in fake.sent(5001)[-1]["text"]
    await context.close()
