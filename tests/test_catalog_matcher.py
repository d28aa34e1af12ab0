"""CatalogMatcher: folded spaCy PhraseMatcher over catalogue names and aliases (toy catalogue)."""
from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from bot.nlu.catalog_matcher import (PATTERNS_FILE, CatalogMatcher, Pattern, PhraseIndex,
                                     build_patterns, catalog_fingerprint, fold_with_offsets,
                                     patterns_from_json, patterns_to_json, phrase_variants)

FIXTURE_CATALOG = Path(__file__).parent / "fixtures" / "catalog"
EXPANSIONS = {"dk": ("dang", "ky"), "dki": ("dang", "ky"), "bhyt": ("bao", "hiem", "y", "te"),
              "ko": ("khong",)}
TOY = [
    ("1.001193", "Thủ tục đăng ký khai sinh", ["làm giấy khai sinh", "khai sinh cho con"]),
    ("1.000656", "Thủ tục đăng ký khai tử", ["khai tử"]),
    ("1.014137", "Cấp thẻ bảo hiểm y tế", ["thẻ BHYT"]),
    ("1.002759", "Cấp lại thẻ BHYT", ["cấp lại thẻ bảo hiểm y tế", "mất thẻ BHYT"]),
    ("1.011606", "Công nhận hộ nghèo định kỳ", ["hộ nghèo"]),
    ("1.011607", "Công nhận hộ nghèo thường xuyên", ["hộ nghèo"]),
]


@pytest.fixture(scope="module", params=["xx", "vi"])
def index(request) -> PhraseIndex:
    return PhraseIndex(build_patterns(TOY, EXPANSIONS), request.param)


def test_fold_with_offsets_maps_back_to_the_original_text():
    text = "Đăng  ký\tKẾT hôn"
    folded, offsets = fold_with_offsets(text)
    assert folded == "dang ky ket hon"
    assert len(offsets) == len(folded)
    assert text[offsets[folded.index("ket")]] == "K"


def test_fold_with_offsets_drops_nfd_marks():
    text = unicodedata.normalize("NFD", "khai tử")
    folded, offsets = fold_with_offsets(text)
    assert folded == "khai tu"
    assert offsets[-1] < len(text)


def test_variants_expand_and_contract_abbreviations():
    assert ("the", "bao", "hiem", "y", "te") in phrase_variants(("the", "bhyt"), EXPANSIONS)
    variants = phrase_variants(("dang", "ky", "khai", "sinh"), EXPANSIONS)
    assert {("dk", "khai", "sinh"), ("dki", "khai", "sinh"), ("dang", "ky", "khai", "sinh")} <= variants
    # Single-word chat expansions ("ko" -> "khong") are never contracted into patterns.
    assert phrase_variants(("khong", "mat", "phi"), EXPANSIONS) == {("khong", "mat", "phi")}


def test_patterns_are_folded_without_prefix_and_keep_all_codes():
    patterns = {p.words: p.codes for p in build_patterns(TOY, EXPANSIONS)}
    assert patterns[("dang", "ky", "khai", "sinh")] == ("1.001193",)
    assert ("thu", "tuc", "dang", "ky", "khai", "sinh") not in patterns
    assert patterns[("ho", "ngheo")] == ("1.011606", "1.011607")


@pytest.mark.parametrize("text, code", [
    ("làm giấy khai sinh cần gì", "1.001193"),
    ("lam giay khai sinh can gi", "1.001193"),
    ("LÀM GIẤY KHAI SINH", "1.001193"),
    ("dk khai sinh cho bé", "1.001193"),
    ("bố tôi mất, đi khai tử ở đâu", "1.000656"),
    ("mua the bhyt o dau", "1.014137"),
    # longest wins: "cấp lại thẻ bảo hiểm y tế" beats the shorter "thẻ BHYT"
    ("cấp lại thẻ BHYT bị mất", "1.002759"),
    ("cap lai the bao hiem y te", "1.002759"),
])
def test_best_match(index, text, code):
    hit = index.best(text)
    assert hit is not None and hit.code == code


def test_span_points_into_the_original_text(index):
    text = "Ở Mai Sơn, làm giấy khai sinh thế nào"
    hit = index.best(text)
    assert hit is not None
    assert text[hit.start:hit.end] == "làm giấy khai sinh"


def test_nothing_when_ambiguous_or_absent(index):
    assert index.best("xin vào hộ nghèo") is None  # same length, two codes
    assert index.best("đăng ký kết hôn") is None  # not in the toy catalogue
    assert index.best("") is None


def test_xx_tokenizer_splits_punctuation_vi_without_pyvi_does_not():
    patterns = build_patterns(TOY, EXPANSIONS)
    assert PhraseIndex(patterns, "xx").best("khai tử?") is not None
    assert PhraseIndex(patterns, "vi").best("khai tử?") is None


def test_patterns_json_round_trip():
    patterns = [Pattern(("khai", "tu"), ("1.000656",))]
    assert patterns_from_json(patterns_to_json(patterns)) == patterns


def test_fingerprint_changes_with_the_catalogue(tmp_path):
    seed = tmp_path / "a.yml"
    seed.write_text("procedures: []\n", encoding="utf-8")
    before = catalog_fingerprint(tmp_path)
    seed.write_text("procedures: [] # edited\n", encoding="utf-8")
    assert catalog_fingerprint(tmp_path) != before


def test_rasa_train_persist_load_process(tmp_path):
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    (tmp_path / "storage").mkdir()
    storage = LocalModelStorage.create(tmp_path / "storage")
    resource = Resource("catalog_matcher")
    context = ExecutionContext(GraphSchema({}), "test")
    config = {**CatalogMatcher.get_default_config(), "catalog_dir": str(FIXTURE_CATALOG)}
    CatalogMatcher.create(config, storage, resource, context).train(TrainingData())
    assert (tmp_path / "storage" / "catalog_matcher" / PATTERNS_FILE).exists()

    loaded = CatalogMatcher.load(config, storage, resource, context)
    message = Message.build("Cho em hỏi dang ky ket hon can giay to j")
    loaded.process([message])
    [entity] = message.get("entities")
    assert entity["entity"] == "procedure_code" and entity["value"] == "1.000894"
    assert entity["extractor"] == "CatalogMatcher"
    assert message.get("text")[entity["start"]:entity["end"]] == "dang ky ket hon"

    other = Message.build("xin chào")
    loaded.process([other])
    assert not other.get("entities")


def test_load_without_persisted_patterns_extracts_nothing(tmp_path):
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.message import Message

    storage = LocalModelStorage.create(tmp_path / "storage")
    context = ExecutionContext(GraphSchema({}), "test")
    matcher = CatalogMatcher.load(CatalogMatcher.get_default_config(), storage,
                                  Resource("missing"), context)
    message = Message.build("đăng ký kết hôn")
    matcher.process([message])
    assert not message.get("entities")
