"""Security hygiene: a random tip, the link checker and the secret guard."""
from __future__ import annotations

import random
from functools import lru_cache
from typing import Any, Dict, List, Text

import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import DomainDict, SafeAction, render
from bot.config import ROOT
from bot.nlu.overrides import MASK_TOKEN_RE
from bot.security import links

SECURITY_DIR = ROOT / "data" / "security"
MAX_LINKS = 3


@lru_cache(maxsize=1)
def security_messages() -> dict:
    """Texts of link verdicts and secret warnings (data/security/messages.yml)."""
    return yaml.safe_load((SECURITY_DIR / "messages.yml").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def tip_ids() -> tuple[str, ...]:
    """Ids of the security tips (data/security/tips.yml)."""
    tips = yaml.safe_load((SECURITY_DIR / "tips.yml").read_text(encoding="utf-8"))["tips"]
    return tuple(t["id"] for t in tips)


def verdict_text(verdict: links.LinkVerdict) -> str:
    """A verdict and its reasons in plain words."""
    texts = security_messages()
    line = texts["link_verdicts"][verdict.category].format(link=verdict.link, host=verdict.host)
    reasons = [texts["link_reasons"][r] for r in verdict.reasons if r in texts["link_reasons"]]
    return line + "".join(f"\n• {r}" for r in reasons)


def secret_kinds(tracker: Tracker) -> list[str]:
    """Kinds of secrets the channel masked in the latest message."""
    message = tracker.latest_message or {}
    kinds = list((message.get("metadata") or {}).get("secrets") or [])
    kinds += [k for k in MASK_TOKEN_RE.findall(message.get("text") or "") if k not in kinds]
    return kinds


class ActionRandomTip(SafeAction):
    """Answers 'mẹo an toàn' with one tip picked at random."""

    def name(self) -> Text:
        """Action name."""
        return "action_random_tip"

    def safe_run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                 domain: DomainDict) -> List[Dict[Text, Any]]:
        """Send the retrieval response of a random tip."""
        dispatcher.utter_message(response=f"utter_security_tip/{random.choice(tip_ids())}")
        return []


class ActionCheckLink(SafeAction):
    """Explains whether pasted links are official state sites, without opening them."""

    def name(self) -> Text:
        """Action name."""
        return "action_check_link"

    def safe_run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                 domain: DomainDict) -> List[Dict[Text, Any]]:
        """Classify up to three links of the latest message."""
        found = links.find_links((tracker.latest_message or {}).get("text") or "")
        if not found:
            dispatcher.utter_message(text=security_messages()["link_verdicts"]["invalid"])
            return []
        for link in found[:MAX_LINKS]:
            dispatcher.utter_message(text=verdict_text(links.classify(link)))
        return []


class ActionSecretGuard(SafeAction):
    """Says the assistant never needs secrets and what to do if they were shared."""

    def name(self) -> Text:
        """Action name."""
        return "action_secret_guard"

    def safe_run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                 domain: DomainDict) -> List[Dict[Text, Any]]:
        """One warning per kind of secret found."""
        guard = security_messages()["secret_guard"]
        kinds = [k for k in secret_kinds(tracker) if k in guard] or ["password"]
        dispatcher.utter_message(text="\n".join(guard[k] for k in kinds))
        return []
