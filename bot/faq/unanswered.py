"""The queue of questions the assistant could not answer: filter, group by similarity, export."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from rapidfuzz import fuzz
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.catalog.models import Unanswered
from bot.text import fold

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")  # "yesterday" as staff in Sơn La mean it
GROUP_SIMILARITY = 80                     # rapidfuzz token_set_ratio on folded text
EXPORT_COLUMNS = ("group", "id", "at", "channel", "text", "intent", "confidence", "handled")


@dataclass
class Group:
    """Similar unanswered questions; the first one represents the group."""

    number: int
    items: list[Unanswered] = field(default_factory=list)

    @property
    def label(self) -> str:
        """The representative question."""
        return self.items[0].text

    @property
    def ids(self) -> list[int]:
        """The ids of every question in the group."""
        return [item.id for item in self.items]


def day_range(day: str, today: date | None = None) -> tuple[datetime, datetime]:
    """UTC start/end of a local day given as 'today', 'yesterday' or YYYY-MM-DD."""
    today = today or datetime.now(LOCAL_TZ).date()
    named = {"today": today, "hom-nay": today, "yesterday": today - timedelta(days=1),
             "hom-qua": today - timedelta(days=1)}
    local_day = named.get(day) or date.fromisoformat(day)
    start = datetime.combine(local_day, time.min, tzinfo=LOCAL_TZ).astimezone(timezone.utc)
    return start, start + timedelta(days=1)


def _aware(value: datetime) -> datetime:
    """SQLite returns naive datetimes; they are stored in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def list_unanswered(session: Session, since: datetime | None = None,
                    until: datetime | None = None,
                    include_handled: bool = False) -> list[Unanswered]:
    """Unanswered questions in a time window, oldest first."""
    query = select(Unanswered).order_by(Unanswered.at, Unanswered.id)
    if not include_handled:
        query = query.where(Unanswered.handled.is_(False))
    rows = list(session.execute(query).scalars())
    return [r for r in rows if (since is None or _aware(r.at) >= since)
            and (until is None or _aware(r.at) < until)]


def group_similar(items: list[Unanswered], threshold: int = GROUP_SIMILARITY) -> list[Group]:
    """Greedy clustering on folded text; biggest groups first."""
    groups: list[tuple[str, Group]] = []
    for item in items:
        folded = fold(item.text)
        best, best_score = None, 0.0
        for key, group in groups:
            score = fuzz.token_set_ratio(folded, key)
            if score >= threshold and score > best_score:
                best, best_score = group, score
        if best is None:
            best = Group(number=0)
            groups.append((folded, best))
        best.items.append(item)
    ordered = sorted((g for _, g in groups), key=lambda g: (-len(g.items), g.items[0].id))
    for number, group in enumerate(ordered, start=1):
        group.number = number
    return ordered


def export_csv(groups: list[Group]) -> str:
    """CSV text of grouped questions (one row per question, with its group number)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    for group in groups:
        for item in group.items:
            writer.writerow([group.number, item.id, _aware(item.at).astimezone(LOCAL_TZ).isoformat(
                timespec="seconds"), item.channel, item.text, item.intent or "",
                "" if item.confidence is None else f"{item.confidence:.2f}", int(item.handled)])
    return buffer.getvalue()


def mark_handled(session: Session, ids: list[int]) -> int:
    """Mark questions as handled; the caller commits. Returns how many were found."""
    rows = list(session.execute(select(Unanswered).where(Unanswered.id.in_(ids))).scalars())
    for row in rows:
        row.handled = True
    return len(rows)


def get_unanswered(session: Session, item_id: int) -> Unanswered | None:
    """One queued question by id."""
    return session.get(Unanswered, item_id)
