"""The unanswered queue: day filter in Vietnam time, grouping, CSV export, add as FAQ example."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timezone

from bot.catalog.db import session_factory
from bot.catalog.models import Unanswered
from bot.faq.edit import add_unanswered_example
from bot.faq.source import read_faq
from bot.faq.unanswered import day_range, export_csv, group_similar, list_unanswered

TODAY = date(2026, 11, 30)


def seed(engine) -> None:
    """Questions of 29 and 30 November (Vietnam time = UTC+7)."""
    rows = [
        (datetime(2026, 11, 29, 2, 0, tzinfo=timezone.utc), "giờ làm việc của bộ phận một cửa"),
        (datetime(2026, 11, 29, 3, 0, tzinfo=timezone.utc), "Giờ làm việc bộ phận một cửa tỉnh?"),
        (datetime(2026, 11, 29, 4, 0, tzinfo=timezone.utc), "gio lam viec cua bo phan mot cua"),
        (datetime(2026, 11, 29, 5, 0, tzinfo=timezone.utc), "xin số điện thoại [SỐ ĐIỆN THOẠI] của xã"),
        (datetime(2026, 11, 28, 18, 30, tzinfo=timezone.utc), "nộp thuế đất ở đâu"),  # 29/11 01:30 VN
        (datetime(2026, 11, 29, 17, 30, tzinfo=timezone.utc), "hôm nay là 30/11 rồi"),  # 30/11 VN
    ]
    with session_factory(engine)() as session, session.begin():
        session.add_all(Unanswered(at=at, text=text, channel="rest") for at, text in rows)


def test_yesterday_groups_similar_questions(sqlite_engine):
    seed(sqlite_engine)
    since, until = day_range("yesterday", today=TODAY)
    with session_factory(sqlite_engine)() as session:
        items = list_unanswered(session, since, until)
        groups = group_similar(items)
    assert len(items) == 5
    assert [len(g.items) for g in groups] == [3, 1, 1]
    assert "giờ làm việc" in groups[0].label.lower()
    assert all("30/11" not in i.text for i in items)


def test_export_csv_has_group_numbers(sqlite_engine):
    seed(sqlite_engine)
    with session_factory(sqlite_engine)() as session:
        text = export_csv(group_similar(list_unanswered(session)))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 6 and {r["group"] for r in rows} >= {"1", "2"}
    assert rows[0]["at"].endswith("+07:00") and rows[0]["channel"] == "rest"


def test_add_as_faq_example_appends_and_marks_handled(sqlite_engine, faq_file):
    seed(sqlite_engine)
    maker = session_factory(sqlite_engine)
    with maker() as session:
        item = next(i for i in list_unanswered(session) if "thuế" in i.text)
    with maker() as session, session.begin():
        add_unanswered_example(session, "thanh_toan_truc_tuyen", item.id, "can-bo-c", faq_file)
    entry = next(e for e in read_faq(faq_file) if e.id == "thanh_toan_truc_tuyen")
    assert entry.questions[-1] == "nộp thuế đất ở đâu"
    with maker() as session:
        assert all("thuế" not in i.text for i in list_unanswered(session))
