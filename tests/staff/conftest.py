"""Fixtures of the staff workflow tests: a temporary FAQ file, an admin server subprocess."""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

import bot.admin.models  # noqa: F401 - admin tables in create_schema
from bot.catalog.db import create_schema, make_engine, session_factory
from bot.config import ROOT
from bot.faq.source import FAQ_PATH
from tests.conftest import FIXTURE_CATALOG, load_catalog

PASSWORD = "mat-khau-that-dai-2026"


@pytest.fixture
def faq_file(tmp_path: Path) -> Path:
    """A copy of the real FAQ source that a test may change."""
    target = tmp_path / "faq.csv"
    shutil.copy(FAQ_PATH, target)
    return target


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, seconds: float = 30) -> None:
    """Wait until a URL answers."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise TimeoutError(url)


class AdminServer:
    """A running `python -m bot admin serve` on its own database and FAQ file."""

    def __init__(self, url: str, db_url: str, faq: Path, var_dir: Path):
        self.url, self.db_url, self.faq, self.var_dir = url, db_url, faq, var_dir

    def client(self) -> httpx.Client:
        """A fresh HTTP client (own cookie jar)."""
        return httpx.Client(base_url=self.url, follow_redirects=False, timeout=30)

    def login(self, client: httpx.Client, password: str = PASSWORD) -> httpx.Response:
        """Log in through the form (with its CSRF cookie)."""
        page = client.get("/login")
        token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        return client.post("/login", data={"csrf": token, "username": "canbo",
                                           "password": password})


def start_admin(tmp_path: Path, faq: Path | None, extra_env: dict[str, str]):
    """Start the admin server subprocess; return (process, AdminServer)."""
    db_url = f"sqlite:///{tmp_path / 'admin.db'}"
    engine = make_engine(db_url)
    create_schema(engine)
    load_catalog(engine, FIXTURE_CATALOG)
    from bot.admin.auth import add_user

    with session_factory(engine)() as session, session.begin():
        add_user(session, "canbo", PASSWORD)
    engine.dispose()
    port = free_port()
    env = {**os.environ, "DATABASE_URL": db_url, "BOT_VAR_DIR": str(tmp_path / "var"),
           "ADMIN_PORT": str(port), "ADMIN_HOST": "127.0.0.1", **extra_env}
    if faq is not None:
        env["FAQ_FILE"] = str(faq)
    process = subprocess.Popen([sys.executable, "-m", "bot", "admin", "serve"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=open(tmp_path / "admin.log", "w"))
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(url + "/health")
    except TimeoutError:
        process.kill()
        raise
    return process, AdminServer(url, db_url, faq or FAQ_PATH, tmp_path / "var")


@pytest.fixture
def admin_server(tmp_path: Path, faq_file: Path):
    """The admin page on a fresh database with the fixture catalogue and one user."""
    process, server = start_admin(tmp_path, faq_file, {"ADMIN_SESSION_SECONDS": "3"})
    yield server
    process.terminate()
    process.wait(timeout=10)
