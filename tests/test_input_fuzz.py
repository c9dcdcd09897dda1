"""Hostile input, generated: JSON nested past reason, lone surrogates, numbers of thousands of digits,
addresses no URL parser reads, NUL and zero-width characters, markup that costs more than its length, sent to
every API operation that takes a body, to every form of the pages (as a member, a moderator and an admin, with
a valid CSRF token, urlencoded and multipart) and to the query strings of pages and API alike. Whatever comes,
the answer is never a 5xx, and an API error is always the JSON error shape.

Each case a review or a random run found is pinned as an explicit example; under CI=true the conftest's
profile draws the same examples on every run, and bench/fuzz.py runs these tests long and random.
"""

from __future__ import annotations

import dataclasses
import json
import re
import zlib
from types import SimpleNamespace
from urllib.parse import quote, urlencode

import pytest
from hypothesis import example, given, seed
from hypothesis import strategies as st

from forum.api import registry
from forum.db import get_session
from forum.importing import ImportRefused
from forum.models import Block, Member, Role
from forum.services import moderation
from forum.services.arguments import post_argument
from forum.services.article_storage import import_article
from forum.services.members import ensure_member
from tests.articles import SAMPLE
from tests.hostile import (
    DIGITS,
    fuzz_settings,
    hostile_text,
    long_digits,
    make_site,
    nested_json,
    send,
)

RUNS = fuzz_settings(30)
RUNS_PER_FORM = fuzz_settings(12)


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
# A list numbered from a character that `str.isdigit()` takes for a digit and `int()` does not read.
OL_START = '<h1>T</h1><p>A claim.[1]</p><h2>References</h2><ol start="²"><li>A source</li></ol>'


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
@example(case=pinned("POST", ARGUMENTS, '{"stance": "counter", "body": "x", "sources": '
                                        '[{"url": "https://a.example/", "citation": ' + DIGITS + "}]}"))
@example(case=pinned("POST", "/articles", json.dumps({"format": "html", "text": OL_START})))
def test_no_api_body_fails_the_server(app, client, site, case):
    op, raw = case
    assert_api_answer(send(client, op.method, "/api/v1" + concrete(op.rule, site), raw, site.token))


# --- query strings -----------------------------------------------------------------------------------

# Every route that answers a GET, by endpoint, with the paths to ask it: built against the URL map by
# test_every_read_is_fuzzed, so that a new page or operation without a line here fails the suite.
READS = {
    "forum.index": ["/"],
    "forum.thread": ["/blocks/{block}"],
    "forum.api.thread_events": ["/api/v1/blocks/{block}/events"],
    "forum_health.healthz": ["/healthz"],
    "forum.article": ["/articles/{article}", "/articles/{article}/the-slug"],
    "forum.argument_versions": ["/arguments/{argument}/versions"],
    "forum.argument_page": ["/arguments/{argument}"],
    "forum.member_page": ["/members/{member}"],
    "forum.edit_argument": ["/arguments/{argument}/edit"],
    "forum.moderation_dashboard": ["/moderation"],
    "forum.audit_log": ["/moderation/audit"],
    "forum.member_list": ["/moderation/members"],
    "forum.import_article": ["/import"],
    "forum.unpublish_article": ["/articles/{article}/unpublish"],
    "forum_accounts.login": ["/login"],
    "forum_accounts.register": ["/register"],
    "forum_accounts.logout": ["/logout"],
    "forum_accounts.change_password": ["/account/password"],
    "forum_accounts.request_password_reset": ["/password/reset"],
    "forum_accounts.reset_password": ["/password/reset/not-a-token"],
    "forum_accounts.confirm_email": ["/account/email/confirm/not-a-token"],
    "forum_accounts.mail_settings": ["/account/mail"],
    "forum.unsubscribe": ["/mail/unsubscribe/not-a-token"],
    "forum.api.list_articles": ["/api/v1/articles"],
    "forum.api.get_article": ["/api/v1/articles/{article}"],
    "forum.api.export_article": ["/api/v1/articles/{article}/export"],
    "forum.api.export_schema": ["/api/v1/schemas/export.json"],
    "forum.report": ["/articles/{article}/report"],
    "forum.api.list_arguments": ["/api/v1/blocks/{block}/arguments"],
    "forum.api.consensus_history": ["/api/v1/blocks/{block}/consensus/history"],
    "forum.api.get_suggestion": ["/api/v1/blocks/{block}/suggestion"],
    "forum.api.argument_versions": ["/api/v1/arguments/{argument}/versions"],
    "forum.api.get_argument": ["/api/v1/arguments/{argument}"],
    "forum.api.get_member": ["/api/v1/members/{member}"],
    "forum.api.list_member_arguments": ["/api/v1/members/{member}/arguments"],
    "forum.api.block_revisions": ["/api/v1/blocks/{block}/revisions"],
    "forum.api.audit_log": ["/api/v1/audit"],
    "forum.api.list_flags": ["/api/v1/flags"],
    "forum.api.openapi_document": ["/api/v1/openapi.json"],
    "forum.search": ["/search"],
    "forum.api.search": ["/api/v1/search"],
    "forum.notifications": ["/notifications"],
    "forum.api.list_notifications": ["/api/v1/notifications"],
    "forum.api.no_such_route": ["/api/v1/no/such/thing", "/api/v1/blocks/I%0Aoh/consensus/history"],
}
READ_PATHS = sorted(path for paths in READS.values() for path in paths)
PARAMETERS = ["sort", "reply_to", "accept", "after", "before", "limit", "action", "actor", "actor_id", "target_type",
              "target_id", "next", "q", "kind", "article", "unread", "format"]


def query_string(pairs: list[tuple[str, str]]) -> str:
    """Pairs as a query string, lone surrogates sent as the bytes a careless client would send."""
    return urlencode(pairs, quote_via=quote, encoding="utf-8", errors="surrogatepass")


queries = st.lists(st.tuples(st.one_of(st.sampled_from(PARAMETERS), hostile_text), hostile_text), max_size=4)


def test_every_read_is_fuzzed(app):
    reads = {rule.endpoint for rule in app.url_map.iter_rules()
             if "GET" in rule.methods and rule.endpoint not in ("static", "forum.static")}
    assert sorted(reads) == sorted(READS), "every page and API read needs a line in READS"


@RUNS
@given(path=st.sampled_from(READ_PATHS), pairs=queries)
@example(path="/api/v1/audit", pairs=[("action", "\x00")])
@example(path="/moderation/audit", pairs=[("action", "\x00"), ("before", DIGITS)])
@example(path="/blocks/{block}", pairs=[("sort", "\x00"), ("reply_to", DIGITS)])
@example(path="/api/v1/blocks/{block}/arguments", pairs=[("after", DIGITS), ("limit", DIGITS)])
@example(path="/api/v1/audit", pairs=[("before", DIGITS), ("target_type", "x" * 5_000)])
@example(path="/login", pairs=[("next", "https://[oops/")])
@example(path="/members/{member}", pairs=[("after", DIGITS)])
@example(path="/api/v1/members/{member}/arguments", pairs=[("after", DIGITS), ("limit", DIGITS)])
@example(path="/api/v1/blocks/I%0Aoh/consensus/history", pairs=[])
def test_no_query_string_fails_the_server(client, site, path, pairs):
    url = path.format(block=site.block, article=site.ids["article"], argument=site.argument, member=site.mia)
    api = url.startswith("/api/")
    headers = {"Authorization": f"Bearer {site.token}"} if api else {}
    response = client.get(url, query_string=query_string(pairs), headers=headers)
    (assert_api_answer if api else assert_no_failure)(response)


# --- the pages' forms --------------------------------------------------------------------------------

# Every route of the pages that takes a POST, with the fields its form sends. Built against the URL map
# by test_every_form_route_is_fuzzed, so that a new form without a line here fails the suite.
FORM_FIELDS = {
    "forum.post_argument": ["stance", "body", "parent_id", "action", "sources-0-url", "sources-0-title",
                            "sources-0-quote", "sources-0-citation", "sources-1-url"],
    "forum.save_argument": ["body", "action", "sources-0-url", "sources-0-citation"],
    "forum.withdraw_argument": [],
    "forum.vote": ["value"],
    "forum.flag_argument": ["reason", "note"],
    "forum.hide_argument": ["reason"],
    "forum.restore_argument": ["reason"],
    "forum.set_consensus": ["status", "note", "version", "key_arguments"],
    "forum.lock_thread": ["locked", "reason"],
    "forum.resolve_flag": ["action", "reason"],
    "forum.change_role": ["role"],
    "forum.remove_member": ["reason"],
    "forum.accept_citation": ["source_id", "action", "block_id"],
    "forum.unpublish_article": ["reason"],
    "forum.import_article": ["text", "url", "format", "title", "action", "upload", "upload_name", "drop_upload",
                             "revises", "reviewed"],
    "forum.attach_thread": ["target", "reason"],
    "forum.mark_notifications_read": ["id", "all", "next", "unread"],
    "forum.watch_thread": ["level"],
    "forum.watch_article": ["level"],
    "forum_accounts.login": ["username", "password", "remember", "next"],
    "forum_accounts.register": ["username", "password", "confirm"],
    "forum_accounts.logout": [],
    "forum_accounts.change_password": ["current_password", "new_password", "confirm"],
    "forum_accounts.request_password_reset": ["name_or_email"],
    "forum_accounts.reset_password": ["new_password", "confirm"],
    "forum_accounts.mail_settings": ["email", "current_password", "digest"],
    "forum.unsubscribe": ["List-Unsubscribe"],
}
# Routes after which the client may be someone else, or no one: its persona signs in again.
SESSION_CHANGING = {"forum_accounts.login", "forum_accounts.register", "forum_accounts.logout",
                    "forum_accounts.change_password", "forum_accounts.reset_password"}
PERSONAS = {"member": Role.MEMBER, "moderator": Role.MODERATOR, "admin": Role.ADMIN}
# Values that take a form past its first checks, so that the hostile ones reach the services.
PLAUSIBLE = st.sampled_from(["counter", "preview", "post", "add_source", "other", "supported", "1", "0", "publish",
                             "review", "html", "https://a.example/", "Fine words.", "moderator", "hide", "dismiss",
                             "watching", "muted"])
form_fields = st.one_of(
    st.sampled_from(sorted({name for names in FORM_FIELDS.values() for name in names})),
    long_digits.map(lambda digits: f"sources-{digits}-url"),
    st.sampled_from(["file", "csrf_token", "sources-50-url", "sources--1-url", "sources-0-url\x00"]),
    hostile_text,
)


def raw_utf8(text: str) -> bytes:
    """`text` as UTF-8, lone surrogates included, as a careless client would write them."""
    return text.encode("utf-8", "surrogatepass")


uploads = st.one_of(
    st.none(),
    st.tuples(st.one_of(st.just("article.html"), hostile_text), st.one_of(st.binary(max_size=200),
                                                                          hostile_text.map(raw_utf8))),
)


def form_cases(endpoint: str):
    """A case for one form: who sends it, its fields (some of them hostile), how it is encoded, maybe a file."""
    return st.fixed_dictionaries({
        "endpoint": st.just(endpoint),
        "persona": st.sampled_from(sorted(PERSONAS)),
        "pairs": st.lists(st.tuples(st.one_of(st.sampled_from(FORM_FIELDS[endpoint] or ["x"]), form_fields),
                                    st.one_of(PLAUSIBLE, hostile_text)), max_size=6),
        "upload": uploads if endpoint == "forum.import_article" else st.none(),
        "multipart": st.booleans(),
    })


def form_routes(app) -> dict[str, str]:
    """Every route of the pages (outside the API) that takes a POST: endpoint -> rule."""
    return {
        rule.endpoint: rule.rule
        for rule in app.url_map.iter_rules()
        if "POST" in rule.methods and not rule.endpoint.startswith("forum.api.")
    }


def field_name(name: str) -> str:
    """A field name as a browser writes it into a multipart header."""
    return name.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def urlencoded(pairs: list[tuple[str, str]]) -> bytes:
    """A urlencoded form, lone surrogates sent as the bytes a careless client would send."""
    return query_string(pairs).encode("ascii")


def multipart(pairs: list[tuple[str, str]], upload: tuple[str, bytes] | None) -> tuple[bytes, str]:
    """A multipart form and its content type, lone surrogates sent as the bytes a careless client would send."""
    boundary = "hostile-form-boundary-2f9c0e"
    head = f"--{boundary}\r\nContent-Disposition: form-data; name="
    parts = [raw_utf8(f'{head}"{field_name(name)}"\r\n\r\n{value}\r\n') for name, value in pairs]
    if upload is not None:
        filename, data = upload
        file_head = f'{head}"file"; filename="{field_name(filename)}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        parts.append(raw_utf8(file_head) + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def reads_fields(case: dict) -> bool:
    """Whether the server can read the form's fields: a multipart header that is no UTF-8 (a lone surrogate in a
    field's name or the file's) makes Werkzeug read none, the CSRF token included, which is then missing (400)."""
    if not (case["multipart"] or case["upload"]):
        return True
    names = [name for name, _ in case["pairs"]] + ([case["upload"][0]] if case["upload"] else [])
    return not any(lone_surrogates_in(name) for name in names)


def lone_surrogates_in(text: str) -> bool:
    """Whether `text` holds half of a UTF-16 pair, which UTF-8 cannot encode."""
    return any(0xD800 <= ord(character) <= 0xDFFF for character in text)


@pytest.fixture
def forms(app, site, make_user):
    """Something for every form to act on, each destructive one on its own (so that a lock, a hide or a withdrawal
    by one case leaves the others something to reach), and a signed-in client per persona, made on demand."""
    users = {"member": site.users["mia"], "admin": site.users["ada"], "moderator": make_user("moe", Role.MODERATOR)}
    with app.app_context():
        session = get_session()
        author = session.get(Member, site.mia)
        block = session.get(Block, site.block)
        hideable = post_argument(session, block, author, stance="support", body="Hide me if you must.")
        withdrawable = post_argument(session, block, author, stance="question", body="Withdraw me.")
        flagger = ensure_member(session, "flagger", "flagger")
        flag = moderation.flag(session, site.argument, flagger, "spam")
        target = ensure_member(session, "target", "target")
        # An article of its own for the unpublishing form, which would close the others' threads.
        spare = import_article(session, dataclasses.replace(SAMPLE, title="A spare article", blocks=SAMPLE.blocks[1:2]))
        session.commit()
        ids = {"block_id": site.block, "argument_id": site.argument, "flag_id": flag.id, "member_id": target.id,
               "article_id": site.ids["article"], "number": 2, "token": "not-a-token"}
        own = {
            "forum.unpublish_article": {"article_id": spare.id},
            "forum.lock_thread": {"block_id": site.ids["block3"]},
            "forum.hide_argument": {"argument_id": hideable.id},
            "forum.restore_argument": {"argument_id": hideable.id},
            "forum.withdraw_argument": {"argument_id": withdrawable.id},
        }
    routes = form_routes(app)
    clients: dict[str, object] = {}

    def url(endpoint: str) -> str:
        values = {**ids, **own.get(endpoint, {})}
        return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m[1]]), routes[endpoint])

    def client_of(persona: str):
        """The persona's client, signed in (again, after a case that may have signed it out)."""
        if persona not in clients:
            client = app.test_client()
            user = users[persona]
            signed_in = client.submit("/login", {"username": user.username, "password": user.password})
            assert signed_in.status_code == 302, f"{persona} could not sign in"
            client.token = client.csrf_token()
            clients[persona] = client
        return clients[persona]

    def forget(persona: str) -> None:
        clients.pop(persona, None)

    return SimpleNamespace(url=url, client_of=client_of, forget=forget)


def form_case(endpoint: str, pairs: list[tuple[str, str]], persona: str = "admin", upload=None,
              multipart: bool = False) -> dict:
    """An explicit case for the forms property."""
    return {"endpoint": endpoint, "persona": persona, "pairs": pairs, "upload": upload, "multipart": multipart}


def pinned_forms(*cases: dict) -> dict[str, list[dict]]:
    """Explicit cases by endpoint."""
    by_endpoint: dict[str, list[dict]] = {}
    for case in cases:
        by_endpoint.setdefault(case["endpoint"], []).append(case)
    return by_endpoint


ARGUMENT_FORM = "forum.post_argument"
PINNED_FORMS = pinned_forms(
    form_case(ARGUMENT_FORM, [("stance", "counter"), ("body", "See."), ("sources-0-url", "https://[oops/")]),
    form_case(ARGUMENT_FORM, [("stance", "counter"), ("body", "See."), ("parent_id", DIGITS)], "member"),
    form_case(ARGUMENT_FORM, [("stance", "counter"), ("body", "See."), ("sources-0-url", "https://a.example/"),
                              ("sources-0-citation", DIGITS)], "moderator"),
    form_case(ARGUMENT_FORM, [("stance", "counter"), ("body", "See."), (f"sources-{DIGITS}-url", "https://a.example/")],
              multipart=True),
    form_case(ARGUMENT_FORM, [("action", "preview"), ("body", "[" * 100_000)]),
    form_case(ARGUMENT_FORM, [("stance", "counter"), ("body", "\u200b\ufeff")]),
    form_case(ARGUMENT_FORM, [("stance", "counter"), ("body", "\ud800")], "member"),
    form_case(ARGUMENT_FORM, [("stance", "counter"), ("body", "\ud800")], "member", multipart=True),
    form_case("forum.save_argument", [("action", "preview"), ("body", "[" * 100_000)]),
    form_case("forum.save_argument", [("body", "See."), ("sources-0-url", "https://[zz]/")], "member"),
    form_case("forum.flag_argument", [("reason", "other"), ("note", "\u200b")], "moderator"),
    form_case("forum.set_consensus", [("status", "supported"), ("version", DIGITS), ("note", "\x00")]),
    form_case("forum.set_consensus", [("status", "open"), ("version", "2147483647"), ("note", "")], "moderator"),
    form_case("forum.import_article", [("url", "https://[oops/"), ("action", "review")]),
    form_case("forum.import_article", [("text", OL_START), ("format", "html"), ("action", "review")]),
    form_case("forum.import_article", [("upload", "\ud800"), ("upload_name", "\ud800"), ("action", "review")],
              upload=("\ud800.html", OL_START.encode()), multipart=True),
    form_case("forum.vote", [("value", DIGITS)], "moderator"),
    form_case("forum_accounts.login", [("username", "\ud800"), ("password", "x"), ("next", "https://[oops/")],
              "member"),
    form_case("forum_accounts.register", [("username", "\ud800" * 3), ("password", "[" * 100_000),
                                          ("confirm", "[" * 100_000)], "member"),
)


def test_every_form_route_is_fuzzed(app):
    assert sorted(form_routes(app)) == sorted(FORM_FIELDS), "every form of the pages needs a line in FORM_FIELDS"


def test_no_form_fails_the_server(forms):
    """Each form in turn gets its own run of cases (so that none is left out), its pinned ones first."""
    for endpoint in sorted(FORM_FIELDS):

        @RUNS_PER_FORM
        @given(case=form_cases(endpoint))
        def attack(case):
            send_form(forms, case)

        for case in PINNED_FORMS.get(endpoint, []):
            attack = example(case=case)(attack)
        if RUNS_PER_FORM.derandomize:  # else every form would draw the same choices, the test being the same
            attack = seed(zlib.crc32(endpoint.encode()))(attack)
        attack()


def send_form(forms, case: dict) -> None:
    """Post a form case as its persona, with the session's CSRF token; no 5xx, and the view read it."""
    endpoint, persona = case["endpoint"], case["persona"]
    client = forms.client_of(persona)
    pairs = [("csrf_token", client.token), *case["pairs"]]
    if case["multipart"] or case["upload"] is not None:
        body, content_type = multipart(pairs, case["upload"])
    else:
        body, content_type = urlencoded(pairs), "application/x-www-form-urlencoded"
    response = client.post(forms.url(endpoint), data=body, content_type=content_type)
    if endpoint in SESSION_CHANGING:
        forms.forget(persona)
    assert_no_failure(response)
    if reads_fields(case):
        page = response.get_data(as_text=True)
        assert "CSRF token" not in page, f"the form was refused before its view read it: {case!r:.300}"
    assert "/login" not in response.headers.get("Location", ""), f"{persona} was not signed in"
