"""Fixtures in the manner of Flask's tutorial: `app`, `client`, `runner`, and signed-in helpers per role.

Every test that touches the database runs twice, on SQLite and on PostgreSQL (ids `sqlite` /
`postgresql`), each time on a fresh database. With CI=true an unreachable PostgreSQL fails the run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from flask import Flask
from hypothesis import settings

from forum.db import get_session
from forum.models import Base, Role
from forum.services import accounts
from tests.helpers import PASSWORD, ForumClient, User
from wsgi import create_app

# Under CI the property tests draw the same examples every run, so that a red build can be rerun as it was.
settings.register_profile("ci", derandomize=True, print_blob=True)
# bench/fuzz.py's long runs (`--hypothesis-profile nightly`): random, and as many cases per fuzz test as
# FORUM_FUZZ_EXAMPLES says (tests/hostile.py's `fuzz_settings`).
settings.register_profile("nightly", derandomize=False, print_blob=True,
                          max_examples=int(os.environ.get("FORUM_FUZZ_EXAMPLES", "1000")))
if os.environ.get("CI", "").lower() == "true":
    settings.load_profile("ci")

POSTGRES_URL = os.environ.get(
    "FORUM_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


def postgres_reachable() -> str | None:
    """None when PostgreSQL answers, else the reason it does not."""
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            return None
    except psycopg.Error as error:
        return str(error).strip()


@pytest.fixture(autouse=True)
def quick_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id with small costs, so that the suite's many sign-ins stay quick; the same code path."""
    monkeypatch.setattr(
        accounts, "hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The PostgreSQL server's URL; a failure under CI, a skip elsewhere, when it cannot be reached."""
    problem = postgres_reachable()
    if problem:
        message = f"PostgreSQL at {POSTGRES_URL} cannot be reached: {problem}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return POSTGRES_URL


@pytest.fixture(scope="session")
def new_postgres_database(postgres_server: str) -> Iterator:
    """A factory of empty PostgreSQL databases, all dropped at the end of the session."""
    made: list[str] = []

    def make() -> str:
        name = f"forum_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(postgres_server, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        made.append(name)
        return str(sa.make_url(postgres_server).set(database=name))

    yield make
    with psycopg.connect(postgres_server, autocommit=True) as connection:
        for name in made:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_database(new_postgres_database) -> str:
    """One PostgreSQL database with the forum's tables for the session; emptied after each test."""
    url = new_postgres_database()
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    Base.metadata.create_all(engine)
    engine.dispose()
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A fresh, empty forum database of each kind."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'forum.sqlite3'}"
        engine = sa.create_engine(url)
        Base.metadata.create_all(engine)
        engine.dispose()
        yield url
        return
    url = request.getfixturevalue("postgres_database")
    yield url
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def app(database_url: str, tmp_path) -> Iterator[Flask]:
    """The standalone site on a fresh database."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test secret",
            "FORUM_DATABASE_URL": database_url,
            "FORUM_SITE_NAME": "Test Forum",
            # Every cache hit of every test is also rendered afresh and compared (`forum.caching.verify`).
            "FORUM_CACHE_VERIFY": True,
            # A live stream read whole by the test client (the fuzz tests' reads) ends at once.
            "FORUM_EVENTS_MAX_AGE": 0.2,
        }
    )
    yield app
    app.extensions["forum"].dispose()


@pytest.fixture
def client(app: Flask) -> ForumClient:
    """A browser-like client of the site."""
    app.test_client_class = ForumClient
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    """The app's CLI runner."""
    return app.test_cli_runner()


@pytest.fixture
def make_user(app: Flask):
    """Create a site account with a role, straight through the service."""

    def make(username: str, role: Role = Role.MEMBER, password: str = PASSWORD) -> User:
        with app.app_context():
            session = get_session()
            account = accounts.register(session, username, password, role=role)
            session.commit()
            return User(account.id, account.username, password, role)

    return make


@pytest.fixture
def login(client: ForumClient):
    """Sign the client in as `user` through the login form."""

    def sign_in(user: User, remember: bool = False):
        data = {"username": user.username, "password": user.password}
        if remember:
            data["remember"] = "y"
        response = client.submit("/login", data)
        assert response.status_code == 302, response.get_data(as_text=True)
        return response

    return sign_in


@pytest.fixture
def as_member(make_user, login) -> User:
    """The client signed in as a plain member."""
    user = make_user("mia", Role.MEMBER)
    login(user)
    return user


@pytest.fixture
def as_moderator(make_user, login) -> User:
    """The client signed in as a moderator."""
    user = make_user("moe", Role.MODERATOR)
    login(user)
    return user


@pytest.fixture
def as_admin(make_user, login) -> User:
    """The client signed in as an admin."""
    user = make_user("ada", Role.ADMIN)
    login(user)
    return user
