"""Admin page: passwords, sessions that expire, CSRF, FAQ/procedure edits logged, uploads."""
from __future__ import annotations

import re
import time
from datetime import timedelta

from sqlalchemy import select

from bot.admin import auth
from bot.catalog.db import make_engine, session_factory
from bot.catalog.models import ChangeLog, Feedback, Procedure, Unanswered
from bot.faq.source import read_faq, write_xlsx
from bot.faq.validate import validate
from tests.staff.conftest import PASSWORD


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def test_password_hash_is_salted_and_checked():
    first, second = auth.hash_password("một mật khẩu dài"), auth.hash_password("một mật khẩu dài")
    assert first != second and first.startswith("scrypt$")
    assert auth.check_password("một mật khẩu dài", first)
    assert not auth.check_password("mot mat khau dai", first)


def test_session_expires_when_idle(sqlite_engine):
    import bot.admin.models  # noqa: F401
    from bot.catalog.db import create_schema

    create_schema(sqlite_engine)
    maker = session_factory(sqlite_engine)
    idle = timedelta(minutes=30)
    with maker() as session, session.begin():
        token = auth.start_session(session, "canbo", idle)
    now = auth.utcnow()
    with maker() as session, session.begin():
        assert auth.load_session(session, token, idle, now + timedelta(minutes=29)) is not None
    with maker() as session, session.begin():
        assert auth.load_session(session, token, idle, now + timedelta(minutes=58)) is not None
    with maker() as session, session.begin():
        assert auth.load_session(session, token, idle, now + timedelta(minutes=90)) is None
    with maker() as session, session.begin():
        assert auth.load_session(session, token, idle, now + timedelta(minutes=1)) is None


def test_wrong_password_is_refused(admin_server):
    with admin_server.client() as client:
        response = admin_server.login(client, "sai-mat-khau-roi")
        assert response.status_code == 401 and "Sai tên đăng nhập hoặc mật khẩu" in response.text
        assert client.get("/faq").status_code == 303


def test_cookie_flags_and_session_expiry(admin_server):
    with admin_server.client() as client:
        response = admin_server.login(client)
        assert response.status_code == 303
        cookie = [c for c in response.headers.get_list("set-cookie") if c.startswith("sonla_admin=")][0]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        assert client.get("/faq").status_code == 200
        time.sleep(3.5)  # ADMIN_SESSION_SECONDS=3 in the fixture
        expired = client.get("/faq")
        assert expired.status_code == 303 and expired.headers["location"].startswith("/login")


def test_post_without_csrf_token_is_refused(admin_server):
    with admin_server.client() as client:
        admin_server.login(client)
        before = admin_server.faq.read_text(encoding="utf-8")
        response = client.post("/faq/tra_cuu_ho_so", data={"answer": "bị sửa", "csrf": "sai"})
        assert response.status_code == 403
        assert admin_server.faq.read_text(encoding="utf-8") == before


def test_login_form_needs_its_csrf_cookie(admin_server):
    with admin_server.client() as client:
        response = client.post("/login", data={"csrf": "x", "username": "canbo",
                                               "password": PASSWORD})
        assert response.status_code == 303 and "sonla_admin=" not in str(response.headers)


def test_faq_edit_is_saved_validated_and_logged(admin_server):
    with admin_server.client() as client:
        admin_server.login(client)
        form = client.get("/faq/tra_cuu_ho_so").text
        entry = next(e for e in read_faq(admin_server.faq) if e.id == "tra_cuu_ho_so")
        data = {"csrf": csrf_of(form), "id": entry.id, "questions": "\n".join(entry.questions),
                "answer": "Câu trả lời mới: xem https://dichvucong.sonla.gov.vn", "topic": entry.topic,
                "owner": entry.owner, "last_verified": entry.last_verified}
        assert client.post("/faq/tra_cuu_ho_so", data=data).status_code == 303
        bad = client.post("/faq/tra_cuu_ho_so", data={**data, "answer": "xem http://bit.ly/x"})
        assert bad.status_code == 422 and "not an official site" in bad.text
    saved = next(e for e in read_faq(admin_server.faq) if e.id == "tra_cuu_ho_so")
    assert saved.answer.startswith("Câu trả lời mới") and validate(read_faq(admin_server.faq)) == []
    engine = make_engine(admin_server.db_url)
    with session_factory(engine)() as session:
        log = session.execute(select(ChangeLog).where(ChangeLog.entity == "faq")).scalar_one()
    engine.dispose()
    assert (log.actor, log.key, log.field) == ("canbo", "tra_cuu_ho_so", "answer")


def test_procedure_fee_edit_is_live_and_logged(admin_server):
    with admin_server.client() as client:
        admin_server.login(client)
        form = client.get("/procedures/1.001193")
        assert form.status_code == 200
        response = client.post("/procedures/1.001193", data={"csrf": csrf_of(form.text),
                                                             "truc_tiep_fee": "9.999 đồng"})
        assert response.status_code == 303
    engine = make_engine(admin_server.db_url)
    with session_factory(engine)() as session:
        proc = session.execute(select(Procedure).where(Procedure.code == "1.001193")).scalar_one()
        log = session.execute(select(ChangeLog).where(ChangeLog.actor == "canbo")).scalar_one()
    engine.dispose()
    assert any(c.get("fee") == "9.999 đồng" for c in proc.channels) and log.field == "channels"


def test_upload_preview_then_apply(admin_server, tmp_path):
    entries = read_faq(admin_server.faq)
    from dataclasses import replace

    upload = tmp_path / "faq-upload.xlsx"
    write_xlsx([replace(entries[0], answer="Đến Công an cấp xã để đăng ký.")], upload)
    with admin_server.client() as client:
        admin_server.login(client)
        token = csrf_of(client.get("/upload").text)
        preview = client.post("/upload", data={"csrf": token, "kind": "faq"},
                              files={"file": ("faq-upload.xlsx", upload.read_bytes())})
        assert preview.status_code == 200 and f"~ {entries[0].id}: answer" in preview.text
        assert read_faq(admin_server.faq)[0].answer == entries[0].answer  # dry run only
        fields = dict(re.findall(r'name="(kind|token|suffix)" value="([^"]*)"', preview.text))
        applied = client.post("/upload/apply", data={"csrf": token, **fields})
        assert applied.status_code == 303
    assert read_faq(admin_server.faq)[0].answer == "Đến Công an cấp xã để đăng ký."


def test_unanswered_and_feedback_pages(admin_server):
    engine = make_engine(admin_server.db_url)
    with session_factory(engine)() as session, session.begin():
        session.add(Unanswered(text="giờ mở cửa bộ phận một cửa", channel="rest"))
        session.add_all([Feedback(helpful=True, procedure_code="1.001193"),
                         Feedback(helpful=False, procedure_code="1.001193"),
                         Feedback(helpful=True, faq_id="tra_cuu_ho_so")])
    engine.dispose()
    with admin_server.client() as client:
        admin_server.login(client)
        page = client.get("/unanswered?day=today")
        assert "giờ mở cửa bộ phận một cửa" in page.text
        assert "giờ mở cửa" in client.get("/unanswered.csv?day=today").text
        feedback = client.get("/feedback").text
        assert "Thủ tục đăng ký khai sinh" in feedback and 'style="width:50%"' in feedback
        assert "tra_cuu_ho_so" in feedback
