"""Rasa component: messages carrying a link or a secret get a fixed intent, whatever DIET said."""
from __future__ import annotations

import re
from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.security import links, secrets

SECRET_INTENT = "secret_shared"
LINK_INTENT = "check_link"
MASK_TOKEN_RE = re.compile(r"\[(password|otp|card|id_number|phone|bank_account)\]")


def signal_intent(text: str) -> str | None:
    """The intent forced by what the text carries, or None."""
    if MASK_TOKEN_RE.search(text) or secrets.detect(text):
        return SECRET_INTENT
    if links.find_links(text):
        return LINK_INTENT
    return None


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class SignalOverrides(GraphComponent):
    """Sets check_link / secret_shared when a message contains a link or a secret."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """No options."""
        return {}

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "SignalOverrides":
        """Create the component."""
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        """Override the intent of messages that carry a link or a secret."""
        for message in messages:
            intent = signal_intent(message.get(TEXT) or "")
            if intent is None:
                continue
            forced = {"name": intent, "confidence": 1.0}
            ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != intent]
            message.set(INTENT, forced, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [forced] + ranking, add_to_output=True)
        return messages
