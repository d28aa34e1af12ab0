"""Zalo Official Account channel for Rasa: signed webhook in, OA v3 customer-service API out.

Webhook: POST /webhooks/zalo/webhook. Configured in the credentials file under
`bot.channels.zalo.ZaloInput` (written by bot.channels.credentials from ZALO_* variables).
Everything the public documentation leaves uncertain is a setting (VERIFY in docs/channels.md).
Never logs user text, tokens or secrets.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
import secrets
import tempfile
import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Optional, Text

import httpx
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels._common import (BoundedSet, KeyedSerial, LruMap, env_text, resolve_env_ref,
                                  split_text)
from bot.channels import speedups
from bot.channels.messages import message
from bot.channels.rest import prepare_text

logger = logging.getLogger(__name__)
CHANNEL = "zalo"
SIGNATURE_HEADER = "X-ZEvent-Signature"
MAX_BODY_BYTES = 64 * 1024
NON_TEXT_EVENTS = ("user_send_image,user_send_gif,user_send_sticker,user_send_audio,"
                   "user_send_voice,user_send_video,user_send_file,user_send_location,"
                   "user_send_link,user_send_business_card")


def _csv(value: Any) -> tuple[str, ...]:
    """A comma-separated setting (or a list) as a tuple of stripped strings."""
    items = value if isinstance(value, (list, tuple)) else str(value or "").split(",")
    return tuple(str(item).strip() for item in items if str(item).strip())


def _codes(value: Any) -> frozenset[int]:
    """A comma-separated list of Zalo error codes."""
    return frozenset(int(item) for item in _csv(value))


@dataclass(frozen=True)
class ZaloConfig:
    """Settings of the Zalo channel; keys match the credentials file and docs/channels.md."""

    app_id: str
    oa_secret_key: str
    app_secret: str = ""
    oa_id: str = ""
    token_file: str = "var/zalo_tokens.json"
    access_token: str = ""
    refresh_token: str = ""
    api_base: str = "https://openapi.zalo.me"
    oauth_base: str = "https://oauth.zaloapp.com"
    max_age_s: float = 300.0
    http_timeout_s: float = 10.0
    max_attempts: int = 3
    backoff_s: float = 0.5
    text_limit: int = 1900
    max_buttons: int = 5
    button_type: str = "oa.query.hide"
    template_type: str = ""
    button_payload_max: int = 1000
    button_key_prefix: str = "#btn:"
    button_cache_size: int = 20000
    text_events: tuple[str, ...] = ("user_send_text",)
    click_events: tuple[str, ...] = ("user_click_button",)
    non_text_events: tuple[str, ...] = _csv(NON_TEXT_EVENTS)
    token_error_codes: frozenset[int] = frozenset({-216, -124})
    retryable_error_codes: frozenset[int] = frozenset({-32})
    token_refresh_margin_s: float = 300.0
    dedupe_size: int = 20000
    max_pending_per_user: int = 20

    @classmethod
    def from_credentials(cls, credentials: Dict[Text, Any]) -> "ZaloConfig":
        """Build from the credentials section, resolving `${ENV}` references."""
        values = {k: resolve_env_ref(v) for k, v in (credentials or {}).items()}
        known = {f.name: f for f in fields(cls)}
        kwargs: dict[str, Any] = {}
        for name, value in values.items():
            if name not in known or value is None or value == "":
                continue
            default = getattr(cls, name, None)
            if name in ("text_events", "click_events", "non_text_events"):
                kwargs[name] = _csv(value)
            elif name in ("token_error_codes", "retryable_error_codes"):
                kwargs[name] = _codes(value)
            elif isinstance(default, bool):
                kwargs[name] = str(value).lower() in ("1", "true", "yes")
            elif isinstance(default, int):
                kwargs[name] = int(value)
            elif isinstance(default, float):
                kwargs[name] = float(value)
            else:
                kwargs[name] = str(value)
        if not kwargs.get("app_id") or not kwargs.get("oa_secret_key"):
            raise ValueError("Zalo channel needs app_id and oa_secret_key")
        return cls(**kwargs)


def zalo_credentials() -> Optional[dict[str, Any]]:
    """The credentials section from ZALO_* variables, or None when Zalo is not configured.

    Secrets are written as `${ZALO_...}` references so they never land in the generated file.
    """
    if not env_text("ZALO_APP_ID") or not env_text("ZALO_OA_SECRET_KEY"):
        return None
    section: dict[str, Any] = {"app_id": env_text("ZALO_APP_ID"),
                               "oa_secret_key": "${ZALO_OA_SECRET_KEY}"}
    for key, var in (("app_secret", "ZALO_APP_SECRET"), ("access_token", "ZALO_ACCESS_TOKEN"),
                     ("refresh_token", "ZALO_REFRESH_TOKEN")):
        if env_text(var):
            section[key] = "${" + var + "}"
    plain = {"oa_id": "ZALO_OA_ID", "token_file": "ZALO_TOKEN_FILE",
             "api_base": "ZALO_API_BASE", "oauth_base": "ZALO_OAUTH_BASE",
             "max_age_s": "ZALO_MAX_AGE_S", "http_timeout_s": "ZALO_HTTP_TIMEOUT_S",
             "max_attempts": "ZALO_MAX_ATTEMPTS", "backoff_s": "ZALO_BACKOFF_S",
             "text_limit": "ZALO_TEXT_LIMIT", "max_buttons": "ZALO_MAX_BUTTONS",
             "button_type": "ZALO_BUTTON_TYPE", "template_type": "ZALO_TEMPLATE_TYPE",
             "button_payload_max": "ZALO_BUTTON_PAYLOAD_MAX",
             "text_events": "ZALO_TEXT_EVENTS", "click_events": "ZALO_CLICK_EVENTS",
             "non_text_events": "ZALO_NON_TEXT_EVENTS",
             "token_error_codes": "ZALO_TOKEN_ERROR_CODES",
             "retryable_error_codes": "ZALO_RETRYABLE_ERROR_CODES",
             "token_refresh_margin_s": "ZALO_TOKEN_REFRESH_MARGIN_S"}
    for key, var in plain.items():
        if env_text(var):
            section[key] = env_text(var)
    if "token_file" not in section:
        section["token_file"] = str(Path(env_text("BOT_VAR_DIR", "var")) / "zalo_tokens.json")
    return section


# -- signature ----------------------------------------------------------------------------


def expected_signature(app_id: str, body: bytes, timestamp: str, oa_secret_key: str) -> str:
    """Hex SHA-256 of app id + raw body + timestamp + OA secret key (Zalo's webhook MAC)."""
    return hashlib.sha256(app_id.encode() + body + timestamp.encode()
                          + oa_secret_key.encode()).hexdigest()


def _timestamp_ms(value: Any) -> Optional[int]:
    """An event timestamp in milliseconds (seconds are accepted too), or None."""
    text = str(value or "").strip()
    if not text.isdigit():
        return None
    number = int(text)
    return number * 1000 if number < 100_000_000_000 else number


def verify_event(config: ZaloConfig, header: str, body: bytes, event: dict,
                 now_ms: Optional[int] = None) -> Optional[str]:
    """None when the event is authentic and fresh, else the reason for rejecting it."""
    mac = header.strip()
    if not mac.lower().startswith("mac="):
        return "malformed signature"
    given = mac[4:].strip().lower()
    timestamp = str(event.get("timestamp", ""))
    ts_ms = _timestamp_ms(timestamp)
    if ts_ms is None:
        return "missing timestamp"
    wanted = expected_signature(config.app_id, body, timestamp, config.oa_secret_key)
    if not hmac.compare_digest(given.encode("ascii", "replace"), wanted.encode()):
        return "bad signature"
    if str(event.get("app_id", config.app_id)) != config.app_id:
        return "foreign app"
    now = now_ms if now_ms is not None else int(time.time() * 1000)
    if abs(now - ts_ms) > config.max_age_s * 1000:
        return "stale timestamp"
    return None


# -- inbound events -----------------------------------------------------------------------


@dataclass(frozen=True)
class Inbound:
    """A user event worth answering."""

    user_id: str
    kind: str  # "text" or "non_text"
    text: str = ""
    dedupe_key: str = ""


def parse_event(config: ZaloConfig, event: dict, body: bytes) -> Optional[Inbound]:
    """The user event to answer, or None for OA echoes, oa_* and other ignored events."""
    name = event.get("event_name")
    if not isinstance(name, str) or not name.startswith("user_"):
        return None
    sender = event.get("sender") if isinstance(event.get("sender"), dict) else {}
    user_id = str(sender.get("id") or "").strip()
    if not user_id or (config.oa_id and user_id == config.oa_id):
        return None
    msg = event.get("message") if isinstance(event.get("message"), dict) else {}
    msg_id = str(msg.get("msg_id") or msg.get("mid") or "")
    key = msg_id or hashlib.sha256(body).hexdigest()
    if name in config.text_events:
        return Inbound(user_id, "text", str(msg.get("text") or ""), key)
    if name in config.click_events:
        payload = msg.get("payload") or event.get("payload") or msg.get("text") or ""
        if isinstance(payload, dict):
            payload = payload.get("payload") or payload.get("data") or ""
        return Inbound(user_id, "text", str(payload), key)
    if name in config.non_text_events:
        return Inbound(user_id, "non_text", "", key)
    return None


# -- tokens -------------------------------------------------------------------------------


class TokenRefreshError(Exception):
    """Zalo did not give a new token pair."""


def write_private_json(path: Path, data: dict) -> None:
    """Write JSON atomically (temp file in the same folder, fsync, os.replace), mode 0600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=str(path.parent))
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass
class TokenPair:
    """The OA access token, its single-use refresh token, and when the access token expires."""

    access_token: str = ""
    refresh_token: str = ""
    expires_at: float = 0.0  # epoch seconds; 0 = unknown


class TokenStore:
    """Holds the OA tokens; refreshes one at a time and persists each new pair atomically."""

    def __init__(self, config: ZaloConfig, http: Callable[[], httpx.AsyncClient]) -> None:
        """Tokens are loaded from the file (or the seed values) on first use."""
        self._config = config
        self._http = http
        self._path = Path(config.token_file)
        self._pair: Optional[TokenPair] = None
        self._lock: Optional[asyncio.Lock] = None
        self.refresh_count = 0

    def _read_file(self) -> Optional[TokenPair]:
        """The pair stored in the token file, or None."""
        try:
            data = json.loads(self._path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return TokenPair(str(data.get("access_token", "")), str(data.get("refresh_token", "")),
                         float(data.get("expires_at", 0) or 0))

    def _current(self) -> TokenPair:
        """The pair in memory, loading it (file first, then seed values) when needed."""
        if self._pair is None:
            self._pair = self._read_file() or TokenPair(self._config.access_token,
                                                        self._config.refresh_token)
        return self._pair

    async def access_token(self) -> str:
        """A usable access token, refreshed first when it expires soon."""
        pair = self._current()
        soon = pair.expires_at and pair.expires_at - time.time() < self._config.token_refresh_margin_s
        if (not pair.access_token or soon) and pair.refresh_token:
            return await self.refresh(pair.access_token)
        return pair.access_token

    async def refresh(self, stale: str) -> str:
        """Replace `stale` with a new token; concurrent callers share one refresh call."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            current = self._current()
            on_disk = self._read_file()
            if on_disk and on_disk.access_token and on_disk.access_token != current.access_token:
                self._pair = current = on_disk  # another process refreshed already
            if current.access_token and current.access_token != stale:
                return current.access_token
            new_pair = await self._call_refresh(current.refresh_token)
            write_private_json(self._path, {"access_token": new_pair.access_token,
                                            "refresh_token": new_pair.refresh_token,
                                            "expires_at": new_pair.expires_at})
            self._pair = new_pair
            return new_pair.access_token

    async def _call_refresh(self, refresh_token: str) -> TokenPair:
        """POST {oauth_base}/v4/oa/access_token with the single-use refresh token."""
        if not refresh_token or not self._config.app_secret:
            raise TokenRefreshError("no refresh token or app secret configured")
        self.refresh_count += 1
        try:
            reply = await self._http().post(
                f"{self._config.oauth_base.rstrip('/')}/v4/oa/access_token",
                data={"refresh_token": refresh_token, "app_id": self._config.app_id,
                      "grant_type": "refresh_token"},
                headers={"secret_key": self._config.app_secret})
            data = reply.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise TokenRefreshError(type(exc).__name__) from None
        if not isinstance(data, dict) or not data.get("access_token") \
                or not data.get("refresh_token"):
            code = data.get("error") if isinstance(data, dict) else None
            raise TokenRefreshError(f"refresh refused (error {code})")
        try:
            lifetime = float(data.get("expires_in") or 0)
        except (TypeError, ValueError):
            lifetime = 0.0
        logger.info("Zalo: access token refreshed")
        return TokenPair(str(data["access_token"]), str(data["refresh_token"]),
                         time.time() + lifetime if lifetime > 0 else 0.0)


# -- outbound API -------------------------------------------------------------------------


class ZaloSendError(Exception):
    """A message could not be delivered to Zalo."""

    def __init__(self, reason: str, code: Optional[int] = None) -> None:
        """Reason and Zalo error code (when Zalo answered)."""
        super().__init__(reason)
        self.code = code


class ZaloApi:
    """The OA v3 customer-service message API with safe retries and token refresh."""

    def __init__(self, config: ZaloConfig) -> None:
        """No connection yet: the HTTP client is created inside the running loop."""
        self.config = config
        self._client: Optional[httpx.AsyncClient] = None
        self.tokens = TokenStore(config, self.http)

    def http(self) -> httpx.AsyncClient:
        """The shared HTTP client."""
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.config.http_timeout_s, trust_env=False)
        return self._client

    async def send(self, user_id: str, msg: dict) -> dict:
        """POST one message; retries only when Zalo certainly did not accept it."""
        url = f"{self.config.api_base.rstrip('/')}/v3.0/oa/message/cs"
        body = {"recipient": {"user_id": user_id}, "message": msg}
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            reason, code = await self._attempt(url, body, refreshed)
            if reason is None:
                return {}
            if reason == "token" and not refreshed:
                refreshed = True
                attempt -= 1  # the refresh itself is not a failed delivery
                continue
            if reason != "retry" or attempt >= self.config.max_attempts:
                raise ZaloSendError(reason, code)
            await asyncio.sleep(self.config.backoff_s * 2 ** (attempt - 1))

    async def _attempt(self, url: str, body: dict, refreshed: bool
                       ) -> tuple[Optional[str], Optional[int]]:
        """One delivery try: (None, None) on success, else ('retry'|'token'|'fatal', code)."""
        try:
            token = await self.tokens.access_token()
        except TokenRefreshError as exc:
            logger.error("Zalo: token refresh failed: %s", exc)
            return "fatal", None
        try:
            reply = await self.http().post(url, json=body, headers={"access_token": token})
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout):
            return "retry", None  # never reached Zalo: safe to send again
        except httpx.HTTPError as exc:
            # The request may have been delivered: do not risk a duplicate answer.
            logger.warning("Zalo: send outcome unknown (%s), not retried", type(exc).__name__)
            return "fatal", None
        if reply.status_code >= 500 or reply.status_code == 429:
            return "retry", None
        try:
            code = int(reply.json().get("error", -1))
        except (ValueError, TypeError, AttributeError):
            return "fatal", None
        if code == 0:
            return None, None
        if code in self.config.token_error_codes:
            if refreshed:
                return "fatal", code
            try:
                await self.tokens.refresh(token)
            except TokenRefreshError as exc:
                logger.error("Zalo: token refresh failed: %s", exc)
                return "fatal", code
            return "token", code
        logger.warning("Zalo: send refused with error %s", code)
        return ("retry" if code in self.config.retryable_error_codes else "fatal"), code

    async def aclose(self) -> None:
        """Close the HTTP client."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None


# -- output channel -----------------------------------------------------------------------


def user_id_of(recipient_id: str) -> str:
    """The Zalo user id of an assistant conversation id ('zalo:123' -> '123')."""
    prefix = f"{CHANNEL}:"
    return recipient_id[len(prefix):] if recipient_id.startswith(prefix) else recipient_id


class ZaloOutput(OutputChannel):
    """Sends the assistant's answers through the OA API; never raises into Rasa."""

    def __init__(self, api: ZaloApi, button_keys: LruMap[str, tuple[str, str]]) -> None:
        """An output channel for one incoming message."""
        self.api = api
        self.button_keys = button_keys
        self.sent = 0
        self.failed = 0

    @classmethod
    def name(cls) -> Text:
        """Channel name."""
        return CHANNEL

    async def _deliver(self, recipient_id: str, msg: dict) -> None:
        """Send one message, counting successes and failures."""
        try:
            await self.api.send(user_id_of(recipient_id), msg)
            self.sent += 1
        except ZaloSendError as exc:
            self.failed += 1
            logger.error("Zalo: message not delivered: %s (error %s)", exc, exc.code)

    def _chunks(self, text: str) -> list[str]:
        """The text split under the Zalo limit."""
        return split_text(text, self.api.config.text_limit)

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        """Plain text, split under the Zalo limit."""
        for chunk in self._chunks(text):
            await self._deliver(recipient_id, {"text": chunk})

    def _button_payload(self, user_id: str, payload: str) -> str:
        """The payload itself, or a short key mapped on the server when it is too long."""
        config = self.api.config
        if len(payload) <= config.button_payload_max and \
                not payload.startswith(config.button_key_prefix):
            return payload
        key = config.button_key_prefix + secrets.token_urlsafe(12)
        self.button_keys.put(key, (user_id, payload))
        return key

    def template(self, recipient_id: str, text: str, buttons: list[dict]) -> dict:
        """A text with up to `max_buttons` query buttons as an OA template (shape: VERIFY)."""
        config = self.api.config
        user_id = user_id_of(recipient_id)
        items = []
        for button in buttons[:config.max_buttons]:
            title, payload = str(button.get("title") or ""), str(button.get("payload") or "")
            if not title or not payload:
                continue
            if payload.startswith(("https://", "http://")):
                items.append({"title": title, "type": "oa.open.url", "payload": {"url": payload}})
            else:
                items.append({"title": title, "type": config.button_type,
                              "payload": self._button_payload(user_id, payload)})
        payload_obj: dict[str, Any] = {"buttons": items}
        if config.template_type:
            payload_obj["template_type"] = config.template_type
        return {"text": text, "attachment": {"type": "template", "payload": payload_obj}}

    async def send_text_with_buttons(self, recipient_id: Text, text: Text,
                                     buttons: list[Dict[Text, Any]], **kwargs: Any) -> None:
        """Text chunks, the last one carrying the buttons."""
        chunks = self._chunks(text) or [message("choose")]
        for chunk in chunks[:-1]:
            await self._deliver(recipient_id, {"text": chunk})
        await self._deliver(recipient_id, self.template(recipient_id, chunks[-1], buttons))

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        """Images are sent as their link."""
        await self.send_text_message(recipient_id, image)

    async def send_attachment(self, recipient_id: Text, attachment: Text, **kwargs: Any) -> None:
        """Attachments are sent as text."""
        await self.send_text_message(recipient_id, str(attachment))

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any],
                               **kwargs: Any) -> None:
        """Custom payloads are not shown on Zalo."""
        logger.info("Zalo: custom payload skipped")


# -- input channel ------------------------------------------------------------------------


@dataclass
class _State:
    """Per-process state of the channel (created once per ZaloInput)."""

    seen: BoundedSet[str]
    users: KeyedSerial
    button_keys: LruMap[str, tuple[str, str]]
    tasks: set = field(default_factory=set)


class ZaloInput(InputChannel):
    """Receives signed Zalo OA events at /webhooks/zalo/webhook and answers in the background."""

    def __init__(self, config: ZaloConfig, api: Optional[ZaloApi] = None) -> None:
        """A channel with its own API client, dedupe memory and per-user queues."""
        self.config = config
        self.api = api or ZaloApi(config)
        self.state = _State(BoundedSet(config.dedupe_size), KeyedSerial(config.max_pending_per_user),
                            LruMap(config.button_cache_size))

    @classmethod
    def name(cls) -> Text:
        """Webhook at /webhooks/zalo/webhook."""
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "InputChannel":
        """Build from the `bot.channels.zalo.ZaloInput` section of the credentials file."""
        if not credentials:
            raise ValueError("Zalo channel needs credentials (app_id, oa_secret_key, ...)")
        return cls(ZaloConfig.from_credentials(credentials))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Routes: GET / (health) and POST /webhook."""
        hook = Blueprint(f"zalo_webhook_{id(self)}", __name__)
        speedups.install()

        @hook.route("/", methods=["GET"])
        async def health(_request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            status, detail = self.accept(request.headers.get(SIGNATURE_HEADER, ""),
                                         request.body or b"", on_new_message)
            return response.json({"status": detail}, status=status)

        return hook

    def accept(self, header: str, body: bytes,
               on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> tuple[int, str]:
        """Check one webhook delivery and queue its processing: (HTTP status, short status)."""
        if len(body) > MAX_BODY_BYTES:
            return 413, "too large"
        if not header:
            logger.warning("Zalo webhook: unsigned request rejected")
            return 401, "unsigned"
        try:
            event = json.loads(body)
        except ValueError:
            return 400, "bad json"
        if not isinstance(event, dict):
            return 400, "bad json"
        problem = verify_event(self.config, header, body, event)
        if problem:
            logger.warning("Zalo webhook: rejected (%s)", problem)
            return 403, "rejected"
        inbound = parse_event(self.config, event, body)
        if inbound is None:
            return 200, "ignored"
        if not self.state.seen.add_new(inbound.dedupe_key):
            logger.info("Zalo webhook: duplicate delivery ignored")
            return 200, "duplicate"
        if not self.state.users.submit(inbound.user_id,
                                       lambda: self.process(inbound, on_new_message)):
            logger.warning("Zalo webhook: user queue full, event dropped")
        return 200, "ok"

    async def process(self, inbound: Inbound,
                      on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """Answer one user event (runs in the background, in user order)."""
        output = ZaloOutput(self.api, self.state.button_keys)
        recipient = f"{CHANNEL}:{inbound.user_id}"
        if inbound.kind != "text":
            await output.send_text_message(recipient, message("text_only"))
            return
        raw = inbound.text
        if raw.startswith(self.config.button_key_prefix):
            entry = self.state.button_keys.get(raw.strip())
            if entry is None or entry[0] != inbound.user_id:
                await output.send_text_message(recipient, message("button_expired"))
                return
            raw = entry[1]
        text, meta = prepare_text(raw)
        if not text:
            await output.send_text_message(recipient, message("empty_message"))
            return
        if meta.get("truncated"):
            await output.send_text_message(recipient, message("too_long"))
        try:
            await on_new_message(UserMessage(text, output, recipient, input_channel=CHANNEL,
                                             metadata=meta))
        except Exception as exc:  # noqa: BLE001 - apologise, log no user text
            logger.error("Zalo: message handling failed: %s", type(exc).__name__)
            await output.send_text_message(recipient, message("assistant_down"))
            return
        if output.sent == 0 and output.failed == 0:
            await output.send_text_message(recipient, message("assistant_down"))

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        """Metadata is built in `process`."""
        return None
