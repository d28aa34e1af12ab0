"""Local fake servers following the documented protocols: Telegram Bot API, Zalo OA, Rasa REST."""
from __future__ import annotations

import asyncio
import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Optional

from aiohttp import web

BOT_USER = {"id": 4242, "is_bot": True, "first_name": "SonLaBot", "username": "sonla_test_bot",
            "can_join_groups": False, "can_read_all_group_messages": False,
            "supports_inline_queries": False}


async def start_app(app: web.Application, port: int = 0) -> tuple[web.AppRunner, str]:
    """Serve an aiohttp app on 127.0.0.1 (a free port by default); return runner and base URL."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


# -- Telegram -----------------------------------------------------------------------------


@dataclass
class Sent:
    """One sendMessage call."""

    chat_id: int
    text: str
    reply_markup: Optional[dict]
    params: dict
    at: float


class FakeTelegram:
    """Fake Bot API: getMe, getUpdates (long poll), set/deleteWebhook, sendMessage,
    answerCallbackQuery. Parameters arrive form-encoded, complex ones JSON-encoded."""

    def __init__(self, token: str = "123456:TEST-token") -> None:
        """No updates queued yet."""
        self.token = token
        self.updates: list[dict] = []
        self.sent: list[Sent] = []
        self.answered: list[dict] = []
        self.calls: list[str] = []
        self.webhook: dict = {}
        self.send_failures: list[dict] = []  # scripted error replies for sendMessage
        self._new = asyncio.Event()
        self._next_update_id = 1000
        self._next_message_id = 1
        self.runner: Optional[web.AppRunner] = None
        self.url = ""

    @property
    def base_url(self) -> str:
        """Value for TELEGRAM_BASE_URL."""
        return f"{self.url}/bot"

    async def start(self) -> "FakeTelegram":
        """Start serving."""
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._dispatch)
        self.runner, self.url = await start_app(app)
        return self

    async def stop(self) -> None:
        """Stop serving."""
        if self.runner:
            await self.runner.cleanup()

    def next_id(self) -> int:
        """A fresh update id."""
        self._next_update_id += 1
        return self._next_update_id

    def push(self, *updates: dict) -> None:
        """Queue updates for getUpdates (the same dict twice means a duplicate delivery)."""
        self.updates.extend(updates)
        self._new.set()

    async def _dispatch(self, request: web.Request) -> web.Response:
        """Route one Bot API method call."""
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401,
                                      "description": "Unauthorized"}, status=401)
        method = request.match_info["method"].lower()
        self.calls.append(method)
        form = dict(await request.post()) if request.can_read_body else {}
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return web.json_response({"ok": True, "result": True})
        return await handler(form)

    @staticmethod
    def ok(result: Any) -> web.Response:
        """A successful Bot API reply."""
        return web.json_response({"ok": True, "result": result})

    async def _m_getme(self, _form: dict) -> web.Response:
        return self.ok(BOT_USER)

    async def _m_deletewebhook(self, _form: dict) -> web.Response:
        self.webhook = {}
        return self.ok(True)

    async def _m_setwebhook(self, form: dict) -> web.Response:
        self.webhook = form
        return self.ok(True)

    async def _m_getupdates(self, form: dict) -> web.Response:
        offset = int(form.get("offset") or 0)
        timeout = float(form.get("timeout") or 0)
        deadline = time.monotonic() + timeout
        while True:
            ready = [u for u in self.updates if u["update_id"] >= offset]
            if ready or time.monotonic() >= deadline:
                self.updates = ready
                return self.ok(ready)
            self._new.clear()
            try:
                await asyncio.wait_for(self._new.wait(), max(0.01, deadline - time.monotonic()))
            except asyncio.TimeoutError:
                pass

    async def _m_sendmessage(self, form: dict) -> web.Response:
        if self.send_failures:
            failure = self.send_failures.pop(0)
            return web.json_response(failure, status=failure.get("error_code", 400))
        chat_id = int(form["chat_id"])
        markup = json.loads(form["reply_markup"]) if form.get("reply_markup") else None
        self.sent.append(Sent(chat_id, form["text"], markup, form, time.monotonic()))
        self._next_message_id += 1
        return self.ok({"message_id": self._next_message_id, "date": int(time.time()),
                        "chat": {"id": chat_id, "type": "private"}, "text": form["text"],
                        "from": BOT_USER})

    async def _m_answercallbackquery(self, form: dict) -> web.Response:
        self.answered.append(form)
        return self.ok(True)

    # update builders

    def user(self, chat_id: int) -> dict:
        """The `from` of a private chat's user."""
        return {"id": chat_id, "is_bot": False, "first_name": "Dan"}

    def message_update(self, chat_id: int, text: Optional[str] = None, **content: Any) -> dict:
        """An update with a message (text, or other content such as photo)."""
        msg: dict[str, Any] = {"message_id": self.next_id(), "date": int(time.time()),
                               "chat": {"id": chat_id, "type": "private"},
                               "from": self.user(chat_id), **content}
        if text is not None:
            msg["text"] = text
        return {"update_id": self.next_id(), "message": msg}

    def callback_update(self, chat_id: int, data: str) -> dict:
        """An update with a button press."""
        return {"update_id": self.next_id(), "callback_query": {
            "id": f"cq{self.next_id()}", "from": self.user(chat_id), "chat_instance": "ci",
            "data": data, "message": {"message_id": 1, "date": int(time.time()),
                                      "chat": {"id": chat_id, "type": "private"},
                                      "text": "...", "from": BOT_USER}}}

    def texts(self, chat_id: int) -> list[str]:
        """Texts sent to a chat."""
        return [s.text for s in self.sent if s.chat_id == chat_id]

    async def wait_sent(self, count: int, chat_id: Optional[int] = None,
                        timeout: float = 10.0) -> list[Sent]:
        """Wait until at least `count` messages were sent (to a chat)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            sent = [s for s in self.sent if chat_id is None or s.chat_id == chat_id]
            if len(sent) >= count:
                return sent
            await asyncio.sleep(0.02)
        raise AssertionError(f"expected {count} messages, got "
                             f"{[s.text[:40] for s in self.sent]}")


# -- Rasa REST ----------------------------------------------------------------------------

Responder = Callable[[dict], Awaitable[tuple[int, Any]]]


class FakeRasa:
    """Fake of POST /webhooks/rest/webhook: scripted replies, every request recorded."""

    def __init__(self, responder: Responder) -> None:
        """Answers with `responder(body) -> (status, json)`."""
        self.responder = responder
        self.requests: list[dict] = []
        self.runner: Optional[web.AppRunner] = None
        self.url = ""

    async def start(self) -> "FakeRasa":
        """Start serving."""
        app = web.Application()
        app.router.add_post("/webhooks/rest/webhook", self._handle)
        self.runner, self.url = await start_app(app)
        return self

    async def stop(self) -> None:
        """Stop serving."""
        if self.runner:
            await self.runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(body)
        status, data = await self.responder(body)
        return web.json_response(data, status=status)

    def messages(self) -> list[str]:
        """The user messages received."""
        return [r["message"] for r in self.requests]


# -- Zalo ---------------------------------------------------------------------------------


def sign(app_id: str, body: bytes, timestamp: str, oa_secret: str) -> str:
    """The X-ZEvent-Signature header value for a body."""
    return "mac=" + hashlib.sha256(app_id.encode() + body + timestamp.encode()
                                   + oa_secret.encode()).hexdigest()


def zalo_event(app_id: str, user_id: str, event_name: str = "user_send_text",
               text: Optional[str] = None, msg_id: Optional[str] = None,
               oa_id: str = "5790000000000000001", timestamp_ms: Optional[int] = None,
               **message: Any) -> dict:
    """An inbound OA event as documented (ids as strings, timestamp in ms as a string)."""
    msg: dict[str, Any] = {"msg_id": msg_id or f"m{time.time_ns()}", **message}
    if text is not None:
        msg["text"] = text
    return {"app_id": app_id, "user_id_by_app": "99" + user_id[-8:],
            "event_name": event_name,
            "timestamp": str(timestamp_ms if timestamp_ms is not None
                             else int(time.time() * 1000)),
            "sender": {"id": user_id}, "recipient": {"id": oa_id}, "message": msg}


@dataclass
class FakeZalo:
    """Fake Zalo OpenAPI (v3 CS message) and OAuth (v4 access token) server."""

    app_id: str
    app_secret: str
    access_token: str = "AT-0"
    refresh_token: str = "RT-0"
    refresh_delay_s: float = 0.05
    sent: list[dict] = field(default_factory=list)
    send_calls: int = 0
    refresh_calls: int = 0
    used_refresh_tokens: set = field(default_factory=set)
    scripted: list[tuple[int, dict]] = field(default_factory=list)
    runner: Optional[web.AppRunner] = None
    url: str = ""

    async def start(self, port: int = 0) -> "FakeZalo":
        """Start serving both APIs on one port."""
        app = web.Application()
        app.router.add_post("/v3.0/oa/message/cs", self._send)
        app.router.add_post("/v4/oa/access_token", self._refresh)
        self.runner, self.url = await start_app(app, port)
        return self

    async def stop(self) -> None:
        """Stop serving."""
        if self.runner:
            await self.runner.cleanup()

    async def _send(self, request: web.Request) -> web.Response:
        self.send_calls += 1
        if self.scripted:
            status, data = self.scripted.pop(0)
            return web.json_response(data, status=status)
        if request.headers.get("access_token") != self.access_token:
            return web.json_response({"error": -216, "message": "Access token is invalid"})
        body = await request.json()
        message = body.get("message", {})
        if len(message.get("text", "")) > 2000:
            return web.json_response({"error": -201, "message": "text too long"})
        self.sent.append(body)
        return web.json_response({"error": 0, "message": "Success",
                                  "data": {"message_id": f"s{len(self.sent)}",
                                           "user_id": body["recipient"]["user_id"]}})

    async def _refresh(self, request: web.Request) -> web.Response:
        self.refresh_calls += 1
        form = await request.post()
        await asyncio.sleep(self.refresh_delay_s)
        if request.headers.get("secret_key") != self.app_secret \
                or form.get("app_id") != self.app_id \
                or form.get("grant_type") != "refresh_token":
            return web.json_response({"error": -14014, "error_name": "invalid_client"})
        token = form.get("refresh_token")
        if token != self.refresh_token or token in self.used_refresh_tokens:
            return web.json_response({"error": -14020, "error_name": "invalid_grant"})
        self.used_refresh_tokens.add(token)
        n = self.refresh_calls
        self.access_token, self.refresh_token = f"AT-{n}", f"RT-{n}"
        return web.json_response({"access_token": self.access_token,
                                  "refresh_token": self.refresh_token, "expires_in": "90000"})

    def user_texts(self, user_id: str) -> list[str]:
        """Texts delivered to a user."""
        return [b["message"].get("text", "") for b in self.sent
                if b["recipient"]["user_id"] == user_id]

    async def wait_sent(self, count: int, timeout: float = 10.0) -> list[dict]:
        """Wait until at least `count` messages were delivered."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.sent) >= count:
                return self.sent
            await asyncio.sleep(0.02)
        raise AssertionError(f"expected {count} Zalo messages, got {len(self.sent)}")
