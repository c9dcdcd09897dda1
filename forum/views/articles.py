"""The article page: sections, blocks with their thread summaries, citation links and footnotes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from markupsafe import Markup

from forum.db import get_session
from forum.models import Block
from forum.services import articles
from forum.services.articles import ArticleView
from forum.settings import template
from forum.views import blueprint, display
from forum.views.consensus import verdict_map

blueprint.context_processor(display.helpers)


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


@blueprint.get("/articles/<id:article_id>")
@blueprint.get("/articles/<id:article_id>/<slug>")
def article(article_id: int, slug: str | None = None) -> ResponseReturnValue:
    """An article, paragraph by paragraph, with how each one's discussion stands."""
    view = articles.article_view(get_session(), article_id)
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
    )
