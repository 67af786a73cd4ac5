"""Polling feeds against a real local HTTP server: RSS, Atom, the ReliefWeb API, and bad sources."""

from __future__ import annotations

import gzip
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

import pytest
from sqlmodel import select
from werkzeug import Response

from conftest import CONTENT_DIR
from dataclasses import replace

from gcmbot.app import build_services
from gcmbot.content import load_content
from gcmbot.content.loader import FeedSpec
from gcmbot.store.content import sync_content
from gcmbot.models import Feed, FeedItem, OutboxMessage
from gcmbot.render.alerts import render_alert
from gcmbot.services.alerts import AlertItem
from gcmbot.services.feed_decide import MAX_BACKOFF, Known, diff_items, next_poll_at
from gcmbot.services.feed_fetch import USER_AGENT
from gcmbot.services.feed_parse import ParsedItem, item_key, safe_link
from gcmbot.services.feed_tagging import TagRules

DATA = Path(__file__).parent / "data" / "feeds"
NOW = datetime(2024, 5, 15, 9, 0, tzinfo=timezone.utc)  # the fixture items are from 12–14 May 2024


def data(name: str) -> bytes:
    return (DATA / name).read_bytes()


_CONTENT = []


def shipped_content():
    """content/ parsed once per test session (parsing YAML is the slow part)."""
    if not _CONTENT:
        _CONTENT.append(load_content(CONTENT_DIR))
    return _CONTENT[0]


def use_feeds(services, *feeds: dict) -> None:
    """The shipped content, but with only these feeds in feeds.yaml, synced as `gcmbot content load` does."""
    specs = [FeedSpec(**{**f, "regions": tuple(f.get("regions", ())), "topics": tuple(f.get("topics", ()))}) for f in feeds]
    with services.db.session() as s:
        sync_content(s, replace(shipped_content(), feeds=specs))


@pytest.fixture
def services(settings, db):
    """Like conftest's, with the parsed content reused across tests."""
    svc = build_services(settings, db=db)
    use_feeds(svc)
    return svc


@pytest.fixture
def fast(services):
    """Short timeouts and a small size cap so bad-source tests stay fast."""
    f = services.feeds
    f.total_timeout, f.connect_timeout, f.max_bytes = 0.5, 0.5, 64 * 1024
    f.rand = lambda: 0.5  # no jitter: schedules are exact
    return f


def items(services, feed_id=None) -> list[FeedItem]:
    with services.db.session() as s:
        q = select(FeedItem).order_by(FeedItem.id)
        if feed_id:
            q = q.where(FeedItem.feed_id == feed_id)
        return list(s.exec(q))


def feed_row(services, feed_id) -> Feed:
    with services.db.session() as s:
        return s.get(Feed, feed_id)


def outbox(services, kind=None) -> list[OutboxMessage]:
    with services.db.session() as s:
        q = select(OutboxMessage).order_by(OutboxMessage.id)
        if kind:
            q = q.where(OutboxMessage.kind == kind)
        return list(s.exec(q))


def rss(*entries: tuple[str, str, str, str]) -> bytes:
    """A small RSS 2.0 feed from (guid, title, link, pubDate-iso) tuples."""
    body = "".join(
        f"<item><title>{t}</title><link>{link}</link><guid isPermaLink=\"false\">{g}</guid>"
        f"<pubDate>{format_datetime(datetime.fromisoformat(d))}</pubDate></item>"
        for g, t, link, d in entries
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>https://example.org/</link><description>d</description>{body}</channel></rss>'.encode()


# --- RSS, Atom, JSON -------------------------------------------------------------


async def test_un_news_rss_gzip_bozo_is_used_and_cleaned(services, httpserver, fast):
    httpserver.expect_request("/un.rss").respond_with_data(
        gzip.compress(data("un-news.rss")), content_type="application/rss+xml; charset=utf-8",
        headers={"Content-Encoding": "gzip", "ETag": '"v1"', "Last-Modified": "Tue, 14 May 2024 12:05:00 GMT"},
    )
    use_feeds(services, dict(id="un-news", name="UN News", url=httpserver.url_for("/un.rss")))

    [result] = await services.feeds.poll_all(NOW)

    assert result.outcome == "new" and len(result.new) == 3
    assert "undefined entity" in result.problem  # &nbsp; made it ill-formed, but entries were used
    request = httpserver.log[0][0]
    assert request.headers["User-Agent"] == USER_AGENT and "gzip" in request.headers["Accept-Encoding"]
    stored = {i.key: i for i in items(services)}
    assert set(stored) == {"story:1149871", "story:1149802", "story:1149750"}  # both guid forms → story id
    assert stored["story:1149871"].title == "Migrants stranded in Libya need urgent protection, says IOM"  # padding gone
    assert stored["story:1149802"].title == "UN chief's message: “Safe, orderly and regular migration” benefits all"
    assert stored["story:1149871"].summary.startswith("The International Organization for Migration warned")
    assert "<" not in stored["story:1149871"].summary
    assert stored["story:1149871"].published_at == datetime(2024, 5, 14, 12, 0, tzinfo=timezone.utc)
    # Tagging from content keywords / aliases.
    assert "arab-states" in stored["story:1149871"].regions or "africa" in stored["story:1149871"].regions
    assert "europe" in stored["story:1149802"].regions and "gcm-process" in stored["story:1149802"].topics
    assert "africa" in stored["story:1149750"].regions
    row = feed_row(services, "un-news")
    assert row.etag == '"v1"' and row.last_success_at == NOW and row.consecutive_failures == 0
    assert row.last_error.startswith("usable, but")
    assert all(i.alerted for i in items(services))  # a feed's first poll is a baseline, not an alert storm


async def test_conditional_get_sends_validators_and_304_costs_no_parsing(services, httpserver, fast):
    seen = []

    def handler(request):
        seen.append(dict(request.headers))
        if request.headers.get("If-None-Match") == '"abc"':
            return Response(status=304, headers={"ETag": '"abc"'})
        return Response(data("un-news.rss"), content_type="application/rss+xml",
                        headers={"ETag": '"abc"', "Last-Modified": "Tue, 14 May 2024 12:05:00 GMT"})

    httpserver.expect_request("/feed").respond_with_handler(handler)
    use_feeds(services, dict(id="un", name="UN", url=httpserver.url_for("/feed")))

    await services.feeds.poll_all(NOW)
    [second] = await services.feeds.poll_all(NOW + timedelta(minutes=30))

    assert "If-None-Match" not in seen[0]
    assert seen[1]["If-None-Match"] == '"abc"' and seen[1]["If-Modified-Since"] == "Tue, 14 May 2024 12:05:00 GMT"
    assert second.outcome == "not-modified" and second.new == []
    row = feed_row(services, "un")
    assert row.last_success_at == NOW + timedelta(minutes=30) and row.etag == '"abc"'
    assert row.next_poll_at == NOW + timedelta(minutes=60)


async def test_unchanged_body_is_skipped_when_server_ignores_conditional_headers(services, httpserver, fast):
    httpserver.expect_request("/feed").respond_with_data(data("atom.xml"), content_type="application/atom+xml")
    use_feeds(services, dict(id="iom", name="IOM", url=httpserver.url_for("/feed"), kind="atom"))
    await services.feeds.poll_all(NOW)
    [again] = await services.feeds.poll_all(NOW + timedelta(hours=1))
    assert again.outcome == "not-modified"
    assert len(items(services)) == 2


async def test_atom_script_title_stripped_and_javascript_link_dropped(services, httpserver, fast):
    httpserver.expect_request("/atom").respond_with_data(data("atom.xml"), content_type="application/atom+xml")
    use_feeds(services, dict(id="iom", name="IOM", url=httpserver.url_for("/atom"), kind="atom"))
    await services.feeds.poll_all(NOW)
    stored = {i.key: i for i in items(services)}
    press = stored["urn:iom:press:101"]
    assert press.title == "Rights & wrongs at the border" and press.link == ""
    assert press.summary == "Migrant workers & their families in Asia." and "asia-pacific" in press.regions
    assert stored["urn:iom:press:100"].link == "https://www.iom.int/news/return-and-reintegration-programme-expands"


async def test_reliefweb_api_with_appname(services, httpserver, fast):
    httpserver.expect_request("/v2/reports").respond_with_data(data("reliefweb.json"), content_type="application/json")
    use_feeds(services, dict(id="rw", name="ReliefWeb: IOM", url=httpserver.url_for("/v2/reports?filter[field]=source.id&filter[value]=1255"), kind="reliefweb"))
    services.feeds.reliefweb_appname = "gcmbot-test"

    [result] = await services.feeds.poll_all(NOW)

    assert result.outcome == "new" and len(result.new) == 2
    args = httpserver.log[0][0].args
    assert args["appname"] == "gcmbot-test" and args["filter[value]"] == "1255" and args["preset"] == "latest"
    stored = {i.key: i for i in items(services)}
    sudan = stored["reliefweb:4051234"]
    assert sudan.title == "IOM Displacement Tracking Matrix: Sudan & Chad update"
    assert sudan.link == "https://reliefweb.int/report/sudan/iom-dtm-sudan-chad-update"
    assert "africa" in sudan.regions or "arab-states" in sudan.regions
    assert "latin-america-caribbean" in stored["reliefweb:4051100"].regions
    # The API's answers differ in timing fields only: the same data is "not modified".
    [again] = await services.feeds.poll_all(NOW + timedelta(hours=1))
    assert again.outcome == "not-modified"


async def test_reliefweb_without_appname_is_skipped_with_a_clear_error(services, httpserver, fast):
    use_feeds(services, dict(id="rw", name="ReliefWeb", url=httpserver.url_for("/v2/reports"), kind="reliefweb"))
    [result] = await services.feeds.poll_all(NOW)
    assert result.outcome == "skipped" and "GCMBOT_RELIEFWEB_APPNAME" in result.error
    assert httpserver.log == []  # no request: it would be a 403 anyway
    row = feed_row(services, "rw")
    assert "GCMBOT_RELIEFWEB_APPNAME" in row.last_error and row.consecutive_failures == 0 and not row.flagged


# --- dedup -----------------------------------------------------------------------


async def test_reorder_redate_and_update_announce_only_the_new_item(services, httpserver, fast):
    a = ("g-a", "Item A", "https://example.org/a", "2024-05-12T10:00:00+00:00")
    b = ("g-b", "Item B", "https://example.org/b", "2024-05-13T10:00:00+00:00")
    c = ("g-c", "Item C", "https://example.org/c", "2024-05-14T10:00:00+00:00")
    httpserver.expect_oneshot_request("/feed").respond_with_data(rss(a, b), content_type="application/rss+xml")
    use_feeds(services, dict(id="f", name="F", url=httpserver.url_for("/feed")))
    await services.feeds.poll_all(NOW)

    b_redated = ("g-b", "Item B", "https://example.org/b", "2024-05-15T08:00:00+00:00")
    a_renamed = ("g-a", "Item A (corrected)", "https://example.org/a", "2024-05-12T10:00:00+00:00")
    httpserver.expect_oneshot_request("/feed").respond_with_data(rss(c, b_redated, a_renamed, c), content_type="application/rss+xml")
    [result] = await services.feeds.poll_all(NOW + timedelta(hours=1))

    assert [i.title for i in result.new] == ["Item C"]  # reordered, re-dated, duplicated: only C is new
    assert result.updated == 1
    titles = [i.title for i in items(services)]
    assert titles == ["Item A (corrected)", "Item B", "Item C"]  # A updated silently, nothing duplicated


async def test_duplicates_script_ampersand_and_javascript_link(services, httpserver, fast):
    httpserver.expect_oneshot_request("/feed").respond_with_data(rss(("g0", "Older", "https://example.org/0", "2024-05-10T10:00:00+00:00")))
    use_feeds(services, dict(id="tricky", name="Tricky & Co", url=httpserver.url_for("/feed")))
    await services.feeds.poll_all(NOW)  # baseline
    services.subscriptions.start(501, "private")
    services.subscriptions.set_flag(501, "alerts", True)

    httpserver.expect_oneshot_request("/feed").respond_with_data(data("tricky.rss"), content_type="application/rss+xml")
    [result] = await services.feeds.poll_all(NOW)

    assert len(result.new) == 3  # the two identical guid-less, link-less items are one
    stored = {i.title: i for i in items(services, "tricky")}
    script = stored["Why tags & filters fail in Europe"]  # the markup escaped into the title is stripped
    assert script.link == "" and "europe" in script.regions
    assert stored["An item without guid"].key == "https://example.org/no-guid"
    [alert] = outbox(services, "alert")
    assert alert.chat_id == 501
    assert "Why tags &amp; filters fail in Europe" in alert.text
    assert "script" not in alert.text and "alert(1)" not in alert.text and "javascript:" not in alert.text
    assert "Tricky &amp; Co" in alert.text
    assert '<a href="https://example.org/no-guid">An item without guid</a>' in alert.text


# --- bad sources -------------------------------------------------------------------


async def test_bad_sources_fail_alone_with_one_line_reasons(services, httpserver, fast):
    httpserver.expect_request("/ok").respond_with_data(data("atom.xml"), content_type="application/atom+xml")
    httpserver.expect_request("/500").respond_with_data("oops", status=500)
    httpserver.expect_request("/html").respond_with_data(data("malformed.xml"), content_type="text/html")
    httpserver.expect_request("/big").respond_with_data(b"<rss>" + b" " * (200 * 1024), content_type="application/rss+xml")
    httpserver.expect_request("/slow").respond_with_handler(lambda r: (time.sleep(0.8), Response("late"))[1])
    use_feeds(
        services,
        *(dict(id=name, name=name, url=httpserver.url_for("/" + name)) for name in ("ok", "500", "html", "big", "slow")),
    )

    results = {r.feed_id: r for r in await services.feeds.poll_all(NOW)}

    assert results["ok"].outcome == "new" and len(results["ok"].new) == 2
    assert results["500"].error == "HTTP 500 INTERNAL SERVER ERROR"
    assert results["html"].error.startswith("not a feed")
    assert results["big"].error.startswith("too large")
    assert results["slow"].error.startswith("timeout")
    for name in ("500", "html", "big", "slow"):
        row = feed_row(services, name)
        assert row.consecutive_failures == 1 and row.last_error == results[name].error and "\n" not in row.last_error
        assert row.next_poll_at == NOW + timedelta(minutes=5)  # first retry; backoff grows from there
        assert row.last_success_at is None and not row.flagged
    assert len(items(services)) == 2


async def test_redirects_followed_within_limits(services, httpserver, fast):
    httpserver.expect_request("/old").respond_with_data("", status=301, headers={"Location": httpserver.url_for("/new")})
    httpserver.expect_request("/new").respond_with_data(data("atom.xml"), content_type="application/atom+xml")
    httpserver.expect_request("/loop").respond_with_data("", status=302, headers={"Location": httpserver.url_for("/loop")})
    use_feeds(services, dict(id="old", name="Old", url=httpserver.url_for("/old")), dict(id="loop", name="Loop", url=httpserver.url_for("/loop")))
    results = {r.feed_id: r for r in await services.feeds.poll_all(NOW)}
    assert len(results["old"].new) == 2
    assert results["loop"].error.startswith("too many redirects")


async def test_failing_feed_is_flagged_once_then_recovers(services, httpserver, fast):
    httpserver.expect_request("/feed").respond_with_data("down", status=503)
    use_feeds(services, dict(id="un", name="UN <News>", url=httpserver.url_for("/feed")))
    now = NOW
    for _ in range(5):
        [result] = await services.feeds.poll_due(now)
        now = feed_row(services, "un").next_poll_at  # poll exactly when due
    row = feed_row(services, "un")
    assert row.flagged and row.consecutive_failures == 5
    [flag] = outbox(services, "admin")  # told once, not on every failed poll
    assert flag.chat_id == 4242 and "UN &lt;News&gt;" in flag.text and "HTTP 503" in flag.text
    # Backoff: 5, 10, 20, 40 minutes between polls.
    assert row.next_poll_at - row.last_polled_at == timedelta(minutes=80)
    assert await services.feeds.poll_due(row.last_polled_at + timedelta(minutes=79)) == []

    httpserver.clear()
    httpserver.expect_request("/feed").respond_with_data(data("atom.xml"), content_type="application/atom+xml")
    [result] = await services.feeds.poll_due(now)
    assert result.recovered and not feed_row(services, "un").flagged
    messages = outbox(services, "admin")
    assert len(messages) == 2 and "works again" in messages[1].text


# --- alerts ------------------------------------------------------------------------


async def test_alerts_batched_per_subscriber_and_segment(services, httpserver, fast):
    subs = services.subscriptions
    for chat in (1, 2, 3, 4):
        subs.start(chat, "private")
    for chat in (1, 2, 4):
        subs.set_flag(chat, "alerts", True)
    subs.toggle(2, "region", "europe")  # follows Europe only
    subs.stop(4)  # alerts on, but stopped

    httpserver.expect_oneshot_request("/feed").respond_with_data(rss(("old", "Old news", "https://example.org/old", "2024-05-01T10:00:00+00:00")))
    use_feeds(services, dict(id="un", name="UN News", url=httpserver.url_for("/feed")))
    await services.feeds.poll_all(NOW)
    assert outbox(services) == []  # the first poll is a baseline

    httpserver.expect_oneshot_request("/feed").respond_with_data(rss(
        ("old", "Old news", "https://example.org/old", "2024-05-01T10:00:00+00:00"),
        ("n1", "Migrants stranded in Libya", "https://example.org/n1", "2024-05-14T10:00:00+00:00"),
        ("n2", "New reception centres in Greece", "https://example.org/n2", "2024-05-14T11:00:00+00:00"),
    ))
    await services.feeds.poll_all(NOW)

    alerts = {m.chat_id: m for m in outbox(services, "alert")}
    assert set(alerts) == {1, 2}  # 3 has alerts off, 4 stopped
    assert "2 new documents" in alerts[1].text and "Libya" in alerts[1].text and "Greece" in alerts[1].text
    assert "Greece" in alerts[2].text and "Libya" not in alerts[2].text
    assert alerts[1].text.index("Greece") < alerts[1].text.index("Libya")  # newest first
    assert "UN News · 14 May 2024" in alerts[1].text
    assert all(i.alerted for i in items(services))
    assert services.alerts.queue_new(NOW) == 0  # nothing is alerted twice


def test_render_alert_stays_under_telegram_limit():
    many = [AlertItem(i, f"Report number {i} " + "x" * 150, f"https://example.org/{i}", "UN News", NOW) for i in range(60)]
    text = render_alert(many)
    assert len(text) <= 4096 and text.startswith("🆕 <b>60 new documents</b>")
    shown = text.count("<a href=")
    assert text.endswith(f"… and {60 - shown} more") and shown > 10


# --- pure decisions --------------------------------------------------------------------


def test_item_identity():
    assert item_key("1149871 at https://news.un.org/en", "https://news.un.org/feed/view/en/story/2024/05/1149871", "t", None) == "story:1149871"
    assert item_key("https://news.un.org/en/story/2019/01/1030731", None, "t", None) == "story:1030731"
    assert item_key(None, "https://x.org/a", "t", None) == "https://x.org/a"
    assert item_key(None, None, "t", "d") == item_key(None, "", "t", "d") != item_key(None, None, "t", "other date")


def test_links_must_be_http():
    assert safe_link(" https://x.org/a ") == "https://x.org/a"
    for bad in ("javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,x", "/relative", "ftp://x.org", "http://"):
        assert safe_link(bad) == ""


def test_diff_items_is_by_identity_only():
    known = {"a": Known(1, "A", "https://x/a", ""), "b": Known(2, "B", "https://x/b", "")}
    parsed = [ParsedItem("b", "B", "https://x/b"), ParsedItem("c", "C"), ParsedItem("a", "A2", "https://x/a"), ParsedItem("c", "C")]
    d = diff_items(parsed, known)
    assert [i.key for i in d.new] == ["c"] and [(i, p.title) for i, p in d.updated] == [(1, "A2")] and d.unchanged == 1


def test_backoff_grows_and_jitter_is_bounded():
    assert next_poll_at(NOW, 30, 0, 0.5) == NOW + timedelta(minutes=30)
    assert [next_poll_at(NOW, 30, n, 0.5) - NOW for n in (1, 2, 3)] == [timedelta(minutes=m) for m in (5, 10, 20)]
    assert next_poll_at(NOW, 30, 50, 0.5) - NOW == MAX_BACKOFF
    assert NOW + timedelta(minutes=27) <= next_poll_at(NOW, 30, 0, 0.0) < next_poll_at(NOW, 30, 0, 0.999) <= NOW + timedelta(minutes=33)


def test_tagging_rules_whole_words_and_acronyms():
    rules = TagRules.build(
        [("detention", ["detention", "immigration detention"]), ("children", ["children", "unaccompanied minors"])],
        [("europe", ["Europe", "EU", "Greece"]), ("africa", ["Africa", "Niger"]), ("arab-states", ["Sudan"]), ("south", ["South Sudan"])],
    )
    topics, regions = rules.tag(ParsedItem("k", "Immigration DETENTION of children in Greece", summary="eu officials met"))
    assert topics == ["detention", "children"] and regions == ["europe"]  # "eu" is not the acronym EU
    assert rules.tag(ParsedItem("k", "Returns from Nigeria and the EU"))[1] == ["europe"]  # Niger ≠ Nigeria
    assert rules.tag(ParsedItem("k", "Floods in South Sudan"))[1] == ["south"]
    assert rules.tag(ParsedItem("k", "Floods", places=("Sudan",)), feed_regions=["africa"])[1] == ["africa", "arab-states"]
