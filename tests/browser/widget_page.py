"""Page helpers for the widget tests: what a resident sees and does, found by role and label."""
from __future__ import annotations

import json

from playwright.sync_api import Locator, Page

OPEN = "Hỏi trợ lý ảo"
CLOSE = "Đóng cửa sổ trò chuyện"
INPUT = "Câu hỏi của bạn"
LOG = "Nội dung trò chuyện"
STORAGE_PREFIX = "sonla-chat:"


def open_demo(page: Page, server: str) -> None:
    """Load the demo portal page served by the assistant."""
    page.goto(f"{server}/widget/demo.html")
    page.get_by_role("button", name=OPEN).wait_for()


def open_widget(page: Page) -> None:
    """Open the chat panel with the keyboard (Tab to the launcher, Enter)."""
    page.get_by_role("button", name=OPEN).focus()
    page.keyboard.press("Enter")
    page.get_by_label(INPUT).wait_for()


def ask(page: Page, text: str) -> None:
    """Type a question and press Enter."""
    box = page.get_by_label(INPUT)
    box.fill(text)
    box.press("Enter")


def log(page: Page) -> Locator:
    """The conversation region (an ARIA live log)."""
    return page.get_by_role("log", name=LOG)


def bot_messages(page: Page) -> Locator:
    """Bot bubbles, greeting included."""
    return log(page).locator(".msg.b")


def stored(page: Page) -> dict:
    """What the widget keeps in sessionStorage."""
    raw = page.evaluate(
        "(p) => { for (let i = 0; i < sessionStorage.length; i++) {"
        " const k = sessionStorage.key(i); if (k.startsWith(p)) return sessionStorage.getItem(k); }"
        " return null; }", STORAGE_PREFIX)
    return json.loads(raw) if raw else {}


def focused_id(page: Page) -> str:
    """The id (or aria-label) of the focused element inside the widget's shadow root."""
    return page.evaluate(
        "() => { const h = document.querySelector('#sonla-chat');"
        " const a = (h.shadowRoot || document).activeElement;"
        " return document.activeElement === h && a ? (a.id || a.getAttribute('aria-label')"
        " || a.textContent) : ''; }")
