"""Shared helpers: polite error wrapping, response texts from the domain, database access."""
from __future__ import annotations

import logging
from abc import abstractmethod
from functools import lru_cache
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.config import get_settings

logger = logging.getLogger(__name__)
DomainDict = Dict[Text, Any]


class _Blank(dict):
    """Mapping that renders unknown template variables as empty text."""

    def __missing__(self, key: str) -> str:
        return ""


def render(domain: DomainDict, response: str, /, **values: Any) -> str:
    """The first text variant of a domain response, with variables filled in."""
    variants = (domain.get("responses") or {}).get(response) or []
    template = variants[0].get("text", "") if variants else ""
    settings = get_settings()
    defaults = {"portal_url": settings.portal_url,
                "national_portal_url": settings.national_portal_url}
    return template.format_map(_Blank({**defaults, **values}))


def latest_entity(tracker: Tracker, name: str) -> str | None:
    """The value of an entity in the latest user message, if any."""
    value = next(tracker.get_latest_entity_values(name), None)
    return str(value) if value not in (None, "") else None


def input_channel(tracker: Tracker) -> str:
    """The channel the latest message came from."""
    return tracker.get_latest_input_channel() or "unknown"


@lru_cache(maxsize=1)
def session_maker():  # type: ignore[no-untyped-def]
    """Sessions on the catalogue database, created on first use (not at import)."""
    from bot.catalog.db import create_schema, get_engine, session_factory

    engine = get_engine()
    create_schema(engine)
    return session_factory(engine)


@lru_cache(maxsize=1)
def catalog_index():  # type: ignore[no-untyped-def]
    """The process-wide search index, refreshed when the catalogue changes."""
    from bot.catalog.repository import IndexCache

    return IndexCache(session_maker())


class SafeAction(Action):
    """An action that answers politely instead of failing (never leaks the tracker)."""

    @abstractmethod
    def name(self) -> Text:
        """The action's name in the domain."""

    @abstractmethod
    def safe_run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                 domain: DomainDict) -> List[Dict[Text, Any]]:
        """The action's work."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[Text, Any]]:
        """Run safe_run; on any error, apologise and log only the error type."""
        try:
            return self.safe_run(dispatcher, tracker, domain)
        except Exception as exc:  # noqa: BLE001 - a resident must always get an answer
            logger.error("action %s failed: %s", self.name(), type(exc).__name__)
            dispatcher.messages.clear()
            dispatcher.utter_message(text=render(domain, "utter_error"))
            return []
