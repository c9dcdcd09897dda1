"""The argument form as typed: stance, body and source rows, kept whole across previews and errors."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from werkzeug.datastructures import MultiDict

from forum.errors import ForumError, Invalid
from forum.models import Argument
from forum.plurals import plural
from forum.services.arguments import Limits, SourceInput, preview_html
from forum.routing import parse_id

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
    rows: list[SourceRow] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    form_errors: list[str] = field(default_factory=list)
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
    def from_form(cls, form: MultiDict) -> ArgumentDraft:
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
                self.preview = preview_html(self.body, limits)
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

    def show(self, error: ForumError) -> None:
        """Put a service's error (each of its mistakes) beside the field it names, or above the form."""
        for problem in error.problems if isinstance(error, Invalid) else [error]:
            name = self.field_name(problem.field)
            if name is None:
                self.form_errors.append(problem.message)
            else:
                self.errors.setdefault(name, problem.message)

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
