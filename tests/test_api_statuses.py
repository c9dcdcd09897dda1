"""Every status the API answers is in its document, and every answer under /api/v1 is JSON.

Which operations are rate limited and which read a bearer token is learnt from the app itself: each operation
of the URL map is called, valid enough to get past its checks, while the rate limiter's counters are watched,
and again with a revoked token. No list kept by hand can drift from the code.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request

import pytest
import sqlalchemy as sa
from flask import has_request_context, request
from host_app.host import HOST_NOT_FOUND
from host_app.host import create_app as create_host
from limits.strategies import MovingWindowRateLimiter

from forum.db import get_session
from forum.models import Member
from forum.services import tokens
from tests.servers import gunicorn
from tests.test_authorization import BODIES, POLICY, make_world, people, send, url_for_rule

__all__ = ["people"]  # the fixture, shared with the permission matrix

CATCH_ALL = "forum.api.no_such_route"
# Ids as Werkzeug's converters refuse them: a line break, a carriage return, NEL and the line separator.
CONTROL_IDS = ["a%0Ab%0Dc", "1%0A", "%0D", "1%C2%85", "1%E2%80%A8"]


def operations(app) -> list[tuple[str, str, str]]:
    """Every (endpoint, method, rule) of the API in the URL map, but its catch-all of unknown paths and the
    document itself."""
    return sorted(
        (rule.endpoint, method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("forum.api.") and rule.endpoint not in (CATCH_ALL, "forum.api.openapi_document")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    )


def documented(document: dict, method: str, rule: str) -> dict:
    """The document's operation of `method` on `rule`."""
    path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.removeprefix("/api/v1"))
    return document["paths"][path][method.lower()]


def allowed_persona(endpoint: str) -> str:
    """Someone the permission policy lets call the endpoint (reads: anyone, here an admin)."""
    allowed = POLICY.get(endpoint, {"admin"})
    return "admin" if "admin" in allowed else sorted(allowed)[0]


@pytest.fixture
def document(client):
    return client.get("/api/v1/openapi.json").json


def test_every_rate_limited_operation_documents_429(app, people, document, monkeypatch):
    """An operation is limited when a call of it reaches the limiter's counters, whichever way it does."""
    reached: set[str] = set()
    for name in ("hit", "test", "get_window_stats"):
        original = getattr(MovingWindowRateLimiter, name)

        def watched(self, *args, _original=original, **kwargs):
            if has_request_context() and request.endpoint:
                reached.add(request.endpoint)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(MovingWindowRateLimiter, name, watched)
    calls = operations(app)
    for endpoint, method, rule in calls:
        response = send(app, people, allowed_persona(endpoint), endpoint, method, rule)
        # Past routing and permissions (a limit is tested before the write runs, and counted after it).
        assert response.status_code not in (401, 403, 404, 405), (method, rule, response.get_data(as_text=True))
    limited = {(method, rule) for endpoint, method, rule in calls if endpoint in reached}
    # The limits the forum has: sign-ins, and posting, editing, voting and flagging.
    assert {"forum.api.create_token", "forum.api.post_argument", "forum.api.edit_argument", "forum.api.vote",
            "forum.api.flag_argument"} <= reached
    for method, rule in sorted(limited):
        assert "429" in documented(document, method, rule)["responses"], f"{method} {rule} is limited"
    for _endpoint, method, rule in calls:  # and no operation promises a limit it does not have
        if "429" in documented(document, method, rule)["responses"]:
            assert (method, rule) in limited, f"{method} {rule} documents 429 but is never limited"


def revoked_token(app) -> str:
    """A token of the admin's, revoked."""
    with app.app_context():
        session = get_session()
        admin = session.scalar(sa.select(Member).where(Member.name == "admin"))
        _, secret = tokens.issue_token(session, admin)
        tokens.revoke(session, secret)
        session.commit()
    return secret


def test_every_operation_that_reads_a_token_documents_401(app, people, document):
    """A revoked token is refused (401) by every operation that reads tokens, public reads included, and each
    of them says so; only signing in ignores the header (and the document itself, which is no operation)."""
    secret = revoked_token(app)
    client = app.test_client()
    ignoring = set()
    for endpoint, method, rule in operations(app):
        world = make_world(app, hidden=endpoint.endswith("restore_argument"))
        body = BODIES.get(endpoint, lambda w: None)(world)
        response = client.open(url_for_rule(rule, world), method=method, json=body,
                               headers={"Authorization": f"Bearer {secret}"})
        if response.status_code != 401:
            ignoring.add(endpoint)
            continue
        assert response.json["error"]["code"] == "not_authenticated"
        operation = documented(document, method, rule)
        assert "401" in operation["responses"], f"{method} {rule} reads tokens"
        assert {"bearer": []} in operation["security"], f"{method} {rule} reads tokens"
    assert ignoring == {"forum.api.create_token"}


def test_a_public_read_with_a_revoked_token_is_refused_though_its_page_is_kept(app, client, document):
    """The anonymous copy of a thread's arguments, kept by the page cache, is no answer to a revoked token."""
    path = "/api/v1/articles"
    assert client.get(path).status_code == 200
    assert client.get(path).status_code == 200  # kept now
    refused = client.get(path, headers={"Authorization": "Bearer not-a-token"})
    assert refused.status_code == 401 and refused.mimetype == "application/json"
    assert documented(document, "GET", "/articles")["security"] == [{}, {"bearer": []}, {"session": []}]


def test_bodies_and_addresses_too_large_are_documented(app, document):
    for _endpoint, method, rule in operations(app):
        statuses = documented(document, method, rule)["responses"]
        assert "414" in statuses, (method, rule)
        if method in ("POST", "PUT", "PATCH", "DELETE"):
            assert "413" in statuses, (method, rule)


def assert_json_error(response, status: int) -> None:
    """The API's error: JSON, the status, the error shape."""
    assert response.status_code == status, response.get_data(as_text=True)[:200]
    assert response.mimetype == "application/json"
    assert set(response.json["error"]) >= {"code", "message"}


@pytest.mark.parametrize("prefix", ["", "/community"], ids=["standalone", "mounted"])
def test_whatever_the_router_refuses_under_the_api_is_json(app, database_url, prefix):
    """Ids the converters refuse, unknown paths and methods, the bare prefix: JSON, on the standalone site and
    in a host app, whose own error pages stay its own outside the API."""
    site = app if not prefix else create_host({"TESTING": True, "FORUM_DATABASE_URL": database_url})
    client = site.test_client()
    api = f"{prefix}/api/v1"
    for bad in CONTROL_IDS:
        for method, path in [("GET", f"/arguments/{bad}/versions"), ("GET", f"/blocks/{bad}/consensus/history"),
                             ("POST", f"/arguments/{bad}/hide"), ("PUT", f"/blocks/{bad}/lock"),
                             ("DELETE", f"/arguments/{bad}")]:
            assert_json_error(client.open(api + path, method=method), 404)
    for path in ["", "/", "/no/such/thing", "/articles/1/nothing"]:
        assert_json_error(client.get(api + path), 404)
    for method in ("PATCH", "PROPFIND", "TRACE"):
        refused = client.open(f"{api}/articles", method=method)
        assert_json_error(refused, 405)
        assert set(refused.headers["Allow"].split(", ")) == {"GET", "POST"}
        assert refused.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    if prefix:
        assert client.get("/no/such/page").get_data(as_text=True) == HOST_NOT_FOUND
        assert client.open("/", method="PROPFIND").status_code == 405
        assert client.open("/", method="PROPFIND").mimetype == "text/html"
        site.extensions["forum"].dispose()


@pytest.mark.parametrize("prefix", ["", "/community"], ids=["standalone", "mounted"])
def test_an_address_too_long_is_414_in_json_on_the_api_and_a_page_elsewhere(app, database_url, prefix):
    site = app if not prefix else create_host({"TESTING": True, "FORUM_DATABASE_URL": database_url})
    client = site.test_client()
    long = "x" * 4_000
    assert_json_error(client.get(f"{prefix}/api/v1/articles?after={long}"), 414)
    assert_json_error(client.get(f"{prefix}/api/v1/no/such/{long}"), 414)
    assert_json_error(client.delete(f"{prefix}/api/v1/tokens/current?{long}"), 414)
    page = client.get(f"{prefix}/?after={long}")
    assert page.status_code == 414 and page.mimetype == "text/html"
    assert "longer than the 4,000 characters" in page.get_data(as_text=True)
    assert_json_error(client.get(f"{prefix}/api/v1/no/such/{'y' * 3_900}"), 404)  # just within the limit
    assert client.get(f"{prefix}/?after={'9' * 3_900}").status_code == 200
    if prefix:
        site.extensions["forum"].dispose()


def test_a_body_too_large_is_413_in_json_on_every_write(app, client):
    app.config["FORUM_MAX_CONTENT_LENGTH"] = 1_000
    big = {"body": "x" * 2_000}
    for method, path in [("DELETE", "/api/v1/tokens/current"), ("POST", "/api/v1/preview"),
                         ("PUT", "/api/v1/arguments/1/vote"), ("PATCH", "/api/v1/arguments/1")]:
        assert_json_error(client.open(path, method=method, json=big), 413)


def test_gunicorn_leaves_an_address_too_long_to_the_forum(database_url, tmp_path):
    """Served as gunicorn.conf.py says, an address past the forum's limit but past gunicorn's default one too
    (4094 bytes) meets the forum's JSON 414, not gunicorn's own page; only lines past 8190 bytes are its."""
    with gunicorn(database_url, tmp_path / "instance", workers=1) as base:
        for length, status, mimetype in [(6_000, 414, "application/json"), (9_000, 414, "text/html")]:
            url = f"{base}/api/v1/articles?after={'9' * length}"
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(url, timeout=10)
            assert refused.value.code == status
            assert refused.value.headers.get_content_type() == mimetype
