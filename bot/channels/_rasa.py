"""A thin client of the assistant's REST channel, for bridge processes such as Telegram."""
from __future__ import annotations

import logging
from typing import Any, Optional

import httpx

logger = logging.getLogger(__name__)
REST_PATH = "/webhooks/rest/webhook"


class AssistantUnavailable(Exception):
    """The assistant did not answer usably (down, timeout, 5xx, malformed reply)."""


class RasaClient:
    """Posts one user message to POST /webhooks/rest/webhook and returns the bot's replies."""

    def __init__(self, base_url: str, timeout_s: float = 30.0,
                 client: Optional[httpx.AsyncClient] = None) -> None:
        """A client for the assistant at `base_url` (e.g. http://127.0.0.1:5005)."""
        self._url = base_url.rstrip("/") + REST_PATH
        self._timeout = timeout_s
        self._client = client
        self._owns_client = client is None

    def _http(self) -> httpx.AsyncClient:
        """The HTTP client, created on first use inside the running event loop."""
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._timeout, trust_env=False)
        return self._client

    async def send(self, sender: str, text: str, channel: str,
                   metadata: Optional[dict[str, Any]] = None) -> list[dict[str, Any]]:
        """The replies to one message; raises AssistantUnavailable on any failure."""
        body = {"sender": sender, "message": text, "input_channel": channel,
                "metadata": metadata or {}}
        try:
            reply = await self._http().post(self._url, json=body, timeout=self._timeout)
        except httpx.HTTPError as exc:
            raise AssistantUnavailable(type(exc).__name__) from None
        if reply.status_code >= 500 or reply.status_code in (404, 408, 429):
            raise AssistantUnavailable(f"HTTP {reply.status_code}")
        try:
            replies = reply.json()
        except ValueError:
            raise AssistantUnavailable("invalid JSON") from None
        if isinstance(replies, dict) and isinstance(replies.get("message"), str):
            replies = [{"text": replies["message"]}]  # a polite 4xx answer of the REST channel
        if not isinstance(replies, list):
            raise AssistantUnavailable("unexpected reply shape")
        return [r for r in replies if isinstance(r, dict)]

    async def aclose(self) -> None:
        """Close the HTTP client if this object created it."""
        if self._client is not None and self._owns_client:
            await self._client.aclose()
        self._client = None
