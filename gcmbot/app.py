"""Composition root: settings → database → content → services (given their renderers). No import-time globals."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from gcmbot.config import Settings, require_dir
from gcmbot.content import ContentError, load_content
from gcmbot.render import alerts as alert_texts
from gcmbot.render import broadcast as broadcast_texts
from gcmbot.render import digest as digest_texts
from gcmbot.render import feeds as feed_texts
from gcmbot.services.alerts import Alerts
from gcmbot.services.audit import Audit
from gcmbot.services.broadcast import BroadcastService
from gcmbot.services.content_editor import ContentEditor
from gcmbot.services.digest import DigestService
from gcmbot.services.feeds import Feeds
from gcmbot.services.leader import Leadership
from gcmbot.services.questions import Questions
from gcmbot.services.subscriptions import Subscriptions
from gcmbot.services.webauth import WebAuth
from gcmbot.store import Database
from gcmbot.store.content import SyncReport, sync_content

log = logging.getLogger(__name__)


@dataclass
class Services:
    """Everything the bot, the scheduler and the CLI use, built once."""

    settings: Settings
    db: Database
    subscriptions: Subscriptions
    audit: Audit
    broadcasts: BroadcastService
    questions: Questions
    alerts: Alerts
    feeds: Feeds
    digest: DigestService
    # Several processes on one PostgreSQL database: only the leader runs scheduled jobs.
    leadership: Leadership
    # Web console logins (one-time links, sessions) and the content editor (the database as working copy).
    webauth: WebAuth
    editor: ContentEditor

    def set_bot_username(self, username: str | None) -> None:
        """The bot's @username (from getMe): digests and alerts end with a t.me start link to it."""
        self.digest.bot_username = username or None
        self.alerts.bot_username = username or None

    @property
    def is_leader(self) -> bool:
        return self.leadership.is_leader

    def close(self) -> None:
        self.leadership.release()
        self.db.dispose()


def build_services(settings: Settings, *, db: Database | None = None) -> Services:
    db = db or Database(settings.database_url)
    subscriptions = Subscriptions(db, default_timezone=settings.timezone, default_reminder_days=settings.reminder_days)
    alerts = Alerts(db, subscriptions, render=alert_texts.render_planned_alert)
    questions = Questions(db, encoder=settings.encoder, cache_dir=settings.cache_dir)
    return Services(
        settings=settings,
        db=db,
        subscriptions=subscriptions,
        audit=Audit(db),
        alerts=alerts,
        feeds=Feeds(db, admin_ids=settings.admin_ids, reliefweb_appname=settings.reliefweb_appname, alerts=alerts,
                    notices=feed_texts.render_notice),
        broadcasts=BroadcastService(db, subscriptions, report=broadcast_texts.report),
        questions=questions,
        digest=DigestService(db, subscriptions, render=digest_texts.RENDERER, admin_ids=settings.admin_ids),
        leadership=Leadership(db),
        webauth=WebAuth(db, settings.is_admin),
        editor=ContentEditor(db, on_change=questions.reload),
    )


def load_content_into_db(services: Services, *, overwrite: bool = False) -> SyncReport:
    """Validate `content/` and sync it into the database. Raises ContentError on any problem.

    Entries edited in the web console are kept (and reported) unless `overwrite`."""
    content = load_content(require_dir(services.settings.content_dir, "the content folder", "GCMBOT_CONTENT_DIR"))
    with services.db.session() as session:
        report = sync_content(session, content, overwrite=overwrite)
    services.questions.reload()
    return report


def prepare(services: Services) -> None:
    """What `gcmbot run` does before serving: migrate, then load content.

    Broken content files do not stop the bot: it keeps the content it already
    has and logs every problem, so a typo in a YAML file never takes it down.
    """
    services.db.upgrade(services.settings.migrations_dir)
    try:
        report = load_content_into_db(services)
    except ContentError as exc:
        log.error("content/ has %d problem(s); keeping the content already in the database:\n%s", len(exc.problems), exc)
    else:
        log.info("content loaded: %s", str(report).replace("\n", "; "))
