"""The OpenAPI document: valid 3.1, generated from the declarations that validate requests, complete."""

import json
import re
from importlib import resources

import pytest
from jsonschema import Draft202012Validator

from forum.api import registry
from forum.api.openapi import openapi_path
from forum.ratelimit import MEMBER_WRITES


@pytest.fixture
def document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json


def openapi_3_1_schema():
    """The official JSON Schema of OpenAPI 3.1 documents."""
    path = resources.files("openapi_spec_validator") / "resources/schemas/v3.1/schema.json"
    return json.loads(path.read_text())


def test_the_document_is_valid_openapi_3_1(document):
    # The official schema checks the document's structure; the components are checked as
    # JSON Schemas of their own, and every reference must resolve (schemas here are recursive:
    # an argument holds its replies, which some validators cannot walk).
    Draft202012Validator(openapi_3_1_schema()).validate(document)
    schemas = document["components"]["schemas"]
    for schema in schemas.values():
        Draft202012Validator.check_schema(schema)
    refs = re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', json.dumps(document))
    assert refs and set(refs) <= set(schemas)
    # Each component defines its shape: a recursive model (an argument and its replies) too, not a reference
    # to itself, which would promise nothing about the answers.
    assert all("properties" in schema for schema in schemas.values())
    assert "replies" in schemas["ArgumentOut"]["properties"]
    assert document["openapi"].startswith("3.1")
    assert document["servers"] == [{"url": "/api/v1"}]


def test_every_api_route_is_documented(app, document):
    documented = {
        (method.upper(), path) for path, item in document["paths"].items() for method in item
    }
    routed = set()
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("forum.api.") or rule.endpoint in (
            "forum.api.no_such_route", "forum.api.openapi_document",
        ):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        routed |= {(m, path) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert routed == documented


def test_request_bodies_are_the_validating_models(document):
    post = document["paths"]["/blocks/{block_id}/arguments"]["post"]
    schema_name = post["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
    schema = document["components"]["schemas"][schema_name]
    assert schema["properties"]["stance"]["enum"] == ["counter", "support", "question"]
    assert set(schema["required"]) == {"stance", "body"}
    operation = next(op for op in registry.operations if op.rule == "/blocks/<id:block_id>/arguments" and op.method == "POST")
    assert operation.body.__name__ == schema_name


@pytest.mark.parametrize(
    "path, method, statuses",
    [
        ("/tokens", "post", {"201", "400", "401", "422"}),
        ("/articles", "post", {"201", "400", "401", "403", "413", "422"}),
        ("/blocks/{block_id}/arguments", "get", {"200", "400", "404", "422"}),
        ("/blocks/{block_id}/arguments", "post", {"201", "400", "401", "403", "404", "409", "422"}),
        ("/arguments/{argument_id}", "patch", {"200", "400", "401", "403", "404", "409", "422"}),
    ],
)
def test_statuses_are_documented(document, path, method, statuses):
    assert statuses <= set(document["paths"][path][method]["responses"])


def test_every_kind_of_members_write_is_limited_in_the_api_and_documents_429(app, document):
    """Each limited kind of write (`forum.ratelimit.MEMBER_WRITES`) limits an API operation, which documents 429."""
    limited = {op.limited: op for op in registry.operations if op.limited}
    assert set(limited) == set(MEMBER_WRITES)
    for op in limited.values():
        path, _ = openapi_path(op.rule)
        assert "429" in document["paths"][path][op.method.lower()]["responses"], (op.method, path)


def test_error_responses_have_the_error_shape(document):
    for item in document["paths"].values():
        for operation in item.values():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    ref = response["content"]["application/json"]["schema"]["$ref"]
                    assert ref.endswith("/ErrorBody")


def test_every_operation_may_answer_400(document):
    # A write for its body or its CSRF header; a read too, for NUL in its query string.
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert "400" in operation["responses"], (method, path)


def test_every_query_may_answer_400(client, document):
    """A NUL character in a query value is refused (400) before the query is read, as the document says."""
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if any(parameter["in"] == "query" for parameter in operation.get("parameters", [])):
                assert "400" in operation["responses"], (method, path)
    refused = client.get("/api/v1/articles?after=%00")
    assert refused.status_code == 400
    assert refused.json["error"]["code"] == "bad_request"


def test_request_bodies_are_closed(document):
    schemas = document["components"]["schemas"]
    for item in document["paths"].values():
        for operation in item.values():
            if body := operation.get("requestBody"):
                name = body["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
                assert schemas[name]["additionalProperties"] is False, name
    assert schemas["SourceIn"]["additionalProperties"] is False  # and the models inside them
