"""Zalo OA channel against a fake Zalo OpenAPI + OAuth server, with a scripted assistant."""
from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import hmac
import json
import os
import stat
import time
from pathlib import Path

import httpx
import pytest
import yaml
from rasa.core.channels.channel import UserMessage

from bot.channels import credentials as credentials_module
from bot.channels.messages import message
from bot.channels.zalo import (SIGNATURE_HEADER, ZaloApi, ZaloConfig, ZaloInput, ZaloSendError,
                               zalo_credentials)
from tests.channels.fakes import FakeZalo, sign, zalo_event

APP_ID, OA_SECRET, APP_SECRET, OA_ID = "1234567890123456789", "oa-secret", "app-secret", "579"
USER = "8123456789012345678"
FEE_PAYLOAD = '/ask_fee{"procedure_code": "1.001193"}'


class Assistant:
    """Stands in for Rasa's on_new_message: records messages and answers through the channel."""

    def __init__(self, mode: str = "ok", delay_s: float = 0.0) -> None:
        """mode: ok | raise | silent | long."""
        self.mode, self.delay_s = mode, delay_s
        self.received: list[UserMessage] = []

    async def __call__(self, msg: UserMessage) -> None:
        self.received.append(msg)
        await asyncio.sleep(self.delay_s)
        if self.mode == "raise":
            raise RuntimeError("assistant crashed")
        if self.mode == "silent":
            return
        out, sender = msg.output_channel, msg.sender_id
        if self.mode == "long":
            text = "\n\n".join(f"Mục {i}: " + "giấy tờ cần nộp " * 30 for i in range(12))
            await out.send_response(sender, {"text": text.strip()})
        elif msg.text.startswith("/ask_fee"):
            await out.send_response(sender, {"text": "Lệ phí: miễn phí."})
        else:
            await out.send_response(sender, {
                "text": "Thủ tục 1.001193: Đăng ký khai sinh.",
                "buttons": [{"title": t, "payload": f"/ask_{t}"} for t in "abcde"][:4]
                + [{"title": "Lệ phí", "payload": FEE_PAYLOAD},
                   {"title": "Thừa", "payload": "/extra"}]})

    @property
    def texts(self) -> list[str]:
        """Texts the assistant received."""
        return [m.text for m in self.received]


@pytest.fixture
async def fake_zalo():
    fake = await FakeZalo(app_id=APP_ID, app_secret=APP_SECRET).start()
    yield fake
    await fake.stop()


@pytest.fixture
def config(fake_zalo, tmp_path) -> ZaloConfig:
    tokens = tmp_path / "tokens.json"
    tokens.write_text(json.dumps({"access_token": "AT-0", "refresh_token": "RT-0"}))
    return ZaloConfig(app_id=APP_ID, oa_secret_key=OA_SECRET, app_secret=APP_SECRET,
                      oa_id=OA_ID, token_file=str(tokens), api_base=fake_zalo.url,
                      oauth_base=fake_zalo.url, backoff_s=0.01)


@pytest.fixture
async def channel(config):
    chan = ZaloInput(config)
    yield chan
    await chan.state.users.join(5)
    await chan.api.aclose()


def signed(event: dict, secret: str = OA_SECRET) -> tuple[str, bytes]:
    """Header and raw body of a correctly signed delivery."""
    body = json.dumps(event, ensure_ascii=False).encode()
    return sign(APP_ID, body, event["timestamp"], secret), body


async def deliver(channel: ZaloInput, assistant, event: dict) -> tuple[int, str]:
    """Deliver one signed event as the webhook would."""
    header, body = signed(event)
    return channel.accept(header, body, assistant)


async def test_conversation_with_button_press_end_to_end(channel, fake_zalo):
    assistant = Assistant()
    assert await deliver(channel, assistant, zalo_event(APP_ID, USER, text="khai sinh")) \
        == (200, "ok")
    await fake_zalo.wait_sent(1)
    first = fake_zalo.sent[0]
    assert first["recipient"] == {"user_id": USER}
    attachment = first["message"]["attachment"]
    assert attachment["type"] == "template"
    buttons = attachment["payload"]["buttons"]
    assert len(buttons) == 5 and all(b["type"] == "oa.query.hide" for b in buttons)
    assert buttons[4] == {"title": "Lệ phí", "type": "oa.query.hide", "payload": FEE_PAYLOAD}
    msg = assistant.received[0]
    assert msg.sender_id == f"zalo:{USER}" and msg.input_channel == "zalo"
    # an oa.query.hide tap arrives as user text carrying the payload
    await deliver(channel, assistant, zalo_event(APP_ID, USER, text=FEE_PAYLOAD))
    # and the click-event variant (VERIFY) is understood too
    await deliver(channel, assistant, zalo_event(APP_ID, USER, "user_click_button",
                                                 payload=FEE_PAYLOAD))
    await fake_zalo.wait_sent(3)
    assert assistant.texts == ["khai sinh", FEE_PAYLOAD, FEE_PAYLOAD]
    assert fake_zalo.user_texts(USER)[1:] == ["Lệ phí: miễn phí."] * 2


async def test_long_button_payload_uses_a_server_side_key(channel, fake_zalo):
    channel.config = dataclasses.replace(channel.config, button_payload_max=20)
    channel.api.config = channel.config
    assistant = Assistant()
    await deliver(channel, assistant, zalo_event(APP_ID, USER, text="khai sinh"))
    await fake_zalo.wait_sent(1)
    key = fake_zalo.sent[0]["message"]["attachment"]["payload"]["buttons"][4]["payload"]
    assert key.startswith("#btn:") and len(key) < 30
    await deliver(channel, assistant, zalo_event(APP_ID, USER, text=key))
    await deliver(channel, assistant, zalo_event(APP_ID, "777", text=key))          # foreign
    await deliver(channel, assistant, zalo_event(APP_ID, USER, text="#btn:expired"))
    await fake_zalo.wait_sent(4)
    await channel.state.users.join(5)
    assert assistant.texts == ["khai sinh", FEE_PAYLOAD]
    assert fake_zalo.user_texts("777") == [message("button_expired")]
    assert fake_zalo.user_texts(USER)[-1] == message("button_expired")


@pytest.mark.parametrize("case", ["forged", "wrong_secret", "hmac", "tampered", "stale",
                                  "future", "missing", "no_prefix", "foreign_app",
                                  "no_timestamp"])
async def test_bad_signatures_are_rejected_without_processing(channel, fake_zalo, case):
    assistant = Assistant()
    now_ms = int(time.time() * 1000)
    event = zalo_event(APP_ID, USER, text="xin chao")
    header, body = signed(event)
    if case == "forged":
        header = "mac=" + "0" * 64
    elif case == "wrong_secret":
        header, body = signed(event, secret="guess")
    elif case == "hmac":
        mac = hmac.new(OA_SECRET.encode(), body, hashlib.sha256).hexdigest()
        header = f"mac={mac}"
    elif case == "tampered":
        body = body.replace(b"xin chao", b"xin chaO")
    elif case in ("stale", "future"):
        shift = -10 * 60 * 1000 if case == "stale" else 10 * 60 * 1000
        event = zalo_event(APP_ID, USER, text="xin chao", timestamp_ms=now_ms + shift)
        header, body = signed(event)                 # correctly signed, but replayed/too early
    elif case == "missing":
        header = ""
    elif case == "no_prefix":
        header = header[4:]
    elif case == "foreign_app":
        event = dict(event, app_id="999")
        body = json.dumps(event).encode()
        header = sign(APP_ID, body, event["timestamp"], OA_SECRET)
    elif case == "no_timestamp":
        event = {k: v for k, v in event.items() if k != "timestamp"}
        body = json.dumps(event).encode()
        header = sign(APP_ID, body, "", OA_SECRET)
    status, _ = channel.accept(header, body, assistant)
    assert status == (401 if case == "missing" else 403)
    await asyncio.sleep(0.1)
    assert not assistant.received and fake_zalo.send_calls == 0


async def test_duplicate_deliveries_are_answered_once(channel, fake_zalo):
    assistant = Assistant()
    event = zalo_event(APP_ID, USER, text="ho chieu", msg_id="abc123")
    header, body = signed(event)
    results = [channel.accept(header, body, assistant) for _ in range(3)]
    mid_event = zalo_event(APP_ID, USER, text="khac")
    mid_event["message"] = {"mid": "m-1", "text": "khac"}
    results += [await deliver(channel, assistant, mid_event) for _ in range(2)]
    assert [r[1] for r in results] == ["ok", "duplicate", "duplicate", "ok", "duplicate"]
    await channel.state.users.join(5)
    assert assistant.texts == ["ho chieu", "khac"]
    assert len(fake_zalo.sent) == 2


@pytest.mark.parametrize("event", [
    zalo_event(APP_ID, OA_ID, "oa_send_text", text="echo of our own answer"),
    zalo_event(APP_ID, OA_ID, "user_send_text", text="sender is the OA itself"),
    zalo_event(APP_ID, USER, "follow"),
    zalo_event(APP_ID, USER, "user_seen_message"),
    {**zalo_event(APP_ID, USER, text="x"), "sender": {}},
])
async def test_echoes_and_non_user_events_are_ignored(channel, fake_zalo, event):
    assistant = Assistant()
    assert (await deliver(channel, assistant, event))[0] == 200
    await asyncio.sleep(0.1)
    assert not assistant.received and fake_zalo.send_calls == 0


@pytest.mark.parametrize("name", ["user_send_image", "user_send_sticker", "user_send_audio",
                                  "user_send_file", "user_send_location"])
async def test_non_text_events_get_text_only(channel, fake_zalo, name):
    assistant = Assistant()
    await deliver(channel, assistant, zalo_event(APP_ID, USER, name))
    await fake_zalo.wait_sent(1)
    assert fake_zalo.user_texts(USER) == [message("text_only")] and not assistant.received


async def test_webhook_acknowledges_before_the_assistant_answers(channel, fake_zalo):
    assistant = Assistant(delay_s=3.0)
    started = time.monotonic()
    status, _ = await deliver(channel, assistant, zalo_event(APP_ID, USER, text="cham"))
    assert status == 200 and time.monotonic() - started < 0.5
    assert not fake_zalo.sent
    await fake_zalo.wait_sent(1, timeout=10)


@pytest.mark.parametrize("mode", ["raise", "silent"])
async def test_assistant_down_sends_an_apology(channel, fake_zalo, mode):
    await deliver(channel, Assistant(mode), zalo_event(APP_ID, USER, text="xin chao"))
    await fake_zalo.wait_sent(1)
    assert fake_zalo.user_texts(USER) == [message("assistant_down")]


async def test_long_answer_is_split_under_2000(channel, fake_zalo):
    await deliver(channel, Assistant("long"), zalo_event(APP_ID, USER, text="ho so"))
    await channel.state.users.join(5)
    texts = fake_zalo.user_texts(USER)
    assert len(texts) >= 3 and all(len(t) < 2000 for t in texts)
    assert all(t.startswith("Mục ") for t in texts)


async def test_secrets_are_masked_before_the_assistant(channel, fake_zalo):
    assistant = Assistant()
    await deliver(channel, assistant, zalo_event(APP_ID, USER, text="cccd 034095001234 ok"))
    await channel.state.users.join(5)
    assert assistant.texts == ["cccd [id_number] ok"]
    assert assistant.received[0].metadata["secrets"] == ["id_number"]


# -- tokens and sending ---------------------------------------------------------------------


async def test_ten_concurrent_refreshes_make_one_call(config, fake_zalo):
    api = ZaloApi(config)
    try:
        fake_zalo.refresh_delay_s = 0.2
        tokens = await asyncio.gather(*(api.tokens.refresh("AT-0") for _ in range(10)))
        assert fake_zalo.refresh_calls == 1 and set(tokens) == {"AT-1"}
        stored = json.loads(Path(config.token_file).read_text())
        assert stored["access_token"] == "AT-1" and stored["refresh_token"] == "RT-1"
        assert stored["expires_at"] > time.time() + 80000
        assert stat.S_IMODE(os.stat(config.token_file).st_mode) == 0o600
        assert not [p for p in Path(config.token_file).parent.iterdir()
                    if p.name.startswith(".tokens")]          # no temp files left behind
    finally:
        await api.aclose()


async def test_expired_token_is_refreshed_once_and_the_send_retried(config, fake_zalo):
    fake_zalo.access_token = "AT-server-side-rotated"     # our AT-0 is now invalid
    api = ZaloApi(config)
    try:
        await asyncio.gather(*(api.send(USER, {"text": f"t{i}"}) for i in range(10)))
        assert fake_zalo.refresh_calls == 1 and len(fake_zalo.sent) == 10
    finally:
        await api.aclose()


async def test_new_api_instance_reads_the_persisted_pair(config, fake_zalo):
    api = ZaloApi(config)
    await api.tokens.refresh("AT-0")
    await api.aclose()
    fresh = ZaloApi(config)
    try:
        assert await fresh.tokens.access_token() == "AT-1"
        await fresh.send(USER, {"text": "x"})
        assert fake_zalo.refresh_calls == 1
    finally:
        await fresh.aclose()


async def test_failed_refresh_keeps_the_stored_pair(config, fake_zalo):
    fake_zalo.refresh_token = "RT-someone-else"          # ours was already used
    fake_zalo.access_token = "AT-other"
    api = ZaloApi(config)
    try:
        with pytest.raises(ZaloSendError):
            await api.send(USER, {"text": "x"})
        assert json.loads(Path(config.token_file).read_text())["refresh_token"] == "RT-0"
    finally:
        await api.aclose()


async def test_error_codes_and_retries(config, fake_zalo):
    api = ZaloApi(config)
    try:
        fake_zalo.scripted = [(200, {"error": -32, "message": "rate limit"}),
                              (503, {"error": -1})]
        await api.send(USER, {"text": "retried"})                     # -32, 503, then OK
        assert fake_zalo.send_calls == 3 and fake_zalo.user_texts(USER) == ["retried"]
        fake_zalo.scripted = [(200, {"error": -230, "message": "user not interacted"})]
        with pytest.raises(ZaloSendError) as err:
            await api.send(USER, {"text": "not retried"})
        assert err.value.code == -230 and fake_zalo.send_calls == 4  # non-retryable: one call
        fake_zalo.scripted = [(500, {})] * 5
        with pytest.raises(ZaloSendError):
            await api.send(USER, {"text": "bounded"})
        assert fake_zalo.send_calls == 4 + config.max_attempts
    finally:
        await api.aclose()


async def test_read_timeout_is_not_retried(config):
    async def slow(request):
        await asyncio.sleep(1)
        return web.json_response({"error": 0})

    from aiohttp import web
    from tests.channels.fakes import start_app
    app = web.Application()
    calls = []
    app.router.add_post("/v3.0/oa/message/cs", lambda r: calls.append(1) or slow(r))
    runner, url = await start_app(app)
    api = ZaloApi(dataclasses.replace(config, api_base=url, http_timeout_s=0.2))
    try:
        with pytest.raises(ZaloSendError):
            await api.send(USER, {"text": "maybe delivered"})
        assert len(calls) == 1                                    # no duplicate answer
    finally:
        await api.aclose()
        await runner.cleanup()


# -- configuration --------------------------------------------------------------------------


def test_credentials_from_environment(monkeypatch, tmp_path):
    for var in ("ZALO_APP_ID", "ZALO_OA_SECRET_KEY"):
        monkeypatch.delenv(var, raising=False)
    assert zalo_credentials() is None
    monkeypatch.setenv("ZALO_APP_ID", APP_ID)
    monkeypatch.setenv("ZALO_OA_SECRET_KEY", OA_SECRET)
    monkeypatch.setenv("ZALO_APP_SECRET", APP_SECRET)
    monkeypatch.setenv("ZALO_API_BASE", "http://127.0.0.1:9")
    monkeypatch.setenv("ZALO_TOKEN_FILE", str(tmp_path / "t.json"))
    monkeypatch.setenv("ZALO_CLICK_EVENTS", "user_click_button,user_send_postback")
    section = zalo_credentials()
    assert section["oa_secret_key"] == "${ZALO_OA_SECRET_KEY}"       # no secret in the file
    written = yaml.safe_dump(credentials_module.active_credentials())
    assert OA_SECRET not in written and APP_SECRET not in written
    assert "bot.channels.zalo.ZaloInput" in credentials_module.active_credentials()
    chan = ZaloInput.from_credentials(yaml.safe_load(yaml.safe_dump(section)))
    assert chan.config.oa_secret_key == OA_SECRET and chan.config.app_secret == APP_SECRET
    assert chan.config.click_events == ("user_click_button", "user_send_postback")
    assert chan.config.api_base == "http://127.0.0.1:9" and chan.name() == "zalo"
    with pytest.raises(ValueError):
        ZaloInput.from_credentials({"app_id": APP_ID})


async def test_http_webhook_through_sanic(channel, fake_zalo):
    """The real blueprint served by Sanic: signature checked on the raw body, 200 fast."""
    from sanic import Sanic
    from tests.channels.test_telegram import free_port

    assistant = Assistant()
    app = Sanic(f"zalo_test_{time.time_ns()}")
    app.blueprint(channel.blueprint(assistant), url_prefix="/webhooks/zalo")
    port = free_port()
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True,
                                     access_log=False)
    await server.startup()
    try:
        event = zalo_event(APP_ID, USER, text="khai sinh")
        header, body = signed(event)
        url = f"http://127.0.0.1:{port}/webhooks/zalo/webhook"
        async with httpx.AsyncClient() as client:
            assert (await client.post(url, content=body)).status_code == 401
            bad = await client.post(url, content=body, headers={SIGNATURE_HEADER: "mac=00"})
            assert bad.status_code == 403
            good = await client.post(url, content=body, headers={SIGNATURE_HEADER: header})
            assert good.status_code == 200
        await fake_zalo.wait_sent(1)
        assert assistant.texts == ["khai sinh"]
    finally:
        server.close()
        await server.wait_closed()
