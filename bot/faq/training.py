"""Rasa retrieval-intent data (`faq/<id>`, `utter_faq/<id>`) generated from the FAQ source."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import yaml

from bot.config import ROOT
from bot.faq.source import FaqEntry

INTENT = "faq"
DOMAIN_PATH = ROOT / "domain.yml"
FORMAT_PATH = ROOT / "data" / "faq" / "answer_format.yml"


@lru_cache(maxsize=1)
def verified_suffix() -> str:
    """The line added under every FAQ answer with its date (data/faq/answer_format.yml)."""
    return yaml.safe_load(FORMAT_PATH.read_text(encoding="utf-8"))["verified_suffix"]


def button_titles(domain_path: Path = DOMAIN_PATH) -> tuple[str, str]:
    """The 👍/👎 button titles, taken from the domain so they are written once."""
    responses = (yaml.safe_load(domain_path.read_text(encoding="utf-8")) or {}).get("responses", {})
    helpful = responses.get("utter_label_button_helpful") or [{"text": "👍"}]
    not_helpful = responses.get("utter_label_button_not_helpful") or [{"text": "👎"}]
    return helpful[0]["text"], not_helpful[0]["text"]


def feedback_payload(intent: str, faq_id: str) -> str:
    """A button payload that carries the FAQ id for action_record_feedback."""
    return f"/{intent}{json.dumps({'faq_id': faq_id})}"


def answer_with_date(entry: FaqEntry) -> str:
    """The answer followed by its last-verified date (dd/mm/yyyy), never typed twice by staff."""
    day = entry.verified_date()
    suffix = verified_suffix().format(date=day.strftime("%d/%m/%Y")) if day else ""
    return entry.answer.strip() + suffix


class _BlockDumper(yaml.SafeDumper):
    """A YAML dumper writing multi-line text as literal blocks (readable, like Rasa's own files)."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    """Represent multi-line strings with `|`."""
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _text)


def faq_yaml(entries: list[FaqEntry], domain_path: Path = DOMAIN_PATH) -> str:
    """Retrieval training data with 👍/👎 buttons on every answer; empty when no entries."""
    if not entries:
        return ""
    from bot.nlu.generate import build_retrieval_data

    items = [{"id": e.id, "examples": list(e.questions), "answer": answer_with_date(e)}
             for e in entries]
    doc = yaml.safe_load(build_retrieval_data(INTENT, items))
    helpful, not_helpful = button_titles(domain_path)
    for entry in entries:
        response = doc["responses"][f"utter_{INTENT}/{entry.id}"][0]
        response["buttons"] = [
            {"title": helpful, "payload": feedback_payload("feedback_helpful", entry.id)},
            {"title": not_helpful, "payload": feedback_payload("feedback_not_helpful", entry.id)},
        ]
    return yaml.dump(doc, Dumper=_BlockDumper, allow_unicode=True, sort_keys=False, width=1000)
