"""The Rasa server validates every action server response, checking the schema only once."""
from __future__ import annotations

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from bot.channels import speedups

VALID = {"events": [{"event": "slot", "name": "procedure_code", "value": "1.001193"}],
         "responses": [{"text": "Xin chào"}]}
INVALID = [
    {"events": "not a list"},
    {"events": [{"no_event_key": 1}]},
    {"responses": "text"},
]


@pytest.fixture
def action() -> RemoteAction:
    speedups.install()
    return RemoteAction("action_answer_procedure", None)


def test_a_valid_response_passes(action):
    assert action._validate_action_result(VALID) is True


@pytest.mark.parametrize("result", INVALID)
def test_an_invalid_response_fails_as_in_rasa(action, result):
    with pytest.raises(ValidationError) as ours:
        action._validate_action_result(result)
    import jsonschema
    with pytest.raises(ValidationError) as rasas:  # what jsonschema.validate (Rasa's call) says
        jsonschema.validate(result, RemoteAction.action_response_format_spec())
    assert ours.value.message.startswith(rasas.value.message)
    assert "Failed to validate Action server response" in ours.value.message


def test_the_schema_is_checked_once(action, monkeypatch):
    speedups.action_result_validator.cache_clear()
    calls = []
    from jsonschema.validators import validator_for
    cls = validator_for(RemoteAction.action_response_format_spec())
    original = cls.check_schema
    monkeypatch.setattr(cls, "check_schema", classmethod(
        lambda c, schema, *a, **k: calls.append(1) or original(schema, *a, **k)))
    for _ in range(5):
        action._validate_action_result(VALID)
    assert len(calls) == 1
