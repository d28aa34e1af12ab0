"""Flat, spreadsheet-friendly rows (CSV/XLSX) <-> catalogue records; lists go one per line."""
from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Iterable

from bot.catalog.models import CHANNELS

SCALARS = ("code", "name", "field", "agency", "authority_level", "online_level", "online_how",
           "result", "source", "verified", "notes")
LINE_LISTS = ("steps", "legal_basis", "urls", "aliases")
CHANNEL_PARTS = ("time", "fee", "fee_note")
DOC_PARTS = ("name", "copy", "count", "form", "note")
COLUMNS = (SCALARS + ("channels",)
           + tuple(f"{ch}_{part}" for ch in CHANNELS for part in CHANNEL_PARTS)
           + ("documents",) + LINE_LISTS)


def _lines(cell: object) -> list[str]:
    """Split a cell into its non-empty lines."""
    return [line.strip() for line in str(cell or "").splitlines() if line.strip()]


def record_to_row(record: dict) -> dict[str, str]:
    """Flatten one record into spreadsheet cells."""
    row = {key: "" if record.get(key) is None else str(record[key]) for key in SCALARS}
    channels = {c["channel"]: c for c in record.get("channels") or []}
    row["channels"] = ", ".join(ch for ch in CHANNELS if ch in channels)
    for ch in CHANNELS:
        for part in CHANNEL_PARTS:
            row[f"{ch}_{part}"] = str(channels.get(ch, {}).get(part) or "")
    row["documents"] = "\n".join(
        " | ".join("" if d.get(p) is None else str(d.get(p)) for p in DOC_PARTS).rstrip(" |")
        for d in record.get("documents") or [])
    for key in LINE_LISTS:
        row[key] = "\n".join(record.get(key) or [])
    return row


def row_to_record(row: dict) -> dict:
    """Rebuild a record (to be validated) from spreadsheet cells."""
    record: dict = {key: (str(row.get(key)).strip() if row.get(key) not in (None, "") else None)
                    for key in SCALARS}
    listed = [c.strip() for c in str(row.get("channels") or "").split(",") if c.strip()]
    channels = []
    for ch in CHANNELS:
        parts = {p: (str(row.get(f"{ch}_{p}") or "").strip() or None) for p in CHANNEL_PARTS}
        if ch in listed or any(parts.values()):
            channels.append({"channel": ch, **parts})
    channels += [{"channel": ch} for ch in listed if ch not in CHANNELS]  # reported by validation
    record["channels"] = channels
    documents = []
    for line in _lines(row.get("documents")):
        cells = [c.strip() for c in line.split("|")] + [""] * len(DOC_PARTS)
        doc = {p: (cells[i] or None) for i, p in enumerate(DOC_PARTS)}
        documents.append(doc)
    record["documents"] = documents
    for key in LINE_LISTS:
        record[key] = _lines(row.get(key))
    return record


def write_csv(records: Iterable[dict]) -> str:
    """CSV text (UTF-8 with header) of the records."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(COLUMNS), lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow(record_to_row(record))
    return buffer.getvalue()


def read_table(path: Path) -> list[tuple[int, dict]]:
    """Read (row number, cells) from a CSV or XLSX file; row numbers as a spreadsheet shows them."""
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        sheet = load_workbook(path, read_only=True, data_only=True).worksheets[0]
        rows = list(sheet.iter_rows(values_only=True))
        if not rows:
            return []
        header = [str(h or "").strip() for h in rows[0]]
        return [(i + 2, {h: v for h, v in zip(header, values) if h})
                for i, values in enumerate(rows[1:]) if any(v not in (None, "") for v in values)]
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [(i + 2, dict(row)) for i, row in enumerate(csv.DictReader(handle))
                if any((v or "").strip() for v in row.values() if isinstance(v, str))]


def write_xlsx(records: Iterable[dict], path: Path) -> None:
    """Write the records as an XLSX workbook with one row per procedure."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "procedures"
    sheet.append(list(COLUMNS))
    for record in records:
        row = record_to_row(record)
        sheet.append([row[c] for c in COLUMNS])
    workbook.save(path)
