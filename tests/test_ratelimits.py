"""Rate limits: sign-in per address and per name, registration per address, writes per member."""

import re
import uuid

import pytest
import redis
import sqlalchemy as sa
from limits import parse_many

from forum.models import Argument, Role
from forum.ratelimit import member_key
from tests.articles import make_article


def set_limit(app, name, value):
    app.config[f"FORUM_RATELIMIT_{name}"] = value


def sign_in(client, username, address="10.0.0.1", password="not the password"):
    """Ask for a token (a sign-in by the API) from `address`."""
    return client.post("/api/v1/tokens", json={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_sign_in_attempts_per_address(app, client):
    set_limit(app, "LOGIN", "3 per minute")
    statuses = [sign_in(client, f"name{n}").status_code for n in range(4)]
    assert statuses == [401, 401, 401, 429]
    refused = sign_in(client, "someone")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert refused.json["error"]["code"] == "too_many_requests"
    assert "Too many sign-in attempts" in refused.json["error"]["message"]
    assert sign_in(client, "someone", address="10.0.0.2").status_code == 401  # another address


def refused_saying_when(response) -> str:
    """A 429 that says when to try again, in its Retry-After header and its words; returns the words."""
    assert response.status_code == 429, response.get_data(as_text=True)
    seconds = int(response.headers["Retry-After"])
    assert seconds > 0
    words = response.json["error"]["message"] if response.is_json else response.get_data(as_text=True)
    said = re.search(r"Try again in (\d+) (second|seconds|minutes)\.", words)
    assert said, words
    assert int(said[1]) * (60 if said[2] == "minutes" else 1) >= seconds  # never sooner than the header
    return words


def test_failed_sign_ins_lock_a_name_but_for_an_address_that_has_not_failed(app, client, make_user):
    """A stranger's wrong guesses from anywhere stop the guessing, not the owner's sign-in."""
    set_limit(app, "LOGIN", "3 per minute")
    user = make_user("mia")
    for n in range(3):
        assert sign_in(client, "MIA", address=f"10.0.1.{n}").status_code == 401
    # The name is locked: guesses are refused from everywhere, a fresh address included (which is now marked).
    assert "Too many failed sign-ins for this name." in refused_saying_when(sign_in(client, "mia", "10.0.1.8"))
    for address in ("10.0.1.0", "10.0.1.8"):  # addresses that failed: not even the right password
        refused_saying_when(sign_in(client, "mia", address, password=user.password))
    # The owner, from an address of their own with no failures, gets in.
    assert sign_in(client, "mia", "10.0.1.9", password=user.password).status_code == 201
    assert sign_in(client, "bob", "10.0.1.9").status_code == 401  # other names are not locked


def test_an_ipv6_client_counts_as_its_64_network(app, client):
    """One subscriber holds a whole /64: a new address in it is no new address to the limits."""
    set_limit(app, "LOGIN", "3 per minute")
    addresses = ["2001:db8:0:1::1", "2001:db8:0:1::2", "2001:db8:0:1:ffff:ffff:ffff:fffe", "2001:db8:0:1::abcd"]
    assert [sign_in(client, f"name{n}", a).status_code for n, a in enumerate(addresses)] == [401, 401, 401, 429]
    assert sign_in(client, "name9", "2001:db8:0:2::1").status_code == 401  # another /64, another subscriber
    # An IPv4 address mapped into IPv6 (a dual-stack socket's way of writing it) is that IPv4 address.
    assert [sign_in(client, "x", a).status_code for a in ("10.0.6.1", "::ffff:10.0.6.1", "10.0.6.1")] == [401] * 3
    refused_saying_when(sign_in(client, "x", "::ffff:10.0.6.1"))


def test_a_locked_name_gets_no_fresh_address_from_the_same_64(app, client, make_user):
    set_limit(app, "LOGIN", "3 per minute")
    user = make_user("mia")
    for n in range(3):
        assert sign_in(client, "mia", f"10.0.7.{n}").status_code == 401
    refused_saying_when(sign_in(client, "mia", "2001:db8:0:3::1"))  # a guess from a clean /64 marks it
    # Another address of that /64 is not clean: even the right password is refused there.
    refused_saying_when(sign_in(client, "mia", "2001:db8:0:3::2", password=user.password))
    assert sign_in(client, "mia", "2001:db8:0:4::1", password=user.password).status_code == 201  # the owner's


def test_only_failures_count_for_a_name(app, client, make_user):
    set_limit(app, "LOGIN", "3 per minute")
    user = make_user("mia")
    statuses = [sign_in(client, "mia", f"10.0.2.{n}", password=user.password).status_code for n in range(5)]
    assert statuses == [201] * 5


def test_the_form_and_the_api_share_one_count(app, client):
    """Ten attempts a minute means ten, however they are split between the form and POST /api/v1/tokens."""
    set_limit(app, "LOGIN", "4 per minute")
    address = {"REMOTE_ADDR": "10.0.3.1"}
    form = [client.submit("/login", {"username": f"x{n}", "password": "y"}, environ_base=address) for n in range(2)]
    api = [sign_in(client, f"y{n}", "10.0.3.1") for n in range(2)]
    assert [r.status_code for r in form + api] == [401] * 4
    refused_saying_when(sign_in(client, "z", "10.0.3.1"))
    page = client.submit("/login", {"username": "z", "password": "y"}, environ_base=address)
    assert "Too many sign-in attempts from here." in refused_saying_when(page)


def test_the_sign_in_form_is_limited_too(app, client):
    set_limit(app, "LOGIN", "2 per minute")
    for _ in range(2):
        assert client.submit("/login", {"username": "x", "password": "y"}).status_code == 401
    page = client.submit("/login", {"username": "x", "password": "y"})
    words = refused_saying_when(page)
    assert "Too many sign-in attempts" in words
    assert 'name="password"' in words  # the form itself, to try again from
    assert client.get("/login").status_code == 200  # reading the form is not counted


def test_registrations_per_address(app, client):
    set_limit(app, "REGISTER", "2 per hour")
    for n in range(2):
        response = client.submit("/register", {"username": f"user{n}", "password": "a long test password",
                                                "confirm": "a long test password"})
        assert response.status_code == 302
        client.submit("/logout")
    again = client.submit("/register", {"username": "user9", "password": "a long test password",
                                         "confirm": "a long test password"})
    assert again.status_code == 429


@pytest.fixture
def tokens(app, client, make_user):
    """Bearer tokens for three members, all behind the same address."""
    made = {}
    for name in ("mia", "bob", "cat"):
        user = make_user(name, Role.MEMBER)
        made[name] = sign_in(client, name, password=user.password).json["token"]
    return made


def post(client, block_id, token):
    body = f"Which year? ({uuid.uuid4().hex[:6]})"  # a new body each time, so none is a duplicate
    return client.api("POST", f"/api/v1/blocks/{block_id}/arguments",
                      {"stance": "question", "body": body}, token=token)


def test_posting_is_limited_per_member_not_per_address(app, client, tokens):
    ids = make_article(app)
    set_limit(app, "POST", "2 per 10 minutes")
    assert [post(client, ids["block1"], tokens["mia"]).status_code for _ in range(2)] == [201, 201]
    assert "You are posting faster" in refused_saying_when(post(client, ids["block1"], tokens["mia"]))
    assert post(client, ids["block1"], tokens["bob"]).status_code == 201  # same address, other member


def test_a_store_that_drops_during_a_write_never_fails_the_write(app, client, tokens, monkeypatch):
    """The store answers its check, then drops (Redis restarting): the post stands, answered 201, stored once."""
    ids = make_article(app)
    shared = app.extensions["forum"].limiter.limiter

    def dropped(*args, **kwargs):
        raise redis.ConnectionError("Connection reset by peer")

    def stored() -> int:
        with app.extensions["forum"].sessionmaker() as session:
            return session.scalar(sa.select(sa.func.count()).select_from(Argument))

    monkeypatch.setattr(shared, "hit", dropped)  # after the write, when it is counted
    assert post(client, ids["block1"], tokens["mia"]).status_code == 201
    assert stored() == 1
    monkeypatch.setattr(shared, "test", dropped)  # before it, when the limit is looked at
    assert post(client, ids["block1"], tokens["mia"]).status_code == 201
    assert stored() == 2


def test_a_new_members_first_day_is_stricter(app, client, tokens):
    ids = make_article(app)
    set_limit(app, "POST", "100 per 10 minutes")
    set_limit(app, "POST_NEW_MEMBER", "2 per day")
    statuses = [post(client, ids["block1"], tokens["cat"]).status_code for _ in range(3)]
    assert statuses == [201, 201, 429]


def test_votes_per_member(app, client, tokens):
    ids = make_article(app)
    set_limit(app, "VOTE", "2 per hour")
    argument = post(client, ids["block1"], tokens["mia"]).json["id"]
    path = f"/api/v1/arguments/{argument}/vote"
    statuses = [client.api("PUT", path, {"value": v}, token=tokens["bob"]).status_code for v in (1, -1, 0)]
    assert statuses == [200, 200, 429]
    assert client.api("PUT", path, {"value": 1}, token=tokens["cat"]).status_code == 200


def test_edits_per_member(app, client, tokens):
    ids = make_article(app)
    set_limit(app, "EDIT", "1 per hour")
    argument = post(client, ids["block1"], tokens["mia"]).json["id"]
    path = f"/api/v1/arguments/{argument}"
    assert client.api("PATCH", path, {"body": "One"}, token=tokens["mia"]).status_code == 200
    assert client.api("PATCH", path, {"body": "Two"}, token=tokens["mia"]).status_code == 429


def test_reads_are_never_limited(app, client):
    set_limit(app, "LOGIN", "1 per minute")
    assert all(client.get("/api/v1/articles").status_code == 200 for _ in range(5))


def test_limits_can_be_switched_off(database_url):
    from wsgi import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "FORUM_DATABASE_URL": database_url,
                      "FORUM_RATELIMIT_ENABLED": False, "FORUM_RATELIMIT_LOGIN": "1 per minute"})
    client = app.test_client()
    assert [sign_in(client, "x").status_code for _ in range(3)] == [401, 401, 401]
    app.extensions["forum"].dispose()


def test_a_hosts_default_limit_leaves_the_forums_pages_alone(database_url):
    """Flask-Limiter reads `RATELIMIT_DEFAULT` from the app's config, meant for the host's own limiter: the forum's
    limiter holds none of it against its pages."""
    from wsgi import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "FORUM_DATABASE_URL": database_url,
                      "RATELIMIT_DEFAULT": "2 per minute"})
    client = app.test_client()
    assert [client.get("/register").status_code for _ in range(4)] == [200] * 4
    assert [client.get("/password/reset").status_code for _ in range(4)] == [200] * 4
    app.extensions["forum"].dispose()


def test_the_count_is_shared_through_redis(database_url):
    """Two apps (as two workers would be) on one Redis storage share one count."""
    from wsgi import create_app

    config = {"TESTING": True, "SECRET_KEY": "x", "FORUM_DATABASE_URL": database_url,
              "FORUM_RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
              "FORUM_RATELIMIT_KEY_PREFIX": f"forum-test-{uuid.uuid4().hex}",
              "FORUM_RATELIMIT_LOGIN": "4 per minute"}
    first, second = create_app(config), create_app(config)
    statuses = [sign_in(app.test_client(), "x").status_code for app in (first, second) * 3]
    assert statuses == [401, 401, 401, 401, 429, 429]
    for app in (first, second):
        app.extensions["forum"].dispose()


def test_a_lost_redis_leaves_each_process_counting_alone(database_url):
    """Limits kept in a Redis that cannot be reached still hold, counted in the process; nothing fails."""
    from wsgi import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "FORUM_DATABASE_URL": database_url,
                      "FORUM_RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0",  # nothing listens there
                      "FORUM_RATELIMIT_KEY_PREFIX": f"forum-test-{uuid.uuid4().hex}",
                      "FORUM_RATELIMIT_LOGIN": "2 per minute", "FORUM_RATELIMIT_REGISTER": "1 per hour",
                      "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    assert [sign_in(client, "x").status_code for _ in range(3)] == [401, 401, 429]
    # Registration is limited by Flask-Limiter itself, which falls back to this process's memory.
    assert [client.post("/register", data={"username": "x"}).status_code for _ in range(2)] == [422, 429]
    app.extensions["forum"].dispose()


def test_two_gunicorn_workers_share_one_count_in_redis(database_url, tmp_path):
    """The limit holds across worker processes: 5 attempts a minute means 5, not 5 per worker."""
    import json
    import urllib.error
    import urllib.request

    from tests.servers import gunicorn

    config = {"FORUM_RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
              "FORUM_RATELIMIT_KEY_PREFIX": f"forum-test-{uuid.uuid4().hex}",
              "FORUM_RATELIMIT_LOGIN": "5 per minute"}
    with gunicorn(database_url, tmp_path / "instance", workers=2, app=f"wsgi:create_app({config!r})") as base:
        statuses = []
        for _ in range(12):
            request = urllib.request.Request(
                f"{base}/api/v1/tokens", method="POST",
                data=json.dumps({"username": "x", "password": "y"}).encode(),
                headers={"Content-Type": "application/json", "Connection": "close"},
            )
            try:
                urllib.request.urlopen(request, timeout=10)
            except urllib.error.HTTPError as error:
                statuses.append(error.code)
                if error.code == 429:
                    assert int(error.headers["Retry-After"]) > 0
    assert statuses == [401] * 5 + [429] * 7


def test_guessing_the_current_password_to_change_it_is_limited_like_signing_in(app, client, make_user, login):
    """A stolen session cannot try password after password on the change-password form."""
    user = make_user("mia")
    login(user)
    set_limit(app, "LOGIN", "3 per minute")
    guess = {"current_password": "a wrong guess", "new_password": "a brand new password",
             "confirm": "a brand new password"}
    statuses = [client.submit("/account/password", guess).status_code for _ in range(3)]
    assert statuses == [422, 422, 422]
    refused_saying_when(client.submit("/account/password", guess))
    right = client.submit("/account/password", {**guess, "current_password": user.password})
    assert right.status_code == 429  # the name is locked, and this address has failed


# ---------------------------------------------------------------- only what was done counts


def form_post(client, block_id, action="post", **fields):
    """The thread page's composer as a browser sends it (one source row), with `action` its button."""
    data = {"stance": "counter", "body": f"Two rises, not three ({uuid.uuid4().hex[:6]}).", "action": action,
            "sources-0-url": "", "sources-0-title": "", "sources-0-quote": "", "sources-0-citation": ""}
    data.update(fields)
    return client.submit(f"/blocks/{block_id}/arguments", data)


def test_previews_extra_rows_and_refused_forms_cost_nothing(app, client, as_member):
    """A new member who previews, adds rows and gets a mistake refused still posts their first argument."""
    ids = make_article(app)
    set_limit(app, "POST_NEW_MEMBER", "2 per day")
    block = ids["block1"]
    for _ in range(5):
        assert form_post(client, block, action="preview").status_code == 200
        assert form_post(client, block, action="add_source").status_code == 200
        assert form_post(client, block, stance="").status_code == 422
        assert form_post(client, block, **{"sources-0-url": "ftp://x.example"}).status_code == 422
    assert [form_post(client, block).status_code for _ in range(2)] == [303, 303]
    typed = "Typed with care: the minutes of 2 March say two."
    refused = form_post(client, block, body=typed, **{"sources-0-url": "https://council.example/m"})
    words = refused_saying_when(refused)
    assert "You are posting faster" in words
    # The form comes back with everything typed, the refusal said above it.
    assert f"{typed}</textarea>" in words and 'value="https://council.example/m"' in words
    summary = words[words.index('class="error-summary'):]
    assert "You are posting faster" in summary[:summary.index("</div>")]
    assert 'id="composer-new"' in words
    # A preview still works while the limit holds: nothing is posted by it.
    assert form_post(client, block, action="preview", body=typed).status_code == 200


def test_a_refusal_in_place_brings_back_the_composer_with_the_text(app, client, as_member):
    """Under htmx the 429 is the page whose composer htmx swaps in: the text and the refusal, in place."""
    ids = make_article(app)
    set_limit(app, "POST", "1 per 10 minutes")
    block = ids["block1"]
    headers = {"HX-Request": "true"}
    first = client.post(f"/blocks/{block}/arguments", headers=headers, data={
        "csrf_token": client.csrf_token(), "stance": "support", "body": "First.", "action": "post"})
    assert first.status_code == 200 and first.headers["HX-Retarget"] == "#main"
    second = client.post(f"/blocks/{block}/arguments", headers=headers, data={
        "csrf_token": client.csrf_token(), "stance": "support", "body": "Second, kept.", "action": "post"})
    words = refused_saying_when(second)
    assert "HX-Retarget" not in second.headers  # the composer, not the page, is swapped
    composer = words[words.index('id="composer-new"'):]
    assert "Second, kept.</textarea>" in composer and "You are posting faster" in composer


def test_a_reply_refused_comes_back_under_its_argument(app, client, as_member):
    ids = make_article(app)
    set_limit(app, "POST", "1 per 10 minutes")
    block = ids["block1"]
    parent = int(form_post(client, block).headers["Location"].rsplit("-", 1)[1])
    refused = form_post(client, block, parent_id=str(parent), body="My reply, kept.")
    words = refused_saying_when(refused)
    composer = words[words.index(f'id="composer-reply-{parent}"'):]
    assert "My reply, kept.</textarea>" in composer and "You are posting faster" in composer
    assert words.index(f'id="argument-{parent}"') < words.index(f'id="composer-reply-{parent}"')


def test_an_edit_counts_when_saved_only_and_a_refusal_keeps_the_text(app, client, as_member):
    ids = make_article(app)
    set_limit(app, "EDIT", "1 per hour")
    argument = int(form_post(client, ids["block1"]).headers["Location"].rsplit("-", 1)[1])
    path = f"/arguments/{argument}/edit"
    for action in ("preview", "add_source"):
        assert client.submit(path, {"body": "Draft", "action": action}).status_code == 200
    assert client.submit(path, {"body": "  ", "action": "post"}).status_code == 422
    assert client.submit(path, {"body": "Saved once.", "action": "post"}).status_code == 303
    refused = client.submit(path, {"body": "Saved twice, kept.", "action": "post"})
    words = refused_saying_when(refused)
    assert "You are editing faster" in words and "Saved twice, kept.</textarea>" in words


def test_the_api_counts_posts_made_and_not_previews_or_mistakes(app, client, tokens):
    ids = make_article(app)
    set_limit(app, "POST", "2 per 10 minutes")
    block = ids["block1"]
    for _ in range(5):
        assert client.api("POST", "/api/v1/preview", {"body": "*draft*"}, token=tokens["mia"]).status_code == 200
        refused = client.api("POST", f"/api/v1/blocks/{block}/arguments", {"stance": "counter", "body": " "},
                             token=tokens["mia"])
        assert refused.status_code == 422
    assert [post(client, block, tokens["mia"]).status_code for _ in range(2)] == [201, 201]
    assert "You are posting faster" in refused_saying_when(post(client, block, tokens["mia"]))


def test_a_flag_refused_for_a_mistake_costs_nothing(app, client, tokens):
    ids = make_article(app)
    set_limit(app, "FLAG", "1 per day")
    one, two = (post(client, ids["block1"], tokens["mia"]).json["id"] for _ in range(2))
    for _ in range(3):
        assert client.api("POST", f"/api/v1/arguments/{one}/flags", {"reason": "other"},
                          token=tokens["bob"]).status_code == 422
    flagged = client.api("POST", f"/api/v1/arguments/{one}/flags", {"reason": "spam"}, token=tokens["bob"])
    assert flagged.status_code == 201
    refused = client.api("POST", f"/api/v1/arguments/{two}/flags", {"reason": "spam"}, token=tokens["bob"])
    assert "flagging more than" in refused_saying_when(refused)


def test_a_vote_refused_in_place_says_when_to_try_again(app, client, tokens, make_user, login):
    ids = make_article(app)
    set_limit(app, "VOTE", "1 per hour")
    argument = post(client, ids["block1"], tokens["mia"]).json["id"]
    login(make_user("dan"))

    def vote(value: str):
        return client.post(f"/arguments/{argument}/vote", headers={"HX-Request": "true"},
                           data={"csrf_token": client.csrf_token(), "value": value})

    assert vote("1").status_code == 200
    refused = vote("-1")
    words = refused_saying_when(refused)
    assert words.lstrip().startswith('<div class="vote"') and "You are voting faster" in words


def test_a_small_limit_is_looked_at_before_every_write_whatever_other_workers_counted(app, client, tokens):
    """Writes the member made through other workers, counted in the shared store a moment ago, are seen."""
    ids = make_article(app)
    set_limit(app, "VOTE", "3 per hour")
    argument = post(client, ids["block1"], tokens["mia"]).json["id"]
    path = f"/api/v1/arguments/{argument}/vote"
    assert client.api("PUT", path, {"value": 1}, token=tokens["bob"]).status_code == 200
    limiter = app.extensions["forum"].limiter
    with app.test_request_context(path, method="PUT", headers={"Authorization": f"Bearer {tokens['bob']}"}):
        assert member_key().startswith("member:")
        key, prefix = member_key(), app.config["FORUM_RATELIMIT_KEY_PREFIX"]
        for item in parse_many("3 per hour"):
            for _ in range(2):  # two more votes of theirs, through other workers
                limiter.limiter.hit(item, prefix, "vote", key)
    assert client.api("PUT", path, {"value": -1}, token=tokens["bob"]).status_code == 429
