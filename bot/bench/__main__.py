"""`python -m bot.bench`: run every measurement of issue 3 and write reports/benchmark.{json,md}."""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bot.bench import report
from bot.config import ROOT

REPORTS_DIR = ROOT / "reports"
DEFAULT_CV_EPOCHS = 0  # 0: DIET trains as configured (no shortcut: a 5-epoch DIET under-trains)
BUDGET_S = 15 * 60


def stage(name: str, timings: dict, func, *args, **kwargs):  # type: ignore[no-untyped-def]
    """Run one stage, print its duration and record it; a failure is recorded, not raised."""
    print(f"==> {name}", flush=True)
    started = time.perf_counter()
    try:
        return func(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - the report must still be written
        print(f"    FAILED: {type(exc).__name__}: {exc}", flush=True)
        return {"error": f"{type(exc).__name__}: {exc}"}
    finally:
        timings[name] = round(time.perf_counter() - started, 1)
        print(f"    ({timings[name]:.0f}s, load average {os.getloadavg()[0]:.2f})", flush=True)


def run_understanding(model: Path, folds: int, epochs: int | None, skip_cv: bool) -> dict:
    """Cross-validation and held-out scores, in a child process (TensorFlow stays out of ours)."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = Path(handle.name)
    command = [sys.executable, "-m", "bot.bench.understanding", "--out", str(out),
               "--model", str(model), "--folds", str(folds)]
    if epochs:
        command += ["--epochs", str(epochs)]
    if skip_cv:
        command.append("--skip-cv")
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "TF_CPP_MIN_LOG_LEVEL": "3",
           "LOG_LEVEL": "WARNING", "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}
    completed = subprocess.run(command, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    try:
        if completed.returncode != 0:
            raise RuntimeError(f"understanding failed: {completed.stderr[-3000:]}")
        return json.loads(out.read_text(encoding="utf-8"))
    finally:
        out.unlink(missing_ok=True)


def run_serving(model: Path, seq_rounds: int, rounds: int) -> dict:
    """Our stack then the reference bot, one after the other, with the same load."""
    from bot.bench import serving

    levels = [(8, rounds), (32, rounds)]
    result: dict = {"levels": {"sequential_conversations": seq_rounds,
                               "concurrent": [{"senders": s, "conversations_each": r}
                                              for s, r in levels]},
                    "conversations": {"ours": serving.OUR_CONVERSATIONS,
                                      "reference": serving.REFERENCE_CONVERSATIONS}}
    reference_model, reference_meta = serving.ensure_reference_model()
    result["reference_model"] = {"path": str(reference_model.relative_to(ROOT)), **reference_meta}
    with tempfile.TemporaryDirectory(prefix="bench-serving-") as tmp:
        for name, start, conversations in (
                ("ours", serving.start_ours, serving.OUR_CONVERSATIONS),
                ("reference", serving.start_reference, serving.REFERENCE_CONVERSATIONS)):
            print(f"    {name}: starting", flush=True)
            server = start(model if name == "ours" else reference_model, Path(tmp) / name)
            try:
                print(f"    {name}: answered {server.cold_start_s}s after process start",
                      flush=True)
                result[name] = serving.measure(server, conversations, seq_rounds, levels)
            finally:
                server.stop()
    return result


def run_cost(fingerprint: str, mode: str, remaining_s: float) -> dict:
    """Training time from scratch for the given training inputs (or why it was not measured)."""
    from bot.bench import cost

    return {"training": cost.training_cost(fingerprint, mode, remaining_s)}


def main(argv: list[str] | None = None) -> int:
    """CLI of `make bench`."""
    parser = argparse.ArgumentParser(prog="python -m bot.bench", description=__doc__)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--cv-epochs", type=int, default=DEFAULT_CV_EPOCHS,
                        help="DIET epochs in cross-validation only (0: as in config.yml)")
    parser.add_argument("--seq-conversations", type=int, default=12,
                        help="conversations of the single sequential sender")
    parser.add_argument("--conversations-each", type=int, default=2,
                        help="conversations of each concurrent sender")
    parser.add_argument("--skip-cv", action="store_true")
    parser.add_argument("--skip-serving", action="store_true")
    parser.add_argument("--training", choices=["auto", "measure", "skip"], default="auto",
                        help="auto: measure when it fits the 15-minute budget, else reuse the "
                             "measurement made for the same inputs")
    parser.add_argument("--only-training", action="store_true",
                        help="only measure the training time (kept for later runs)")
    parser.add_argument("--model", default=None, help="trained model (default: the current one)")
    parser.add_argument("--out", default=str(REPORTS_DIR))
    args = parser.parse_args(argv)

    from bot.training import model_path

    started = time.perf_counter()
    if args.only_training:
        from bot.training import fingerprint

        measured = run_cost(fingerprint(), "measure", BUDGET_S)["training"]
        print(json.dumps(measured, indent=2))
        return 0 if measured.get("seconds") else 1
    model = Path(args.model) if args.model else model_path()
    if not model.exists():
        print(f"No trained model at {model}: run `make train` first.", file=sys.stderr)
        return 2
    result: dict = {"machine": report.machine_info(), "model": model.name, "stages_s": {}}
    timings = result["stages_s"]
    result["settings"] = {"folds": args.folds, "cv_epochs": args.cv_epochs or None,
                          "seq_conversations": args.seq_conversations,
                          "conversations_each": args.conversations_each}
    from bot.bench import resolution

    result["resolution"] = stage("procedure resolution", timings, resolution.run)
    result["understanding"] = stage("understanding (CV + held-out)", timings, run_understanding,
                                    model, args.folds, args.cv_epochs or None, args.skip_cv)
    if not args.skip_serving:
        result["serving"] = stage("serving (ours, then reference)", timings, run_serving, model,
                                  args.seq_conversations, args.conversations_each)
    remaining = BUDGET_S - (time.perf_counter() - started) - 30
    # the inputs of the model measured above (others may edit data/ while the bench runs)
    inputs = model.name.removesuffix(".tar.gz")
    result["cost"] = stage("training from scratch", timings, run_cost, inputs, args.training,
                           remaining)
    result["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    result["total_s"] = round(time.perf_counter() - started, 1)
    result["targets"] = report.targets(result)
    result["notes"] = report.notes(result)
    out = Path(args.out)
    report.write_json(result, out)
    report.write_markdown(result, out)
    print()
    print(report.console_table(report.summary_rows(result), report.SUMMARY_HEADER))
    print()
    print(report.console_table([(t["target"], t["goal"], report.fmt(t["value"]),
                                 report.met_text(t["met"])) for t in result["targets"]],
                               report.TARGET_HEADER))
    print(f"\nWrote {out / 'benchmark.md'} and {out / 'benchmark.json'} "
          f"in {result['total_s'] / 60:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
