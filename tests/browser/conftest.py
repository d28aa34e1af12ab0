"""Browser-test fixtures: Debian's Chromium through Playwright and the scripted widget server
(the real assistant, `rasa_stack`, comes from tests/conftest.py)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from tests.e2e.stack import free_port

from bot.config import ROOT

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
AXE_JS = ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}


def missing(reason: str) -> None:
    """Skip on a laptop without the browser; fail in CI, where setup must provide it."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (run scripts/setup-browser.sh)")
    pytest.skip(f"{reason}: run scripts/setup-browser.sh")




@dataclass
class FakeBot:
    """The widget channel with a scripted bot instead of Rasa."""

    url: str

    def received(self) -> list[dict]:
        """What the scripted bot was handed (after masking), in order."""
        return httpx.get(f"{self.url}/fake/received", timeout=5).json()


@pytest.fixture(scope="session")
def fake_bot(tmp_path_factory) -> Iterator[FakeBot]:
    """Start tests/browser/fake_bot.py on a free loopback port."""
    port = free_port()
    var_dir = tmp_path_factory.mktemp("fake_bot")
    env = {**os.environ, "BOT_VAR_DIR": str(var_dir), "SESSION_SECRET": "",
           "PYTHONWARNINGS": "ignore", "RASA_TELEMETRY_ENABLED": "false"}
    log = (var_dir / "fake_bot.log").open("w")
    process = subprocess.Popen([sys.executable, "-m", "tests.browser.fake_bot", str(port)],
                               cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"fake bot exited; see {var_dir / 'fake_bot.log'}")
        try:
            if httpx.get(f"{url}/webhooks/socketio/", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.3)
    else:
        process.terminate()
        pytest.fail("fake bot did not start")
    yield FakeBot(url)
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="package")  # Playwright's sync loop must be gone before async tests run
def browser():
    """One headless Debian Chromium for the session."""
    if not CHROMIUM.exists():
        missing(f"{CHROMIUM} not found")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser):
    """A fresh browser profile (empty sessionStorage), desktop-sized."""
    ctx = browser.new_context(viewport=DESKTOP, locale="vi-VN")
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


@pytest.fixture
def phone_context(browser):
    """A fresh 360 x 740 touch-screen profile."""
    ctx = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True,
                              has_touch=True, locale="vi-VN")
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


def shot(page, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"widget-{name}.png"
    page.screenshot(path=str(path))
    return path
