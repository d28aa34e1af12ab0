"""Checks run before FAQ training data is generated; every problem names the row."""
from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.catalog.models import Procedure
from bot.faq.source import FaqEntry
from bot.security.links import classify, find_links
from bot.text import fold

ID_RE = re.compile(r"^[a-z0-9_]{3,60}$")
NEAR_DUPLICATE = 92        # rapidfuzz score (0-100) above which two questions are the same one
PROCEDURE_SIMILARITY = 90  # a question this close to a procedure name/alias belongs to the catalogue
MIN_QUESTIONS = 2
MAX_ANSWER_CHARS = 1500


class FaqError(Exception):
    """The FAQ source has problems; nothing was generated or written."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class _Question:
    entry: FaqEntry
    text: str
    folded: str


def where(entry: FaqEntry, field: str) -> str:
    """The prefix naming file, row, id and field of a problem."""
    return f"{entry.source}: row {entry.row} (id {entry.id or '?'}): field '{field}'"


def check_fields(entry: FaqEntry) -> list[str]:
    """Problems of one entry on its own (id, questions, answer, date, links)."""
    problems = []
    if not ID_RE.match(entry.id):
        problems.append(f"{where(entry, 'id')}: must be 3-60 characters a-z, 0-9 or _ "
                        "(e.g. tra_cuu_ho_so)")
    if len(entry.questions) < MIN_QUESTIONS:
        problems.append(f"{where(entry, 'questions')}: needs at least {MIN_QUESTIONS} example "
                        "questions, one per line")
    if not entry.answer.strip():
        problems.append(f"{where(entry, 'answer')}: must not be empty")
    elif len(entry.answer) > MAX_ANSWER_CHARS:
        problems.append(f"{where(entry, 'answer')}: {len(entry.answer)} characters, keep it under "
                        f"{MAX_ANSWER_CHARS} (it is read on a phone)")
    if entry.verified_date() is None:
        problems.append(f"{where(entry, 'last_verified')}: must be a date YYYY-MM-DD")
    if not entry.owner.strip():
        problems.append(f"{where(entry, 'owner')}: who keeps this answer up to date is required")
    for link in find_links(entry.answer):
        verdict = classify(link)
        if verdict.category == "invalid":
            problems.append(f"{where(entry, 'answer')}: broken link {link!r}")
        elif verdict.category != "official":
            problems.append(f"{where(entry, 'answer')}: link {link!r} is not an official site "
                            f"({verdict.category}); only official addresses may be given")
    return problems


def _questions(entries: list[FaqEntry]) -> list[_Question]:
    """Every example question with its folded form."""
    return [_Question(e, q, fold(q)) for e in entries for q in e.questions]


def check_duplicates(entries: list[FaqEntry]) -> list[str]:
    """Duplicate ids, and questions repeated or nearly repeated across entries."""
    problems = []
    seen_ids: dict[str, FaqEntry] = {}
    for entry in entries:
        if entry.id and entry.id in seen_ids:
            problems.append(f"{where(entry, 'id')}: duplicate of row {seen_ids[entry.id].row}")
        seen_ids.setdefault(entry.id, entry)
    questions = _questions(entries)
    for i, first in enumerate(questions):
        for second in questions[i + 1:]:
            same_entry = first.entry is second.entry
            if first.folded == second.folded:
                where_else = "the same entry" if same_entry else f"row {first.entry.row}"
                problems.append(f"{where(second.entry, 'questions')}: {second.text!r} repeats "
                                f"{first.text!r} of {where_else}")
            elif not same_entry and fuzz.ratio(first.folded, second.folded) >= NEAR_DUPLICATE:
                problems.append(f"{where(second.entry, 'questions')}: {second.text!r} is nearly the "
                                f"same as {first.text!r} of row {first.entry.row} (id "
                                f"{first.entry.id}); reword one or merge the entries")
    return problems


def procedure_phrases(session: Session) -> list[tuple[str, str, str]]:
    """(code, phrase, folded phrase) for every procedure name and alias."""
    out = []
    for code, name, aliases in session.execute(
            select(Procedure.code, Procedure.name, Procedure.aliases)).all():
        for phrase in [name, *(aliases or [])]:
            out.append((code, phrase, fold(phrase)))
    return out


def check_against_catalog(entries: list[FaqEntry], session: Session) -> list[str]:
    """Questions that look like a catalogue procedure (the catalogue must answer those)."""
    phrases = procedure_phrases(session)
    problems = []
    for question in _questions(entries):
        for code, phrase, folded in phrases:
            if fuzz.ratio(question.folded, folded) >= PROCEDURE_SIMILARITY:
                problems.append(f"{where(question.entry, 'questions')}: {question.text!r} is too "
                                f"similar to procedure {code} ({phrase!r}); the catalogue answers "
                                "that, remove the question or change the procedure instead")
                break
    return problems


def validate(entries: list[FaqEntry], session: Session | None = None) -> list[str]:
    """Every problem of the FAQ entries; with a session also checks against the catalogue."""
    problems = [p for entry in entries for p in check_fields(entry)]
    problems += check_duplicates(entries)
    if session is not None:
        problems += check_against_catalog(entries, session)
    return problems


def ensure_valid(entries: list[FaqEntry], session: Session | None = None) -> list[FaqEntry]:
    """Return the entries, or raise FaqError listing every problem."""
    problems = validate(entries, session)
    if problems:
        raise FaqError(problems)
    return entries
