"""Changing the FAQ source (imports, edits, new examples): validated first, logged per field."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy.orm import Session

from bot.catalog.models import ChangeLog, utcnow
from bot.faq.source import FAQ_PATH, FaqEntry, add_question, merge, read_faq, renumber, write_faq
from bot.faq.validate import FaqError, ensure_valid
from bot.faq.unanswered import get_unanswered, mark_handled

FIELDS = ("questions", "answer", "topic", "owner", "last_verified")


@dataclass
class FaqChanges:
    """Created and changed entries (id -> changed fields)."""

    created: list[str] = field(default_factory=list)
    updated: dict[str, list[str]] = field(default_factory=dict)

    def summary(self) -> str:
        """One line with the counts."""
        return f"{len(self.created)} created, {len(self.updated)} updated"


def diff(current: list[FaqEntry], new: list[FaqEntry]) -> FaqChanges:
    """What differs between two versions of the FAQ source."""
    before = {e.id: e for e in current}
    changes = FaqChanges()
    for entry in new:
        old = before.get(entry.id)
        if old is None:
            changes.created.append(entry.id)
            continue
        changed = [f for f in FIELDS if getattr(old, f) != getattr(entry, f)]
        if changed:
            changes.updated[entry.id] = changed
    return changes


def _text(entry: FaqEntry | None, name: str) -> str | None:
    """A field of an entry as stored in the change log."""
    if entry is None:
        return None
    value = getattr(entry, name)
    return "\n".join(value) if isinstance(value, tuple) else str(value)


def save(session: Session, new: list[FaqEntry], actor: str, path: Path = FAQ_PATH,
         dry_run: bool = False) -> FaqChanges:
    """Validate the whole new FAQ, log each change and write the file (raises FaqError)."""
    new = ensure_valid(renumber(new), session)
    current = read_faq(path)
    changes = diff(current, new)
    if dry_run:
        return changes
    before, now = {e.id: e for e in current}, utcnow()
    for entry in new:
        if entry.id in changes.created:
            session.add(ChangeLog(at=now, actor=actor, entity="faq", key=entry.id, field="*",
                                  old=None, new="created"))
        for name in changes.updated.get(entry.id, []):
            session.add(ChangeLog(at=now, actor=actor, entity="faq", key=entry.id, field=name,
                                  old=_text(before[entry.id], name), new=_text(entry, name)))
    session.flush()
    write_faq(new, path)
    return changes


def import_entries(session: Session, incoming: list[FaqEntry], actor: str,
                   path: Path = FAQ_PATH, dry_run: bool = False) -> FaqChanges:
    """Merge a staff file into the FAQ (same id replaces, new id appends)."""
    problems = [p for p in ensure_shape(incoming)]
    if problems:
        raise FaqError(problems)
    return save(session, merge(read_faq(path), incoming), actor, path, dry_run)


def ensure_shape(incoming: list[FaqEntry]) -> list[str]:
    """Problems of the uploaded file itself (named with its own rows), before merging."""
    from bot.faq.validate import validate

    return validate(incoming)


def update_entry(session: Session, entry: FaqEntry, actor: str,
                 path: Path = FAQ_PATH) -> FaqChanges:
    """Create or replace one entry (by id)."""
    return save(session, merge(read_faq(path), [entry]), actor, path)


def add_unanswered_example(session: Session, faq_id: str, unanswered_id: int, actor: str,
                           path: Path = FAQ_PATH) -> FaqChanges:
    """Append a queued question to an FAQ entry's examples and mark it handled."""
    item = get_unanswered(session, unanswered_id)
    if item is None:
        raise KeyError(unanswered_id)
    try:
        entries = add_question(read_faq(path), faq_id, item.text)
    except KeyError:
        raise FaqError([f"no FAQ entry with id {faq_id!r}"]) from None
    changes = save(session, entries, actor, path)
    mark_handled(session, [unanswered_id])
    return changes


def with_answer(entry: FaqEntry, answer: str) -> FaqEntry:
    """A copy of the entry with another answer."""
    return replace(entry, answer=answer.strip())
