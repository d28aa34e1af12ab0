"""Load the seed files and staff spreadsheets into the database; export open data."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.catalog import tabular
from bot.catalog.models import ChangeLog, Procedure, utcnow
from bot.catalog.schema import CatalogError, ProcedureIn, validate_records

TRACKED_FIELDS = ("name", "field", "agency", "authority_level", "online_level", "online_how",
                  "channels", "documents", "steps", "result", "legal_basis", "urls", "aliases",
                  "source", "verified", "notes")


@dataclass
class UpsertReport:
    """What an upsert created, changed or left as it was."""

    created: list[str] = field(default_factory=list)
    updated: dict[str, list[str]] = field(default_factory=dict)
    unchanged: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line with the counts."""
        return (f"{len(self.created)} created, {len(self.updated)} updated, "
                f"{len(self.unchanged)} unchanged")


def read_seed_files(directory: Path) -> list[ProcedureIn]:
    """Parse and validate every YAML file of a seed directory."""
    rows: list[tuple[str, int, dict]] = []
    problems: list[str] = []
    files = sorted(directory.glob("*.yml")) + sorted(directory.glob("*.yaml"))
    if not files:
        raise CatalogError([f"{directory}: no .yml files found"])
    for path in files:
        try:
            content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            problems.append(f"{path.name}: not valid YAML: {exc}")
            continue
        items = content.get("procedures") if isinstance(content, dict) else None
        if not isinstance(items, list):
            problems.append(f"{path.name}: expected a top-level 'procedures:' list")
            continue
        rows += [(path.name, i + 1, item if isinstance(item, dict) else {"code": None})
                 for i, item in enumerate(items)]
    if problems:
        raise CatalogError(problems)
    return validate_records(rows)


def read_table_file(path: Path) -> list[ProcedureIn]:
    """Parse and validate a staff CSV/XLSX file of procedures."""
    rows = [(path.name, number, tabular.row_to_record(cells))
            for number, cells in tabular.read_table(path)]
    return validate_records(rows)


def _comparable(value: object) -> str:
    """A stable text form of a field value for change detection and the log."""
    if hasattr(value, "isoformat"):
        return value.isoformat()  # type: ignore[union-attr]
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def plan_upsert(session: Session, records: list[ProcedureIn]) -> UpsertReport:
    """Compute what an upsert would change, without writing."""
    report = UpsertReport()
    existing = {p.code: p for p in session.execute(select(Procedure)).scalars()}
    for record in records:
        data = record.to_record()
        current = existing.get(record.code)
        if current is None:
            report.created.append(record.code)
            continue
        changed = [f for f in TRACKED_FIELDS
                   if _comparable(getattr(current, f)) != _comparable(data[f])]
        if changed:
            report.updated[record.code] = changed
        else:
            report.unchanged.append(record.code)
    return report


def upsert(session: Session, records: list[ProcedureIn], actor: str) -> UpsertReport:
    """Insert or update records and log every changed field; the caller commits."""
    report = plan_upsert(session, records)
    existing = {p.code: p for p in session.execute(select(Procedure)).scalars()}
    now = utcnow()
    for record in records:
        data = record.to_record()
        current = existing.get(record.code)
        if current is None:
            session.add(Procedure(**data, updated_at=now, updated_by=actor))
            session.add(ChangeLog(at=now, actor=actor, entity="procedure", key=record.code,
                                  field="*", old=None, new="created"))
            continue
        for name in report.updated.get(record.code, []):
            session.add(ChangeLog(at=now, actor=actor, entity="procedure", key=record.code,
                                  field=name, old=_comparable(getattr(current, name)),
                                  new=_comparable(data[name])))
            setattr(current, name, data[name])
        if record.code in report.updated:
            current.updated_at, current.updated_by = now, actor
    return report


def all_records(session: Session) -> list[dict]:
    """Every procedure as a plain dict, ordered by code."""
    rows = session.execute(select(Procedure).order_by(Procedure.code)).scalars()
    return [p.to_dict() for p in rows]


def export_text(session: Session, fmt: str) -> str:
    """The whole catalogue as JSON (one object per procedure) or CSV."""
    records = all_records(session)
    if fmt == "json":
        return json.dumps(records, ensure_ascii=False, indent=2) + "\n"
    if fmt == "csv":
        return tabular.write_csv(records)
    raise ValueError(f"unknown format {fmt!r}: use json or csv")
