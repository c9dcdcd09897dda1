"""The releases of Flask, Flask-Login and Flask-WTF installed are those `forum/flask_internals.py` was read against.

That module reads private state of the three; `pyproject.toml` bounds them above. A newer release installed
(by a lock file or an environment that ignores the bounds) fails here, before it fails in production.
"""

from __future__ import annotations

import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
from packaging.requirements import Requirement

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
ADAPTED = ("flask", "flask-login", "flask-wtf")


def requirements() -> dict[str, Requirement]:
    """The project's dependencies by normalised name."""
    dependencies = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    parsed = (Requirement(text) for text in dependencies)
    return {requirement.name.lower(): requirement for requirement in parsed}


@pytest.mark.parametrize("name", ADAPTED)
def test_the_library_whose_internals_are_read_has_an_upper_bound(name: str) -> None:
    specifier = requirements()[name].specifier
    assert any(spec.operator in ("<", "<=", "==", "~=") for spec in specifier), f"{name} needs an upper bound"


@pytest.mark.parametrize("name", ADAPTED)
def test_the_installed_release_is_within_the_bounds(name: str) -> None:
    requirement = requirements()[name]
    installed = version(name)
    assert requirement.specifier.contains(installed, prereleases=True), (
        f"{name} {installed} is outside {requirement}: read forum/flask_internals.py against it, then widen the bound."
    )
