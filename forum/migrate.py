"""The forum's Alembic history, run against the forum's own engine with its own version table."""

from __future__ import annotations

import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from flask import current_app

from forum.search.schema import is_search_object

VERSION_TABLE = "forum_alembic_version"


def include_name(name: str | None, type_: str, parent_names: dict[str, str | None]) -> bool:
    """Look only at the forum's tables, so a host's tables in the same database are never touched.

    The search index is left out: it is DDL the models do not describe (`forum.search.schema`).
    """
    if is_search_object(name):
        return False
    if type_ == "table":
        return name is not None and name.startswith("forum_") and name != VERSION_TABLE
    return True


def migrations_dir() -> Path:
    """Where the history lives: inside the package when installed, at the top of a checkout otherwise."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "migrations", package.parent / "migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise RuntimeError("The forum's migrations are missing from this installation.")


def alembic_config() -> Config:
    """An Alembic config for the current app's forum database; `env.py` takes the engine from it."""
    # Alembic defaults to the stdout of import time; the current one lets callers capture `db current`.
    config = Config(stdout=sys.stdout)
    config.set_main_option("script_location", str(migrations_dir()))
    config.attributes["engine"] = current_app.extensions["forum"].engine
    return config


def upgrade(revision: str = "head") -> None:
    """Bring the forum's schema up to `revision`."""
    command.upgrade(alembic_config(), revision)


def downgrade(revision: str) -> None:
    """Take the forum's schema down to `revision` (`base` removes every forum table)."""
    command.downgrade(alembic_config(), revision)


def current() -> None:
    """Print the schema's revision."""
    command.current(alembic_config(), verbose=False)
