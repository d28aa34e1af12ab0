"""Texts that channels send outside the dialogue, read once from data/channel_messages.yml."""
from __future__ import annotations

from functools import lru_cache

import yaml

from bot.config import ROOT

MESSAGES_PATH = ROOT / "data" / "channel_messages.yml"
MAX_MESSAGE_CHARS = 2000


@lru_cache(maxsize=1)
def channel_messages() -> dict[str, str]:
    """All channel texts by key."""
    return yaml.safe_load(MESSAGES_PATH.read_text(encoding="utf-8"))


def message(key: str) -> str:
    """One channel text."""
    return channel_messages()[key]
