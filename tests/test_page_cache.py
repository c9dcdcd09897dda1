"""The anonymous readers' page cache: every write shows at once, in every process; ETags; never a member's page."""

from __future__ import annotations

import gzip
import json
import re
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from forum.caching.verify import RENDER_FRESH
from forum.db import get_session
from forum.models import Block, Role
from forum.services import arguments, consensus, exports, members, moderation, votes
from tests.articles import make_article
from tests.helpers import PASSWORD, ForumClient
from tests.queries import statements
from wsgi import create_app

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def new_client(app) -> ForumClient:
    app.test_client_class = ForumClient
    return app.test_client()


def signed_in(app, username: str) -> ForumClient:
    """A client of `app` signed in as `username` through the login form."""
    client = new_client(app)
    response = client.submit("/login", {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def token(app, username: str) -> str:
    """A bearer token of `username`."""
    return new_client(app).post("/api/v1/tokens", json={"username": username, "password": PASSWORD}).json["token"]


@dataclass
class World:
    """An article, the people acting on it, and one argument by mia in its first paragraph's thread."""

    app: object
    article: int
    slug: str
    block: int
    argument: int
    mia: object
    rita: object
    moe: object
    ada: object

    @property
    def thread_url(self) -> str:
        return f"/blocks/{self.block}"

    @property
    def article_url(self) -> str:
        return f"/articles/{self.article}/{self.slug}"


@pytest.fixture
def world(app, make_user) -> World:
    ids = make_article(app)
    mia, rita = make_user("mia"), make_user("rita")
    moe, ada = make_user("moe", Role.MODERATOR), make_user("ada", Role.ADMIN)
    with app.app_context():
        session = get_session()
        author = members.ensure_member(session, str(mia.id), "mia")
        argument = arguments.post_argument(
            session, session.get(Block, ids["block1"]), author, stance="counter", body="The toll rose twice, not thrice."
        )
        session.commit()
        slug = session.get(Block, ids["block1"]).article.slug
        return World(app, ids["article"], slug, ids["block1"], argument.id, mia, rita, moe, ada)


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def as_member(world: World, name: str):
    """Run a service as the member `name` (for set-ups the writes under test do not cover)."""
    session = get_session()
    user = getattr(world, name)
    return session, members.ensure_member(session, str(user.id), name)


def rita_votes_up(world: World) -> None:
    with world.app.app_context():
        session, rita = as_member(world, "rita")
        votes.cast_vote(session, world.argument, rita, 1)
        session.commit()


def hide_it(world: World) -> None:
    with world.app.app_context():
        session, moe = as_member(world, "moe")
        moderation.hide(session, world.argument, moe, "Off topic")
        session.commit()


def rita_flags(world: World) -> int:
    with world.app.app_context():
        session, rita = as_member(world, "rita")
        flag = moderation.flag(session, world.argument, rita, "spam")
        session.commit()
        return flag.id


def html(who: str, path: str, data: dict | None = None, before: Callable | None = None):
    """A write through a page's form, by `who`; `path` may name {block}, {argument}, {flag}."""

    def write(world: World, _target: dict) -> None:
        client = signed_in(world.app, who)
        url = path.format(**_target)
        response = client.submit(url, data or {})
        assert response.status_code in (302, 303), response.get_data(as_text=True)[:2000]

    write.before, write.route = before, ("POST", path)
    return write


def api(who: str, method: str, path: str, body: dict | None = None, before: Callable | None = None):
    """A write through the API with a bearer token of `who`."""

    def write(world: World, _target: dict) -> None:
        client = new_client(world.app)
        response = client.api(method, path.format(**_target), body, token=token(world.app, who))
        assert response.status_code in (200, 201), response.get_data(as_text=True)

    write.before, write.route = before, (method, "/api/v1" + path.removeprefix("/api/v1"))
    return write


def cli(*args: str, before: Callable | None = None):
    """A write through `flask forum ...`."""

    def write(world: World, _target: dict) -> None:
        result = world.app.test_cli_runner().invoke(args=["forum", *[a.format(**_target) for a in args]])
        assert result.exit_code == 0, result.output

    write.before, write.command = before, args[0]
    return write


def import_debate_again():
    """`flask forum import-debate` of the article's own JSON export: a second article on the home page."""

    def write(world: World, _target: dict) -> None:
        with world.app.app_context():
            text = exports.export_text(get_session(), world.article, "json", moderator=True)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "debate.json"
            path.write_text(text)
            result = world.app.test_cli_runner().invoke(args=["forum", "import-debate", str(path)])
        assert result.exit_code == 0, result.output

    write.before, write.command = None, "import-debate"
    return write


NEW = "Nobody counted the night crossings."
EDITED = "The toll rose twice; the third rise was withdrawn."
THREAD, ARTICLE, HOME, ARGUMENT = "thread", "article", "home", "argument"

# (write, the pages that must show it, what they show before, what they show after)
WRITES = {
    "html post": (html("mia", "/blocks/{block}/arguments", {"stance": "support", "body": NEW}),
                  [THREAD], None, NEW),
    "html post counts on the article": (html("mia", "/blocks/{block}/arguments", {"stance": "support", "body": NEW}),
                  [ARTICLE], "<strong>0</strong> support", "<strong>1</strong> support"),
    "html edit": (html("mia", "/arguments/{argument}/edit", {"body": EDITED}), [THREAD, ARGUMENT], None, EDITED),
    "html withdraw": (html("mia", "/arguments/{argument}/withdraw"), [THREAD, ARGUMENT], None, "Withdrawn by its author."),
    "html withdraw counts on the article": (html("mia", "/arguments/{argument}/withdraw"), [ARTICLE],
                      "<strong>1</strong> counter", "<strong>0</strong> counter"),
    "html vote": (html("rita", "/arguments/{argument}/vote", {"value": "1"}), [THREAD, ARGUMENT], "Score 0", "Score 1"),
    "html consensus": (html("moe", "/blocks/{block}/consensus", {"status": "refuted", "note": "Checked.", "version": "0"}),
                       [THREAD, ARTICLE], None, "Refuted"),
    "html hide": (html("moe", "/arguments/{argument}/hide", {"reason": "Off topic"}), [THREAD, ARGUMENT],
                  None, "Hidden by a moderator: Off topic"),
    "html hide counts on the article": (html("moe", "/arguments/{argument}/hide", {"reason": "Off topic"}), [ARTICLE],
                  "<strong>1</strong> counter", "<strong>0</strong> counter"),
    "html restore": (html("moe", "/arguments/{argument}/restore", {"reason": "On topic after all"}, before=hide_it),
                     [THREAD, ARGUMENT], "Hidden by a moderator", "The toll rose twice, not thrice."),
    "html lock": (html("moe", "/blocks/{block}/lock", {"locked": "1", "reason": "Cooling off"}), [THREAD, ARTICLE],
                  None, "Locked"),
    "html resolve flag by hiding": (html("moe", "/flags/{flag}/resolve", {"action": "hide"}, before=rita_flags),
                                    [THREAD], None, "Hidden by a moderator"),
    "html import": (html("ada", "/import", {"text": "Bridges at night\n\nThe ferry stops at ten.", "action": "publish"}),
                    [HOME], None, "Bridges at night"),
    "api post": (api("mia", "POST", "/api/v1/blocks/{block}/arguments", {"stance": "support", "body": NEW}),
                 [THREAD], None, NEW),
    "api post counts on the article": (api("mia", "POST", "/api/v1/blocks/{block}/arguments", {"stance": "support", "body": NEW}),
                 [ARTICLE], "<strong>0</strong> support", "<strong>1</strong> support"),
    "api edit": (api("mia", "PATCH", "/api/v1/arguments/{argument}", {"body": EDITED}), [THREAD, ARGUMENT], None, EDITED),
    "api withdraw": (api("mia", "DELETE", "/api/v1/arguments/{argument}"), [THREAD], None, "Withdrawn by its author."),
    "api vote": (api("rita", "PUT", "/api/v1/arguments/{argument}/vote", {"value": -1}), [THREAD, ARGUMENT], "Score 0", "Score -1"),
    "api consensus": (api("moe", "PUT", "/api/v1/blocks/{block}/consensus",
                          {"status": "supported", "note": "Holds.", "version": 0}), [THREAD, ARTICLE], None, "Supported"),
    "api hide": (api("moe", "POST", "/api/v1/arguments/{argument}/hide", {"reason": "Spam"}), [THREAD, ARGUMENT],
                 None, "Hidden by a moderator: Spam"),
    "api restore": (api("moe", "POST", "/api/v1/arguments/{argument}/restore", {"reason": "Fine"}, before=hide_it),
                    [THREAD], "Hidden by a moderator", "The toll rose twice, not thrice."),
    "api lock": (api("moe", "PUT", "/api/v1/blocks/{block}/lock", {"locked": True, "reason": "Calm down"}),
                 [THREAD, ARTICLE], None, "Locked"),
    "api resolve flag by hiding": (api("moe", "POST", "/api/v1/flags/{flag}/resolve", {"action": "hide"}, before=rita_flags),
                                   [THREAD], None, "Hidden by a moderator"),
    "api import": (api("ada", "POST", "/api/v1/articles", {"text": "Ferries at dawn\n\nThey leave at six.", "format": "text"}),
                   [HOME], None, "Ferries at dawn"),
    "cli remove member": (cli("remove-member", "rita", before=rita_votes_up), [THREAD, ARGUMENT], "Score 1", "Score 0"),
    # A first scoring gives every thread a suggestion (this one's cites an open footnote: "needs sources").
    "cli score": (cli("score"), [THREAD, ARTICLE], None, "Computed"),
    "cli import debate": (import_debate_again(), [HOME], None, None),
    "cli seed discussion": (cli("seed-discussion", "{article}", "--arguments-per-thread", "2", "--votes-per-argument", "1"),
                            [ARTICLE, HOME], None, None),
}


def urls(world: World, pages: list[str], api: bool = False) -> list[str]:
    """The pages' URLs, or those of their twins in the API."""
    if api:
        paths = {THREAD: f"/api/v1/blocks/{world.block}/arguments", ARTICLE: f"/api/v1/articles/{world.article}",
                 HOME: "/api/v1/articles", ARGUMENT: f"/api/v1/arguments/{world.argument}"}
    else:
        paths = {THREAD: world.thread_url, ARTICLE: world.article_url, HOME: "/",
                 ARGUMENT: f"/arguments/{world.argument}"}
    return [paths[p] for p in pages]


def shown(world: World, url: str, text: str) -> str:
    """What a page says of the thread under test: on the article page, that thread's summary only."""
    if url != world.article_url:
        return text
    start = text.index(f'id="summary-{world.block}"')
    return text[start : text.index("</div>", start)]


TOKENS = re.compile(r'(name="csrf_token" value="|name="csrf-token" content=")[^"]+"')
TOKEN_VALUES = re.compile(r'(?:name="csrf_token" value="|name="csrf-token" content=")([^"]+)"')


def without_tokens(text: str) -> str:
    """A page with its CSRF tokens blanked: they are signed with the time, so two requests may differ there."""
    return TOKENS.sub(r'\1"', text)


# Statements a kept page costs: one, reading its versions (and who asks, for a member or a token).
READERS = ("anonymous", "member", "token")


class Reader:
    """Someone reading the pages: anonymously, signed in as lea, or through the API with lea's token."""

    def __init__(self, app, kind: str) -> None:
        self.api = kind == "token"
        self.client = signed_in(app, "lea") if kind == "member" else new_client(app)
        self.headers = {"Authorization": f"Bearer {token(app, 'lea')}"} if self.api else {}

    def read(self, url: str, client=None) -> str:
        """The page (or JSON) at `url`, as this reader gets it (through another app's `client`, if given)."""
        response = (client or self.client).get(url, headers=self.headers)
        assert response.status_code == 200, response.status_code
        return response.get_data(as_text=True)


@pytest.fixture
def uncached_app(app, database_url):
    """The site on the same database with no page cache: what every kept page must equal."""
    other = create_app({"TESTING": True, "SECRET_KEY": "test secret", "FORUM_DATABASE_URL": database_url,
                        "FORUM_SITE_NAME": "Test Forum", "FORUM_CACHE_URL": "none://"})
    yield other
    other.extensions["forum"].dispose()


@pytest.mark.parametrize("reader_kind", READERS)
@pytest.mark.parametrize("name", list(WRITES))
def test_a_readers_cached_page_shows_every_write_at_once(world, make_user, uncached_app, reader_kind, name):
    write, pages, before, after = WRITES[name]
    target = {"block": world.block, "argument": world.argument, "article": world.article, "flag": 0}
    if write.before is not None:
        target["flag"] = write.before(world) or 0
    make_user("lea")
    reader = Reader(world.app, reader_kind)
    earlier = {}
    for url in urls(world, pages, reader.api):
        first = reader.read(url)
        with statements(world.app) as seen:
            assert without_tokens(reader.read(url)) == without_tokens(first)
        assert len(seen) == 1, seen.report()  # the page itself came from the cache
        earlier[url] = first
        if before is not None and not reader.api:
            assert before in shown(world, url, first)
        if after is not None and not reader.api:
            assert after not in shown(world, url, first)
    write(world, target)
    for url in urls(world, pages, reader.api):
        now = reader.read(url)
        if reader.api:
            # What the API keeps is what it would answer from the database, written or not.
            assert json.loads(now) == json.loads(reader.read(url, uncached_app.test_client()))
            continue
        assert without_tokens(now) != without_tokens(earlier[url])
        if after is not None:
            assert after in shown(world, url, now)
        if before is not None:
            assert before not in shown(world, url, now)


@pytest.fixture
def second_app(app, database_url):
    """Another process's worth of the site: its own app and its own in-memory cache, on the same database."""
    other = create_app({"TESTING": True, "SECRET_KEY": "test secret", "FORUM_DATABASE_URL": database_url,
                        "FORUM_SITE_NAME": "Test Forum"})
    yield other
    other.extensions["forum"].dispose()


def test_two_processes_each_with_its_own_cache_stay_correct(world, second_app):
    here, there = new_client(world.app), new_client(second_app)
    for client in (here, there):
        assert "Score 0" in page(client, world.thread_url)
    # rita votes through the second process; the first one's cached page must not survive it.
    voter = signed_in(second_app, "rita")
    assert voter.submit(f"/arguments/{world.argument}/vote", {"value": "1"}).status_code == 303
    assert "Score 1" in page(here, world.thread_url)
    assert "Score 1" in page(there, world.thread_url)
    # And a post through the first process shows in the second's.
    author = signed_in(world.app, "mia")
    assert author.submit(f"/blocks/{world.block}/arguments", {"stance": "question", "body": NEW}).status_code == 303
    assert NEW in page(there, world.thread_url)
    assert "<strong>1</strong> question" in shown(world, world.article_url, page(there, world.article_url))


def test_etag_answers_304_until_the_page_changes(world):
    reader = new_client(world.app)
    first = reader.get(world.thread_url)
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "no-cache"
    assert "Cookie" in first.headers["Vary"]
    with statements(world.app) as seen:
        again = reader.get(world.thread_url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == etag
    assert len(seen) == 1
    # Another sort is another page, with another tag.
    assert reader.get(f"{world.thread_url}?sort=new", headers={"If-None-Match": etag}).status_code == 200
    rita_votes_up(world)
    changed = reader.get(world.thread_url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert "Score 1" in changed.get_data(as_text=True)


def test_a_signed_in_member_never_gets_the_cached_anonymous_page_nor_leaves_theirs(world):
    reader = new_client(world.app)
    anonymous = page(reader, world.thread_url)
    etag = reader.get(world.thread_url).headers["ETag"]
    member = signed_in(world.app, "rita")
    response = member.get(world.thread_url, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert "ETag" not in response.headers
    mine = response.get_data(as_text=True)
    assert mine != anonymous
    assert "Signed in as <strong>rita</strong>" in mine
    token = CSRF_META.search(mine).group(1)
    # The member's page went into no cache: a reader after them still gets the anonymous page.
    for url in (world.thread_url, world.article_url, "/"):
        member.get(url)
        text = page(new_client(world.app), url)
        assert token not in text
        assert "rita" not in text
        assert 'name="csrf-token"' not in text
        assert "Sign in" in text


def test_a_page_with_a_flash_message_is_neither_cached_nor_served_from_the_cache(world):
    reader = new_client(world.app)
    page(reader, "/")  # the home page is in the cache now
    member = signed_in(world.app, "rita")
    member.submit("/logout")
    shown_once = page(member, "/")
    assert "You are signed out." in shown_once
    assert "You are signed out." not in page(member, "/")
    assert "You are signed out." not in page(reader, "/")


def test_errors_and_redirects_are_not_cached(world):
    reader = new_client(world.app)
    for _ in range(2):
        with statements(world.app) as seen:
            missing = reader.get("/blocks/99999")
        assert missing.status_code == 404
        assert "ETag" not in missing.headers
        assert len(seen) >= 2  # looked up, then rendered as an error each time
    moved = reader.get(f"/articles/{world.article}/old-slug")
    assert moved.status_code == 301
    assert "ETag" not in moved.headers
    heading = reader.get(f"/blocks/{world.block + 1}")  # the sample's heading, which has no thread
    assert heading.status_code == 404


def test_cached_pages_keep_their_machine_readable_times(world):
    reader = new_client(world.app)
    page(reader, world.thread_url)
    cached = page(reader, world.thread_url)
    assert re.search(r'<time class="ago" datetime="\d{4}-\d\d-\d\dT[^"]+" title="[^"]+">', cached)


def test_a_cache_url_naming_no_store_is_refused_at_start(database_url):
    with pytest.raises(ValueError, match="FORUM_CACHE_URL must be"):
        create_app({"SECRET_KEY": "x", "FORUM_DATABASE_URL": database_url, "FORUM_CACHE_URL": "memcached://x"})


@pytest.fixture
def redis_url():
    url = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url).ping()
    except redis.RedisError as error:
        pytest.fail(f"Redis at {url} cannot be reached: {error}")
    return url


def test_processes_share_pages_through_redis(world, database_url, redis_url):
    prefix = f"forum-test-{uuid.uuid4().hex}:"
    config = {"TESTING": True, "SECRET_KEY": "test secret", "FORUM_DATABASE_URL": database_url,
              "FORUM_SITE_NAME": "Test Forum", "FORUM_CACHE_URL": redis_url, "FORUM_CACHE_KEY_PREFIX": prefix}
    first, second = create_app(config), create_app(config)
    try:
        stored = page(new_client(first), world.thread_url)
        with statements(second) as seen:
            assert page(new_client(second), world.thread_url) == stored
        assert len(seen) == 1  # the second process found the first one's page
        rita_votes_up(world)
        assert "Score 1" in page(new_client(second), world.thread_url)
    finally:
        store = redis.Redis.from_url(redis_url)
        for key in store.scan_iter(f"{prefix}*"):
            store.delete(key)
        for each in (first, second):
            each.extensions["forum"].dispose()


def test_an_anonymous_reader_with_a_session_cookie_is_served_from_the_cache_too(world):
    reader = new_client(world.app)
    reader.get("/login")  # the sign-in form gave this reader a session (for its CSRF token), not an account
    assert reader.get_cookie("session") is not None
    page(reader, world.thread_url)  # Flask-Login marks the session not fresh: a cookie is set, nothing kept
    first = page(reader, world.thread_url)
    with statements(world.app) as seen:
        assert page(reader, world.thread_url) == first
    assert len(seen) == 1
    assert 'name="csrf-token"' not in first
    rita_votes_up(world)
    assert "Score 1" in page(reader, world.thread_url)


def test_a_members_kept_page_carries_their_own_working_csrf_token_and_nobody_elses_page(world, make_user):
    make_user("lea")
    lea, mia = signed_in(world.app, "lea"), signed_in(world.app, "mia")
    page(lea, world.thread_url)
    kept = page(lea, world.thread_url)
    assert "Signed in as <strong>lea</strong>" in kept
    assert "\x00" not in kept
    assert without_tokens(page(lea, world.thread_url)) == without_tokens(kept)
    # The token written into the kept page is lea's: a vote sent with it is taken.
    token = CSRF_META.search(kept).group(1)
    assert re.search(rf'name="csrf_token" value="{re.escape(token)}"', kept)
    vote = lea.post(f"/arguments/{world.argument}/vote", data={"value": "1", "csrf_token": token})
    assert vote.status_code == 303
    assert "Score 1" in page(lea, world.thread_url)
    # mia reads the same thread: her own page, her name, her own token.
    theirs = page(mia, world.thread_url)
    assert "Signed in as <strong>mia</strong>" in theirs
    assert "<strong>lea</strong>" not in theirs
    assert CSRF_META.search(theirs).group(1) != token


def test_a_member_made_moderator_sees_the_moderators_tools_at_once(world, make_user):
    lea = make_user("lea")
    reader = signed_in(world.app, "lea")
    assert "Hide argument" not in page(reader, world.thread_url)
    page(reader, world.thread_url)  # kept now
    result = world.app.test_cli_runner().invoke(args=["forum", "set-role", str(lea.id), "moderator"])
    assert result.exit_code == 0, result.output
    assert "Hide argument" in page(reader, world.thread_url)


def test_a_device_signed_out_by_a_password_change_gets_the_readers_page_at_once(world, make_user):
    make_user("lea")
    laptop, phone = signed_in(world.app, "lea"), signed_in(world.app, "lea")
    for _ in range(2):
        assert "Signed in as <strong>lea</strong>" in page(laptop, world.thread_url)  # kept the second time
    changed = phone.submit("/account/password", {
        "current_password": PASSWORD, "new_password": "a new and longer passphrase",
        "confirm": "a new and longer passphrase",
    })
    assert changed.status_code == 302
    after = page(laptop, world.thread_url)
    assert "Signed in as" not in after
    assert "Sign in to vote" in after
    assert "Signed in as <strong>lea</strong>" in page(phone, world.thread_url)


def test_a_revoked_token_is_refused_at_once_though_its_json_was_kept(world, make_user):
    make_user("lea")
    client, secret = new_client(world.app), token(world.app, "lea")
    url, headers = f"/api/v1/blocks/{world.block}/arguments", {"Authorization": f"Bearer {secret}"}
    for _ in range(2):
        assert client.get(url, headers=headers).status_code == 200
    assert client.delete("/api/v1/tokens/current", headers=headers).status_code == 200
    refused = client.get(url, headers=headers)
    assert refused.status_code == 401
    assert "error" in refused.json
    unknown = client.get(url, headers={"Authorization": "Bearer not-a-token"})
    assert unknown.status_code == 401


def test_a_members_own_vote_shows_in_their_kept_json_and_nobody_elses(world, make_user):
    make_user("lea")
    client = new_client(world.app)
    lea = {"Authorization": f"Bearer {token(world.app, 'lea')}"}
    rita = {"Authorization": f"Bearer {token(world.app, 'rita')}"}
    url = f"/api/v1/blocks/{world.block}/arguments"
    for headers in (lea, rita, {}):
        client.get(url, headers=headers)  # each kept now
    voted = client.put(f"/api/v1/arguments/{world.argument}/vote", json={"value": 1}, headers=lea)
    assert voted.status_code == 200
    votes_seen = {}
    for name, headers in (("lea", lea), ("rita", rita), ("anonymous", {})):
        response = client.get(url, headers=headers)
        assert "Authorization" in response.headers["Vary"]
        votes_seen[name] = [(a["score"], a["my_vote"]) for a in response.json["arguments"]]
    assert votes_seen == {"lea": [(1, 1)], "rita": [(1, 0)], "anonymous": [(1, 0)]}


def test_a_session_carried_to_another_browser_is_left_to_flask_logins_protection(world, make_user):
    world.app.config["SESSION_PROTECTION"] = "strong"
    make_user("lea")
    reader = signed_in(world.app, "lea")
    for _ in range(2):
        assert "Signed in as <strong>lea</strong>" in page(reader, world.thread_url)
    # The same cookie from another browser: Flask-Login ends the session rather than load lea.
    elsewhere = reader.get(world.thread_url, headers={"User-Agent": "another browser/1.0"})
    assert elsewhere.status_code == 200
    assert "Signed in as" not in elsewhere.get_data(as_text=True)


@pytest.mark.parametrize("with_session", [False, True], ids=["before the app", "in the app"])
def test_a_reader_whose_browser_takes_gzip_gets_the_kept_page_compressed(world, with_session):
    reader = new_client(world.app)
    if with_session:
        reader.get("/login")  # a session cookie: the request goes through Flask, not the WSGI fast path
        page(reader, world.thread_url)
    plain = reader.get(world.thread_url)
    gzip_headers = {"Accept-Encoding": "gzip, deflate, br"}
    compressed = reader.get(world.thread_url, headers=gzip_headers)
    assert "Content-Encoding" not in plain.headers
    assert compressed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(compressed.get_data()) == plain.get_data()
    assert int(compressed.headers["Content-Length"]) == len(compressed.get_data()) < len(plain.get_data()) / 2
    # One page in two encodings: one weak validator, and caches told that the encoding matters.
    assert compressed.headers["ETag"] == plain.headers["ETag"]
    assert compressed.headers["ETag"].startswith('W/"')
    assert "Accept-Encoding" in compressed.headers["Vary"]
    again = reader.get(world.thread_url, headers={**gzip_headers, "If-None-Match": plain.headers["ETag"]})
    assert again.status_code == 304
    rita_votes_up(world)
    changed = reader.get(world.thread_url, headers=gzip_headers)  # rendered afresh, and compressed as it is kept
    assert changed.headers["Content-Encoding"] == "gzip"
    assert "Score 1" in gzip.decompress(changed.get_data()).decode()
    assert "Score 1" in gzip.decompress(reader.get(world.thread_url, headers=gzip_headers).get_data()).decode()


def test_a_members_kept_page_goes_gzip_compressed_with_this_requests_own_token(world, make_user):
    make_user("lea")
    lea = signed_in(world.app, "lea")
    gzip_headers = {"Accept-Encoding": "gzip, deflate, br"}
    first = lea.get(world.thread_url, headers=gzip_headers)  # a miss: rendered, kept, and sent compressed
    assert first.headers["Content-Encoding"] == "gzip"
    assert "Signed in as <strong>lea</strong>" in gzip.decompress(first.get_data()).decode()
    kept = lea.get(world.thread_url, headers=gzip_headers)
    body = kept.get_data()
    assert kept.headers["Content-Encoding"] == "gzip"
    assert int(kept.headers["Content-Length"]) == len(body)
    assert {"Cookie", "Accept-Encoding"} <= set(kept.headers["Vary"].split(", "))
    assert kept.headers["Cache-Control"] == "private, no-store" and "ETag" not in kept.headers
    shown = gzip.decompress(body).decode()
    token = CSRF_META.search(shown).group(1)
    # Exactly the page rendered afresh for this member, this request's token in every place a token stands.
    fresh = page_rendered_afresh(lea, world.thread_url)
    assert shown == fresh.replace(CSRF_META.search(fresh).group(1), token)
    assert TOKENS.findall(shown) and all(found == token for found in TOKEN_VALUES.findall(shown))
    plain = lea.get(world.thread_url)  # a client without gzip: the page as it is
    assert "Content-Encoding" not in plain.headers
    assert plain.get_data(as_text=True) == shown.replace(token, CSRF_META.search(plain.get_data(as_text=True)).group(1))
    assert len(body) < len(plain.get_data()) / 2
    vote = lea.post(f"/arguments/{world.argument}/vote", data={"value": "1", "csrf_token": token})
    assert vote.status_code == 303
    assert "Score 1" in gzip.decompress(lea.get(world.thread_url, headers=gzip_headers).get_data()).decode()


def page_rendered_afresh(client, url: str) -> str:
    """The page as rendered now for this client, past every kept copy."""
    response = client.get(url, environ_overrides={RENDER_FRESH: True})
    assert response.status_code == 200 and "Content-Encoding" not in response.headers
    return response.get_data(as_text=True)


@pytest.mark.parametrize("with_session", [False, True], ids=["before the app", "in the app"])
def test_the_first_answer_to_a_browser_taking_gzip_is_compressed_too(world, with_session):
    url = world.thread_url
    reader = new_client(world.app)
    if with_session:
        reader.get("/login")  # a session cookie: the request goes through Flask, not the WSGI fast path
        page(reader, world.article_url)  # the session's token is made: later pages set no cookie
    first = reader.get(url, headers={"Accept-Encoding": "gzip"})  # a miss: rendered now
    assert first.status_code == 200
    assert first.headers["Content-Encoding"] == "gzip"
    assert int(first.headers["Content-Length"]) == len(first.get_data())
    assert "Accept-Encoding" in first.headers["Vary"] and first.headers["ETag"].startswith('W/"')
    plain = reader.get(url)  # kept: sent as it is to a client that does not take gzip
    assert "Content-Encoding" not in plain.headers
    assert gzip.decompress(first.get_data()) == plain.get_data()
    assert plain.headers["ETag"] == first.headers["ETag"]
    again = reader.get(url, headers={"Accept-Encoding": "gzip"})
    assert again.headers["Content-Encoding"] == "gzip" and again.get_data() == first.get_data()


def test_without_a_store_answers_go_out_as_rendered(world, database_url):
    """With no store nothing is compressed once and kept: compressing every answer is the front server's job."""
    app = create_app({"TESTING": True, "SECRET_KEY": "test secret", "FORUM_DATABASE_URL": database_url,
                      "FORUM_CACHE_URL": "none://"})
    response = new_client(app).get(world.thread_url, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200 and "Content-Encoding" not in response.headers
    assert "The toll rose twice" in response.get_data(as_text=True)
    app.extensions["forum"].dispose()


@pytest.mark.parametrize("kind", ["page", "json"])
def test_the_fast_path_answers_with_the_headers_the_app_gives(world, kind):
    url = world.thread_url if kind == "page" else f"/api/v1/blocks/{world.block}/arguments"
    rendered = new_client(world.app).get(url)  # a miss: the app renders and keeps it
    with statements(world.app) as seen:
        kept = new_client(world.app).get(url)  # no cookie: answered before Flask runs
    assert len(seen) == 1
    assert kept.get_data() == rendered.get_data()
    for header in ("Content-Type", "ETag", "Cache-Control", "Vary", "Content-Security-Policy",
                   "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy"):
        assert kept.headers[header] == rendered.headers[header], header
    assert kept.headers["X-Request-ID"] != rendered.headers["X-Request-ID"]


def test_the_fast_paths_headers_follow_the_scheme_and_a_policy_changed_while_serving(world):
    """The fast path builds its fixed headers once, but by scheme and content policy: neither is answered stale."""
    reader = new_client(world.app)
    assert page(reader, world.thread_url)  # rendered and kept
    plain = reader.get(world.thread_url)
    assert "Strict-Transport-Security" not in plain.headers
    secure = reader.get(world.thread_url, base_url="https://forum.example")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    world.app.config["FORUM_CONTENT_SECURITY_POLICY"] = "default-src 'self'; img-src *"
    try:
        with statements(world.app) as seen:
            changed = reader.get(world.thread_url)
        assert len(seen) == 1  # still the fast path's one read
        assert changed.headers["Content-Security-Policy"] == "default-src 'self'; img-src *"
    finally:
        world.app.config["FORUM_CONTENT_SECURITY_POLICY"] = None
    assert reader.get(world.thread_url).headers["Content-Security-Policy"] == plain.headers["Content-Security-Policy"]


def test_a_renamed_members_new_name_shows_on_every_kept_page_that_names_them(world, uncached_app):
    """A host user's new display name reaches the forum on their next write: the pages naming them move."""
    with world.app.app_context():
        session, moe = as_member(world, "moe")
        consensus.set_consensus(session, world.block, moe, status="refuted", note="Checked.", version=0)
        session.commit()
    reader = new_client(world.app)
    article_json = f"/api/v1/articles/{world.article}"
    thread_json = f"/api/v1/blocks/{world.block}/arguments"
    kept = {url: page(reader, url) for url in (article_json, thread_json, world.thread_url)}

    def set_by(article: dict) -> str:
        [thread] = [block["thread"] for block in article["blocks"] if block["id"] == world.block]
        return thread["consensus"]["set_by"]["name"]

    assert set_by(json.loads(kept[article_json])) == "moe"

    with world.app.app_context():
        session = get_session()
        members.ensure_member(session, str(world.moe.id), "Moe Tanaka")
        members.ensure_member(session, str(world.mia.id), "Mia Rossi")
        session.commit()

    article = json.loads(page(reader, article_json))
    assert article == json.loads(page(uncached_app.test_client(), article_json))
    assert set_by(article) == "Moe Tanaka"
    [argument] = json.loads(page(reader, thread_json))["arguments"]
    assert argument["author"]["name"] == "Mia Rossi"
    assert '>Mia Rossi</a></strong>' in page(reader, world.thread_url)


# Writes whose pages other tests read, cached and (in verify mode) afresh: where each is checked.
CHECKED_ELSEWHERE = {
    "forum.accept_citation": "test_citations.py", "forum.api.accept_citation": "test_citations.py",
    "forum.unpublish_article": "test_unpublishing.py",
    "forum.remove_member": "test_a_removal_from_the_members_page_takes_back_votes_on_kept_pages",
    "forum.api.remove_member": "test_a_removal_through_the_api_takes_back_votes_on_kept_pages",
    "forum.api.unpublish_article": "test_unpublishing.py",
    "forum.flag_argument": "test_pages_moderation.py", "forum.api.flag_argument": "test_api_moderation.py",
    "forum.change_role": "test_a_member_made_moderator_sees_the_moderators_tools_at_once",
    "forum.api.set_member_role": "test_a_member_made_moderator_sees_the_moderators_tools_at_once",
    "forum_accounts.change_password": "test_a_device_signed_out_by_a_password_change_gets_the_readers_page_at_once",
    "forum.api.revoke_current_token": "test_a_revoked_token_is_refused_at_once_though_its_json_was_kept",
    # Ends sessions as a password change does (the same `sign_out_everywhere`).
    "forum_accounts.reset_password": "test_mail.py: test_a_forgotten_password_is_reset_from_the_mail",
    "forum.api.revise_article": "test_revisions_web.py", "forum.attach_thread": "test_revisions_web.py",
    "import": "test_cli_import.py", "load-discussion": "test_demo_discussion.py",
    "restore": "test_backup.py (into an empty database only)", "set-role": "test_cli.py",
    "forum.mark_notifications_read": "test_notifications_web.py (the bell in kept pages)",
    "forum.api.mark_read": "test_notifications_web.py (the bell in kept pages)",
    "forum.watch_thread": "test_notifications_web.py (the watch form in kept pages)",
    "forum.api.watch_thread": "test_notifications_web.py (the watch form in kept pages)",
    "forum.watch_article": "test_notifications_web.py (the watch form in kept pages)",
    "forum.api.watch_article": "test_notifications_web.py (the watch form in kept pages)",
}
# Writes that change no page's data: who is signed in, tokens, a preview, and answers to no route.
NO_PAGE_DATA = {
    "forum.api.create_token", "forum.api.preview", "forum.api.no_such_route", "forum_accounts.login",
    "forum_accounts.logout", "forum_accounts.register", "create-token", "create-user", "export", "db",
    # Mail: the outbox, addresses, digest settings and their times are on no page.
    "forum_accounts.request_password_reset", "forum_accounts.mail_settings", "forum.unsubscribe", "send-mail",
    "export-article",
}


def test_every_write_of_the_url_map_and_the_command_line_is_checked_against_the_cache(app):
    """The writes above are the app's own: every POST, PUT, PATCH and DELETE route and every command is
    in WRITES, checked elsewhere, or changes no page's data; a new one fails here until it is placed."""
    adapter = app.url_map.bind("localhost")
    covered = set()
    for write, *_ in WRITES.values():
        if hasattr(write, "route"):
            method, path = write.route
            covered.add(adapter.match(path.format(block=1, argument=1, article=1, flag=1), method)[0])
        else:
            covered.add(write.command)
    routes = {r.endpoint for r in app.url_map.iter_rules() if r.methods & {"POST", "PUT", "PATCH", "DELETE"}}
    commands = set(app.cli.commands["forum"].commands)
    unplaced = (routes | commands) - covered - set(CHECKED_ELSEWHERE) - NO_PAGE_DATA
    assert not unplaced, f"writes no cache test checks: {sorted(unplaced)}"
    assert not (set(CHECKED_ELSEWHERE) | NO_PAGE_DATA) - routes - commands, "placed writes that no longer exist"
