"""The widget on the demo page served by the real assistant (trained model, action server)."""
from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, shot
from tests.browser.widget_page import (STORAGE_PREFIX, ask, bot_messages, log, open_demo,
                                       open_widget, stored)

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.timeout(300)]
QUESTION = "làm giấy khai sinh cần gì"
CODE = "1.001193"
OFFICIAL_LINK = re.compile(r"^https://[^/]*(dichvucong\.gov\.vn|sonla\.gov\.vn)")
ANSWER_TIMEOUT_MS = 60_000


def test_cited_answer_quick_reply_and_reload(context, rasa_stack) -> None:
    """Ask a procedure question, get the cited answer, follow a button, reload, keep it all."""
    page = context.new_page()
    open_demo(page, rasa_stack.url)
    shot(page, "1-demo-page-closed")
    open_widget(page)
    ask(page, QUESTION)
    answer = bot_messages(page).filter(has_text=CODE).first
    expect(answer).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    hrefs = log(page).get_by_role("link").evaluate_all("links => links.map(a => a.href)")
    assert any(OFFICIAL_LINK.match(h) for h in hrefs), hrefs
    shot(page, "2-cited-answer")

    buttons = log(page).get_by_role("group").get_by_role("button")
    expect(buttons.first).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    before = bot_messages(page).count()
    title = buttons.first.inner_text()
    buttons.first.click()
    expect(log(page).locator(".msg.u").last).to_have_text(re.compile(re.escape(title)))
    expect(bot_messages(page)).not_to_have_count(before, timeout=ANSWER_TIMEOUT_MS)
    expect(page.get_by_role("status").filter(has_text="đang trả lời")).to_be_hidden(
        timeout=ANSWER_TIMEOUT_MS)
    shot(page, "3-quick-reply-follow-up")
    transcript = log(page).inner_text()

    page.reload()
    expect(log(page)).to_contain_text(CODE)
    assert log(page).inner_text() == transcript
    shot(page, "3b-after-reload")


def test_foreign_session_refused_by_real_assistant(browser, rasa_stack) -> None:
    """A second browser presenting the first one's id (with its own signature) is refused."""
    first = browser.new_context()
    page = first.new_page()
    open_demo(page, rasa_stack.url)
    open_widget(page)
    ask(page, QUESTION)
    expect(bot_messages(page).filter(has_text=CODE).first).to_be_visible(
        timeout=ANSWER_TIMEOUT_MS)
    victim_id = stored(page)["token"].split(".")[0]
    first.close()

    second = browser.new_context()
    page = second.new_page()
    open_demo(page, rasa_stack.url)
    open_widget(page)
    page.wait_for_function("(p) => (JSON.parse(sessionStorage.getItem(p) || '{}').token || '')"
                           ".length > 60", arg=STORAGE_PREFIX + rasa_stack.url)
    own = stored(page)
    _, issued, signature = own["token"].split(".")
    own.update(token=f"{victim_id}.{issued}.{signature}", msgs=[])
    page.evaluate("([k, v]) => sessionStorage.setItem(k, v)",
                  [STORAGE_PREFIX + rasa_stack.url, json.dumps(own)])
    page.reload()
    expect(log(page)).to_contain_text("mã phiên không hợp lệ")
    expect(log(page)).not_to_contain_text(CODE)
    assert stored(page)["token"].split(".")[0] != victim_id
    second.close()


def test_phone_sized_conversation(browser, rasa_stack) -> None:
    """The whole flow on a 360 x 740 touch screen."""
    ctx = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True,
                              has_touch=True, locale="vi-VN")
    page = ctx.new_page()
    open_demo(page, rasa_stack.url)
    open_widget(page)
    ask(page, QUESTION)
    expect(bot_messages(page).filter(has_text=CODE).first).to_be_visible(
        timeout=ANSWER_TIMEOUT_MS)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "7-phone-cited-answer")
    ctx.close()
