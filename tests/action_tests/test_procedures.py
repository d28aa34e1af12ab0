"""ActionAnswerProcedure: finding the procedure and answering each aspect."""
from __future__ import annotations

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.procedures import ActionAnswerProcedure, decide
from bot.catalog.search import Match
from tests.action_tests.conftest import button_entities, make_tracker


async def run(domain, tracker):
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerProcedure().run(dispatcher, tracker, domain)
    return dispatcher.messages, events


@pytest.mark.parametrize("text", [
    "làm giấy khai sinh cần gì", "lam giay khai sinh can gi", "LÀM GIẤY KHAI SINH CẦN GÌ",
    "lam giay khia sinh can gi",  # typo
])
async def test_documents_of_birth_registration(fixture_db, use_db, domain, text):
    use_db(fixture_db)
    messages, events = await run(domain, make_tracker(text, "ask_documents"))
    answer = messages[0]["text"]
    assert "Hồ sơ của thủ tục Thủ tục đăng ký khai sinh (mã 1.001193)" in answer
    assert "• Giấy chứng sinh (bản chính; 1 bộ/bản)" in answer
    assert "ma_thu_tuc=1.001193" in answer and "15/06/2026" in answer
    assert SlotSet("procedure_code", "1.001193") in events
    assert len(messages[0]["buttons"]) == 5


async def test_follow_up_uses_the_procedure_in_context(fixture_db, use_db, domain):
    use_db(fixture_db)
    tracker = make_tracker("lệ phí bao nhiêu?", "ask_fee", slots={"procedure_code": "1.000894"})
    messages, events = await run(domain, tracker)
    assert messages[0]["text"].startswith("Lệ phí của thủ tục Thủ tục đăng ký kết hôn (mã 1.000894)")
    assert "chưa có mức phí chính thức" in messages[0]["text"]       # unknown fee said plainly


async def test_named_procedure_wins_over_context(fixture_db, use_db, domain):
    use_db(fixture_db)
    tracker = make_tracker("còn nhập hộ khẩu thì nộp ở đâu", "ask_where",
                           slots={"procedure_code": "1.000894"})
    messages, _ = await run(domain, tracker)
    assert "Đăng ký thường trú (mã 1.004222): Công an cấp xã" in messages[0]["text"]


async def test_button_payload_entity_is_used(fixture_db, use_db, domain):
    use_db(fixture_db)
    payload = '/ask_online{"procedure_code": "1.004222"}'
    tracker = make_tracker(payload, "ask_online", entities=button_entities(payload))
    messages, _ = await run(domain, tracker)
    assert "toàn trình (trước đây gọi là mức độ 4)" in messages[0]["text"]


async def test_fee_and_time_per_channel(fixture_db, use_db, domain):
    use_db(fixture_db)
    messages, _ = await run(domain, make_tracker("nhap ho khau het bao nhieu tien", "ask_fee"))
    assert "• Nộp trực tuyến: 10.000 đồng/lần đăng ký" in messages[0]["text"]
    messages, _ = await run(domain, make_tracker("khai sinh mat bao lau", "ask_time"))
    assert "• Nộp trực tiếp: Ngay trong ngày làm việc" in messages[0]["text"]


async def test_nothing_found_offers_the_portal(fixture_db, use_db, domain):
    use_db(fixture_db)
    messages, events = await run(domain, make_tracker("cấp phép khai thác khoáng sản", "ask_overview"))
    assert "chưa tìm thấy" in messages[0]["text"] and "https://dichvucong.gov.vn" in messages[0]["text"]
    assert not any(e.get("name") == "procedure_code" and e.get("value") for e in events)


async def test_no_procedure_and_no_context_asks_which(fixture_db, use_db, domain):
    use_db(fixture_db)
    messages, _ = await run(domain, make_tracker("lệ phí bao nhiêu?", "ask_fee"))
    assert "Bạn đang hỏi về thủ tục nào" in messages[0]["text"]


async def test_ambiguous_query_offers_up_to_three_buttons(fixture_db, use_db, domain):
    use_db(fixture_db)
    messages, events = await run(domain, make_tracker("đăng ký", "ask_documents"))
    assert "thủ tục gần giống" in messages[0]["text"]
    assert 2 <= len(messages[0]["buttons"]) <= 3
    assert all(b["payload"].startswith("/choose_procedure") for b in messages[0]["buttons"])
    assert SlotSet("pending_aspect", "documents") in events
    choice = messages[0]["buttons"][0]["payload"]
    tracker = make_tracker(choice, "choose_procedure", slots={"pending_aspect": "documents"},
                           entities=button_entities(choice))
    messages, _ = await run(domain, tracker)
    assert messages[0]["text"].startswith("Hồ sơ của thủ tục")


async def test_database_failure_answers_politely(use_db, domain, sqlite_engine):
    sqlite_engine.dispose()
    use_db(sqlite_engine)
    with sqlite_engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE procedures")
    messages, events = await run(domain, make_tracker("khai sinh", "ask_overview"))
    assert messages == [{"text": messages[0]["text"], "buttons": [], "elements": [],
                         "custom": {}, "template": None, "response": None, "image": None,
                         "attachment": None}]
    assert "trục trặc" in messages[0]["text"] and events == []


def test_decide_rules():
    strong, weak = Match("a", "A", 0.9, "a"), Match("b", "B", 0.4, "b")
    assert decide([strong, weak], None) == ("found", [strong])
    assert decide([weak], "ctx")[0] == "context"
    assert decide([], None) == ("none", [])
    assert decide([Match("a", "A", 0.6, ""), Match("b", "B", 0.58, "")], None)[0] == "ambiguous"


@pytest.mark.parametrize("text,intent", [
    ("cần giấy tờ gì", "ask_documents"), ("có làm online được không", "ask_online"),
    ("làm trên VNeID được không", "ask_online"), ("còn phí thì sao", "ask_fee"),
])
async def test_follow_ups_stay_on_the_procedure_in_context(real_db, use_db, domain, text, intent):
    use_db(real_db)
    messages, _ = await run(domain, make_tracker(text, intent, slots={"procedure_code": "1.000894"}))
    assert "(mã 1.000894)" in messages[0]["text"]
