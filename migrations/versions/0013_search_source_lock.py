"""Search on PostgreSQL: a source's change locks its argument before indexing it again.

A source added while its argument was being hidden could write the argument's document back as visible (the
trigger read the argument before the hide committed, and wrote after it). The trigger now takes the argument's
row lock first, and the documents already written are marked again from their arguments. SQLite, which takes
one writer at a time, is unchanged.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""

from alembic import op

from forum.search.schema import POSTGRESQL_VISIBLE_AGAIN, SOURCE_CHANGED

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# 0012's trigger function, which read the argument without waiting for a hide under way.
SOURCE_CHANGED_BEFORE = """
    CREATE OR REPLACE FUNCTION forum_search_source_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN PERFORM forum_search_index_argument(OLD.argument_id); END IF;
        IF TG_OP <> 'DELETE' THEN PERFORM forum_search_index_argument(NEW.argument_id); END IF;
        RETURN NULL;
    END $$"""


def upgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(SOURCE_CHANGED)
        connection.exec_driver_sql(POSTGRESQL_VISIBLE_AGAIN)


def downgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(SOURCE_CHANGED_BEFORE)
