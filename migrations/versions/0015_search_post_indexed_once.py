"""Search on PostgreSQL: a post written with its sources in one statement is indexed once, by its sources'
triggers, rather than once for the argument and again for each source. SQLite is unchanged.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# The trigger function as this revision installs it (`forum.search.schema.ARGUMENT_CHANGED` then).
ARGUMENT_CHANGED = """
    CREATE OR REPLACE FUNCTION forum_search_argument_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' AND EXISTS (SELECT 1 FROM forum_sources WHERE argument_id = NEW.id) THEN
            RETURN NULL;
        END IF;
        PERFORM forum_search_index_argument(NEW.id);
        RETURN NULL;
    END $$"""

# 0012's trigger function, which indexed every new argument, its sources' triggers indexing it again.
ARGUMENT_CHANGED_BEFORE = """
    CREATE OR REPLACE FUNCTION forum_search_argument_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM forum_search_index_argument(NEW.id);
        RETURN NULL;
    END $$"""


def upgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(ARGUMENT_CHANGED)


def downgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(ARGUMENT_CHANGED_BEFORE)
