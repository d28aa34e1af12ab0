"""Serving: latency, throughput, cold start and memory of our stack and of Rasa's starter bot."""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import httpx

from bot.bench.stats import latency_summary
from bot.config import ROOT

VENV_BIN = ROOT / ".venv" / "bin"
REFERENCE_DIR = ROOT / "models" / "reference"
REQUEST_TIMEOUT_S = 60.0

# A resident's conversation: greeting, a procedure question, follow-ups on it, a security tip.
OUR_CONVERSATIONS = (
    ("xin chào", "lam giay khai sinh can gi", "lệ phí bao nhiêu?", "nộp ở đâu",
     "mat khau manh la gi", "cảm ơn"),
    ("chao ad", "dang ky ket hon", "con ho so?", "mất bao lâu", "meo an toan", "tam biet"),
    ("xin chào", "làm hộ chiếu", "mất bao lâu", "có làm online được không",
     "có nên đưa mã OTP cho người gọi điện tự xưng công an không", "cam on nhieu"),
    ("hello", "dang ky tam tru", "nop o dau", "le phi bao nhieu", "cho toi mot meo bao mat",
     "bye"),
)
# The same shape of conversation over the starter bot's intents (greet, mood, affirm/deny, bot
# challenge, goodbye): six turns each.
REFERENCE_CONVERSATIONS = (
    ("hello", "I am sad", "yes", "are you a bot?", "great", "bye"),
    ("hi", "I am feeling very good", "are you a human?", "very sad", "no", "goodbye"),
)


@dataclass
class Server:
    """A running assistant under test: its REST URL and the processes to watch."""

    name: str
    url: str
    pids: dict[str, int]
    cold_start_s: float | None = None
    stop: Callable[[], None] = lambda: None
    extra: dict = field(default_factory=dict)


def _clock_ticks() -> int:
    """Kernel clock ticks per second (for /proc start times)."""
    return os.sysconf(os.sysconf_names["SC_CLK_TCK"])


def process_start_time(pid: int) -> float:
    """Wall-clock time (epoch seconds) at which a process started, from /proc."""
    boot = next(float(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines()
                if line.startswith("btime"))
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return boot + int(fields[19]) / _clock_ticks()


def memory_mb(pid: int) -> dict[str, float]:
    """Current (VmRSS) and lifetime peak (VmHWM) resident memory of a process, in MB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = round(int(rest.split()[0]) / 1024, 1)
    return {"rss_mb": values.get("VmRSS", 0.0), "peak_rss_mb": values.get("VmHWM", 0.0)}


class RssSampler:
    """Samples the RSS of some processes in a thread; the maximum seen while running."""

    def __init__(self, pids: dict[str, int], every_s: float = 0.2):
        self.pids, self.every_s = pids, every_s
        self.peak: dict[str, float] = {name: 0.0 for name in pids}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        """Sample until stopped."""
        while not self._stop.is_set():
            for name, pid in self.pids.items():
                try:
                    self.peak[name] = max(self.peak[name], memory_mb(pid)["rss_mb"])
                except OSError:
                    pass
            self._stop.wait(self.every_s)

    def __enter__(self) -> "RssSampler":
        """Start sampling."""
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop sampling."""
        self._stop.set()
        self._thread.join(timeout=5)


async def _conversation(client: httpx.AsyncClient, url: str, sender: str, turns: Sequence[str],
                        latencies: list[float], problems: dict[str, int]) -> None:
    """Send the turns of one conversation in order, timing each reply."""
    for text in turns:
        started = time.perf_counter()
        try:
            reply = await client.post(f"{url}/webhooks/rest/webhook",
                                      json={"sender": sender, "message": text})
            elapsed = time.perf_counter() - started
            if reply.status_code != 200:
                problems["http_errors"] += 1
                continue
            latencies.append(elapsed)
            if not reply.json():
                problems["empty_replies"] += 1
        except (httpx.HTTPError, ValueError):
            problems["http_errors"] += 1


async def run_load(url: str, conversations: Sequence[Sequence[str]], senders: int, rounds: int,
                   tag: str) -> dict:
    """`senders` concurrent senders, each running `rounds` conversations; latency and throughput."""
    latencies: list[float] = []
    problems = {"http_errors": 0, "empty_replies": 0}
    limits = httpx.Limits(max_connections=senders + 4, max_keepalive_connections=senders + 4)

    async def sender_task(number: int) -> None:
        """One resident: conversations one after the other, a new sender id each."""
        for round_ in range(rounds):
            turns = conversations[(number + round_) % len(conversations)]
            await _conversation(client, url, f"{tag}-{number}-{round_}", turns, latencies,
                                problems)

    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT_S, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(sender_task(n) for n in range(senders)))
        wall = time.perf_counter() - started
    return {"senders": senders, "messages": len(latencies) + problems["http_errors"],
            "ok": len(latencies), **problems, "wall_s": round(wall, 2),
            "throughput_msg_s": round(len(latencies) / wall, 2) if wall else None,
            **latency_summary(latencies)}


def measure(server: Server, conversations: Sequence[Sequence[str]], sequential_rounds: int,
            concurrent: Sequence[tuple[int, int]]) -> dict:
    """Warm up, then 1 sender sequentially and each (senders, rounds) level; RSS under the last."""
    result: dict = {"cold_start_s": server.cold_start_s, **server.extra}
    asyncio.run(run_load(server.url, conversations, 1, 1, f"{server.name}-warmup"))
    result["sequential"] = asyncio.run(run_load(server.url, conversations, 1, sequential_rounds,
                                                f"{server.name}-seq"))
    for senders, rounds in concurrent:
        with RssSampler(server.pids) as sampler:
            level = asyncio.run(run_load(server.url, conversations, senders, rounds,
                                         f"{server.name}-c{senders}"))
        level["peak_rss_mb_during"] = dict(sampler.peak)
        result[f"concurrent_{senders}"] = level
    result["memory_after_load"] = {name: memory_mb(pid) for name, pid in server.pids.items()}
    return result


def start_ours(model: Path, var_dir: Path) -> Server:
    """Our stack (action server + Rasa, fresh catalogue DB) via tests/e2e/stack.start_stack."""
    from tests.e2e.stack import start_stack

    called = time.time()
    stack = start_stack(var_dir, model=model, extra_env={"LOG_LEVEL": "WARNING"})
    answered = time.time()
    action, rasa = stack.processes
    return Server(name="ours", url=stack.url, pids={"rasa": rasa.pid, "actions": action.pid},
                  cold_start_s=round(answered - process_start_time(rasa.pid), 2), stop=stack.stop,
                  extra={"stack_start_to_first_answer_s": round(answered - called, 2),
                         "model": model.name})


def rasa_version() -> str:
    """The installed Rasa version."""
    from importlib.metadata import version

    return version("rasa")


def reference_model_path() -> Path:
    """Where the starter bot's model for this Rasa version is cached."""
    return REFERENCE_DIR / f"starter-rasa-{rasa_version()}.tar.gz"


def ensure_reference_model() -> tuple[Path, dict]:
    """The starter bot (`rasa init --no-prompt`) trained with our Rasa version, cached."""
    target = reference_model_path()
    meta_path = target.with_suffix("").with_suffix(".json")
    if target.exists():
        meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
        return target, {**meta, "cached": True}
    REFERENCE_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-reference-") as tmp:
        env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "3",
               "RASA_CACHE_DIRECTORY": str(Path(tmp) / "cache"), "LOG_LEVEL": "WARNING"}
        project = Path(tmp) / "starter"
        project.mkdir()
        started = time.perf_counter()
        subprocess.run([str(VENV_BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(project)],
                       cwd=tmp, env=env, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=1200)
        seconds = time.perf_counter() - started
        models = sorted((project / "models").glob("*.tar.gz"))
        if not models:
            raise RuntimeError("rasa init produced no model")
        shutil.copy(models[-1], target)
    meta = {"rasa": rasa_version(), "init_and_train_s": round(seconds, 1),
            "trained": time.strftime("%Y-%m-%d %H:%M:%S")}
    meta_path.write_text(json.dumps(meta, indent=2))
    return target, {**meta, "cached": False}


def _first_answer(url: str, message: str, processes: list, timeout_s: float = 240.0) -> float:
    """Poll like start_stack does until the bot answers; the wall time of the answer."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            raise RuntimeError("reference server exited early")
        try:
            if httpx.get(f"{url}/", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    while time.monotonic() < deadline:
        try:
            reply = httpx.post(f"{url}/webhooks/rest/webhook",
                               json={"sender": "warmup", "message": message}, timeout=30)
            if reply.status_code == 200 and reply.json():
                return time.time()
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise RuntimeError(f"reference bot at {url} did not answer in {timeout_s}s")


def start_reference(model: Path, var_dir: Path) -> Server:
    """Rasa's starter bot on a free loopback port (REST channel, no action server needed)."""
    from tests.e2e.stack import free_port

    var_dir.mkdir(parents=True, exist_ok=True)
    credentials = var_dir / "credentials.yml"
    credentials.write_text("rest:\n", encoding="utf-8")
    port = free_port()
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2",
           "LOG_LEVEL": "WARNING"}
    log = (var_dir / "reference.log").open("w")
    process = subprocess.Popen([str(VENV_BIN / "rasa"), "run", "--model", str(model), "--port",
                                str(port), "-i", "127.0.0.1", "--credentials", str(credentials)],
                               cwd=var_dir, env=env, stdout=log, stderr=subprocess.STDOUT)

    def stop() -> None:
        """Terminate the reference server."""
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()

    url = f"http://127.0.0.1:{port}"
    try:
        answered = _first_answer(url, "hello", [process])
    except Exception:
        stop()
        raise
    return Server(name="reference", url=url, pids={"rasa": process.pid},
                  cold_start_s=round(answered - process_start_time(process.pid), 2), stop=stop,
                  extra={"model": model.name})
