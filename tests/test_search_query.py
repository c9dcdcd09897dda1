"""The search syntax, read without a database: what each input asks, and what FTS5 is given for it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forum.errors import Invalid
from forum.search.query import MAX_LENGTH, Term, parse

T = Term


@pytest.mark.parametrize(
    ("text", "groups", "excluded"),
    [
        ("climate tax", [[T(("climate",))], [T(("tax",))]], []),
        ('"carbon tax" dividend', [[T(("carbon", "tax"))], [T(("dividend",))]], []),
        ('"unbalanced phrase', [[T(("unbalanced", "phrase"))]], []),
        ("climate -tax", [[T(("climate",))]], [T(("tax",))]),
        ("a-b", [[T(("a", "b"))]], []),
        ("co2-emissions", [[T(("co2", "emissions"))]], []),
        ("NOT nuclear", [[T(("nuclear",))]], []),
        ("wind OR solar power", [[T(("wind",)), T(("solar",))], [T(("power",))]], []),
        ("OR wind OR", [[T(("wind",))]], []),
        ("wind or solar", [[T(("wind",))], [T(("solar",))]], []),
        ("wind OR -solar", [[T(("wind",))]], [T(("solar",))]),
        ("Café NAÏVE", [[T(("café",))], [T(("naïve",))]], []),
        ("the price of petrol", [[T(("price",))], [T(("petrol",))]], []),
        ('"price of petrol"', [[T(("price", "of", "petrol"))]], []),
        ("tax - rise", [[T(("tax",))], [T(("rise",))]], []),
        ("🌍 energy!!! (now)", [[T(("energy",))]], []),
        ("ﬁnance", [[T(("finance",))]], []),
        ('x"y"z', [[T(("x",))], [T(("y",))], [T(("z",))]], []),
    ],
)
def test_what_a_query_asks(text, groups, excluded):
    query = parse(text)
    assert [list(group) for group in query.groups] == groups
    assert list(query.excluded) == excluded


@pytest.mark.parametrize(("text", "impossible"), [
    ("tax -tax", True), ('"carbon tax" -tax', True), ("rent cap -cap", True), ("tax tax -tax", True),
    ("tax OR fee -tax", False), ('tax -"carbon tax"', False), ("tax -taxes", False), ("climate -tax", False),
])
def test_a_query_excluding_what_it_asks_for_is_known_to_match_nothing(text, impossible):
    assert parse(text).impossible is impossible


def test_words_asked_twice_are_asked_once():
    assert parse("rent rent OR rent -cap -cap") == parse("rent -cap")


def test_fts5_gets_every_term_quoted():
    assert parse('wind OR solar -"coal plant" NOT').fts5() == '(("wind" OR "solar")) NOT "coal plant"'
    assert parse("a-b AND c*").fts5() == '("a b") AND ("c")'


@pytest.mark.parametrize(("text", "loose"), [
    ('"carbon tax" OR rent', '(("carbon" AND "tax") OR "rent")'),
    ('"price of petrol" -"wind energy" -solar', '((("price" AND "petrol"))) NOT "solar"'),
    ('"the end" energy', '("end") AND ("energy")'),
    ("wind OR solar -coal", '(("wind" OR "solar")) NOT "coal"'),
])
def test_the_loose_query_asks_for_a_phrases_words_anywhere_and_leaves_out_excluded_phrases(text, loose):
    # What it finds holds every match of the query itself: the candidates the exact query is checked among.
    assert parse(text).loose.fts5() == loose


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "Type a word"),
        ("   ", "Type a word"),
        ("the of and", "Type a word"),
        ('""', "Type a word"),
        ("-", "Type a word"),
        ("🌍🌍", "Type a word"),
        ("-tax -rise", "Only excluded words"),
        ("x" * (MAX_LENGTH + 1), "at most 500 characters"),
        (" ".join(f"w{n}" for n in range(17)), "at most 16 words"),
    ],
)
def test_queries_that_cannot_be_searched_say_why(text, reason):
    with pytest.raises(Invalid) as refused:
        parse(text)
    assert reason in refused.value.message
    assert refused.value.field == "q"


@given(st.text(max_size=600), st.booleans())
def test_any_text_parses_or_is_refused_and_fts5_sees_only_quoted_words(text, loose):
    try:
        query = parse(text)
    except Invalid:
        return
    expression = (query.loose if loose else query).fts5()
    # Outside the quoted strings, only the operators the forum itself writes.
    outside = expression.split('"')[::2]
    assert all(set(piece.replace("AND", "").replace("OR", "").replace("NOT", "")) <= set("() ") for piece in outside)
    inside = expression.split('"')[1::2]
    assert all(word.isalnum() for piece in inside for word in piece.split())
