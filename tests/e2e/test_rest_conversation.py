"""End to end over HTTP: the real Rasa and action servers, REST channel."""
from __future__ import annotations

import sqlite3
import uuid

import httpx
import pytest

pytestmark = pytest.mark.e2e


def sender() -> str:
    """A fresh conversation id."""
    return f"test-{uuid.uuid4().hex[:8]}"


def texts(replies: list[dict]) -> str:
    """All reply texts joined."""
    return "\n".join(r.get("text") or "" for r in replies)


def test_done_when_birth_registration_documents(rasa_stack):
    replies = rasa_stack.say(sender(), "lam giay khai sinh can gi")
    answer = texts(replies)
    assert "1.001193" in answer
    assert "Giấy chứng sinh" in answer                  # a document of birth registration
    assert "https://" in answer and "kiểm tra lần cuối" in answer
    assert any(b["payload"].startswith("/ask_fee") for b in replies[-1]["buttons"])


@pytest.mark.parametrize("first,follow_up,expected", [
    ("đăng ký kết hôn", "lệ phí bao nhiêu?", "Lệ phí của thủ tục Thủ tục đăng ký kết hôn"),
    ("dang ky ket hon", "con ho so?", "Hồ sơ của thủ tục Thủ tục đăng ký kết hôn"),
    ("làm hộ chiếu", "mất bao lâu", "Thời gian giải quyết thủ tục Cấp hộ chiếu"),
    ("dang ky tam tru", "nop o dau", "Nơi giải quyết thủ tục Đăng ký tạm trú"),
])
def test_follow_up_keeps_the_procedure(rasa_stack, first, follow_up, expected):
    user = sender()
    rasa_stack.say(user, first)
    assert expected in texts(rasa_stack.say(user, follow_up))


def test_button_payload_answers_that_aspect(rasa_stack):
    user = sender()
    replies = rasa_stack.say(user, "thủ tục đăng ký thường trú")
    online = next(b for b in replies[-1]["buttons"] if b["payload"].startswith("/ask_online"))
    answer = texts(rasa_stack.say(user, online["payload"]))
    assert "Nộp trực tuyến thủ tục Đăng ký thường trú" in answer and "1.004222" in answer


def test_unknown_procedure_says_so_and_links_the_portal(rasa_stack):
    answer = texts(rasa_stack.say(sender(), "thủ tục cấp phép bay flycam thế nào"))
    assert "chưa tìm thấy" in answer or "Bạn đang hỏi thủ tục nào" in answer
    assert "dichvucong" in answer


@pytest.mark.parametrize("message,expected", [
    ("xin chào", "trợ lý ảo dịch vụ công"),
    ("ban la ai", "trợ lý ảo"),
    ("cam on nhieu", "Không có gì"),
    ("gặp cán bộ", "Một cửa"),
])
def test_small_talk(rasa_stack, message, expected):
    assert expected in texts(rasa_stack.say(sender(), message))


def test_bad_input_gets_a_polite_400(rasa_stack):
    bad = httpx.post(f"{rasa_stack.url}/webhooks/rest/webhook", content=b"not json", timeout=10)
    assert bad.status_code == 400 and "sender" in bad.json()["message"]
    missing = httpx.post(f"{rasa_stack.url}/webhooks/rest/webhook", json={"message": "x"},
                         timeout=10)
    assert missing.status_code == 400
    empty = rasa_stack.say(sender(), "   ")
    assert "chưa nhập nội dung" in texts(empty)


def test_link_checker_end_to_end(rasa_stack):
    answer = texts(rasa_stack.say(sender(), "co nguoi gui link dichvucong-gov.vn/nhan-tien bao vao nhan tien"))
    assert "CẢNH BÁO" in answer
    official = texts(rasa_stack.say(sender(), "https://dichvucong.gov.vn co phai trang that khong"))
    assert "trang chính thức" in official


SECRETS = {
    "otp": ("ma OTP cua toi la 482913 co sao khong", "482913"),
    "id_number": ("so cccd cua em la 034095001234 nhe", "034095001234"),
    "password": ("mật khẩu của tôi là Hoa@1990xyz", "Hoa@1990xyz"),
    "phone": ("goi cho toi so 0912345678", "0912345678"),
}


@pytest.mark.parametrize("kind", sorted(SECRETS))
def test_secret_guard_warns_and_nothing_is_stored_or_logged(rasa_stack, kind):
    message, secret = SECRETS[kind]
    answer = texts(rasa_stack.say(sender(), message))
    assert "che" in answer                                # "tôi đã che thông tin này đi"
    with sqlite3.connect(rasa_stack.tracker_db) as db:
        stored = "\n".join(row[0] for row in db.execute("select data from events"))
    assert secret not in stored
    assert f"[{kind}]" in stored
    assert secret not in rasa_stack.logs()


@pytest.mark.parametrize("message", [
    "mat khau manh la gi", "có nên đưa mã OTP cho người gọi điện tự xưng công an không",
])
def test_security_tips(rasa_stack, message):
    answer = texts(rasa_stack.say(sender(), message))
    assert len(answer) > 200


def test_random_tip(rasa_stack):
    assert len(texts(rasa_stack.say(sender(), "meo an toan"))) > 200
