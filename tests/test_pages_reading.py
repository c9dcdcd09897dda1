"""Reading pages: the home list, an article paragraph by paragraph, and a paragraph's thread."""

from __future__ import annotations

import datetime
import re

import pytest

from forum.db import get_session
from forum.importing import ParsedArticle, ParsedBlock, Reference
from forum.models import Argument, Block, CitationSlot
from forum.services import arguments, members
from tests.articles import make_article, plant

ARTICLE = ParsedArticle(
    title="Night Buses Should Run All Year",
    date=datetime.date(2024, 5, 2),
    blocks=[
        ParsedBlock("caption", "Pictured: the last bus leaves the depot at 00:40.", []),
        ParsedBlock("paragraph", "Ridership doubled after the trial began.[1] The council ignores it.[2]", [1, 2]),
        ParsedBlock("heading", "Who rides at night", []),
        ParsedBlock("paragraph", "Most riders are nurses & cleaners <on shifts>.[2][3]", [2, 3]),
        ParsedBlock("quote", "A city that sleeps still needs to get home.", []),
        ParsedBlock("list", "- Nurses\n- Cleaners\n- Bakers", []),
    ],
    references={
        1: Reference(1, "Transit board report, 2023", "https://transit.example/report"),
        3: Reference(3, "Shift workers survey", None),
    },
)


@pytest.fixture
def ids(app):
    return make_article(app, ARTICLE)


def argue(app, block_id, body="It is wrong.", stance="counter", author="rita", parent=None, sources=()):
    """Post an argument straight through the service; returns its id."""
    with app.app_context():
        session = get_session()
        member = members.ensure_member(session, f"user-{author}", author)
        argument = arguments.post_argument(
            session, session.get(Block, block_id), member,
            stance=stance, body=body, parent_id=parent, sources=list(sources),
        )
        session.commit()
        return argument.id


def change(app, model, id_, **values):
    """Set columns of one row directly, for states no page of this issue makes (votes, hiding, locks).

    Like every write, it moves the page version of the thread it touches (`forum.caching.invalidation`).
    """
    with app.app_context():
        session = get_session()
        row = session.get(model, id_)
        for name, value in values.items():
            setattr(row, name, value)
        session.commit()


def text(response) -> str:
    return response.get_data(as_text=True)


def article_url(client, article_id) -> str:
    return client.get(f"/articles/{article_id}").headers["Location"]


def test_home_lists_articles_with_their_summary(client, app, ids):
    argue(app, ids["block1"])
    argue(app, ids["block3"], stance="support", sources=[arguments.SourceInput("https://a.example", citation=3)])
    page = text(client.get("/"))
    link = f'<a href="/articles/{ids["article"]}/night-buses-should-run-all-year">Night Buses Should Run All Year</a>'
    assert link in page
    assert "5 threads" in page
    assert "2 arguments" in page
    # [2] and [3] are open: [1] has a URL; a member's source for [3] waits for a moderator's acceptance.
    assert "2 open citation slots" in page
    assert '<time datetime="2024-05-02">2 May 2024</time>' in page


def test_home_without_articles(client):
    assert "No articles yet" in text(client.get("/"))


def test_article_redirects_to_its_slug(client, ids):
    response = client.get(f"/articles/{ids['article']}")
    assert response.status_code == 301
    assert response.headers["Location"] == f"/articles/{ids['article']}/night-buses-should-run-all-year"
    wrong = client.get(f"/articles/{ids['article']}/old-title")
    assert wrong.status_code == 301 and wrong.headers["Location"] == response.headers["Location"]
    assert client.get(response.headers["Location"]).status_code == 200


@pytest.mark.parametrize("path", ["/articles/999", "/articles/999/anything", "/blocks/999", "/articles/x"])
def test_unknown_pages_are_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "<h1>" in text(response)


def test_article_shows_sections_kinds_and_summaries(client, app, ids):
    argue(app, ids["block1"])
    argue(app, ids["block1"], stance="question", author="sam")
    change(app, Block, ids["block3"], consensus_status="needs_sources", locked=True)
    page = text(client.get(article_url(client, ids["article"])))
    assert "<h1" in page and "Night Buses Should Run All Year</h1>" in page
    assert '<time datetime="2024-05-02">2 May 2024</time>' in page
    assert re.search(r"<h2 id=\"section-\d+\">Who rides at night</h2>", page)
    assert '<p class="block-text kind-caption">Pictured: the last bus' in page
    assert '<blockquote class="block-text kind-quote"><p>A city that sleeps' in page
    assert "<li>Nurses</li><li>Cleaners</li><li>Bakers</li>" in page
    first = page[page.index(f'id="block-{ids["block1"]}"'):page.index(f'id="block-{ids["block3"]}"')]
    assert "<strong>1</strong> counter" in first and "<strong>1</strong> question" in first
    assert "<strong>0</strong> support" in first
    # The margin shows the moderators' verdict (none yet: open) and plain counts, never a label of its own
    # worked out from them: one counterargument does not make a paragraph "Contested".
    assert 'consensus-open">Open</span>' in first and f'href="/blocks/{ids["block1"]}"' in first
    assert "Contested" not in first and "contest-" not in page
    third = page[page.index(f'id="block-{ids["block3"]}"'):]
    assert 'consensus-needs_sources">Needs sources</span>' in third
    assert "Locked" in third
    assert "Not argued yet" not in third and "Unchallenged" not in page


def test_article_text_is_escaped(client, ids):
    page = text(client.get(article_url(client, ids["article"])))
    assert "nurses &amp; cleaners &lt;on shifts&gt;." in page
    assert "<on shifts>" not in page


def test_citation_markers_link_filled_and_open_slots(client, ids):
    page = text(client.get(article_url(client, ids["article"])))
    assert re.search(r'<a href="#cite-1" title="Transit board report, 2023 — https://transit.example/report">\[1\]</a>', page)
    # [2] has no reference at all: it invites a source in the first thread that cites it.
    open_two = f'<a href="/blocks/{ids["block1"]}#post" title="Source missing — propose one">[2]'
    assert page.count(open_two) == 2
    assert "source missing — propose one" in page
    # [3] has a reference text but no URL: still open, and invites one in its own thread.
    assert f'<a href="/blocks/{ids["block3"]}#post" title="Source missing — propose one">[3]' in page
    assert 'id="cite-1"' in page and 'id="cite-2"' in page and 'id="cite-3"' in page
    footnote_three = page[page.index('id="cite-3"'):]
    assert "Shift workers survey" in footnote_three and "Source missing" in footnote_three


def test_only_web_addresses_become_links(client, app):
    parsed = ParsedArticle(
        title="Links",
        date=None,
        blocks=[ParsedBlock("paragraph", "A claim.[1]", [1])],
        references={1: Reference(1, "A trap", "https://fine.example/")},
    )
    ids = make_article(app, parsed)
    # An import refuses such a link now; one stored before that is still only shown.
    plant(app, CitationSlot.url, "javascript:alert(1)")
    page = text(client.get(article_url(client, ids["article"])))
    assert 'href="javascript:' not in page
    assert "javascript:alert(1)" in page  # shown as text, not as a link


def test_a_members_source_is_listed_under_the_slot_it_proposes_and_leaves_it_open(client, app, ids):
    argue(app, ids["block3"], sources=[arguments.SourceInput("https://survey.example/2024", citation=2)])
    page = text(client.get(article_url(client, ids["article"])))
    assert f'<a href="/blocks/{ids["block1"]}#post" title="Source missing — propose one">[2]' in page
    footnote = page[page.index('id="cite-2"'):page.index('id="cite-3"')]
    assert "Source missing" in footnote and "Proposed by members, waiting for a moderator" in footnote
    assert '<a href="https://survey.example/2024" rel="nofollow ugc noopener">https://survey.example/2024</a>' in footnote
    assert "Accept" not in footnote  # readers see the proposal, not the moderators' button


def test_thread_shows_the_paragraph_with_its_neighbours(client, ids):
    response = client.get(f"/blocks/{ids['block3']}")
    assert response.status_code == 200
    page = text(response)
    assert "Most riders are nurses &amp; cleaners" in page
    # Named by its place among the threads and its first words, so that threads tell apart; its section
    # is in the breadcrumb.
    words = "Most riders are nurses &amp; cleaners &lt;on shifts&gt;."
    assert f'<h1 class="thread-title">Paragraph 3<span class="thread-words">: {words}</span></h1>' in page
    assert f"<title>Paragraph 3: {words} · Night Buses Should Run All Year · Test Forum</title>" in page
    assert "<span>Who rides at night</span>" in page[:page.index("<h1")]
    assert f'<a rel="prev" href="/blocks/{ids["block1"]}">← Previous paragraph</a>' in page  # the heading is skipped
    assert f'<a rel="next" href="/blocks/{ids["block4"]}">Next quote →</a>' in page
    assert f'#block-{ids["block3"]}">Back to the article</a>' in page
    assert "Consensus" in page and ">Open</span>" in page


def test_threads_tell_apart_by_their_first_words_and_never_nest_quotes(client, app):
    parsed = ParsedArticle(
        title="The “Free” Bus",
        date=None,
        blocks=[
            ParsedBlock("heading", "What “free” means", []),
            ParsedBlock(
                "paragraph", "“Free” buses cost the city 4 million a year,[1] says the budget office, not 2.", [1]
            ),
            ParsedBlock("paragraph", "Riders pay in time instead: waits doubled.", []),
            ParsedBlock("list", "- Nurses on nights\n- Bakers", []),
        ],
        references={},
    )
    ids = make_article(app, parsed)
    titles = [re.search(r"<title>(.*?)</title>", text(client.get(f"/blocks/{ids[f'block{n}']}"))).group(1)
              for n in (1, 2, 3)]
    assert titles[0].startswith("Paragraph 1: “Free” buses cost the city 4 million a year, says…")
    assert titles[1].startswith("Paragraph 2: Riders pay in time instead: waits doubled. ·")
    assert titles[2].startswith("List 3: Nurses on nights Bakers ·")
    page = text(client.get(f"/blocks/{ids['block1']}"))
    heading = re.search(r'<h1 class="thread-title">(.*?)</h1>', page).group(1)
    assert heading.count("“") == 1 and heading.count("”") == 1  # the text's own quotes, none around them


def test_first_and_last_threads_have_one_neighbour(client, ids):
    first = text(client.get(f"/blocks/{ids['block0']}"))
    assert 'rel="prev"' not in first and f'<a rel="next" href="/blocks/{ids["block1"]}">' in first
    last = text(client.get(f"/blocks/{ids['block5']}"))
    assert 'rel="next"' not in last and 'rel="prev"' in last


def test_a_heading_has_no_thread(client, ids):
    assert client.get(f"/blocks/{ids['block2']}").status_code == 404


def test_thread_shows_arguments_as_a_tree(client, app, ids):
    block = ids["block1"]
    top = argue(app, block, body="The trial was **too short**.", sources=[
        arguments.SourceInput("https://www.transit.example/data", "Ridership data", "doubled in May", 1)
    ])
    reply = argue(app, block, body="Six months is enough.", stance="support", author="sam", parent=top)
    page = text(client.get(f"/blocks/{block}"))
    assert f'id="argument-{top}"' in page and f'href="#argument-{top}"' in page
    assert "<strong>too short</strong>" in page
    assert '<a href="https://www.transit.example/data" rel="nofollow ugc noopener">Ridership data</a>' in page
    assert "(transit.example)" in page and "doubled in May" in page and "proposed for footnote [1]" in page
    assert "rita" in page and "sam" in page
    assert re.search(
        r'<time class="ago" datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00" title="\d{4}-\d\d-\d\d \d\d:\d\d UTC">'
        r"just now</time>", page
    )
    # The reply sits inside its parent's replies.
    parent = page[page.index(f'id="argument-{top}"'):]
    assert parent.index('class="replies"') < parent.index(f'id="argument-{reply}"')
    # A reader's "Reply" asks them to sign in first, and leads on to the composer under the argument.
    assert f'href="/login?next=/blocks/{block}%3Freply_to%3D{top}%23composer-reply-{top}"' in page


def test_deep_branches_fold_into_a_details_box(client, app, ids):
    block = ids["block1"]
    chain = [argue(app, block, body="Level 1")]
    for level in range(2, 7):
        chain.append(argue(app, block, body=f"Level {level}", parent=chain[-1]))
    page = text(client.get(f"/blocks/{block}"))
    box = page[page.index('<details class="deep-replies">'):]
    assert "Show 2 more replies" in box
    assert f'id="argument-{chain[4]}"' in box and f'id="argument-{chain[5]}"' in box
    assert f'id="argument-{chain[3]}"' not in box
    assert f'in reply to <a href="#argument-{chain[4]}">' in box


def test_sort_switch_orders_arguments(client, app, ids):
    block = ids["block1"]
    low = argue(app, block, body="Low")
    high = argue(app, block, body="High")
    change(app, Argument, low, up=0, down=3, score=-3)
    change(app, Argument, high, up=5, down=0, score=5)
    top = text(client.get(f"/blocks/{block}?sort=top"))
    assert top.index(f'id="argument-{high}"') < top.index(f'id="argument-{low}"')
    assert f'<a href="/blocks/{block}?sort=top" aria-current="true">Top</a>' in top
    new = text(client.get(f"/blocks/{block}?sort=new"))
    assert new.index(f'id="argument-{high}"') < new.index(f'id="argument-{low}"')
    change(app, Argument, low, up=9, down=0, score=9)
    top = text(client.get(f"/blocks/{block}?sort=top"))
    assert top.index(f'id="argument-{low}"') < top.index(f'id="argument-{high}"')
    assert client.get(f"/blocks/{block}?sort=nonsense").status_code == 200


def test_withdrawn_arguments_keep_their_replies(client, app, ids):
    block = ids["block1"]
    top = argue(app, block, body="Withdrawn words")
    reply = argue(app, block, body="An answer that stays", author="sam", parent=top)
    change(app, Argument, top, withdrawn_at=datetime.datetime.now(datetime.UTC))
    page = text(client.get(f"/blocks/{block}"))
    assert "Withdrawn by its author." in page
    assert "Withdrawn words" not in page
    assert f'id="argument-{reply}"' in page and "An answer that stays" in page
    assert f"reply_to={top}" not in page and f"reply_to%3D{top}" not in page


def test_a_link_to_reply_to_a_withdrawn_argument_opens_no_reply_and_quotes_nothing(client, app, ids, as_member):
    block = ids["block1"]
    top = argue(app, block, body="Withdrawn words")
    change(app, Argument, top, withdrawn_at=datetime.datetime.now(datetime.UTC))
    page = text(client.get(f"/blocks/{block}?reply_to={top}"))
    assert "Reply to rita" not in page and "Withdrawn by its author." in page
    assert "Withdrawn words" not in page


def test_hidden_arguments_show_their_reason_to_members_and_content_to_moderators(
    client, app, ids, make_user, login
):
    block = ids["block1"]
    hidden = argue(app, block, body="Buy cheap watches")
    change(app, Argument, hidden, hidden=True, hidden_reason="spam")
    login(make_user("mia"))
    page = text(client.get(f"/blocks/{block}"))
    assert "Hidden by a moderator: spam." in page and "Buy cheap watches" not in page
    client.post("/logout", data={"csrf_token": client.csrf_token()})
    login(make_user("moe", role=members.Role.MODERATOR))
    page = text(client.get(f"/blocks/{block}"))
    assert "Hidden by a moderator: spam." in page and "Buy cheap watches" in page
