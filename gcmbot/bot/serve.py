"""`gcmbot run`: long polling (default) or webhook mode, plus the health/metrics endpoint and leadership."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from urllib.parse import urlsplit

from telegram.ext import Application, ContextTypes

from gcmbot.app import Services
from gcmbot.bot.application import build_application
from gcmbot.config import Settings
from gcmbot.metrics import Metrics, MetricsServer
from gcmbot.services import health as health_service
from gcmbot.services.health import Health

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
LEADER_RETRY_SECONDS = 60


def webhook_options(settings: Settings) -> dict:
    """Arguments for PTB's run_webhook/start_webhook.

    The local server listens on GCMBOT_WEBHOOK_LISTEN:GCMBOT_WEBHOOK_PORT at the
    path of GCMBOT_WEBHOOK_URL (so a reverse proxy can pass requests through
    unchanged); PTB answers 403 to any request without the secret header.
    """
    url, secret = settings.require_webhook()
    return dict(
        listen=settings.webhook_listen,
        port=settings.webhook_port,
        url_path=urlsplit(url).path.strip("/"),
        webhook_url=url,
        secret_token=secret,
        allowed_updates=ALLOWED_UPDATES,
    )


def health_checker(application: Application, services: Services):
    """A function answering the health of this running bot (called from the metrics thread)."""

    def check() -> Health:
        queue = application.job_queue
        scheduler = bool(queue is not None and queue.scheduler.running)
        state = application.bot_data.get("delivery_state")
        delivery = state is not None and not state[3].done()
        if not application.bot_data.get("delivery", True):
            delivery = True  # delivery deliberately off in this process
        return health_service.check(
            services.db, datetime.now(timezone.utc), scheduler_running=scheduler, delivery_running=delivery, leader=services.is_leader
        )

    return check


def delivery_stats(application: Application):
    def stats() -> dict | None:
        state = application.bot_data.get("delivery_state")
        return dict(state[0].stats) if state is not None else None

    return stats


def start_metrics_server(services: Services, application: Application, *, port: int | None = None) -> MetricsServer:
    """Serve /healthz and /metrics for `application` on GCMBOT_METRICS_HOST:GCMBOT_METRICS_PORT."""
    settings = services.settings
    metrics = Metrics(services.db, delivery_stats=delivery_stats(application))
    port = settings.metrics_port if port is None else port
    return MetricsServer(settings.metrics_host, port, metrics, health_checker(application, services)).start()


async def _keep_leadership(context: ContextTypes.DEFAULT_TYPE) -> None:
    services: Services = context.application.bot_data["services"]
    services.leadership.try_take()


def serve(services: Services) -> None:
    """Run until SIGINT/SIGTERM; PTB then stops the handlers and post_stop lets the in-flight send finish."""
    settings = services.settings
    webhook = webhook_options(settings) if settings.webhook_url else None
    application = build_application(services)
    if not services.leadership.try_take():
        log.info("another process is the scheduler leader; this one handles updates and delivers messages only")
    if application.job_queue is not None:
        application.job_queue.run_repeating(_keep_leadership, interval=LEADER_RETRY_SECONDS, first=LEADER_RETRY_SECONDS, name="gcmbot-leader")
    if settings.web_port is not None:
        from gcmbot.web.server import attach

        attach(application, services)  # the console runs in the bot's event loop, stopped with it
    server = None
    if settings.metrics_port is not None:
        server = start_metrics_server(services, application)
    try:
        if webhook is not None:
            log.info("webhook mode: listening on %s:%d for %s", webhook["listen"], webhook["port"], "/" + webhook["url_path"])
            application.run_webhook(**webhook)
        else:
            log.info("long polling mode")
            application.run_polling(allowed_updates=ALLOWED_UPDATES)
    finally:
        if server is not None:
            server.stop()
        log.info("stopped")
