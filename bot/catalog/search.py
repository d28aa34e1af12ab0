"""Accent-, case- and typo-tolerant ranking of procedures over their names and aliases."""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence

import yaml
from rapidfuzz import process
from rapidfuzz.distance import Hamming, Levenshtein

from bot.config import ROOT
from bot.text import fold, short_name, words

LEXICON_PATH = ROOT / "data" / "lexicon" / "search.yml"
SPECIFIC_GAP = 0.2  # a more specific sibling this close to a better-scored one is put above it
W_PHRASE = 0.65  # weight of the best name/alias coverage; the rest: how much of the query the procedure explains
_AGE_IN_QUERY = re.compile(r"\b(duoi\s+)?(\d{1,3})\s*(?:tuoi|t)\b")
_AGE_UNDER = re.compile(r"duoi\s+0*(\d{1,3})\s+tuoi")
_AGE_FROM = re.compile(r"tu\s+(?:du\s+)?0*(\d{1,3})\s+tuoi")


@dataclass(frozen=True)
class Lexicon:
    """Expansions, stop phrases and place names, folded."""

    expansions: dict[str, tuple[str, ...]]
    stop_phrases: tuple[tuple[str, ...], ...]
    generic: frozenset[str] = frozenset()

    @classmethod
    def load(cls, path: Path = LEXICON_PATH) -> "Lexicon":
        """Read the lexicon data file."""
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        expansions = {fold(k): tuple(words(v)) for k, v in (data.get("expansions") or {}).items()}
        phrases = [tuple(words(p)) for p in (data.get("stop_phrases") or []) + (data.get("places") or [])]
        # longest first, then alphabetical: the same removal order in every process
        phrases = sorted({p for p in phrases if p}, key=lambda p: (-len(p), p))
        generic = frozenset(w for g in data.get("generic_words") or [] for w in words(g))
        return cls(expansions=expansions, stop_phrases=tuple(phrases), generic=generic)


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    """The lexicon shipped in data/lexicon, loaded once."""
    return Lexicon.load()


@dataclass(frozen=True)
class Entry:
    """What the index knows of one procedure."""

    code: str
    name: str
    phrases: tuple[tuple[str, ...], ...]
    min_age: int | None = None
    max_age: int | None = None  # exclusive: "dưới 14 tuổi"


def age_range(name: str) -> tuple[int | None, int | None]:
    """The age range a procedure name states ("dưới 14 tuổi", "từ đủ 14 tuổi"), if any."""
    folded = fold(name)
    under, since = _AGE_UNDER.search(folded), _AGE_FROM.search(folded)
    return (int(since.group(1)) if since else None, int(under.group(1)) if under else None)


def query_age(folded_query: str) -> int | None:
    """The age a query states ("con 10 tuổi"); "dưới 14 tuổi" counts as 13."""
    found = _AGE_IN_QUERY.search(folded_query)
    if not found:
        return None
    age = int(found.group(2))
    return max(age - 1, 0) if found.group(1) else age


def age_fit(entry: Entry, age: int) -> float | None:
    """Score bonus for a resident's age (tighter ranges more), None when the age rules it out."""
    if entry.min_age is None and entry.max_age is None:
        return 0.0
    if (entry.min_age is not None and age < entry.min_age) or \
            (entry.max_age is not None and age >= entry.max_age):
        return None
    return 0.1 + (0.5 / entry.max_age if entry.max_age else 0.0)


@dataclass(frozen=True)
class Match:
    """A ranked search result."""

    code: str
    name: str
    score: float
    phrase: str
    hits: int = 0  # distinct query words found in the matched phrase


def _bigrams(tokens: Sequence[str]) -> list[tuple[str, str]]:
    """Adjacent token pairs."""
    return list(zip(tokens, tokens[1:]))


def _remove_phrases(tokens: list[str], phrases: Iterable[tuple[str, ...]]) -> list[str]:
    """Drop every occurrence of the given phrases, longest first."""
    for phrase in phrases:
        size = len(phrase)
        i, kept = 0, []
        while i < len(tokens):
            if tuple(tokens[i:i + size]) == phrase:
                i += size
            else:
                kept.append(tokens[i])
                i += 1
        tokens = kept
    return tokens


def expand(tokens: Iterable[str], lexicon: Lexicon) -> tuple[str, ...]:
    """Replace abbreviations by their words (CCCD -> căn cước công dân)."""
    return tuple(word for token in tokens for word in lexicon.expansions.get(token, (token,)))


def entry_from_record(code: str, name: str, aliases: Iterable[str],
                      lexicon: Lexicon | None = None) -> Entry:
    """Index entry of a procedure from its name and aliases (abbreviations expanded)."""
    lexicon = lexicon or default_lexicon()
    folded_name = fold(short_name(name))
    phrases = {expand(words(folded_name), lexicon)}
    phrases.update(expand(words(alias), lexicon) for alias in aliases)
    min_age, max_age = age_range(name)
    return Entry(code=code, name=name, phrases=tuple(sorted(p for p in phrases if p)),
                 min_age=min_age, max_age=max_age)


class CatalogIndex:
    """An in-memory index over procedure names and aliases, built once per catalogue version."""

    def __init__(self, entries: Sequence[Entry], lexicon: Lexicon | None = None):
        self.entries = list(entries)
        self.lexicon = lexicon or default_lexicon()
        doc_tokens = [{t for p in e.phrases for t in p} for e in self.entries]
        df = Counter(t for tokens in doc_tokens for t in tokens)
        n = max(len(self.entries), 1)
        self.idf = {t: math.log(1 + n / c) for t, c in df.items()}
        self.vocab = sorted(self.idf)
        self._vocab4 = [w for w in self.vocab if len(w) == 4]
        self._max_age = {e.code: e.max_age for e in self.entries if e.max_age is not None}
        self._doc_tokens = doc_tokens
        self._correction_cache: dict[str, str | None] = {}

    def _correct(self, token: str) -> str | None:
        """The closest known word for an unknown one (typos), or None."""
        if token in self.idf:
            return token
        if token in self._correction_cache:
            return self._correction_cache[token]
        best = None
        if len(token) >= 4 and not token.isdigit():
            # a short syllable one letter shorter is often another real word ("trom" is not
            # "tro"): four letters only take a changed letter, longer words one or two edits
            short = len(token) == 4
            choices = self._vocab4 if short else self.vocab
            scorer = Hamming.distance if short else Levenshtein.distance
            limit = 1 if len(token) <= 5 else 2
            found = process.extractOne(token, choices, scorer=scorer, score_cutoff=limit)
            if found is not None:
                best = found[0]
        self._correction_cache[token] = best
        return best

    def query_tokens(self, query: str) -> list[str]:
        """Fold, expand abbreviations, drop question words and places, fix typos (unknown words stay)."""
        tokens = _remove_phrases(list(expand(words(query), self.lexicon)), self.lexicon.stop_phrases)
        return [self._correct(t) or t for t in tokens]

    def _phrase_score(self, phrase: tuple[str, ...], q_uni: set[str],
                      q_bi: set[tuple[str, str]]) -> float:
        """IDF-weighted coverage of a phrase by the query, unigrams and bigrams."""
        total = sum(self.idf[t] for t in phrase)
        uni = sum(self.idf[t] for t in phrase if t in q_uni) / total if total else 0.0
        bigrams = _bigrams(phrase)
        if not bigrams:
            return uni
        bi = sum(1 for b in bigrams if b in q_bi) / len(bigrams)
        if bi == 0.0:  # scattered syllables ("khai" alone) are weak evidence for a phrase
            return 0.25 * uni
        return 0.5 * uni + 0.5 * bi

    def search(self, query: str, limit: int = 3) -> list[Match]:
        """Best procedures for a free-text query, highest score first."""
        return self.rank(query, self.query_tokens(query), limit)

    def rank(self, query: str, tokens: Sequence[str], limit: int = 3) -> list[Match]:
        """Best procedures for a query already turned into tokens by query_tokens()."""
        if not tokens:
            return []
        age = query_age(fold(query))
        q_uni, q_bi = set(tokens), set(_bigrams(tokens))
        unknown_weight = max(self.idf.values(), default=1.0)
        q_weight = sum(self.idf.get(t, unknown_weight) for t in q_uni) or 1.0
        results: list[Match] = []
        for entry, doc in zip(self.entries, self._doc_tokens):
            best, best_phrase = 0.0, ()
            for phrase in entry.phrases:
                coverage = self._phrase_score(phrase, q_uni, q_bi)
                # Of two well-covered phrases, prefer the one that explains more of the query.
                explains = min(sum(self.idf[t] for t in set(phrase) if t in q_uni) / q_weight, 1.0)
                score = 0.75 * coverage + 0.25 * explains * (coverage > 0)
                if score > best:
                    best, best_phrase = score, phrase
            if best <= 0:
                continue
            explained = sum(self.idf.get(t, 0.0) for t in q_uni if t in doc) / q_weight
            score = W_PHRASE * best + (1 - W_PHRASE) * explained
            if age is not None:
                fit = age_fit(entry, age)
                if fit is None:
                    continue  # the resident's age rules this procedure out
                score += fit
            hits = len((set(best_phrase) & q_uni) - self.lexicon.generic)
            results.append(Match(entry.code, entry.name, round(score, 4), " ".join(best_phrase), hits))
        results.sort(key=lambda m: (-m.score, m.code))
        results = self._prefer_specific(results, q_uni)
        if age is not None:  # a stated age outranks wording: "con 4 tuổi" is the under-6 card
            results = sorted(self._prefer_narrowest_age(results), key=lambda m: -m.score)
        return results[:limit]

    def _prefer_narrowest_age(self, results: list[Match]) -> list[Match]:
        """Of the procedures whose age range fits the stated age, the narrowest range goes first."""
        fitting = [m for m in results if m.code in self._max_age]
        if len(fitting) < 2:
            return results
        narrowest = min(fitting, key=lambda m: self._max_age[m.code])
        top = max(m.score for m in fitting)
        if top - narrowest.score > SPECIFIC_GAP:
            return results
        return [replace(m, score=round(top + 0.001, 4)) if m is narrowest else m for m in results]

    def _prefer_specific(self, results: list[Match], q_uni: set[str]) -> list[Match]:
        """Put a procedure above a close sibling whose matched words it all has, and more.

        "làm lại căn cước bị mất" matches both "căn cước" (first card) and "cấp lại căn cước":
        the second explains "lại" and "mất" as well, so it is the more specific answer.
        """
        ranked = results[:8]
        while (pair := self._first_more_specific(ranked, q_uni)) is not None:
            upper, lower = pair
            ranked.insert(upper, replace(ranked.pop(lower),
                                         score=round(ranked[upper].score + 0.001, 4)))
        return ranked + results[8:]

    def _first_more_specific(self, ranked: list[Match],
                             q_uni: set[str]) -> tuple[int, int] | None:
        """(i, j): the first ranked[j] below ranked[i] that is close and more specific."""
        matched = [q_uni & set(m.phrase.split()) for m in ranked]
        for i, upper in enumerate(ranked):
            for j in range(i + 1, len(ranked)):
                if upper.score - ranked[j].score <= SPECIFIC_GAP and matched[i] < matched[j] \
                        and matched[j] - matched[i] - self.lexicon.generic:
                    return i, j
        return None
