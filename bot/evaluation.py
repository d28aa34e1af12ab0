"""Score a trained model on the held-out NLU set (never trained on), accented and unaccented."""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from datetime import datetime, timezone
from pathlib import Path

import yaml

from bot.config import ROOT

HELDOUT_DIR = ROOT / "tests" / "heldout"
REPORTS_DIR = ROOT / "reports"
HELDOUT_FILES = {"accented": "nlu_accented.yml", "unaccented": "nlu_unaccented.yml"}


def read_examples(path: Path) -> list[tuple[str, str]]:
    """(text, intent) pairs of a Rasa NLU file."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    pairs = []
    for block in data.get("nlu", []):
        for line in str(block.get("examples", "")).splitlines():
            text = line.strip().removeprefix("- ").strip()
            if text:
                pairs.append((text, block["intent"]))
    return pairs


def macro_f1(gold: list[str], predicted: list[str]) -> float:
    """Macro-averaged F1 over the gold labels."""
    from sklearn.metrics import f1_score

    return float(f1_score(gold, predicted, labels=sorted(set(gold)), average="macro",
                          zero_division=0))


async def predict(model: Path, texts: list[str]) -> list[str]:
    """Intent predicted by the model (with our components) for each text."""
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    results = []
    for text in texts:
        parsed = await agent.parse_message(text)
        results.append((parsed.get("intent") or {}).get("name") or "")
    return results


def evaluate(model: Path) -> dict:
    """Macro-F1 and accuracy per held-out file, with the errors."""
    report: dict = {"model": model.name,
                    "date": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    for variant, name in HELDOUT_FILES.items():
        pairs = read_examples(HELDOUT_DIR / name)
        predicted = asyncio.run(predict(model, [t for t, _ in pairs]))
        gold = [i for _, i in pairs]
        report[variant] = {
            "examples": len(pairs),
            "macro_f1": round(macro_f1(gold, predicted), 4),
            "accuracy": round(sum(g == p for g, p in zip(gold, predicted)) / len(pairs), 4),
            "errors": [{"text": t, "gold": g, "predicted": p}
                       for (t, g), p in zip(pairs, predicted) if g != p],
        }
    return report


def write_report(report: dict, out_dir: Path = REPORTS_DIR) -> None:
    """reports/heldout_nlu.json and .md."""
    out_dir.mkdir(exist_ok=True)
    (out_dir / "heldout_nlu.json").write_text(json.dumps(report, ensure_ascii=False, indent=2),
                                              encoding="utf-8")
    lines = ["# Held-out NLU set (never trained on)", "",
             f"Model `{report['model']}`, {report['date']}.", "",
             "| variant | examples | intent macro-F1 | accuracy |", "|---|---|---|---|"]
    lines += [f"| {v} | {report[v]['examples']} | {report[v]['macro_f1']:.3f} | "
              f"{report[v]['accuracy']:.3f} |" for v in HELDOUT_FILES]
    for variant in HELDOUT_FILES:
        lines += ["", f"## Errors ({variant})", "", "| text | gold | predicted |", "|---|---|---|"]
        lines += [f"| {e['text']} | {e['gold']} | {e['predicted']} |"
                  for e in report[variant]["errors"]]
    (out_dir / "heldout_nlu.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """CLI: python -m bot.evaluation heldout --model PATH."""
    parser = argparse.ArgumentParser(prog="python -m bot.evaluation")
    parser.add_argument("what", choices=["heldout"])
    parser.add_argument("--model", required=True)
    args = parser.parse_args(argv)
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # Rasa's debug events would print every text
    report = evaluate(Path(args.model))
    write_report(report)
    for variant in HELDOUT_FILES:
        print(f"    {variant:10s} macro-F1 {report[variant]['macro_f1']:.3f} "
              f"accuracy {report[variant]['accuracy']:.3f} ({report[variant]['examples']} examples)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
