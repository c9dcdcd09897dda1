"""Alembic environment of the forum: its own metadata, its own version table, only `forum_` tables."""

from alembic import context

from forum.migrate import VERSION_TABLE, include_name
from forum.models import Base


def run_migrations() -> None:
    """Run the migrations on the engine the forum handed over."""
    engine = context.config.attributes["engine"]
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch migrations rebuild a table by dropping it; with foreign keys on, that drop would
            # cascade into (and delete) every row that refers to it. The pragma is ignored inside a
            # transaction, so it is set on the driver's connection before one starts.
            set_foreign_keys(connection, "OFF")
        try:
            context.configure(
                connection=connection,
                target_metadata=Base.metadata,
                version_table=VERSION_TABLE,
                include_name=include_name,
                render_as_batch=sqlite,
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    check_foreign_keys(connection)
            if connection.in_transaction():
                connection.commit()
        finally:
            if sqlite:
                # The connection goes back to the pool: the forum's pages expect foreign keys on.
                if connection.in_transaction():
                    connection.rollback()
                set_foreign_keys(connection, "ON")


def set_foreign_keys(connection, state: str) -> None:
    """Switch SQLite's foreign keys outside any transaction (the forum's connections begin explicitly)."""
    connection.connection.driver_connection.execute(f"PRAGMA foreign_keys={state}")


def check_foreign_keys(connection) -> None:
    """Refuse to finish a migration that left rows pointing at rows that are gone."""
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        tables = ", ".join(sorted({row[0] for row in broken}))
        raise RuntimeError(f"The migration left broken references in: {tables}.")


run_migrations()
