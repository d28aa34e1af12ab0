"""Fallback, hand-off and feedback actions."""
from __future__ import annotations

from sqlalchemy import select
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import ActionDefaultFallback, ActionHumanHandoff, ActionRecordFeedback
from bot.catalog.models import Feedback, Unanswered
from tests.action_tests.conftest import button_entities, make_tracker


async def test_fallback_queues_the_masked_question(fixture_db, use_db, domain):
    maker = use_db(fixture_db)
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("toi goi 0912345678 hoi ve tien dien thang nay", "nlu_fallback")
    await ActionDefaultFallback().run(dispatcher, tracker, domain)
    assert "chưa hiểu ý bạn" in dispatcher.messages[0]["text"]
    with maker() as session:
        row = session.execute(select(Unanswered)).scalar_one()
    assert "0912345678" not in row.text and "[phone]" in row.text


async def test_fallback_answers_when_the_message_clearly_names_a_procedure(fixture_db, use_db, domain):
    maker = use_db(fixture_db)
    dispatcher = CollectingDispatcher()
    await ActionDefaultFallback().run(dispatcher, make_tracker("giấy khai sinh", "nlu_fallback"), domain)
    assert "Mã thủ tục: 1.001193" in dispatcher.messages[0]["text"]
    with maker() as session:
        assert session.execute(select(Unanswered)).first() is None


async def test_handoff_uses_configured_contact(domain, monkeypatch):
    from bot.config import get_settings
    get_settings.cache_clear()
    monkeypatch.setenv("CONTACT_TEXT", "gọi Trung tâm Phục vụ hành chính công")
    monkeypatch.setenv("CONTACT_PHONE", "0212.000.000")
    try:
        dispatcher = CollectingDispatcher()
        await ActionHumanHandoff().run(dispatcher, make_tracker("gặp cán bộ", "human_handoff"), domain)
        assert "gọi Trung tâm Phục vụ hành chính công 0212.000.000" in dispatcher.messages[0]["text"]
    finally:
        get_settings.cache_clear()


async def test_feedback_is_recorded_per_procedure(fixture_db, use_db, domain):
    maker = use_db(fixture_db)
    payload = '/feedback_not_helpful{"procedure_code": "1.001193"}'
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(payload, "feedback_not_helpful", entities=button_entities(payload))
    await ActionRecordFeedback().run(dispatcher, tracker, domain)
    with maker() as session:
        vote = session.execute(select(Feedback)).scalar_one()
    assert vote.procedure_code == "1.001193" and vote.helpful is False
    assert "ghi nhận" in dispatcher.messages[0]["text"]


def _unsure_tip_message(intent_conf: float, selector_conf: float) -> dict:
    return {"intent_ranking": [{"name": "nlu_fallback", "confidence": 0.45},
                               {"name": "security_tip", "confidence": intent_conf}],
            "response_selector": {"default": {"response": {
                "confidence": selector_conf, "intent_response_key": "security_tip/otp",
                "utter_action": "utter_security_tip/otp"}}}}


async def test_fallback_answers_a_confident_tip(fixture_db, use_db, domain):
    use_db(fixture_db)
    tracker = make_tracker("ai xin ma xac thuc thi sao", "nlu_fallback")
    tracker.latest_message.update(_unsure_tip_message(0.4, 0.9))
    dispatcher = CollectingDispatcher()
    await ActionDefaultFallback().run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["response"] == "utter_security_tip/otp"


def test_unsure_selector_is_not_trusted():
    from actions.conversation import confident_retrieval
    assert confident_retrieval(_unsure_tip_message(0.4, 0.3)) is None
    assert confident_retrieval(_unsure_tip_message(0.1, 0.9)) is None
    assert confident_retrieval(_unsure_tip_message(0.4, 0.9)) == "utter_security_tip/otp"
