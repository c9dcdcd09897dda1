"""The argument form as typed: stance, body and source rows, kept whole across previews and errors."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from werkzeug.datastructures import MultiDict

from forum.errors import ForumError, Invalid
from forum.models import Argument
from forum.services.arguments import Limits, SourceInput, preview_html
from forum.routing import parse_id

ROW_FIELD = re.compile(r"^sources-([0-9]+)-(url|title|quote|citation)$")
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
            self.errors["sources"] = f"An argument has at most {limit} sources."

    def source_inputs(self) -> list[SourceInput]:
        """The filled rows as the service takes them; `Invalid` for a footnote that is no number."""
        inputs = []
        for index, row in self.filled_rows():
            citation = row.citation.strip()
            number = parse_id(citation)
            if citation and not number:
                raise Invalid("Choose one of this paragraph's footnotes.", field=f"sources-{index}-citation")
            inputs.append(SourceInput(row.url, row.title, row.quote, number))
        return inputs

    def filled_rows(self) -> list[tuple[int, SourceRow]]:
        """The rows that hold something, with their place in the form."""
        return [(index, row) for index, row in enumerate(self.rows) if not row.is_blank()]

    def show(self, error: ForumError) -> None:
        """Put a service's error beside the field it names, or above the form."""
        name = self.field_name(error.field)
        if name is None:
            self.form_errors.append(error.message)
        else:
            self.errors[name] = error.message

    def field_name(self, where: str | None) -> str | None:
        """The form's field for a service's field path (`sources.0.url` is the first filled row's URL)."""
        if where in ("body", "stance", "sources") or (where or "").startswith("sources-"):
            return where
        match = re.fullmatch(r"sources\.(\d+)\.(url|title|quote|citation)", where or "")
        if match:
            filled = self.filled_rows()
            position = int(match.group(1))
            if position < len(filled):
                return f"sources-{filled[position][0]}-{match.group(2)}"
        return None
