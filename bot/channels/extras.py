"""Which channel processes run beside Rasa (for scripts/run.sh), from the environment."""
from __future__ import annotations

import os
import sys


def extra_processes() -> list[str]:
    """Modules under bot.channels to start as their own process."""
    return ["telegram"] if os.environ.get("TELEGRAM_BOT_TOKEN") else []


def describe() -> str:
    """Which channels are active, in one line."""
    active = ["REST", "web widget (socket.io)"]
    active += ["Telegram"] if os.environ.get("TELEGRAM_BOT_TOKEN") else []
    active += ["Zalo OA"] if os.environ.get("ZALO_OA_SECRET_KEY") else []
    inactive = [n for n, key in (("Telegram", "TELEGRAM_BOT_TOKEN"),
                                 ("Zalo OA", "ZALO_OA_SECRET_KEY")) if not os.environ.get(key)]
    return ", ".join(active) + (f" (not configured: {', '.join(inactive)})" if inactive else "")


if __name__ == "__main__":
    print(describe() if "--describe" in sys.argv else "\n".join(extra_processes()))
