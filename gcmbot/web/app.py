"""The console's routes. Every page but /login and /calendar/<segment>.ics needs a session."""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from gcmbot.render import broadcast as broadcast_texts
from gcmbot.render.broadcast import describe_segment
from gcmbot.render.calendar import render_calendar
from gcmbot.services import dashboard as dashboard_service
from gcmbot.services.broadcast import EmptySegment, InvalidChoice, InvalidHTML, segment_to_json
from gcmbot.services.calendar import BadSegment, parse_segment_payload, segment_payload
from gcmbot.services.feeds import FeedError
from gcmbot.services.subscriptions import KINDS, Segment
from gcmbot.web.render import bar_chart, telegram_preview
from gcmbot.web.security import COOKIE, CSRF_FIELD, TOO_LARGE, RateLimiter, client_key, page, read_form

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
LOGIN_LIMIT = 10  # login attempts (link pages and button presses) per client per window
LOGIN_WINDOW = 600.0
MAX_FIELD = 10_000
CALENDAR_CACHE_SECONDS = 60.0
DASHBOARD_CACHE_SECONDS = 10.0
KIND_TITLES = {"region": "Regions", "constituency": "Constituencies", "topic": "Topics"}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the login token is in a URL: never send it on
    "X-Frame-Options": "DENY",
}


def _host_of(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError for a port that is no number)
        return parts.hostname
    except ValueError:
        return None


def _now() -> datetime:
    return datetime.now(timezone.utc)


def create_app(services, *, login_limit: int = LOGIN_LIMIT, login_window: float = LOGIN_WINDOW) -> Starlette:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(HERE / "templates")), autoescape=True)
    templates = Jinja2Templates(env=env)
    templates.env.globals.update(CSRF_FIELD=CSRF_FIELD, KIND_TITLES=KIND_TITLES)
    templates.env.filters["tgpreview"] = telegram_preview
    secure = (services.settings.web_url or "").startswith("https://")
    limiter = RateLimiter(login_limit, login_window)

    def render(request: Request, name: str, status_code: int = 200, **context) -> Response:
        user = getattr(request.state, "user", None)
        context.setdefault("user", user)
        context.setdefault("csrf", user.csrf_token if user else "")
        context.setdefault("nav", name.split(".")[0])
        return templates.TemplateResponse(request, name, context, status_code=status_code)

    # --- login / logout ----------------------------------------------------------------

    async def login_help(request: Request) -> Response:
        return render(request, "login.html", state="none")

    async def login_link(request: Request) -> Response:
        if not limiter.allow(client_key(request)):
            return render(request, "login.html", status_code=429, state="limited")
        token = request.path_params["token"]
        state = await run_in_threadpool(services.webauth.link_state, token)
        code = {"valid": 200, "used": 410, "expired": 410}.get(state, 404)
        return render(request, "login.html", status_code=code, state=state, token=token)

    async def login_submit(request: Request) -> Response:
        if not limiter.allow(client_key(request)):
            return render(request, "login.html", status_code=429, state="limited")
        form = await read_form(request)
        if form is None:
            return render(request, "error.html", status_code=413, message=TOO_LARGE)
        token = str(form.get("token", ""))[:200]
        result = await run_in_threadpool(services.webauth.redeem, token) if token else None
        if result is None:
            state = await run_in_threadpool(services.webauth.link_state, token) if token else "unknown"
            return render(request, "login.html", status_code=403, state=state if state != "valid" else "unknown")
        cookie, user = result
        await run_in_threadpool(services.audit.web, user.admin_id, "login")
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(COOKIE, cookie, httponly=True, samesite="strict", secure=secure, path="/")
        return response

    @page
    def logout(request: Request, user, form) -> Response:
        services.webauth.logout(user)
        services.audit.web(user.admin_id, "logout")
        response = render(request, "login.html", state="logged-out", user=None)
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=secure)
        return response

    # --- dashboard -------------------------------------------------------------------------

    dashboard_cache: list = []

    @page
    def dashboard(request: Request, user, form) -> Response:
        import time as _time

        if dashboard_cache and _time.monotonic() - dashboard_cache[0][0] < DASHBOARD_CACHE_SECONDS:
            data = dashboard_cache[0][1]
        else:  # the counts are read at most every 10 s: browsing the console costs the bot little
            data = dashboard_service.build(services.db, services.subscriptions, services.feeds, _now())
            dashboard_cache[:] = [(_time.monotonic(), data)]
        labels = [w.start.strftime("%d %b") for w in data.weeks]
        chart = bar_chart(
            [("New", "bar-new", [w.new for w in data.weeks]), ("Lost", "bar-lost", [w.lost for w in data.weeks])],
            labels, title="New and lost subscribers per week, last 12 weeks",
        )
        return render(request, "dashboard.html", data=data, chart=chart, kinds=dashboard_service.KINDS,
                      statuses=dashboard_service.STATUSES, calendar_url=_calendar_url(Segment()))

    # --- broadcasts ---------------------------------------------------------------------

    def _options():
        return {kind: services.broadcasts.options(kind) for kind in KINDS}

    def _admin_timezone(admin_id: int) -> str:
        sub = services.subscriptions.get(admin_id)  # an admin's private chat id is their user id
        return sub.timezone if sub is not None else services.settings.timezone

    def _chosen(form) -> dict[str, list[str]]:
        return {kind: [str(v)[:64] for v in form.getlist(kind)] for kind in KINDS} if form is not None else {k: [] for k in KINDS}

    def _segment(chosen) -> Segment:
        return services.broadcasts.segment(regions=chosen["region"], constituencies=chosen["constituency"], topics=chosen["topic"])

    @page
    def broadcasts(request: Request, user, form) -> Response:
        items = services.broadcasts.status(limit=30)
        return render(request, "broadcasts.html", items=items, describe=lambda segment: describe_segment(services.broadcasts.names(segment)))

    def _composer(request, user, *, form=None, errors=None, preview=None, status_code=200):
        chosen = _chosen(form)
        tz = (form.get("timezone") if form is not None else None) or _admin_timezone(user.admin_id)
        values = {
            "text": form.get("text", "") if form is not None else "",
            "when": form.get("when", "now") if form is not None else "now",
            "at": form.get("at", "") if form is not None else "",
            "timezone": tz,
        }
        count = None
        try:
            count = services.broadcasts.count(_segment(chosen))
        except InvalidChoice:
            pass
        return render(request, "compose.html", status_code=status_code, options=_options(), chosen=chosen, values=values,
                      errors=errors or {}, preview=preview, count=count, nav="broadcasts")

    @page
    def compose(request: Request, user, form) -> Response:
        return _composer(request, user)

    @page
    def recipient_count(request: Request, user, form) -> Response:
        chosen = {kind: request.query_params.getlist(kind) for kind in KINDS}
        try:
            segment = _segment(chosen)
        except InvalidChoice as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse({"count": services.broadcasts.count(segment), "segment": describe_segment(services.broadcasts.names(segment))})

    def _check_broadcast(form, user):
        """(errors, text, segment, scheduled_at utc or None, fingerprint)."""
        errors: dict[str, str] = {}
        text = str(form.get("text", ""))
        segment = scheduled = None
        if not text.strip():
            errors["text"] = "Write the message first."
        elif len(text) > MAX_FIELD:
            errors["text"] = f"The message is {len(text)} characters long; Telegram allows 4096."
        else:
            try:
                text = services.broadcasts.validate(text)
            except InvalidHTML as exc:
                errors["text"] = str(exc)
                errors["text_line"] = str(exc.line or "")
        try:
            segment = _segment(_chosen(form))
        except InvalidChoice as exc:
            errors["segment"] = str(exc)[:300]
        tz_name = str(form.get("timezone", "")) or _admin_timezone(user.admin_id)
        try:
            tz = ZoneInfo(tz_name)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: e.g. 10 000 characters are no file name
            errors["timezone"] = f"{tz_name[:64]!r} is not a timezone name (e.g. Africa/Nairobi)."
            tz = None
        if form.get("when") == "later":
            at = str(form.get("at", ""))
            try:
                local = datetime.fromisoformat(at)
            except ValueError:
                errors["at"] = "Pick the date and time to send it."
            else:
                if tz is not None:
                    scheduled = local.replace(tzinfo=tz).astimezone(timezone.utc)
                    if scheduled <= _now():
                        errors["at"] = "That time has passed: pick a time in the future."
        if segment is not None and "segment" not in errors and services.broadcasts.count(segment) == 0:
            errors["segment"] = "No active subscriber follows this choice: nothing would be sent."
        mark = f"{text}\x00{segment.key if segment else ''}\x00{scheduled.isoformat() if scheduled else ''}"
        return errors, text, segment, scheduled, hashlib.sha256(mark.encode()).hexdigest()[:32]

    @page
    def broadcast_submit(request: Request, user, form) -> Response:
        errors, text, segment, scheduled, fingerprint = _check_broadcast(form, user)
        if errors:
            return _composer(request, user, form=form, errors=errors, status_code=400)
        action = form.get("action")
        if action != "send" or form.get("previewed") != fingerprint:
            preview = {"text": text, "count": services.broadcasts.count(segment), "segment": describe_segment(services.broadcasts.names(segment)),
                       "scheduled": scheduled, "fingerprint": fingerprint, "changed": action == "send"}
            return _composer(request, user, form=form, preview=preview)
        try:
            broadcast_id = services.broadcasts.enqueue(user.admin_id, text, segment, scheduled, via="web")
        except EmptySegment:
            return _composer(request, user, form=form, errors={"segment": "No active subscriber follows this choice any more."}, status_code=400)
        services.audit.web(user.admin_id, "broadcast", broadcast_id=broadcast_id, segment=segment_to_json(segment),
                           scheduled_at=scheduled.isoformat() if scheduled else None)
        return RedirectResponse(f"/broadcasts/{broadcast_id}", status_code=303)

    @page
    def broadcast_detail(request: Request, user, form) -> Response:
        found = services.broadcasts.status(request.path_params["id"])
        if not found:
            return render(request, "error.html", status_code=404, message="No such broadcast.", nav="broadcasts")
        st = found[0]
        text = services.broadcasts.text_of(st.id)
        cancellable = st.status == "queued" and st.scheduled_at is not None and st.scheduled_at > _now()
        return render(request, "broadcast.html", st=st, text=text, describe=lambda segment: describe_segment(services.broadcasts.names(segment)), cancellable=cancellable,
                      report=broadcast_texts.report(st, services.broadcasts.names(st.segment)) if st.status == "done" else None, nav="broadcasts")

    @page
    def broadcast_cancel(request: Request, user, form) -> Response:
        broadcast_id = request.path_params["id"]
        withdrawn = services.broadcasts.cancel(broadcast_id, user.admin_id)
        if withdrawn is None:
            return render(request, "error.html", status_code=409, message="This broadcast cannot be cancelled: it is not waiting for a later time.", nav="broadcasts")
        services.audit.web(user.admin_id, "broadcast-cancel", broadcast_id=broadcast_id, withdrawn=withdrawn)
        return RedirectResponse(f"/broadcasts/{broadcast_id}", status_code=303)

    # --- feeds and questions ------------------------------------------------------------

    @page
    def feeds(request: Request, user, form) -> Response:
        return render(request, "feeds.html", feeds=services.feeds.status(), tried=None, errors={})

    @page
    def feed_enabled(request: Request, user, form) -> Response:
        feed_id = request.path_params["id"]
        enabled = form.get("enabled") == "1"
        if not services.feeds.set_enabled(feed_id, enabled, admin_id=user.admin_id):
            return render(request, "error.html", status_code=404, message="No such feed.", nav="feeds")
        services.audit.web(user.admin_id, "feed-enable" if enabled else "feed-disable", feed=feed_id)
        return RedirectResponse("/feeds", status_code=303)

    @page
    def feed_try(request: Request, user, form) -> Response:
        from anyio import from_thread

        url, kind = str(form.get("url", "")).strip()[:2000], str(form.get("kind", "rss"))
        errors, tried = {}, None
        if not url.startswith(("http://", "https://")) or not _host_of(url) or re.search(r"[\x00-\x20\x7f]", url):
            errors["url"] = "Give the feed's address, starting with https:// (or http://), without spaces."
        elif kind not in ("rss", "atom", "reliefweb"):
            errors["kind"] = "Choose rss, atom or reliefweb."
        else:
            try:
                items = from_thread.run(services.feeds.try_url, url, kind)
                rules = services.feeds.rules()
                tried = {"url": url, "items": [(item, *rules.tag(item)) for item in items]}
            except FeedError as exc:
                errors["url"] = str(exc)
        return render(request, "feeds.html", status_code=400 if errors else 200, feeds=services.feeds.status(), tried=tried,
                      errors=errors, values={"url": url, "kind": kind})

    @page
    def questions(request: Request, user, form) -> Response:
        stats = services.questions.stats(now=_now())
        return render(request, "questions.html", stats=stats)

    # --- content editor ------------------------------------------------------------------

    from gcmbot.content.loader import EVENT_KINDS, EVENT_STATUSES, FEED_KINDS, RECURRENCES, TRANSLATED
    from gcmbot.services import content_editor as ce

    def _choices(name: str) -> list[tuple[str, str]]:
        opts = lambda kind: services.subscriptions.options(kind)  # noqa: E731
        if name == "event_kinds":
            return [(k, k) for k in EVENT_KINDS]
        if name == "event_statuses":
            return [(k, k) for k in EVENT_STATUSES]
        if name == "feed_kinds":
            return [(k, k) for k in FEED_KINDS]
        if name == "parts":
            return [("", "—"), ("early", "early"), ("mid", "mid"), ("late", "late")]
        if name == "recurrences":
            return [("", "does not repeat")] + [(k, k) for k in RECURRENCES]
        if name == "regions_global":
            return [("global", "Global")] + opts("region")
        if name in ("regions", "topics"):
            return opts(name[:-1])
        if name == "sources":
            return [("", "—")] + [(sid, f"{sid} — {title[:60]}") for sid, title in services.editor.sources()]
        return []

    def _kind(request: Request) -> str | None:
        kind = request.path_params["kind"]
        return kind if kind in ce.SCHEMA else None

    def _editor(request, kind, *, values, original_id, outcome=None, status_code=200, saved=False):
        schema = ce.SCHEMA[kind]
        choices = {spec.options: _choices(spec.options) for spec in schema if spec.options}
        return render(request, "content_edit.html", status_code=status_code, kind=kind, title=ce.TITLES[kind], schema=schema,
                      choices=choices, values=values, original_id=original_id, outcome=outcome, saved=saved,
                      languages=TRANSLATED, translatable=ce.translatable(kind), kinds=ce.TITLES, nav="content",
                      tr_open=bool(outcome and any(k.startswith("tr.") for k in outcome.field_errors)))

    @page
    def content_index(request: Request, user, form) -> Response:
        return RedirectResponse("/content/event", status_code=303)

    @page
    def content_list(request: Request, user, form) -> Response:
        kind = _kind(request)
        if kind is None:
            return render(request, "error.html", status_code=404, message="No such kind of content.", nav="content")
        query = request.query_params.get("q", "")[:200]
        rows = services.editor.entries(kind, query)
        edited = {i for k, i in services.editor.edited() if k == kind}
        label = next(s.name for s in ce.SCHEMA[kind])
        return render(request, "content_list.html", kind=kind, title=ce.TITLES[kind], rows=rows, query=query, edited=edited,
                      label=label, kinds=ce.TITLES, nav="content")

    @page
    def content_new(request: Request, user, form) -> Response:
        kind = _kind(request)
        if kind is None:
            return render(request, "error.html", status_code=404, message="No such kind of content.", nav="content")
        values = ce.form_values(kind, {})
        for key in values:  # pre-filled from the link, e.g. /content/faq/new?question=… from the Questions page
            if key in request.query_params and isinstance(values[key], str):
                values[key] = request.query_params[key][:4000]
        return _editor(request, kind, values=values, original_id=None)

    @page
    def content_edit(request: Request, user, form) -> Response:
        kind = _kind(request)
        entry = services.editor.get(kind, request.path_params["id"]) if kind else None
        if entry is None:
            return render(request, "error.html", status_code=404, message="No such entry.", nav="content")
        return _editor(request, kind, values=ce.form_values(kind, entry), original_id=entry["id"], saved=request.query_params.get("saved") == "1")

    @page
    def content_save(request: Request, user, form) -> Response:
        kind = _kind(request)
        if kind is None:
            return render(request, "error.html", status_code=404, message="No such kind of content.", nav="content")
        original = request.path_params.get("id")
        if original is not None and services.editor.get(kind, original) is None:
            return render(request, "error.html", status_code=404, message="No such entry.", nav="content")
        outcome = services.editor.save(kind, form, original_id=original, admin_id=user.admin_id)
        if not outcome.saved:
            entry, _ = ce.entry_from_form(kind, form)
            values = ce.form_values(kind, entry)
            values["id"] = str(form.get("id", ""))[:100]
            for key in set(values) | {k for k in form.keys() if k.startswith("tr.")}:  # what was typed, even if too long
                if isinstance(values.get(key, ""), str) and form.get(key) is not None:
                    values[key] = str(form.get(key))
            return _editor(request, kind, values=values, original_id=original, outcome=outcome, status_code=400)
        services.audit.web(user.admin_id, f"{'edit' if original else 'create'}-{kind}", entry=outcome.entry_id)
        return RedirectResponse(f"/content/{kind}/{outcome.entry_id}?saved=1", status_code=303)

    @page
    def content_retire(request: Request, user, form) -> Response:
        kind = _kind(request)
        if kind is None:
            return render(request, "error.html", status_code=404, message="No such kind of content.", nav="content")
        outcome = services.editor.retire(kind, request.path_params["id"], admin_id=user.admin_id)
        if not outcome.saved:
            return render(request, "error.html", status_code=409, message=" ".join(outcome.general)[:2000], nav="content")
        services.audit.web(user.admin_id, f"retire-{kind}", entry=outcome.entry_id)
        return RedirectResponse(f"/content/{kind}", status_code=303)

    # --- public calendar ------------------------------------------------------------------

    def _calendar_url(segment: Segment) -> str:
        return f"{services.settings.web_base_url}/calendar/{segment_payload(segment)}.ics"

    calendar_cache: dict[str, tuple[float, tuple, Response]] = {}

    async def calendar_feed(request: Request) -> Response:
        payload = request.path_params["segment"][:500]

        def cached() -> Response:
            # Public and unauthenticated: one rendering per segment a minute (and after each console edit).
            import time as _time

            from gcmbot.services.content_editor import loaded_at

            version = loaded_at(services.db)
            hit = calendar_cache.get(payload)
            if hit is not None and hit[1] == version and _time.monotonic() - hit[0] < CALENDAR_CACHE_SECONDS:
                return hit[2]
            response = build()
            if response.status_code == 200:
                if len(calendar_cache) > 500:
                    calendar_cache.clear()
                calendar_cache[payload] = (_time.monotonic(), version, response)
            return response

        def build() -> Response:
            try:
                chosen = parse_segment_payload(payload)
                segment = services.broadcasts.segment(
                    regions=chosen.get("region"), constituencies=chosen.get("constituency"), topics=chosen.get("topic")
                )
            except (BadSegment, InvalidChoice) as exc:
                return PlainTextResponse(f"Unknown calendar {str(exc)[:200]}. Use kind-id pairs joined by _, e.g. region-africa_constituency-trade-unions, or all.", status_code=404)
            name = "Global Compact for Migration"
            if segment != Segment():
                name += " — " + describe_segment(services.broadcasts.names(segment))
            body = render_calendar(services.digest.calendar_feed(segment, _now(), name=name))
            return Response(body, media_type="text/calendar; charset=utf-8", headers={
                "Cache-Control": "public, max-age=900",
                "Content-Disposition": f'inline; filename="gcm-{segment_payload(segment)[:80]}.ics"',
            })

        return await run_in_threadpool(cached)

    routes = [
        Route("/", dashboard),
        Route("/login", login_help),
        Route("/login", login_submit, methods=["POST"]),
        Route("/login/{token}", login_link),
        Route("/logout", logout, methods=["POST"]),
        Route("/broadcasts", broadcasts),
        Route("/broadcasts", broadcast_submit, methods=["POST"]),
        Route("/broadcasts/new", compose),
        Route("/broadcasts/count", recipient_count),
        Route("/broadcasts/{id:int}", broadcast_detail),
        Route("/broadcasts/{id:int}/cancel", broadcast_cancel, methods=["POST"]),
        Route("/feeds", feeds),
        Route("/feeds/try", feed_try, methods=["POST"]),
        Route("/feeds/{id}/enabled", feed_enabled, methods=["POST"]),
        Route("/questions", questions),
        Route("/content", content_index),
        Route("/content/{kind}", content_list),
        Route("/content/{kind}/new", content_new),
        Route("/content/{kind}/new", content_save, methods=["POST"]),
        Route("/content/{kind}/{id}", content_edit),
        Route("/content/{kind}/{id}", content_save, methods=["POST"]),
        Route("/content/{kind}/{id}/retire", content_retire, methods=["POST"]),
        Route("/calendar/{segment}.ics", calendar_feed),
        Mount("/static", StaticFiles(packages=[("gcmbot.web", "static")]), name="static"),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(SecurityHeaders)])
    app.state.services = services
    app.state.error_page = lambda request, code, message: render(request, "error.html", status_code=code, message=message, user=None)
    return app


class SecurityHeaders:
    """Adds SECURITY_HEADERS to every answer (pure ASGI: works for static files and streaming too)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items() if k.lower().encode() not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)
