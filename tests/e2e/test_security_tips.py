"""Every security topic, asked accented and unaccented in words not in the training data,
gets that topic's tip (end to end through REST)."""
from __future__ import annotations

import uuid

import pytest
import yaml

from bot.config import ROOT

pytestmark = pytest.mark.e2e

TIPS = {t["id"]: t for t in yaml.safe_load(
    (ROOT / "data" / "security" / "tips.yml").read_text(encoding="utf-8"))["tips"]}

QUESTIONS = {
    "passwords": ("mật khẩu nên dài bao nhiêu ký tự thì khó đoán", "mat khau nen dat the nao cho kho doan"),
    "two_factor": ("cách bật bảo mật hai bước cho Zalo", "bat xac minh 2 buoc cho gmail the nao"),
    "otp": ("ngân hàng gọi xin mã OTP có nên đọc cho họ không", "co nen doc ma otp cho nguoi la khong"),
    "scam_calls": ("có người gọi xưng là bên điện lực dọa cắt điện nếu không chuyển tiền",
                   "co nguoi goi tu xung cong an bat chuyen tien vao tai khoan tam giu"),
    "fake_websites": ("làm sao nhận biết trang dịch vụ công giả mạo", "trang web gia mao co quan nha nuoc nhan biet the nao"),
    "apps_apk": ("người lạ gửi file apk bảo cài để nhận trợ cấp có được không", "co nen cai app tu link la gui qua tin nhan khong"),
    "malware": ("điện thoại bị nhiễm virus thì có dấu hiệu gì", "may bi ma doc thi lam the nao"),
    "public_wifi": ("dùng wifi miễn phí ở bến xe có an toàn không", "wifi cong cong co bi lo thong tin khong"),
    "personal_data": ("có nên gửi ảnh chụp căn cước cho người bán hàng online không",
                      "co nen dang anh the can cuoc len facebook khong"),
    "after_scam": ("tôi vừa bị lừa mất tiền qua mạng giờ phải làm gì", "bi lua dao chuyen khoan roi thi lam sao"),
    "children_online": ("làm sao bảo vệ con nhỏ khi dùng mạng", "tre con xem youtube mot minh co an toan khong"),
    "phone_updates": ("có nên cập nhật hệ điều hành điện thoại không", "cap nhat phan mem dien thoai co can thiet khong"),
}


def test_every_topic_has_questions():
    assert set(QUESTIONS) == set(TIPS)


@pytest.mark.parametrize("topic,variant", [(t, v) for t in sorted(QUESTIONS) for v in (0, 1)])
def test_topic_gets_its_tip(rasa_stack, topic, variant):
    question = QUESTIONS[topic][variant]
    examples = {e.lower() for e in TIPS[topic]["examples"]}
    assert question.lower() not in examples, "must not be a training example"
    replies = rasa_stack.say(f"tip-{uuid.uuid4().hex[:8]}", question)
    answer = "\n".join(r.get("text") or "" for r in replies)
    assert TIPS[topic]["answer"].strip()[:80] in answer, (topic, answer[:200])
