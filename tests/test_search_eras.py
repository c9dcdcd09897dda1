"""Eras, read without a database: the stretches of ids a PostgreSQL search asks for, newest first."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forum.search.eras import ERA, MAX_ERAS, in_era, newest_stretch, stretch_below


def test_a_tsquery_in_an_era_marks_every_lexeme_and_keeps_its_operators():
    assert in_era("'tax' & !'rent' | ( 'wind' & 'solar' )", 97) == "'tax#97' & !'rent#97' | ( 'wind#97' & 'solar#97' )"
    assert in_era("'it''s'", 3) == "'it''s#3'"


@pytest.mark.parametrize("newest", [0, 1, ERA - 1, ERA, ERA + 1, 123_456, 10 * ERA - 1])
def test_the_first_stretch_holds_the_newest_ten_thousand_ids(newest):
    stretch = newest_stretch(newest)
    assert stretch.low * ERA <= max(0, newest + 1 - ERA)
    assert stretch.high * ERA > newest
    assert stretch.high - stretch.low <= 2


@given(st.integers(min_value=1, max_value=10**6), st.integers(min_value=0, max_value=10**9))
def test_a_stretch_below_an_era_ends_where_the_last_began_and_asks_for_a_few_eras(high, ids):
    stretch = stretch_below(high, ids)
    assert stretch.high == high
    assert 0 <= stretch.low < high
    assert stretch.high - stretch.low <= MAX_ERAS
    assert (stretch.high - stretch.low) * ERA >= min(ids, high * ERA, MAX_ERAS * ERA)


def test_a_stretch_asks_for_its_eras_newest_first():
    stretch = stretch_below(12, 25_000)
    assert stretch.tsquery("'tax'") == "( 'tax#11' ) | ( 'tax#10' ) | ( 'tax#9' )"
