"""Cost: training time of our model from scratch (fresh cache, temporary output)."""
from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path

from bot.config import ROOT
from bot.training import DATA_DIRS

VENV_BIN = ROOT / ".venv" / "bin"


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
