"""PostgreSQL's search index under two writers at once: a source added while its argument is hidden; and a post
written with its sources indexed once.

The index is kept by triggers, each in the transaction that changes the rows; two such transactions on one
argument must leave the document its committed rows make, whichever commits first. (SQLite takes one writer
at a time.)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from forum.db import get_session
from forum.services.search import search
from tests.articles import make_article
from tests.search_corpus import make_corpus

ON_POSTGRESQL = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
# A word found nowhere else in the corpus, in the title of the source added during the race.
WORD = "zeppelin"


def hide(connection: psycopg.Connection, argument: int) -> None:
    """Hide the argument, as a moderator does."""
    connection.execute("UPDATE forum_arguments SET hidden = true WHERE id = %s", (argument,))


def add_source(connection: psycopg.Connection, argument: int) -> None:
    """Add a source whose title holds WORD to the argument."""
    connection.execute(
        "INSERT INTO forum_sources (argument_id, position, url, title) VALUES (%s, 9, 'https://example.org/z', %s)",
        (argument, f"The {WORD} report"),
    )


def race(app, database_url: str, first: Callable, second: Callable) -> int:
    """Run `first` and, while its transaction is open, `second` on another connection; the argument's id."""
    argument = make_corpus(app)["arguments"][0]
    with psycopg.connect(database_url) as one, psycopg.connect(database_url) as two:
        first(one, argument)
        with ThreadPoolExecutor(1) as pool:
            waiting = pool.submit(lambda: (second(two, argument), two.commit()))
            time.sleep(0.5)
            assert not waiting.done()  # the second waits on the first's locks
            one.commit()
            waiting.result(timeout=30)
    return argument


def found(app, moderator: bool, word: str = WORD) -> list[int]:
    """The arguments a search for `word` finds."""
    with app.app_context():
        page = search(get_session(), word, kind="argument", moderator=moderator)
        return [result.id for result in page.results]


@ON_POSTGRESQL
def test_a_source_added_while_its_argument_is_hidden_leaves_it_hidden(app, database_url):
    argument = race(app, database_url, hide, add_source)
    assert found(app, moderator=False) == []
    assert found(app, moderator=True) == [argument]


@ON_POSTGRESQL
def test_an_argument_hidden_while_a_source_is_added_is_found_by_the_sources_words(app, database_url):
    argument = race(app, database_url, add_source, hide)
    assert found(app, moderator=False) == []
    assert found(app, moderator=True) == [argument]


# Every write of an argument's document, logged for the test's length.
LOG_WRITES = """
    CREATE TABLE test_document_writes (argument_id integer NOT NULL);
    CREATE FUNCTION test_log_document_write() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN INSERT INTO test_document_writes VALUES (NEW.argument_id); RETURN NULL; END $$;
    CREATE TRIGGER test_log_document_write AFTER INSERT OR UPDATE ON forum_search_arguments
        FOR EACH ROW EXECUTE FUNCTION test_log_document_write();
"""
STOP_LOGGING = """
    DROP TRIGGER test_log_document_write ON forum_search_arguments;
    DROP FUNCTION test_log_document_write();
    DROP TABLE test_document_writes;
"""


@ON_POSTGRESQL
@pytest.mark.parametrize("reply", [False, True], ids=["argument", "reply"])
def test_a_post_is_indexed_once_with_its_sources_words(app, client, as_member, database_url, reply):
    """A post's argument and sources are written in one statement (a reply's too, in its own transaction): its
    sources' trigger indexes it whole, and the argument's own trigger leaves it to them."""
    thread = make_article(app)["block1"]
    parent = client.submit(f"/blocks/{thread}/arguments", {"stance": "counter", "body": "A first argument."})
    assert parent.status_code == 303
    parent_id = int(parent.headers["Location"].rsplit("-", 1)[1])
    form = {"stance": "support", "body": "The ferry timetable was rewritten twice.",
            "sources-0-url": "https://example.org/z", "sources-0-title": f"The {WORD} report"}
    if reply:
        form["parent_id"] = str(parent_id)
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute(LOG_WRITES)
        try:
            answer = client.submit(f"/blocks/{thread}/arguments", form)
            writes = [row[0] for row in connection.execute("SELECT argument_id FROM test_document_writes")]
        finally:
            connection.execute(STOP_LOGGING)
    assert answer.status_code == 303
    posted = int(answer.headers["Location"].rsplit("-", 1)[1])
    assert found(app, moderator=False) == [posted]
    assert found(app, moderator=False, word="timetable") == [posted]
    assert writes == [posted]
