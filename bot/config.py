"""Settings read once from environment variables, with safe defaults."""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    """Return an environment variable, or the default when unset or empty."""
    value = os.environ.get(name, "").strip()
    return value or default


@dataclass(frozen=True)
class Settings:
    """All configuration of the assistant, read once."""

    database_url: str
    catalog_dir: Path
    var_dir: Path
    rasa_url: str
    action_timeout_s: float
    portal_url: str
    national_portal_url: str
    contact_phone: str
    contact_text: str
    session_secret: str
    log_level: str


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Read settings from the environment once per process."""
    var_dir = Path(_env("BOT_VAR_DIR", str(ROOT / "var")))
    return Settings(
        database_url=_env("DATABASE_URL", f"sqlite:///{var_dir / 'catalog.db'}"),
        catalog_dir=Path(_env("CATALOG_DIR", str(ROOT / "data" / "catalog"))),
        var_dir=var_dir,
        rasa_url=_env("RASA_URL", "http://127.0.0.1:5005"),
        action_timeout_s=float(_env("ACTION_TIMEOUT_S", "3")),
        portal_url=_env("PROVINCE_PORTAL_URL", "https://dichvucong.sonla.gov.vn"),
        national_portal_url=_env("NATIONAL_PORTAL_URL", "https://dichvucong.gov.vn"),
        contact_phone=_env("CONTACT_PHONE", ""),
        contact_text=_env("CONTACT_TEXT", ""),
        session_secret=_env("SESSION_SECRET", ""),
        log_level=_env("LOG_LEVEL", "INFO"),
    )
