"""Session fixture `rasa_stack`: the real action server and Rasa over HTTP."""
from __future__ import annotations

import pytest

from tests.e2e.stack import Stack, start_stack

_FAILED: list[str] = []


@pytest.fixture(scope="session")
def rasa_stack(tmp_path_factory) -> Stack:
    """One running assistant for the whole test session (fresh databases)."""
    if _FAILED:
        pytest.fail(f"assistant did not start: {_FAILED[0]}")
    try:
        stack = start_stack(tmp_path_factory.mktemp("stack"))
    except RuntimeError as exc:
        _FAILED.append(str(exc))
        pytest.fail(str(exc))
    yield stack
    stack.stop()
