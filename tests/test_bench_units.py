"""Pure functions of the benchmark (bot/bench): percentiles, F1 aggregation, folds, baselines."""
from __future__ import annotations

import math

import pytest

from bot.bench import stats
from bot.bench.report import targets
from bot.bench.resolution import accent_style, error_category, tfidf_ranker


def test_percentile_interpolates_like_numpy():
    values = [1.0, 2.0, 3.0, 4.0]
    assert stats.percentile(values, 50) == pytest.approx(2.5)
    assert stats.percentile(values, 0) == 1.0 and stats.percentile(values, 100) == 4.0
    assert stats.percentile([5.0, 1.0, 3.0], 50) == 3.0          # order does not matter
    assert math.isnan(stats.percentile([], 95))


def test_latency_summary_in_milliseconds():
    summary = stats.latency_summary([0.1] * 99 + [1.0])
    assert summary["n"] == 100 and summary["p50_ms"] == 100.0 and summary["max_ms"] == 1000.0
    assert 100.0 < summary["p99_ms"] <= 1000.0
    assert stats.latency_summary([])["p95_ms"] is None


def test_macro_f1_over_gold_labels_only():
    assert stats.macro_f1(["a", "b"], ["a", "b"]) == 1.0
    # a prediction outside the gold labels (nlu_fallback) is only a miss for the gold label
    assert stats.macro_f1(["a", "a", "b"], ["a", "nlu_fallback", "b"]) == pytest.approx(
        (2 * 1 / (2 + 1) + 1.0) / 2)


def test_aggregate_folds_mean_std_and_pooled():
    folds = [(["a", "b"], ["a", "b"]), (["a", "b"], ["b", "a"])]
    agg = stats.aggregate_folds(folds)
    assert agg["per_fold"] == [1.0, 0.0]
    assert agg["mean"] == 0.5 and agg["std"] == 0.5
    assert agg["pooled"] == 0.5 and agg["accuracy"] == 0.5


def test_stratified_folds_cover_everything_once_and_keep_proportions():
    labels = ["a"] * 10 + ["b"] * 5
    folds = stats.stratified_folds(labels, k=5)
    assert sorted(i for f in folds for i in f) == list(range(15))
    assert all([labels[i] for i in f].count("b") == 1 for f in folds)
    assert folds == stats.stratified_folds(labels, k=5)          # deterministic


def test_top_k_accuracy_and_ratio():
    assert stats.top_k_accuracy(["x", "y"], [["x", "z"], ["z", "y"]], 1) == 0.5
    assert stats.top_k_accuracy(["x", "y"], [["x", "z"], ["z", "y"]], 3) == 1.0
    assert stats.ratio(3.0, 2.0) == 1.5 and stats.ratio(1.0, 0) is None


TOY_CATALOGUE = {
    "A": "Thủ tục đăng ký khai sinh",
    "B": "Thủ tục đăng ký kết hôn",
    "C": "Cấp lại giấy phép lái xe",
}


def test_tfidf_baseline_ranks_names_on_folded_text():
    rank = tfidf_ranker(TOY_CATALOGUE)
    assert rank("dang ky khai sinh cho con")[0] == "A"        # no diacritics
    assert rank("Đăng ký KẾT HÔN")[0] == "B"
    assert rank("mat bang lai xe, xin cap lai")[0] == "C"
    word_rank = tfidf_ranker(TOY_CATALOGUE, analyzer="word", ngram_range=(1, 2))
    assert word_rank("xyz qqq") == []                          # nothing shared: no candidates


def test_error_categories_and_accent_style():
    fields = {"bundle": "lien_thong", "birth": "ho_tich", "marriage": "ho_tich",
              "car": "giao_thong"}
    assert error_category("bundle", ["birth"], fields) == "bundle_resolved_to_a_component"
    assert error_category("birth", ["marriage", "birth"], fields) == "sibling_in_same_field"
    assert error_category("birth", ["car"], fields) == "other_field"
    assert error_category("birth", [], fields) == "no_match"
    assert accent_style("lam giay khai sinh") == "unaccented"
    assert accent_style("làm giay khai sinh") == "with_diacritics"


def test_targets_report_unmeasured_as_none():
    rows = {r["target"]: r for r in targets({"resolution": {"ours": {"top1": 0.95, "top3": 0.96}}})}
    assert rows["procedure resolution top-1"]["met"] is True
    assert rows["procedure resolution top-3"]["met"] is False
    assert rows["training from scratch (s)"]["met"] is None
