"""Train the Rasa model only when its inputs changed (fingerprint of config, domain and data)."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from bot.config import ROOT

# Everything that changes the trained model: data, and the code of our pipeline components.
TRAINING_INPUTS = ("config.yml", "domain.yml", "data/nlu", "data/core", "data/generated",
                   "data/lexicon", "bot/text.py", "bot/nlu/normalizer.py", "bot/nlu/overrides.py")
DATA_DIRS = ("data/nlu", "data/core", "data/generated")


def fingerprint(root: Path = ROOT, config: str = "config.yml") -> str:
    """A hash over every file that changes the trained model."""
    digest = hashlib.sha256()
    inputs = [config] + [p for p in TRAINING_INPUTS if p != "config.yml"]
    for name in inputs:
        path = root / name
        files = sorted(p for p in path.rglob("*") if p.suffix in (".yml", ".py")) \
            if path.is_dir() else [path]
        for file in files:
            digest.update(str(file.relative_to(root)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def model_path(root: Path = ROOT, config: str = "config.yml") -> Path:
    """Where the model for the current inputs lives."""
    stem = Path(config).stem
    prefix = "" if stem == "config" else f"{stem}-"
    return root / "models" / f"{prefix}{fingerprint(root, config)}.tar.gz"


def train(root: Path = ROOT, config: str = "config.yml", force: bool = False) -> Path:
    """Train unless a model for the same inputs exists; return the model path."""
    target = model_path(root, config)
    if target.exists() and not force:
        print(f"Model is up to date: {target.relative_to(root)} (nothing changed, not training)")
        return target
    print(f"Training {target.relative_to(root)} (takes a few minutes on 2 cores)...", flush=True)
    command = [str(Path(sys.executable).parent / "rasa"), "train", "--config", config,
               "--domain", "domain.yml", "--data", *DATA_DIRS, "--out", "models",
               "--fixed-model-name", target.name.removesuffix(".tar.gz")]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    subprocess.run(command, cwd=root, check=True, env=env)
    return target
