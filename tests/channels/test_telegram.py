"""Telegram bridge with the real python-telegram-bot against a fake Bot API and a fake Rasa."""
from __future__ import annotations

import asyncio
import dataclasses
import socket
import time

import httpx
import pytest

from bot.channels._rasa import AssistantUnavailable, RasaClient
from bot.channels.messages import message
from bot.channels.telegram import (SECRET_HEADER, ButtonKeys, ConfigError, TelegramBridge,
                                   TelegramConfig, command_of)
from tests.channels.fakes import FakeRasa, FakeTelegram

CHAT, OTHER = 1001, 2002
LONG_PAYLOAD = '/ask_fee{"procedure_code": "1.001193", "procedure_name": "Đăng ký khai sinh"}'
FEE_TEXT = "Lệ phí đăng ký khai sinh: miễn phí. Xem https://dichvucong.gov.vn/p/1.001193"


async def procedure_rasa(body: dict) -> tuple[int, list]:
    """A scripted assistant: a procedure answer with buttons, then the fee on the button."""
    sender, text = body["sender"], body["message"]
    if text.startswith("/ask_fee"):
        return 200, [{"recipient_id": sender, "text": FEE_TEXT}]
    if text == "/restart":
        return 200, []
    return 200, [{"recipient_id": sender, "text": "Thủ tục 1.001193: Đăng ký khai sinh.",
                  "buttons": [{"title": "Lệ phí", "payload": LONG_PAYLOAD},
                              {"title": "Hồ sơ", "payload": "/ask_documents"},
                              {"title": "Cổng dịch vụ công",
                               "payload": "https://dichvucong.gov.vn"}]}]


def free_port() -> int:
    """A port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_config(fake: FakeTelegram, rasa_url: str, **overrides) -> TelegramConfig:
    """Settings pointing at the fakes, with fast polling and pacing."""
    values = dict(token=fake.token, base_url=fake.base_url, rasa_url=rasa_url,
                  poll_timeout_s=1, chat_interval_s=0.05, global_interval_s=0.0,
                  rasa_timeout_s=2.0)
    values.update(overrides)
    return TelegramConfig(**values)


@pytest.fixture
async def fake_tg():
    fake = await FakeTelegram().start()
    yield fake
    await fake.stop()


@pytest.fixture
async def fake_rasa():
    rasa = await FakeRasa(procedure_rasa).start()
    yield rasa
    await rasa.stop()


@pytest.fixture
async def bridge_factory():
    bridges: list[TelegramBridge] = []

    async def make(config: TelegramConfig) -> TelegramBridge:
        bridge = TelegramBridge(config)
        await bridge.start()
        bridges.append(bridge)
        return bridge

    yield make
    for bridge in bridges:
        await bridge.stop()


async def test_conversation_with_button_press_end_to_end(fake_tg, fake_rasa, bridge_factory):
    bridge = await bridge_factory(make_config(fake_tg, fake_rasa.url))
    fake_tg.push(fake_tg.message_update(CHAT, "làm giấy khai sinh cần gì"))
    first = (await fake_tg.wait_sent(1))[0]
    assert fake_rasa.requests[0]["sender"] == f"telegram:{CHAT}"
    assert fake_rasa.requests[0]["input_channel"] == "telegram"
    assert "parse_mode" not in first.params            # plain text: links stay clickable
    rows = first.reply_markup["inline_keyboard"]
    assert [r[0]["text"] for r in rows] == ["Lệ phí", "Hồ sơ", "Cổng dịch vụ công"]
    assert rows[2][0]["url"] == "https://dichvucong.gov.vn"
    fee_key = rows[0][0]["callback_data"]
    assert len(fee_key.encode()) <= 64 and len(LONG_PAYLOAD.encode()) > 64

    fake_tg.push(fake_tg.callback_update(CHAT, fee_key))
    second = (await fake_tg.wait_sent(2))[1]
    assert second.text == FEE_TEXT
    assert fake_rasa.requests[-1]["message"] == LONG_PAYLOAD   # full payload restored
    assert len(fake_tg.answered) == 1                          # spinner stopped
    assert "deletewebhook" in fake_tg.calls                    # polling mode bootstrap
    assert bridge.config.webhook_mode is False


async def test_expired_or_foreign_button_key_is_answered(fake_tg, fake_rasa, bridge_factory):
    bridge = await bridge_factory(make_config(fake_tg, fake_rasa.url))
    foreign = bridge.buttons.key_for(OTHER, "/ask_fee")
    fake_tg.push(fake_tg.callback_update(CHAT, "unknown-key"),
                 fake_tg.callback_update(CHAT, foreign))
    await fake_tg.wait_sent(2)
    assert fake_tg.texts(CHAT) == [message("button_expired")] * 2
    assert len(fake_tg.answered) == 2 and not fake_rasa.requests


async def test_duplicate_updates_are_answered_once(fake_tg, fake_rasa, bridge_factory):
    await bridge_factory(make_config(fake_tg, fake_rasa.url))
    update = fake_tg.message_update(CHAT, "hello")
    fake_tg.push(update, dict(update), fake_tg.message_update(CHAT, "second"))
    await fake_tg.wait_sent(2)
    await asyncio.sleep(0.3)
    assert fake_rasa.messages() == ["hello", "second"]
    assert len(fake_tg.sent) == 2


@pytest.mark.parametrize("content", [
    {"photo": [{"file_id": "p", "file_unique_id": "pu", "width": 9, "height": 9}],
     "caption": "anh can cuoc"},
    {"sticker": {"file_id": "s", "file_unique_id": "su", "width": 9, "height": 9,
                 "is_animated": False, "is_video": False, "type": "regular"}},
    {"voice": {"file_id": "v", "file_unique_id": "vu", "duration": 3}},
    {"document": {"file_id": "d", "file_unique_id": "du", "file_name": "x.pdf"}},
    {"location": {"latitude": 21.3, "longitude": 103.9}},
])
async def test_non_text_messages_get_text_only(fake_tg, fake_rasa, bridge_factory, content):
    await bridge_factory(make_config(fake_tg, fake_rasa.url))
    fake_tg.push(fake_tg.message_update(CHAT, None, **content))
    await fake_tg.wait_sent(1)
    assert fake_tg.texts(CHAT) == [message("text_only")]
    assert not fake_rasa.requests


async def test_commands_start_help_reset(fake_tg, fake_rasa, bridge_factory):
    await bridge_factory(make_config(fake_tg, fake_rasa.url))
    fake_tg.push(fake_tg.message_update(CHAT, "/start"),
                 fake_tg.message_update(CHAT, "/help@sonla_test_bot"),
                 fake_tg.message_update(CHAT, "/reset"))
    await fake_tg.wait_sent(3)
    assert fake_tg.texts(CHAT) == [message("start"), message("help"), message("reset_done")]
    assert fake_rasa.messages() == ["/restart"]


@pytest.mark.parametrize("failure", ["down", "500", "timeout", "garbage"])
async def test_assistant_down_gets_an_apology(fake_tg, bridge_factory, failure):
    async def broken(_body: dict):
        if failure == "timeout":
            await asyncio.sleep(3)
            return 200, []
        if failure == "garbage":
            return 200, {"unexpected": True}
        return 500, {"error": "boom"}

    rasa = await FakeRasa(broken).start()
    url = f"http://127.0.0.1:{free_port()}" if failure == "down" else rasa.url
    try:
        await bridge_factory(make_config(fake_tg, url, rasa_timeout_s=0.5))
        fake_tg.push(fake_tg.message_update(CHAT, "xin chao"),
                     fake_tg.message_update(CHAT, "/reset"))
        await fake_tg.wait_sent(2)
        assert fake_tg.texts(CHAT) == [message("assistant_down")] * 2
    finally:
        await rasa.stop()


async def test_long_answer_is_split_at_paragraphs_and_paced(fake_tg, bridge_factory):
    paragraphs = [(f"Đoạn {i}: " + "thông tin thủ tục " * 40).strip() for i in range(20)]
    long_text = "\n\n".join(paragraphs)
    assert len(long_text) > 3 * 4096

    async def verbose(body: dict):
        return 200, [{"recipient_id": body["sender"], "text": long_text,
                      "buttons": [{"title": "Lệ phí", "payload": "/ask_fee"}]}]

    rasa = await FakeRasa(verbose).start()
    try:
        await bridge_factory(make_config(fake_tg, rasa.url, chat_interval_s=0.25))
        fake_tg.push(fake_tg.message_update(CHAT, "chi tiet"))
        deadline = time.monotonic() + 15
        while not (fake_tg.sent and fake_tg.sent[-1].reply_markup) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        chunks = fake_tg.sent
        assert len(chunks) >= 4
        assert all(len(c.text) <= 4096 for c in chunks)
        assert "\n\n".join(c.text for c in chunks) == long_text       # cut between paragraphs
        assert all(c.text.startswith("Đoạn ") for c in chunks)
        assert chunks[-1].reply_markup and not any(c.reply_markup for c in chunks[:-1])
        gaps = [b.at - a.at for a, b in zip(chunks, chunks[1:])]
        assert min(gaps) >= 0.2                                      # paced per chat
    finally:
        await rasa.stop()


async def test_order_kept_per_chat_and_chats_run_concurrently(fake_tg, bridge_factory):
    async def slow(body: dict):
        await asyncio.sleep(0.4 if body["message"].startswith("a") else 0.05)
        return 200, [{"recipient_id": body["sender"], "text": "re:" + body["message"]}]

    rasa = await FakeRasa(slow).start()
    try:
        await bridge_factory(make_config(fake_tg, rasa.url, chat_interval_s=0.0))
        fake_tg.push(*(fake_tg.message_update(CHAT, f"a{i}") for i in range(3)),
                     fake_tg.message_update(OTHER, "b0"))
        await fake_tg.wait_sent(4)
        assert fake_tg.texts(CHAT) == ["re:a0", "re:a1", "re:a2"]
        assert [s.chat_id for s in fake_tg.sent][0] == OTHER   # not stuck behind chat A
    finally:
        await rasa.stop()


async def test_flood_control_retry_after_is_honoured(fake_tg, fake_rasa, bridge_factory):
    fake_tg.send_failures.append({"ok": False, "error_code": 429,
                                  "description": "Too Many Requests: retry after 1",
                                  "parameters": {"retry_after": 1}})
    await bridge_factory(make_config(fake_tg, fake_rasa.url))
    started = time.monotonic()
    fake_tg.push(fake_tg.message_update(CHAT, "/start"))
    await fake_tg.wait_sent(1, timeout=10)
    assert time.monotonic() - started >= 0.9
    assert fake_tg.texts(CHAT) == [message("start")]


# -- webhook mode ---------------------------------------------------------------------------


async def test_webhook_requires_the_secret(fake_tg, fake_rasa, bridge_factory):
    secret = "s3cret_Token-123"
    bridge = await bridge_factory(make_config(
        fake_tg, fake_rasa.url, webhook_url="https://bot.example.invalid/tg/hook",
        webhook_secret=secret, webhook_port=0))
    assert fake_tg.webhook["secret_token"] == secret
    assert fake_tg.webhook["url"] == "https://bot.example.invalid/tg/hook"
    url = f"http://127.0.0.1:{bridge.webhook_port}/tg/hook"
    update = fake_tg.message_update(CHAT, "xin chao")
    async with httpx.AsyncClient() as client:
        missing = await client.post(url, json=update)
        wrong = await client.post(url, json=update, headers={SECRET_HEADER: "nope"})
        near = await client.post(url, json=update, headers={SECRET_HEADER: secret[:-1]})
        assert (missing.status_code, wrong.status_code, near.status_code) == (403, 403, 403)
        await asyncio.sleep(0.2)
        assert not fake_rasa.requests and not fake_tg.sent
        good = await client.post(url, json=update, headers={SECRET_HEADER: secret})
        again = await client.post(url, json=update, headers={SECRET_HEADER: secret})
        assert good.status_code == again.status_code == 200
        bad = await client.post(url, content=b"{", headers={SECRET_HEADER: secret})
        assert bad.status_code == 400
    await fake_tg.wait_sent(1)
    await asyncio.sleep(0.2)
    assert fake_rasa.messages() == ["xin chao"] and len(fake_tg.sent) == 1


def test_webhook_mode_without_secret_refuses_to_start():
    config = TelegramConfig(token="1:x", webhook_url="https://bot.example.invalid/hook")
    with pytest.raises(ConfigError):
        TelegramBridge(config)
    with pytest.raises(ConfigError):
        dataclasses.replace(config, webhook_secret="has spaces").validate()
    with pytest.raises(ConfigError):
        TelegramConfig(token="").validate()


def test_config_from_env(monkeypatch):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:abc")
    monkeypatch.setenv("TELEGRAM_BASE_URL", "http://127.0.0.1:9/bot")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_URL", "https://x.invalid/a/b")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "abc")
    config = TelegramConfig.from_env()
    assert config.webhook_mode and config.route == "/a/b"
    assert config.base_url == "http://127.0.0.1:9/bot"


# -- units ----------------------------------------------------------------------------------


def test_command_parsing():
    assert command_of("/start") == "start"
    assert command_of("/Help@sonla_bot extra") == "help"
    assert command_of("hello /start") is None
    assert command_of('/ask_fee{"a": 1}') == 'ask_fee{"a":'


def test_button_keys_are_bounded_and_bound_to_their_chat():
    keys = ButtonKeys(size=3)
    first = keys.key_for(CHAT, "/a")
    for payload in ("/b", "/c", "/d"):
        keys.key_for(CHAT, payload)
    assert len(keys) == 3 and keys.payload_for(CHAT, first) is None
    latest = keys.key_for(CHAT, "/e")
    assert keys.payload_for(CHAT, latest) == "/e" and keys.payload_for(OTHER, latest) is None


async def test_rasa_client_maps_failures(fake_rasa):
    client = RasaClient(fake_rasa.url, timeout_s=1)
    replies = await client.send("telegram:1", "hi", "telegram")
    assert replies[0]["buttons"]
    await client.aclose()
    with pytest.raises(AssistantUnavailable):
        await RasaClient(f"http://127.0.0.1:{free_port()}", timeout_s=1).send("t:1", "x", "t")
