"""The verdict on the thread page (panel, history, decision aid, the moderators' form) and the article's verdict map."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue

from forum.auth import Viewer, acting_member, current_viewer, require_role
from forum.db import get_session
from forum.errors import Forbidden, ForumError, NotFound
from forum.models import Argument, Block, ConsensusChange, ConsensusStatus, Role
from forum.services import consensus
from forum.services.counting import counted_arguments, counts
from forum.services.articles import ArticleView
from forum.plurals import plural
from forum.views import blueprint
from forum.views.display import CONSENSUS_LABELS
from forum.routing import parse_id

# The order the verdict map reads in: settled verdicts first, then what still needs work.
MAP_ORDER = ["supported", "contested", "refuted", "needs_sources", "open"]
INITIALS = {"supported": "S", "contested": "C", "refuted": "R", "needs_sources": "N", "open": "O"}


@dataclass
class VerdictDraft:
    """The moderator's verdict form as typed, and what changed meanwhile when it came too late."""

    status: str
    note: str
    keys: list[int] = field(default_factory=list)
    version: int = 0
    stale: consensus.StaleVersion | None = None
    error: str | None = None
    # The input the error is about: "status", "note" or "keys" (the key arguments).
    error_field: str | None = None

    @classmethod
    def of(cls, block: Block) -> VerdictDraft:
        """The form filled with the thread's current verdict."""
        return cls(block.consensus_status, block.consensus_note,
                   list(block.consensus_key_arguments or []), block.consensus_version)


def key_ids(values: list[str]) -> list[int]:
    """The key argument ids ticked in the form; anything else is ignored."""
    return [n for n in map(parse_id, values) if n is not None]


def panel(
    session: so.Session,
    block: Block,
    viewer: Viewer,
    verdict: VerdictDraft | None,
    arguments: dict[int, Argument] | None = None,
    history: list[ConsensusChange] | None = None,
) -> dict:
    """What the thread page's consensus panel shows: the verdict, its history, and the moderators' tools.

    `arguments` (the thread's, by id) spares a query for the key arguments, and `history` (read with the
    thread) one for the history; a thread whose verdict was never set has no history to read.
    """
    keys = list(block.consensus_key_arguments or [])
    found = dict(arguments or {})
    if missing := [k for k in keys if k not in found]:
        found.update((a.id, a) for a in session.scalars(sa.select(Argument).where(Argument.id.in_(missing))))
    if history is None:
        history = consensus.history(session, block.id) if block.consensus_version else []
    moderator = viewer.has_role(Role.MODERATOR)
    context = {
        "verdict_keys": [found[k] for k in keys if k in found],
        "verdict_history": list(reversed(history)),
        "verdict_latest": history[-1] if history else None,
        "statuses": [(s.value, CONSENSUS_LABELS[s.value]) for s in ConsensusStatus],
    }
    if moderator:
        context["verdict"] = verdict or VerdictDraft.of(block)
        context["aid"] = consensus.decision_aid(session, block.id)
        # Only arguments that count may carry a verdict: withdrawn and hidden ones are never offered.
        context["thread_arguments"] = (
            sorted(filter(counts, arguments.values()), key=lambda a: a.id) if arguments is not None else list(
                session.scalars(
                    sa.select(Argument).where(Argument.block_id == block.id, counted_arguments()).order_by(Argument.id)
                )
            )
        )
    return context


@blueprint.post("/blocks/<id:block_id>/consensus")
def set_consensus(block_id: int) -> ResponseReturnValue:
    """Set a thread's verdict; a version that is no longer current comes back with what changed, as 409."""
    from forum.views.forms import ArgumentDraft
    from forum.views.threads import NEW_FORM_ROWS, render_thread

    viewer = current_viewer()
    require_role(viewer, Role.MODERATOR)
    form = request.form
    version = parse_id(form.get("version"))
    # A version the form could not have sent never matches, so it reads as someone else's change.
    draft = VerdictDraft(form.get("status", ""), form.get("note", ""), key_ids(form.getlist("key_arguments")),
                         -1 if version is None else version)
    session = get_session()
    try:
        consensus.set_consensus(
            session, block_id, acting_member(viewer),
            status=draft.status, note=draft.note, version=draft.version, key_arguments=draft.keys,
        )
    except consensus.StaleVersion as stale:
        session.rollback()
        # The form now carries the current version: saving again is a deliberate choice, made after seeing it.
        draft.stale, draft.version = stale, session.get(Block, block_id).consensus_version
        return render_thread(block_id, ArgumentDraft.blank(NEW_FORM_ROWS), stale.status, verdict=draft)
    except ForumError as error:
        session.rollback()
        if isinstance(error, (NotFound, Forbidden)):
            raise
        draft.error = error.message
        draft.error_field = {"note": "note", "key_arguments": "keys"}.get(error.field or "", "status")
        return render_thread(block_id, ArgumentDraft.blank(NEW_FORM_ROWS), error.status, verdict=draft)
    session.commit()
    flash(f"The verdict is now “{CONSENSUS_LABELS[draft.status]}”.")
    return redirect(url_for("forum.thread", block_id=block_id, _anchor="consensus-title"), 303)


@dataclass
class VerdictMap:
    """How an article's paragraphs stand: counts by verdict, citations filled, and one cell per thread."""

    counts: dict[str, int]
    filled: int
    citations: int
    cells: list[tuple[Block, str]]

    @property
    def line(self) -> str:
        """The summary line, e.g. "3 supported · 2 contested · 2 open · 9 of 16 citations filled"."""
        parts = [f"{n} {CONSENSUS_LABELS[s].lower()}" for s in MAP_ORDER if (n := self.counts[s])]
        if self.citations:
            parts.append(f"{self.filled} of {plural(self.citations, 'citation')} filled")
        return " · ".join(parts)


def verdict_map(view: ArticleView) -> VerdictMap:
    """The verdict map of an article page."""
    cells = [(b, b.consensus_status) for b in view.blocks if b.is_thread]
    counts = {s: 0 for s in MAP_ORDER}
    for _, status in cells:
        counts[status] += 1
    total = len(view.slots)
    return VerdictMap(counts, total - view.open_citations, total, cells)


def map_helpers() -> dict[str, object]:
    """The verdict map's order and initials, for its legend."""
    return {"map_order": MAP_ORDER, "status_initials": INITIALS}


blueprint.context_processor(map_helpers)
