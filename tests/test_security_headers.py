"""Security headers: a strict policy on every forum page and API answer, and the host's own pages left alone."""

import re

import pytest
import sqlalchemy as sa

from forum.db import get_session
from forum.models import Article, Block, Member, Role
from forum.services import moderation
from forum.services.arguments import post_argument
from tests.articles import make_article
from tests.helpers import ForumClient


@pytest.mark.parametrize("path", ["/", "/login", "/no/such/page", "/forum-static/forum/forum.css"])
def test_pages_carry_a_strict_policy(client, path):
    response = client.get(path)
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in response.headers


def test_api_answers_load_nothing(client):
    for response in (client.get("/api/v1/articles"), client.get("/api/v1/articles/999")):
        assert response.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_hsts_over_https(client):
    response = client.get("/", base_url="https://forum.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_a_host_may_set_its_own_policy(app, client):
    app.config["FORUM_CONTENT_SECURITY_POLICY"] = "default-src 'self'; img-src *"
    assert client.get("/").headers["Content-Security-Policy"] == "default-src 'self'; img-src *"


def test_a_body_over_the_cap_is_refused_with_413(app, client):
    app.config["FORUM_MAX_CONTENT_LENGTH"] = 1_000
    response = client.post("/api/v1/tokens", json={"username": "x" * 2_000, "password": "y"})
    assert response.status_code == 413
    assert response.json["error"]["code"] == "request_entity_too_large"
    page = client.post("/login", data={"username": "x" * 2_000, "password": "y"})
    assert page.status_code == 413


def test_text_with_a_nul_character_is_refused(client, as_member):
    response = client.api("POST", "/api/v1/preview", {"body": "a\x00b"})
    assert response.status_code == 400 and "NUL" in response.json["error"]["message"]
    page = client.submit("/register", {"username": "x\x00y", "password": "p", "confirm": "p"})
    assert page.status_code == 400


def get_pages(app) -> list[str]:
    """Every GET page of the URL map, its ids filled in with a world's (an article, an argument, a flag)."""
    ids = make_article(app)
    with app.app_context():
        session = get_session()
        mia = session.scalar(sa.select(Member).where(Member.name == "mia"))
        rita = session.scalar(sa.select(Member).where(Member.name == "rita"))
        argument = post_argument(session, session.get(Block, ids["block1"]), mia, stance="counter", body="Twice.")
        session.flush()
        flag = moderation.flag(session, argument.id, rita, "spam")
        session.commit()
        slug = session.get(Article, ids["article"]).slug
    values = {"block_id": ids["block1"], "argument_id": argument.id, "article_id": ids["article"], "slug": slug,
              "flag_id": flag.id, "member_id": mia.id, "_rest": "no/such/path",
              "token": "not-a-token"}
    return sorted(
        re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), rule.rule)
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and not rule.endpoint.endswith("static")
    )


def test_no_page_of_one_person_may_be_kept_by_a_shared_cache_or_the_browser(app, make_user):
    """Every GET page, for each kind of reader: `private, no-store`, but for the anonymous page everyone shares."""
    people = {"member": make_user("mia"), "moderator": make_user("moe", Role.MODERATOR),
              "admin": make_user("ada", Role.ADMIN)}
    make_user("rita")
    pages = get_pages(app)
    problems, shared_pages = [], set()
    for persona in ("anonymous", *people):
        app.test_client_class = ForumClient
        client = app.test_client()
        if persona != "anonymous":
            user = people[persona]
            assert client.submit("/login", {"username": user.username, "password": user.password}).status_code == 302
        for path in pages:
            if persona == "anonymous":
                client = app.test_client()  # a new visitor each time, with no message pending from a redirect
            for attempt in ("first", "again"):  # the second may come from the page cache
                response = client.get(path)
                control = response.headers.get("Cache-Control")
                shared = control == "no-cache" and "ETag" in response.headers
                carries_token = "csrf" in response.get_data(as_text=True)
                if control == "private, no-store":
                    continue
                if shared and persona == "anonymous" and not carries_token:
                    shared_pages.add(path)
                    continue
                problems.append(f"{path} as {persona} ({attempt}, {response.status_code}): Cache-Control {control}")
    assert not problems, "\n".join(problems)
    assert {"/", "/api/v1/articles"} <= shared_pages  # the page cache's shared pages keep their own headers


def test_static_files_keep_their_own_cache_control(client):
    response = client.get("/forum-static/forum/forum.css")
    assert response.headers["Cache-Control"] != "private, no-store"
