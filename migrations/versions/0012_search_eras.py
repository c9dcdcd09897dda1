"""Search on PostgreSQL: arguments' documents name their eras and article, paragraphs' documents are stored.

- `forum_search_arguments` gets `block_id`, `article_id` and `visible` beside each document, and each
  document the lexemes of its eras and of its article (`forum.search.eras`), so that a search reads the newest
  matches first; the triggers follow hiding, withdrawing and moving an argument too.
- `forum_search_blocks` holds each paragraph's document, kept by a trigger, in place of the expression index
  on `forum_blocks`, so that ranking no longer parses every candidate's text again.

Both are built again from the data there. SQLite's index is unchanged.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from alembic import op

from forum.search.schema import create_search_index, drop_search_index

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# What 0011's search reads that 0012 took away; the rest of the new index answers its queries as well.
PARAGRAPHS_BEFORE = [
    "DROP TRIGGER IF EXISTS forum_search_block ON forum_blocks",
    "DROP FUNCTION IF EXISTS forum_search_block_changed()",
    "DROP TABLE IF EXISTS forum_search_blocks",
    "CREATE INDEX IF NOT EXISTS ix_forum_search_blocks ON forum_blocks USING gin (forum_search_vector(text))",
]


def upgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        drop_search_index(connection)
        create_search_index(connection, build=True)


def downgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        for statement in PARAGRAPHS_BEFORE:
            connection.exec_driver_sql(statement)
