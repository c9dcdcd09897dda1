"""docs/api.md, the API's reference: written from the OpenAPI document, current, and complete."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from forum.api import registry

ROOT = Path(__file__).resolve().parent.parent


def load_generator():
    """docs/api.py, the script that writes the reference."""
    spec = importlib.util.spec_from_file_location("api_reference", ROOT / "docs" / "api.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generator():
    return load_generator()


def test_the_reference_is_current(generator):
    written = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    assert written == generator.current(), "docs/api.md is out of date: run python docs/api.py"


def test_every_operation_is_in_the_reference(generator):
    reference = generator.current()
    for operation in registry.operations:
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", operation.rule)
        assert f"### `{operation.method} /api/v1{path}`" in reference
        assert operation.summary in reference


def test_every_operation_says_who_may_call_it():
    """The view's docstring says it, after its summary; the reference and the OpenAPI document show it."""
    unsaid = [
        f"{op.method} {op.rule}" for op in registry.operations if not op.description.startswith("Who may call it: ")
    ]
    assert not unsaid, f"add 'Who may call it: ...' to the docstring of: {', '.join(unsaid)}"


def test_every_example_body_is_one_the_operation_takes():
    for operation in registry.operations:
        if operation.body is None:
            continue
        examples = operation.body.model_json_schema().get("examples", [])
        assert examples, f"{operation.method} {operation.rule}: give {operation.body.__name__} an example"
        for example in examples:
            operation.body.model_validate(example)


def test_a_new_operation_is_documented_without_writing_anything_for_it(generator):
    """An operation declared later (with a body of no examples) is in the reference, with a made-up example."""
    document = registry.document("/api/v1")
    document["paths"]["/things/{thing_id}"] = {"put": {
        "summary": "Rename a thing.",
        "description": "Who may call it: admins.",
        "parameters": [{"name": "thing_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ThingIn"}}}},
        "responses": {"200": {"description": "OK"}, "409": {"description": "Conflicts with the current state"}},
    }}
    document["components"]["schemas"]["ThingIn"] = {
        "type": "object", "required": ["name", "tags"],
        "properties": {
            "name": {"type": "string", "maxLength": 40},
            "tags": {"type": "array", "items": {"type": "string"}},
            "colour": {"enum": ["red", "blue"], "default": "red"},
        },
    }
    reference = generator.render(document)
    assert "| [`PUT /api/v1/things/{thing_id}`](#put-apiv1thingsthing_id) | Rename a thing. | admins |" in reference
    assert "| `name` | string | yes | at most 40 characters |  |" in reference
    assert "| `colour` | one of `red`, `blue` | no (default `\"red\"`) |  |  |" in reference
    assert '```json\n{"name": "text", "tags": ["text"]}\n```' in reference
    assert "| 409 | Conflicts with the current state |  |" in reference


def test_the_documents_name_only_files_the_repository_has():
    """The README and the other documents stand alone: every Markdown file they name is in the repository."""
    documents = [ROOT / "README.md", ROOT / "SECURITY.md", ROOT / "bench" / "README.md"]
    documents += sorted((ROOT / "docs").glob("*.md"))
    for document in documents:
        # Fenced code is left out: a command there may name a file it writes.
        prose = re.sub(r"```.*?```", "", document.read_text(encoding="utf-8"), flags=re.S)
        for named in re.findall(r"[\w./-]+\.md\b", prose):
            # A path from the root or the document's folder, or a file's name alone (a table of folders says `api.md`).
            found = (ROOT / named).exists() or (document.parent / named).exists() or any(ROOT.glob(f"*/**/{named}"))
            where = document.relative_to(ROOT)
            assert found, f"{where} names {named}, which the repository does not have"


def test_the_readme_links_every_page_of_the_documentation():
    """The README is the way in: it links each page under docs/, and each of its links there leads to one."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    linked = set(re.findall(r"\]\((docs/[\w.-]+\.md)\)", readme))
    pages = {f"docs/{page.name}" for page in (ROOT / "docs").glob("*.md")}
    assert pages <= linked, f"the README links no {', '.join(sorted(pages - linked))}"
    assert all((ROOT / link).exists() for link in linked)
