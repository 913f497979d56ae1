"""schemathesis against /api/schema/: every documented operation, fed generated input, never answers a 5xx.

The schema is loaded from the WSGI application itself (no server, no network), and the requests carry a DRF
token of a user who is an admin of one space, so operations get past authentication into the real views.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error

from config.wsgi import application


@pytest.fixture
def api_schema(db: None, settings) -> Iterator[schemathesis.BaseSchema]:
    # schemathesis's WSGI client sends Host: localhost.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    # As Django's own test client does: a finished request must not close the test's database connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/", application)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def real_ids(personas, make_attachment) -> dict[str, int]:
    attachment = make_attachment(personas.space, "Plan.docx", user=personas.owner)
    return {"/api/attachments/": attachment.pk, "/api/spaces/": personas.space.pk}


@pytest.fixture
def token_header(personas) -> dict[str, str]:
    return {"Authorization": f"Token {Token.objects.create(user=personas.owner).key}"}


def _aim(case: schemathesis.Case, real_ids: dict[str, int], aim: bool) -> schemathesis.Case:
    """Half the cases point ``{id}`` at a real row, so they reach the views' logic and not only a 404."""
    if aim and case.path_parameters and "id" in case.path_parameters:
        prefix = next((p for p in real_ids if case.operation.path.startswith(p)), None)
        if prefix is not None:
            case.path_parameters["id"] = real_ids[prefix]
    return case


def test_it_never_answers_an_api_request_with_a_server_error(api_schema, token_header, real_ids) -> None:
    # schemathesis's lazy pytest loader does not run under pytest 9 (it writes Function._nodeid), so each
    # operation's strategy is driven here through the Python API; a failure names the operation and the case.
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(), aim=st.booleans())
        def no_server_error(case: schemathesis.Case, aim: bool) -> None:
            case = _aim(case, real_ids, aim)
            response = case.call(headers=token_header)
            case.validate_response(response, checks=[not_a_server_error])

        no_server_error()


def test_it_serves_a_schema_that_lists_the_api_operations(api_schema) -> None:
    # Guards the test above against a schema that silently lost its operations (and with them every check).
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 5
    assert any(operation.path.startswith("/api/") for operation in operations)
