"""Shared fixtures: fresh SQLite and PostgreSQL databases, loaded catalogues."""
from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.catalog.db import create_schema, make_engine, session_factory
from bot.catalog.loader import read_seed_files, upsert
from bot.config import ROOT, get_settings

FIXTURE_CATALOG = ROOT / "tests" / "fixtures" / "catalog"
REAL_CATALOG = get_settings().catalog_dir  # the shipped catalogue unless CATALOG_DIR says otherwise
PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def service_missing(reason: str) -> None:
    """Skip on a newcomer's laptop; fail in CI, where the servers must run."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must provide it: see .ci/run)")
    pytest.skip(f"{reason}: start it to run this test (see README, 'Tests')")


@pytest.fixture
def sqlite_engine(tmp_path: Path):
    """A fresh SQLite database with the schema."""
    engine = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
    create_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def pg_engine():
    """A fresh PostgreSQL database with the schema, dropped afterwards."""
    admin = make_engine(PG_ADMIN_URL)
    name = f"test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001
        service_missing(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {type(exc).__name__}")
    engine = make_engine(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}")
    create_schema(engine)
    yield engine
    engine.dispose()
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request):
    """The same test on SQLite and on PostgreSQL."""
    return request.getfixturevalue("sqlite_engine" if request.param == "sqlite" else "pg_engine")


def load_catalog(engine, directory: Path) -> None:
    """Load a seed directory into a database."""
    records = read_seed_files(directory)
    with session_factory(engine)() as session, session.begin():
        upsert(session, records, actor="test")


@pytest.fixture
def fixture_db(sqlite_engine):
    """SQLite database holding the small fixture catalogue."""
    load_catalog(sqlite_engine, FIXTURE_CATALOG)
    return sqlite_engine


@pytest.fixture(scope="session")
def real_db(tmp_path_factory):
    """SQLite database holding the real catalogue from data/catalog."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('real') / 'catalog.db'}")
    create_schema(engine)
    load_catalog(engine, REAL_CATALOG)
    yield engine
    engine.dispose()


ZALO_E2E = {"app_id": "3141592653589793238", "oa_id": "2718281828459045235"}
_STACK_FAILED: list[str] = []


@pytest.fixture(scope="session")
def rasa_stack(tmp_path_factory):
    """One real action server + Rasa for the whole session (REST, socket.io, and the Zalo
    channel enabled against a port reserved for the fake Zalo server the channel tests start)."""
    import json
    import secrets

    from tests.e2e.stack import free_port, start_stack

    if _STACK_FAILED:
        pytest.fail(f"assistant did not start: {_STACK_FAILED[0]}")
    var_dir = tmp_path_factory.mktemp("stack")
    zalo_port = free_port()
    token_file = var_dir / "zalo_tokens.json"
    token_file.write_text(json.dumps({"access_token": "AT-0", "refresh_token": "RT-0"}))
    env = {"ZALO_APP_ID": ZALO_E2E["app_id"], "ZALO_OA_ID": ZALO_E2E["oa_id"],
           "ZALO_OA_SECRET_KEY": secrets.token_hex(16), "ZALO_APP_SECRET": secrets.token_hex(16),
           "ZALO_TOKEN_FILE": str(token_file),
           "ZALO_API_BASE": f"http://127.0.0.1:{zalo_port}",
           "ZALO_OAUTH_BASE": f"http://127.0.0.1:{zalo_port}"}
    try:
        stack = start_stack(var_dir, extra_env=env)
    except RuntimeError as exc:
        _STACK_FAILED.append(str(exc))
        pytest.fail(str(exc))
    yield stack
    stack.stop()
