"""The API against its own OpenAPI document, fuzzed: no 5xx, and every answer as documented."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from forum.api import registry
from forum.models import Role
from tests.articles import make_article


# What the document promises. Left out: whether every schema-valid body is accepted, since the
# forum's rules (configurable limits, an article that must parse) go past what a schema can say.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@pytest.fixture
def admin_token(app, client, make_user):
    """An admin's bearer token, so that the fuzzer reaches every operation past authentication."""
    user = make_user("ada", Role.ADMIN)
    body = {"username": user.username, "password": user.password}
    return client.post("/api/v1/tokens", json=body).json["token"]


def test_every_operation_answers_as_documented(app, admin_token):
    make_article(app)
    app.extensions["forum"].limiter.enabled = False  # the fuzzer sends far more than a person would
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    checked = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path == "/tokens/current" and operation.method.upper() == "DELETE":
            continue  # revoking the token would lock the fuzzer out of the other operations

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck),
                  database=None)
        def answers_as_documented(case):
            response = case.call(headers={"Authorization": f"Bearer {admin_token}"})
            case.validate_response(response, checks=CHECKS)

        answers_as_documented()
        checked.append(f"{operation.method.upper()} {operation.path}")
    assert len(checked) == len(registry.operations) - 1  # every declared operation but the one skipped
