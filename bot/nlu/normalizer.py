"""Rasa component: NFC and tone-placement normalisation, chat-word expansion, and
accent-stripped copies of every training example (generated here, never by hand)."""
from __future__ import annotations

import copy
import re
from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.catalog.search import default_lexicon
from bot.text import fold, normalize, strip_accents

_TOKEN_RE = re.compile(r"\w+|\W+", re.UNICODE)


def expand_chat_words(text: str, expansions: Dict[str, tuple]) -> str:
    """Replace chat abbreviations (ko, j, dc, cccd...) by their (folded) words."""
    out = []
    for piece in _TOKEN_RE.findall(text):
        key = fold(piece)
        if piece.strip() and key in expansions:
            out.append(" ".join(expansions[key]))
        else:
            out.append(piece)
    return "".join(out)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class VietnameseNormalizer(GraphComponent):
    """Normalises Vietnamese text before tokenisation; augments training data without accents."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """augment: add an accent-stripped copy of each example; expand: chat words."""
        return {"augment": True, "expand": True}

    def __init__(self, config: Dict[Text, Any]) -> None:
        self._augment = bool(config.get("augment", True))
        self._expansions = default_lexicon().expansions if config.get("expand", True) else {}

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "VietnameseNormalizer":
        """Create the component."""
        return cls(config)

    def _clean(self, text: str) -> str:
        """Normalise one text."""
        text = normalize(text)
        return expand_chat_words(text, self._expansions) if self._expansions else text

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Normalise every example and add its accent-stripped copy."""
        extra: List[Message] = []
        seen = {m.get(TEXT) for m in training_data.training_examples if m.get(TEXT)}
        for message in training_data.training_examples:
            text = message.get(TEXT)
            if not text:
                continue
            message.set(TEXT, self._clean(text), add_to_output=False)
            if not self._augment or message.get("entities"):
                continue
            stripped = strip_accents(message.get(TEXT))
            if stripped in seen:
                continue
            seen.add(stripped)
            clone = Message(data=copy.deepcopy(message.data), output_properties=set(),
                            time=message.time, features=[])
            clone.set(TEXT, stripped)
            extra.append(clone)
        if not extra:
            return training_data
        return TrainingData(
            training_examples=training_data.training_examples + extra,
            entity_synonyms=training_data.entity_synonyms,
            regex_features=training_data.regex_features,
            lookup_tables=training_data.lookup_tables,
            responses=training_data.responses,
        )

    def process(self, messages: List[Message]) -> List[Message]:
        """Normalise incoming messages."""
        for message in messages:
            text = message.get(TEXT)
            if text:
                message.set(TEXT, self._clean(text))
        return messages
