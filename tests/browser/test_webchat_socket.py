"""Signed web-widget sessions at the socket.io level (python-socketio client, no browser).

The client uses long-polling: python-engineio 4.15's websocket client needs a newer aiohttp
than Rasa 3.6 pins. The events and checks are the same on both transports."""
from __future__ import annotations

import asyncio
from typing import Any

import pytest
import socketio

from bot.channels.webchat import issue_token, verify_token

SECRET = b"k" * 48
pytestmark = pytest.mark.timeout(90)


class Client:
    """A python-socketio client that records every event it receives."""

    def __init__(self) -> None:
        """Create the client and its event log."""
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: list[tuple[str, Any]] = []
        self.sio.on("*", self._record)

    async def _record(self, event: str, data: Any = None) -> None:
        """Remember one server event."""
        self.events.append((event, data))

    def named(self, event: str) -> list[Any]:
        """Payloads received for one event name."""
        return [data for name, data in self.events if name == event]

    async def wait_for(self, event: str, count: int = 1, timeout: float = 10.0) -> list[Any]:
        """Wait until `count` events of that name arrived."""
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.named(event)) < count:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"no {event} in {self.events}")
            await asyncio.sleep(0.05)
        return self.named(event)

    async def close(self) -> None:
        """Disconnect, without waiting on a long-poll the server may hold for 25 s."""
        task = self.sio.eio.read_loop_task
        await self.sio.eio.disconnect(abort=True)
        if task is not None and not task.done():
            task.cancel()

    async def open(self, url: str, token: str | None = None) -> None:
        """Connect and ask for a session (new, or the one named by the token)."""
        await self.sio.connect(url, transports=["polling"], wait_timeout=10)
        await self.sio.emit("session_request", {"session_id": token})


def test_tokens_round_trip_and_reject_tampering() -> None:
    """A token verifies; a changed id, signature, time or secret does not; old ones expire."""
    session_id, token = issue_token(SECRET, now=1_000_000)
    assert verify_token(token, SECRET, now=1_000_010) == (session_id, "ok")
    sid, issued, sig = token.split(".")
    other_id, other = issue_token(SECRET, now=1_000_000)
    assert verify_token(f"{other_id}.{issued}.{sig}", SECRET, now=1_000_010)[0] is None
    assert verify_token(f"{sid}.{issued}.{other.split('.')[2]}", SECRET, now=1_000_010)[0] is None
    assert verify_token(f"{sid}.{int(issued) + 1}.{sig}", SECRET, now=1_000_010)[0] is None
    assert verify_token(token, b"x" * 48, now=1_000_010)[0] is None
    assert verify_token(token, SECRET, max_age_s=60, now=1_000_061) == (None, "expired")
    for bad in (None, "", session_id, "../etc", 42, {"id": 1}, token + "x", token.upper()):
        assert verify_token(bad, SECRET)[0] is None


async def test_new_session_is_issued_and_answered(fake_bot) -> None:
    """No id: the server issues a signed one; messages are answered in that session."""
    client = Client()
    await client.open(fake_bot.url)
    token = (await client.wait_for("session_confirm"))[0]
    session_id, reason = token.split(".")[0], "ok"
    assert len(session_id) == 32 and reason == "ok"
    ack = await client.sio.call("user_uttered", {"message": "mật khẩu là Abc12345",
                                                 "session_id": token}, timeout=10)
    assert ack is True
    reply = (await client.wait_for("bot_uttered"))[0]
    assert "Abc12345" not in reply["text"] and "[password]" in reply["text"]
    received = fake_bot.received()
    assert received[-1]["sender"] == session_id and "Abc12345" not in received[-1]["text"]
    await client.close()


async def test_reconnect_with_own_token_keeps_session(fake_bot) -> None:
    """The id the server gave is accepted again after a reconnect."""
    first = Client()
    await first.open(fake_bot.url)
    token = (await first.wait_for("session_confirm"))[0]
    await first.close()
    again = Client()
    await again.open(fake_bot.url, token)
    assert (await again.wait_for("session_confirm"))[0] == token
    await again.close()


@pytest.mark.parametrize("forge", ["bare_id", "spliced", "bad_signature", "garbage"])
async def test_foreign_session_id_is_refused(fake_bot, forge: str) -> None:
    """Someone presenting an id they were not given joins nothing and reads nothing."""
    victim = Client()
    await victim.open(fake_bot.url)
    victim_token = (await victim.wait_for("session_confirm"))[0]
    victim_id = victim_token.split(".")[0]

    attacker = Client()
    await attacker.open(fake_bot.url)
    own = (await attacker.wait_for("session_confirm"))[0]
    _, issued, signature = own.split(".")
    forged = {"bare_id": victim_id,
              "spliced": f"{victim_id}.{issued}.{signature}",
              "bad_signature": f"{victim_id}.{issued}.{'A' * 43}",
              "garbage": "<script>alert(1)</script>"}[forge]
    await attacker.sio.emit("session_request", {"session_id": forged})
    refused = (await attacker.wait_for("session_refused"))[0]
    assert refused["reason"] == "invalid" and refused["message"]
    assert len(attacker.named("session_confirm")) == 1  # only its own, earlier one

    # Without a session, nothing it sends is handed to the bot, even naming the victim.
    before = len(fake_bot.received())
    ack = await attacker.sio.call("user_uttered", {"message": "xin chào",
                                                   "session_id": victim_token}, timeout=10)
    assert ack is False
    assert (await attacker.wait_for("session_refused", 2))[1]["reason"] == "no_session"
    assert len(fake_bot.received()) == before

    # The victim's conversation goes on, and the attacker receives none of it.
    await victim.sio.call("user_uttered", {"message": "câu hỏi riêng tư",
                                           "session_id": victim_token}, timeout=10)
    await victim.wait_for("bot_uttered")
    await asyncio.sleep(0.3)
    assert attacker.named("bot_uttered") == []
    await attacker.close()
    await victim.close()


async def test_message_naming_another_session_is_refused(fake_bot) -> None:
    """A socket bound to its own session cannot post into another one by naming it."""
    victim, attacker = Client(), Client()
    await victim.open(fake_bot.url)
    await attacker.open(fake_bot.url)
    victim_token = (await victim.wait_for("session_confirm"))[0]
    await attacker.wait_for("session_confirm")
    before = len(fake_bot.received())
    ack = await attacker.sio.call("user_uttered", {"message": "xin chào",
                                                   "session_id": victim_token}, timeout=10)
    assert ack is False and len(fake_bot.received()) == before
    await asyncio.sleep(0.3)
    assert victim.named("bot_uttered") == []
    await attacker.close()
    await victim.close()


async def test_message_before_any_session_is_refused(fake_bot) -> None:
    """A socket that never asked for a session gets no answer."""
    client = Client()
    await client.sio.connect(fake_bot.url, transports=["polling"], wait_timeout=10)
    ack = await client.sio.call("user_uttered", {"message": "xin chào"}, timeout=10)
    assert ack is False
    assert (await client.wait_for("session_refused"))[0]["reason"] == "no_session"
    assert client.named("bot_uttered") == []
    await client.close()


async def test_bot_failure_is_answered_not_silent(fake_bot) -> None:
    """When handling fails, the resident is told so instead of waiting forever."""
    client = Client()
    await client.open(fake_bot.url)
    token = (await client.wait_for("session_confirm"))[0]
    await client.sio.call("user_uttered", {"message": "crash", "session_id": token}, timeout=10)
    assert "gián đoạn" in (await client.wait_for("bot_uttered"))[0]["text"]
    await client.sio.call("user_uttered", {"message": "/restart", "session_id": token},
                          timeout=10)
    assert "bắt đầu lại" in (await client.wait_for("bot_uttered", 2))[1]["text"].lower()
    await client.close()
