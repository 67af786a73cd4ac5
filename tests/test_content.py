"""Content files: validation with file:line problems, and idempotent sync into the database."""

from __future__ import annotations

import shutil
from datetime import date

import pytest
from sqlmodel import select

from gcmbot.cli import main as cli
from gcmbot.content import PartialDate, format_range, load_content
from gcmbot.content.loader import check_content
from gcmbot.models import Event, FaqEntry, Feed, Statement
from gcmbot.store.content import sync_content

from conftest import CONTENT_DIR


@pytest.fixture
def content_copy(tmp_path):
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target)
    return target


def test_shipped_content_is_valid_and_complete():
    content, problems = check_content(CONTENT_DIR)
    assert problems == []
    events = {e.id: e for e in content.events}
    thematic = [e for e in content.events if e.kind == "thematic"]
    assert len(thematic) == 6
    assert sorted(e.place for e in thematic).count("Geneva") == 3
    assert {"human-rights", "drivers", "governance", "diaspora-development", "smuggling-trafficking", "labour-regular-pathways"} <= {
        t.id for t in content.topics if t.thematic
    }
    # The later documents stand: the stocktaking meeting is in Puerto Vallarta, 4–6 December 2017.
    stocktaking = events["stocktaking-2017"]
    assert stocktaking.kind == "stocktaking"
    assert "Puerto Vallarta" in stocktaking.place and "Cancún" in stocktaking.note
    assert format_range(stocktaking.start, stocktaking.end) == "4–6 December 2017"
    assert any(e.kind == "adoption" for e in events.values())
    assert len(content.faq) >= 25
    assert len(content.statements) >= 3
    assert any(f.enabled for f in content.feeds)


def test_partial_dates_render_at_their_precision():
    assert format_range(PartialDate.parse("2017-05-08"), PartialDate.parse("2017-05-09")) == "8–9 May 2017"
    assert format_range(PartialDate.parse("2017-09"), None) == "September 2017"
    assert format_range(PartialDate.parse("2017-11", "late"), None) == "late November 2017"
    assert format_range(PartialDate.parse("2017-06-29"), PartialDate.parse("2017-07-01")) == "29 June – 1 July 2017"
    assert PartialDate.parse("2017-11", "late").last_day == date(2017, 11, 30)
    with pytest.raises(ValueError, match="not a real date"):
        PartialDate.parse("2017-02-30")
    with pytest.raises(ValueError, match="only goes with a month"):
        PartialDate.parse("2017-02-03", "late")


def test_check_reports_each_problem_with_file_and_line(content_copy, capsys):
    events = content_copy / "events.yaml"
    lines = events.read_text().splitlines()
    start_line = next(i for i, line in enumerate(lines) if line.strip().startswith("start:"))
    lines[start_line] = lines[start_line].split("start:")[0] + 'start: "2017-13-40"'
    events.write_text("\n".join(lines) + "\n")
    (content_copy / "faq.yaml").write_text("- id: a\n  question: q\n  answer: a\n  topics: [no-such-topic]\n- id: a\n  question: q\n  answer: a\n")
    (content_copy / "statements.yaml").write_text("- id: s\n  title: [unclosed\n")

    assert cli(["content", "check", "--dir", str(content_copy)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert f"events.yaml:{start_line + 1}: " in "\n".join(out)
    assert any(o.startswith(f"events.yaml:{start_line + 1}:") and "not a real date" in o for o in out)
    assert "faq.yaml:4: a: unknown topic 'no-such-topic' in 'topics'" in out
    assert any(o.startswith("faq.yaml:5:") and "duplicate id 'a'" in o for o in out)
    assert any(o.startswith("statements.yaml:") and "not valid YAML" in o for o in out)


def test_check_passes_on_shipped_content(capsys):
    assert cli(["content", "check"]) == 0
    assert "content OK" in capsys.readouterr().out


def test_sync_is_idempotent_and_removes_deleted_entries(db, content_copy):
    content = load_content(CONTENT_DIR)
    with db.session() as s:
        first = sync_content(s, content)
    with db.session() as s:
        second = sync_content(s, content)
        n_events = len(s.exec(select(Event)).all())
    assert first.changed and not second.changed
    assert n_events == len(content.events)

    # Remove one event, one FAQ entry and one feed from the files and sync again.
    smaller = load_content(CONTENT_DIR)
    gone_event, gone_faq, gone_feed = smaller.events.pop(), smaller.faq.pop(), smaller.feeds.pop()
    with db.session() as s:
        report = sync_content(s, smaller)
    assert report.counts["events"] == (0, 0, 1)
    with db.session() as s:
        assert s.get(Event, gone_event.id) is None
        assert s.get(FaqEntry, gone_faq.id) is None
        feed = s.get(Feed, gone_feed.id)
        assert feed is not None and feed.retired  # feeds are retired so their items stay
        assert len(s.exec(select(Statement)).all()) == len(content.statements)


def test_statement_first_seen_survives_resync(db):
    content = load_content(CONTENT_DIR)
    with db.session() as s:
        sync_content(s, content)
    with db.session() as s:
        before = {x.id: x.first_seen_at for x in s.exec(select(Statement))}
    with db.session() as s:
        sync_content(s, content)
    with db.session() as s:
        after = {x.id: x.first_seen_at for x in s.exec(select(Statement))}
    assert before == after


def test_statements_are_news_from_their_publication_date(db):
    from dataclasses import replace
    from datetime import datetime, timedelta, timezone

    content = load_content(CONTENT_DIR)
    yesterday = (datetime.now(timezone.utc) - timedelta(days=1)).date()
    fresh = replace(content.statements[0], id="fresh-statement", date=PartialDate.parse(yesterday.isoformat()))
    content.statements.append(fresh)
    with db.session() as s:
        sync_content(s, content)
    with db.session() as s:
        old = s.get(Statement, content.statements[0].id)
        new = s.get(Statement, "fresh-statement")
    assert old.first_seen_at.year <= 2018  # a 2014–2018 statement is not "new this week"
    assert new.first_seen_at.date() == yesterday
