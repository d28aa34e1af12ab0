"""Socket.io channel for the portal web widget: server-issued, HMAC-signed session ids.

Rasa's own `socketio` channel with `session_persistence: true` lets the client choose its
session id, so anyone who knows (or guesses) an id joins that room and reads the replies.
Here the server issues every id as `<id>.<issued>.<signature>` (HMAC-SHA256 under the session
secret), a socket joins a room only after the signature checks out, and each message is
answered in the room bound to that socket, never in one named by the client.

Event names stay Rasa's (session_request, session_confirm, user_uttered, bot_uttered); a
refused id gets `session_refused` {reason, message}. The blueprint also serves the widget
(`/widget/widget.js`, `/widget/widget.css`, `/widget/demo.html`).

Session secret: SESSION_SECRET when set (use 32+ random characters, shared by all replicas).
Otherwise one is generated once and kept in `<BOT_VAR_DIR>/session_secret` (mode 0600), so
conversations survive a restart on a single machine; a warning is logged.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import time
import uuid
from functools import lru_cache
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import UserMessage, decode_bearer_token
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from bot.channels import speedups
from bot.channels.messages import message
from bot.channels.rest import prepare_text
from bot.config import get_settings

logger = logging.getLogger(__name__)

WIDGET_DIR = Path(__file__).resolve().parent / "widget"
WIDGET_FILES = {
    "widget.js": "application/javascript; charset=utf-8",
    "widget.css": "text/css; charset=utf-8",
    "demo.html": "text/html; charset=utf-8",
    "demo.css": "text/css; charset=utf-8",
}
# The demo page runs under a strict policy, proving the widget needs no inline code or styles.
DEMO_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'")
TOKEN_RE = re.compile(r"^([0-9a-f]{32})\.([0-9]{1,12})\.([A-Za-z0-9_-]{43})$")
SIGNING_CONTEXT = b"sonla-webchat-v1"
DEFAULT_MAX_AGE_S = 24 * 3600
CLOCK_SKEW_S = 300
MAX_METADATA_BYTES = 2048
SECRET_FILE = "session_secret"
WEB_CHANNEL = "web"


def _signature(secret: bytes, session_id: str, issued: int) -> str:
    """Base64url HMAC-SHA256 of the session id and its issue time."""
    mac = hmac.new(secret, SIGNING_CONTEXT + f"|{session_id}|{issued}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()


def issue_token(secret: bytes, now: Optional[float] = None) -> tuple[str, str]:
    """A new random session id and the signed token the client keeps."""
    session_id = uuid.uuid4().hex
    issued = int(now if now is not None else time.time())
    return session_id, f"{session_id}.{issued}.{_signature(secret, session_id, issued)}"


def verify_token(token: Any, secret: bytes, max_age_s: int = DEFAULT_MAX_AGE_S,
                 now: Optional[float] = None) -> tuple[Optional[str], str]:
    """The session id of a valid token and "ok", or None and the reason it was refused."""
    if not isinstance(token, str) or len(token) > 100:
        return None, "invalid"
    match = TOKEN_RE.match(token)
    if not match:
        return None, "invalid"
    session_id, issued_text, signature = match.groups()
    issued = int(issued_text)
    expected = _signature(secret, session_id, issued)
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        return None, "invalid"
    current = now if now is not None else time.time()
    if issued > current + CLOCK_SKEW_S:
        return None, "invalid"
    if current - issued > max_age_s:
        return None, "expired"
    return session_id, "ok"


def _read_or_create_secret(path: Path) -> str:
    """The secret stored in a file, creating it (mode 0600) on first use."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_urlsafe(48))
    return path.read_text(encoding="ascii").strip()


@lru_cache(maxsize=1)
def session_secret() -> bytes:
    """SESSION_SECRET, or a generated secret persisted under the var directory (warned)."""
    settings = get_settings()
    if settings.session_secret:
        if len(settings.session_secret) < 32:
            logger.warning("SESSION_SECRET is shorter than 32 characters: use a longer one")
        return settings.session_secret.encode()
    path = settings.var_dir / SECRET_FILE
    logger.warning("SESSION_SECRET is not set: using the generated secret in %s "
                   "(set SESSION_SECRET in production, the same on every replica)", path)
    return _read_or_create_secret(path).encode()


def refusal(reason: str) -> dict[str, str]:
    """The `session_refused` payload: a machine-readable reason and a text for the resident."""
    return {"reason": reason, "message": message(f"web_session_{reason}")}


def client_metadata(raw: Any) -> dict[str, Any]:
    """The client's metadata when it is a small JSON object, else nothing."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return {}
    if not isinstance(raw, dict):
        return {}
    try:
        size = len(json.dumps(raw))
    except (TypeError, ValueError):
        return {}
    return raw if size <= MAX_METADATA_BYTES else {}


def widget_file(name: str) -> HTTPResponse:
    """One of the widget's static files, or 404 (no directory listing, no traversal)."""
    content_type = WIDGET_FILES.get(name)
    path = WIDGET_DIR / name
    if content_type is None or not path.is_file():
        return response.text("not found", status=404)
    headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache",
               "Referrer-Policy": "no-referrer"}
    if name.endswith(".html"):
        headers["Content-Security-Policy"] = DEMO_CSP
    else:
        headers["Access-Control-Allow-Origin"] = "*"
        headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response.raw(path.read_bytes(), content_type=content_type, headers=headers)


class CountingOutput(SocketIOOutput):
    """Rasa's socket.io output that counts what it sends, to notice a silent failure."""

    def __init__(self, sio: AsyncServer, bot_message_evt: Text) -> None:
        """Start the count at zero."""
        super().__init__(sio, bot_message_evt)
        self.sent = 0

    async def _send_message(self, socket_id: Text, response: Any) -> None:
        """Emit to the session's room and count it."""
        self.sent += 1
        await super()._send_message(socket_id, response)

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any],
                               **kwargs: Any) -> None:
        """Custom JSON goes to the session's room only, whatever it names."""
        self.sent += 1
        await self.sio.emit(self.bot_message_evt, json_message, room=recipient_id)


class WidgetBlueprint(SocketBlueprint):
    """Attaches socket.io and also mounts the widget's static files under /widget/."""

    def register(self, app: Sanic, options: Dict[Text, Any]) -> None:
        """Register the socket.io routes, then the /widget/ routes at the app's root."""
        super().register(app, options)
        static = Blueprint(f"webchat_widget_{id(self)}", url_prefix="/widget")

        @static.route("/<name>", methods=["GET", "HEAD"])
        async def serve(_request: Request, name: str) -> HTTPResponse:
            return widget_file(name)

        @static.route("/", methods=["GET"])
        async def index(_request: Request) -> HTTPResponse:
            return response.redirect("/widget/demo.html")

        app.blueprint(static)


class SignedSocketIOInput(SocketIOInput):
    """Rasa's socket.io channel with server-issued signed session ids and masked input."""

    @classmethod
    def name(cls) -> Text:
        """Keeps Rasa's name, so the channel lives at /webhooks/socketio and /socket.io."""
        return "socketio"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "SignedSocketIOInput":
        """Rasa's socketio settings plus `session_max_age_s` and `cors_allowed_origins`."""
        credentials = credentials or {}
        channel = cls(
            credentials.get("user_message_evt", "user_uttered"),
            credentials.get("bot_message_evt", "bot_uttered"),
            credentials.get("namespace"),
            True,
            credentials.get("socketio_path", "/socket.io"),
            credentials.get("jwt_key"),
            credentials.get("jwt_method", "HS256"),
            credentials.get("metadata_key", "metadata"),
        )
        channel.session_max_age_s = int(credentials.get("session_max_age_s", DEFAULT_MAX_AGE_S))
        origins = credentials.get("cors_allowed_origins")
        channel.cors_allowed_origins = origins if isinstance(origins, (list, str)) else []
        return channel

    session_max_age_s: int = DEFAULT_MAX_AGE_S
    cors_allowed_origins: Any = ()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Socket.io events with signed sessions, a health route and the widget files."""
        speedups.install()
        secret = session_secret()
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=list(self.cors_allowed_origins)
                          if isinstance(self.cors_allowed_origins, (list, tuple))
                          else self.cors_allowed_origins, max_http_buffer_size=64_000)
        blueprint = WidgetBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        self.sio = sio
        namespace = self.namespace

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("connect", namespace=namespace)
        async def connect(sid: Text, environ: Dict, auth: Optional[Dict]) -> bool:
            return self._authorised(auth)

        @sio.on("session_request", namespace=namespace)
        async def session_request(sid: Text, data: Any) -> None:
            await self._leave_session(sid)
            token = data.get("session_id") if isinstance(data, dict) else None
            if token:
                session_id, reason = verify_token(token, secret, self.session_max_age_s)
                if session_id is None:
                    logger.warning("web widget: refused a %s session id", reason)
                    await sio.emit("session_refused", refusal(reason), room=sid,
                                   namespace=namespace)
                    return
            else:
                session_id, token = issue_token(secret)
            await sio.save_session(sid, {"session_id": session_id}, namespace=namespace)
            await sio.enter_room(sid, session_id, namespace=namespace)
            await sio.emit("session_confirm", token, room=sid, namespace=namespace)

        @sio.on(self.user_message_evt, namespace=namespace)
        async def handle_message(sid: Text, data: Any) -> bool:
            # The return value is the socket.io acknowledgement: False = not taken, resend.
            session_id = await self._bound_session(sid, data, secret)
            if session_id is None:
                await sio.emit("session_refused", refusal("no_session"), room=sid,
                               namespace=namespace)
                return False
            await self._handle_text(sio, session_id, data, on_new_message)
            return True

        return blueprint

    def _authorised(self, auth: Optional[Dict]) -> bool:
        """Rasa's optional JWT check on connect."""
        if not self.jwt_key:
            return True
        token = auth.get("token") if isinstance(auth, dict) else None
        return bool(token and decode_bearer_token(token, self.jwt_key, self.jwt_algorithm))

    async def _leave_session(self, sid: Text) -> None:
        """Forget the session a socket was bound to (before it asks for another)."""
        assert self.sio is not None
        session = await self.sio.get_session(sid, namespace=self.namespace)
        if session.get("session_id"):
            await self.sio.leave_room(sid, session["session_id"], namespace=self.namespace)
            session.pop("session_id")
            await self.sio.save_session(sid, session, namespace=self.namespace)

    async def _bound_session(self, sid: Text, data: Any, secret: bytes) -> Optional[str]:
        """The socket's verified session id, if the message agrees with it."""
        assert self.sio is not None
        bound = (await self.sio.get_session(sid, namespace=self.namespace)).get("session_id")
        if not bound or not isinstance(data, dict):
            return None
        claimed = data.get("session_id")
        if claimed is not None and verify_token(claimed, secret, 10 ** 9)[0] != bound:
            logger.warning("web widget: message names a session its socket does not hold")
            return None
        return bound

    async def _handle_text(self, sio: AsyncServer, session_id: str, data: Dict,
                           on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """Mask and hand one message to Rasa; say so when nothing could be answered."""
        raw = data.get("message")
        text, meta = prepare_text(raw if isinstance(raw, str) else "")
        output = CountingOutput(sio, self.bot_message_evt)
        if not text:
            await output.send_text_message(session_id, message("empty_message"))
            return
        if meta.get("truncated"):
            await output.send_text_message(session_id, message("too_long"))
        metadata = {**client_metadata(data.get(self.metadata_key)), **meta}
        before = output.sent
        try:
            await on_new_message(UserMessage(text, output, session_id, input_channel=WEB_CHANNEL,
                                             metadata=metadata))
        except Exception as exc:  # noqa: BLE001 - answer politely, log no user text
            logger.error("web widget message failed: %s", type(exc).__name__)
            await output.send_text_message(session_id, message("assistant_down"))
            return
        if output.sent == before:
            key = "reset_done" if text.strip().startswith("/restart") else "assistant_down"
            await output.send_text_message(session_id, message(key))
