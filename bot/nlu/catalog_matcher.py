"""Rasa component: a spaCy PhraseMatcher over catalogue names and aliases, in folded form,
that adds a `procedure_code` entity when one procedure is named unambiguously.

Why spaCy here, and which tokenizer
-----------------------------------
spaCy gives us a fast token-level phrase matcher (PhraseMatcher: a hash trie over token ids,
thousands of patterns matched in one pass) with character spans for each token, which is
exactly what an entity needs. No trained Vietnamese spaCy pipeline exists, so only the
tokenizer is used, and it runs over *folded* text (no diacritics, lower case, see
bot.text.fold): residents type half of their messages without accents and the catalogue is
written with them, so both sides must meet in accent-free space.

`spacy.blank("vi")` tokenises with pyvi by default, and pyvi mis-segments unaccented text
(shared/docs/vietnamese.md), so it is unusable on folded text. With pyvi turned off
(`spacy.blank("vi", config={"nlp": {"tokenizer": {"use_pyvi": False}}})`, key checked in
spacy/lang/vi/__init__.py: `[nlp.tokenizer] use_pyvi`) the Vietnamese tokenizer is a plain
`str.split()`: punctuation stays glued to syllables ("sinh?", "(cccd)"), so a phrase followed
by a question mark or in brackets never matches. `spacy.blank("xx")` uses spaCy's
rule-based multi-language tokenizer, which splits off punctuation and keeps decimal codes
("1.001193") and numbers whole; Vietnamese syllables are space separated, so syllables are
the right matching unit and no word segmentation is needed. Hence the default is "xx"; "vi"
(without pyvi) stays selectable through the `tokenizer` option and is measured alongside it
(bot/nlu/matcher_eval.py, reports/spacy_matcher.md).

Patterns are built at train time from the seed files in CATALOG_DIR (names without the
"Thủ tục" prefix, and aliases, as in bot.catalog.search), plus variants with the lexicon's
abbreviations expanded ("thẻ BHYT" -> "the bao hiem y te") and contracted ("đăng ký" ->
"dk"), and persisted in the model storage. A catalogue edit changes the component's
fingerprint (see `fingerprint_addon`), so the next `rasa train` rebuilds the patterns; edits
made in the admin database only reach the matcher through the seed files and a retrain.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import logging
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Text

import spacy
from spacy.language import Language
from spacy.matcher import PhraseMatcher

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (ENTITIES, ENTITY_ATTRIBUTE_END, ENTITY_ATTRIBUTE_START,
                                       ENTITY_ATTRIBUTE_TYPE, ENTITY_ATTRIBUTE_VALUE, TEXT)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.catalog.search import LEXICON_PATH, default_lexicon, entry_from_record
from bot.text import strip_accents

logger = logging.getLogger(__name__)

ENTITY = "procedure_code"
PATTERNS_FILE = "catalog_patterns.json"
TOKENIZERS = ("xx", "vi")
MAX_VARIANTS = 32  # per catalogue phrase, to bound contraction combinations


@dataclass(frozen=True)
class Pattern:
    """A folded phrase (syllables) and the procedure codes it names."""

    words: tuple[str, ...]
    codes: tuple[str, ...]


@dataclass(frozen=True)
class Hit:
    """A pattern found in a message, with its span in the original text."""

    code: str
    start: int
    end: int
    phrase: str


def make_nlp(tokenizer: str = "xx") -> Language:
    """A blank spaCy pipeline used only to tokenise folded text ("xx" or "vi" without pyvi)."""
    if tokenizer == "xx":
        return spacy.blank("xx")
    if tokenizer == "vi":
        return spacy.blank("vi", config={"nlp": {"tokenizer": {"use_pyvi": False}}})
    raise ValueError(f"tokenizer must be one of {TOKENIZERS}, not {tokenizer!r}")


def _fold_char(char: str) -> str:
    """Folded form of one character (a lone combining mark folds to nothing)."""
    return strip_accents(char).lower()


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """Folded, single-spaced text and, for each of its characters, the index in `text`."""
    out: list[str] = []
    index: list[int] = []
    for i, char in enumerate(text):
        if char.isspace():
            if not out or out[-1] == " ":
                continue
            folded = " "
        else:
            folded = _fold_char(char)
        for piece in folded:
            out.append(piece)
            index.append(i)
    return "".join(out), index


def original_span(text: str, index: Sequence[int], start: int, end: int) -> tuple[int, int]:
    """Span in the original text of the folded characters [start, end)."""
    orig_start, orig_end = index[start], index[end - 1] + 1
    while orig_end < len(text) and unicodedata.combining(text[orig_end]):
        orig_end += 1  # NFD input: keep the marks of the last letter inside the entity
    return orig_start, orig_end


def _contractions(expansions: Dict[str, tuple[str, ...]]) -> dict[tuple[str, ...], list[str]]:
    """Multi-word expansions and the abbreviations that stand for them ("dang ky": dk, dki...)."""
    out: dict[tuple[str, ...], list[str]] = {}
    for abbreviation, target in expansions.items():
        if len(target) >= 2 and abbreviation.isalnum():
            out.setdefault(target, []).append(abbreviation)
    return {target: sorted(set(abbrs)) for target, abbrs in out.items()}


def _segments(words: tuple[str, ...],
              contractions: dict[tuple[str, ...], list[str]]) -> list[list[tuple[str, ...]]]:
    """Left-to-right segments of a phrase, each with its alternatives (itself first)."""
    longest = max((len(t) for t in contractions), default=0)
    segments, i = [], 0
    while i < len(words):
        for size in range(min(longest, len(words) - i), 1, -1):
            target = words[i:i + size]
            if target in contractions:
                segments.append([target, *((a,) for a in contractions[target])])
                i += size
                break
        else:
            segments.append([(words[i],)])
            i += 1
    return segments


def phrase_variants(words: tuple[str, ...],
                    expansions: Dict[str, tuple[str, ...]]) -> set[tuple[str, ...]]:
    """The phrase, its abbreviations expanded, and multi-word expansions contracted."""
    expanded = tuple(w for word in words for w in expansions.get(word, (word,)))
    segments = _segments(expanded, _contractions(expansions))
    variants = {words, expanded}
    for choice in itertools.islice(itertools.product(*segments), MAX_VARIANTS):
        variants.add(tuple(w for part in choice for w in part))
    return {v for v in variants if v}


def build_patterns(records: Iterable[tuple[str, str, Sequence[str]]],
                   expansions: Optional[Dict[str, tuple[str, ...]]] = None) -> list[Pattern]:
    """Folded patterns from (code, name, aliases) records, each phrase with all its codes."""
    expansions = default_lexicon().expansions if expansions is None else expansions
    codes_of: dict[tuple[str, ...], set[str]] = {}
    for code, name, aliases in records:
        for phrase in entry_from_record(code, name, aliases).phrases:
            for variant in phrase_variants(phrase, expansions):
                codes_of.setdefault(variant, set()).add(code)
    return [Pattern(words, tuple(sorted(codes))) for words, codes in sorted(codes_of.items())]


def patterns_from_catalog(directory: Path) -> list[Pattern]:
    """Patterns for every procedure of a seed directory."""
    from bot.catalog.loader import read_seed_files

    records = read_seed_files(directory)
    return build_patterns((r.code, r.name, list(r.aliases or [])) for r in records)


def patterns_to_json(patterns: Sequence[Pattern]) -> list[dict]:
    """Plain JSON form of patterns."""
    return [{"words": list(p.words), "codes": list(p.codes)} for p in patterns]


def patterns_from_json(data: Sequence[dict]) -> list[Pattern]:
    """Patterns from their JSON form."""
    return [Pattern(tuple(d["words"]), tuple(d["codes"])) for d in data]


class PhraseIndex:
    """The PhraseMatcher over the patterns, and the choice of the best unambiguous match."""

    def __init__(self, patterns: Sequence[Pattern], tokenizer: str = "xx") -> None:
        self.nlp = make_nlp(tokenizer)
        self.tokenizer = tokenizer
        self.patterns = list(patterns)
        self.matcher = PhraseMatcher(self.nlp.vocab)
        self._pattern_of: dict[int, Pattern] = {}
        for number, pattern in enumerate(self.patterns):
            key = f"P{number}"
            self._pattern_of[self.nlp.vocab.strings.add(key)] = pattern
            # Tokenise the pattern as a message would be, so both sides split alike.
            self.matcher.add(key, [self.nlp.make_doc(" ".join(pattern.words))])

    def candidates(self, folded: str) -> list[tuple[Pattern, int, int]]:
        """Every pattern found in folded text, with its folded character span."""
        doc = self.nlp.make_doc(folded)
        found = []
        for match_id, start, end in self.matcher(doc):
            span = doc[start:end]
            found.append((self._pattern_of[match_id], span.start_char, span.end_char))
        return found

    def best(self, text: str) -> Optional[Hit]:
        """The longest, then most specific match if it names one procedure, else None."""
        folded, index = fold_with_offsets(text)
        found = self.candidates(folded)
        if not found:
            return None
        rank = lambda item: (len(item[0].words), -len(item[0].codes))  # noqa: E731
        top = max(rank(item) for item in found)
        winners = [item for item in found if rank(item) == top]
        codes = {code for pattern, _, _ in winners for code in pattern.codes}
        if len(codes) != 1:
            return None
        pattern, start, end = winners[0]
        orig_start, orig_end = original_span(text, index, start, end)
        return Hit(codes.pop(), orig_start, orig_end, " ".join(pattern.words))


def catalog_fingerprint(directory: Path) -> str:
    """A hash of the seed files and the lexicon, so that catalogue edits retrain the matcher."""
    digest = hashlib.sha256()
    for path in sorted(directory.glob("*.y*ml")) + [LEXICON_PATH]:
        if path.exists():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _catalog_dir(config: Dict[Text, Any]) -> Path:
    """The seed directory: the component option, else CATALOG_DIR from the settings."""
    if config.get("catalog_dir"):
        return Path(config["catalog_dir"])
    from bot.config import get_settings

    return get_settings().catalog_dir


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True)
class CatalogMatcher(GraphComponent, EntityExtractorMixin):
    """Extracts `procedure_code` when a message names one catalogue procedure."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """catalog_dir: seed files (default CATALOG_DIR); tokenizer: "xx" or "vi" (no pyvi)."""
        return {"catalog_dir": None, "tokenizer": "xx"}

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 patterns: Optional[Sequence[Pattern]] = None) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._index = PhraseIndex(patterns or [], self._config["tokenizer"])

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "CatalogMatcher":
        """An untrained matcher (no patterns)."""
        return cls(config, model_storage, resource)

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        """Retrain when the seed files or the lexicon change."""
        directory = _catalog_dir({**cls.get_default_config(), **config})
        return catalog_fingerprint(directory) if directory.is_dir() else None

    def train(self, training_data: TrainingData) -> Resource:
        """Build the patterns from the catalogue and persist them."""
        patterns = patterns_from_catalog(_catalog_dir(self._config))
        self._index = PhraseIndex(patterns, self._config["tokenizer"])
        self.persist()
        return self._resource

    def persist(self) -> None:
        """Write the patterns into the model storage."""
        with self._model_storage.write_to(self._resource) as directory:
            data = {"tokenizer": self._index.tokenizer,
                    "patterns": patterns_to_json(self._index.patterns)}
            (directory / PATTERNS_FILE).write_text(json.dumps(data, ensure_ascii=False),
                                                   encoding="utf-8")

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "CatalogMatcher":
        """Read the persisted patterns (none, with a warning, if the model has none)."""
        try:
            with model_storage.read_from(resource) as directory:
                data = json.loads((directory / PATTERNS_FILE).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            logger.warning("CatalogMatcher: no persisted patterns; it will extract nothing.")
            return cls(config, model_storage, resource)
        return cls({**config, "tokenizer": data.get("tokenizer", "xx")}, model_storage,
                   resource, patterns_from_json(data["patterns"]))

    def entity_for(self, text: str) -> Optional[Dict[Text, Any]]:
        """The procedure_code entity for a text, or None."""
        hit = self._index.best(text)
        if hit is None:
            return None
        return {ENTITY_ATTRIBUTE_TYPE: ENTITY, ENTITY_ATTRIBUTE_START: hit.start,
                ENTITY_ATTRIBUTE_END: hit.end, ENTITY_ATTRIBUTE_VALUE: hit.code,
                "confidence_entity": 1.0}

    def process(self, messages: List[Message]) -> List[Message]:
        """Add the procedure_code entity to messages that name one procedure."""
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            existing = message.get(ENTITIES, [])
            if any(e.get(ENTITY_ATTRIBUTE_TYPE) == ENTITY for e in existing):
                continue
            entity = self.entity_for(text)
            if entity is not None:
                message.set(ENTITIES, existing + self.add_extractor_name([entity]),
                            add_to_output=True)
        return messages
