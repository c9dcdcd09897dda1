"""The search service on both databases: what is found, what is not, for whom, and in which pages."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from forum.db import get_session
from forum.errors import Invalid
from forum.models import Argument, Block, Member, Role, Source
from forum.services import arguments, moderation, publication
from forum.services import search as search_service
from forum.services.search import search
from tests.search_corpus import make_corpus


@pytest.fixture
def corpus(app):
    """The search corpus, imported and argued over."""
    return make_corpus(app)


def found(app, text: str, **options) -> list[tuple[str, int]]:
    """What a search finds, as (kind, id), best first, on one page of 50."""
    with app.app_context():
        page = search(get_session(), text, limit=50, **options)
        return [(result.kind, result.id) for result in page.results]


def test_all_words_must_match_with_stemming(app, corpus):
    args = corpus["arguments"]
    assert ("argument", args[0]) in found(app, "poor drivers")
    assert ("argument", args[0]) not in found(app, "poor cyclists")
    # "taxing", "taxes" and "tax" are one word to the index
    assert {("block", corpus["blocks"][2]), ("article", corpus["articles"][0])} <= set(found(app, "taxes"))


def test_case_and_accents_are_ignored(app, corpus):
    assert ("article", corpus["articles"][1]) in found(app, "CAFE")
    assert ("block", corpus["blocks"][6]) in found(app, "naive")
    assert ("block", corpus["blocks"][4]) in found(app, "café rue")


def test_phrase_or_and_excluded_words(app, corpus):
    blocks = corpus["blocks"]
    assert found(app, '"rent control"', kind="block") == [("block", blocks[5])]
    assert found(app, '"control rent"', kind="block") == []
    assert set(found(app, "dividend OR heating", kind="block")) == {("block", blocks[1]), ("block", blocks[3])}
    assert set(found(app, "energy", kind="block")) == {("block", blocks[7]), ("block", blocks[9])}
    assert found(app, "energy -solar", kind="block") == [("block", blocks[7])]
    assert found(app, 'energy -"wind energy"', kind="block") == [("block", blocks[7])]
    assert found(app, 'energy -"energy wind"', kind="block") != [("block", blocks[7])]
    assert found(app, "energy -energy") == found(app, '"wind energy" -energy') == []


def test_of_many_matches_the_newest_are_ranked(app, corpus, monkeypatch):
    every = found(app, "energy OR rent OR tax OR emissions", kind="argument")
    assert len(every) > 3
    monkeypatch.setattr(search_service, "CANDIDATES", 3)
    newest = sorted((id for _, id in every), reverse=True)[:3]
    assert sorted(id for _, id in found(app, "energy OR rent OR tax OR emissions", kind="argument")) == sorted(newest)


def post(app, block_id: int, body: str, id: int | None = None) -> int:
    """Post an argument on a paragraph (with the id given, if any); its id."""
    with app.app_context():
        session = get_session()
        author = session.scalar(sa.select(Member).where(Member.name == "corin"))
        argument = Argument(id=id, block_id=block_id, author_id=author.id, stance="support", body=body, html="")
        session.add(argument)
        session.commit()
        return argument.id


def test_a_text_using_the_words_more_often_ranks_first(app, corpus):
    block = corpus["blocks"][1]
    once = post(app, block, "Geothermal heat could warm every school in the valley.")
    thrice = post(app, block, "Geothermal wells, geothermal plants, geothermal jobs.")
    assert found(app, "geothermal", kind="argument") == [("argument", thrice), ("argument", once)]


def test_a_phrase_is_looked_for_among_the_newest_holding_its_words(app, corpus, monkeypatch):
    block = corpus["blocks"][1]
    phrase = post(app, block, "Tidal power is steady, unlike the wind.")
    post(app, block, "Power cuts hit the tidal basin villages.")
    post(app, block, "The tidal estuary has no power line yet.")
    assert found(app, '"tidal power"') == [("argument", phrase)]
    # Only the two newest holding both words are candidates: neither has them together.
    monkeypatch.setattr(search_service, "CANDIDATES", 2)
    assert found(app, '"tidal power"') == []
    assert len(found(app, "tidal power")) == 2


def test_the_newest_matches_are_found_however_far_apart_their_ids(app, corpus, monkeypatch):
    # Far enough apart that PostgreSQL's search reads them era after era, and asks for the oldest at last
    # without eras at all.
    block = corpus["blocks"][1]
    ids = [post(app, block, f"Zeppelins could carry freight, case {n}.", id=id)
           for n, id in enumerate([20_001, 1_930_001, 1_965_001, 1_975_001, 1_985_001, 1_995_001, 2_000_003])]
    post(app, block, "Airships are slow.", id=2_000_004)
    assert sorted(id for _, id in found(app, "zeppelin freight", kind="argument")) == ids
    for candidates in range(1, len(ids)):
        monkeypatch.setattr(search_service, "CANDIDATES", candidates)
        assert sorted(id for _, id in found(app, "zeppelin freight", kind="argument")) == ids[-candidates:]


def test_an_argument_moved_to_another_article_is_found_within_that_one(app, corpus):
    moved = corpus["arguments"][0]  # written on the carbon tax article
    with app.app_context():
        session = get_session()
        session.get(Argument, moved).block_id = corpus["blocks"][8]  # a paragraph of the nuclear article
        session.commit()
    assert ("argument", moved) not in found(app, "drivers", article_id=corpus["articles"][0])
    assert ("argument", moved) in found(app, "drivers", article_id=corpus["articles"][2])


def test_an_argument_holding_a_word_too_long_to_index_is_posted_and_found_by_its_other_words(app, corpus):
    # A lexeme holds at most 2,047 bytes: the word fits alone, not with the mark of its era.
    word = "x" * 2046
    with app.app_context():
        session = get_session()
        first = session.get(Argument, corpus["arguments"][0])
        posted = arguments.post_argument(session, first.block, first.author, stance=first.stance,
                                         body=f"Quarantined hedgerows matter {word}")
        session.commit()
        posted_id = posted.id
    assert ("argument", posted_id) in found(app, "quarantined hedgerows")


def test_sources_titles_and_quotes_find_their_argument(app, corpus):
    args = corpus["arguments"]
    assert found(app, "elasticity") == [("argument", args[1])]
    assert found(app, "permits Berlin") == [("argument", args[5])]


def test_headings_are_not_results(app, corpus):
    assert found(app, "energy prices", kind="block") == []


def test_results_carry_place_title_and_marked_snippet(app, corpus):
    with app.app_context():
        page = search(get_session(), "flamanville reactor", kind="argument")
    [result] = page.results
    assert (result.article_id, result.block_id) == (corpus["articles"][2], corpus["blocks"][8])
    assert result.title == "Nuclear Power After Fukushima"
    assert "<mark>Flamanville</mark>'s <mark>reactor</mark>" in str(result.snippet).replace("&#39;", "'")
    assert page.next is None


def test_snippets_escape_what_was_written(app, corpus):
    with app.app_context():
        session = get_session()
        argument = session.get(Argument, corpus["arguments"][2])
        argument.body = "<script>alert(1)</script> markets & emissions"
        session.commit()
        [result] = search(session, "markets emissions", kind="argument").results
    assert "<script>" not in result.snippet
    assert "&lt;script&gt;" in result.snippet and "<mark>markets</mark> &amp; <mark>emissions</mark>" in result.snippet


def test_hidden_and_withdrawn_arguments_are_found_by_moderators_only(app, corpus):
    args = corpus["arguments"]
    with app.app_context():
        session = get_session()
        moderator = Member(user_id="mod", name="moe", role=Role.MODERATOR.value)
        session.add(moderator)
        session.flush()
        moderation.hide(session, args[7], moderator, "off topic")
        author = session.get(Argument, args[9]).author
        arguments.withdraw_argument(session, session.get(Argument, args[9]), author)
        session.commit()
    assert found(app, "uranium") == []
    assert found(app, "uranium", moderator=True) == [("argument", args[7])]
    assert found(app, "storage night") == []
    assert found(app, "storage night", moderator=True) == [("argument", args[9])]


def test_unpublished_articles_are_found_by_nobody(app, corpus):
    with app.app_context():
        session = get_session()
        admin = Member(user_id="admin", name="ada", role=Role.ADMIN.value)
        session.add(admin)
        session.flush()
        publication.unpublish_article(session, corpus["articles"][1], admin, "legal")
        session.commit()
    for moderator in (False, True):
        assert found(app, "rent", moderator=moderator) == []
        assert found(app, "café", moderator=moderator) == []


def test_filter_by_article(app, corpus):
    everywhere = found(app, "emissions")
    kinds = {kind for kind, _ in everywhere}
    assert kinds == {"argument", "block"}
    only_nuclear = found(app, "emissions", article_id=corpus["articles"][2])
    assert only_nuclear == [hit for hit in everywhere if hit in only_nuclear]
    assert set(only_nuclear) == {("block", corpus["blocks"][7]), ("argument", corpus["arguments"][7])}


def test_pages_walk_every_result_once_in_order(app, corpus):
    whole = found(app, "energy OR rent OR tax OR emissions")
    assert len(whole) > 10
    walked, after = [], None
    with app.app_context():
        while True:
            page = search(get_session(), "energy OR rent OR tax OR emissions", limit=3, after=after)
            walked += [(r.kind, r.id) for r in page.results]
            if page.next is None:
                break
            after = page.next
    assert walked == whole


def test_edits_sources_and_deletions_move_the_index(app, corpus):
    args = corpus["arguments"]
    with app.app_context():
        session = get_session()
        session.get(Argument, args[3]).body = "Who shares the windfall?"
        session.get(Block, corpus["blocks"][8]).text = "Reactors take a generation to build."
        session.get(Source, session.scalar(sa.select(Source.id).where(Source.argument_id == args[1]))).title = "Gasoline"
        session.add(Source(argument_id=args[4], url="https://example.org/x", title="Zoning ledger"))
        session.commit()
    assert found(app, "windfall") == [("argument", args[3])]
    assert found(app, "dividend households", kind="argument") == []
    assert found(app, "generation") == [("block", corpus["blocks"][8])]
    assert found(app, "elasticity") == []
    assert found(app, "gasoline") == [("argument", args[1])]
    assert found(app, "zoning") == [("argument", args[4])]
    with app.app_context():
        session = get_session()
        session.delete(session.get(Argument, args[4]))
        session.execute(sa.delete(Source).where(Source.argument_id == args[5]))
        session.commit()
    assert found(app, "zoning") == []
    assert found(app, "permits") == []
    assert found(app, "rent berlin") == [("argument", args[5])]


@pytest.mark.parametrize("text", ["", "the", "-", '"', "-tax", "x" * 501, " ".join(["w"] * 17), "🌍!!"])
def test_queries_with_nothing_to_search_are_refused(app, corpus, text):
    with app.app_context(), pytest.raises(Invalid) as refused:
        search(get_session(), text)
    assert refused.value.field == "q"


@pytest.mark.parametrize("after", ["x", "WzEsMl0", "bnVsbA", "WzEuMCwgInVzZXIiLCAxXQ", "!!!"])
def test_cursors_not_given_by_a_search_are_refused(app, corpus, after):
    with app.app_context(), pytest.raises(Invalid) as refused:
        search(get_session(), "energy", after=after)
    assert refused.value.field == "after"
