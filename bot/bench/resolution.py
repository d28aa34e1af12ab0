"""Procedure resolution on the held-out resident queries: our search vs. a TF-IDF baseline."""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import yaml

from bot.bench.stats import top_k_accuracy
from bot.config import ROOT, get_settings
from bot.text import fold

HELDOUT_DIR = ROOT / "tests" / "heldout"
QUERIES_PATH = HELDOUT_DIR / "procedure_queries.yml"
EXPECT_CODES_PATH = HELDOUT_DIR / "expect_codes.yml"
Ranker = Callable[[str], list[str]]
BUNDLE_FIELD = "lien_thong"          # catalogue file of the joint (liên thông) procedures


@dataclass(frozen=True)
class Query:
    """One held-out query with its gold catalogue code."""

    text: str
    gold: str
    source: str        # "code" (reference code) or "expect" (description mapped to a code)
    label: str         # the label as written in the held-out file


def load_queries(path: Path = QUERIES_PATH, codes_path: Path = EXPECT_CODES_PATH) -> list[Query]:
    """Held-out queries with gold codes (expect descriptions and replaced codes mapped)."""
    mapping = yaml.safe_load(codes_path.read_text(encoding="utf-8"))
    expect, replaced = mapping["expect"], {str(k): str(v) for k, v in mapping["replaced"].items()}
    queries = []
    for item in yaml.safe_load(path.read_text(encoding="utf-8"))["queries"]:
        if "code" in item:
            code = str(item["code"])
            queries.append(Query(item["text"], replaced.get(code, code), "code", code))
        else:
            queries.append(Query(item["text"], str(expect[item["expect"]]), "expect",
                                 item["expect"]))
    return queries


def catalog_names(directory: Path | None = None) -> dict[str, tuple[str, str]]:
    """code -> (name, catalogue file stem) from the seed files (default: the configured ones)."""
    directory = directory or get_settings().catalog_dir
    names = {}
    for path in sorted(directory.glob("*.yml")):
        for proc in yaml.safe_load(path.read_text(encoding="utf-8"))["procedures"]:
            names[str(proc["code"])] = (proc["name"], path.stem)
    return names


def accent_style(text: str) -> str:
    """'unaccented' when the query carries no diacritic at all, else 'with_diacritics'."""
    from bot.text import has_diacritics

    return "with_diacritics" if has_diacritics(text) else "unaccented"


def tfidf_ranker(names: dict[str, str], analyzer: str = "char_wb",
                 ngram_range: tuple[int, int] = (2, 4)) -> Ranker:
    """A plain baseline: TF-IDF cosine between the folded query and folded procedure names."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import linear_kernel

    codes = list(names)
    vectorizer = TfidfVectorizer(analyzer=analyzer, ngram_range=ngram_range, sublinear_tf=True)
    matrix = vectorizer.fit_transform([fold(names[c]) for c in codes])

    def rank(query: str, limit: int = 3) -> list[str]:
        """Codes of the best names for the query, highest cosine first."""
        scores = linear_kernel(vectorizer.transform([fold(query)]), matrix)[0]
        order = sorted(range(len(codes)), key=lambda i: (-scores[i], codes[i]))
        return [codes[i] for i in order[:limit] if scores[i] > 0]

    return rank


def build_catalog_index(catalog_dir: Path | None = None):  # type: ignore[no-untyped-def]
    """Our search index built by repository.build_index on a fresh SQLite loaded from the seeds."""
    from bot.catalog.repository import index_from_seed_files

    return index_from_seed_files(catalog_dir or get_settings().catalog_dir)


def decide_outcome(matches: list, gold: str) -> str:
    """How actions.procedures.decide would resolve the query, judged against the gold code."""
    from actions.procedures import decide

    outcome, chosen = decide(matches, None)
    codes = [m.code for m in chosen]
    if outcome == "found":
        return "found_correct" if codes[0] == gold else "found_wrong"
    if outcome == "ambiguous":
        return "ambiguous_with_gold" if gold in codes else "ambiguous_without_gold"
    return "none"


def error_category(gold: str, ranked: Sequence[str], fields: dict[str, str]) -> str:
    """Why top-1 is wrong: no match, a bundle resolved to a part, a sibling, or unrelated."""
    if not ranked:
        return "no_match"
    if fields.get(gold) == BUNDLE_FIELD and fields.get(ranked[0]) != BUNDLE_FIELD:
        return "bundle_resolved_to_a_component"
    if fields.get(ranked[0]) == fields.get(gold):
        return "sibling_in_same_field"
    return "other_field"


def score(queries: Sequence[Query], rankings: Sequence[Sequence[str]]) -> dict:
    """Top-1 and top-3 accuracy, overall and by label source."""
    gold = [q.gold for q in queries]
    result = {"n": len(queries), "top1": round(top_k_accuracy(gold, rankings, 1), 4),
              "top3": round(top_k_accuracy(gold, rankings, 3), 4)}
    for source in ("code", "expect"):
        idx = [i for i, q in enumerate(queries) if q.source == source]
        result[f"{source}_n"] = len(idx)
        result[f"{source}_top1"] = round(top_k_accuracy([gold[i] for i in idx],
                                                        [rankings[i] for i in idx], 1), 4)
    return result


def by_style(queries: Sequence[Query], rankings: Sequence[Sequence[str]]) -> dict:
    """Top-1 accuracy by how the query was typed (unaccented or with diacritics)."""
    groups: dict[str, list[int]] = {}
    for i, q in enumerate(queries):
        groups.setdefault(accent_style(q.text), []).append(i)
    return {style: {"n": len(idx), "top1": round(top_k_accuracy(
        [queries[i].gold for i in idx], [rankings[i] for i in idx], 1), 4)}
            for style, idx in sorted(groups.items())}


def run() -> dict:
    """Score our search, the decision layer and the TF-IDF baseline on every held-out query."""
    started = time.perf_counter()
    queries = load_queries()
    catalogue = catalog_names()
    names = {code: name for code, (name, _) in catalogue.items()}
    fields = {code: stem for code, (_, stem) in catalogue.items()}
    missing = sorted({q.gold for q in queries} - set(names))
    index = build_catalog_index()
    t0 = time.perf_counter()
    matches = [index.search(q.text, limit=3) for q in queries]
    search_ms = (time.perf_counter() - t0) * 1000 / max(len(queries), 1)
    ours = [[m.code for m in ms] for ms in matches]
    baselines = {}
    for label, analyzer, ngrams in (("tfidf_char_wb_2_4", "char_wb", (2, 4)),
                                    ("tfidf_word_1_2", "word", (1, 2))):
        rank = tfidf_ranker(names, analyzer, ngrams)
        baselines[label] = rank
    base_rankings = {label: [rank(q.text) for q in queries] for label, rank in baselines.items()}
    outcomes = [decide_outcome(ms, q.gold) for ms, q in zip(matches, queries)]
    failures = [{"text": q.text, "gold": q.gold, "label": q.label,
                 "gold_name": names.get(q.gold, "?"), "top3": r,
                 "category": error_category(q.gold, r, fields), "gold_in_top3": q.gold in r[:3],
                 "style": accent_style(q.text)}
                for q, r in zip(queries, ours) if not r or r[0] != q.gold]
    return {
        "queries": len(queries), "missing_gold_codes": missing,
        "ours": {**score(queries, ours), "by_style": by_style(queries, ours),
                 "search_ms_per_query": round(search_ms, 2)},
        "baselines": {label: {**score(queries, r), "by_style": by_style(queries, r)}
                      for label, r in base_rankings.items()},
        "decide": dict(Counter(outcomes)),
        "error_categories": {f"{c} ({'gold in top-3' if t else 'gold not in top-3'})": n
                             for (c, t), n in sorted(Counter(
                                 (f["category"], f["gold_in_top3"]) for f in failures).items())},
        "failures": failures,
        "seconds": round(time.perf_counter() - started, 1),
    }
