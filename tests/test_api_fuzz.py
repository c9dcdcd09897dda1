"""The API against its own OpenAPI document, fuzzed: no 5xx, and every answer as documented.

Schemathesis makes the cases from the document, valid and invalid, as a member and as an admin; half of them
then get one hostile value (tests/hostile.py) in their body, query or path, and each case a review or a random
run found is pinned as an explicit example. Its stateful phase chains the operations by the ids they answer
with. Under CI=true every run draws the same cases (the conftest's profile); bench/fuzz.py runs them long.
"""

from __future__ import annotations

import json
import zlib
from types import SimpleNamespace

import pytest
import schemathesis
import sqlalchemy as sa
from hypothesis import Phase, example, given, seed
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from forum.api import registry
from forum.api.openapi import openapi_path
from forum.db import get_session
from forum.jsonbody import strings_in
from forum.models import Base, Member, Role
from forum.routing import MAX_ID
from tests.articles import make_article
from tests.hostile import (
    DIGITS,
    fuzz_settings,
    hostile_text,
    hostile_url_text,
    long_digits,
    nested_json,
    nested_values,
)

# What the document promises. Left out: whether every schema-valid body is accepted, since the
# forum's rules (configurable limits, an article that must parse) go past what a schema can say.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
PERSONAS = ("member", "admin")
# Revoking the token would lock the fuzzer out of the other operations (sequences, which start anew, keep it).
REVOKE = "delete_tokens_current"
RUNS = fuzz_settings(25)
SEQUENCES = fuzz_settings(8, stateful_step_count=6, phases=[Phase.generate])
OL_START = '<h1>T</h1><p>A claim.[1]</p><h2>References</h2><ol start="²"><li>A source</li></ol>'
ARGUMENT = {"stance": "counter", "body": "Twice, not thrice."}

# Cases found before, by operation ("METHOD /path" of the document): what `operation.Case` takes. Path
# parameters left out are the article's real ids. A bytes body is sent as it is.
PINNED = {
    "GET /audit": [{"query": {"action": "\x00"}}, {"query": {"before": DIGITS}}],
    "GET /blocks/{block_id}/arguments": [{"query": {"after": DIGITS, "limit": DIGITS}}],
    "GET /arguments/{argument_id}/versions": [{"path_parameters": {"argument_id": DIGITS}}],
    "POST /preview": [{"body": {"body": "\ud800"}}, {"body": b"[" * 100_000}, {"body": {"body": "[" * 100_000}}],
    "POST /tokens": [{"body": b"[" * 100_000}, {"body": {"username": "\ud800", "password": "x"}}],
    "POST /blocks/{block_id}/arguments": [
        {"body": {**ARGUMENT, "sources": [{"url": "https://[oops/"}]}},
        {"body": f'{{"stance": "counter", "body": "x", "parent_id": {DIGITS}}}'.encode()},
        {"body": ('{"stance": "counter", "body": "x", "sources": [{"url": "https://a.example/", '
                  f'"citation": {DIGITS}}}]}}').encode()},
        {"body": {"stance": "counter", "body": "\u200b\u200c\u200d\u2060\ufeff"}},
    ],
    "PATCH /arguments/{argument_id}": [{"body": {"sources": [{"url": "https://[zz]/"}]}}],
    "PUT /arguments/{argument_id}/vote": [{"body": {"value": True}}, {"body": {"value": 1.0}}],
    "PUT /blocks/{block_id}/consensus": [{"body": {"status": "open", "note": "", "version": MAX_ID}}],
    "POST /articles": [{"body": {"url": "https://[oops/"}}, {"body": {"format": "html", "text": OL_START}}],
}


@pytest.fixture
def api(app, make_user):
    """The document's schema, the things to act on, and a member's and an admin's token; `reset` builds them anew."""
    app.extensions["forum"].limiter.enabled = False  # the fuzzer sends far more than a person would
    every = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    api = SimpleNamespace(schema=every.exclude(operation_id=REVOKE), every=every, **build(app, make_user))

    def reset():
        """Every table emptied, ids counted from 1 again, and the same things built: the same state each time."""
        empty(app)
        # Kept pages of the emptied database would match the same ids and versions anew: a replaced database
        # starts with an empty cache (docs/caching.md), here too.
        app.extensions["forum"].clear_page_caches()
        again = build(app, make_user)
        assert again["real"] == api.real
        api.tokens = again["tokens"]

    api.reset = reset
    return api


def build(app, make_user) -> dict:
    """An article, an argument by the member with the admin's flag on it, and a token each."""
    ids = make_article(app)
    tokens = {}
    for persona, role in (("member", Role.MEMBER), ("admin", Role.ADMIN)):
        user = make_user(persona, role)
        body = {"username": user.username, "password": user.password}
        tokens[persona] = app.test_client().post("/api/v1/tokens", json=body).json["token"]
    client = app.test_client()
    member, admin = ({"Authorization": f"Bearer {tokens[p]}"} for p in PERSONAS)
    block = ids["block1"]
    argument = client.post(f"/api/v1/blocks/{block}/arguments", json=ARGUMENT, headers=member).json["id"]
    flag = client.post(f"/api/v1/arguments/{argument}/flags", json={"reason": "spam"}, headers=admin).json["id"]
    with app.app_context():
        member_id = get_session().scalar(sa.select(Member.id).where(Member.name == "member"))
    real = {"article_id": ids["article"], "block_id": block, "argument_id": argument, "flag_id": flag,
            "member_id": member_id, "number": 2}
    return {"tokens": tokens, "real": real}


def empty(app) -> None:
    """Delete every row of the forum's tables, so that new rows are numbered from 1 again."""
    with app.app_context():
        session = get_session()
        if session.get_bind().dialect.name == "postgresql":
            tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
            session.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        else:  # SQLite numbers a table's rows from its largest id, none once it is empty
            for table in reversed(Base.metadata.sorted_tables):
                session.execute(table.delete())
        session.commit()


def label(operation) -> str:
    """"METHOD /path", as the document names the operation."""
    return f"{operation.method.upper()} {operation.path}"


def path_names(operation) -> list[str]:
    """The names of the operation's path parameters."""
    return [p.name for p in operation.path_parameters]


# The forum's own declarations, by the document's label of each operation.
DECLARED = {f"{op.method} {openapi_path(op.rule)[0]}": op for op in registry.operations}


def json_fields(operation) -> list[str]:
    """The top-level fields of the operation's JSON body."""
    body = DECLARED[label(operation)].body
    return sorted(body.model_fields) if body is not None else []


def mutations(operation):
    """One hostile value to put into a case: (where, name, value), or None to send it as schemathesis made it."""
    fields, queries, paths = json_fields(operation), [p.name for p in operation.query], path_names(operation)
    source = st.dictionaries(st.sampled_from(["url", "title", "quote", "citation"]), hostile_text, max_size=3)
    value = st.one_of(hostile_text, nested_values, st.lists(source, min_size=1, max_size=2))
    kinds = [st.none()]
    if fields:
        kinds += [
            st.tuples(st.just("body"), st.one_of(st.sampled_from(fields), hostile_text), value),
            st.tuples(st.just("raw"), st.none(), st.one_of(
                nested_json, st.sampled_from(fields).map(lambda name: f'{{"{name}": {DIGITS}}}'))),
        ]
    kinds.append(st.tuples(st.just("query"), st.one_of(st.sampled_from(queries or ["x"]), hostile_url_text),
                           hostile_url_text))
    if paths:
        kinds.append(st.tuples(st.just("path"), st.sampled_from(paths), long_digits))
    return st.one_of(kinds)


def mutate(case, mutation):
    """The case with the hostile value in."""
    if mutation is None:
        return case
    where, name, value = mutation
    if where == "body":
        case.body = sendable({**(case.body if isinstance(case.body, dict) else {}), name: value})
    elif where == "raw":
        case.body = value.encode()
    elif where == "query":
        case.query = {**(case.query or {}), name: value}
    else:
        case.path_parameters = {**case.path_parameters, name: value}
    return case


def sendable(body):
    """A body schemathesis can send: one holding a lone surrogate as JSON text (escaped as `\\ud800`), since
    its validator cannot read such a string."""
    if any(0xD800 <= ord(c) <= 0xDFFF for text in strings_in(body) for c in text):
        return json.dumps(body).encode()
    return body


def cases(operation, real: dict):
    """Schemathesis's cases of an operation, valid and not, on its own ids and on the article's, some made hostile."""
    on_real = {name: real[name] for name in path_names(operation)}
    made = st.one_of(
        operation.as_strategy(),
        operation.as_strategy(path_parameters=on_real),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE, path_parameters=on_real),
    )
    return st.tuples(made, mutations(operation)).map(lambda pair: mutate(*pair))


def pinned(operation, real: dict, given: dict):
    """An explicit case of `operation`."""
    values = dict(given)
    values["path_parameters"] = {**{n: real[n] for n in path_names(operation)}, **values.get("path_parameters", {})}
    if "body" in values:
        values["body"] = sendable(values["body"])
    return operation.Case(**values)

# Answers asked for uncompressed: the WSGI transport hands the checks the body as sent, and a kept answer goes out
# gzip-compressed to a client that takes it (tests/test_page_cache.py and tests/test_member_copies.py check that).
PLAIN = {"Accept-Encoding": "identity"}


def test_every_operation_answers_as_documented(api):
    checked = []
    for result in api.schema.get_all_operations():
        operation = result.ok()

        @RUNS
        @given(case=cases(operation, api.real), persona=st.sampled_from(PERSONAS))
        def answers_as_documented(case, persona):
            response = case.call(headers={"Authorization": f"Bearer {api.tokens[persona]}", **PLAIN})
            case.validate_response(response, checks=CHECKS)

        for values in PINNED.get(label(operation), []):
            answers_as_documented = example(case=pinned(operation, api.real, values), persona="admin")(
                answers_as_documented)
        if RUNS.derandomize:  # else every operation would draw the same choices, the test being the same
            answers_as_documented = seed(zlib.crc32(label(operation).encode()))(answers_as_documented)
        answers_as_documented()
        checked.append(label(operation))
    assert len(checked) == len(registry.operations) - 1  # every declared operation but the one skipped
    assert set(PINNED) <= set(checked), "a pinned case names an operation the document does not have"


def test_sequences_of_operations_answer_as_documented(api):
    real = api.real

    class Sequences(api.every.as_state_machine()):
        """Calls chained by the links schemathesis finds (an argument's id from the answer that made it...).
        Each sequence starts on a database built anew, since Hypothesis replays a sequence's choices and needs
        the same answers to them, and on the article's own ids, so that its first answer has ids to pass on.
        Revoking the token is in: what follows it in a sequence is refused (401), as the document says."""

        def setup(self):
            api.reset()

        def step(self, input):
            if input.transition is None:
                input.case.path_parameters = {**input.case.path_parameters,
                                              **{name: real[name] for name in path_names(input.case.operation)}}
            return super().step(input)

        def before_call(self, case):
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {api.tokens['admin']}", **PLAIN}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS)

    Sequences.run(settings=SEQUENCES)
