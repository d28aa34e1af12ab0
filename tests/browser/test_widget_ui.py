"""The widget in headless Chromium against the scripted bot: keyboard use, formatting, reload,
outage queueing, end chat, forged ids, phone width, accessibility (axe-core) and size."""
from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from bot.channels.webchat import WIDGET_DIR
from tests.browser.conftest import AXE_JS, missing, shot
from tests.browser.widget_page import (CLOSE, INPUT, OPEN, ask, bot_messages, focused_id, log,
                                       open_demo, open_widget, stored, STORAGE_PREFIX)

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]
BUDGET_BYTES = 40_000  # widget.js + widget.css, uncompressed ("under 40 KB")


def test_widget_size_under_budget() -> None:
    """Script and styles together stay under 40 KB uncompressed."""
    size = sum((WIDGET_DIR / name).stat().st_size for name in ("widget.js", "widget.css"))
    assert size < BUDGET_BYTES, f"widget is {size} bytes"


def test_keyboard_conversation_links_and_quick_replies(context, fake_bot) -> None:
    """Open by keyboard, ask, see a safe link and a list, press a quick reply, Esc closes."""
    page = context.new_page()
    open_demo(page, fake_bot.url)
    open_widget(page)
    assert focused_id(page) == "sl-input"
    ask(page, "<b>làm giấy khai sinh</b>")
    expect(bot_messages(page)).to_have_count(2)
    reply = bot_messages(page).nth(1)
    expect(reply).to_contain_text("Bạn hỏi: <b>làm giấy khai sinh</b>")  # shown, not parsed
    assert reply.locator("b").count() == 0
    link = reply.get_by_role("link")
    expect(link).to_have_attribute("href", "https://dichvucong.gov.vn/p/1.001193")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    expect(reply.locator("li")).to_have_text("Mục một")
    page.get_by_role("button", name="Lệ phí").focus()
    page.keyboard.press("Enter")
    expect(log(page)).to_contain_text("Lệ phí: miễn phí")
    expect(page.get_by_role("button", name="Lệ phí")).to_have_count(0)
    assert [r["text"] for r in fake_bot.received()][-1] == "/ask_fee"
    page.keyboard.press("Escape")
    expect(page.get_by_label(INPUT)).to_be_hidden()
    assert OPEN in focused_id(page)


def test_secrets_are_masked_before_the_bot(context, fake_bot) -> None:
    """A phone number typed in the widget reaches the dialogue only as [phone]."""
    page = context.new_page()
    open_demo(page, fake_bot.url)
    open_widget(page)
    ask(page, "số của tôi 0912 345 678")
    expect(bot_messages(page).nth(1)).to_contain_text("[phone]")
    assert "0912" not in fake_bot.received()[-1]["text"]


def test_reload_and_navigation_keep_the_conversation(context, fake_bot) -> None:
    """sessionStorage keeps the transcript and the session across reloads and pages."""
    page = context.new_page()
    open_demo(page, fake_bot.url)
    open_widget(page)
    ask(page, "câu hỏi trước khi tải lại")
    expect(bot_messages(page)).to_have_count(2)
    token = stored(page)["token"]
    page.reload()
    expect(log(page)).to_contain_text("câu hỏi trước khi tải lại")
    page.goto(f"{fake_bot.url}/widget/demo.html#ho-tro")
    page.reload()
    expect(log(page)).to_contain_text("câu hỏi trước khi tải lại")
    ask(page, "câu hỏi sau khi tải lại")
    expect(bot_messages(page)).to_have_count(3)
    assert stored(page)["token"] == token
    senders = {r["sender"] for r in fake_bot.received() if "tải lại" in r["text"]}
    assert senders == {token.split(".")[0]}


def test_end_chat_clears_browser_storage(context, fake_bot) -> None:
    """"Kết thúc" erases sessionStorage, closes the panel and starts fresh next time."""
    page = context.new_page()
    open_demo(page, fake_bot.url)
    open_widget(page)
    ask(page, "bí mật riêng")
    expect(bot_messages(page)).to_have_count(2)
    page.get_by_role("button", name=re.compile("Kết thúc")).click()
    expect(page.get_by_label(INPUT)).to_be_hidden()
    assert stored(page) == {}
    assert OPEN in focused_id(page)
    page.reload()
    open_widget(page)
    expect(log(page)).not_to_contain_text("bí mật riêng")


def test_start_over_sends_restart(context, fake_bot) -> None:
    """"Bắt đầu lại" clears the transcript and sends /restart (not shown as a bubble)."""
    page = context.new_page()
    open_demo(page, fake_bot.url)
    open_widget(page)
    ask(page, "câu hỏi cũ")
    expect(bot_messages(page)).to_have_count(2)
    page.get_by_role("button", name="Bắt đầu lại").click()
    expect(log(page)).to_contain_text("Đã bắt đầu lại")
    expect(log(page)).not_to_contain_text("câu hỏi cũ")
    assert fake_bot.received()[-1]["text"] == "/restart"


def test_forged_session_id_is_refused(browser, fake_bot) -> None:
    """A browser presenting an id the server did not give gets a new, different session."""
    victim = browser.new_context()
    page = victim.new_page()
    open_demo(page, fake_bot.url)
    open_widget(page)
    ask(page, "hồ sơ của người khác")
    expect(bot_messages(page)).to_have_count(2)
    victim_token = stored(page)["token"]
    victim_id = victim_token.split(".")[0]
    victim.close()

    attacker = browser.new_context()
    forged = {"token": f"{victim_id}.{victim_token.split('.')[1]}.{'B' * 43}", "msgs": [],
              "queue": [], "open": False, "seq": 0}
    attacker.add_init_script(  # plant the forged id once, before the widget runs
        "if (!sessionStorage.getItem('planted')) { sessionStorage.setItem('planted', '1');"
        f" sessionStorage.setItem({json.dumps(STORAGE_PREFIX + fake_bot.url)},"
        f" {json.dumps(json.dumps(forged))}); }}")
    page = attacker.new_page()
    open_demo(page, fake_bot.url)
    open_widget(page)
    expect(log(page)).to_contain_text("mã phiên không hợp lệ")
    expect(page.get_by_role("log")).not_to_contain_text("hồ sơ của người khác")
    page.wait_for_function(
        "(p) => JSON.parse(sessionStorage.getItem(p) || '{}').token?.length > 60",
        arg=f"sonla-chat:{fake_bot.url}")
    new_id = stored(page)["token"].split(".")[0]
    assert new_id != victim_id
    shot(page, "4-forged-session-refused")
    ask(page, "tôi là ai")
    expect(bot_messages(page)).to_have_count(2)
    assert fake_bot.received()[-1]["sender"] == new_id
    attacker.close()


def test_outage_notice_queue_and_resend(context, fake_bot) -> None:
    """Server unreachable: a notice, the message kept as pending, then sent on reconnect."""
    state = {"down": True}

    def route(ws) -> None:
        if state["down"]:
            ws.close()
        else:
            ws.connect_to_server()

    page = context.new_page()
    page.route_web_socket(re.compile(r".*/socket\.io/.*"), route)
    open_demo(page, fake_bot.url)
    open_widget(page)
    expect(page.get_by_role("status").filter(has_text="Chưa kết nối được")).to_be_visible()
    ask(page, "tin nhắn lúc mất mạng")
    expect(log(page).locator(".msg.u.pending")).to_contain_text("Đang chờ gửi")
    assert [q["text"] for q in stored(page)["queue"]] == ["tin nhắn lúc mất mạng"]
    shot(page, "6-offline-message-queued")
    page.reload()  # still queued after a reload
    expect(log(page).locator(".msg.u.pending")).to_contain_text("tin nhắn lúc mất mạng")
    state["down"] = False
    expect(bot_messages(page).nth(1)).to_contain_text("tin nhắn lúc mất mạng", timeout=40_000)
    expect(log(page).locator(".msg.u.pending")).to_have_count(0)
    expect(log(page)).not_to_contain_text("Đang chờ gửi")
    assert stored(page)["queue"] == []


def test_phone_viewport(phone_context, fake_bot) -> None:
    """At 360 x 740 the launcher and the open panel fit the screen without side scrolling."""
    page = phone_context.new_page()
    open_demo(page, fake_bot.url)
    shot(page, "5a-phone-closed")
    page.get_by_role("button", name=OPEN).tap()
    ask(page, "làm giấy khai sinh")
    expect(bot_messages(page)).to_have_count(2)
    panel = page.get_by_role("dialog")
    box = panel.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 360
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    for name in ("Bắt đầu lại", "Lệ phí", CLOSE):
        button = page.get_by_role("button", name=name)
        assert button.bounding_box()["height"] >= 44  # touch target
    shot(page, "5b-phone-open")


def test_large_text_scales(context, fake_bot) -> None:
    """Sizes are in rem: a 200% root font size doubles the widget's text."""
    page = context.new_page()
    open_demo(page, fake_bot.url)
    open_widget(page)
    read = "() => parseFloat(getComputedStyle(document.querySelector('#sonla-chat')" \
           ".shadowRoot.querySelector('#sl-input')).fontSize)"
    normal = page.evaluate(read)
    page.evaluate("document.documentElement.style.fontSize = '200%'")
    assert page.evaluate(read) == pytest.approx(normal * 2)


def test_accessibility_axe(context, fake_bot) -> None:
    """axe-core (WCAG 2.1 A/AA rules) finds no serious or critical problem, open or closed."""
    if not AXE_JS.exists():
        missing(f"{AXE_JS} not found")
    page = context.new_page()
    open_demo(page, fake_bot.url)
    page.evaluate(AXE_JS.read_text(encoding="utf-8"))  # evaluate: not blocked by the page CSP
    run = ("async () => (await axe.run(document, {runOnly: {type: 'tag', values:"
           " ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})).violations"
           ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target)}))")
    closed = page.evaluate(run)
    open_widget(page)
    ask(page, "làm giấy khai sinh")
    expect(bot_messages(page)).to_have_count(2)
    opened = page.evaluate(run)
    bad = [v for v in closed + opened if v["impact"] in ("serious", "critical")]
    assert not bad, bad
