"""The shape of the `forum` package: no import cycles (function-local and type-only imports included), small modules."""

from __future__ import annotations

from pathlib import Path

import grimp
import pytest

import forum

PACKAGE = Path(forum.__file__).parent
LONGEST_MODULE = 400  # lines


def import_cycles() -> list[tuple[str, ...]]:
    """Each direct import that another chain of imports leads back from: (importer, imported, ... back)."""
    graph = grimp.build_graph("forum")
    cycles = []
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back is not None:
                cycles.append((importer, *back))
    return cycles


def test_no_module_of_the_forum_imports_itself_back() -> None:
    """An import cycle, even through an import inside a function, is a tangle: no module is part of one."""
    assert import_cycles() == []


def test_a_cycle_is_found_when_there_is_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check sees a cycle made by an import inside a function, as in the package it guards."""
    package = tmp_path / "tangle"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from tangle import b\n")
    (package / "b.py").write_text("def late():\n    from tangle import a\n    return a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    graph = grimp.build_graph("tangle")
    assert graph.find_shortest_chain(importer="tangle.b", imported="tangle.a") == ("tangle.b", "tangle.a")
    assert graph.find_shortest_chain(importer="tangle.a", imported="tangle.b") == ("tangle.a", "tangle.b")


def test_no_module_of_the_forum_is_over_400_lines() -> None:
    """A module past 400 lines holds more than one idea: it is split along its seams."""
    long = {
        str(path.relative_to(PACKAGE.parent)): lines
        for path in PACKAGE.rglob("*.py")
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > LONGEST_MODULE
    }
    assert long == {}
