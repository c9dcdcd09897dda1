"""Hostile input, generated: JSON nested past reason, lone surrogates, numbers of thousands of digits,
addresses no URL parser reads, NUL and zero-width characters, sent to every API operation that takes a
body, to the pages' forms and to the query strings of pages and API alike. Whatever comes, the answer is
never a 5xx, and an API error is always the JSON error shape.

Each case the security review found is pinned as an explicit example; under CI=true the conftest's profile
draws the same examples on every run.
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from forum.api import registry
from forum.importing import ImportRefused
from tests.hostile import DIGITS, make_site, send

RUNS = settings(
    max_examples=30, deadline=None, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --- what an attacker types ------------------------------------------------------------------------

lone_surrogates = st.integers(0xD800, 0xDFFF).map(chr)
long_digits = st.integers(4_301, 6_000).map(lambda n: "7" * n)
bracketed_hosts = st.builds(
    lambda scheme, inside, close, rest: f"{scheme}://[{inside}{close}{rest}",
    st.sampled_from(["http", "https"]),
    st.text(alphabet="0123456789abcdefz:.%v", max_size=8),
    st.sampled_from(["", "]"]),
    st.sampled_from(["", "/", ":99/x", "]/", ":port/"]),
)
invisible = st.text(alphabet="\u200b\u200c\u200d\u2060\ufeff\u00ad\u3164 \t\n", min_size=1, max_size=6)
hostile_text = st.one_of(
    st.builds(lambda a, s, b: a + s + b, st.text(max_size=4), lone_surrogates, st.text(max_size=4)),
    long_digits,
    bracketed_hosts,
    st.text(max_size=6).map(lambda t: t + "\x00"),
    invisible,
    st.text(max_size=30),
)
nested_json = st.builds(
    lambda opener, n: opener * n, st.sampled_from(["[", '{"a":', '[{"a":']), st.integers(33, 100_000)
)


# --- the API -----------------------------------------------------------------------------------------

TAKING_BODIES = [op for op in registry.operations if op.body is not None]
OPERATION = {(op.method, op.rule): op for op in TAKING_BODIES}


def api_bodies(op):
    """Raw bodies for an operation: nested past the limit, its own fields with hostile values, or a huge number."""
    fields = sorted(op.body.model_fields)
    source = st.dictionaries(st.sampled_from(["url", "title", "quote", "citation"]), hostile_text)
    value = st.one_of(
        hostile_text, st.booleans(), st.floats(allow_nan=False), st.integers(),
        st.lists(hostile_text, max_size=3), st.lists(source, max_size=2),
    )
    return st.one_of(
        nested_json,
        st.fixed_dictionaries({}, optional=dict.fromkeys(fields, value)).map(json.dumps),  # surrogates as \udXXX
        st.sampled_from(fields).map(lambda name: f'{{"{name}": {DIGITS}}}'),
    )


api_cases = st.sampled_from(TAKING_BODIES).flatmap(lambda op: st.tuples(st.just(op), api_bodies(op)))


def pinned(method: str, rule: str, raw: str) -> tuple:
    """An explicit case for the API property."""
    return (OPERATION[(method, rule)], raw)


ARGUMENTS = "/blocks/<id:block_id>/arguments"


@pytest.fixture
def site(app, client, make_user, login, monkeypatch):
    """The site to attack; fetching an article from the web is refused, so that no case goes out to it."""

    def offline(url, **_options):
        raise ImportRefused("No fetching in these tests.")

    monkeypatch.setattr("forum.services.imports.fetch_url", offline)
    site = make_site(app, client, make_user, login)
    site.csrf = client.csrf_token()
    return site


def concrete(rule: str, site) -> str:
    """A rule's path with real ids in it."""
    ids = {"block_id": site.block, "argument_id": site.argument, "member_id": site.mia, "flag_id": 1,
           "article_id": site.ids["article"], "number": 2}
    return re.sub(r"<id:(\w+)>", lambda m: str(ids[m[1]]), rule)


def assert_no_failure(response) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)[:300]


def assert_api_answer(response) -> None:
    assert_no_failure(response)
    if response.status_code >= 400:
        error = response.json["error"]
        assert isinstance(error["code"], str) and isinstance(error["message"], str)


@RUNS
@given(case=api_cases)
@example(case=pinned("POST", "/preview", '{"body": "\\ud800"}'))
@example(case=pinned("POST", ARGUMENTS, "[" * 100_000))
@example(case=pinned("POST", "/tokens", "[" * 100_000))
@example(case=pinned("POST", ARGUMENTS, '{"stance": "counter", "body": "x", "sources": [{"url": "https://[oops/"}]}'))
@example(case=pinned("PATCH", "/arguments/<id:argument_id>", '{"sources": [{"url": "https://[zz]/"}]}'))
@example(case=pinned("POST", ARGUMENTS, '{"stance": "counter", "body": "x", "parent_id": ' + DIGITS + "}"))
@example(case=pinned("POST", ARGUMENTS, '{"stance": "counter", "body": "\\u200b\\u200c\\u200d\\u2060\\ufeff"}'))
@example(case=pinned("POST", "/preview", '{"body": "' + "[" * 100_000 + '"}'))
@example(case=pinned("PUT", "/arguments/<id:argument_id>/vote", '{"value": true}'))
@example(case=pinned("PUT", "/arguments/<id:argument_id>/vote", '{"value": 1.0}'))
@example(case=pinned("POST", "/preview", '{"body": "x", "bogus": 1}'))
@example(case=pinned("POST", "/articles", '{"url": "https://[oops/"}'))
def test_no_api_body_fails_the_server(app, client, site, case):
    op, raw = case
    assert_api_answer(send(client, op.method, "/api/v1" + concrete(op.rule, site), raw, site.token))


# --- query strings -----------------------------------------------------------------------------------

READS = [
    "/", "/blocks/{block}", "/articles/{article}", "/arguments/{argument}/versions", "/arguments/{argument}/edit",
    "/moderation", "/moderation/audit", "/moderation/members", "/import", "/login",
    "/api/v1/articles", "/api/v1/blocks/{block}/arguments", "/api/v1/audit", "/api/v1/articles/{article}",
]
PARAMETERS = ["sort", "reply_to", "after", "before", "limit", "action", "actor", "actor_id", "target_type", "next"]


def query_string(pairs: list[tuple[str, str]]) -> str:
    """Pairs as a query string, lone surrogates sent as the bytes a careless client would send."""
    return urlencode(pairs, quote_via=quote, encoding="utf-8", errors="surrogatepass")


queries = st.lists(st.tuples(st.one_of(st.sampled_from(PARAMETERS), hostile_text), hostile_text), max_size=4)


@RUNS
@given(path=st.sampled_from(READS), pairs=queries)
@example(path="/api/v1/audit", pairs=[("action", "\x00")])
@example(path="/moderation/audit", pairs=[("action", "\x00"), ("before", DIGITS)])
@example(path="/blocks/{block}", pairs=[("sort", "\x00"), ("reply_to", DIGITS)])
@example(path="/api/v1/blocks/{block}/arguments", pairs=[("after", DIGITS), ("limit", DIGITS)])
@example(path="/api/v1/audit", pairs=[("before", DIGITS), ("target_type", "x" * 5_000)])
@example(path="/login", pairs=[("next", "https://[oops/")])
def test_no_query_string_fails_the_server(client, site, path, pairs):
    url = path.format(block=site.block, article=site.ids["article"], argument=site.argument)
    api = url.startswith("/api/")
    headers = {"Authorization": f"Bearer {site.token}"} if api else {}
    response = client.get(url, query_string=query_string(pairs), headers=headers)
    (assert_api_answer if api else assert_no_failure)(response)


# --- the pages' forms --------------------------------------------------------------------------------

FORMS = {
    "/blocks/{block}/arguments": ["stance", "body", "parent_id", "action", "sources-0-url", "sources-0-title",
                                  "sources-0-quote", "sources-0-citation", "sources-1-url"],
    "/arguments/{argument}/edit": ["body", "action", "sources-0-url", "sources-0-citation"],
    "/arguments/{argument}/flag": ["reason", "note"],
    "/blocks/{block}/consensus": ["status", "note", "version", "key_arguments"],
    "/import": ["text", "url", "format", "title", "action"],
    "/arguments/{argument}/vote": ["value"],
    "/arguments/{argument}/hide": ["reason"],
    "/blocks/{block}/lock": ["locked", "reason"],
    "/flags/1/resolve": ["action", "reason"],
    "/members/{mia}/role": ["role"],
}
# Values that take a form past its first checks, so that the hostile ones reach the services.
PLAUSIBLE = st.sampled_from(["counter", "preview", "post", "add_source", "other", "supported", "1", "0", "publish",
                             "https://a.example/", "Fine words.", "moderator", "hide"])
form_fields = st.one_of(
    st.sampled_from(sorted({name for names in FORMS.values() for name in names})),
    long_digits.map(lambda digits: f"sources-{digits}-url"),
    hostile_text,
)
form_cases = st.sampled_from(sorted(FORMS)).flatmap(
    lambda path: st.tuples(
        st.just(path),
        st.lists(st.tuples(st.one_of(st.sampled_from(FORMS[path]), form_fields), st.one_of(PLAUSIBLE, hostile_text)),
                 max_size=6),
    )
)


def form_body(pairs: list[tuple[str, str]], csrf: str) -> bytes:
    """A urlencoded form, lone surrogates sent as the bytes a careless client would send."""
    return query_string([("csrf_token", csrf), *pairs]).encode("ascii")


ARGUMENT_FORM = "/blocks/{block}/arguments"


@RUNS
@given(case=form_cases)
@example(case=(ARGUMENT_FORM, [("stance", "counter"), ("body", "See."), ("sources-0-url", "https://[oops/")]))
@example(case=(ARGUMENT_FORM, [("stance", "counter"), ("body", "See."), ("parent_id", DIGITS)]))
@example(case=(ARGUMENT_FORM, [("stance", "counter"), ("body", "See."), ("sources-0-url", "https://a.example/"),
                               ("sources-0-citation", DIGITS)]))
@example(case=(ARGUMENT_FORM, [("stance", "counter"), ("body", "See."),
                               (f"sources-{DIGITS}-url", "https://a.example/")]))
@example(case=(ARGUMENT_FORM, [("action", "preview"), ("body", "[" * 100_000)]))
@example(case=(ARGUMENT_FORM, [("stance", "counter"), ("body", "\u200b\ufeff")]))
@example(case=("/arguments/{argument}/edit", [("action", "preview"), ("body", "[" * 100_000)]))
@example(case=("/arguments/{argument}/edit", [("body", "See."), ("sources-0-url", "https://[zz]/")]))
@example(case=("/arguments/{argument}/flag", [("reason", "other"), ("note", "\u200b")]))
@example(case=("/blocks/{block}/consensus", [("status", "supported"), ("version", DIGITS), ("note", "\x00")]))
@example(case=("/import", [("url", "https://[oops/"), ("action", "review")]))
@example(case=("/arguments/{argument}/vote", [("value", DIGITS)]))
def test_no_form_fails_the_server(client, site, case):
    path, pairs = case
    url = path.format(block=site.block, argument=site.argument, mia=site.mia)
    response = client.post(url, data=form_body(pairs, site.csrf), content_type="application/x-www-form-urlencoded")
    assert_no_failure(response)
