"""Start the real action server and Rasa (trained model) on free ports, for end-to-end tests."""
from __future__ import annotations

import os
import secrets
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bot.catalog.db import create_schema, make_engine
from bot.config import ROOT
from bot.training import model_path

VENV_BIN = ROOT / ".venv" / "bin"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Stack:
    """A running assistant: URLs, files and processes."""

    url: str
    action_url: str
    model_path: Path
    var_dir: Path
    database_url: str
    tracker_db: Path
    env: dict
    token: str = ""
    processes: list = field(default_factory=list)

    def say(self, sender: str, message: str, timeout: float = 30.0) -> list[dict]:
        """Send a message over REST and return the bot's replies."""
        reply = httpx.post(f"{self.url}/webhooks/rest/webhook",
                           json={"sender": sender, "message": message}, timeout=timeout)
        reply.raise_for_status()
        return reply.json()

    def logs(self) -> str:
        """Everything both servers logged so far."""
        return "".join(p.read_text(encoding="utf-8", errors="replace")
                       for p in sorted(self.var_dir.glob("*.log")))

    def stop(self) -> None:
        """Terminate both servers."""
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_ready(url: str, processes: list, log_dir: Path, timeout_s: float = 240.0) -> None:
    """Wait until the URL answers, failing early when a server exits."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                raise RuntimeError(f"a server exited early; logs in {log_dir}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} not ready after {timeout_s}s; logs in {log_dir}")


def start_stack(var_dir: Path, extra_env: dict | None = None, model: Path | None = None,
                catalog_dir: Path | None = None, attempts: int = 2) -> Stack:
    """Start both servers, trying again once (a free port can be taken between pick and bind)."""
    for attempt in range(1, attempts + 1):
        try:
            return _start_stack_once(var_dir / f"try{attempt}", extra_env, model, catalog_dir)
        except RuntimeError:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")


def _start_stack_once(var_dir: Path, extra_env: dict | None, model: Path | None,
                      catalog_dir: Path | None) -> Stack:
    """Load the catalogue into a fresh database and start both servers."""
    model = model or Path(os.environ.get("TEST_MODEL") or model_path())
    if not model.exists():
        raise RuntimeError(f"no trained model at {model}: run `make train` first")
    var_dir.mkdir(parents=True, exist_ok=True)
    rasa_port, action_port = free_port(), free_port()
    token = secrets.token_urlsafe(24)
    database_url = f"sqlite:///{var_dir / 'catalog.db'}"
    env = {**os.environ, "BOT_VAR_DIR": str(var_dir), "DATABASE_URL": database_url,
           "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{action_port}/webhook",
           "TRACKER_DB": str(var_dir / "tracker.db"), "RASA_TELEMETRY_ENABLED": "false",
           "TF_CPP_MIN_LOG_LEVEL": "2", "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
           "PYTHONWARNINGS": "ignore", "RASA_URL": f"http://127.0.0.1:{rasa_port}",
           "ADMIN_RASA_TOKEN": token,
           **(extra_env or {})}
    if catalog_dir is not None:
        env["CATALOG_DIR"] = str(catalog_dir)
    create_schema(make_engine(database_url))
    python = str(VENV_BIN / "python")
    subprocess.run([python, "-m", "bot", "catalog", "load"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    credentials = subprocess.run([python, "-m", "bot.channels.credentials",
                                  str(var_dir / "credentials.yml")], cwd=ROOT, env=env,
                                 check=True, capture_output=True, text=True).stdout.strip()
    actions_log = (var_dir / "actions.log").open("w")
    rasa_log = (var_dir / "rasa.log").open("w")
    processes = [
        subprocess.Popen([str(VENV_BIN / "rasa"), "run", "actions", "--actions", "actions",
                          "--port", str(action_port)],
                         cwd=ROOT, env=env, stdout=actions_log, stderr=subprocess.STDOUT),
        subprocess.Popen([str(VENV_BIN / "rasa"), "run", "--model", str(model), "--port",
                          str(rasa_port), "--credentials", credentials, "--endpoints",
                          str(ROOT / "endpoints.yml"), "--cors", "*", "-i", "127.0.0.1",
                          "--enable-api", "--auth-token", token],
                         cwd=ROOT, env=env, stdout=rasa_log, stderr=subprocess.STDOUT),
    ]
    stack = Stack(url=f"http://127.0.0.1:{rasa_port}",
                  action_url=f"http://127.0.0.1:{action_port}", model_path=model,
                  var_dir=var_dir, database_url=database_url,
                  tracker_db=var_dir / "tracker.db", env=env, processes=processes, token=token)
    try:
        _wait_ready(f"{stack.action_url}/health", processes, var_dir)
        _wait_ready(f"{stack.url}/", processes, var_dir)
        _wait_ready_model(stack)
    except Exception:
        stack.stop()
        raise
    return stack


def _wait_ready_model(stack: Stack, timeout_s: float = 240.0) -> None:
    """Rasa answers / before the model is loaded: wait for a real reply."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if stack.say("warmup", "xin chào", timeout=30):
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise RuntimeError(f"Rasa did not answer after {timeout_s}s; logs in {stack.var_dir}")
