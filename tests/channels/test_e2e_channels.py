"""End to end: Telegram (bridge) and Zalo (Rasa channel) against the REAL Rasa and action servers,
with fake Telegram and Zalo APIs. Uses `rasa_stack` from tests/channels/conftest.py."""
from __future__ import annotations

import asyncio
import json
import time
from urllib.parse import urlparse

import httpx
import pytest

from bot.channels.telegram import TelegramBridge, TelegramConfig
from bot.channels.zalo import SIGNATURE_HEADER
from tests.conftest import ZALO_E2E
from tests.channels.fakes import FakeTelegram, FakeZalo, sign, zalo_event

pytestmark = pytest.mark.e2e
QUESTION = "lam giay khai sinh can gi"
CHAT, USER = 7001, "8000000000000000001"


async def wait_for(predicate, timeout: float = 60.0) -> None:
    """Poll until the predicate holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("timed out waiting for the assistant")


async def test_telegram_procedure_conversation_with_button(rasa_stack):
    fake = await FakeTelegram().start()
    bridge = TelegramBridge(TelegramConfig(token=fake.token, base_url=fake.base_url,
                                           rasa_url=rasa_stack.url, poll_timeout_s=1,
                                           chat_interval_s=0.05))
    await bridge.start()
    try:
        fake.push(fake.message_update(CHAT, QUESTION))
        await wait_for(lambda: any(s.reply_markup for s in fake.sent))
        answer = "\n".join(fake.texts(CHAT))
        assert "1.001193" in answer and "https://" in answer
        keyboard = next(s.reply_markup for s in fake.sent if s.reply_markup)
        fee = next(row[0] for row in keyboard["inline_keyboard"]
                   if "callback_data" in row[0]
                   and bridge.buttons.payload_for(CHAT, row[0]["callback_data"]).startswith(
                       "/ask_fee"))
        before = len(fake.sent)
        fake.push(fake.callback_update(CHAT, fee["callback_data"]))
        await wait_for(lambda: len(fake.sent) > before)
        await asyncio.sleep(1)
        assert "Lệ phí" in "\n".join(fake.texts(CHAT)[before:])
        assert len(fake.answered) == 1
    finally:
        await bridge.stop()
        await fake.stop()


async def test_zalo_procedure_conversation_with_button(rasa_stack):
    env = rasa_stack.env
    port = urlparse(env["ZALO_API_BASE"]).port
    fake = await FakeZalo(app_id=env["ZALO_APP_ID"], app_secret=env["ZALO_APP_SECRET"]).start(port)
    url = f"{rasa_stack.url}/webhooks/zalo/webhook"

    async def post(event: dict, secret: str = env["ZALO_OA_SECRET_KEY"]) -> int:
        body = json.dumps(event, ensure_ascii=False).encode()
        header = sign(env["ZALO_APP_ID"], body, event["timestamp"], secret)
        async with httpx.AsyncClient() as client:
            reply = await client.post(url, content=body, headers={SIGNATURE_HEADER: header},
                                      timeout=5)
        return reply.status_code

    try:
        assert await post(zalo_event(env["ZALO_APP_ID"], USER, text=QUESTION), secret="x") == 403
        started = time.monotonic()
        event = zalo_event(env["ZALO_APP_ID"], USER, text=QUESTION, oa_id=ZALO_E2E["oa_id"])
        assert await post(event) == 200
        assert time.monotonic() - started < 2.0                 # acknowledged quickly
        assert await post(event) == 200                         # duplicate delivery
        await wait_for(lambda: any("attachment" in b["message"] for b in fake.sent))
        answer = "\n".join(fake.user_texts(USER))
        assert "1.001193" in answer
        template = next(b["message"] for b in fake.sent if "attachment" in b["message"])
        buttons = template["attachment"]["payload"]["buttons"]
        assert 1 <= len(buttons) <= 5
        fee = next(b for b in buttons if str(b["payload"]).startswith("/ask_fee"))
        before = len(fake.sent)
        await post(zalo_event(env["ZALO_APP_ID"], USER, text=fee["payload"]))
        await wait_for(lambda: len(fake.sent) > before)
        await asyncio.sleep(1)
        assert "Lệ phí" in "\n".join(fake.user_texts(USER)[before:])
        assert answer.count("1.001193") == "\n".join(fake.user_texts(USER)[:before]).count(
            "1.001193")                                          # the duplicate was not answered
    finally:
        await fake.stop()
