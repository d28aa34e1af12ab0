"""Catalogue spreadsheet imports for staff: a per-field preview, then one transaction."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.catalog.loader import TRACKED_FIELDS, UpsertReport, plan_upsert, read_table_file, upsert
from bot.catalog.models import Procedure
from bot.catalog.schema import ProcedureIn

MAX_SHOWN = 300  # characters of a value shown in a preview


@dataclass(frozen=True)
class FieldChange:
    """One field of one procedure that an import changes."""

    code: str
    field: str
    old: str
    new: str


@dataclass
class ImportPreview:
    """What an import would do (or did)."""

    records: int
    report: UpsertReport
    changes: list[FieldChange] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Human-readable lines: created codes, then `code field: old -> new`."""
        out = [f"+ {code} (new procedure)" for code in self.report.created]
        out += [f"~ {c.code} {c.field}: {c.old} -> {c.new}" for c in self.changes]
        return out


def shown(value: object) -> str:
    """A short readable text form of a field value."""
    if value is None:
        from bot.admin.app import texts  # the admin texts file (cached)

        return texts()["empty_value"]
    if hasattr(value, "isoformat"):
        text = value.isoformat()  # type: ignore[union-attr]
    elif isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "…"


def channel_changes(code: str, old: list[dict], new: list[dict]) -> list[FieldChange]:
    """Channel differences as `channels.<channel>.<part>` (fee, time...) for readable previews."""
    before = {c["channel"]: c for c in old or []}
    after = {c["channel"]: c for c in new or []}
    changes = []
    for channel in sorted(set(before) | set(after)):
        for part in ("time", "fee", "fee_note"):
            a, b = (before.get(channel) or {}).get(part), (after.get(channel) or {}).get(part)
            if channel not in after and channel in before:
                b = None
            if a != b:
                changes.append(FieldChange(code, f"channels.{channel}.{part}", shown(a), shown(b)))
        if (channel in before) != (channel in after) and not any(
                c.field.startswith(f"channels.{channel}.") for c in changes):
            changes.append(FieldChange(code, f"channels.{channel}", shown(before.get(channel)),
                                       shown(after.get(channel))))
    return changes


def field_changes(session: Session, records: list[ProcedureIn],
                  report: UpsertReport) -> list[FieldChange]:
    """The old and new value of every field an upsert would change."""
    existing = {p.code: p for p in session.execute(
        select(Procedure).where(Procedure.code.in_(list(report.updated)))).scalars()}
    changes: list[FieldChange] = []
    for record in records:
        fields = report.updated.get(record.code)
        if not fields:
            continue
        data, current = record.to_record(), existing[record.code]
        for name in fields:
            if name == "channels":
                changes += channel_changes(record.code, current.channels, data["channels"])
            else:
                changes.append(FieldChange(record.code, name, shown(getattr(current, name)),
                                           shown(data[name])))
    return changes


def preview_records(session: Session, records: list[ProcedureIn]) -> ImportPreview:
    """What importing these records would change, without writing."""
    report = plan_upsert(session, records)
    return ImportPreview(len(records), report, field_changes(session, records, report))


def import_records(session: Session, records: list[ProcedureIn], actor: str,
                   dry_run: bool) -> ImportPreview:
    """Preview, and unless dry_run apply in the caller's transaction (logged per field)."""
    preview = preview_records(session, records)
    if not dry_run:
        upsert(session, records, actor=actor)
    return preview


def import_file(session: Session, path: Path, actor: str, dry_run: bool) -> ImportPreview:
    """Read and validate a CSV/XLSX file, then preview or apply it (raises CatalogError)."""
    return import_records(session, read_table_file(path), actor, dry_run)


__all__ = ["FieldChange", "ImportPreview", "TRACKED_FIELDS", "import_file", "import_records",
           "preview_records"]
