"""Pure helpers of the benchmark: percentiles, F1 aggregation, folds, top-k accuracy."""
from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from typing import Iterable, Sequence


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation, like numpy's default."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100.0
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def latency_summary(latencies_s: Sequence[float]) -> dict:
    """p50/p95/p99/mean/max in milliseconds of latencies given in seconds."""
    ms = [v * 1000.0 for v in latencies_s]
    if not ms:
        return {"n": 0, "p50_ms": None, "p95_ms": None, "p99_ms": None, "mean_ms": None,
                "max_ms": None}
    return {"n": len(ms), "p50_ms": round(percentile(ms, 50), 1),
            "p95_ms": round(percentile(ms, 95), 1), "p99_ms": round(percentile(ms, 99), 1),
            "mean_ms": round(statistics.fmean(ms), 1), "max_ms": round(max(ms), 1)}


def per_intent_f1(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, float]:
    """F1 of every gold label (a prediction outside them counts only as a miss)."""
    true_pos: Counter = Counter(g for g, p in zip(gold, predicted) if g == p)
    pred_count: Counter = Counter(predicted)
    gold_count: Counter = Counter(gold)
    scores = {}
    for label in sorted(gold_count):
        denom = gold_count[label] + pred_count[label]
        scores[label] = 2.0 * true_pos[label] / denom if denom else 0.0
    return scores


def macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    """Macro-F1 over the gold labels (a prediction outside them counts only as a miss)."""
    scores = per_intent_f1(gold, predicted)
    return sum(scores.values()) / len(scores) if scores else float("nan")


def aggregate_folds(folds: Sequence[tuple[Sequence[str], Sequence[str]]]) -> dict:
    """Per-fold macro-F1 with mean and std, and macro-F1 of all folds' predictions pooled."""
    per_fold = [macro_f1(g, p) for g, p in folds]
    pooled_gold = [x for g, _ in folds for x in g]
    pooled_pred = [x for _, p in folds for x in p]
    return {"per_fold": [round(f, 4) for f in per_fold],
            "mean": round(statistics.fmean(per_fold), 4) if per_fold else float("nan"),
            "std": round(statistics.pstdev(per_fold), 4) if len(per_fold) > 1 else 0.0,
            "pooled": round(macro_f1(pooled_gold, pooled_pred), 4) if pooled_gold else float("nan"),
            "accuracy": round(sum(a == b for a, b in zip(pooled_gold, pooled_pred))
                              / len(pooled_gold), 4) if pooled_gold else float("nan")}


def stratified_folds(labels: Sequence[str], k: int = 5, seed: int = 42) -> list[list[int]]:
    """Test indices of k stratified folds (every label spread evenly; deterministic)."""
    from sklearn.model_selection import StratifiedKFold

    splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    return [sorted(test.tolist()) for _, test in splitter.split(list(labels), list(labels))]


def top_k_accuracy(gold: Sequence[str], ranked: Sequence[Sequence[str]], k: int) -> float:
    """Share of items whose gold label is among the first k ranked candidates."""
    if not gold:
        return float("nan")
    return sum(g in list(r)[:k] for g, r in zip(gold, ranked)) / len(gold)


def confusion_pairs(gold: Iterable[str], predicted: Iterable[str], top: int = 10) -> list[dict]:
    """The most frequent (gold, predicted) confusions."""
    counts = Counter((g, p) for g, p in zip(gold, predicted) if g != p)
    return [{"gold": g, "predicted": p, "count": c} for (g, p), c in counts.most_common(top)]


def per_label_recall(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, float]:
    """Recall of every gold label."""
    hits: dict[str, list[bool]] = defaultdict(list)
    for g, p in zip(gold, predicted):
        hits[g].append(g == p)
    return {label: round(sum(v) / len(v), 3) for label, v in sorted(hits.items())}


def ratio(ours: float | None, reference: float | None) -> float | None:
    """ours / reference, or None when either is missing or the reference is zero."""
    if ours is None or reference is None or reference == 0:
        return None
    return round(ours / reference, 2)
