"""FAQ source: reading, validation with row-naming errors, training data, imports."""
from __future__ import annotations

from dataclasses import replace

import pytest
import yaml
from sqlalchemy import select

from bot.catalog.db import session_factory
from bot.catalog.models import ChangeLog
from bot.faq import faq_training_data
from bot.faq.edit import import_entries
from bot.faq.source import FaqEntry, read_faq, write_faq, write_xlsx
from bot.faq.validate import FaqError, validate


def test_shipped_faq_is_valid_against_the_real_catalogue(real_db):
    entries = read_faq()
    assert len(entries) >= 8
    with session_factory(real_db)() as session:
        assert validate(entries, session) == []


def test_training_data_has_retrieval_intents_dates_and_feedback_buttons():
    doc = yaml.safe_load(faq_training_data())
    entries = read_faq()
    intents = {item["intent"] for item in doc["nlu"]}
    assert intents == {f"faq/{e.id}" for e in entries}
    response = doc["responses"]["utter_faq/tra_cuu_ho_so"][0]
    assert "Tra cứu hồ sơ" in response["text"] and "(Thông tin cập nhật ngày 30/11/2026.)" in response["text"]
    assert response["buttons"][0]["payload"] == '/feedback_helpful{"faq_id": "tra_cuu_ho_so"}'
    assert response["buttons"][1]["payload"].startswith("/feedback_not_helpful")


def _problem(problems: list[str], *fragments: str) -> str:
    """The one problem containing every fragment."""
    found = [p for p in problems if all(f in p for f in fragments)]
    assert found, problems
    return found[0]


def test_errors_name_the_row_and_field(faq_file):
    entries = read_faq(faq_file)
    entries[1] = replace(entries[1], answer="")                               # row 3
    entries[2] = replace(entries[2], questions=entries[2].questions + (entries[0].questions[0],))  # row 4
    entries[3] = replace(entries[3], questions=entries[3].questions + ("dang nhap cong dich vu cong bang gi?",))
    entries[4] = replace(entries[4], answer=entries[4].answer + " Xem http://dichvucong-gov.vn.com/abc")
    entries[5] = replace(entries[5], answer=entries[5].answer + " hoặc https://bit.ly/xyz")
    entries[6] = replace(entries[6], last_verified="hôm qua", id="Sai Ma")
    write_faq(entries, faq_file)
    problems = validate(read_faq(faq_file))
    assert "faq.csv: row 3 (id dang_nhap_cong_dich_vu_cong): field 'answer': must not be empty" in problems
    _problem(problems, "row 4 (id thanh_toan_truc_tuyen)", "repeats", "row 2")
    _problem(problems, "row 5 (id tra_cuu_ho_so)", "nearly the same", "row 3")
    _problem(problems, "row 6", "field 'answer'", "not an official site")
    _problem(problems, "row 7", "bit.ly", "not an official site")
    _problem(problems, "row 8 (id Sai Ma)", "field 'id'")
    _problem(problems, "row 8", "field 'last_verified'")
    with pytest.raises(FaqError):
        faq_training_data(faq_file)


def test_question_too_close_to_a_procedure_is_refused(fixture_db, faq_file):
    entries = read_faq(faq_file)
    entries[0] = replace(entries[0], questions=entries[0].questions + ("làm giấy khai sinh",))
    with session_factory(fixture_db)() as session:
        problems = validate(entries, session)
    _problem(problems, "row 2", "procedure 1.001193")


def test_xlsx_round_trip(tmp_path, faq_file):
    entries = read_faq(faq_file)
    write_xlsx(entries, tmp_path / "faq.xlsx")
    again = read_faq(tmp_path / "faq.xlsx")
    assert [(e.id, e.questions, e.answer, e.last_verified) for e in again] == \
           [(e.id, e.questions, e.answer, e.last_verified) for e in entries]


def test_import_dry_run_then_apply_logs_changes(sqlite_engine, tmp_path, faq_file):
    new = FaqEntry(id="gio_lam_viec_thu_nghiem", questions=("câu hỏi thử một nhé", "một câu khác hẳn"),
                   answer="Trả lời thử, xem https://dichvucong.sonla.gov.vn", topic="thu",
                   owner="Tổ thử nghiệm", last_verified="2026-11-30")
    changed = replace(read_faq(faq_file)[0], answer="Câu trả lời mới.")
    upload = tmp_path / "upload.xlsx"
    write_xlsx([changed, new], upload)
    before = faq_file.read_text(encoding="utf-8")
    maker = session_factory(sqlite_engine)
    with maker() as session, session.begin():
        plan = import_entries(session, read_faq(upload), "can-bo-b", faq_file, dry_run=True)
    assert plan.created == ["gio_lam_viec_thu_nghiem"] and list(plan.updated) == [changed.id]
    assert faq_file.read_text(encoding="utf-8") == before
    with maker() as session, session.begin():
        import_entries(session, read_faq(upload), "can-bo-b", faq_file)
    entries = {e.id: e for e in read_faq(faq_file)}
    assert entries[changed.id].answer == "Câu trả lời mới." and "gio_lam_viec_thu_nghiem" in entries
    with maker() as session:
        logs = session.execute(select(ChangeLog).where(ChangeLog.entity == "faq")).scalars().all()
    assert {(l.key, l.field, l.actor) for l in logs} == {
        (changed.id, "answer", "can-bo-b"), ("gio_lam_viec_thu_nghiem", "*", "can-bo-b")}


def test_import_of_a_bad_file_names_its_rows_and_writes_nothing(sqlite_engine, tmp_path, faq_file):
    bad = tmp_path / "bad.csv"
    write_faq([FaqEntry(id="mot_muc", questions=("chỉ một câu",), answer="", owner="x",
                        last_verified="2026-11-30")], bad)
    before = faq_file.read_text(encoding="utf-8")
    with session_factory(sqlite_engine)() as session, session.begin(), pytest.raises(FaqError) as err:
        import_entries(session, read_faq(bad), "x", faq_file)
    assert any(p.startswith("bad.csv: row 2 (id mot_muc)") for p in err.value.problems)
    assert faq_file.read_text(encoding="utf-8") == before
