"""Health and Prometheus metrics over HTTP (`GCMBOT_METRICS_PORT`; off by default).

`/healthz` answers JSON, 200 when healthy and 503 otherwise; `/metrics` answers
the Prometheus text format. Nearly every number is read from the database when
Prometheus scrapes, so the features that write those rows need no metrics code
and several processes report the same totals. The delivery worker's in-process
counters (sends, 429s) are added when a worker runs in this process.

The registry is an object built by the caller (no import-time globals); the
server is the standard library's, in a daemon thread, independent of the bot's
event loop.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from gcmbot.services import health as health_service
from gcmbot.services.health import Health
from gcmbot.store import Database

log = logging.getLogger(__name__)

KINDS = ("digest", "alert", "reminder", "broadcast")
STATUSES = ("pending", "sending", "sent", "failed", "skipped")
SUBSCRIBER_STATUSES = ("active", "stopped", "inactive")
QUESTION_OUTCOMES = ("answered", "suggested", "declined")
FEED_STATES = ("ok", "failing", "flagged", "never_polled")


class _DatabaseCollector(Collector):
    def __init__(self, db: Database, delivery_stats: Callable[[], dict | None]) -> None:
        self.db = db
        self.delivery_stats = delivery_stats

    def collect(self):
        up = GaugeMetricFamily("gcmbot_database_up", "1 if the database answered this scrape")
        try:
            snap = health_service.snapshot(self.db)
        except Exception as exc:
            log.warning("metrics: database unavailable (%s)", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            yield from self._delivery()
            return
        up.add_metric([], 1)
        yield up

        outbox = GaugeMetricFamily(
            "gcmbot_outbox_messages", "Outbox messages by kind and outcome (status)", labels=["kind", "status"]
        )
        counts = dict(snap.outbox)
        for kind in {k for k, _ in counts} | set(KINDS):
            for status in {s for _, s in counts} | set(STATUSES):
                outbox.add_metric([kind, status], counts.get((kind, status), 0))
        yield outbox
        yield GaugeMetricFamily("gcmbot_outbox_backlog", "Messages waiting to be sent (pending or sending)", value=snap.backlog)
        yield GaugeMetricFamily(
            "gcmbot_outbox_waiting_after_429", "Messages waiting because Telegram answered 429 (flood control)", value=snap.rate_limited
        )
        subs = GaugeMetricFamily("gcmbot_subscribers", "Subscribers by status (active receive messages)", labels=["status"])
        for status in set(snap.subscribers) | set(SUBSCRIBER_STATUSES):
            subs.add_metric([status], snap.subscribers.get(status, 0))
        yield subs
        yield GaugeMetricFamily("gcmbot_subscribers_active", "Subscribers receiving messages", value=snap.subscribers.get("active", 0))
        questions = GaugeMetricFamily("gcmbot_questions", "Questions asked, by outcome (question log)", labels=["outcome"])
        for outcome in set(snap.questions) | set(QUESTION_OUTCOMES):
            questions.add_metric([outcome], snap.questions.get(outcome, 0))
        yield questions
        feeds = GaugeMetricFamily("gcmbot_feeds", "Active feeds by state of their last poll", labels=["state"])
        for state in set(snap.feeds) | set(FEED_STATES):
            feeds.add_metric([state], snap.feeds.get(state, 0))
        yield feeds
        yield GaugeMetricFamily(
            "gcmbot_feed_consecutive_failures", "Failed polls in a row, summed over active feeds", value=snap.feed_failures
        )
        if snap.last_feed_poll is not None:
            yield GaugeMetricFamily(
                "gcmbot_feed_last_poll_timestamp_seconds", "When a feed was last polled (Unix time)", value=snap.last_feed_poll.timestamp()
            )
        yield from self._delivery()

    def _delivery(self):
        stats = self.delivery_stats() or {}
        sends = CounterMetricFamily("gcmbot_delivery", "Send attempts by this process's delivery worker, by outcome", labels=["outcome"])
        for outcome in ("sent", "failed", "skipped", "retried"):
            sends.add_metric([outcome], stats.get(outcome, 0))
        yield sends
        yield CounterMetricFamily("gcmbot_telegram_429", "Flood-control answers (429) seen by this process", value=stats.get("429", 0))


class Metrics:
    """The Prometheus registry of one process: build once in the composition root."""

    def __init__(self, db: Database, *, delivery_stats: Callable[[], dict | None] = lambda: None) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(_DatabaseCollector(db, delivery_stats))

    def render(self) -> bytes:
        return generate_latest(self.registry)


def _handler(metrics: Metrics, health: Callable[[], Health]):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # no access log
            pass

        def do_GET(self) -> None:  # noqa: N802
            path = self.path.split("?", 1)[0]
            try:
                if path == "/healthz":
                    result = health()
                    self._send(200 if result.ok else 503, json.dumps(result.as_dict()).encode(), "application/json")
                elif path == "/metrics":
                    self._send(200, metrics.render(), CONTENT_TYPE_LATEST)
                else:
                    self._send(404, b'{"error": "not found; try /healthz or /metrics"}', "application/json")
            except Exception:
                log.exception("metrics endpoint failed")
                self._send(500, b'{"error": "internal error"}', "application/json")

        def _send(self, code: int, body: bytes, ctype: str) -> None:
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


class MetricsServer:
    """`/healthz` and `/metrics` on host:port, served from a daemon thread."""

    def __init__(self, host: str, port: int, metrics: Metrics, health: Callable[[], Health]) -> None:
        self._server = ThreadingHTTPServer((host, port), _handler(metrics, health))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.2}, name="gcmbot-metrics", daemon=True)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def start(self) -> MetricsServer:
        self._thread.start()
        log.info("health and metrics on http://%s:%d/healthz and /metrics", *self._server.server_address[:2])
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=2)
