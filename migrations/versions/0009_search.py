"""Full-text search: the index of arguments (with their sources' titles and quotes), paragraphs and article titles.

SQLite keeps FTS5 tables kept in step by triggers; PostgreSQL `tsvector`s in GIN indexes, accents folded with
`unaccent` where the extension can be created. Both are filled from the data already there
(`forum.search.schema` holds the DDL, which `create_all` runs too).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from alembic import op

from forum.search.schema import create_search_index, drop_search_index

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_search_index(op.get_bind(), build=True)


def downgrade() -> None:
    drop_search_index(op.get_bind())
