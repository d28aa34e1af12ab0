"""End to end in a real headless Chromium: log in, edit an FAQ answer, publish, ask the assistant.

Needs the `rasa_stack` fixture (lead: tests/e2e/conftest.py; it must be visible here, e.g. from
tests/conftest.py or a plugin) with `.url` and a Rasa started with `--enable-api --auth-token`
(token in ADMIN_RASA_TOKEN or `rasa_stack.token`), and Chromium at /usr/bin/chromium.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from bot.config import ROOT
from bot.faq.source import FAQ_PATH
from tests.staff.conftest import PASSWORD, start_admin

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.mark.e2e
@pytest.mark.browser
@pytest.mark.timeout(3600)
def test_staff_edits_faq_publishes_and_assistant_answers(request, tmp_path):
    if not CHROMIUM.exists():
        pytest.skip("Chromium missing: run scripts/setup-browser.sh")
    try:
        stack = request.getfixturevalue("rasa_stack")
    except pytest.FixtureLookupError:
        pytest.skip("the rasa_stack fixture is not available to tests/staff")
    from playwright.sync_api import expect, sync_playwright

    token = getattr(stack, "token", None) or os.environ.get("ADMIN_RASA_TOKEN", "")
    backup = tmp_path / "faq.csv.bak"
    shutil.copy(FAQ_PATH, backup)
    env = {"RASA_URL": stack.url, "ADMIN_RASA_TOKEN": token,
           "ADMIN_PUBLISH_CONFIG": os.environ.get("E2E_PUBLISH_CONFIG", "config.yml")}
    if os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"] = os.environ["DATABASE_URL"]
    process, admin = start_admin(tmp_path, None, env)
    marker = f"Mã kiểm thử {uuid.uuid4().hex[:6]}"
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                         args=LAUNCH_ARGS)
            page = browser.new_page()
            page.goto(admin.url + "/login")
            page.fill("#username", "canbo")
            page.fill("#password", "mat-khau-sai-roi")
            page.click("button[type=submit]")
            expect(page.locator("#login-error")).to_be_visible()
            page.fill("#username", "canbo")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.goto(admin.url + "/faq/tra_cuu_ho_so")
            answer = page.locator("#answer").input_value()
            page.fill("#answer", f"{marker}. {answer}")
            page.click("main button[type=submit]")
            expect(page.locator(".flash")).to_contain_text("Đã lưu")
            page.goto(admin.url + "/publish")
            page.click("#publish-button")
            result = page.locator("#publish-result[data-done]")
            result.wait_for(timeout=3_000_000)
            assert result.get_attribute("data-done") == "ok", page.locator("#publish-log").inner_text()
            browser.close()
        reply = httpx.post(f"{stack.url}/webhooks/rest/webhook", timeout=60,
                           json={"sender": f"e2e-{uuid.uuid4().hex[:6]}",
                                 "message": "tra cứu tình trạng hồ sơ ở đâu"}).json()
        assert any(marker in (m.get("text") or "") for m in reply), reply
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.copy(backup, FAQ_PATH)
        # Put the generated training data back in step with the restored FAQ source.
        subprocess.run([sys.executable, "-m", "bot", "nlu", "build"], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
