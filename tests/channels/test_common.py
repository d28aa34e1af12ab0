"""Shared channel helpers: splitting, dedupe memory, per-key ordering, pacing."""
from __future__ import annotations

import asyncio
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.channels._common import BoundedSet, KeyedSerial, Pacer, resolve_env_ref, split_text

paragraph = st.text(st.sampled_from("abc đế \n.12"), min_size=0, max_size=300)


@settings(max_examples=200, deadline=None)
@given(st.lists(paragraph, max_size=12), st.integers(min_value=5, max_value=400))
def test_split_keeps_every_word_and_respects_the_limit(paragraphs, limit):
    text = "\n\n".join(paragraphs)
    chunks = split_text(text, limit)
    assert all(0 < len(c) <= limit for c in chunks)
    assert "".join(text.split()) == "".join("".join(chunks).split())


def test_split_prefers_paragraphs():
    text = "a" * 50 + "\n\n" + "b" * 50 + "\n\n" + "c" * 50
    assert split_text(text, 110) == ["a" * 50 + "\n\n" + "b" * 50, "c" * 50]
    assert split_text("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]


def test_bounded_set_forgets_the_oldest():
    seen = BoundedSet(3)
    assert [seen.add_new(k) for k in (1, 2, 1, 3, 4, 5)] == [True, True, False, True, True, True]
    assert len(seen) == 3 and seen.add_new(2)            # 2 was evicted: bounded memory


async def test_keyed_serial_orders_per_key_and_frees_memory():
    runner, log = KeyedSerial(max_pending=2), []

    def job(key, i, delay):
        async def run():
            await asyncio.sleep(delay)
            log.append((key, i))
        return run

    assert runner.submit("a", job("a", 0, 0.1)) and runner.submit("a", job("a", 1, 0.0))
    assert not runner.submit("a", job("a", 2, 0.0))     # full: running + waiting = 2
    runner.submit("b", job("b", 0, 0.0))
    await runner.join()
    assert log[0] == ("b", 0) and [i for k, i in log if k == "a"] == [0, 1]
    assert runner.active_keys == 0


async def test_keyed_serial_survives_a_failing_job():
    runner, log = KeyedSerial(), []

    async def boom():
        raise RuntimeError("x")

    async def fine():
        log.append("ok")

    runner.submit(1, boom)
    runner.submit(1, fine)
    await runner.join()
    assert log == ["ok"]


async def test_pacer_spaces_sends_per_key():
    pacer = Pacer(per_key_s=0.1, global_s=0.0)
    start = time.monotonic()
    for _ in range(4):
        await pacer.wait("chat")
    await pacer.wait("other")
    assert 0.29 <= time.monotonic() - start < 0.6


def test_env_refs(monkeypatch):
    monkeypatch.setenv("SOME_SECRET", "v")
    assert resolve_env_ref("${SOME_SECRET}") == "v"
    assert resolve_env_ref("a${SOME_SECRET}") == "a${SOME_SECRET}" and resolve_env_ref(3) == 3
