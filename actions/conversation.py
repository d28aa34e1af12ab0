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


RETRIEVAL_INTENTS = ("security_tip", "faq")
TOP_INTENTS = 3                  # the retrieval intent must be among the NLU's best guesses
MIN_INTENT_CONFIDENCE = 0.2
MIN_SELECTOR_CONFIDENCE = 0.6    # and the ResponseSelector sure of the answer


def confident_retrieval(message: Dict[Text, Any]) -> str | None:
    """The tip or FAQ answer the ResponseSelector is sure of, when NLU was unsure of the intent."""
    ranking = [r for r in message.get("intent_ranking") or [] if r.get("name") != "nlu_fallback"]
    candidates = {r["name"] for r in ranking[:TOP_INTENTS]
                  if r.get("name") in RETRIEVAL_INTENTS
                  and (r.get("confidence") or 0.0) >= MIN_INTENT_CONFIDENCE}
    selectors = message.get("response_selector") or {}
    for name in candidates:
        response = (selectors.get(name) or selectors.get("default") or {}).get("response") or {}
        key = response.get("intent_response_key") or ""
        if key.startswith(f"{name}/") and (response.get("confidence") or 0.0) >= MIN_SELECTOR_CONFIDENCE:
            return response.get("utter_action") or f"utter_{key}"
    return None


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
        retrieval = confident_retrieval(message)
        if retrieval is not None:  # unsure of the intent, sure of the tip or FAQ answer
            dispatcher.utter_message(response=retrieval)
            return []
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
