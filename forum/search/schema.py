"""The search index of each database, as DDL run by the migration and by `create_all` alike.

SQLite: FTS5 external-content tables (`porter unicode61 remove_diacritics 2`) over arguments (their body, and
their sources' titles and quotes through a view), blocks and article titles, kept in step by triggers, so that
every write, the ORM's or not, moves the index in its own transaction. PostgreSQL: `tsvector`s in the English
configuration with accents folded (`unaccent`, or a fixed table of Latin letters where that extension cannot
be created), in a GIN index on the articles' titles and in tables of argument and paragraph documents kept by
triggers (an argument's sources live in another table, which no expression index may read); an argument's
document also holds its words marked with its era, and its article (see `eras`).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from forum.search.eras import ARTICLE, ERA

TOKENIZE = "porter unicode61 remove_diacritics 2"

# An argument's searchable text: its body, then its sources' titles and quotes in their order.
SQLITE_VIEW = """
CREATE VIEW IF NOT EXISTS forum_search_argument_texts AS
SELECT a.id AS id, a.body AS body,
       coalesce((SELECT group_concat(t, ' ') FROM (
           SELECT coalesce(s.title, '') || ' ' || coalesce(s.quote, '') AS t FROM forum_sources s
           WHERE s.argument_id = a.id ORDER BY s.position, s.id)), '') AS sources
FROM forum_arguments a
"""


def sqlite_fts(name: str, columns: str, content: str) -> str:
    """An FTS5 table reading its text from `content`."""
    return (f"CREATE VIRTUAL TABLE IF NOT EXISTS {name} USING fts5({columns}, content='{content}', "
            f"content_rowid='id', tokenize='{TOKENIZE}')")


def argument_removal(argument: str) -> str:
    """Take an argument out of the index with the text it was indexed with (what the view shows before a write)."""
    return (
        "INSERT INTO forum_search_arguments(forum_search_arguments, rowid, body, sources) "
        f"SELECT 'delete', id, body, sources FROM forum_search_argument_texts WHERE id = {argument} "
        f"AND EXISTS (SELECT 1 FROM forum_search_arguments_docsize WHERE id = {argument});"
    )


def argument_addition(argument: str) -> str:
    """Put an argument into the index as the view shows it after a write (once: the docsize row says it is in)."""
    return (
        "INSERT INTO forum_search_arguments(rowid, body, sources) "
        f"SELECT id, body, sources FROM forum_search_argument_texts WHERE id = {argument} "
        f"AND NOT EXISTS (SELECT 1 FROM forum_search_arguments_docsize WHERE id = {argument});"
    )


def sqlite_trigger(name: str, when: str, statements: str) -> str:
    """A trigger of the index."""
    return f"CREATE TRIGGER IF NOT EXISTS {name} {when} FOR EACH ROW BEGIN {statements} END"


SOURCE_COLUMNS = "UPDATE OF argument_id, position, title, quote ON forum_sources"

SQLITE_CREATE = [
    SQLITE_VIEW,
    sqlite_fts("forum_search_arguments", "body, sources", "forum_search_argument_texts"),
    sqlite_fts("forum_search_blocks", "text", "forum_blocks"),
    sqlite_fts("forum_search_articles", "title", "forum_articles"),
    sqlite_trigger("forum_search_argument_ai", "AFTER INSERT ON forum_arguments", argument_addition("new.id")),
    sqlite_trigger("forum_search_argument_bu", "BEFORE UPDATE OF body ON forum_arguments",
                   argument_removal("old.id")),
    sqlite_trigger("forum_search_argument_au", "AFTER UPDATE OF body ON forum_arguments",
                   argument_addition("new.id")),
    sqlite_trigger("forum_search_argument_bd", "BEFORE DELETE ON forum_arguments", argument_removal("old.id")),
    sqlite_trigger("forum_search_source_bi", "BEFORE INSERT ON forum_sources", argument_removal("new.argument_id")),
    sqlite_trigger("forum_search_source_ai", "AFTER INSERT ON forum_sources", argument_addition("new.argument_id")),
    sqlite_trigger("forum_search_source_bu", f"BEFORE {SOURCE_COLUMNS}",
                   argument_removal("old.argument_id") + argument_removal("new.argument_id")),
    sqlite_trigger("forum_search_source_au", f"AFTER {SOURCE_COLUMNS}",
                   argument_addition("old.argument_id") + argument_addition("new.argument_id")),
    sqlite_trigger("forum_search_source_bd", "BEFORE DELETE ON forum_sources", argument_removal("old.argument_id")),
    sqlite_trigger("forum_search_source_ad", "AFTER DELETE ON forum_sources", argument_addition("old.argument_id")),
    sqlite_trigger("forum_search_block_ai", "AFTER INSERT ON forum_blocks",
                   "INSERT INTO forum_search_blocks(rowid, text) VALUES (new.id, new.text);"),
    sqlite_trigger("forum_search_block_ad", "AFTER DELETE ON forum_blocks",
                   "INSERT INTO forum_search_blocks(forum_search_blocks, rowid, text) "
                   "VALUES ('delete', old.id, old.text);"),
    sqlite_trigger("forum_search_block_au", "AFTER UPDATE OF text ON forum_blocks",
                   "INSERT INTO forum_search_blocks(forum_search_blocks, rowid, text) "
                   "VALUES ('delete', old.id, old.text); "
                   "INSERT INTO forum_search_blocks(rowid, text) VALUES (new.id, new.text);"),
    sqlite_trigger("forum_search_article_ai", "AFTER INSERT ON forum_articles",
                   "INSERT INTO forum_search_articles(rowid, title) VALUES (new.id, new.title);"),
    sqlite_trigger("forum_search_article_ad", "AFTER DELETE ON forum_articles",
                   "INSERT INTO forum_search_articles(forum_search_articles, rowid, title) "
                   "VALUES ('delete', old.id, old.title);"),
    sqlite_trigger("forum_search_article_au", "AFTER UPDATE OF title ON forum_articles",
                   "INSERT INTO forum_search_articles(forum_search_articles, rowid, title) "
                   "VALUES ('delete', old.id, old.title); "
                   "INSERT INTO forum_search_articles(rowid, title) VALUES (new.id, new.title);"),
]
SQLITE_BUILD = [
    f"INSERT INTO {table}({table}) VALUES ('rebuild')"
    for table in ("forum_search_arguments", "forum_search_blocks", "forum_search_articles")
]
SQLITE_DROP_TRIGGERS = [f"DROP TRIGGER IF EXISTS {statement.split()[5]}" for statement in SQLITE_CREATE[4:]]
SQLITE_DROP = [
    *SQLITE_DROP_TRIGGERS,
    "DROP TABLE IF EXISTS forum_search_arguments",
    "DROP TABLE IF EXISTS forum_search_blocks",
    "DROP TABLE IF EXISTS forum_search_articles",
    "DROP VIEW IF EXISTS forum_search_argument_texts",
]

# Where `unaccent` cannot be created: the accented Latin letters folded by a fixed table (lower case, since the
# English configuration lower-cases anyway).
ACCENTED = "àáâãäåāăąçćĉċčďđèéêëēĕėęěĝğġģĥħìíîïĩīĭįıĵķĺļľŀłñńņňòóôõöøōŏőŕŗřśŝşšţťŧùúûüũūŭůűųŵýÿŷźżž"
PLAIN = "aaaaaaaaacccccddeeeeeeeeegggghhiiiiiiiiijklllllnnnnooooooooorrrsssstttuuuuuuuuuuwyyyzzz"


def postgresql_fold(unaccent_schema: str | None) -> str:
    """The function folding accents, with `unaccent` when its extension is installed."""
    if unaccent_schema is not None:
        body = f"SELECT {unaccent_schema}.unaccent('{unaccent_schema}.unaccent'::regdictionary, $1)"
    else:
        body = f"SELECT translate(lower($1), '{ACCENTED}', '{PLAIN}')"
    return (f"CREATE OR REPLACE FUNCTION forum_search_fold(text) RETURNS text LANGUAGE sql IMMUTABLE "
            f"PARALLEL SAFE STRICT AS $$ {body} $$")


# An argument's document: the words of its text, each word again marked with its era, and its article (see
# `eras`). Arguments: the vector, the argument's id, its article's id. A lexeme holds at most 2,047 bytes: a word
# that its mark would take past that is left unmarked (no query can name it: a query holds at most 500 characters).
POSTGRESQL_DOCUMENT = (
    "CREATE OR REPLACE FUNCTION forum_search_document(tsvector, integer, integer) RETURNS tsvector LANGUAGE sql "
    "IMMUTABLE PARALLEL SAFE AS $$ SELECT $1 || array_to_tsvector(ARRAY(SELECT lexeme || '#' || ($2 / "
    f"{ERA}) FROM unnest($1) WHERE octet_length(lexeme) + octet_length('#' || ($2 / {ERA})) <= 2047) "
    f"|| ARRAY['{ARTICLE}' || $3]) $$"
)


# A source's change reads its argument's text and flags after locking the argument's row, as hiding,
# withdrawing or editing it does by writing it: without the lock, a hide committed between the read and the write
# of the document would be written over by a document still marked visible, and a hidden argument's words found.
SOURCE_CHANGED = """CREATE OR REPLACE FUNCTION forum_search_source_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            PERFORM 1 FROM forum_arguments WHERE id = OLD.argument_id FOR SHARE;
            PERFORM forum_search_index_argument(OLD.argument_id);
        END IF;
        IF TG_OP <> 'DELETE' THEN
            PERFORM 1 FROM forum_arguments WHERE id = NEW.argument_id FOR SHARE;
            PERFORM forum_search_index_argument(NEW.argument_id);
        END IF;
        RETURN NULL;
    END $$"""
# A new argument written with its sources in one statement (a post) is left to its sources' triggers, which fire
# after the same statement, read the same rows and index it whole: indexing it here as well did the work twice.
# Nobody else sees a row not yet committed, so there is no hide under way for their lock to wait for.
ARGUMENT_CHANGED = """CREATE OR REPLACE FUNCTION forum_search_argument_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' AND EXISTS (SELECT 1 FROM forum_sources WHERE argument_id = NEW.id) THEN
            RETURN NULL;
        END IF;
        PERFORM forum_search_index_argument(NEW.id);
        RETURN NULL;
    END $$"""
# Marks again what a document written before SOURCE_CHANGED took its lock may have left visible.
POSTGRESQL_VISIBLE_AGAIN = (
    "UPDATE forum_search_arguments d SET visible = NOT a.hidden AND a.withdrawn_at IS NULL FROM forum_arguments a "
    "WHERE a.id = d.argument_id AND d.visible IS DISTINCT FROM (NOT a.hidden AND a.withdrawn_at IS NULL)"
)

POSTGRESQL_CREATE = [
    "CREATE OR REPLACE FUNCTION forum_search_vector(text) RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE "
    "AS $$ SELECT to_tsvector('english'::regconfig, forum_search_fold(coalesce($1, ''))) $$",
    POSTGRESQL_DOCUMENT,
    "CREATE INDEX IF NOT EXISTS ix_forum_search_articles ON forum_articles USING gin (forum_search_vector(title))",
    "CREATE TABLE IF NOT EXISTS forum_search_blocks (block_id integer PRIMARY KEY "
    "REFERENCES forum_blocks (id) ON DELETE CASCADE, document tsvector NOT NULL)",
    "CREATE INDEX IF NOT EXISTS ix_forum_search_block_documents ON forum_search_blocks USING gin (document)",
    # What a search filters candidates by sits beside the document, so that finding them reads one table.
    "CREATE TABLE IF NOT EXISTS forum_search_arguments (argument_id integer PRIMARY KEY "
    "REFERENCES forum_arguments (id) ON DELETE CASCADE, block_id integer NOT NULL, article_id integer NOT NULL, "
    "visible boolean NOT NULL, document tsvector NOT NULL)",
    # New documents wait in a pending list that every search reads through, until it is merged into the index:
    # kept short, since arguments keep coming while searches run.
    "CREATE INDEX IF NOT EXISTS ix_forum_search_arguments ON forum_search_arguments USING gin (document) "
    "WITH (gin_pending_list_limit = 64)",
    """CREATE OR REPLACE VIEW forum_search_argument_rows AS
        SELECT a.id AS argument_id, a.block_id AS block_id, b.article_id AS article_id,
            NOT a.hidden AND a.withdrawn_at IS NULL AS visible,
            forum_search_document(forum_search_vector(a.body || ' ' || coalesce((
                SELECT string_agg(coalesce(s.title, '') || ' ' || coalesce(s.quote, ''), ' '
                    ORDER BY s.position, s.id)
                FROM forum_sources s WHERE s.argument_id = a.id), '')), a.id, b.article_id) AS document
        FROM forum_arguments a JOIN forum_blocks b ON b.id = a.block_id""",
    """CREATE OR REPLACE FUNCTION forum_search_index_argument(argument integer) RETURNS void LANGUAGE sql AS $$
        INSERT INTO forum_search_arguments (argument_id, block_id, article_id, visible, document)
        SELECT argument_id, block_id, article_id, visible, document FROM forum_search_argument_rows
        WHERE argument_id = argument
        ON CONFLICT (argument_id) DO UPDATE SET block_id = EXCLUDED.block_id, article_id = EXCLUDED.article_id,
            visible = EXCLUDED.visible, document = EXCLUDED.document
    $$""",
    ARGUMENT_CHANGED,
    SOURCE_CHANGED,
    """CREATE OR REPLACE FUNCTION forum_search_block_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' OR NEW.text IS DISTINCT FROM OLD.text THEN
            INSERT INTO forum_search_blocks (block_id, document) VALUES (NEW.id, forum_search_vector(NEW.text))
            ON CONFLICT (block_id) DO UPDATE SET document = EXCLUDED.document;
        END IF;
        IF TG_OP = 'UPDATE' AND NEW.article_id IS DISTINCT FROM OLD.article_id THEN
            PERFORM forum_search_index_argument(a.id) FROM forum_arguments a WHERE a.block_id = NEW.id;
        END IF;
        RETURN NULL;
    END $$""",
    "CREATE OR REPLACE TRIGGER forum_search_argument AFTER INSERT OR UPDATE OF body, block_id, hidden, withdrawn_at "
    "ON forum_arguments FOR EACH ROW EXECUTE FUNCTION forum_search_argument_changed()",
    "CREATE OR REPLACE TRIGGER forum_search_source AFTER INSERT OR DELETE OR UPDATE OF argument_id, position, "
    "title, quote ON forum_sources FOR EACH ROW EXECUTE FUNCTION forum_search_source_changed()",
    "CREATE OR REPLACE TRIGGER forum_search_block AFTER INSERT OR UPDATE OF text, article_id ON forum_blocks "
    "FOR EACH ROW EXECUTE FUNCTION forum_search_block_changed()",
]
POSTGRESQL_BUILD = [
    "INSERT INTO forum_search_blocks (block_id, document) SELECT id, forum_search_vector(text) FROM forum_blocks "
    "ON CONFLICT (block_id) DO UPDATE SET document = EXCLUDED.document",
    "INSERT INTO forum_search_arguments (argument_id, block_id, article_id, visible, document) "
    "SELECT argument_id, block_id, article_id, visible, document FROM forum_search_argument_rows "
    "ON CONFLICT (argument_id) DO UPDATE SET block_id = EXCLUDED.block_id, article_id = EXCLUDED.article_id, "
    "visible = EXCLUDED.visible, document = EXCLUDED.document",
    "ANALYZE forum_search_blocks",
    "ANALYZE forum_search_arguments",
]
POSTGRESQL_DROP_TRIGGERS = [
    "DROP TRIGGER IF EXISTS forum_search_block ON forum_blocks",
    "DROP TRIGGER IF EXISTS forum_search_source ON forum_sources",
    "DROP TRIGGER IF EXISTS forum_search_argument ON forum_arguments",
]
POSTGRESQL_DROP = [
    *POSTGRESQL_DROP_TRIGGERS,
    "DROP FUNCTION IF EXISTS forum_search_block_changed()",
    "DROP FUNCTION IF EXISTS forum_search_source_changed()",
    "DROP FUNCTION IF EXISTS forum_search_argument_changed()",
    "DROP FUNCTION IF EXISTS forum_search_index_argument(integer)",
    "DROP VIEW IF EXISTS forum_search_argument_rows",
    "DROP TABLE IF EXISTS forum_search_arguments",
    "DROP TABLE IF EXISTS forum_search_blocks",
    "DROP INDEX IF EXISTS ix_forum_search_articles",
    "DROP INDEX IF EXISTS ix_forum_search_blocks",  # where blocks were indexed by an expression (before 0012)
    "DROP FUNCTION IF EXISTS forum_search_document(tsvector, integer, integer)",
    "DROP FUNCTION IF EXISTS forum_search_vector(text)",
    "DROP FUNCTION IF EXISTS forum_search_fold(text)",
]


def unaccent_schema(connection: sa.Connection) -> str | None:
    """The schema of the `unaccent` extension, created here if it can be; None where it cannot."""
    installed = "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'unaccent'"
    schema = connection.scalar(sa.text(installed))
    if schema is None and connection.scalar(
        sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'unaccent'")
    ):
        try:
            with connection.begin_nested():
                connection.execute(sa.text("CREATE EXTENSION IF NOT EXISTS unaccent"))
        except sa.exc.DBAPIError:
            return None  # not allowed to create extensions here: the fixed table folds accents instead
        schema = connection.scalar(sa.text(installed))
    return None if schema is None else str(schema)


def create_search_index(connection: sa.Connection, build: bool = False) -> None:
    """Create the search index on the connection's database, and fill it from the data there if `build`."""
    if connection.dialect.name == "sqlite":
        statements = SQLITE_CREATE + (SQLITE_BUILD if build else [])
    else:
        statements = [postgresql_fold(unaccent_schema(connection)), *POSTGRESQL_CREATE]
        statements += POSTGRESQL_BUILD if build else []
    for statement in statements:
        connection.exec_driver_sql(statement)


def drop_search_index(connection: sa.Connection) -> None:
    """Drop every part of the search index."""
    statements = SQLITE_DROP if connection.dialect.name == "sqlite" else POSTGRESQL_DROP
    for statement in statements:
        connection.exec_driver_sql(statement)


def drop_search_triggers(connection: sa.Connection) -> None:
    """Stop keeping the index in step, leaving what it holds (`create_search_index` puts the triggers back)."""
    sqlite = connection.dialect.name == "sqlite"
    for statement in SQLITE_DROP_TRIGGERS if sqlite else POSTGRESQL_DROP_TRIGGERS:
        connection.exec_driver_sql(statement)


def after_create(_target: Any, connection: sa.Connection, **_kw: Any) -> None:
    """`create_all` makes the index too (tests and `flask forum db` on a new database build from the models)."""
    create_search_index(connection)


def before_drop(_target: Any, connection: sa.Connection, **_kw: Any) -> None:
    """`drop_all` drops the index first: on PostgreSQL its table holds a foreign key to the arguments."""
    drop_search_index(connection)


def is_search_object(name: str | None) -> bool:
    """Whether a schema object is the index's (left out of the comparison of models and migrations)."""
    return name is not None and (name.startswith("forum_search_") or name.startswith("ix_forum_search_"))
