"""Publish staff changes safely: validate, regenerate, retrain if needed, test, then switch.

The running assistant is switched only after every step passed; the previous model is kept
for `--rollback`. State (current and previous model) lives in var/publish/state.json, and
models/current.tar.gz points at the published model so a restart loads the same one.
"""
from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.config import ROOT, get_settings

Progress = Callable[[str, str, str], None]  # (step, status: start|ok|skip|fail, detail)
STEPS = ("faq", "catalog", "generate", "rasa_validate", "train", "test", "switch")
CURRENT_LINK = "current.tar.gz"
TAIL_CHARS = 4000


class PublishError(Exception):
    """A step failed; the running assistant was not touched."""

    def __init__(self, step: str, detail: str):
        super().__init__(f"{step}: {detail}")
        self.step, self.detail = step, detail


@dataclass
class PublishState:
    """Which model is live and which one to roll back to."""

    current: str | None = None
    previous: str | None = None
    history: list[dict] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path) -> "PublishState":
        """Read the state file (empty state when missing)."""
        if not path.exists():
            return cls()
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(data.get("current"), data.get("previous"), data.get("history") or [])

    def save(self, path: Path) -> None:
        """Write the state file atomically."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"current": self.current, "previous": self.previous,
                                   "history": self.history[-50:]}, indent=2), encoding="utf-8")
        tmp.replace(path)


@dataclass
class PublishResult:
    """Outcome of a publish or rollback."""

    ok: bool
    model: str | None
    switched: bool
    message: str


@dataclass
class Publisher:
    """The publish pipeline; every slow or external step is injectable for tests."""

    session_maker: Callable[[], Session]
    root: Path = ROOT
    config: str = "config.yml"
    state_path: Path = field(default_factory=lambda: get_settings().var_dir / "publish" / "state.json")
    validate_data: Callable[[], None] | None = None
    trainer: Callable[[], Path] | None = None
    model_for_inputs: Callable[[], Path] | None = None
    tester: Callable[[Path], None] | None = None
    switcher: Callable[[Path], None] | None = None
    generate: Callable[[Session], object] | None = None
    faq_path: Path | None = None

    # ---- steps ---------------------------------------------------------------------------
    def check_faq(self) -> str:
        """Validate the FAQ source, including against the catalogue."""
        from bot.faq.source import FAQ_PATH, read_faq
        from bot.faq.validate import validate

        entries = read_faq(self.faq_path or FAQ_PATH)
        with self.session_maker() as session:
            problems = validate(entries, session)
        if problems:
            raise PublishError("faq", "\n".join(problems))
        return f"{len(entries)} FAQ entries"

    def check_catalog(self) -> str:
        """Every procedure in the database must still pass the catalogue schema."""
        from pydantic import ValidationError

        from bot.catalog.models import Procedure
        from bot.catalog.schema import ProcedureIn

        problems, count = [], 0
        with self.session_maker() as session:
            for proc in session.execute(select(Procedure).order_by(Procedure.code)).scalars():
                count += 1
                try:
                    ProcedureIn.parse_obj(proc.to_dict())
                except ValidationError as exc:
                    problems.append(f"procedure {proc.code}: {exc.errors()[0]['msg']}")
        if count == 0:
            problems.append("the catalogue is empty: run `python -m bot catalog load`")
        if problems:
            raise PublishError("catalog", "\n".join(problems))
        return f"{count} procedures"

    def regenerate(self) -> str:
        """Rewrite data/generated/ from the sources."""
        from bot.nlu.generate import write_generated

        generate = self.generate or write_generated
        with self.session_maker() as session:
            generate(session)
        return "data/generated/ rebuilt"

    def rasa_validate(self) -> str:
        """`rasa data validate` on the domain and all training data."""
        if self.validate_data is not None:
            self.validate_data()
            return "ok"
        from bot.training import DATA_DIRS

        run_rasa(["data", "validate", "--domain", "domain.yml", "--config", self.config,
                  "--data", *DATA_DIRS], self.root, "rasa_validate")
        return "ok"

    def candidate(self) -> Path:
        """The model file that matches the current training inputs."""
        if self.model_for_inputs is not None:
            return self.model_for_inputs()
        from bot.training import model_path

        return model_path(self.root, self.config)

    def train(self) -> Path:
        """Train the candidate model (only called when it does not exist yet)."""
        if self.trainer is not None:
            return self.trainer()
        from bot.training import train

        try:
            return train(self.root, self.config)
        except subprocess.CalledProcessError as exc:
            raise PublishError("train", f"rasa train exited with {exc.returncode}") from exc

    def test(self, model: Path) -> str:
        """Regression stories on the candidate: any wrong prediction fails the publish."""
        if self.tester is not None:
            self.tester(model)
            return "passed"
        stories = self.root / "tests" / "stories"
        if not stories.exists():
            raise PublishError("test", f"no regression stories in {stories}")
        out = get_settings().var_dir / "publish" / "test-results"
        run_rasa(["test", "core", "--model", str(model), "--stories", str(stories),
                  "--fail-on-prediction-errors", "--out", str(out)], self.root, "test")
        return "passed"

    def switch(self, model: Path) -> str:
        """Make the running assistant use the model (default: Rasa's PUT /model)."""
        if self.switcher is not None:
            self.switcher(model)
            return "switched"
        return rasa_api_switch(model)

    # ---- pipeline ------------------------------------------------------------------------
    def publish(self, progress: Progress, force_train: bool = False) -> PublishResult:
        """Run every step; switch only when all passed. Never raises for a failed step."""
        try:
            with publish_lock(self.state_path.parent):
                return self._publish(progress, force_train)
        except PublishError as exc:
            progress(exc.step, "fail", exc.detail)
            return PublishResult(False, None, False,
                                 f"Publish failed at step '{exc.step}': running assistant "
                                 "unchanged")

    def _step(self, progress: Progress, name: str, work: Callable[[], str]) -> str:
        """Run one step with start/ok progress lines."""
        progress(name, "start", "")
        try:
            detail = work()
        except PublishError:
            raise
        except Exception as exc:  # noqa: BLE001 - a failed step must not switch anything
            raise PublishError(name, f"{type(exc).__name__}: {exc}") from exc
        progress(name, "ok", detail)
        return detail

    def _publish(self, progress: Progress, force_train: bool) -> PublishResult:
        """The steps in order."""
        self._step(progress, "faq", self.check_faq)
        self._step(progress, "catalog", self.check_catalog)
        self._step(progress, "generate", self.regenerate)
        self._step(progress, "rasa_validate", self.rasa_validate)
        model = self.candidate()
        if model.exists() and not force_train:
            progress("train", "skip", f"{model.name} is up to date (inputs unchanged)")
        else:
            model = Path(self._step(progress, "train", lambda: str(self.train())))
        state = PublishState.load(self.state_path)
        if state.current == str(model) and not force_train:
            progress("test", "skip", "this model is already live")
            progress("switch", "skip", "nothing to switch")
            return PublishResult(True, str(model), False, f"{model.name} is already live")
        self._step(progress, "test", lambda: self.test(model))
        self._step(progress, "switch", lambda: self.switch(model))
        self._record(state, model, "publish")
        return PublishResult(True, str(model), True, f"{model.name} is now live")

    def rollback(self, progress: Progress) -> PublishResult:
        """Switch back to the previous model (and make the current one the previous)."""
        try:
            with publish_lock(self.state_path.parent):
                return self._rollback(progress)
        except PublishError as exc:
            progress(exc.step, "fail", exc.detail)
            return PublishResult(False, None, False, "Rollback failed: running assistant unchanged")

    def _rollback(self, progress: Progress) -> PublishResult:
        """Rollback under the lock."""
        state = PublishState.load(self.state_path)
        if not state.previous or not Path(state.previous).exists():
            progress("switch", "fail", "no previous model to roll back to")
            return PublishResult(False, None, False, "Nothing to roll back to")
        model = Path(state.previous)
        try:
            self._step(progress, "switch", lambda: self.switch(model))
        except PublishError as exc:
            progress(exc.step, "fail", exc.detail)
            return PublishResult(False, None, False, "Rollback failed: running assistant "
                                 "unchanged")
        self._record(state, model, "rollback")
        return PublishResult(True, str(model), True, f"Rolled back to {model.name}")

    def _record(self, state: PublishState, model: Path, kind: str) -> None:
        """Remember the switch in var/ and point models/current.tar.gz at the live model."""
        state.previous, state.current = state.current, str(model)
        state.history.append({"at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                              "kind": kind, "model": str(model)})
        state.save(self.state_path)
        link = model.parent / CURRENT_LINK
        tmp = model.parent / (CURRENT_LINK + ".tmp")
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(model.name)
        tmp.replace(link)


@contextmanager
def publish_lock(directory: Path) -> Iterator[None]:
    """One publish at a time across processes (CLI and admin page)."""
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / "publish.lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise PublishError("lock", "another publish is running") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def run_rasa(args: list[str], root: Path, step: str) -> None:
    """Run a rasa sub-command; raise PublishError with the output tail on failure."""
    rasa = str(Path(sys.executable).parent / "rasa")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "RASA_TELEMETRY_ENABLED": "false"}
    done = subprocess.run([rasa, *args], cwd=root, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        output = (done.stdout + done.stderr)[-TAIL_CHARS:]
        raise PublishError(step, f"`rasa {args[0]} {args[1]}` failed:\n{output}")


def rasa_api_switch(model: Path, url: str | None = None, token: str | None = None,
                    timeout_s: float = 300.0) -> str:
    """Load a model into the running Rasa with PUT /model (needs --enable-api --auth-token)."""
    url = (url or get_settings().rasa_url).rstrip("/")
    token = token if token is not None else os.environ.get("ADMIN_RASA_TOKEN", "")
    if not token:
        raise PublishError("switch", "ADMIN_RASA_TOKEN is not set (Rasa's --auth-token)")
    try:
        response = httpx.put(f"{url}/model", params={"token": token},
                             json={"model_file": str(model.resolve())}, timeout=timeout_s)
    except httpx.ConnectError:
        return f"Rasa is not running at {url}: it will start with models/{CURRENT_LINK}"
    if response.status_code != 204:
        raise PublishError("switch", f"Rasa refused the model: HTTP {response.status_code} "
                           f"{response.text[:300]}")
    status = httpx.get(f"{url}/status", params={"token": token}, timeout=30)
    loaded = status.json().get("model_file", "") if status.status_code == 200 else ""
    if Path(loaded).name != model.name:
        raise PublishError("switch", f"Rasa reports model {loaded!r} after the switch")
    return f"Rasa at {url} now runs {model.name}"


def default_publisher(config: str = "config.yml") -> Publisher:
    """A publisher on the configured database and the real Rasa tools."""
    from bot.catalog.db import create_schema, get_engine, session_factory

    engine = get_engine()
    create_schema(engine)
    maker: sessionmaker = session_factory(engine)
    return Publisher(session_maker=maker, config=config)


def print_progress(step: str, status: str, detail: str) -> None:
    """CLI progress lines: `[3/7] generate ... ok (detail)`."""
    number = STEPS.index(step) + 1 if step in STEPS else 0
    line = f"[{number}/{len(STEPS)}] {step:<13} {status}"
    if detail:
        line += f"  {detail}" if "\n" not in detail else "\n    " + detail.replace("\n", "\n    ")
    print(line, flush=True)
