"""The article page: sections, blocks with their thread summaries, citation links and footnotes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from markupsafe import Markup

from forum.auth import Viewer, acting_member, current_viewer, require_role
from forum.db import get_session
from forum.errors import Conflict, ForumError, Invalid
from forum.models import Block, Role
from forum.plurals import plural
from forum.routing import parse_id
from forum.services import article_page, citations, lookup, publication, watching
from forum.services.article_page import ArticleView
from forum.settings import template
from forum.views import display
from forum.views.display import CONSENSUS_LABELS
from forum.views.forms import show_again
from forum.views.site import blueprint
from forum.views.thread_page import WatchChoice

# The order the verdict map reads in: settled verdicts first, then what still needs work.
MAP_ORDER = ["supported", "contested", "refuted", "needs_sources", "open"]
INITIALS = {"supported": "S", "contested": "C", "refuted": "R", "needs_sources": "N", "open": "O"}


@dataclass
class Section:
    """A heading (none before the first one) and the blocks under it."""

    heading: Block | None
    blocks: list[Block] = field(default_factory=list)


def sections(blocks: list[Block]) -> list[Section]:
    """The article's blocks grouped under their headings."""
    groups = [Section(None)]
    for block in blocks:
        if block.is_thread:
            groups[-1].blocks.append(block)
        else:
            groups.append(Section(block))
    return [group for group in groups if group.heading or group.blocks]


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


def first_citing(view: ArticleView) -> dict[int, int]:
    """For each footnote number, the first thread that cites it (where a missing source is proposed)."""
    first: dict[int, int] = {}
    for block in view.blocks:
        for slot in view.block_slots(block):
            first.setdefault(slot.number, block.id)
    return first


def marker_for(
    view: ArticleView, block: Block, first: dict[int, int]
) -> Callable[[int], Markup | None]:
    """The function that turns a block's footnote numbers into links on the article page."""
    slots = {slot.number: slot for slot in view.block_slots(block)}

    def marker(number: int) -> Markup | None:
        slot = slots.get(number)
        if slot is None:
            return None
        thread = url_for("forum.thread", block_id=first.get(number, block.id), _anchor="post")
        return display.slot_marker(slot, f"#cite-{number}", thread)

    return marker


def article_watch(viewer: Viewer, article_id: int) -> WatchChoice | None:
    """The member's watch level for the whole article, as its form shows it (None for a reader)."""
    if viewer.member is None or viewer.role is None:
        return None
    return WatchChoice(watching.article_level(get_session(), viewer.member, article_id).value, None)


@blueprint.get("/articles/<id:article_id>")
@blueprint.get("/articles/<id:article_id>/<slug>")
def article(article_id: int, slug: str | None = None) -> ResponseReturnValue:
    """An article, paragraph by paragraph, with how each one's discussion stands (410 once unpublished)."""
    viewer = current_viewer()
    moderator = viewer.has_role(Role.MODERATOR)
    view = article_page.article_view(get_session(), article_id, moderator=moderator)
    if slug != view.article.slug:
        return redirect(url_for("forum.article", article_id=article_id, slug=view.article.slug), 301)
    first = first_citing(view)
    markers = {block.id: marker_for(view, block, first) for block in view.blocks}
    return render_template(
        template("article"),
        view=view,
        article=view.article,
        sections=sections(view.blocks),
        cite=lambda block, text: display.with_citations(text, markers[block.id]),
        footnotes=sorted(view.slots.values(), key=lambda slot: slot.number),
        first_citing=first,
        verdict_map=verdict_map(view),
        moderator=moderator,
        admin=viewer.has_role(Role.ADMIN),
        watch=article_watch(viewer, view.article.id),
        watch_target="article",
    )


def sign_in_first() -> ResponseReturnValue | None:
    """Send a reader who is not signed in to sign in first, where the site has a sign-in page."""
    login_view = getattr(getattr(current_app, "login_manager", None), "login_view", None)
    if not current_viewer().is_authenticated and login_view:
        return redirect(url_for(login_view, next=request.full_path.rstrip("?")))
    return None


def unpublish_problem(refusal: ForumError) -> str | None:
    """What the unpublish form says of a refusal: nothing for a conflict (the page says the article is gone)."""
    return None if isinstance(refusal, Conflict) else refusal.message


def unpublish_page(article_id: int, reason: str = "", error: str | None = None) -> str:
    """The admins' page confirming that an article is to be unpublished."""
    article = lookup.get_article(get_session(), article_id)
    return render_template(template("unpublish"), article=article, reason=reason, error=error)


@blueprint.route("/articles/<id:article_id>/unpublish", methods=["GET", "POST"])
def unpublish_article(article_id: int) -> ResponseReturnValue:
    """Unpublish an article (admins), after a page that asks to confirm it and why."""
    if request.method == "GET" and (detour := sign_in_first()) is not None:
        return detour
    viewer = current_viewer()
    require_role(viewer, Role.ADMIN)
    if request.method == "GET":
        return unpublish_page(article_id)
    reason = request.form.get("reason", "")
    session = get_session()
    try:
        article = publication.unpublish_article(session, article_id, acting_member(viewer), reason)
    except ForumError as error:
        return show_again(error, lambda refusal: unpublish_page(article_id, reason, unpublish_problem(refusal)))
    session.commit()
    flash(f"“{article.title}” is unpublished: readers no longer see it; moderators still do.")
    return redirect(url_for("forum.article", article_id=article.id, slug=article.slug), 303)


@blueprint.post("/articles/<id:article_id>/citations/<id:number>")
def accept_citation(article_id: int, number: int) -> ResponseReturnValue:
    """Accept a member's proposed source for a footnote (moderators), or leave the slot open again.

    The form names the proposal (`source_id`), or asks to `reopen` the slot, and the thread it was sent
    from, if any, to go back to.
    """
    viewer = current_viewer()
    require_role(viewer, Role.MODERATOR)
    source_id = None
    if request.form.get("action") != "reopen":
        source_id = parse_id(request.form.get("source_id", ""))
        if source_id is None:
            raise Invalid("Choose the proposed source to accept.", field="source_id")
    session = get_session()
    slot = citations.accept_citation(session, article_id, number, acting_member(viewer), source_id)
    session.commit()
    flash(f"Footnote [{number}] is filled by the accepted source." if slot.accepted
          else f"Footnote [{number}] is open again.")
    block_id = parse_id(request.form.get("block_id", ""))
    if block_id is not None:
        return redirect(url_for("forum.thread", block_id=block_id, _anchor=f"footnote-{number}"), 303)
    article = lookup.get_article(session, article_id)
    return redirect(url_for("forum.article", article_id=article_id, slug=article.slug,
                            _anchor=f"cite-{number}"), 303)
