"""REST channel that validates input, masks secrets before anything is stored, and never
answers a failure with silence (Rasa's own REST channel returns 200 [] on a crash)."""
from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels import speedups
from bot.channels.messages import MAX_MESSAGE_CHARS, message
from bot.security.secrets import mask

logger = logging.getLogger(__name__)
KNOWN_CHANNELS = ("rest", "telegram", "zalo", "web")
MAX_SENDER_CHARS = 128


def prepare_text(raw: str) -> tuple[str, dict[str, Any]]:
    """Cut overlong text and mask secrets; return the text and metadata describing it."""
    meta: dict[str, Any] = {}
    text = raw.strip()
    if len(text) > MAX_MESSAGE_CHARS:
        text, meta["truncated"] = text[:MAX_MESSAGE_CHARS], True
    masked = mask(text)
    if masked.kinds:
        meta["secrets"] = list(masked.kinds)
    return masked.text, meta


def parse_body(request: Request) -> tuple[Optional[dict], Optional[str]]:
    """The JSON body as a dict, or an error code."""
    try:
        body = request.json
    except Exception:  # noqa: BLE001 - any malformed body is a client error
        return None, "bad_request"
    if not isinstance(body, dict):
        return None, "bad_request"
    sender, text = body.get("sender"), body.get("message")
    if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER_CHARS:
        return None, "bad_request"
    if text is not None and not isinstance(text, str):
        return None, "bad_request"
    return body, None


class MaskingRestInput(InputChannel):
    """`POST /webhooks/rest/webhook` with {"sender", "message"}: Rasa's REST contract, safer."""

    @classmethod
    def name(cls) -> Text:
        """Keeps the standard URL /webhooks/rest/webhook."""
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Routes: GET / (health) and POST /webhook."""
        speedups.install()
        hook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @hook.route("/", methods=["GET"])
        async def health(_request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            body, error = parse_body(request)
            if error or body is None:
                return response.json({"error": error, "message": message("bad_request")},
                                     status=400)
            text, meta = prepare_text(body.get("message") or "")
            if not text:
                return response.json([{"recipient_id": body["sender"],
                                       "text": message("empty_message")}])
            channel = body.get("input_channel") if body.get("input_channel") in KNOWN_CHANNELS \
                else self.name()
            user_meta = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
            collector = CollectingOutputChannel()
            try:
                await on_new_message(UserMessage(text, collector, body["sender"].strip(),
                                                 input_channel=channel,
                                                 metadata={**user_meta, **meta}))
            except Exception as exc:  # noqa: BLE001 - answer politely, log no user text
                logger.error("REST message failed: %s", type(exc).__name__)
                return response.json([{"recipient_id": body["sender"],
                                       "text": message("assistant_down")}], status=200)
            replies = collector.messages
            if meta.get("truncated"):
                replies = [{"recipient_id": body["sender"], "text": message("too_long")}] + replies
            if not replies:
                replies = [{"recipient_id": body["sender"], "text": message("assistant_down")}]
            return response.json(replies)

        return hook

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        """Metadata is built in the handler."""
        return None
