"""Helpers for action unit tests: a Tracker, a dispatcher and the real domain."""
from __future__ import annotations

import json

import pytest
import yaml
from rasa_sdk import Tracker

from actions import common
from bot.catalog.db import session_factory
from bot.catalog.repository import IndexCache
from bot.config import ROOT


@pytest.fixture(scope="session")
def domain() -> dict:
    """domain.yml as the action server receives it."""
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


def make_tracker(text: str, intent: str, slots: dict | None = None,
                 entities: list | None = None, metadata: dict | None = None) -> Tracker:
    """A tracker whose latest message is the given text and intent."""
    return Tracker(
        sender_id="unit", slots=slots or {}, events=[], paused=False, followup_action=None,
        active_loop={}, latest_action_name="action_listen",
        latest_message={"text": text, "intent": {"name": intent, "confidence": 0.9},
                        "entities": entities or [], "metadata": metadata or {},
                        "intent_ranking": [{"name": intent, "confidence": 0.9}]},
    )


def button_entities(payload: str) -> list:
    """Entities Rasa extracts from a /intent{json} payload."""
    data = json.loads(payload[payload.index("{"):])
    return [{"entity": k, "value": v} for k, v in data.items()]


@pytest.fixture
def use_db(monkeypatch):
    """Point the actions at a given engine (fresh per test)."""
    def _use(engine):
        maker = session_factory(engine)
        monkeypatch.setattr(common, "session_maker", lambda: maker)
        cache = IndexCache(maker, check_every_s=0)
        monkeypatch.setattr(common, "catalog_index", lambda: cache)
        import actions.procedures as procedures
        import actions.conversation as conversation
        monkeypatch.setattr(procedures, "session_maker", lambda: maker)
        monkeypatch.setattr(procedures, "catalog_index", lambda: cache)
        monkeypatch.setattr(conversation, "session_maker", lambda: maker)
        return maker
    return _use
