"""Queries on the catalogue; every function takes the session explicitly."""
from __future__ import annotations

import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.catalog.models import Feedback, Procedure, Unanswered
from bot.catalog.search import CatalogIndex, Match, entry_from_record


def get_procedure(session: Session, code: str) -> Procedure | None:
    """The procedure with this national code, or None."""
    return session.execute(select(Procedure).where(Procedure.code == code)).scalar_one_or_none()


def catalog_version(session: Session) -> tuple[int, str]:
    """A cheap fingerprint that changes whenever a procedure is added or edited."""
    count, latest = session.execute(
        select(func.count(Procedure.id), func.max(Procedure.updated_at))).one()
    return int(count or 0), str(latest)


def build_index(session: Session) -> CatalogIndex:
    """Build the search index from the procedures in the database."""
    rows = session.execute(select(Procedure.code, Procedure.name, Procedure.aliases)).all()
    return CatalogIndex([entry_from_record(code, name, aliases or []) for code, name, aliases in rows])


@dataclass
class _Cached:
    version: tuple[int, str]
    index: CatalogIndex
    checked_at: float


class IndexCache:
    """Keeps one index per process and rebuilds it when the catalogue changes."""

    def __init__(self, session_maker: Callable[[], Session], check_every_s: float = 2.0):
        self._session_maker = session_maker
        self._check_every_s = check_every_s
        self._cached: _Cached | None = None
        self._lock = threading.Lock()

    def get(self) -> CatalogIndex:
        """The current index, rebuilt at most once per change of the catalogue."""
        now = time.monotonic()
        cached = self._cached
        if cached and now - cached.checked_at < self._check_every_s:
            return cached.index
        with self._lock, self._session_maker() as session:
            version = catalog_version(session)
            if self._cached is None or self._cached.version != version:
                self._cached = _Cached(version, build_index(session), now)
            else:
                self._cached.checked_at = now
            return self._cached.index

    def search(self, query: str, limit: int = 3) -> list[Match]:
        """Search the current index."""
        return self.get().search(query, limit=limit)


def record_unanswered(session: Session, text: str, channel: str, intent: str | None,
                      confidence: float | None) -> None:
    """Queue a (masked) message the assistant could not answer; the caller commits."""
    session.add(Unanswered(text=text[:2000], channel=channel, intent=intent, confidence=confidence))


def record_feedback(session: Session, helpful: bool, channel: str,
                    procedure_code: str | None = None, faq_id: str | None = None) -> None:
    """Store whether an answer helped; the caller commits."""
    session.add(Feedback(helpful=helpful, channel=channel, procedure_code=procedure_code,
                         faq_id=faq_id))


def index_from_seed_files(directory: Path) -> CatalogIndex:
    """Search index of a seed directory, built through a throwaway SQLite database."""
    from bot.catalog.db import create_schema, make_engine, session_factory
    from bot.catalog.loader import read_seed_files, upsert

    with tempfile.TemporaryDirectory(prefix="catalog-index-") as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'catalog.db'}")
        create_schema(engine)
        with session_factory(engine)() as session, session.begin():
            upsert(session, read_seed_files(directory), actor="index")
        with session_factory(engine)() as session:
            index = build_index(session)
        engine.dispose()
    return index
