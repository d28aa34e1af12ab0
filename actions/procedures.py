"""Answers about procedures: documents, fee, time, office, online submission, overview."""
from __future__ import annotations

import json
from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import DomainDict, SafeAction, catalog_index, latest_entity, render, session_maker
from bot.catalog.models import CHANNELS, Procedure
from bot.config import get_settings
from bot.catalog.repository import get_procedure
from bot.catalog.search import Match

ASPECTS = ("documents", "fee", "time", "where", "online", "overview")
INTENT_ASPECT = {f"ask_{a}": a for a in ASPECTS}
STRONG_SCORE = 0.55       # a match this good is taken without asking
WEAK_SCORE = 0.30         # below this, nothing was found
CLEAR_MARGIN = 0.08       # the best must lead the second by this much to be taken
MIN_HITS_TO_SWITCH = 2    # words a follow-up must share with another procedure to change topic
MAX_DOCUMENTS = 8
FOLLOW_UP_BUTTONS = ("documents", "fee", "online", "where", "time")


def decide(matches: List[Match], context_code: str | None) -> tuple[str, List[Match]]:
    """Pick 'found', 'ambiguous', 'context' or 'none' from ranked matches and the context."""
    if not matches or matches[0].score < WEAK_SCORE:
        return ("context", []) if context_code else ("none", [])
    best = matches[0]
    if context_code and best.hits < MIN_HITS_TO_SWITCH:
        return "context", []  # "cần giấy tờ gì" (cần ~ căn) must not leave the procedure
    second = matches[1].score if len(matches) > 1 else 0.0
    if best.score >= STRONG_SCORE and best.score - second >= CLEAR_MARGIN:
        return "found", [best]
    if context_code and best.score < STRONG_SCORE:
        return "context", []
    close = [m for m in matches if m.score >= max(WEAK_SCORE, best.score - 0.15)]
    if len(close) == 1 and best.score >= STRONG_SCORE:
        return "found", close
    return "ambiguous", close[:3]


def payload(intent: str, code: str) -> str:
    """A button payload that carries the procedure code."""
    return f"/{intent}{json.dumps({'procedure_code': code})}"


def format_verified(proc: Procedure) -> str:
    """Last-verified date as residents write it (dd/mm/yyyy)."""
    return proc.verified.strftime("%d/%m/%Y") if proc.verified else "?"


def online_label(domain: DomainDict, proc: Procedure) -> str:
    """Online level in plain words, with the old 'mức độ' names."""
    level = proc.online_level or "unknown"
    return render(domain, f"utter_label_online_{level}")


def format_documents(domain: DomainDict, proc: Procedure) -> str:
    """Bullet list of documents, shortened for a phone screen."""
    documents = proc.documents or []
    if not documents:
        return render(domain, "utter_label_docs_unknown")
    lines = []
    for doc in documents[:MAX_DOCUMENTS]:
        details = []
        if doc.get("copy"):
            details.append(render(domain, f"utter_label_copy_{doc['copy']}"))
        if doc.get("count"):
            details.append(render(domain, "utter_label_count", count=doc["count"]))
        if doc.get("form"):
            details.append(render(domain, "utter_label_form", form=doc["form"]))
        line = f"• {doc['name']}" + (f" ({'; '.join(details)})" if details else "")
        if doc.get("note"):
            line += f" – {doc['note']}"
        lines.append(line)
    if len(documents) > MAX_DOCUMENTS:
        lines.append(render(domain, "utter_label_docs_more", count=len(documents) - MAX_DOCUMENTS))
    return "\n".join(lines)


def _per_channel(domain: DomainDict, proc: Procedure, key: str, unknown: str) -> str:
    """One line per submission channel for a key (time or fee)."""
    channels = sorted(proc.channels or [], key=lambda c: CHANNELS.index(c["channel"]))
    lines = []
    for channel in channels:
        value = channel.get(key) or render(domain, unknown)
        label = render(domain, f"utter_label_channel_{channel['channel']}")
        line = f"• {label}: {value}"
        if key == "fee" and channel.get("fee_note"):
            line += f" ({channel['fee_note']})"
        lines.append(line)
    return "\n".join(lines) or f"• {render(domain, unknown)}"


def channels_text(domain: DomainDict, proc: Procedure) -> str:
    """Which submission channels exist, in words."""
    names = [render(domain, f"utter_label_channel_{c['channel']}").lower()
             for c in sorted(proc.channels or [], key=lambda c: CHANNELS.index(c["channel"]))]
    return ", ".join(names) or render(domain, "utter_label_time_unknown")


def answer_text(domain: DomainDict, proc: Procedure, aspect: str) -> str:
    """The full answer about one aspect of a procedure."""
    url = (proc.urls or [None])[0] or get_settings().national_portal_url
    footer = render(domain, "utter_proc_footer", url=url, verified=format_verified(proc))
    common = {"name": proc.name, "code": proc.code, "footer": footer}
    if aspect == "documents":
        return render(domain, "utter_proc_documents", documents=format_documents(domain, proc),
                      **common)
    if aspect == "fee":
        return render(domain, "utter_proc_fee",
                      fees=_per_channel(domain, proc, "fee", "utter_label_fee_unknown"), **common)
    if aspect == "time":
        return render(domain, "utter_proc_time",
                      times=_per_channel(domain, proc, "time", "utter_label_time_unknown"), **common)
    if aspect == "where":
        return render(domain, "utter_proc_where", agency=proc.agency,
                      channels=channels_text(domain, proc), **common)
    if aspect == "online":
        how = proc.online_how or render(domain, "utter_label_online_how_default", code=proc.code)
        if proc.online_level == "khong":
            how = ""
        return render(domain, "utter_proc_online", online_level=online_label(domain, proc),
                      online_how=how, **common)
    return render(domain, "utter_proc_overview", field=proc.field, agency=proc.agency,
                  online_level=online_label(domain, proc), **common)


def follow_up_buttons(domain: DomainDict, code: str, aspect: str) -> List[Dict[str, str]]:
    """Three other aspects and the two feedback buttons (five in all, Zalo's limit)."""
    others = [a for a in FOLLOW_UP_BUTTONS if a != aspect][:3]
    buttons = [{"title": render(domain, f"utter_label_button_{a}"),
                "payload": payload(f"ask_{a}", code)} for a in others]
    buttons.append({"title": render(domain, "utter_label_button_helpful"),
                    "payload": payload("feedback_helpful", code)})
    buttons.append({"title": render(domain, "utter_label_button_not_helpful"),
                    "payload": payload("feedback_not_helpful", code)})
    return buttons


def clear_match(text: str) -> str | None:
    """The code of a procedure the text names unambiguously, or None."""
    outcome, matches = decide(catalog_index().search(text, limit=3), None)
    return matches[0].code if outcome == "found" else None


def answer(dispatcher: CollectingDispatcher, domain: DomainDict, code: str,
           aspect: str) -> List[Dict[Text, Any]]:
    """Send the answer about one aspect of a procedure and remember it as the context."""
    with session_maker()() as session:
        proc = get_procedure(session, code)
        if proc is None:
            dispatcher.utter_message(text=render(domain, "utter_proc_not_found"))
            return [SlotSet("procedure_code", None)]
        dispatcher.utter_message(text=answer_text(domain, proc, aspect),
                                 buttons=follow_up_buttons(domain, proc.code, aspect))
    return [SlotSet("procedure_code", code), SlotSet("pending_aspect", None)]


class ActionAnswerProcedure(SafeAction):
    """Finds the procedure (button, search or context) and answers the asked aspect."""

    def name(self) -> Text:
        """Action name."""
        return "action_answer_procedure"

    def safe_run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                 domain: DomainDict) -> List[Dict[Text, Any]]:
        """Answer, ask to choose, or say plainly that nothing was found."""
        intent = (tracker.latest_message.get("intent") or {}).get("name") or ""
        context = tracker.get_slot("procedure_code")
        if intent == "choose_procedure":
            aspect = tracker.get_slot("pending_aspect") or "overview"
        else:
            aspect = INTENT_ASPECT.get(intent, "overview")
        code = latest_entity(tracker, "procedure_code")
        if code is None:
            text = tracker.latest_message.get("text") or ""
            index = catalog_index().get()
            tokens = index.query_tokens(text)
            outcome, matches = decide(index.rank(text, tokens, limit=3), context)
            if outcome == "ambiguous":
                dispatcher.utter_message(
                    text=render(domain, "utter_proc_ambiguous"),
                    buttons=[{"title": m.name, "payload": payload("choose_procedure", m.code)}
                             for m in matches])
                return [SlotSet("pending_aspect", aspect)]
            if outcome == "none":
                if intent == "ask_overview" or tokens:
                    dispatcher.utter_message(text=render(domain, "utter_proc_not_found"))
                else:
                    dispatcher.utter_message(text=render(domain, "utter_proc_which"))
                return [SlotSet("pending_aspect", aspect)]
            code = matches[0].code if outcome == "found" else context
        return answer(dispatcher, domain, code, aspect)
