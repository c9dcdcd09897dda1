"""An unexpected failure: logged with a request id, answered without a stack trace."""

import logging

import pytest

from forum.services import article_list


@pytest.fixture
def broken(app, monkeypatch):
    """The article list fails inside, as a bug would make it."""
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def fail(*args, **kwargs):
        raise RuntimeError("secret internals at /srv/forum")

    monkeypatch.setattr(article_list, "list_articles", fail)
    return app


def test_the_api_answers_500_with_a_reference_only(broken, client, caplog):
    with caplog.at_level(logging.ERROR):
        response = client.get("/api/v1/articles", headers={"X-Request-ID": "proxy-id-1234"})
    assert response.status_code == 500
    error = response.json["error"]
    assert error["code"] == "internal_error" and "proxy-id-1234" in error["message"]
    assert "secret internals" not in response.get_data(as_text=True)
    assert response.headers["X-Request-ID"] == "proxy-id-1234"
    assert any("proxy-id-1234" in r.getMessage() and r.exc_info for r in caplog.records)


def test_a_page_answers_500_with_a_reference_only(broken, client, caplog):
    with caplog.at_level(logging.ERROR):
        response = client.get("/", headers={"X-Request-ID": "bad id; forged=log line"})
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in page and "secret internals" not in page and "Traceback" not in page
    reference = response.headers["X-Request-ID"]
    assert "forged" not in reference and reference in page
    assert any(reference in r.getMessage() for r in caplog.records)


def test_every_answer_carries_a_request_id(client):
    first, second = client.get("/"), client.get("/api/v1/articles")
    assert len(first.headers["X-Request-ID"]) == 32
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]
