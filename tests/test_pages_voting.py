"""Voting on the thread page: buttons that say what they do, a form post without JavaScript, a fragment for htmx.

The buttons submit the page's one form (which holds the CSRF token once) to their argument's vote.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from forum.db import get_session
from forum.models import Argument, Block, Vote
from forum.views import vote_widget
from tests.articles import make_article

UP = "Vote up: this argument is convincing"
DOWN = "Vote down: this argument is not convincing"
HTMX = {"HX-Request": "true"}


@pytest.fixture
def thread(app, client, make_user):
    """A thread with one argument by `bob`, and bob's API token."""
    ids = make_article(app)
    bob = make_user("bob")
    token = client.post("/api/v1/tokens", json={"username": "bob", "password": bob.password}).json["token"]
    made = client.api(
        "POST", f"/api/v1/blocks/{ids['block1']}/arguments",
        {"stance": "counter", "body": "Twice, not three times."}, token=token,
    ).json
    return {"block": ids["block1"], "argument": made["id"], "token": token, "bob": bob}


def text(response) -> str:
    return response.get_data(as_text=True)


def widget(page: str, argument: int) -> str:
    """The vote widget of one argument, cut out of a page or a fragment."""
    start = page.index(f'<div class="vote" id="vote-{argument}">')
    return page[start : page.index("</div>", start)]


def button(html: str, which: str, argument: int) -> dict[str, str]:
    """The attributes and the accessible name of the up or down button."""
    match = re.search(rf'<button ([^>]*id="vote-{which}-{argument}"[^>]*)>(.*?)</button>', html, re.DOTALL)
    assert match, f"no {which} button"
    attributes = dict(re.findall(r'([\w-]+)="([^"]*)"', match.group(1)))
    name = re.search(r'<span class="visually-hidden">([^<]*)</span>', match.group(2)).group(1)
    return {**attributes, "name": name}


def stored(app, argument: int) -> tuple[int, int, int, int]:
    """The argument's counters and its number of vote rows, as the database has them."""
    with app.app_context():
        session = get_session()
        row = session.get(Argument, argument)
        rows = session.scalar(sa.select(sa.func.count()).select_from(Vote).where(Vote.argument_id == argument))
        return row.score, row.up, row.down, rows


def vote(client, argument: int, value, query: str = "", **kwargs):
    return client.submit(f"/arguments/{argument}/vote{query}", {"value": str(value)}, **kwargs)


def test_a_member_sees_buttons_that_say_what_they_do(client, thread, as_member):
    page = text(client.get(f"/blocks/{thread['block']}"))
    html = widget(page, thread["argument"])
    up, down = button(html, "up", thread["argument"]), button(html, "down", thread["argument"])
    assert (up["name"], up["aria-pressed"], up["value"]) == (UP, "false", "1")
    assert (down["name"], down["aria-pressed"], down["value"]) == (DOWN, "false", "-1")
    assert (up["form"], up["formaction"]) == ("page-form", f"/arguments/{thread['argument']}/vote")
    assert (down["form"], down["formaction"]) == ("page-form", f"/arguments/{thread['argument']}/vote")
    # The token is the page's form's, written once, not the widget's.
    assert 'name="csrf_token"' not in html
    page_form = re.search(r'<form id="page-form" method="post" hidden>(.*?)</form>', page).group(1)
    assert page_form.startswith('<input type="hidden" name="csrf_token" value="')
    assert "Score 0" in html and "(0 up, 0 down)" in html
    assert page.count('id="vote-news" role="status"') == 1


def test_the_author_sees_the_counts_without_buttons(client, thread, login):
    login(thread["bob"])
    html = widget(text(client.get(f"/blocks/{thread['block']}")), thread["argument"])
    assert "Score 0" in html and "<button" not in html and "Sign in to vote" not in html


def test_anonymous_readers_see_the_counts_and_are_invited_to_sign_in(client, thread):
    html = widget(text(client.get(f"/blocks/{thread['block']}?sort=new")), thread["argument"])
    assert "Score 0" in html and "<button" not in html
    back = quote(f"/blocks/{thread['block']}?sort=new#argument-{thread['argument']}")
    assert f'<a href="/login?next={back}">Sign in to vote</a>' in html


def test_a_vote_without_javascript_comes_back_to_the_argument(client, app, thread, as_member):
    argument = thread["argument"]
    response = vote(client, argument, 1)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/blocks/{thread['block']}#argument-{argument}"
    assert stored(app, argument) == (1, 1, 0, 1)
    html = widget(text(client.get(f"/blocks/{thread['block']}")), argument)
    up, down = button(html, "up", argument), button(html, "down", argument)
    assert (up["name"], up["aria-pressed"], up["value"]) == ("Take back your up-vote", "true", "0")
    assert (down["name"], down["aria-pressed"], down["value"]) == (DOWN, "false", "-1")
    assert "Score 1" in html and "(1 up, 0 down)" in html


def test_pressing_your_vote_again_takes_it_back(client, app, thread, as_member):
    argument = thread["argument"]
    vote(client, argument, -1)
    html = widget(text(client.get(f"/blocks/{thread['block']}")), argument)
    down = button(html, "down", argument)
    assert (down["name"], down["aria-pressed"], down["value"]) == ("Take back your down-vote", "true", "0")
    assert stored(app, argument) == (-1, 0, 1, 1)
    assert vote(client, argument, down["value"]).status_code == 303
    assert stored(app, argument) == (0, 0, 0, 0)
    html = widget(text(client.get(f"/blocks/{thread['block']}")), argument)
    assert button(html, "down", argument)["aria-pressed"] == "false" and "Score 0" in html


def test_the_thread_keeps_its_sort_after_a_vote(client, thread, as_member):
    argument = thread["argument"]
    html = widget(text(client.get(f"/blocks/{thread['block']}?sort=top")), argument)
    assert button(html, "up", argument)["formaction"] == f"/arguments/{argument}/vote?sort=top"
    response = vote(client, argument, 1, "?sort=top")
    assert response.headers["Location"] == f"/blocks/{thread['block']}?sort=top#argument-{argument}"


def test_htmx_gets_only_the_widget_with_the_new_counts(client, app, thread, as_member):
    argument = thread["argument"]
    response = vote(client, argument, 1, headers=HTMX)
    assert response.status_code == 200
    fragment = text(response)
    assert fragment.lstrip().startswith(f'<div class="vote" id="vote-{argument}">')
    assert "<html" not in fragment and "<main" not in fragment
    html = widget(fragment, argument)
    assert button(html, "up", argument)["aria-pressed"] == "true"
    assert button(html, "down", argument)["aria-pressed"] == "false"
    assert "Score 1" in html and "(1 up, 0 down)" in html
    assert '<p id="vote-news" hx-swap-oob="innerHTML">Your up-vote is counted. Score 1.</p>' in fragment
    assert stored(app, argument) == (1, 1, 0, 1)
    fragment = text(vote(client, argument, 0, headers=HTMX))
    assert button(widget(fragment, argument), "up", argument)["aria-pressed"] == "false"
    assert "Your vote is taken back. Score 0." in fragment
    assert stored(app, argument) == (0, 0, 0, 0)


def test_the_widget_after_a_vote_is_the_template_s_own_whatever_the_vote_and_sort(client, app, thread, as_member):
    """The answer is filled in from a kept render of the template: it must be what the template renders."""
    argument = thread["argument"]
    steps = [(1, ""), (-1, "?sort=top"), (-1, "?sort=new"), (0, ""), (1, "?sort=nonsense"), (0, "?sort=top")]

    def answers():
        return [text(vote(client, argument, value, query, headers=HTMX)) for value, query in steps]

    kept = answers()
    app.jinja_env.auto_reload = True  # where templates reload, each answer is rendered by the template
    try:
        rendered = answers()
    finally:
        app.jinja_env.auto_reload = False
    assert kept == rendered
    assert f'formaction="/arguments/{argument}/vote?sort=top"' in kept[1]
    assert "Your down-vote is counted. Score -1." in kept[2] and "(0 up, 1 down)" in kept[2]


def test_made_up_hosts_share_the_kept_widget_rather_than_churn_it(client, app, thread, as_member):
    """Links in the widget are relative: a Host header, which a client writes as it likes, is no part of its shape."""
    argument = thread["argument"]
    session = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    answers = []
    for n in range(20):
        client.set_cookie(session.key, session.value, domain=f"h{n}.example")  # the member's cookie, copied
        answers.append(text(vote(client, argument, 1, headers={**HTMX, "Host": f"h{n}.example"})))
    assert all("Score 1" in answer and "(1 up, 0 down)" in answer for answer in answers)
    assert len(vote_widget._kept[app]) == 1


def lock(app, thread):
    with app.app_context():
        session = get_session()
        session.get(Block, thread["block"]).locked = True
        session.commit()


def hide(app, thread):
    with app.app_context():
        session = get_session()
        session.get(Argument, thread["argument"]).hidden = True
        session.commit()


def withdraw(app, thread):
    response = app.test_client().delete(
        f"/api/v1/arguments/{thread['argument']}", headers={"Authorization": f"Bearer {thread['token']}"}
    )
    assert response.status_code == 200


@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
@pytest.mark.parametrize(
    "who, setup, status, message",
    [
        ("author", None, 403, "You cannot vote on your own argument."),
        ("member", lock, 403, "This thread is locked: it takes no votes."),
        ("member", hide, 403, "A hidden argument takes no votes."),
        ("member", withdraw, 409, "A withdrawn argument takes no votes."),
        ("anonymous", None, 401, "Sign in to do this."),
    ],
    ids=["own", "locked", "hidden", "withdrawn", "anonymous"],
)
def test_refused_votes_store_nothing(client, app, thread, make_user, login, htmx, who, setup, status, message):
    if who == "author":
        login(thread["bob"])
    elif who == "member":
        login(make_user("mia"))
    if setup:
        setup(app, thread)
    argument = thread["argument"]
    response = vote(client, argument, 1, headers=HTMX if htmx else {})
    assert response.status_code == status
    page = text(response)
    assert message in page.replace("&#39;", "'")
    if htmx:
        assert "<html" not in page
        html = widget(page, argument)
        assert f'<p class="vote-error">{message}</p>' in html.replace("&#39;", "'")
        assert "<button" not in html
        assert ("Sign in to vote" in html) == (who == "anonymous")
    else:
        assert "<h1>That did not work</h1>" in page
    assert stored(app, argument) == (0, 0, 0, 0)


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["form", "htmx"])
def test_a_vote_without_the_csrf_token_is_refused(client, app, thread, as_member, headers):
    response = client.post(f"/arguments/{thread['argument']}/vote", data={"value": "1"}, headers=headers)
    assert response.status_code == 400
    assert stored(app, thread["argument"]) == (0, 0, 0, 0)


@pytest.mark.parametrize("value", ["2", "up", "", "+1", " 1", "\u0661", "9" * 5_000])
def test_a_vote_is_one_minus_one_or_nothing(client, app, thread, as_member, value):
    response = vote(client, thread["argument"], value)
    assert response.status_code == 422 and "A vote is 1, -1, or 0" in text(response)
    assert stored(app, thread["argument"]) == (0, 0, 0, 0)


def test_a_vote_on_no_argument_is_not_found(client, thread, as_member):
    assert vote(client, 9999, 1).status_code == 404
    assert vote(client, 9999, 1, headers=HTMX).status_code == 404


def test_votes_from_the_page_count_against_the_vote_limit(client, app, thread, as_member):
    app.config["FORUM_RATELIMIT_VOTE"] = "2 per hour"
    statuses = [vote(client, thread["argument"], value).status_code for value in (1, -1, 0)]
    assert statuses == [303, 303, 429]
    assert stored(app, thread["argument"]) == (-1, 0, 1, 1)
