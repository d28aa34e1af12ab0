"""Fallback (queues unanswered questions), hand-off to a person, and resident feedback."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import DomainDict, SafeAction, input_channel, latest_entity, render, session_maker
from actions.procedures import answer, clear_match
from bot.catalog.repository import record_feedback, record_unanswered
from bot.config import get_settings
from bot.security.secrets import mask


class ActionDefaultFallback(SafeAction):
    """Says it did not understand and queues the (masked) question for staff."""

    def name(self) -> Text:
        """Overrides Rasa's default fallback."""
        return "action_default_fallback"

    def safe_run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                 domain: DomainDict) -> List[Dict[Text, Any]]:
        """Record the message, then answer with the fallback text."""
        message = tracker.latest_message or {}
        text = mask(message.get("text") or "").text
        code = clear_match(text) if text.strip() and not text.startswith("/") else None
        if code is not None:  # NLU was unsure, but the message clearly names a procedure
            return answer(dispatcher, domain, code, "overview")
        intent = message.get("intent") or {}
        ranking = message.get("intent_ranking") or []
        best = next((r for r in ranking if r.get("name") != "nlu_fallback"), intent)
        if text.strip() and not text.startswith("/"):
            with session_maker()() as session, session.begin():
                record_unanswered(session, text, input_channel(tracker), best.get("name"),
                                  best.get("confidence"))
        dispatcher.utter_message(text=render(domain, "utter_default"))
        return []


class ActionHumanHandoff(SafeAction):
    """Gives the contact configured for the province."""

    def name(self) -> Text:
        """Action name."""
        return "action_human_handoff"

    def safe_run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                 domain: DomainDict) -> List[Dict[Text, Any]]:
        """Answer with CONTACT_TEXT / CONTACT_PHONE, or the default one-stop advice."""
        settings = get_settings()
        contact = " ".join(p for p in (settings.contact_text, settings.contact_phone) if p)
        contact = contact or render(domain, "utter_contact_default")
        dispatcher.utter_message(text=render(domain, "utter_human_handoff", contact=contact))
        return []


class ActionRecordFeedback(SafeAction):
    """Stores whether an answer helped (👍/👎 buttons)."""

    def name(self) -> Text:
        """Action name."""
        return "action_record_feedback"

    def safe_run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                 domain: DomainDict) -> List[Dict[Text, Any]]:
        """Record the vote for the procedure or FAQ the button belonged to."""
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        helpful = intent == "feedback_helpful"
        code = latest_entity(tracker, "procedure_code")
        faq_id = latest_entity(tracker, "faq_id")
        if code or faq_id:
            with session_maker()() as session, session.begin():
                record_feedback(session, helpful, input_channel(tracker), code, faq_id)
        dispatcher.utter_message(
            text=render(domain, "utter_feedback_thanks" if helpful else "utter_feedback_sorry"))
        return []
