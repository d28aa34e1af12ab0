"""`rasa_stack` for the channel end-to-end tests: the lead's stack (tests/e2e/stack.py) started
with the Zalo channel enabled through ZALO_* variables, pointing at a port reserved for the fake
Zalo server that each test starts. Only the tests marked e2e use it."""
from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import pytest

ZALO_E2E = {"app_id": "3141592653589793238", "oa_id": "2718281828459045235"}


@pytest.fixture(scope="session")
def rasa_stack(tmp_path_factory):
    """The real action server and Rasa, with the Zalo channel enabled (fake Zalo port reserved)."""
    from tests.e2e.stack import free_port, start_stack

    var_dir = tmp_path_factory.mktemp("channel_stack")
    zalo_port = free_port()
    token_file = var_dir / "zalo_tokens.json"
    token_file.write_text(json.dumps({"access_token": "AT-0", "refresh_token": "RT-0"}))
    env = {"ZALO_APP_ID": ZALO_E2E["app_id"], "ZALO_OA_ID": ZALO_E2E["oa_id"],
           "ZALO_OA_SECRET_KEY": secrets.token_hex(16), "ZALO_APP_SECRET": secrets.token_hex(16),
           "ZALO_TOKEN_FILE": str(token_file),
           "ZALO_API_BASE": f"http://127.0.0.1:{zalo_port}",
           "ZALO_OAUTH_BASE": f"http://127.0.0.1:{zalo_port}"}
    try:
        model = os.environ.get("CHANNELS_E2E_MODEL")  # optional: an already trained model
        stack = start_stack(var_dir, extra_env=env, model=Path(model) if model else None)
    except RuntimeError as exc:
        pytest.fail(str(exc))
    yield stack
    stack.stop()
