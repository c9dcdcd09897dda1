"""Security headers: a strict policy on every forum page and API answer, and the host's own pages left alone."""

import pytest


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
