"""The wheel carries all the forum needs, and a host app runs on it where the checkout is absent."""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
HOST_APP = Path(__file__).resolve().parent / "host_app"

CARRIED = [
    "forum/__init__.py",
    "forum/templates/forum/base.html",
    "forum/static/forum/forum.css",
    "forum/migrations/env.py",
    "forum/migrations/script.py.mako",
    "forum/migrations/versions/0001_*.py",
    "forum/data/common-passwords.txt.gz",
]


def run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    """Run a command; on failure, show what it said."""
    result = subprocess.run(args, capture_output=True, text=True, timeout=300, **kwargs)
    assert result.returncode == 0, f"{args}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The forum's wheel, built from this checkout as pip builds it."""
    out = tmp_path_factory.mktemp("wheelhouse")
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(REPO)])
    [built] = out.glob("*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory) -> Path:
    """A folder holding only the installed wheel."""
    target = tmp_path_factory.mktemp("site-packages")
    pip_install = [sys.executable, "-m", "pip", "install", "--no-deps", "-q"]
    run([*pip_install, "--target", str(target), str(wheel)])
    return target


def test_the_wheel_carries_templates_static_files_migrations_and_data(wheel):
    names = zipfile.ZipFile(wheel).namelist()

    for pattern in CARRIED:
        assert fnmatch.filter(names, pattern), f"{pattern} is missing from {wheel.name}"
    # The plugin only: not the standalone site, the tests or the checkout's clutter.
    assert not [name for name in names if name.startswith(("tests/", "templates/", "static/"))]
    assert "wsgi.py" not in names
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]


@pytest.fixture
def host_dir(tmp_path) -> Path:
    """A folder with the host app and its templates, and nothing of the checkout."""
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(HOST_APP / "host.py", site / "host.py")
    shutil.copytree(HOST_APP / "templates", site / "templates")
    return site


def host_env(installed: Path, database: Path) -> dict[str, str]:
    """The environment of the host's processes: the installed wheel and the venv's packages only."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("FLASK_", "PYTHON"))
    }
    env.update(
        PYTHONPATH=str(installed),
        PYTHONDONTWRITEBYTECODE="1",
        HOST_FORUM_DATABASE_URL=f"sqlite:///{database}",
    )
    return env


PAGE_SCRIPT = """
import json
import forum
from forum.migrate import migrations_dir
from host import create_app

app = create_app()
client = app.test_client()
anonymous = client.get("/community/")
client.post("/login", data={"user_id": "1"})
page = client.get("/community/")
css = client.get("/community/forum-static/forum/forum.css")
print(json.dumps({
    "forum": forum.__file__,
    "migrations": str(migrations_dir()),
    "anonymous": anonymous.status_code,
    "status": page.status_code,
    "page": page.get_data(as_text=True),
    "css": css.status_code,
}))
"""


def test_a_host_app_runs_the_forum_from_the_installed_wheel(installed, host_dir, tmp_path):
    database = tmp_path / "data" / "forum.sqlite3"
    env = host_env(installed, database)
    flask = [sys.executable, "-m", "flask", "--app", "host", "forum"]

    upgrade = run([*flask, "db", "upgrade"], cwd=host_dir, env=env)
    role = run([*flask, "set-role", "1", "moderator"], cwd=host_dir, env=env)
    served = run([sys.executable, "-c", PAGE_SCRIPT], cwd=host_dir, env=env)

    assert "head" in upgrade.stdout
    assert "Grace Hopper" in role.stdout
    with sqlite3.connect(database) as connection:
        tables = {name for (name,) in connection.execute("SELECT name FROM sqlite_master")}
        members = list(connection.execute("SELECT user_id, name, role FROM forum_members"))
    assert {"forum_members", "forum_accounts", "forum_api_tokens", "forum_alembic_version"} <= tables
    assert members == [("1", "Grace Hopper", "moderator")]

    result = json.loads(served.stdout)
    # The forum and the migrations it ran came from the wheel, not from this checkout.
    assert Path(result["forum"]).is_relative_to(installed)
    assert Path(result["migrations"]) == installed / "forum" / "migrations"
    assert result["anonymous"] == 200
    assert result["status"] == 200
    assert result["css"] == 200
    assert "host-override" in result["page"]
    assert "Signed in as <strong>Grace Hopper</strong> (moderator)" in result["page"]
