"""The embedded tracker store: SQLite in WAL mode, and its in-memory sessions match the table."""
from __future__ import annotations

import sqlite3

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (ActionExecuted, BotUttered, SessionStarted, SlotSet,
                                     UserUttered)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_store import EmbeddedSQLiteTrackerStore

DOMAIN = Domain.from_dict({"slots": {"procedure_code": {
    "type": "text", "mappings": [{"type": "custom"}]}}})


def turn(n: int, start: float) -> list:
    """Events of one exchange, timestamps increasing."""
    return [UserUttered(f"câu hỏi {n}", {"name": "ask_fee", "confidence": 0.9},
                        timestamp=start),
            ActionExecuted("action_answer_procedure", timestamp=start + 0.1),
            BotUttered(f"trả lời {n}", timestamp=start + 0.2),
            SlotSet("procedure_code", f"1.00{n}", timestamp=start + 0.3),
            ActionExecuted("action_listen", timestamp=start + 0.4)]


def session_start(at: float) -> list:
    """The events Rasa adds when a conversation session starts."""
    return [ActionExecuted("action_session_start", timestamp=at),
            SessionStarted(timestamp=at + 0.01), ActionExecuted("action_listen", timestamp=at + 0.02)]


def dicts(tracker: DialogueStateTracker | None) -> list[dict]:
    """A tracker's events as dicts (what is compared)."""
    return [e.as_dict() for e in tracker.events] if tracker else []


@pytest.fixture
def db(tmp_path) -> str:
    return str(tmp_path / "tracker.db")


def test_sqlite_runs_in_wal_mode_with_normal_sync(db):
    store = EmbeddedSQLiteTrackerStore(db=db, domain=DOMAIN)
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    assert sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.parametrize("cached_senders", [256, 0])
async def test_conversation_reads_back_as_rasas_own_store_reads_it(db, cached_senders):
    ours = EmbeddedSQLiteTrackerStore(db=db, domain=DOMAIN, cached_senders=cached_senders)
    tracker = DialogueStateTracker.from_events("dan", session_start(1.0) + turn(1, 2.0), DOMAIN.slots)
    await ours.save(tracker)
    for n, start in ((2, 3.0), (3, 4.0)):
        tracker = await ours.retrieve("dan")
        for event in turn(n, start):
            tracker.update(event)
        await ours.save(tracker)
    # a new session: only its events are "the latest session"
    tracker = await ours.retrieve("dan")
    for event in session_start(10.0) + turn(4, 11.0):
        tracker.update(event)
    await ours.save(tracker)
    tracker = await ours.retrieve("dan")
    for event in turn(5, 12.0):
        tracker.update(event)
    await ours.save(tracker)

    rasa_store = SQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=db)
    expected = dicts(await rasa_store.retrieve("dan"))
    assert dicts(await ours.retrieve("dan")) == expected
    assert [e["event"] for e in expected][:2] == ["session_started", "action"]
    assert expected[1]["name"] == "action_listen"
    assert len(expected) == 2 + 10  # session start (its marker predates it) and two turns
    full = dicts(await rasa_store.retrieve_full_tracker("dan"))
    assert len(full) == 3 + 15 + 3 + 10  # nothing stored twice, nothing lost
    assert (await ours.retrieve("dan")).get_slot("procedure_code") == "1.005"


async def test_unknown_sender_and_eviction(db):
    store = EmbeddedSQLiteTrackerStore(db=db, domain=DOMAIN, cached_senders=2)
    assert await store.retrieve("nobody") is None
    for sender in ("a", "b", "c"):
        await store.save(DialogueStateTracker.from_events(sender, session_start(1.0) + turn(1, 2.0),
                                                          DOMAIN.slots))
        await store.retrieve(sender)
    assert len(store._sessions) == 2 and "a" not in store._sessions
    tracker = await store.retrieve("a")  # read back from the table
    tracker.update(UserUttered("nữa", {"name": "ask_fee", "confidence": 1.0}, timestamp=5.0))
    await store.save(tracker)
    fresh = SQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=db)
    assert dicts(await fresh.retrieve("a")) == dicts(await store.retrieve("a"))
    assert len(dicts(await fresh.retrieve("a"))) == 2 + 5 + 1
