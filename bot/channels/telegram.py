"""Telegram bridge: python-telegram-bot 22 <-> the assistant's REST channel.

Long polling by default; webhook mode (with a required secret token) when TELEGRAM_WEBHOOK_URL
is set. Run with `python -m bot.channels.telegram` (scripts/run.sh does it when
TELEGRAM_BOT_TOKEN is set). Never logs user text or tokens.
"""
from __future__ import annotations

import asyncio
import datetime as dtm
import hmac
import logging
import re
import secrets
import signal
from dataclasses import dataclass
from typing import Any, Optional
from urllib.parse import urlparse

from aiohttp import web
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import Forbidden, RetryAfter, TelegramError
from telegram.ext import Application, ContextTypes, TypeHandler

from bot.channels._common import (BoundedSet, KeyedSerial, LruMap, Pacer, env_text,
                                  split_text)
from bot.channels._rasa import AssistantUnavailable, RasaClient
from bot.channels.messages import message
from bot.config import get_settings

logger = logging.getLogger(__name__)
CHANNEL = "telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
TELEGRAM_MAX_CHARS = 4096
ALLOWED_UPDATES = ["message", "callback_query"]
RESTART_PAYLOAD = "/restart"


class ConfigError(ValueError):
    """The Telegram settings are incomplete or invalid."""


@dataclass(frozen=True)
class TelegramConfig:
    """Settings of the Telegram bridge (see docs/channels.md for each variable)."""

    token: str
    base_url: str = "https://api.telegram.org/bot"
    webhook_url: str = ""
    webhook_secret: str = ""
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_path: str = ""
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_timeout_s: float = 30.0
    poll_timeout_s: float = 30.0
    chat_interval_s: float = 1.0
    global_interval_s: float = 1 / 30
    max_chars: int = 4000
    button_cache_size: int = 20000
    dedupe_size: int = 20000
    max_pending_per_chat: int = 20
    send_retries: int = 2
    drop_pending_updates: bool = False

    @classmethod
    def from_env(cls) -> "TelegramConfig":
        """Read the TELEGRAM_* variables (and RASA_URL through bot.config) once."""
        return cls(
            token=env_text("TELEGRAM_BOT_TOKEN"),
            base_url=env_text("TELEGRAM_BASE_URL", cls.base_url),
            webhook_url=env_text("TELEGRAM_WEBHOOK_URL"),
            webhook_secret=env_text("TELEGRAM_WEBHOOK_SECRET"),
            webhook_listen=env_text("TELEGRAM_WEBHOOK_LISTEN", cls.webhook_listen),
            webhook_port=int(env_text("TELEGRAM_WEBHOOK_PORT", str(cls.webhook_port))),
            webhook_path=env_text("TELEGRAM_WEBHOOK_PATH"),
            rasa_url=get_settings().rasa_url,
            rasa_timeout_s=float(env_text("TELEGRAM_RASA_TIMEOUT_S", str(cls.rasa_timeout_s))),
            poll_timeout_s=float(env_text("TELEGRAM_POLL_TIMEOUT_S", str(cls.poll_timeout_s))),
            chat_interval_s=float(env_text("TELEGRAM_CHAT_INTERVAL_S",
                                           str(cls.chat_interval_s))),
            global_interval_s=float(env_text("TELEGRAM_GLOBAL_INTERVAL_S",
                                             str(cls.global_interval_s))),
            max_chars=int(env_text("TELEGRAM_MAX_CHARS", str(cls.max_chars))),
            button_cache_size=int(env_text("TELEGRAM_BUTTON_CACHE_SIZE",
                                           str(cls.button_cache_size))),
            dedupe_size=int(env_text("TELEGRAM_DEDUPE_SIZE", str(cls.dedupe_size))),
            max_pending_per_chat=int(env_text("TELEGRAM_MAX_PENDING_PER_CHAT",
                                              str(cls.max_pending_per_chat))),
            drop_pending_updates=env_text("TELEGRAM_DROP_PENDING", "0") in ("1", "true"),
        )

    @property
    def webhook_mode(self) -> bool:
        """True when Telegram pushes updates to us instead of being polled."""
        return bool(self.webhook_url)

    @property
    def route(self) -> str:
        """The local HTTP path of the webhook (defaults to the public URL's path)."""
        path = self.webhook_path or urlparse(self.webhook_url).path or "/telegram/webhook"
        return path if path.startswith("/") else "/" + path

    def validate(self) -> None:
        """Raise ConfigError when the settings cannot work."""
        if not self.token:
            raise ConfigError("TELEGRAM_BOT_TOKEN is not set")
        if self.webhook_mode and not SECRET_RE.match(self.webhook_secret):
            raise ConfigError("webhook mode requires TELEGRAM_WEBHOOK_SECRET "
                              "(1-256 characters of A-Z a-z 0-9 _ -)")
        if not 1 <= self.max_chars <= TELEGRAM_MAX_CHARS:
            raise ConfigError(f"TELEGRAM_MAX_CHARS must be between 1 and {TELEGRAM_MAX_CHARS}")


def sender_id(chat_id: int) -> str:
    """The assistant's conversation id for a Telegram chat."""
    return f"{CHANNEL}:{chat_id}"


def command_of(text: str) -> Optional[str]:
    """The bot command of a message ('/start@MyBot hi' -> 'start'), or None."""
    if not text.startswith("/"):
        return None
    head = text.split(maxsplit=1)[0][1:]
    return head.split("@", 1)[0].lower() or None


def _seconds(value: Any) -> float:
    """A duration given as seconds or a timedelta, in seconds."""
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


class ButtonKeys:
    """Short callback keys (Telegram allows 64 bytes) mapped to full payloads, per chat."""

    def __init__(self, size: int) -> None:
        """A bounded LRU of key -> (chat id, payload)."""
        self._map: LruMap[str, tuple[int, str]] = LruMap(size)

    def key_for(self, chat_id: int, payload: str) -> str:
        """A fresh unguessable key for a payload shown in a chat."""
        key = secrets.token_urlsafe(12)
        self._map.put(key, (chat_id, payload))
        return key

    def payload_for(self, chat_id: int, key: str) -> Optional[str]:
        """The payload of a key pressed in a chat, or None when unknown, expired or foreign."""
        entry = self._map.get(key)
        if entry is None or entry[0] != chat_id:
            return None
        return entry[1]

    def __len__(self) -> int:
        """How many keys are remembered."""
        return len(self._map)


class TelegramBridge:
    """Receives Telegram updates, asks the assistant, and sends its answers back."""

    def __init__(self, config: TelegramConfig, rasa: Optional[RasaClient] = None) -> None:
        """A bridge that is not started yet."""
        config.validate()
        self.config = config
        self.rasa = rasa or RasaClient(config.rasa_url, config.rasa_timeout_s)
        self.buttons = ButtonKeys(config.button_cache_size)
        self._seen: BoundedSet[int] = BoundedSet(config.dedupe_size)
        self._chats = KeyedSerial(config.max_pending_per_chat)
        self._pacer = Pacer(config.chat_interval_s, config.global_interval_s)
        self._app: Optional[Application] = None
        self._web_runner: Optional[web.AppRunner] = None
        self.webhook_port: Optional[int] = None

    def build_application(self) -> Application:
        """The python-telegram-bot application with one handler that queues every update."""
        builder = (Application.builder().token(self.config.token)
                   .base_url(self.config.base_url)
                   .get_updates_read_timeout(self.config.poll_timeout_s + 10))
        if self.config.webhook_mode:
            builder = builder.updater(None)
        app = builder.build()
        app.add_handler(TypeHandler(Update, self.on_update))
        app.add_error_handler(self._on_error)
        return app

    @property
    def application(self) -> Application:
        """The running application."""
        if self._app is None:
            raise RuntimeError("bridge not started")
        return self._app

    async def start(self) -> None:
        """Connect to Telegram and start receiving updates (polling or webhook)."""
        self._app = self.build_application()
        await self._app.initialize()
        await self._app.start()
        if self.config.webhook_mode:
            await self._start_webhook_server()
            await self._app.bot.set_webhook(
                url=self.config.webhook_url, secret_token=self.config.webhook_secret,
                allowed_updates=ALLOWED_UPDATES,
                drop_pending_updates=self.config.drop_pending_updates)
            logger.info("Telegram bridge started (webhook on port %s)", self.webhook_port)
        else:
            assert self._app.updater is not None
            await self._app.updater.start_polling(
                timeout=int(self.config.poll_timeout_s), allowed_updates=ALLOWED_UPDATES,
                drop_pending_updates=self.config.drop_pending_updates)
            logger.info("Telegram bridge started (long polling)")

    async def stop(self) -> None:
        """Stop receiving, finish queued chats briefly, and close connections."""
        app = self._app
        if app is not None and app.updater is not None and app.updater.running:
            await app.updater.stop()
        if self._web_runner is not None:
            await self._web_runner.cleanup()
            self._web_runner = None
        await self._chats.join(timeout_s=5)
        await self._chats.cancel()
        if app is not None:
            if app.running:
                await app.stop()
            await app.shutdown()
        await self.rasa.aclose()
        self._app = None

    # -- webhook mode ---------------------------------------------------------------------

    async def _start_webhook_server(self) -> None:
        """Serve POST <route> checking the secret header; port 0 picks a free port."""
        web_app = web.Application(client_max_size=1024 * 1024)
        web_app.router.add_post(self.config.route, self.webhook_handler)
        self._web_runner = web.AppRunner(web_app, access_log=None)
        await self._web_runner.setup()
        site = web.TCPSite(self._web_runner, self.config.webhook_listen, self.config.webhook_port)
        await site.start()
        sockets = site._server.sockets if site._server else []  # type: ignore[union-attr]
        self.webhook_port = sockets[0].getsockname()[1] if sockets else self.config.webhook_port

    async def webhook_handler(self, request: web.Request) -> web.Response:
        """Accept one update from Telegram: 403 without the right secret, 200 once queued."""
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.config.webhook_secret.encode()):
            logger.warning("Telegram webhook: rejected a request with a wrong or missing secret")
            return web.Response(status=403)
        try:
            data = await request.json()
            update = Update.de_json(data, self.application.bot)
        except Exception:  # noqa: BLE001 - malformed body from an authenticated sender
            return web.Response(status=400)
        if update is None:
            return web.Response(status=400)
        await self.application.update_queue.put(update)
        return web.Response(status=200)

    # -- updates --------------------------------------------------------------------------

    async def on_update(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """Deduplicate and queue an update behind the earlier ones of its chat."""
        if not self._seen.add_new(update.update_id):
            logger.info("Telegram: duplicate update %s ignored", update.update_id)
            return
        chat = update.effective_chat
        if chat is None or (update.message is None and update.callback_query is None):
            return
        if not self._chats.submit(chat.id, lambda: self.handle(update)):
            logger.warning("Telegram: chat queue full, update %s dropped", update.update_id)

    async def handle(self, update: Update) -> None:
        """Process one update of a chat (called in chat order)."""
        chat_id = update.effective_chat.id  # type: ignore[union-attr]
        if update.callback_query is not None:
            await self._handle_button(chat_id, update)
            return
        msg = update.message
        if msg is None:
            return
        if msg.text is None:
            await self.send_text(chat_id, message("text_only"))
            return
        await self.handle_text(chat_id, msg.text)

    async def _handle_button(self, chat_id: int, update: Update) -> None:
        """Answer the button press, then send its full payload to the assistant."""
        query = update.callback_query
        assert query is not None
        payload = self.buttons.payload_for(chat_id, query.data or "")
        try:
            await query.answer()
        except TelegramError as exc:
            logger.warning("Telegram: answerCallbackQuery failed: %s", type(exc).__name__)
        if payload is None:
            await self.send_text(chat_id, message("button_expired"))
            return
        await self.ask(chat_id, payload)

    async def handle_text(self, chat_id: int, text: str) -> None:
        """Commands /start, /help, /reset; anything else goes to the assistant."""
        command = command_of(text)
        if command == "start":
            await self.send_text(chat_id, message("start"))
        elif command == "help":
            await self.send_text(chat_id, message("help"))
        elif command == "reset":
            try:
                await self.rasa.send(sender_id(chat_id), RESTART_PAYLOAD, CHANNEL)
            except AssistantUnavailable as exc:
                logger.warning("Telegram: assistant unavailable on reset: %s", exc)
                await self.send_text(chat_id, message("assistant_down"))
                return
            await self.send_text(chat_id, message("reset_done"))
        else:
            await self.ask(chat_id, text)

    async def ask(self, chat_id: int, text: str) -> None:
        """Send a text to the assistant and relay its answers (an apology when it fails)."""
        try:
            replies = await self.rasa.send(sender_id(chat_id), text, CHANNEL)
        except AssistantUnavailable as exc:
            logger.warning("Telegram: assistant unavailable: %s", exc)
            replies = []
        if not replies:
            replies = [{"text": message("assistant_down")}]
        for reply in replies:
            await self.send_reply(chat_id, reply)

    # -- sending --------------------------------------------------------------------------

    def keyboard(self, chat_id: int, buttons: list[dict]) -> Optional[InlineKeyboardMarkup]:
        """An inline keyboard, one button a row; URL payloads become link buttons."""
        rows = []
        for button in buttons:
            title, payload = str(button.get("title") or ""), str(button.get("payload") or "")
            if not title or not payload:
                continue
            if payload.startswith(("https://", "http://")):
                rows.append([InlineKeyboardButton(title, url=payload)])
            else:
                rows.append([InlineKeyboardButton(
                    title, callback_data=self.buttons.key_for(chat_id, payload))])
        return InlineKeyboardMarkup(rows) if rows else None

    async def send_reply(self, chat_id: int, reply: dict) -> None:
        """Send one assistant reply: text in chunks, buttons under the last chunk."""
        text = str(reply.get("text") or "")
        if not text and reply.get("image"):
            text = str(reply["image"])
        buttons = reply.get("buttons") if isinstance(reply.get("buttons"), list) else []
        markup = self.keyboard(chat_id, buttons) if buttons else None
        if not text and markup is None:
            return
        chunks = split_text(text, self.config.max_chars) or [message("choose")]
        for index, chunk in enumerate(chunks):
            await self.send_text(chat_id, chunk, markup if index == len(chunks) - 1 else None)

    async def send_text(self, chat_id: int, text: str,
                        markup: Optional[InlineKeyboardMarkup] = None) -> bool:
        """Send plain text (no parse mode, so links stay clickable and nothing is misparsed)."""
        for attempt in range(self.config.send_retries + 1):
            await self._pacer.wait(chat_id)
            try:
                await self.application.bot.send_message(chat_id=chat_id, text=text,
                                                        reply_markup=markup)
                return True
            except RetryAfter as exc:
                delay = min(_seconds(exc.retry_after), 60.0)
                logger.warning("Telegram: flood control, retry in %.0f s", delay)
                await asyncio.sleep(delay)
            except Forbidden:
                logger.info("Telegram: chat blocked the bot; message dropped")
                return False
            except TelegramError as exc:
                logger.warning("Telegram: sendMessage failed (attempt %d): %s", attempt + 1,
                               type(exc).__name__)
                if attempt < self.config.send_retries:
                    await asyncio.sleep(0.5 * 2 ** attempt)
        return False

    async def _on_error(self, _update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log handler errors by type only (never the update, which holds user text)."""
        logger.error("Telegram: handler error: %s", type(context.error).__name__)


def _quiet_library_loggers() -> None:
    """httpx logs request URLs, which contain the bot token: keep it at WARNING."""
    for name in ("httpx", "httpcore", "telegram.ext.Updater"):
        logging.getLogger(name).setLevel(logging.WARNING)


async def run(config: TelegramConfig) -> None:
    """Run the bridge until SIGINT or SIGTERM."""
    bridge = TelegramBridge(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await bridge.start()
    try:
        await stop.wait()
    finally:
        await bridge.stop()


def main() -> int:
    """Entry point of `python -m bot.channels.telegram`."""
    logging.basicConfig(level=get_settings().log_level,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    _quiet_library_loggers()
    try:
        from bot.security.secrets import install_log_masking
        install_log_masking(("", "telegram", "httpx"))
        config = TelegramConfig.from_env()
        config.validate()
    except (ConfigError, ValueError) as exc:
        logger.error("Telegram bridge not started: %s", exc)
        return 2
    mode = "webhook" if config.webhook_mode else "long polling"
    logger.info("Telegram bridge: %s mode, assistant at %s", mode, config.rasa_url)
    asyncio.run(run(config))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
