"""Session fixture `rasa_stack`: the real action server and Rasa over HTTP."""
from __future__ import annotations

import pytest

from tests.e2e.stack import Stack, start_stack


@pytest.fixture(scope="session")
def rasa_stack(tmp_path_factory) -> Stack:
    """One running assistant for the whole test session (fresh databases)."""
    try:
        stack = start_stack(tmp_path_factory.mktemp("stack"))
    except RuntimeError as exc:
        pytest.fail(str(exc))
    yield stack
    stack.stop()
