"""Measure what the spaCy CatalogMatcher adds to the catalogue search, without Rasa training.

Scores top-1 procedure retrieval on the held-out queries that carry a `code:` label (the
`expect:` ones are not scored). Never tune anything on these numbers' individual failures.
Run: python -m bot.nlu.matcher_eval  (writes nothing; prints a Markdown table).
"""
from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Sequence

import yaml

from bot.catalog.search import CatalogIndex, default_lexicon
from bot.config import ROOT, get_settings
from bot.nlu.catalog_matcher import PhraseIndex, patterns_from_catalog
from bot.nlu.normalizer import expand_chat_words
from bot.text import normalize

HELDOUT = ROOT / "tests" / "heldout" / "procedure_queries.yml"
# The catalogue replaced these two joint birth procedures by one code (see data/catalog/lien_thong.yml).
REPLACED = {"2.000986": "3.000722", "2.001023": "3.000722"}
# Decision thresholds of actions/procedures.py (copied, not imported: actions/ needs rasa_sdk).
STRONG_SCORE, WEAK_SCORE, CLEAR_MARGIN = 0.55, 0.30, 0.08

Predictor = Callable[[str], Optional[str]]


@dataclass(frozen=True)
class Row:
    """One line of the result table."""

    name: str
    fired: int
    correct: int
    total: int
    ms_mean: float
    ms_p95: float

    def cells(self) -> list[str]:
        """The row as Markdown cells."""
        cover = self.fired / self.total if self.total else 0.0
        precision = self.correct / self.fired if self.fired else 0.0
        accuracy = self.correct / self.total if self.total else 0.0
        return [self.name, f"{accuracy:.1%} ({self.correct}/{self.total})", f"{cover:.1%}",
                f"{precision:.1%}", f"{self.ms_mean:.2f}", f"{self.ms_p95:.2f}"]


def heldout_queries(path: Path = HELDOUT) -> list[tuple[str, str]]:
    """(text, code) pairs of the held-out file, replaced codes mapped to their successor."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [(q["text"], REPLACED.get(str(q["code"]), str(q["code"])))
            for q in data.get("queries") or [] if q.get("code")]


def fresh_search_index(directory: Path | None = None) -> CatalogIndex:
    """Search index built as in production: seed files -> fresh SQLite -> build_index."""
    from bot.catalog.repository import index_from_seed_files

    return index_from_seed_files(directory or get_settings().catalog_dir)


def pipeline_text(text: str) -> str:
    """The text as Rasa components see it after VietnameseNormalizer."""
    return expand_chat_words(normalize(text), default_lexicon().expansions)


def search_top1(index: CatalogIndex) -> Predictor:
    """Top-1 code of the search, if any."""
    def predict(text: str) -> Optional[str]:
        matches = index.search(text, limit=1)
        return matches[0].code if matches else None
    return predict


def search_found(index: CatalogIndex) -> Predictor:
    """The code the actions would answer without asking (decide() == 'found', no context)."""
    def predict(text: str) -> Optional[str]:
        matches = index.search(text, limit=3)
        if not matches or matches[0].score < WEAK_SCORE:
            return None
        best, second = matches[0], (matches[1].score if len(matches) > 1 else 0.0)
        if best.score >= STRONG_SCORE and best.score - second >= CLEAR_MARGIN:
            return best.code
        close = [m for m in matches if m.score >= max(WEAK_SCORE, best.score - 0.15)]
        return best.code if len(close) == 1 and best.score >= STRONG_SCORE else None
    return predict


def matcher_only(phrases: PhraseIndex) -> Predictor:
    """The matcher's code, if it fires."""
    def predict(text: str) -> Optional[str]:
        hit = phrases.best(pipeline_text(text))
        return hit.code if hit else None
    return predict


def first_of(*predictors: Predictor) -> Predictor:
    """The first predictor that answers."""
    def predict(text: str) -> Optional[str]:
        for predictor in predictors:
            code = predictor(text)
            if code is not None:
                return code
        return None
    return predict


def score(name: str, predict: Predictor, queries: Sequence[tuple[str, str]]) -> Row:
    """Coverage, accuracy and per-query time of a predictor."""
    fired = correct = 0
    times: list[float] = []
    for text, gold in queries:
        started = time.perf_counter()
        code = predict(text)
        times.append((time.perf_counter() - started) * 1000)
        fired += code is not None
        correct += code == gold
    times.sort()
    p95 = times[int(0.95 * (len(times) - 1))] if times else 0.0
    return Row(name, fired, correct, len(queries), statistics.fmean(times) if times else 0.0, p95)


def evaluate(queries: Sequence[tuple[str, str]], directory: Path | None = None) -> list[Row]:
    """All variants on the given (text, code) queries."""
    index = fresh_search_index(directory)
    patterns = patterns_from_catalog(directory or get_settings().catalog_dir)
    matchers = {tok: PhraseIndex(patterns, tok) for tok in ("xx", "vi")}
    search_raw, search_norm = search_top1(index), lambda t: search_top1(index)(pipeline_text(t))
    found_norm = lambda t: search_found(index)(pipeline_text(t))  # noqa: E731
    for predict in (search_raw, *map(matcher_only, matchers.values())):  # warm caches
        for text, _ in queries[:5]:
            predict(text)
    rows = [score("(a) search top-1, raw text", search_raw, queries),
            score("(a) search top-1, normalised text", search_norm, queries),
            score("(a') search, answered without asking", found_norm, queries)]
    for tok, phrases in matchers.items():
        only = matcher_only(phrases)
        rows += [score(f"(c) matcher alone [{tok}]", only, queries),
                 score(f"(b) matcher [{tok}] then search top-1", first_of(only, search_norm), queries),
                 score(f"(b') matcher [{tok}] then search, answered without asking",
                       first_of(only, found_norm), queries)]
    return rows


def table(rows: Sequence[Row]) -> str:
    """Markdown table of the rows."""
    head = ["variant", "top-1 accuracy", "fires", "precision when fires", "ms/query", "p95 ms"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row.cells()) + " |" for row in rows]
    return "\n".join(lines)


def main() -> None:
    """Print the held-out table."""
    queries = heldout_queries()
    print(f"{len(queries)} held-out queries with a code label\n")
    print(table(evaluate(queries)))


if __name__ == "__main__":
    main()
