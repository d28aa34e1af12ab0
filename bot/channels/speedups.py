"""Work Rasa 3.6 repeats on every message that the Rasa server can do once instead.

Profiling the REST round trip (py-spy, `make bench` conversations) showed 44% of the Rasa
server's time in `RemoteAction._validate_action_result`: `jsonschema.validate()` checks the
response *schema* against the JSON Schema meta-schema on every custom-action call before
checking the response. The schema never changes, so it is checked once here; every action
server response is still validated, with the same error and message on failure.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, Text


@lru_cache(maxsize=1)
def action_result_validator():  # type: ignore[no-untyped-def]
    """A validator for the action server's response schema, the schema checked once."""
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_action_result(_action: Any, result: Dict[Text, Any]) -> bool:
    """RemoteAction._validate_action_result without re-checking the schema (same errors)."""
    from jsonschema.exceptions import best_match
    from rasa.shared.constants import DOCS_BASE_URL

    error = best_match(action_result_validator().iter_errors(result))
    if error is not None:
        error.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error
    return True


def install() -> None:
    """Use the cached validator in this Rasa server process (idempotent)."""
    from rasa.core.actions.action import RemoteAction

    RemoteAction._validate_action_result = validate_action_result  # type: ignore[assignment]
