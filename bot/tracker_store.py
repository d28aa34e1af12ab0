"""The conversation store of the embedded default: Rasa's SQL tracker store on a SQLite file,
with the journal settings a single-process server wants.

Rasa opens SQLite with its defaults (rollback journal, `synchronous=FULL`): every message's
commit waits for several fsyncs. In WAL mode with `synchronous=NORMAL`, a commit only appends
to the write-ahead log; a crash of the process loses nothing, a power cut can lose the last
moments of conversations (never the catalogue, which lives in its own database).

The embedded default runs one Rasa process (in-memory lock store), so this process is the only
writer: it keeps the latest conversation session of recently active residents in memory
(write-through, bounded) and skips the SQL read and count that Rasa makes on every message.
Production (PostgreSQL, several workers) keeps Rasa's `type: SQL` store (endpoints.prod.yml).
"""
from __future__ import annotations

import itertools
import json
from collections import OrderedDict
from typing import Any, Iterator, NamedTuple, Optional

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import create_engine, event
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool

SQLITE_PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL")
DEFAULT_CACHED_SENDERS = 256


def _apply_pragmas(connection: Any, _record: Any) -> None:
    """Set the journal pragmas on every new SQLite connection."""
    cursor = connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


class StoredEvent(NamedTuple):
    """One row of Rasa's events table: what `retrieve` needs of it."""

    type_name: str
    timestamp: Optional[float]
    data: str

    @classmethod
    def of(cls, event_dict: dict) -> "StoredEvent":
        """The row Rasa's save writes for an event."""
        return cls(event_dict.get("event", ""), event_dict.get("timestamp"),
                   json.dumps(event_dict))


class EmbeddedSQLiteTrackerStore(SQLTrackerStore):
    """SQLTrackerStore on a SQLite file (`db`), in WAL mode with `synchronous=NORMAL`."""

    def __init__(self, db: str = "rasa.db", cached_senders: int = DEFAULT_CACHED_SENDERS,
                 **kwargs: Any) -> None:
        """Open the SQLite file; other arguments as for Rasa's SQLTrackerStore."""
        kwargs.pop("dialect", None)
        super().__init__(dialect="sqlite", db=db, **kwargs)
        # SQLAlchemy 1.4 opens a new connection per session on a SQLite file (NullPool): keep
        # the connections instead (Rasa uses them from the server's event loop thread only)
        url = self.engine.url
        self.engine.dispose()
        self.engine = create_engine(url, poolclass=QueuePool, pool_size=2, max_overflow=2,
                                    connect_args={"check_same_thread": False})
        event.listen(self.engine, "connect", _apply_pragmas)
        self.sessionmaker = sessionmaker(bind=self.engine)
        self._cached_senders = max(int(cached_senders), 0)
        # sender -> stored events (JSON text, as in the table) of the latest session
        self._sessions: OrderedDict[str, list[StoredEvent]] = OrderedDict()

    async def retrieve(self, sender_id: str) -> Optional[DialogueStateTracker]:
        """The latest session of a conversation, from memory when this process has it."""
        events = self._sessions.get(sender_id)
        if events is None:
            events = self._read_latest_session(sender_id)
            self._remember(sender_id, events)
        else:
            self._sessions.move_to_end(sender_id)
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, [json.loads(e.data) for e in events],
                                                  self.domain.slots)
        return None

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Store the new events (Rasa's save), then update the remembered session."""
        known = self._sessions.get(tracker.sender_id)
        await super().save(tracker)
        if known is None:
            self._sessions.pop(tracker.sender_id, None)
            return
        added = [StoredEvent.of(e.as_dict())
                 for e in itertools.islice(tracker.events, len(known), None)]
        self._remember(tracker.sender_id, latest_session(known + added))

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator:
        """Events not stored yet; counted in memory when the session is remembered."""
        known = self._sessions.get(tracker.sender_id)
        if known is None:
            return super()._additional_events(session, tracker)
        return itertools.islice(tracker.events, len(known), len(tracker.events))

    def _read_latest_session(self, sender_id: str) -> list[StoredEvent]:
        """The stored events of the latest session (Rasa's query)."""
        with self.session_scope() as session:
            rows = self._event_query(session, sender_id,
                                     fetch_events_from_all_sessions=False).all()
            return [StoredEvent(row.type_name, row.timestamp, row.data) for row in rows]

    def _remember(self, sender_id: str, events: list[StoredEvent]) -> None:
        """Keep a sender's latest session, forgetting the least recently active beyond the limit."""
        if not self._cached_senders:
            return
        self._sessions[sender_id] = events
        self._sessions.move_to_end(sender_id)
        while len(self._sessions) > self._cached_senders:
            self._sessions.popitem(last=False)


def latest_session(events: list[StoredEvent]) -> list[StoredEvent]:
    """Events from the latest session start on, as Rasa's SQL query selects them."""
    starts = [e.timestamp for e in events
              if e.type_name == SessionStarted.type_name and e.timestamp is not None]
    if not starts:
        return events
    start = max(starts)
    return [e for e in events if e.timestamp is not None and e.timestamp >= start]
