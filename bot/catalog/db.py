"""Database engine and sessions (SQLite by default, any SQLAlchemy URL via DATABASE_URL)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.config import get_settings
from bot.catalog.models import Base


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    """Turn on WAL and foreign keys for SQLite connections."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """Create an engine for a URL, preparing the folder of a SQLite file."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    kwargs: dict = {"future": True, "pool_pre_ping": True}
    if not url.startswith("sqlite"):
        kwargs.update(pool_size=5, max_overflow=5, pool_timeout=5,
                      connect_args={"connect_timeout": 5})
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


@lru_cache(maxsize=8)
def get_engine(url: str | None = None) -> Engine:
    """Return the shared engine for a URL (the configured one by default)."""
    return make_engine(url or get_settings().database_url)


def session_factory(engine: Engine) -> sessionmaker:
    """A sessionmaker bound to an engine, in SQLAlchemy 2.0 style."""
    return sessionmaker(engine, future=True, expire_on_commit=False)


def create_schema(engine: Engine) -> None:
    """Create all tables that do not exist yet."""
    Base.metadata.create_all(engine)


def new_session(engine: Engine | None = None) -> Session:
    """Open a session on the given engine or the configured one."""
    return Session(engine or get_engine(), future=True, expire_on_commit=False)
