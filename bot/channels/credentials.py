"""Write the Rasa credentials file for the channels whose settings are present."""
from __future__ import annotations

import sys
from pathlib import Path

import yaml

from bot.config import ROOT

BASE_CREDENTIALS = ROOT / "credentials.yml"


def active_credentials() -> dict:
    """credentials.yml plus the optional channels configured through the environment."""
    credentials = yaml.safe_load(BASE_CREDENTIALS.read_text(encoding="utf-8")) or {}
    try:
        from bot.channels.zalo import zalo_credentials
    except ImportError:  # the Zalo channel is optional
        return credentials
    zalo = zalo_credentials()
    if zalo:
        credentials["bot.channels.zalo.ZaloInput"] = zalo
    return credentials


def main(argv: list[str]) -> int:
    """Write the file given as argument and print its path."""
    target = Path(argv[1]) if len(argv) > 1 else ROOT / "var" / "credentials.yml"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(active_credentials(), allow_unicode=True), encoding="utf-8")
    print(target)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
