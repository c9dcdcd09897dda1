"""Alembic environment of the forum: its own metadata, its own version table, only `forum_` tables."""

from alembic import context

from forum.migrate import VERSION_TABLE, include_name
from forum.models import Base


def run_migrations() -> None:
    """Run the migrations on the engine the forum handed over."""
    engine = context.config.attributes["engine"]
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            version_table=VERSION_TABLE,
            include_name=include_name,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations()
