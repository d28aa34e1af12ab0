"""Which channel processes run beside Rasa (for scripts/run.sh), from the environment."""
from __future__ import annotations

import os
import sys


def extra_processes() -> list[str]:
    """Modules under bot.channels to start as their own process."""
    return ["telegram"] if os.environ.get("TELEGRAM_BOT_TOKEN") else []


def _zalo_configured() -> bool:
    """True when the Zalo channel will be enabled (same test as the credentials file)."""
    from bot.channels.zalo import zalo_credentials

    return bool(zalo_credentials())


def describe() -> str:
    """Which channels are active, in one line."""
    active = ["REST", "web widget (socket.io)"]
    active += ["Telegram"] if os.environ.get("TELEGRAM_BOT_TOKEN") else []
    zalo = _zalo_configured()
    active += ["Zalo OA"] if zalo else []
    inactive = ([] if os.environ.get("TELEGRAM_BOT_TOKEN") else ["Telegram"]) + \
        ([] if zalo else ["Zalo OA"])
    return ", ".join(active) + (f" (not configured: {', '.join(inactive)})" if inactive else "")


if __name__ == "__main__":
    print(describe() if "--describe" in sys.argv else "\n".join(extra_processes()))
