"""Feeds end to end: a new item in a served feed reaches the right subscribers; /feeds; the CLI."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from email.utils import format_datetime

import yaml

from conftest import CONTENT_DIR
from gcmbot.app import load_content_into_db
from gcmbot.cli import main
from fakebotapi import tap


def rss(*entries: tuple[str, str, str]) -> bytes:
    now = format_datetime(datetime.now(timezone.utc))
    body = "".join(f"<item><title>{t}</title><link>{link}</link><guid>{g}</guid><pubDate>{now}</pubDate></item>" for g, t, link in entries)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>https://example.org/</link><description>d</description>{body}</channel></rss>'.encode()


def write_content(tmp_path, feeds: list[dict]):
    """A copy of the shipped content with our feeds.yaml — how an operator adds a feed."""
    import shutil

    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content)
    (content / "feeds.yaml").write_text(yaml.safe_dump(feeds, allow_unicode=True))
    return content


async def test_new_item_reaches_subscribers_with_alerts_in_the_matching_region(running_bot, services, httpserver, tmp_path):
    fake = running_bot
    services.settings.content_dir = write_content(tmp_path, [dict(id="un-news", name="UN News", url=httpserver.url_for("/un.rss"))])
    load_content_into_db(services)
    httpserver.expect_oneshot_request("/un.rss").respond_with_data(rss(("1", "Older story", "https://news.un.org/en/story/2024/01/1")))
    await services.feeds.poll_all()  # the first poll is the baseline: nothing announced

    # 5001 follows Africa with instant alerts; 5002 follows Europe with alerts; 5003 Africa, alerts off.
    for chat, region, alerts in ((5001, "africa", True), (5002, "europe", True), (5003, "africa", False)):
        fake.send_message(chat, f"/start region-{region}")
        await fake.wait_for(lambda: any(m.get("reply_markup") for m in fake.sent(chat)))
        if alerts:
            menu = [m for m in fake.sent(chat) if m.get("reply_markup")][-1]
            screen = await tap(fake, chat, menu, "Digest & alerts")
            await tap(fake, chat, screen, "Instant alerts")
    assert services.subscriptions.get(5001).alerts and not services.subscriptions.get(5003).alerts
    before = {c: len(fake.sent(c)) for c in (5001, 5002, 5003)}

    httpserver.expect_oneshot_request("/un.rss").respond_with_data(rss(
        ("1", "Older story", "https://news.un.org/en/story/2024/01/1"),
        ("2", "Kenya &amp; Ethiopia: &lt;b&gt;new&lt;/b&gt; migrant protection plan", "https://news.un.org/feed/view/en/story/2024/05/1150001"),
    ))
    await services.feeds.poll_all()

    await fake.wait_for(lambda: len(fake.sent(5001)) > before[5001])
    await asyncio.sleep(1.2)  # time for the worker to (wrongly) send anything else
    [alert] = fake.sent(5001)[before[5001]:]
    assert "Kenya &amp; Ethiopia: new migrant protection plan" in alert["text"]  # markup stripped, & escaped
    assert 'href="https://news.un.org/feed/view/en/story/2024/05/1150001"' in alert["text"]
    assert "Older story" not in alert["text"] and "UN News" in alert["text"]
    assert len(fake.sent(5002)) == before[5002]  # Europe: nothing
    assert len(fake.sent(5003)) == before[5003]  # alerts off: nothing


async def test_feeds_command_for_admins_only(running_bot, services, httpserver):
    fake = running_bot
    httpserver.expect_request("/down").respond_with_data("no", status=500)
    from test_feeds import use_feeds

    use_feeds(services, dict(id="down", name="Down <Feed>", url=httpserver.url_for("/down")))
    services.feeds.total_timeout = 1
    await services.feeds.poll_all()

    fake.send_message(4242, "/feeds")  # 4242 is in GCMBOT_ADMIN_IDS
    reply = (await fake.wait_messages(4242))[-1]["text"]
    assert "Down &lt;Feed&gt;" in reply and "last error: HTTP 500" in reply and "0 items" in reply and "last success: never" in reply

    fake.send_message(777, "/feeds")
    reply = (await fake.wait_messages(777))[-1]["text"]
    assert "administrators only" in reply and "Down" not in reply


def _cli_env(monkeypatch, settings, content_dir):
    monkeypatch.setenv("GCMBOT_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("GCMBOT_CONTENT_DIR", str(content_dir))
    monkeypatch.setenv("GCMBOT_ADMIN_IDS", "4242")
    monkeypatch.delenv("GCMBOT_RELIEFWEB_APPNAME", raising=False)


def test_cli_poll_once_and_list(db, settings, httpserver, tmp_path, monkeypatch, capsys):
    content = write_content(tmp_path, [
        dict(id="un-news", name="UN News", url=httpserver.url_for("/un.rss")),
        dict(id="rw", name="ReliefWeb API", url=httpserver.url_for("/rw"), kind="reliefweb"),
    ])
    _cli_env(monkeypatch, settings, content)
    httpserver.expect_request("/un.rss").respond_with_data(rss(("a", "Story A", "https://example.org/a"), ("b", "Story B", "https://example.org/b")))
    assert main(["content", "load"]) == 0
    capsys.readouterr()

    assert main(["feeds", "poll", "--once"]) == 0
    out = capsys.readouterr().out
    assert "un-news: new, 2 new" in out and "+ Story A  <https://example.org/a>" in out
    assert "rw: skipped — GCMBOT_RELIEFWEB_APPNAME is not set" in out

    assert main(["feeds", "poll", "--once"]) == 0
    assert "un-news: not-modified" in capsys.readouterr().out

    assert main(["feeds", "list"]) == 0
    out = capsys.readouterr().out
    assert "un-news  [on] rss  2 items" in out and "last error: GCMBOT_RELIEFWEB_APPNAME is not set" in out


def test_cli_try_prints_items_or_one_line_reason(db, settings, httpserver, tmp_path, monkeypatch, capsys):
    _cli_env(monkeypatch, settings, CONTENT_DIR)
    httpserver.expect_request("/ok").respond_with_data(rss(("a", "Migrants in Libya &amp; Tunisia", "https://example.org/a")))
    httpserver.expect_request("/500").respond_with_data("no", status=500)
    httpserver.expect_request("/html").respond_with_data("<html><body>Not a feed</body></html>", content_type="text/html")

    assert main(["feeds", "try", httpserver.url_for("/ok")]) == 0
    out = capsys.readouterr().out
    assert "- Migrants in Libya & Tunisia" in out and "https://example.org/a" in out and "regions: " in out
    assert "1 items" in out

    for path, reason in (("/500", "HTTP 500"), ("/html", "not a feed")):
        assert main(["feeds", "try", httpserver.url_for(path)]) == 1
        captured = capsys.readouterr()
        assert reason in captured.err and len(captured.err.strip().splitlines()) == 1
    assert main(["feeds", "try", "javascript:alert(1)"]) == 1
    assert "not an http(s) URL" in capsys.readouterr().err


def test_cli_try_shows_what_a_poll_would_store(db, settings, httpserver, monkeypatch, capsys):
    _cli_env(monkeypatch, settings, CONTENT_DIR)
    httpserver.expect_request("/dup").respond_with_data(rss(
        ("same-guid", "First &lt;script&gt;alert(1)&lt;/script&gt;copy", "https://example.org/1"),
        ("same-guid", "Second copy", "https://example.org/1"),
        ("other", "Other", "https://example.org/2"),
    ))
    assert main(["feeds", "try", httpserver.url_for("/dup")]) == 0
    out = capsys.readouterr().out
    assert "2 items" in out and out.count("https://example.org/1") == 1  # a repeated guid is one item
    assert "script" not in out and "alert(1)" not in out and "- First copy" in out
