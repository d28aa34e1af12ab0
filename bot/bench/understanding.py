"""Intent understanding: 5-fold cross-validation of three NLU pipelines, and the held-out sets.

Runs in its own process (`python -m bot.bench.understanding --out FILE --model PATH`) so
TensorFlow and the trained models are gone before the serving measurements start.
"""
from __future__ import annotations

import argparse
import asyncio
import copy
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

import yaml

from bot.bench.stats import (aggregate_folds, confusion_pairs, per_intent_f1,
                              stratified_folds)
from bot.config import ROOT

NLU_DIRS = ("data/nlu", "data/generated")
LR_BASELINE_PIPELINE = [
    {"name": "WhitespaceTokenizer"},
    {"name": "CountVectorsFeaturizer"},
    {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4},
    {"name": "LogisticRegressionClassifier"},
]
# Only the intent is scored: the ResponseSelector (which picks the FAQ/tip answer inside a
# retrieval intent) cannot change the intent, so the CV copies of our pipeline leave it out.
INTENT_IRRELEVANT = ("ResponseSelector",)
CV_WORKERS = 2  # trainings at once: the 15 x (fold, pipeline) trainings are independent


def quiet_rasa() -> None:
    """Rasa, TensorFlow and progress bars at WARNING level (before Rasa is imported)."""
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    import warnings

    warnings.filterwarnings("ignore")
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)


def pipeline_variants(config: dict, epochs: int | None) -> dict[str, dict]:
    """The three configs compared: ours, ours without augmentation, the LR baseline."""
    def ours(augment: bool) -> dict:
        """Our pipeline, intent part only, DIET epochs optionally lowered."""
        variant = copy.deepcopy(config)
        pipeline = []
        for component in variant["pipeline"]:
            name = component["name"]
            if name in INTENT_IRRELEVANT:
                continue
            if name.endswith("VietnameseNormalizer"):
                component["augment"] = augment
            if name == "DIETClassifier" and epochs:
                component["epochs"] = epochs
            pipeline.append(component)
        variant["pipeline"] = pipeline
        return variant

    baseline = {k: v for k, v in copy.deepcopy(config).items() if k != "pipeline"}
    baseline["pipeline"] = copy.deepcopy(LR_BASELINE_PIPELINE)
    return {"ours": ours(True), "ours_no_augment": ours(False), "lr_baseline": baseline}


def load_examples():  # type: ignore[no-untyped-def]
    """The NLU training data as Rasa loads it, and its intent examples."""
    from rasa.shared.importers.importer import TrainingDataImporter

    importer = TrainingDataImporter.load_from_dict(
        config_path=str(ROOT / "config.yml"), domain_path=str(ROOT / "domain.yml"),
        training_data_paths=[str(ROOT / d) for d in NLU_DIRS])
    data = importer.get_nlu_data()
    return data, list(data.intent_examples)


def base_intent(message) -> str:  # type: ignore[no-untyped-def]
    """The intent of an example, retrieval intents at their base (faq/x -> faq)."""
    return str(message.get("intent")).split("/")[0]


def write_fold(data, examples: list, path: Path) -> None:  # type: ignore[no-untyped-def]
    """Write the training part of a fold as Rasa YAML (responses kept)."""
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter
    from rasa.shared.nlu.training_data.training_data import TrainingData

    RasaYAMLWriter().dump(str(path), TrainingData(training_examples=examples,
                                                  responses=data.responses))


def train_and_predict(config_path: Path, train_file: Path, texts: list[str],
                      store: Path) -> tuple[list[str], float, float]:
    """Train a pipeline on a fold and predict texts; (predicted intents, train s, predict s).

    Runs the components the way Rasa's NLU graph does (DefaultV1Recipe): each trainable
    component is trained on the data processed by the ones before it, tokenizers and featurizers
    then process the training data; at prediction every component processes the messages in
    order. Same classes, configs and order as `rasa train nlu`, without packaging the model,
    the training cache or reloading it (checked: identical predictions to `train_nlu` + Agent).
    """
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.recipes.default_recipe import DefaultV1Recipe
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.importers.importer import TrainingDataImporter
    from rasa.shared.nlu.constants import INTENT, TEXT
    from rasa.shared.nlu.training_data.message import Message

    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    store.mkdir(parents=True, exist_ok=True)
    storage = LocalModelStorage(store)
    started = time.perf_counter()
    importer = TrainingDataImporter.load_nlu_importer_from_config(
        str(config_path), training_data_paths=[str(train_file)])
    data = importer.get_nlu_data(config.get("language", "en"))
    processing = {DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER,
                  DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER}
    components = []
    for position, item in enumerate(config["pipeline"]):
        options = {k: v for k, v in item.items() if k != "name"}
        registered = DefaultV1Recipe._from_registry(item["name"])
        node = f"{item['name']}{position}"
        component = registered.clazz.create(
            {**registered.clazz.get_default_config(), **options}, storage, Resource(node),
            ExecutionContext(GraphSchema({}), node_name=node))
        if registered.is_trainable:
            component.train(data)
        if registered.types & processing:
            data = component.process_training_data(data)
        components.append(component)
    trained = time.perf_counter()
    messages = [Message(data={TEXT: text}, output_properties={TEXT}) for text in texts]
    for component in components:
        if hasattr(component, "process"):
            messages = component.process(messages)
    predicted = [(m.get(INTENT) or {}).get("name") or "" for m in messages]
    return predicted, trained - started, time.perf_counter() - trained


def _fold_task(task: tuple[str, int, str, str, list[str], str]) -> tuple[str, int, list[str],
                                                                        float, float]:
    """Train one pipeline on one fold and predict its held-out part (runs in a worker)."""
    name, number, config_path, train_file, texts, store = task
    predicted, train_s, predict_s = train_and_predict(Path(config_path), Path(train_file), texts,
                                                      Path(store))
    return name, number, predicted, train_s, predict_s


def _worker_init() -> None:
    """A CV worker: quiet Rasa, one TensorFlow thread pool per worker (they share 2 cores)."""
    os.environ.setdefault("TF_INTRA_OP_PARALLELISM_THREADS", "1")
    os.environ.setdefault("TF_INTER_OP_PARALLELISM_THREADS", "1")
    quiet_rasa()


def cross_validate(k: int, epochs: int | None, variants: list[str] | None = None,
                   workers: int = CV_WORKERS) -> dict:
    """k-fold stratified CV (same folds for every pipeline) of the compared pipelines.

    The folds x pipelines trainings are independent: `workers` processes run them, longest
    (our pipeline) first. Each training is timed inside its worker, so its train_s includes
    sharing the machine with the other worker.
    """
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    data, examples = load_examples()
    labels = [base_intent(m) for m in examples]
    folds = stratified_folds(labels, k=k)
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    configs = pipeline_variants(config, epochs)
    chosen = variants or list(configs)
    result: dict = {"examples": len(examples), "intents": len(set(labels)), "folds": k,
                    "diet_epochs_config": next(c.get("epochs") for c in config["pipeline"]
                                               if c["name"] == "DIETClassifier"),
                    "diet_epochs_cv": epochs, "left_out_of_cv": list(INTENT_IRRELEVANT),
                    "workers": workers, "pipelines": {}}
    with tempfile.TemporaryDirectory(prefix="bench-cv-") as tmp_name:
        tmp = Path(tmp_name)
        for name in chosen:
            (tmp / f"{name}.yml").write_text(yaml.safe_dump(configs[name], allow_unicode=True),
                                             encoding="utf-8")
        tasks = []
        for number, test_idx in enumerate(folds):
            held = set(test_idx)
            train_file = tmp / f"fold{number}.yml"
            write_fold(data, [m for i, m in enumerate(examples) if i not in held], train_file)
            texts = [examples[i].get("text") for i in test_idx]
            tasks += [(name, number, str(tmp / f"{name}.yml"), str(train_file), texts,
                       str(tmp / f"store-{name}-{number}")) for name in chosen]
        tasks.sort(key=lambda t: chosen.index(t[0]))  # our DIET pipelines take longest
        outcomes: dict[tuple[str, int], tuple[list[str], float, float]] = {}
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"),
                                 initializer=_worker_init) as pool:
            for name, number, predicted, train_s, predict_s in pool.map(_fold_task, tasks):
                outcomes[(name, number)] = (predicted, train_s, predict_s)
                print(f"    CV fold {number + 1}/{k} {name:16s} train {train_s:5.1f}s "
                      f"predict {predict_s:4.1f}s", flush=True)
        for name in chosen:
            record: dict = {"folds": [], "train_s": [], "predict_s": []}
            for number, test_idx in enumerate(folds):
                predicted, train_s, predict_s = outcomes[(name, number)]
                record["folds"].append(([labels[i] for i in test_idx], predicted))
                record["train_s"].append(round(train_s, 1))
                record["predict_s"].append(round(predict_s, 1))
            gold = [g for fold_gold, _ in record["folds"] for g in fold_gold]
            predicted = [p for _, fold_pred in record["folds"] for p in fold_pred]
            result["pipelines"][name] = {
                **aggregate_folds(record["folds"]), "train_s": record["train_s"],
                "predict_s": record["predict_s"], "config": configs[name]["pipeline"],
                "top_confusions": confusion_pairs(gold, predicted, top=8),
                "per_intent_f1": {k: round(v, 3) for k, v in per_intent_f1(gold, predicted).items()},
                "fallback_predictions": predicted.count("nlu_fallback")}
    return result


def heldout(model: Path) -> dict:
    """The held-out sets of bot.evaluation on the current model, accented and unaccented."""
    from bot.evaluation import HELDOUT_DIR, HELDOUT_FILES, predict, read_examples
    from bot.evaluation import macro_f1 as evaluation_macro_f1

    started = time.perf_counter()
    sets = {v: read_examples(HELDOUT_DIR / name) for v, name in HELDOUT_FILES.items()}
    texts = [t for pairs in sets.values() for t, _ in pairs]
    predicted = iter(asyncio.run(predict(model, texts)))
    result: dict = {"model": model.name}
    for variant, pairs in sets.items():
        gold = [i for _, i in pairs]
        pred = [next(predicted) for _ in pairs]
        result[variant] = {
            "examples": len(pairs), "macro_f1": round(evaluation_macro_f1(gold, pred), 4),
            "accuracy": round(sum(g == p for g, p in zip(gold, pred)) / len(pairs), 4),
            "errors": sum(g != p for g, p in zip(gold, pred)),
            "top_confusions": confusion_pairs(gold, pred, top=5)}
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def main(argv: list[str] | None = None) -> int:
    """CLI: cross-validation and held-out scores as JSON."""
    parser = argparse.ArgumentParser(prog="python -m bot.bench.understanding")
    parser.add_argument("--out", required=True)
    parser.add_argument("--model", required=True, help="current trained model (held-out)")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=None, help="DIET epochs for CV only")
    parser.add_argument("--variants", nargs="*", default=None)
    parser.add_argument("--workers", type=int, default=CV_WORKERS)
    parser.add_argument("--skip-cv", action="store_true")
    args = parser.parse_args(argv)
    quiet_rasa()
    result: dict = {}
    started = time.perf_counter()
    if not args.skip_cv:
        result["cv"] = cross_validate(args.folds, args.epochs, args.variants, args.workers)
        result["cv"]["seconds"] = round(time.perf_counter() - started, 1)
    result["heldout"] = heldout(Path(args.model))
    Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
