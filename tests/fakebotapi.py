"""In-process HTTP fake of the Telegram Bot API for gcmbot tests.

Like aiogram's ``tests/mocked_bot.py`` but over real HTTP: PTB talks to it via
``ApplicationBuilder().base_url(fake.base_url)``.  The fake records every request,
serves queued updates to ``getUpdates`` (with long polling) and keeps the state of
the messages the bot sent.  Stdlib only; the server runs in a daemon thread, so the
same object works from sync and async tests.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import math
import re
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qsl, urlsplit

BOT_ID = 666
BOT_USER = {"id": BOT_ID, "is_bot": True, "first_name": "GCM Bot", "username": "gcm_test_bot"}
GET_ME = {**BOT_USER, "can_join_groups": True, "can_read_all_group_messages": False,
          "supports_inline_queries": False}
DEFAULT_USER_ID = 1001  # sender of group messages when no user_id is given
# Form fields that must stay strings even when they look like JSON (e.g. text "123").
STRING_KEYS = frozenset({
    "text", "caption", "callback_query_id", "inline_message_id", "url", "parse_mode",
    "secret_token", "language_code", "title", "description", "short_description", "name",
    "file_id", "document", "photo", "file_name", "custom_title", "username", "emoji",
    "business_connection_id", "message_effect_id", "ip_address", "query",
})
SEND_METHODS = frozenset({"sendMessage", "sendDocument", "sendPhoto", "sendChatAction",
                          "editMessageText", "editMessageReplyMarkup", "copyMessage",
                          "forwardMessage"})
LIMITED_METHODS = frozenset({"sendMessage", "sendDocument", "sendPhoto"})
NO_PIN_RIGHTS = "Bad Request: not enough rights to manage pinned messages in the chat"
NOT_MODIFIED = ("Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup "
                "of the message")
_PATH_RE = re.compile(r"^/bot([^/]*)/([A-Za-z]+)/?$")
_FILE_RE = re.compile(r"^/file/bot([^/]*)/(.+)$")


class ApiError(Exception):
    """An error answer: ``{"ok": false, "error_code": code, ...}``."""

    def __init__(self, code: int, description: str, parameters: dict | None = None):
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters


@dataclass
class UploadedFile:
    """A file received in a multipart/form-data request."""

    filename: str
    data: bytes
    content_type: str = "application/octet-stream"


def _decode_value(key: str, raw: str) -> Any:
    """PTB sends non-string values JSON-encoded in form fields; undo that."""
    if key in STRING_KEYS:
        return raw
    try:
        value = json.loads(raw)
    except ValueError:
        return raw
    return raw if isinstance(value, str) else value


def _parse_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    """Minimal multipart/form-data parser (binary safe)."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not match:
        raise ApiError(400, "Bad Request: multipart boundary missing")
    params: dict[str, Any] = {}
    for chunk in body.split(b"--" + match.group(1).encode())[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, data = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        data = data.removesuffix(b"\r\n")
        headers = head.decode("utf-8", "replace")
        name = re.search(r'\bname="([^"]*)"', headers)
        filename = re.search(r'\bfilename="([^"]*)"', headers)
        ctype = re.search(r"(?im)^content-type:\s*(\S+)", headers)
        if not name:
            continue
        if filename:
            params[name.group(1)] = UploadedFile(
                filename.group(1), data, ctype.group(1) if ctype else "application/octet-stream")
        else:
            params[name.group(1)] = _decode_value(name.group(1), data.decode("utf-8"))
    return params


def parse_params(content_type: str, body: bytes, query: str = "") -> dict[str, Any]:
    """Decode query string + JSON / urlencoded / multipart body into a dict."""
    params = {k: _decode_value(k, v) for k, v in parse_qsl(query, keep_blank_values=True)}
    ctype = content_type.lower()
    if not body:
        return params
    if ctype.startswith("application/json"):
        params.update(json.loads(body))
    elif ctype.startswith("multipart/form-data"):
        params.update(_parse_multipart(content_type, body))
    else:  # application/x-www-form-urlencoded
        params.update({k: _decode_value(k, v) for k, v in
                       parse_qsl(body.decode("utf-8"), keep_blank_values=True)})
    return params


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _chat_key(value: Any) -> Any:
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def _member(status: str, user: dict, rights: dict | None = None, *, channel: bool = False) -> dict:
    """A ChatMember object as Telegram serialises it (`rights` overrides can_* flags of an
    administrator; a channel administrator also has can_post_messages / can_edit_messages)."""
    member: dict[str, Any] = {"status": status, "user": user}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update(dict.fromkeys(
            ["can_manage_chat", "can_delete_messages", "can_manage_video_chats",
             "can_restrict_members", "can_change_info", "can_invite_users",
             "can_post_stories", "can_edit_stories", "can_delete_stories",
             "can_pin_messages"], True),
            can_be_edited=False, is_anonymous=False, can_promote_members=False)
        if channel:
            member.update(can_post_messages=True, can_edit_messages=True)
        member.update(rights or {})
    elif status == "restricted":
        member.update(dict.fromkeys(
            ["can_change_info", "can_invite_users", "can_pin_messages", "can_send_messages",
             "can_send_polls", "can_send_other_messages", "can_add_web_page_previews",
             "can_manage_topics", "can_send_audios", "can_send_documents", "can_send_photos",
             "can_send_videos", "can_send_video_notes", "can_send_voice_notes",
             "can_edit_tag"], False), is_member=True, until_date=0)
    elif status == "kicked":
        member["until_date"] = 0
    return member


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 60  # idle keep-alive connections
    disable_nagle_algorithm = True  # avoid 40 ms delayed-ACK stalls per request

    def setup(self) -> None:
        super().setup()
        self.server.fake._conns[self.connection] = threading.current_thread()

    def finish(self) -> None:
        self.server.fake._conns.pop(self.connection, None)
        super().finish()

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:  # noqa: N802
        self._handle()

    do_POST = do_GET

    def _handle(self) -> None:
        fake: FakeBotAPI = self.server.fake
        url = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if m := _FILE_RE.match(url.path):
            data = fake._file_bytes(m.group(2))
            self._send(200 if data is not None else 404, data or b"Not Found",
                       "application/octet-stream")
            return
        m = _PATH_RE.match(url.path)
        try:
            if not m:
                raise ApiError(404, "Not Found")
            params = parse_params(self.headers.get("Content-Type", ""), body, url.query)
        except (ApiError, ValueError) as exc:
            code, payload = fake._error_payload(exc)
        else:
            code, payload = fake._dispatch(m.group(2), params)
        self._send(code, json.dumps(payload).encode(), "application/json")

    def _send(self, code: int, data: bytes, ctype: str) -> None:
        try:
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:  # client went away / server stopping
            self.close_connection = True


class FakeBotAPI:
    """Fake Telegram Bot API server; see module docstring."""

    def __init__(self, *, enforce_limits: bool = False, global_per_second: int = 30,
                 per_chat_per_second: int = 1, per_group_per_minute: int = 20):
        self.enforce_limits = enforce_limits
        self.limits = (global_per_second, per_chat_per_second, per_group_per_minute)
        self._cond = threading.Condition(threading.RLock())
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._conns: dict[Any, threading.Thread] = {}
        self._stopping = False
        self.reset()

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> FakeBotAPI:
        """Bind 127.0.0.1 on a free port and serve in a daemon thread."""
        self._stopping = False
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.fake = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name="FakeBotAPI", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Wake long polls, close connections and join the server threads."""
        if self._server is None:
            return
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._server.shutdown()
        conns = dict(self._conns)
        for sock in conns:
            try:
                sock.shutdown(2)  # SHUT_RDWR unblocks keep-alive readers
            except OSError:
                pass
        self._server.server_close()
        for thread in [self._thread, *conns.values()]:
            if thread is not None and thread is not threading.current_thread():
                thread.join(timeout=2)
        self._server = self._thread = None

    def __enter__(self) -> FakeBotAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """Value for ``ApplicationBuilder().base_url(...)``."""
        assert self._server is not None, "FakeBotAPI not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}/bot"

    @property
    def file_url(self) -> str:
        """Value for ``ApplicationBuilder().base_file_url(...)``."""
        return self.base_url.replace("/bot", "/file/bot")

    def reset(self) -> None:
        """Forget all recorded calls, messages, updates, faults and settings."""
        with self._cond:
            self.calls: list[tuple[str, dict]] = []
            self.errors: list[tuple[str, dict, int, str]] = []
            self.callback_answers: list[dict] = []
            self.user_messages: list[dict] = []
            self.stats: dict[str, int] = {"sent": 0, "429": 0, "duplicates": 0, "errors": 0}
            # (time.monotonic(), chat id) of every message the bot sent, for latency benchmarks.
            self.send_log: list[tuple[float, Any]] = []
            self._updates: deque[dict] = deque()
            self._update_ids = itertools.count(1)
            self._message_ids = itertools.count(1)
            self._ids = itertools.count(1)
            self._messages: dict[tuple[Any, int], dict] = {}
            self._documents: list[dict] = []
            self._files: dict[str, bytes | None] = {}
            self._chats: dict[Any, dict] = {}
            self._users: dict[int, dict] = {}
            self._members: dict[tuple[Any, int], str] = {}
            self._rights: dict[tuple[Any, int], dict] = {}
            self._usernames: dict[str, int] = {}
            self.pins: list[tuple[Any, int]] = []
            self._commands: dict[tuple[str, str], list] = {}
            self._faults: list[dict] = []
            self._blocked: set = set()
            self._unknown: set = set()
            self._texts: set = set()
            self._random_fault: tuple | None = None
            self._windows: dict[Any, deque] = defaultdict(deque)
            self._webhook = ""
            self._last_activity = time.monotonic()

    # ----------------------------------------------------------------- user side
    def send_message(self, chat_id: int, text: str, *, user_id: int | None = None,
                     chat_type: str = "private", language_code: str = "en",
                     first_name: str = "Alice", username: str | None = None,
                     chat_title: str | None = None) -> dict:
        """Queue a ``message`` update from a user; returns the message dict."""
        if user_id is None:
            user_id = chat_id if chat_type == "private" else DEFAULT_USER_ID
        user = {"id": user_id, "is_bot": False, "first_name": first_name,
                "language_code": language_code}
        if username:
            user["username"] = username
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            chat.update((k, v) for k, v in user.items() if k in ("first_name", "username"))
        else:
            chat["title"] = chat_title or f"Chat {chat_id}"
        with self._cond:
            self._users[user_id] = user
            self._chats[chat_id] = chat
            msg = {"message_id": next(self._message_ids), "date": int(time.time()),
                   "chat": chat, "from": user, "text": text}
            if text.startswith("/"):
                command = text.split(maxsplit=1)[0]
                msg["entities"] = [{"type": "bot_command", "offset": 0,
                                    "length": _utf16_len(command)}]
            self.user_messages.append(msg)
            self.send_update({"message": msg})
        return msg

    def press_button(self, chat_id: int, message_id: int, data: str, *,
                     user_id: int | None = None) -> str:
        """Queue a ``callback_query`` for a bot message; returns the query id."""
        with self._cond:
            if user_id is None:
                user_id = chat_id if chat_id > 0 else DEFAULT_USER_ID
            user = self._users.get(user_id) or {"id": user_id, "is_bot": False,
                                                 "first_name": "Alice"}
            message = self._messages.get((chat_id, message_id)) or {
                "message_id": message_id, "date": int(time.time()),
                "chat": self._chat(chat_id), "from": BOT_USER}
            query_id = str(4_000_000 + next(self._ids))
            self.send_update({"callback_query": {
                "id": query_id, "from": user, "chat_instance": f"ci{chat_id}",
                "data": data, "message": copy.deepcopy(message)}})
        return query_id

    def send_update(self, update: dict) -> dict:
        """Queue a raw update (``update_id`` is assigned) and wake pollers."""
        with self._cond:
            update = {**update, "update_id": next(self._update_ids)}
            self._updates.append(update)
            self._last_activity = time.monotonic()
            self._cond.notify_all()
        return update

    def my_chat_member(self, chat_id: int, new_status: str, *, chat_type: str = "group",
                       user_id: int = DEFAULT_USER_ID, **rights: bool) -> dict:
        """Queue a ``my_chat_member`` update: the bot was added/promoted/removed (`rights`
        overrides the new administrator flags, e.g. can_post_messages=False)."""
        with self._cond:
            chat = self._chats.setdefault(chat_id, self._chat(chat_id, chat_type))
            channel = chat["type"] == "channel"
            old = self._members.get((chat_id, BOT_ID)) or (
                "left" if new_status in ("member", "administrator") else "member")
            old_rights = self._rights.get((chat_id, BOT_ID))
            self._members[(chat_id, BOT_ID)] = new_status
            self._rights[(chat_id, BOT_ID)] = dict(rights)
            user = self._users.get(user_id) or {"id": user_id, "is_bot": False,
                                                 "first_name": "Alice"}
            return self.send_update({"my_chat_member": {
                "chat": chat, "from": user, "date": int(time.time()),
                "old_chat_member": _member(old, BOT_USER, old_rights, channel=channel),
                "new_chat_member": _member(new_status, BOT_USER, rights, channel=channel)}})

    def set_chat_member(self, chat_id: int, user_id: int, status: str, **rights: bool) -> None:
        """Status that getChatMember reports for (chat_id, user_id); `rights` overrides an
        administrator's can_* flags (e.g. can_pin_messages=False, can_post_messages=False)."""
        with self._cond:
            self._members[(chat_id, user_id)] = status
            self._rights[(chat_id, user_id)] = dict(rights)

    def add_channel(self, chat_id: int, username: str | None = None, title: str | None = None) -> dict:
        """A channel the bot can be asked about (getChat by id or "@username")."""
        chat: dict[str, Any] = {"id": chat_id, "type": "channel", "title": title or f"Channel {chat_id}"}
        if username:
            chat["username"] = username.lstrip("@")
        with self._cond:
            self._chats[chat_id] = chat
            if username:
                self._usernames["@" + username.lstrip("@").lower()] = chat_id
        return chat

    def forward_post(self, chat_id: int, from_chat_id: int, text: str = "A post", *,
                     user_id: int | None = None, language_code: str = "en") -> dict:
        """A user forwards a post of channel `from_chat_id` into private chat `chat_id`
        (forward_origin of type "channel", plus the older forward_from_chat fields)."""
        user_id = chat_id if user_id is None else user_id
        with self._cond:
            user = self._users.get(user_id) or {"id": user_id, "is_bot": False, "first_name": "Alice",
                                                 "language_code": language_code}
            self._users[user_id] = user
            channel = self._chat(from_chat_id, "channel")
            date, post_id = int(time.time()) - 60, next(self._message_ids)
            msg = {"message_id": next(self._message_ids), "date": int(time.time()),
                   "chat": {"id": chat_id, "type": "private", "first_name": user["first_name"]},
                   "from": user, "text": text,
                   "forward_origin": {"type": "channel", "chat": channel, "message_id": post_id,
                                      "date": date},
                   "forward_from_chat": channel, "forward_from_message_id": post_id,
                   "forward_date": date}
            self.user_messages.append(msg)
            self.send_update({"message": msg})
        return msg

    def send_file(self, chat_id: int, file_name: str, data: bytes, *, caption: str | None = None,
                  kind: str = "document", mime_type: str = "application/pdf",
                  user_id: int | None = None) -> dict:
        """A user sends a document (or a photo, kind="photo") to the bot; the file is stored
        under a new file_id, as if uploaded to Telegram."""
        user_id = chat_id if user_id is None else user_id
        with self._cond:
            user = self._users.get(user_id) or {"id": user_id, "is_bot": False, "first_name": "Alice",
                                                 "language_code": "en"}
            file_id = f"user{kind}{next(self._ids)}"
            self._files[file_id] = data
            msg: dict[str, Any] = {"message_id": next(self._message_ids), "date": int(time.time()),
                                   "chat": self._chats.get(chat_id) or self._chat(chat_id), "from": user}
            if kind == "photo":
                msg["photo"] = [{"file_id": file_id, "file_unique_id": f"u{file_id}", "width": 800,
                                 "height": 600, "file_size": len(data)}]
            else:
                msg["document"] = {"file_id": file_id, "file_unique_id": f"u{file_id}",
                                   "file_name": file_name, "mime_type": mime_type,
                                   "file_size": len(data)}
            if caption:
                msg["caption"] = caption
            self.user_messages.append(msg)
            self.send_update({"message": msg})
        return msg

    # ----------------------------------------------------------------- faults
    def inject_error(self, method: str, error_code: int, description: str, *,
                     retry_after: int | None = None, migrate_to_chat_id: int | None = None,
                     times: int | None = 1, chat_id: Any = None) -> None:
        """Make the next ``times`` matching calls fail (``times=None``: forever)."""
        parameters = {k: v for k, v in (("retry_after", retry_after),
                                        ("migrate_to_chat_id", migrate_to_chat_id)) if v}
        with self._cond:
            self._faults.append({"method": method, "code": error_code, "times": times,
                                 "description": description, "chat_id": chat_id,
                                 "parameters": parameters or None})

    def random_errors(self, rate: float, *, error_code: int = 502, description: str = "Bad Gateway",
                      seed: int = 0) -> None:
        """Fail a fraction ``rate`` of send calls at random (reproducibly, from ``seed``)."""
        import random

        with self._cond:
            self._random_fault = (rate, error_code, description, random.Random(seed))

    def block(self, chat_id: Any) -> None:
        """Sends to chat_id answer 403 "Forbidden: bot was blocked by the user"."""
        with self._cond:
            self._blocked.add(chat_id)

    def unknown_chat(self, chat_id: Any) -> None:
        """Calls about chat_id answer 400 "Bad Request: chat not found"."""
        with self._cond:
            self._unknown.add(chat_id)

    # ----------------------------------------------------------------- inspection
    def calls_to(self, method: str) -> list[dict]:
        """Params of every call to ``method``, in order."""
        with self._cond:
            return [p for m, p in self.calls if m == method]

    def sent(self, chat_id: Any = None) -> list[dict]:
        """Current bot messages (edits applied, deleted ones gone) in send order."""
        with self._cond:
            return [copy.deepcopy(m) for (c, _), m in self._messages.items()
                    if chat_id is None or c == chat_id]

    def last_message(self, chat_id: Any) -> dict | None:
        msgs = self.sent(chat_id)
        return msgs[-1] if msgs else None

    def documents(self, chat_id: Any = None) -> list[dict]:
        """Uploaded documents: chat_id, message_id, file_name, data, mime_type, caption."""
        with self._cond:
            return [dict(d) for d in self._documents if chat_id in (None, d["chat_id"])]

    @property
    def commands(self) -> list[dict]:
        """Commands set for the default scope and no language."""
        return self.commands_for()

    def commands_for(self, scope: dict | None = None, language_code: str = "") -> list[dict]:
        with self._cond:
            return list(self._commands.get(self._commands_key(scope, language_code), []))

    # ----------------------------------------------------------------- waiting
    @staticmethod
    def _probe(predicate: Callable[[], Any]) -> Any:
        """predicate(), with lookup errors (e.g. no message yet) counting as falsy."""
        try:
            return predicate()
        except (LookupError, TypeError, AttributeError):
            return None

    def _timeout_message(self, predicate: Callable[[], Any], timeout: float) -> str:
        try:
            last = repr(predicate())
        except Exception as exc:  # noqa: BLE001 - only for the message
            last = f"raised {exc!r}"
        recent = "\n  ".join(f"{m} {p!r:.200}" for m, p in self.calls[-15:])
        return (f"{predicate!r} not satisfied after {timeout}s (last: {last}); "
                f"recent calls:\n  {recent or '(none)'}")

    def wait_for_sync(self, predicate: Callable[[], Any], timeout: float = 5) -> Any:
        """Poll predicate() every 10 ms until truthy; AssertionError on timeout."""
        deadline = time.monotonic() + timeout
        while not (value := self._probe(predicate)):
            if time.monotonic() > deadline:
                raise AssertionError(self._timeout_message(predicate, timeout))
            time.sleep(0.01)
        return value

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5) -> Any:
        """Async version of :meth:`wait_for_sync`."""
        deadline = time.monotonic() + timeout
        while not (value := self._probe(predicate)):
            if time.monotonic() > deadline:
                raise AssertionError(self._timeout_message(predicate, timeout))
            await asyncio.sleep(0.01)
        return value

    async def wait_messages(self, chat_id: Any, n: int = 1, timeout: float = 5) -> list[dict]:
        """Wait until chat_id holds at least n bot messages; returns them."""
        try:
            await self.wait_for(lambda: len(self.sent(chat_id)) >= n, timeout)
            return self.sent(chat_id)
        except AssertionError as exc:
            raise AssertionError(f"expected {n} message(s) in chat {chat_id}, got "
                                 f"{len(self.sent(chat_id))}. {exc}") from None

    async def wait_idle(self, timeout: float = 5, quiet: float = 0.1) -> None:
        """Wait until all updates are confirmed and nothing happened for ``quiet`` s."""
        def idle() -> bool:
            with self._cond:
                return not self._updates and time.monotonic() - self._last_activity >= quiet
        await self.wait_for(idle, timeout)

    # ----------------------------------------------------------------- dispatch
    def _error_payload(self, exc: ApiError | ValueError) -> tuple[int, dict]:
        if not isinstance(exc, ApiError):
            exc = ApiError(400, f"Bad Request: can't parse request: {exc}")
        payload = {"ok": False, "error_code": exc.code, "description": exc.description}
        if exc.parameters:
            payload["parameters"] = exc.parameters
        return exc.code, payload

    def _dispatch(self, method: str, params: dict) -> tuple[int, dict]:
        with self._cond:
            if method != "getUpdates":
                self.calls.append((method, params))
                self._last_activity = time.monotonic()
            try:
                handler = getattr(self, f"_api_{method}", None)
                if handler is None:
                    raise ApiError(404, "Not Found: method not found")
                chat_ref = params.get("chat_id")
                if isinstance(chat_ref, str) and chat_ref.startswith("@"):
                    if chat_ref.lower() not in self._usernames:
                        raise ApiError(400, "Bad Request: chat not found")
                    params = {**params, "chat_id": self._usernames[chat_ref.lower()]}
                self._check_faults(method, params)
                return 200, {"ok": True, "result": handler(params)}
            except ApiError as exc:
                self.stats["errors"] += 1
                self.errors.append((method, params, exc.code, exc.description))
                return self._error_payload(exc)

    def _check_faults(self, method: str, params: dict) -> None:
        chat_id = _chat_key(params.get("chat_id"))
        for fault in self._faults:
            if fault["method"] == method and fault["chat_id"] in (None, chat_id) \
                    and fault["times"] != 0:
                if fault["times"] is not None:
                    fault["times"] -= 1
                raise ApiError(fault["code"], fault["description"], fault["parameters"])
        random_fault = self._random_fault
        if random_fault and method in LIMITED_METHODS and random_fault[3].random() < random_fault[0]:
            raise ApiError(random_fault[1], random_fault[2])
        if chat_id is not None and chat_id in self._unknown:
            raise ApiError(400, "Bad Request: chat not found")
        if method in SEND_METHODS and chat_id in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if method in SEND_METHODS and self._chats.get(chat_id, {}).get("type") == "channel":
            status = self._members.get((chat_id, BOT_ID), "left")
            if status in ("left", "kicked", "member"):
                raise ApiError(403, "Forbidden: bot is not a member of the channel chat")
            if not (self._rights.get((chat_id, BOT_ID)) or {}).get("can_post_messages", True):
                raise ApiError(400, "Bad Request: need administrator rights in the channel chat")
        if self.enforce_limits and method in LIMITED_METHODS:
            self._check_limits(chat_id)

    def _check_limits(self, chat_id: Any) -> None:
        now = time.monotonic()
        per_second, per_chat, per_group = self.limits
        windows = [(self._windows["*"], 1.0, per_second),
                   (self._windows[chat_id], 1.0, per_chat)]
        if isinstance(chat_id, int) and chat_id < 0:
            windows.append((self._windows[("group", chat_id)], 60.0, per_group))
        for window, span, limit in windows:
            while window and window[0] <= now - span:
                window.popleft()
            if len(window) >= limit:
                retry = max(1, math.ceil(window[0] + span - now))
                self.stats["429"] += 1
                raise ApiError(429, f"Too Many Requests: retry after {retry}",
                               {"retry_after": retry})
        for window, _, _ in windows:
            window.append(now)

    # ----------------------------------------------------------------- helpers
    def _chat(self, chat_id: Any, chat_type: str | None = None) -> dict:
        if chat_id in self._chats:
            return self._chats[chat_id]
        if chat_type is None:
            chat_type = "private" if isinstance(chat_id, int) and chat_id > 0 else (
                "supergroup" if str(chat_id).startswith(("-100", "@")) else "group")
        if chat_type == "private":
            return {"id": chat_id, "type": "private", "first_name": "Alice"}
        return {"id": chat_id, "type": chat_type, "title": f"Chat {chat_id}"}

    def _user(self, user_id: int) -> dict:
        if user_id == BOT_ID:
            return dict(BOT_USER)
        return self._users.get(user_id) or {"id": user_id, "is_bot": False, "first_name": "User"}

    @staticmethod
    def _commands_key(scope: dict | None, language_code: str | None) -> tuple[str, str]:
        return json.dumps(scope or {"type": "default"}, sort_keys=True), language_code or ""

    def _bot_message(self, params: dict, **fields: Any) -> dict:
        chat_id = _chat_key(params["chat_id"])
        msg = {"message_id": next(self._message_ids), "date": int(time.time()),
               "chat": self._chat(chat_id), "from": dict(BOT_USER), **fields}
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            msg["reply_markup"] = markup
        self._messages[(chat_id, msg["message_id"])] = msg
        self.stats["sent"] += 1
        self.send_log.append((time.monotonic(), chat_id))
        return msg

    def _stored(self, params: dict, action: str) -> dict:
        key = (_chat_key(params.get("chat_id")), _chat_key(params.get("message_id")))
        if key not in self._messages:
            raise ApiError(400, f"Bad Request: message to {action} not found")
        return self._messages[key]

    def _file_bytes(self, path: str) -> bytes | None:
        with self._cond:
            return self._files.get(path.rsplit("/", 1)[-1])

    # ----------------------------------------------------------------- API methods
    def _api_getMe(self, p: dict) -> dict:
        return dict(GET_ME)

    def _api_getUpdates(self, p: dict) -> list[dict]:
        if self._webhook:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is "
                                "active; use deleteWebhook to delete the webhook first")
        offset, limit = int(p.get("offset") or 0), min(max(int(p.get("limit") or 100), 1), 100)
        if offset > 0:
            while self._updates and self._updates[0]["update_id"] < offset:
                self._updates.popleft()
                self._last_activity = time.monotonic()
        elif offset < 0:
            while len(self._updates) > -offset:
                self._updates.popleft()
        deadline = time.monotonic() + float(p.get("timeout") or 0)
        while not self._updates and not self._stopping:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self._cond.wait(remaining)
        return list(itertools.islice(self._updates, limit))

    def _api_setWebhook(self, p: dict) -> bool:
        self._webhook = p.get("url", "")
        return True

    def _api_deleteWebhook(self, p: dict) -> bool:
        self._webhook = ""
        if p.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _api_getWebhookInfo(self, p: dict) -> dict:
        return {"url": self._webhook, "has_custom_certificate": False,
                "pending_update_count": len(self._updates)}

    def _api_setMyCommands(self, p: dict) -> bool:
        key = self._commands_key(p.get("scope"), p.get("language_code"))
        self._commands[key] = list(p.get("commands") or [])
        return True

    def _api_getMyCommands(self, p: dict) -> list[dict]:
        return self._commands.get(self._commands_key(p.get("scope"), p.get("language_code")), [])

    def _api_deleteMyCommands(self, p: dict) -> bool:
        self._commands.pop(self._commands_key(p.get("scope"), p.get("language_code")), None)
        return True

    def _api_sendMessage(self, p: dict) -> dict:
        text = p.get("text") or ""
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        key = (_chat_key(p["chat_id"]), text)
        self.stats["duplicates"] += key in self._texts
        self._texts.add(key)
        extra = {"entities": p["entities"]} if p.get("entities") else {}
        return copy.deepcopy(self._bot_message(p, text=text, **extra))

    def _api_sendDocument(self, p: dict) -> dict:
        doc = p.get("document")
        file_id = f"doc{next(self._ids)}"
        if isinstance(doc, UploadedFile):
            name, data, mime = doc.filename, doc.data, doc.content_type
        elif isinstance(doc, str) and doc:
            name, data, mime = p.get("file_name", "file"), self._files.get(doc), None
        else:
            raise ApiError(400, "Bad Request: there is no document in the request")
        self._files[file_id] = data
        document = {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_name": name,
                    "file_size": len(data or b"")}
        if mime:
            document["mime_type"] = mime
        extra = {k: p[k] for k in ("caption", "caption_entities") if p.get(k)}
        msg = self._bot_message(p, document=document, **extra)
        self._documents.append({"chat_id": msg["chat"]["id"], "message_id": msg["message_id"],
                                "file_name": name, "data": data, "mime_type": mime,
                                "caption": p.get("caption")})
        return copy.deepcopy(msg)

    def _api_sendPhoto(self, p: dict) -> dict:
        photo = p.get("photo")
        if isinstance(photo, UploadedFile):
            data = photo.data
        elif isinstance(photo, str) and photo:
            data = self._files.get(photo)
        else:
            raise ApiError(400, "Bad Request: there is no photo in the request")
        file_id = f"photo{next(self._ids)}"
        self._files[file_id] = data
        sizes = [{"file_id": f"{file_id}s", "file_unique_id": f"u{file_id}s", "width": 90, "height": 90},
                 {"file_id": file_id, "file_unique_id": f"u{file_id}", "width": 800, "height": 600,
                  "file_size": len(data or b"")}]
        extra = {k: p[k] for k in ("caption", "caption_entities") if p.get(k)}
        msg = self._bot_message(p, photo=sizes, **extra)
        self._documents.append({"chat_id": msg["chat"]["id"], "message_id": msg["message_id"],
                                "file_name": None, "data": data, "mime_type": "image/jpeg",
                                "caption": p.get("caption"), "kind": "photo"})
        return copy.deepcopy(msg)

    def _api_pinChatMessage(self, p: dict) -> bool:
        chat_id, message_id = _chat_key(p.get("chat_id")), _chat_key(p.get("message_id"))
        if (chat_id, message_id) not in self._messages:
            raise ApiError(400, "Bad Request: message to pin not found")
        status = self._members.get((chat_id, BOT_ID), "member")
        rights = self._rights.get((chat_id, BOT_ID)) or {}
        if self._chat(chat_id)["type"] != "private" and not (
                status == "creator" or status == "administrator" and rights.get("can_pin_messages", True)):
            raise ApiError(400, NO_PIN_RIGHTS)
        self.pins.append((chat_id, message_id))
        return True

    def _api_getFile(self, p: dict) -> dict:
        file_id = p.get("file_id")
        if file_id not in self._files:
            raise ApiError(400, "Bad Request: invalid file_id")
        return {"file_id": file_id, "file_unique_id": f"u{file_id}",
                "file_size": len(self._files[file_id] or b""),
                "file_path": f"documents/{file_id}"}

    def _api_editMessageText(self, p: dict) -> dict | bool:
        if p.get("inline_message_id"):
            return True
        msg = self._stored(p, "edit")
        if "text" not in msg:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        markup = p.get("reply_markup") if "inline_keyboard" in (p.get("reply_markup") or {}) \
            else None
        if msg["text"] == p.get("text") and msg.get("reply_markup") == markup:
            raise ApiError(400, NOT_MODIFIED)
        msg.update(text=p.get("text") or "", edit_date=int(time.time()))
        for key, value in (("reply_markup", markup), ("entities", p.get("entities"))):
            if value:
                msg[key] = value
            else:
                msg.pop(key, None)
        return copy.deepcopy(msg)

    def _api_editMessageReplyMarkup(self, p: dict) -> dict | bool:
        if p.get("inline_message_id"):
            return True
        msg = self._stored(p, "edit")
        markup = p.get("reply_markup") or None
        if msg.get("reply_markup") == markup:
            raise ApiError(400, NOT_MODIFIED)
        if markup:
            msg["reply_markup"] = markup
        else:
            msg.pop("reply_markup", None)
        msg["edit_date"] = int(time.time())
        return copy.deepcopy(msg)

    def _api_deleteMessage(self, p: dict) -> bool:
        msg = self._stored(p, "delete")
        del self._messages[(msg["chat"]["id"], msg["message_id"])]
        return True

    def _api_answerCallbackQuery(self, p: dict) -> bool:
        self.callback_answers.append(p)
        return True

    def _api_sendChatAction(self, p: dict) -> bool:
        return True

    def _api_getChat(self, p: dict) -> dict:
        return {**self._chat(_chat_key(p.get("chat_id"))), "accent_color_id": 0,
                "max_reaction_count": 11, "accepted_gift_types": dict.fromkeys(
                    ["unlimited_gifts", "limited_gifts", "unique_gifts",
                     "premium_subscription", "gifts_from_channels"], False)}

    def _api_getChatMember(self, p: dict) -> dict:
        chat_id, user_id = _chat_key(p.get("chat_id")), int(p.get("user_id") or 0)
        chat_type = self._chat(chat_id)["type"]
        default = "creator" if chat_type == "private" else "left" if chat_type == "channel" else "member"
        return _member(self._members.get((chat_id, user_id), default), self._user(user_id),
                       self._rights.get((chat_id, user_id)), channel=chat_type == "channel")

    def _api_getChatAdministrators(self, p: dict) -> list[dict]:
        chat_id = _chat_key(p.get("chat_id"))
        admins = [_member(s, self._user(u)) for (c, u), s in self._members.items()
                  if c == chat_id and s in ("creator", "administrator")]
        if not admins and self._chat(chat_id)["type"] == "private":
            admins = [_member("creator", self._user(chat_id))]
        return admins

    def _api_leaveChat(self, p: dict) -> bool:
        self._members[(_chat_key(p.get("chat_id")), BOT_ID)] = "left"
        return True

    def _api_close(self, p: dict) -> bool:
        return True

    def _api_logOut(self, p: dict) -> bool:
        return True


# --- pressing buttons as a person would (shared by the bot tests) ---------------------------


def button(message: dict, label_part: str) -> str:
    """The callback data of the first button of ``message`` whose label contains ``label_part``."""
    for row in message["reply_markup"]["inline_keyboard"]:
        for b in row:
            if label_part in b["text"]:
                return b["callback_data"]
    labels = [b["text"] for r in message["reply_markup"]["inline_keyboard"] for b in r]
    raise AssertionError(f"no button {label_part!r} in {labels}")


async def tap(fake: FakeBotAPI, chat_id: int, message: dict, label_part: str, *, user_id: int | None = None) -> dict:
    """Press a button and wait for its answer; return the (edited) message."""
    answers = len(fake.callback_answers)
    fake.press_button(chat_id, message["message_id"], button(message, label_part), user_id=user_id)
    await fake.wait_for(lambda: len(fake.callback_answers) > answers)
    await fake.wait_idle(quiet=0.3)  # the edit follows the answer; on a loaded machine not within 0.1 s
    return next(m for m in fake.sent(chat_id) if m["message_id"] == message["message_id"])
