"""Static files linked by their content's hash: kept for a year when asked for by it, never when by another."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask, url_for
from host_app.host import create_app as create_host

import forum
from forum.models import Base
from forum.static_versions import IMMUTABLE, version_static_urls
from wsgi import create_app

FORUM_STATIC = Path(forum.__file__).parent / "static" / "forum"
SITE_STATIC = Path(__file__).resolve().parent.parent / "static"


def digest(path: Path) -> str:
    """The version a file's URL carries."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


@pytest.fixture
def site(tmp_path) -> Flask:
    """The standalone site on a SQLite file (static files do not depend on the database)."""
    url = f"sqlite:///{tmp_path / 'f.db'}"
    engine = sa.create_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    app = create_app({"TESTING": True, "SECRET_KEY": "static", "FORUM_DATABASE_URL": url})
    yield app
    app.extensions["forum"].dispose()


@pytest.fixture
def host(tmp_path, monkeypatch) -> Flask:
    """A host app with the forum mounted at /community."""
    monkeypatch.delenv("HOST_FORUM_DATABASE_URL", raising=False)
    url = f"sqlite:///{tmp_path / 'h.db'}"
    engine = sa.create_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    app = create_host({"TESTING": True, "FORUM_DATABASE_URL": url})
    yield app
    app.extensions["forum"].dispose()


def linked(page: str, path: str) -> str:
    """The URL (with its query) the page links for the static file at `path`."""
    found = re.search(rf'(?:href|src)="({re.escape(path)}\?v=[0-9a-f]+)"', page)
    assert found, f"{path} is not linked with a version"
    return found.group(1)


def test_the_standalone_site_links_every_static_file_by_its_hash(site):
    client = site.test_client()
    page = client.get("/login").get_data(as_text=True)
    for name in ("forum.css", "forum.js", "htmx.min.js", "favicon.svg"):
        url = linked(page, f"/forum-static/forum/{name}")
        assert url.endswith(f"?v={digest(FORUM_STATIC / name)}")
        served = client.get(url)
        assert served.status_code == 200
        assert served.data == (FORUM_STATIC / name).read_bytes()
        assert served.headers["Cache-Control"] == IMMUTABLE
    site_css = linked(page, "/static/site.css")
    assert site_css.endswith(f"?v={digest(SITE_STATIC / 'site.css')}")
    assert client.get(site_css).headers["Cache-Control"] == IMMUTABLE
    assert "X-Content-Type-Options" in client.get(site_css).headers


def test_a_stale_hash_still_gets_the_file_but_nothing_keeps_it(site):
    client = site.test_client()
    for url in ("/forum-static/forum/forum.css?v=0123456789abcdef", "/static/site.css?v=old"):
        served = client.get(url)
        assert served.status_code == 200
        assert served.headers["Cache-Control"] == "no-cache"
        assert "Expires" not in served.headers
    unversioned = client.get("/forum-static/forum/forum.css")
    assert unversioned.status_code == 200
    assert "immutable" not in unversioned.headers["Cache-Control"]
    assert client.get("/forum-static/forum/nothing.js?v=0123456789abcdef").status_code == 404


def test_a_conditional_request_by_the_hash_stays_immutable(site):
    client = site.test_client()
    url = f"/forum-static/forum/forum.js?v={digest(FORUM_STATIC / 'forum.js')}"
    etag = client.get(url).headers["ETag"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.headers["Cache-Control"] == IMMUTABLE


def test_a_mounted_forum_links_its_files_by_hash_under_its_prefix(host):
    client = host.test_client()
    page = client.get("/community/").get_data(as_text=True)
    url = linked(page, "/community/forum-static/forum/forum.css")
    assert url.endswith(f"?v={digest(FORUM_STATIC / 'forum.css')}")
    served = client.get(url)
    assert served.status_code == 200
    assert served.headers["Cache-Control"] == IMMUTABLE
    assert client.get("/community/forum-static/forum/forum.css?v=stale").headers["Cache-Control"] == "no-cache"


def test_the_host_s_own_static_urls_are_left_alone(host):
    with host.test_request_context("/"):
        assert "?v=" not in url_for("static", filename="anything.css")


def test_the_hash_follows_the_content(tmp_path):
    folder = tmp_path / "static"
    folder.mkdir()
    (folder / "app.js").write_text("console.log(1);\n")

    def started() -> Flask:
        """A process of this release: the hashes are read when first asked for."""
        app = Flask(__name__, static_folder=str(folder))
        version_static_urls(app, "static", str(folder))
        return app

    before = started()
    with before.test_request_context("/"):
        first = url_for("static", filename="app.js")
    (folder / "app.js").write_text("console.log(2);\n")
    after = started()
    with after.test_request_context("/"):
        second = url_for("static", filename="app.js")
    assert first != second
    assert second.endswith(f"?v={digest(folder / 'app.js')}")
    client = after.test_client()
    assert client.get(second).headers["Cache-Control"] == IMMUTABLE
    stale = client.get(first)  # a page of the release before, served by a host of this one
    assert stale.status_code == 200 and stale.data == b"console.log(2);\n"
    assert stale.headers["Cache-Control"] == "no-cache"


def test_in_debug_mode_an_edited_file_gets_a_new_hash_at_once(tmp_path):
    folder = tmp_path / "static"
    folder.mkdir()
    (folder / "app.css").write_text("a {}\n")
    app = Flask(__name__, static_folder=str(folder))
    app.debug = True
    version_static_urls(app, "static", str(folder))
    with app.test_request_context("/"):
        first = url_for("static", filename="app.css")
        (folder / "app.css").write_text("b {}\n")
        assert url_for("static", filename="app.css") != first
