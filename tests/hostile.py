"""What the tests of hostile input share: a small forum to attack, and a client that sends raw JSON."""

from __future__ import annotations

from types import SimpleNamespace

import sqlalchemy as sa
from flask import Flask

from forum.db import get_session
from forum.models import Member, Role
from tests.articles import make_article

DIGITS = "9" * 5_000  # past the 4,300 digits `int()` reads


def make_site(app: Flask, client, make_user, login) -> SimpleNamespace:
    """An article; an argument by mia; the client signed in as ada (an admin), who also holds a token.

    Rate limits are off: an attacker's requests are the point here, not how many of them pass.
    """
    ids = make_article(app)
    users = {name: make_user(name, role) for name, role in (("mia", Role.MEMBER), ("ada", Role.ADMIN))}
    tokens = {}
    for name, user in users.items():
        answer = app.test_client().post("/api/v1/tokens", json={"username": name, "password": user.password})
        tokens[name] = answer.json["token"]
    block = ids["block1"]
    argument = client.api(
        "POST", f"/api/v1/blocks/{block}/arguments", {"stance": "counter", "body": "Twice, not thrice."},
        token=tokens["mia"],
    ).json["id"]
    login(users["ada"])
    app.extensions["forum"].limiter.enabled = False
    with app.app_context():
        mia = get_session().scalar(sa.select(Member.id).where(Member.name == "mia"))
    return SimpleNamespace(ids=ids, block=block, argument=argument, mia=mia, token=tokens["ada"])


def send(client, method: str, path: str, raw: str | bytes, token: str | None = None, query: bytes = b""):
    """Send a raw JSON body, as a client that builds its own would."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return client.open(path, method=method, data=raw, headers=headers, query_string=query)
