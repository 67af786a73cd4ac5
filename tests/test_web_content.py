"""The web console's content editor: same validation as `content check`, live for the bot, kept by `content load`."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from icalendar import Calendar
from sqlmodel import select

from gcmbot.app import load_content_into_db
from gcmbot.content.dates import PartialDate, format_range
from gcmbot.content.loader import check_content, errors
from gcmbot.models import Event, FaqEntry, OutboxMessage, TaxonomyTerm
from gcmbot.render.digest import render_digest_view, render_events_view
from test_web import ADMIN, audit, client, login

EVENT = "summit-outcome-agreed-2016"
ROOT_CONTENT = __import__("pathlib").Path(__file__).resolve().parent.parent / "content"


@pytest.fixture
def web_services(services):
    services.settings.web_url = "https://console.test"
    return services


def form_of(html: str) -> dict:
    """The fields of the editor form as a browser would submit them (inputs, selects, textareas, ticked boxes)."""
    data: dict[str, list[str]] = {}
    form = html.split('<form method="post" action="/content/', 1)[1].split("</form>", 1)[0]
    for m in re.finditer(r'<input type="(hidden|text|checkbox)"[^>]*?name="([^"]+)"[^>]*?value="([^"]*)"([^>]*)>', form):
        kind, name, value, rest = m.groups()
        if kind != "checkbox" or "checked" in rest:
            data.setdefault(name, []).append(value)
    for m in re.finditer(r'<input type="text" id="[^"]+" name="([^"]+)" value="([^"]*)"', form):
        data.setdefault(m.group(1), [m.group(2)])
    for m in re.finditer(r'<textarea id="[^"]+" name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        data[m.group(1)] = [m.group(2).replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")]
    for m in re.finditer(r'<select id="[^"]+" name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', m.group(2))
        first = re.search(r'<option value="([^"]*)"', m.group(2))
        data[m.group(1)] = [chosen.group(1) if chosen else first.group(1)]
    return data


def as_pairs(data: dict) -> dict:
    """Keyword arguments for httpx: the form url-encoded with repeated keys (ticked boxes)."""
    from urllib.parse import urlencode

    body = urlencode([(k, v) for k, values in data.items() for v in values])
    return {"content": body, "headers": {"Content-Type": "application/x-www-form-urlencoded"}}


async def open_editor(c, path):
    page = await c.get(path)
    assert page.status_code == 200, page.text[:500]
    return form_of(page.text)


async def test_editing_an_event_date_is_live_in_events_digest_and_calendar(web_services):
    now = datetime.now(timezone.utc)
    new_day = (now + timedelta(days=20)).date()
    title = "Member States agree the Summit outcome documents"
    assert title not in render_events_view(web_services.digest.events_list(None, now))
    original = web_services.editor.get("event", EVENT)
    async with client(web_services) as c:
        before = (await c.get("/calendar/all.ics")).content
        await login(c, web_services)
        data = await open_editor(c, f"/content/event/{EVENT}")
        assert data["title"] == [title] and data["start"] == ["2016-08-02"]
        data["start"] = [new_day.isoformat()]
        data["status"] = ["confirmed"]  # a held event cannot start after today (content check says so)
        r = await c.post(f"/content/event/{EVENT}", **as_pairs(data))
        assert r.status_code == 303, r.text[:2000]
        assert "Saved" in (await c.get(r.headers["location"])).text
        after = (await c.get("/calendar/all.ics")).content
    with web_services.db.session() as s:
        assert s.get(Event, EVENT).start == new_day
    edited = web_services.editor.get("event", EVENT)
    assert sorted(edited.pop("topics")) == sorted(original.pop("topics"))  # ticked boxes come in the taxonomy's order
    expected = {**original, "start": new_day.isoformat()}
    expected.pop("status", None)  # held → confirmed, the default, which the editor leaves out
    assert expected == edited  # nothing else changed
    when = format_range(PartialDate(new_day), None)
    events = render_events_view(web_services.digest.events_list(None, now))
    assert title in events and when in events
    digest = "\n".join(render_digest_view(web_services.digest.preview_segment(web_services.broadcasts.segment(), now)))
    assert title in digest and when in digest
    # The next weekly digest (queued by the schedule) carries the new date too.
    web_services.subscriptions.start(3001, "private")
    web_services.subscriptions.set_digest(3001, now.weekday(), now.hour)
    assert web_services.digest.send_due(now + timedelta(days=7)).digests == 1  # a new subscriber starts next week
    with web_services.db.session() as s:
        [queued] = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "digest")).all()
    assert title in queued.text and when in queued.text
    [vevent] = [e for e in Calendar.from_ical(after).walk("VEVENT") if str(e["UID"]).startswith(EVENT)]
    assert vevent.decoded("DTSTART") == new_day and before != after
    assert [a.action for a in audit(web_services)][-1] == "web:edit-event"
    # `content load` keeps the console's version and says so; --overwrite puts the file's back.
    assert f"kept 1 edited in the web console ({EVENT})" in str(load_content_into_db(web_services))
    with web_services.db.session() as s:
        assert s.get(Event, EVENT).start == new_day
    load_content_into_db(web_services, overwrite=True)
    with web_services.db.session() as s:
        assert s.get(Event, EVENT).start.isoformat() == "2016-08-02"


async def test_a_new_faq_entry_answers_at_once(web_services):
    now = datetime.now(timezone.utc)
    question = "Who chairs the zebra crossing working group?"
    assert web_services.questions.ask(question, now=now).outcome == "declined"  # and its redacted text is logged
    async with client(web_services) as c:
        await login(c, web_services)
        page = await c.get("/questions")
        link = re.search(r'href="(/content/faq/new\?question=[^"]+)"', page.text).group(1).replace("&amp;", "&")
        data = await open_editor(c, link)
        assert data["question"] == [question.lower()]  # pre-filled from the Questions page (redacted text is lowercased)
        data.update(id=["zebra-crossing-chair"], answer=["The zebra crossing working group is chaired by the Stripes Collective."],
                    alternatives=["who leads the zebra crossing group\nzebra crossing working group chair"])
        data["tr.es.question"] = ["¿Quién preside el grupo de trabajo del paso de cebra?"]
        r = await c.post("/content/faq/new", **as_pairs(data))
        assert r.status_code == 303, r.text[:3000]
    answer = web_services.questions.ask(question, now=now)
    assert answer.outcome == "answered" and answer.matched == "zebra-crossing-chair"
    with web_services.db.session() as s:
        row = s.get(FaqEntry, "zebra-crossing-chair")
    assert row.translations["question"]["es"].startswith("¿Quién") and len(row.alternatives) == 2


@pytest.mark.parametrize(
    "kind, entry, change, field, message",
    [
        ("event", EVENT, {"title": ""}, "title", "'title' is required"),
        ("event", EVENT, {"end": "2016-07-01"}, "end", "'end' 2016-07-01 is before 'start' 2016-08-02"),
        ("event", EVENT, {"start": "2016-13-45"}, "start", "is not a real date"),
        ("event", EVENT, {"region": "atlantis"}, "region", "unknown region 'atlantis'"),
        ("event", EVENT, {"theme": "x" * 10_000}, "theme", "too long: 10000 characters; at most 4000"),
        ("event", EVENT, {"part": "late"}, "start", "part (early/mid/late) only goes with a month"),
        ("faq", None, {"id": "Bad Id!", "question": "q", "answer": "a"}, "id", "Use lowercase letters"),
        ("faq", None, {"id": "what-is-the-gcm", "question": "q", "answer": "a"}, "id", "There is already an entry"),
        ("faq", None, {"id": "new-one", "question": "q", "answer": ""}, "answer", "'answer' is required"),
        ("feed", "un-news-migrants-refugees", {"url": "ftp://example.org"}, "url", "must be an http(s) URL"),
        ("feed", "un-news-migrants-refugees", {"interval_minutes": "often"}, "interval_minutes", "must be a whole number"),
        ("statement", None, {"id": "s-new", "title": "T", "date": "2018-01-01", "summary": "S", "topics": "no-such-topic"}, "topics", "unknown topic"),
        ("region", "africa", {"timezones": "Africa/Nairobi\nMars/Olympus"}, "timezones", "'Mars/Olympus' is not an IANA timezone name"),
        # 10 000 characters in a one-line field, a time zone name too long for any file name, odd characters
        ("event", EVENT, {"title": "x" * 10_000}, "title", "too long: 10000 characters; at most 300"),
        ("region", "africa", {"timezones": "A" * 3000}, "timezones", "is not an IANA timezone name"),
        ("event", EVENT, {"title": "Summit\x00 outcome"}, "title", "'title' holds an invisible control character (U+0000): delete it"),
        ("faq", "what-is-the-gcm", {"question": "\u200b \u200b"}, "question", "'question' is required"),
        ("faq", "what-is-the-gcm", {"tr.es.question": "¿Qué es\x1b el pacto?"}, "tr-es-question", "invisible control character (U+001B)"),
        ("feed", "un-news-migrants-refugees", {"url": "https://example.org/a feed"}, "url", "must be an http(s) URL"),
    ],
)
async def test_bad_input_is_shown_next_to_its_field_and_stores_nothing(web_services, kind, entry, change, field, message):
    from gcmbot.services.content_editor import ContentEditor

    before = ContentEditor(web_services.db).files()
    async with client(web_services) as c:
        csrf = await login(c, web_services)
        data = await open_editor(c, f"/content/{kind}/{entry}" if entry else f"/content/{kind}/new")
        data["csrf"] = [csrf]
        for key, value in change.items():
            data[key] = [value]
        r = await c.post(f"/content/{kind}/{entry}" if entry else f"/content/{kind}/new", **as_pairs(data))
    assert r.status_code == 400 and "Nothing was saved" in r.text
    block = re.search(rf'id="e-{field}">([^<]*)<', r.text) or re.search(rf'id="f-{field}".*?<p class="error">([^<]*)<', r.text, re.S)
    assert block and message in block.group(1).replace("&#39;", "'").replace("&#34;", '"'), r.text[-4000:]
    assert ContentEditor(web_services.db).files() == before  # nothing stored
    assert [a.action for a in audit(web_services)] == ["web:login"]


async def test_retire_an_faq_entry_and_refuse_retiring_a_region_in_use(web_services):
    async with client(web_services) as c:
        csrf = await login(c, web_services)
        assert (await c.post("/content/faq/what-is-the-gcm/retire", data={})).status_code == 403  # no CSRF token
        r = await c.post("/content/faq/what-is-the-gcm/retire", data={"csrf": csrf})
        assert r.status_code == 303
        assert "what-is-the-gcm" not in (await c.get("/content/faq")).text
        refused = await c.post("/content/region/africa/retire", data={"csrf": csrf})
        assert refused.status_code == 409 and "cannot be retired" in refused.text and "unknown region" in refused.text
    with web_services.db.session() as s:
        assert s.get(FaqEntry, "what-is-the-gcm") is None
        assert s.get(TaxonomyTerm, ("region", "africa")) is not None
    load_content_into_db(web_services)  # the retired entry does not come back
    with web_services.db.session() as s:
        assert s.get(FaqEntry, "what-is-the-gcm") is None


async def test_list_and_search(web_services):
    async with client(web_services) as c:
        await login(c, web_services)
        page = await c.get("/content/event", params={"q": "Summit outcome"})
        assert page.status_code == 200 and EVENT in page.text and "1 entry" in page.text
        assert (await c.get("/content/nonsense")).status_code == 404
        assert (await c.get("/content/event/no-such-event")).status_code == 404
        for kind in ("faq", "statement", "feed", "region", "constituency", "topic"):
            listing = await c.get(f"/content/{kind}")
            assert listing.status_code == 200
            first = re.search(rf'href="(/content/{kind}/[a-z0-9-]+)"', listing.text.split("New ", 1)[1]).group(1)
            assert (await c.get(first)).status_code == 200


DEFAULTS = {"status": "confirmed", "region": "global", "enabled": True, "interval_minutes": 30, "thematic": False}


def _semantic(value, key=None):
    """A YAML value as the loader means it: empty values and defaults are the same as absent; entries by id."""
    if isinstance(value, dict):
        return {k: _semantic(v, k) for k, v in value.items()
                if v not in (None, "", [], {}) and not (k in DEFAULTS and v == DEFAULTS[k])}
    if isinstance(value, list) and value and all(isinstance(v, dict) and "id" in v for v in value):
        return {v["id"]: _semantic(v) for v in value}
    if isinstance(value, list):
        return [_semantic(v) for v in value]
    return value


def test_content_export_is_lossless_for_the_shipped_content(web_services, tmp_path):
    """Every field of every entry of content/ comes back from the database: editors' and translators'
    notes, a source's file, defaults written or not (compared as the loader reads them)."""
    import yaml

    from gcmbot.services.content_editor import ALL_FILES

    web_services.editor.export(tmp_path / "out")
    for name in ALL_FILES:
        source = yaml.safe_load((web_services.settings.content_dir / f"{name}.yaml").read_text(encoding="utf-8"))
        exported = yaml.safe_load((tmp_path / "out" / f"{name}.yaml").read_text(encoding="utf-8"))
        want, got = _semantic(source), _semantic(exported)
        assert set(got) == set(want), name
        for entry_id in want:
            assert got[entry_id] == want[entry_id], f"{name}.yaml: {entry_id}"
    notes = yaml.safe_load((tmp_path / "out" / "statements.yaml").read_text(encoding="utf-8"))
    assert any("note" in per for s in notes for per in (s.get("translations") or {}).values())  # the check checks something
    assert any("file" in s for s in yaml.safe_load((tmp_path / "out" / "sources.yaml").read_text(encoding="utf-8")))

    # ...and an export loaded again exports the same files.
    web_services.settings.content_dir = tmp_path / "out"
    (tmp_path / "out" / "lexicon.yaml").write_text((ROOT_CONTENT / "lexicon.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    load_content_into_db(web_services, overwrite=True)
    web_services.editor.export(tmp_path / "again")
    for name in ALL_FILES:
        first, second = ((tmp_path / d / f"{name}.yaml").read_text(encoding="utf-8").split("\n", 1)[1] for d in ("out", "again"))
        assert first == second, name


async def test_a_console_save_keeps_what_the_form_does_not_show(web_services, tmp_path):
    """A translator's note is not in the form: saving the entry keeps it (and the note a statement has)."""
    import yaml

    statement = "gcm-faq-2017"
    async with client(web_services) as c:
        csrf = await login(c, web_services)
        data = await open_editor(c, f"/content/statement/{statement}")
        assert "note" in data  # statements have an editor's note now
        data.update(csrf=[csrf], note=["Checked by the coordinators."], summary=[data["summary"][0] + " Updated."])
        r = await c.post(f"/content/statement/{statement}", **as_pairs(data))
        assert r.status_code == 303, r.text[:2000]
    web_services.editor.export(tmp_path / "out")
    saved = next(s for s in yaml.safe_load((tmp_path / "out" / "statements.yaml").read_text(encoding="utf-8")) if s["id"] == statement)
    assert saved["note"] == "Checked by the coordinators." and saved["summary"].endswith("Updated.")
    assert saved["translations"]["fr"]["note"].startswith("Titre tel que publié")


def test_content_check_warns_about_a_key_it_does_not_read(tmp_path):
    import shutil

    shutil.copytree(ROOT_CONTENT, tmp_path / "c")
    path = tmp_path / "c" / "feeds.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("  kind: rss\n", "  kind: rss\n  intervall_minutes: 5\n", 1), encoding="utf-8")
    _, problems = check_content(tmp_path / "c")
    assert errors(problems) == []
    assert any(p.is_warning and "unknown key 'intervall_minutes'" in p.message for p in problems), problems


def test_content_export_round_trips(web_services, tmp_path, monkeypatch, capsys):
    from gcmbot.cli import main

    monkeypatch.setenv("GCMBOT_DATABASE_URL", web_services.db.url)
    monkeypatch.setenv("GCMBOT_TOKEN", "123456:TEST")
    assert main(["content", "export", str(tmp_path / "out")]) == 0
    assert "events.yaml" in capsys.readouterr().out
    content, problems = check_content(tmp_path / "out")
    assert errors(problems) == []
    shipped, _ = check_content(web_services.settings.content_dir)
    assert {e.id for e in content.events} == {e.id for e in shipped.events}
    assert {e.id: e for e in content.faq} == {e.id: e for e in shipped.faq}
