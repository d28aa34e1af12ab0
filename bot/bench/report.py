"""Machine facts, targets, the summary table and the written reports (JSON and Markdown)."""
from __future__ import annotations

import json
import os
import platform
import subprocess
from datetime import datetime, timezone
from pathlib import Path

from bot.bench.stats import ratio
from bot.config import ROOT

GIB_MB = 1024.0


def _git(*args: str) -> str:
    """Output of a read-only git command, or '' when git is unavailable."""
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                              timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine_info() -> dict:
    """CPU count and model, memory, date, git commit, Python and Rasa versions, load average."""
    from importlib.metadata import version

    cpu_model = next((line.split(":", 1)[1].strip() for line in
                      Path("/proc/cpuinfo").read_text().splitlines()
                      if line.startswith("model name")), platform.processor())
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
    dirty = _git("status", "--porcelain", "--untracked-files=no")
    return {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "git_commit": _git("rev-parse", "HEAD"),
            "git_dirty": bool(dirty), "git_dirty_files": dirty.splitlines()[:30],
            "cpu_count": os.cpu_count(), "cpu_model": cpu_model,
            "memory_gb": round(mem_kb / 1024 / 1024, 1), "python": platform.python_version(),
            "rasa": version("rasa"), "loadavg_start": [round(x, 2) for x in os.getloadavg()]}


def _get(data: dict, *path: str):  # type: ignore[no-untyped-def]
    """data[path[0]][path[1]]..., or None when any step is missing."""
    for key in path:
        if not isinstance(data, dict) or data.get(key) is None:
            return None
        data = data[key]
    return data


def targets(result: dict) -> list[dict]:
    """Every target of issue 3 with the measured value and whether it is met (None: not measured)."""
    cv = _get(result, "understanding", "cv", "pipelines") or {}
    ours_f1, lr_f1 = _get(cv, "ours", "mean"), _get(cv, "lr_baseline", "mean")
    acc = _get(result, "understanding", "heldout", "accented", "macro_f1")
    unacc = _get(result, "understanding", "heldout", "unaccented", "macro_f1")
    top1, top3 = _get(result, "resolution", "ours", "top1"), _get(result, "resolution", "ours", "top3")
    p95_ours = _get(result, "serving", "ours", "sequential", "p95_ms")
    p95_ref = _get(result, "serving", "reference", "sequential", "p95_ms")
    c32 = _get(result, "serving", "ours", "concurrent_32") or {}
    rss = _get(result, "serving", "ours", "memory_after_load", "rasa", "peak_rss_mb")
    train_s = _get(result, "cost", "training", "seconds")

    def row(name: str, value, met: bool | None, target: str) -> dict:  # type: ignore[no-untyped-def]
        """One target row."""
        return {"target": name, "goal": target, "value": value, "met": met}

    def known(*values) -> bool:  # type: ignore[no-untyped-def]
        """True when every value was measured."""
        return all(v is not None for v in values)

    errors = (c32.get("http_errors", 0) + c32.get("empty_replies", 0)) if c32 else None
    return [
        row("CV intent macro-F1 (ours)", ours_f1, ours_f1 >= 0.95 if known(ours_f1) else None,
            ">= 0.95"),
        row("CV macro-F1 margin over LR baseline",
            round(ours_f1 - lr_f1, 4) if known(ours_f1, lr_f1) else None,
            ours_f1 - lr_f1 >= 0.03 if known(ours_f1, lr_f1) else None, ">= +0.03"),
        row("held-out macro-F1 accented - unaccented",
            round(acc - unacc, 4) if known(acc, unacc) else None,
            acc - unacc <= 0.03 if known(acc, unacc) else None, "<= 0.03"),
        row("procedure resolution top-1", top1, top1 >= 0.90 if known(top1) else None, ">= 0.90"),
        row("procedure resolution top-3", top3, top3 >= 0.97 if known(top3) else None, ">= 0.97"),
        row("p95 latency 1 sender, ours / reference", ratio(p95_ours, p95_ref),
            p95_ours <= 1.5 * p95_ref if known(p95_ours, p95_ref) else None, "<= 1.5"),
        row("throughput at 32 senders (msg/s), errors",
            f"{c32.get('throughput_msg_s')} msg/s, {errors} errors" if c32 else None,
            (c32["throughput_msg_s"] >= 25 and errors == 0) if c32 else None,
            ">= 25 msg/s, 0 errors"),
        row("Rasa server peak RSS (MiB)", rss, rss <= 1.2 * GIB_MB if known(rss) else None,
            "<= 1.2 GiB (1229 MiB)"),
        row("training from scratch (s)", train_s, train_s < 240 if known(train_s) else None,
            "< 240 s"),
    ]


def _fmt(value, digits: int = 3) -> str:  # type: ignore[no-untyped-def]
    """A number or text for a table cell."""
    if value is None:
        return "n/m"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def summary_rows(result: dict) -> list[tuple[str, str, str, str]]:
    """(measure, ours, baseline or reference, ratio or note) rows of the summary table."""
    cv = _get(result, "understanding", "cv", "pipelines") or {}
    held = _get(result, "understanding", "heldout") or {}
    res = result.get("resolution") or {}
    ours_s = _get(result, "serving", "ours") or {}
    ref_s = _get(result, "serving", "reference") or {}
    cost = result.get("cost") or {}
    cv_note = ""
    if _get(result, "understanding", "cv", "diet_epochs_cv"):
        cv_note = (f"DIET {result['understanding']['cv']['diet_epochs_cv']} epochs in CV "
                   f"(config: {result['understanding']['cv']['diet_epochs_config']})")
    rows = [
        ("CV intent macro-F1 (5-fold, mean)", _fmt(_get(cv, "ours", "mean")),
         f"LR {_fmt(_get(cv, 'lr_baseline', 'mean'))}; no-augment "
         f"{_fmt(_get(cv, 'ours_no_augment', 'mean'))}", cv_note),
        ("held-out macro-F1 accented / unaccented", _fmt(_get(held, "accented", "macro_f1")),
         "", f"unaccented {_fmt(_get(held, 'unaccented', 'macro_f1'))}"),
        ("resolution top-1 / top-3", f"{_fmt(_get(res, 'ours', 'top1'))} / "
                                     f"{_fmt(_get(res, 'ours', 'top3'))}",
         f"TF-IDF {_fmt(_get(res, 'baselines', 'tfidf_char_wb_2_4', 'top1'))} / "
         f"{_fmt(_get(res, 'baselines', 'tfidf_char_wb_2_4', 'top3'))}",
         f"{_get(res, 'queries') or 0} queries"),
    ]
    for label, key in (("1 sender", "sequential"), ("8 senders", "concurrent_8"),
                       ("32 senders", "concurrent_32")):
        o, r = ours_s.get(key) or {}, ref_s.get(key) or {}
        rows.append((f"latency p50/p95/p99 ms, {label}",
                     f"{_fmt(o.get('p50_ms'), 0)}/{_fmt(o.get('p95_ms'), 0)}/{_fmt(o.get('p99_ms'), 0)}",
                     f"{_fmt(r.get('p50_ms'), 0)}/{_fmt(r.get('p95_ms'), 0)}/{_fmt(r.get('p99_ms'), 0)}",
                     f"p95 x{_fmt(ratio(o.get('p95_ms'), r.get('p95_ms')), 2)}"))
        if key != "sequential":
            rows.append((f"throughput msg/s, {label} (errors)",
                         f"{_fmt(o.get('throughput_msg_s'), 1)} ({_fmt(_errors(o))})",
                         f"{_fmt(r.get('throughput_msg_s'), 1)} ({_fmt(_errors(r))})",
                         f"x{_fmt(ratio(o.get('throughput_msg_s'), r.get('throughput_msg_s')), 2)}"))
    rows += [
        ("cold start s (process start to first answer)", _fmt(ours_s.get("cold_start_s"), 1),
         _fmt(ref_s.get("cold_start_s"), 1),
         f"x{_fmt(ratio(ours_s.get('cold_start_s'), ref_s.get('cold_start_s')), 2)}"),
        ("peak RSS MiB: Rasa / action server",
         f"{_fmt(_get(ours_s, 'memory_after_load', 'rasa', 'peak_rss_mb'), 0)} / "
         f"{_fmt(_get(ours_s, 'memory_after_load', 'actions', 'peak_rss_mb'), 0)}",
         _fmt(_get(ref_s, "memory_after_load", "rasa", "peak_rss_mb"), 0), "lifetime VmHWM"),
        ("training from scratch s", _fmt(_get(cost, "training", "seconds"), 0), "",
         "rasa train, empty cache"),
    ]
    return rows


def _errors(level: dict) -> int | None:
    """HTTP errors plus empty replies of a load level."""
    if not level:
        return None
    return level.get("http_errors", 0) + level.get("empty_replies", 0)


def table(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def console_table(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> str:
    """A plain-text aligned table for the terminal."""
    all_rows = [header] + [tuple(str(c) for c in r) for r in rows]
    widths = [max(len(r[i]) for r in all_rows) for i in range(len(header))]
    line = lambda r: "  ".join(c.ljust(w) for c, w in zip(r, widths))  # noqa: E731
    return "\n".join([line(header), "  ".join("-" * w for w in widths)]
                     + [line(r) for r in all_rows[1:]])


def write_json(result: dict, out_dir: Path) -> Path:
    """reports/benchmark.json."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "benchmark.json"
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path
