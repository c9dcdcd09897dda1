"""The forum's forms as typed, kept whole across previews and refusals, and the one way a refused form comes back.

The argument form (stance, body, source rows), the verdict form, the moderators' small forms, and the
import form; `show_again` answers a service's refusal with the form's page, as the member left it.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app, request
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from forum.db import get_session
from forum.errors import ForumError, Invalid, NotFound
from forum.models import Argument, Block
from forum.plurals import plural
from forum.routing import parse_id
from forum.services import imports
from forum.services.arguments import Limits, SourceInput, preview_html
from forum.services.article_storage import DuplicateArticle
from forum.services.consensus import StaleVersion

ROW_FIELD = re.compile(r"^sources-([0-9]+)-(url|title|quote|citation)$")
ROW_PARTS = ["url", "title", "quote", "citation"]
PART_LABELS = {"url": "URL", "title": "title", "quote": "quote", "citation": "footnote"}
# Rows past this are ignored outright, so that a crafted form cannot make the page render thousands.
MAX_ROWS = 50


@dataclass
class SourceRow:
    """One source row of the form, as typed."""

    url: str = ""
    title: str = ""
    quote: str = ""
    citation: str = ""

    def is_blank(self) -> bool:
        """Whether the row was left empty (it is then no source)."""
        return not any(value.strip() for value in (self.url, self.title, self.quote, self.citation))


@dataclass
class ArgumentDraft:
    """What a member typed into the argument form, with the errors to show beside each field."""

    stance: str = ""
    body: str = ""
    parent_id: int | None = None
    rows: list[SourceRow] = dataclasses.field(default_factory=list)
    errors: dict[str, str] = dataclasses.field(default_factory=dict)
    form_errors: list[str] = dataclasses.field(default_factory=list)
    preview: str | None = None
    # The field to put focus on when the form comes back: the preview, or a source row just added.
    focus: str | None = None

    @classmethod
    def blank(cls, rows: int, parent_id: int | None = None) -> ArgumentDraft:
        """An empty form with `rows` empty source rows."""
        return cls(parent_id=parent_id, rows=[SourceRow() for _ in range(rows)])

    @classmethod
    def of(cls, argument: Argument, limit: int) -> ArgumentDraft:
        """The form filled with an argument's current body and sources, plus one empty row."""
        rows = [
            SourceRow(s.url, s.title or "", s.quote or "", str(s.citation or ""))
            for s in argument.sources
        ]
        if len(rows) < limit:
            rows.append(SourceRow())
        return cls(stance=argument.stance, body=argument.body, rows=rows)

    @classmethod
    def from_form(cls, form: MultiDict[str, str]) -> ArgumentDraft:
        """The draft as posted; every row the page showed comes back, blank or not."""
        rows: dict[int, SourceRow] = {}
        for key, value in form.items():
            match = ROW_FIELD.match(key)
            index = parse_id(match.group(1)) if match else None
            if match and index is not None and index < MAX_ROWS:
                setattr(rows.setdefault(index, SourceRow()), match.group(2), value)
        parent = form.get("parent_id", "").strip()
        # An answer to something that is no id answers nothing the thread has (0): refused, not posted as new.
        parent_id = (parse_id(parent) or 0) if parent else None
        draft = cls(
            stance=form.get("stance", ""),
            body=form.get("body", ""),
            parent_id=parent_id,
            rows=[rows.get(i, SourceRow()) for i in range(max(rows, default=-1) + 1)],
        )
        if not draft.rows:
            draft.rows.append(SourceRow())
        return draft

    def redraw(self, action: str, limits: Limits) -> bool:
        """Handle Preview and "add another source"; True when the form is to be shown again, not saved."""
        if action == "preview":
            try:
                self.preview = preview_html(get_session(), self.body, limits)
                self.focus = "preview"
            except ForumError as error:
                self.show(error)
            return True
        if action == "add_source":
            self.add_row(limits.sources)
            return True
        return False

    @property
    def status(self) -> int:
        """The status of the form shown again: 422 when it carries an error, else 200."""
        return 422 if self.errors or self.form_errors else 200

    def add_row(self, limit: int) -> None:
        """One more empty source row, up to the limit of sources."""
        if len(self.rows) < limit:
            self.rows.append(SourceRow())
            self.focus = f"sources-{len(self.rows) - 1}-url"
        else:
            self.errors["sources"] = f"An argument has at most {plural(limit, 'source')}."

    def source_inputs(self) -> list[SourceInput]:
        """The filled rows as the service takes them; `Invalid` (every such row) for a footnote that is no number."""
        inputs: list[SourceInput] = []
        problems: list[Invalid] = []
        for index, row in self.filled_rows():
            citation = row.citation.strip()
            number = parse_id(citation)
            if citation and not number:
                problems.append(
                    Invalid("Choose one of this paragraph's footnotes.", field=f"sources-{index}-citation")
                )
            inputs.append(SourceInput(row.url, row.title, row.quote, number))
        if problems:
            raise Invalid.all_of(problems)
        return inputs

    def filled_rows(self) -> list[tuple[int, SourceRow]]:
        """The rows that hold something, with their place in the form."""
        return [(index, row) for index, row in enumerate(self.rows) if not row.is_blank()]

    def show(self, error: ForumError) -> ArgumentDraft:
        """Put a service's error (each of its mistakes) beside the field it names, or above the form."""
        for problem in error.problems if isinstance(error, Invalid) else [error]:
            name = self.field_name(problem.field)
            if name is None:
                self.form_errors.append(problem.message)
            else:
                self.errors.setdefault(name, problem.message)
        return self

    def summary(self) -> list[tuple[str | None, str]]:
        """Every problem as (field, message) in the form's order: the whole form's, stance, body, the
        sources, then each row's fields in turn."""
        found: list[tuple[str | None, str]] = [(None, message) for message in self.form_errors]
        for name, label in (
            ("stance", "Your stance"), ("body", "Your argument"), ("sources", "Sources"),
            ("reason", "Reason for the edit"),
        ):
            if name in self.errors:
                found.append((name, f"{label}: {self.errors[name]}"))
        rows: list[tuple[int, int, str, str]] = []
        for name, message in self.errors.items():
            match = ROW_FIELD.match(name)
            if match:
                index, part = int(match.group(1)), match.group(2)
                label = f"Source {index + 1} {PART_LABELS[part]}"
                rows.append((index, ROW_PARTS.index(part), name, f"{label}: {message}"))
        found += [(name, message) for _, _, name, message in sorted(rows)]
        return found

    def row_has_details(self, index: int) -> bool:
        """Whether a row's folded fields (title, quote, footnote) hold something or an error, so stay open."""
        row = self.rows[index]
        typed = any(value.strip() for value in (row.title, row.quote, row.citation))
        return typed or any(f"sources-{index}-{part}" in self.errors for part in ROW_PARTS[1:])

    @property
    def key(self) -> str:
        """The composer's name on the page: "new", or "reply-N" for a reply to argument N."""
        return "new" if self.parent_id is None else f"reply-{self.parent_id}"

    def field_name(self, where: str | None) -> str | None:
        """The form's field for a service's field path (`sources.0.url` is the first filled row's URL)."""
        if where in ("body", "stance", "sources", "reason") or (where or "").startswith("sources-"):
            return where
        match = re.fullmatch(r"sources\.(\d+)\.(url|title|quote|citation)", where or "")
        if match:
            filled = self.filled_rows()
            position = int(match.group(1))
            if position < len(filled):
                return f"sources-{filled[position][0]}-{match.group(2)}"
        return None


def show_again(error: ForumError, page: Callable[[ForumError], str]) -> ResponseReturnValue:
    """Answer a refused form with `page(error)`: the form again, as typed, the refusal beside the input at fault.

    The one policy for every form of the forum's pages: the session is rolled back first (a service may
    have changed rows before it refused). Then only `NotFound` propagates, to the error page: what the form
    was about is gone, so there is no page to show it on. Every other refusal (a mistake in what was typed,
    a conflict, a thread locked or an argument hidden meanwhile, a viewer not signed in or not allowed, a
    limit reached) comes back in the form's page with its own status and headers (`Retry-After`), so that
    nothing typed is lost and htmx swaps the answer in place.
    """
    get_session().rollback()
    if isinstance(error, NotFound):
        raise error
    return page(error), error.status, error.headers()


@dataclass
class VerdictDraft:
    """The moderator's verdict form as typed, and what changed meanwhile when it came too late."""

    status: str
    note: str
    keys: list[int] = dataclasses.field(default_factory=list)
    version: int = 0
    stale: StaleVersion | None = None
    error: str | None = None
    # The input the error is about: "status", "note" or "keys" (the key arguments).
    error_field: str | None = None

    @classmethod
    def of(cls, block: Block) -> VerdictDraft:
        """The form filled with the thread's current verdict."""
        return cls(block.consensus_status, block.consensus_note,
                   list(block.consensus_key_arguments or []), block.consensus_version)

    @classmethod
    def from_form(cls, form: MultiDict[str, str]) -> VerdictDraft:
        """The form as posted; a version it could not have sent never matches, so reads as someone else's change."""
        version = parse_id(form.get("version"))
        keys = [n for n in map(parse_id, form.getlist("key_arguments")) if n is not None]
        return cls(form.get("status", ""), form.get("note", ""), keys, -1 if version is None else version)

    def show(self, error: ForumError) -> VerdictDraft:
        """Put a refusal in the form; a stale version brings what changed, and the version now current, so
        that saving again is a deliberate choice made after seeing it."""
        if isinstance(error, StaleVersion):
            self.stale, self.version = error, error.version
        else:
            self.error = error.message
            self.error_field = {"note": "note", "key_arguments": "keys"}.get(error.field or "", "status")
        return self


@dataclass
class RefusedForm:
    """A moderation form the service refused: which form, the input at fault, why, and what was typed."""

    form: str
    field: str | None
    message: str
    values: dict[str, str] = dataclasses.field(default_factory=dict)
    # A refusal of who asks (401, 403) is said above the page: the form itself is not offered to them.
    above: bool = False

    @classmethod
    def of(cls, error: ForumError, form: str, fields: dict[str, str]) -> RefusedForm:
        """The refusal of `form` as posted; `fields` maps the service's field names to the form's input ids."""
        return cls(form, fields.get(error.field or ""), error.message, request.form.to_dict(),
                   above=error.status in (401, 403))


IMPORT_FORMATS = [("", "Detect it"), ("text", "Plain text"), ("markdown", "Markdown"), ("html", "HTML")]


@dataclass
class ImportDraft:
    """The import form as the admin filled it; an uploaded file is kept (base64) for publishing."""

    text: str = ""
    url: str = ""
    format: str = ""
    title: str = ""
    upload: str = ""
    upload_name: str = ""
    # The article this text revises (its id, as typed), and the revision its review was made against.
    revises: str = ""
    reviewed: str = ""
    errors: dict[str, str] = dataclasses.field(default_factory=dict)
    # The published article whose text this is, when publishing was refused as a duplicate.
    duplicate: DuplicateArticle | None = None

    @classmethod
    def from_request(cls, max_bytes: int) -> ImportDraft:
        """The draft as posted; a new upload replaces the kept one."""
        form = request.form
        fmt = form.get("format", "")
        draft = cls(
            text=form.get("text", ""),
            url=form.get("url", "").strip(),
            format=fmt if fmt in dict(IMPORT_FORMATS) else "",
            title=form.get("title", "").strip(),
            revises=form.get("revises", "").strip(),
            reviewed=form.get("reviewed", "").strip(),
        )
        if not form.get("drop_upload"):
            draft.upload, draft.upload_name = form.get("upload", ""), form.get("upload_name", "")
        file = request.files.get("file")
        if file is not None and file.filename:
            # One byte over the limit is enough for the parser to refuse the file as too large.
            data = file.read(max_bytes + 1)
            draft.upload = base64.b64encode(data).decode("ascii")
            draft.upload_name = file.filename
        return draft

    def source(self) -> dict[str, Any]:
        """The article's input for the import service: its bytes or its URL, exactly one of them."""
        given = [bool(self.text.strip()), bool(self.upload), bool(self.url)]
        if sum(given) != 1:
            raise Invalid(
                "Give the article one way: paste its text, upload a file, or give its URL.",
                field="text",
            )
        if self.url:
            return {"url": self.url}
        if self.upload:
            try:
                data = base64.b64decode(self.upload, validate=True)
            except (binascii.Error, ValueError):
                raise Invalid("The uploaded file was lost; upload it again.", field="file") from None
            return {"data": data, "filename": self.upload_name or None}
        return {"data": self.text.encode("utf-8")}

    def service_arguments(self) -> dict[str, Any]:
        """What both import services take from this form, with the forum's limits."""
        return {
            **self.source(),
            "format": self.format or None,
            "title": self.title or None,
            **imports.import_limits(current_app.config),
        }

    def show(self, error: ForumError) -> ImportDraft:
        """Put a refusal beside the input it concerns (the source, unless it names another field)."""
        name = error.field if error.field in ("text", "url", "file", "format", "title", "revises") else "source"
        self.errors[name] = error.message
        if isinstance(error, DuplicateArticle):
            self.duplicate = error
        return self
