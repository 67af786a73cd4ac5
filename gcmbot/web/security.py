"""Sessions, CSRF and rate limiting for the console's routes."""

from __future__ import annotations

import functools
import time
from collections import deque
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

COOKIE = "gcmbot_session"
CSRF_FIELD = "csrf"
MAX_BODY = 1024 * 1024  # bytes in a form: the longest texts are a few thousand characters
MAX_FIELD_BYTES = 64 * 1024
TOO_LARGE = ("This form is too large (over 64 KB in one field, or 1 MB in all): nothing was saved. "
             "Go back, shorten the text and send it again.")


async def read_form(request: Request):
    """The POSTed form, or None when it is too large to be one of ours (then nothing is read further)."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_BODY:
        return None
    try:
        return await request.form(max_part_size=MAX_FIELD_BYTES, max_fields=2000)
    except HTTPException:  # a field over max_part_size, too many fields, a broken multipart body
        return None


class RateLimiter:
    """At most `limit` events per `window` seconds per key (a sliding window, in memory)."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._hits: dict[str, deque[float]] = {}

    def allow(self, key: str) -> bool:
        now = self.clock()
        hits = self._hits.setdefault(key, deque())
        while hits and now - hits[0] > self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            return False
        hits.append(now)
        if len(self._hits) > 10_000:  # forget idle keys now and then
            for k in [k for k, v in self._hits.items() if not v or now - v[-1] > self.window]:
                del self._hits[k]
        return True


def client_key(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def page(handler):
    """Wrap a console route: the session must be live; a POST must carry the session's CSRF token.

    The handler is a plain function `handler(request, user, form)` run in a worker thread
    (database calls never block the bot's event loop). Without a session a GET is sent to the
    login page and anything else gets 403; a POST without the right token gets 403 and does nothing.
    """

    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        services = request.app.state.services
        form = await read_form(request) if request.method == "POST" else None
        if request.method == "POST" and form is None:
            return request.app.state.error_page(request, 413, TOO_LARGE)
        cookie = request.cookies.get(COOKIE)

        def run() -> Response:
            user = services.webauth.user(cookie)
            if user is None:
                if request.method == "GET" and "json" not in request.headers.get("accept", ""):
                    return RedirectResponse("/login", status_code=303)
                return PlainTextResponse("Not logged in: send /web to the bot for a login link.", status_code=403)
            if form is not None and not user.csrf_ok(form.get(CSRF_FIELD)):
                return PlainTextResponse("This form has expired or did not come from the console (CSRF check). Reload the page and try again.", status_code=403)
            request.state.user = user
            return handler(request, user, form)

        response = await run_in_threadpool(run)
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    return endpoint
