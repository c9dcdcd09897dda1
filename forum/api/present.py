"""Domain objects as the API's JSON, in the shapes of `forum.api.schemas`."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from forum.models import Argument, ArgumentVersion, Block, Source
from forum.services.articles import ArticleListing, ArticleView, SlotView, ThreadSummary
from forum.services.threads import Node


def domain(url: str) -> str:
    """The host of a URL without a leading www., as shown beside a source."""
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.")


def source_json(source: Source) -> dict[str, Any]:
    """A source."""
    return {
        "url": source.url,
        "title": source.title,
        "quote": source.quote,
        "citation": source.citation,
        "domain": domain(source.url),
    }


def argument_json(argument: Argument, *, my_vote: int = 0, moderator: bool = False,
                  replies: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """An argument; a hidden or withdrawn one shows its content to moderators only."""
    concealed = (argument.hidden or argument.withdrawn_at is not None) and not moderator
    return {
        "id": argument.id,
        "stance": argument.stance,
        "body": "" if concealed else argument.body,
        "html": "" if concealed else argument.html,
        "author": {"id": argument.author.id, "name": argument.author.name},
        "created_at": argument.created_at.isoformat(),
        "edited_at": argument.edited_at.isoformat() if argument.edited_at else None,
        "sources": [] if concealed else [source_json(s) for s in argument.sources],
        "score": argument.score,
        "up": argument.up,
        "down": argument.down,
        "my_vote": my_vote,
        "hidden": argument.hidden,
        "withdrawn": argument.withdrawn_at is not None,
        "parent_id": argument.parent_id,
        "replies": replies or [],
    }


def node_json(node: Node, moderator: bool) -> dict[str, Any]:
    """An argument with every reply beneath it."""
    replies = [node_json(reply, moderator) for reply in node.replies]
    return argument_json(node.argument, my_vote=node.my_vote, moderator=moderator, replies=replies)


def version_json(version: ArgumentVersion) -> dict[str, Any]:
    """An earlier text of an argument."""
    return {
        "number": version.number,
        "body": version.body,
        "html": version.html,
        "sources": version.sources,
        "written_at": version.written_at.isoformat(),
    }


def thread_json(block: Block, summary: ThreadSummary) -> dict[str, Any]:
    """A thread's summary."""
    return {
        "counts": dict(summary.counts),
        "arguments": summary.arguments,
        "sources": summary.sources,
        "open_citations": summary.open_citations,
        "consensus": {
            "status": block.consensus_status,
            "note": block.consensus_note,
            "version": block.consensus_version,
            "key_arguments": [],
        },
        "locked": block.locked,
    }


def slot_json(slot: SlotView) -> dict[str, Any]:
    """A citation slot."""
    return {
        "number": slot.number,
        "reference": slot.reference_text,
        "url": slot.url,
        "proposed_url": slot.proposed_url,
        "open": slot.is_open,
    }


def article_json(view: ArticleView) -> dict[str, Any]:
    """An article with its blocks and their threads."""
    article = view.article
    return {
        "id": article.id,
        "title": article.title,
        "slug": article.slug,
        "date": article.date.isoformat() if article.date else None,
        "source_url": article.source_url,
        "created_at": article.created_at.isoformat(),
        "citations": [slot_json(s) for s in sorted(view.slots.values(), key=lambda s: s.number)],
        "blocks": [
            {
                "id": block.id,
                "kind": block.kind,
                "position": block.position,
                "section": block.section,
                "text": block.text,
                "citations": [slot.number for slot in view.block_slots(block)],
                "thread": thread_json(block, view.summaries[block.id]) if block.is_thread else None,
            }
            for block in view.blocks
        ],
    }


def listing_json(listing: ArticleListing) -> dict[str, Any]:
    """One article of the list."""
    article = listing.article
    return {
        "id": article.id,
        "title": article.title,
        "slug": article.slug,
        "date": article.date.isoformat() if article.date else None,
        "source_url": article.source_url,
        "created_at": article.created_at.isoformat(),
        "threads": listing.threads,
        "arguments": listing.arguments,
        "open_citations": listing.open_citations,
    }
