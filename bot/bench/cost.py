"""Cost: training time of our model from scratch (fresh cache, temporary output)."""
from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

from bot.config import ROOT
from bot.training import DATA_DIRS

VENV_BIN = ROOT / ".venv" / "bin"
CACHE_DIR = ROOT / "models" / "bench"          # git-ignored, like the models themselves
DEFAULT_ESTIMATE_S = 180.0  # DIET without transformer: about 2.5-3 min on 2 cores


def cache_path(fingerprint: str) -> Path:
    """Where the training time measured for these training inputs is kept."""
    return CACHE_DIR / f"training-{fingerprint}.json"


def save_measurement(fingerprint: str, measured: dict) -> None:
    """Keep a successful measurement for later runs on the same inputs."""
    if measured.get("seconds") is None:
        return
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    record = {**measured, "fingerprint": fingerprint,
              "measured_at": time.strftime("%Y-%m-%d %H:%M:%S %z"),
              "loadavg": [round(x, 2) for x in os.getloadavg()]}
    cache_path(fingerprint).write_text(json.dumps(record, indent=2), encoding="utf-8")


def cached_measurement(fingerprint: str) -> dict | None:
    """A measurement made earlier for exactly these training inputs, or None."""
    path = cache_path(fingerprint)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def latest_measurement() -> dict | None:
    """The most recent measurement of any training inputs, or None."""
    records = sorted(CACHE_DIR.glob("training-*.json"), key=lambda p: p.stat().st_mtime)
    return json.loads(records[-1].read_text(encoding="utf-8")) if records else None


def estimate_s() -> float:
    """Expected training time: the latest measurement of any inputs, else a default."""
    latest = latest_measurement()
    return float(latest["seconds"]) if latest and latest.get("seconds") else DEFAULT_ESTIMATE_S


def training_command(out_dir: Path) -> list[str]:
    """The same `rasa train` as bot.training, into another folder."""
    return [str(VENV_BIN / "rasa"), "train", "--config", "config.yml", "--domain", "domain.yml",
            "--data", *DATA_DIRS, "--out", str(out_dir), "--fixed-model-name", "bench-scratch"]


def time_training(timeout_s: float = 900.0) -> dict:
    """Wall time and peak RSS of `rasa train` from scratch (empty cache, temp output)."""
    with tempfile.TemporaryDirectory(prefix="bench-train-") as tmp:
        env = {**os.environ, "RASA_CACHE_DIRECTORY": str(Path(tmp) / "cache"),
               "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "3",
               "LOG_LEVEL": "WARNING"}
        started = time.perf_counter()
        process = subprocess.Popen(training_command(Path(tmp) / "models"), cwd=ROOT, env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        peak_mb = 0.0
        while process.poll() is None:
            try:
                status = Path(f"/proc/{process.pid}/status").read_text()
                hwm = next(line for line in status.splitlines() if line.startswith("VmHWM"))
                peak_mb = max(peak_mb, int(hwm.split()[1]) / 1024)
            except (OSError, StopIteration):
                pass
            if time.perf_counter() - started > timeout_s:
                process.kill()
                process.wait()
                return {"seconds": None, "error": f"killed after {timeout_s:.0f}s"}
            time.sleep(0.5)
        seconds = time.perf_counter() - started
        stderr = process.stderr.read() if process.stderr else ""
        ok = process.returncode == 0 and (Path(tmp) / "models" / "bench-scratch.tar.gz").exists()
        return {"seconds": round(seconds, 1) if ok else None, "peak_rss_mb": round(peak_mb, 1),
                "returncode": process.returncode,
                "error": None if ok else stderr[-2000:],
                "how": "rasa train (NLU + core, same command as bot.training) into a temporary "
                       "folder with an empty RASA_CACHE_DIRECTORY, wall clock"}


def training_cost(fingerprint: str, mode: str, remaining_s: float) -> dict:
    """Measure ('measure', or 'auto' if it fits the remaining budget), else reuse a measurement."""
    cached = cached_measurement(fingerprint)
    if mode == "skip":
        return {"seconds": None, "error": "skipped (--training skip)"}
    if mode == "measure" or estimate_s() <= remaining_s:
        measured = time_training()
        save_measurement(fingerprint, measured)
        return {**measured, "measured_in_this_run": True}
    if cached:
        return {**cached, "measured_in_this_run": False,
                "how": f"not re-measured: the remaining time budget ({remaining_s:.0f} s) is "
                       f"below the expected training time ({estimate_s():.0f} s); reused the "
                       f"measurement of an earlier bench run on "
                       f"{cached['measured_at']} (load average {cached['loadavg']}) for the same "
                       f"training inputs (fingerprint {fingerprint}): " + cached.get("how", "")}
    return {"seconds": None, "measured_in_this_run": False, "earlier": latest_measurement(),
            "error": f"not measured: the remaining time budget ({remaining_s:.0f} s) is below the "
                     f"expected training time ({estimate_s():.0f} s) and no earlier measurement "
                     f"exists for these exact inputs; run `python -m bot.bench --only-training`"}
