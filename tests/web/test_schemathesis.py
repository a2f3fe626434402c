"""Property-based requests from the OpenAPI document against a live server: never a 5xx."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.web.conftest import Server
from threatlake.web.endpoints import ENDPOINTS
from threatlake.web.openapi import document

SCHEMA = schemathesis.openapi.from_dict(document(ENDPOINTS))
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
EXAMPLES = 12


@pytest.mark.parametrize("operation", OPERATIONS, ids=[op.label for op in OPERATIONS])
def test_no_server_errors(live: Server, operation: Any) -> None:
    headers = {"Authorization": f"Api-Token {live.admin_token}"}

    @given(case=operation.as_strategy(), authorized=st.booleans())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Any, authorized: bool) -> None:
        response = case.call(base_url=live.url, headers=headers if authorized else {}, timeout=30)
        assert response.status_code < 500, (
            case.method,
            case.formatted_path,
            response.status_code,
            response.text,
        )

    check()
