"""The staff FAQ source of truth: a spreadsheet (CSV or XLSX) with one entry per row."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from bot.catalog import tabular
from bot.config import ROOT

FAQ_PATH = ROOT / "data" / "faq" / "faq.csv"
TEMPLATE_EXAMPLE_PATH = ROOT / "data" / "faq" / "template_example.csv"
COLUMNS = ("id", "questions", "answer", "topic", "owner", "last_verified")


@dataclass(frozen=True)
class FaqEntry:
    """One FAQ entry as staff write it; `row` is the spreadsheet row it came from."""

    id: str
    questions: tuple[str, ...]
    answer: str
    topic: str = ""
    owner: str = ""
    last_verified: str = ""
    row: int = 0
    source: str = field(default="faq.csv", compare=False)

    def verified_date(self) -> date | None:
        """The last-verified date, or None when missing or not YYYY-MM-DD."""
        try:
            return date.fromisoformat(self.last_verified.strip()[:10])
        except ValueError:
            return None

    def to_row(self) -> dict[str, str]:
        """Spreadsheet cells of the entry (questions one per line)."""
        return {"id": self.id, "questions": "\n".join(self.questions), "answer": self.answer,
                "topic": self.topic, "owner": self.owner, "last_verified": self.last_verified}


def _cell(value: object) -> str:
    """A cell as text; dates from XLSX become YYYY-MM-DD."""
    if value is None:
        return ""
    if hasattr(value, "date") and callable(value.date):
        value = value.date()  # type: ignore[union-attr]
    if isinstance(value, date):
        return value.isoformat()
    return str(value).replace("\r\n", "\n").strip()


def entry_from_cells(cells: dict, row: int, source: str) -> FaqEntry:
    """Build an (unvalidated) entry from the cells of one row."""
    questions = tuple(q.strip() for q in _cell(cells.get("questions")).splitlines() if q.strip())
    return FaqEntry(id=_cell(cells.get("id")), questions=questions,
                    answer=_cell(cells.get("answer")), topic=_cell(cells.get("topic")),
                    owner=_cell(cells.get("owner")), last_verified=_cell(cells.get("last_verified")),
                    row=row, source=source)


def read_faq(path: Path = FAQ_PATH) -> list[FaqEntry]:
    """Read FAQ entries from a CSV or XLSX file (empty list when the file does not exist)."""
    if not path.exists():
        return []
    return [entry_from_cells(cells, number, path.name)
            for number, cells in tabular.read_table(path)]


def missing_columns(path: Path) -> list[str]:
    """Columns of the template that a staff file lacks."""
    rows = tabular.read_table(path)
    if not rows:
        return []
    present = set().union(*(cells.keys() for _, cells in rows))
    return [c for c in COLUMNS if c not in present]


def faq_csv_text(entries: list[FaqEntry]) -> str:
    """CSV text (UTF-8, header first) of the entries."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(COLUMNS), lineterminator="\n")
    writer.writeheader()
    for entry in entries:
        writer.writerow(entry.to_row())
    return buffer.getvalue()


def write_faq(entries: list[FaqEntry], path: Path = FAQ_PATH) -> None:
    """Replace the FAQ file atomically with these entries."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(faq_csv_text(entries), encoding="utf-8")
    tmp.replace(path)


def write_xlsx(entries: list[FaqEntry], path: Path) -> None:
    """Write entries as an XLSX workbook in the template's column order."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "faq"
    sheet.append(list(COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for entry in entries:
        row = entry.to_row()
        sheet.append([row[c] for c in COLUMNS])
    widths = {"A": 28, "B": 60, "C": 90, "D": 20, "E": 24, "F": 14}
    for column, width in widths.items():
        sheet.column_dimensions[column].width = width
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    workbook.save(path)


def template_entries() -> list[FaqEntry]:
    """The example row shown in a fresh template (data/faq/template_example.csv), dated today."""
    return [replace(e, last_verified=e.last_verified or date.today().isoformat())
            for e in read_faq(TEMPLATE_EXAMPLE_PATH)]


def merge(current: list[FaqEntry], incoming: list[FaqEntry]) -> list[FaqEntry]:
    """Entries of `incoming` replace those with the same id; new ids are appended."""
    by_id = {e.id: e for e in incoming}
    merged = [by_id.pop(e.id, e) for e in current]
    merged += [e for e in incoming if e.id in by_id]
    return renumber(merged)


def renumber(entries: list[FaqEntry]) -> list[FaqEntry]:
    """Row numbers as the written CSV will show them (header is row 1)."""
    return [replace(e, row=i + 2, source=FAQ_PATH.name) for i, e in enumerate(entries)]


def add_question(entries: list[FaqEntry], faq_id: str, question: str) -> list[FaqEntry]:
    """Entries with one more example question on the entry `faq_id` (KeyError if unknown)."""
    if not any(e.id == faq_id for e in entries):
        raise KeyError(faq_id)
    return [replace(e, questions=e.questions + (question.strip(),)) if e.id == faq_id else e
            for e in entries]
