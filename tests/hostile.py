"""What the tests of hostile input share: what an attacker types, a small forum to attack, a client that
sends raw JSON, and the settings every fuzz test runs with."""

from __future__ import annotations

from types import SimpleNamespace

import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from forum.db import get_session
from forum.models import Member, Role
from tests.articles import make_article

DIGITS = "9" * 5_000  # past the 4,300 digits `int()` reads
NIGHTLY = "nightly"  # the profile of bench/fuzz.py's long random runs (registered in tests/conftest.py)


def fuzz_settings(examples: int, **more) -> settings:
    """A fuzz test's settings: `examples` cases, the same on every run under the `ci` profile; under `nightly`,
    as many as that profile says, random. No example database: each failure found is pinned as an @example."""
    if settings.get_current_profile_name() == NIGHTLY:
        examples = settings.default.max_examples
    return settings(
        max_examples=examples, deadline=None, database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                               HealthCheck.data_too_large, HealthCheck.filter_too_much],
        **more,
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
# Markup whose cost grows faster than its length, or whose numbers are no numbers.
markup_bombs = st.one_of(
    st.builds(lambda opener, n: opener * n, st.sampled_from(["[", "*", "> ", "- ", "`", "<", "&#"]),
              st.integers(500, 20_000)),
    st.sampled_from(['<ol start="²"><li>A source</li></ol>', '<li value="³">x</li>', "1. a\n² b", "[^1]: ",
                     "&#0;", "&#xD800;", "[x](https://[oops/)"]),
    st.integers(4_301, 4_500).map(lambda n: f"[{'4' * n}]"),  # a footnote marker no `int()` reads
)
hostile_text = st.one_of(
    st.builds(lambda a, s, b: a + s + b, st.text(max_size=4), lone_surrogates, st.text(max_size=4)),
    long_digits,
    bracketed_hosts,
    st.text(max_size=6).map(lambda t: t + "\x00"),
    invisible,
    markup_bombs,
    st.text(max_size=30),
)
# The same without lone surrogates: what a client can put into a URL or a header at all.
hostile_url_text = hostile_text.map(lambda text: text.encode("utf-8", "replace").decode("utf-8"))
# JSON text nested past the limit, as raw text: no JSON encoder writes it.
nested_json = st.builds(
    lambda opener, n: opener * n, st.sampled_from(["[", '{"a":', '[{"a":']), st.integers(33, 100_000)
)


def nest(depth: int) -> list:
    """A list holding a list ... `depth` levels deep."""
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    return value


# JSON values nested past the limit, small enough for `json.dumps` to write.
nested_values = st.integers(33, 300).map(nest)


# --- a forum to attack -----------------------------------------------------------------------------

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
    return SimpleNamespace(ids=ids, block=block, argument=argument, mia=mia, token=tokens["ada"],
                           users=users, tokens=tokens)


def send(client, method: str, path: str, raw: str | bytes, token: str | None = None, query: bytes = b""):
    """Send a raw JSON body, as a client that builds its own would."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return client.open(path, method=method, data=raw, headers=headers, query_string=query)
