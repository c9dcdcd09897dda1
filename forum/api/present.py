"""Domain objects as the API's JSON, in the shapes of `forum.api.schemas`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from forum.models import (
    Argument,
    ArgumentVersion,
    Article,
    AuditEntry,
    Block,
    ConsensusChange,
    Flag,
    Source,
    Suggestion,
)
from forum.services.article_list import ArticleListing
from forum.services.article_page import ArticleView, ThreadSummary
from forum.services.citation_slots import Proposal, SlotView
from forum.services.policy import shows_content
from forum.services.threads import ArgumentRecord, Node, SourceRecord, descendants
from forum.urls import host_of


def domain(url: str) -> str:
    """The host of a URL without a leading www., as shown beside a source; "" for no valid address."""
    return host_of(url)


def source_json(source: Source | SourceRecord) -> dict[str, Any]:
    """A source (a row, or the thread's snapshot of one)."""
    accepted = source.accepted if isinstance(source, SourceRecord) else source.accepted_at is not None
    return {
        "url": source.url,
        "title": source.title,
        "quote": source.quote,
        "citation": source.citation,
        "domain": host_of(source.url),
        "accepted": accepted,
    }


def argument_json(
    argument: Argument | ArgumentRecord, *, my_vote: int = 0, moderator: bool = False
) -> dict[str, Any]:
    """An argument; a hidden or withdrawn one shows its content to moderators only."""
    concealed = not shows_content(argument, moderator)
    return {
        "id": argument.id,
        "stance": argument.stance,
        "body": "" if concealed else argument.body,
        "html": "" if concealed else argument.html,
        "author": {"id": argument.author.id, "name": argument.author.name},
        "created_at": argument.created_at.isoformat(),
        "edited_at": argument.edited_at.isoformat() if argument.edited_at else None,
        "edited_by_moderator": argument.moderator_edited,
        "sources": [] if concealed else [source_json(s) for s in argument.sources],
        "score": argument.score,
        "up": argument.up,
        "down": argument.down,
        "helpfulness": argument.helpfulness,
        "helpful": argument.helpful,
        "my_vote": my_vote,
        "hidden": argument.hidden,
        # Members see why an argument is hidden, in place of its content.
        "hidden_reason": argument.hidden_reason if argument.hidden else None,
        "withdrawn": argument.withdrawn_at is not None,
        "parent_id": argument.parent_id,
        "replies": [],  # a thread's tree fills them in (`tree_json`)
    }


# Replies nest this many levels deep; deeper ones are listed flat, in reading order, in the `replies` of
# their ancestor at this depth, each naming what it answers in `parent_id`. A chain of any length then
# stays within what JSON readers take (Python's own `json` gives up a few hundred levels down).
MAX_NESTING = 32


def tree_json(nodes: list[Node], moderator: bool) -> list[dict[str, Any]]:
    """Arguments with every reply beneath them, nested up to `MAX_NESTING` levels, built without recursion."""
    top: list[dict[str, Any]] = []
    stack = [(node, 1, top) for node in reversed(nodes)]
    while stack:
        node, depth, siblings = stack.pop()
        data = argument_json(node.argument, my_vote=node.my_vote, moderator=moderator)
        siblings.append(data)
        if depth < MAX_NESTING:
            stack.extend((reply, depth + 1, data["replies"]) for reply in reversed(node.replies))
        else:
            data["replies"] = [
                argument_json(child.argument, my_vote=child.my_vote, moderator=moderator)
                for child, _ in descendants(node)
            ]
    return top


def version_json(version: ArgumentVersion, edited_at: datetime) -> dict[str, Any]:
    """An earlier text of an argument, and the edit that replaced it (made at `edited_at`)."""
    editor = None
    if version.edited_by_name is not None:
        editor = {"id": version.edited_by_id, "name": version.edited_by_name}
    return {
        "number": version.number,
        "body": version.body,
        "html": version.html,
        "sources": version.sources,
        "written_at": version.written_at.isoformat(),
        "edited_at": edited_at.isoformat(),
        "edited_by": editor,
        "moderator_edit": version.moderator_edit,
        "reason": version.edit_reason,
    }


def thread_json(block: Block, summary: ThreadSummary, setter_name: str | None) -> dict[str, Any]:
    """A thread's summary."""
    return {
        "counts": dict(summary.counts),
        "arguments": summary.arguments,
        "sources": summary.sources,
        "open_citations": summary.open_citations,
        "consensus": consensus_json(block, setter_name),
        "locked": block.locked,
        "lock_reason": block.lock_reason if block.locked else None,
    }


def member_ref(member_id: int | None, name: str | None) -> dict[str, Any] | None:
    """A member as `{"id", "name"}` (a name no longer known is "")."""
    if member_id is None:
        return None
    return {"id": member_id, "name": name or ""}


def consensus_json(block: Block, setter_name: str | None) -> dict[str, Any]:
    """A thread's current verdict, with who set it (`setter_name`, read with the thread) and when."""
    return {
        "status": block.consensus_status,
        "note": block.consensus_note,
        "note_html": block.consensus_note_html,
        "version": block.consensus_version,
        "key_arguments": list(block.consensus_key_arguments or []),
        "set_by": member_ref(block.consensus_set_by_id, setter_name),
        "set_at": block.consensus_set_at.isoformat() if block.consensus_set_at else None,
        "needs_review": block.consensus_needs_review,
    }


def suggestion_json(suggestion: Suggestion | None) -> dict[str, Any]:
    """A thread's computed suggestion; a thread never scored is `open`, with no basis and no time."""
    if suggestion is None:
        return {"status": "open", "basis": [], "scored_at": None, "algorithm": None}
    return {
        "status": suggestion.status,
        "basis": [
            {"argument_id": b["argument_id"], "stance": b["stance"], "helpfulness": b["helpfulness"]}
            for b in suggestion.basis
        ],
        "scored_at": suggestion.scored_at.isoformat(),
        "algorithm": suggestion.algorithm,
    }


def change_json(change: ConsensusChange) -> dict[str, Any]:
    """One change in a verdict's history."""
    return {
        "version": change.version,
        "from": change.from_status,
        "to": change.to_status,
        "note": change.note,
        "note_html": change.note_html,
        "key_arguments": list(change.key_arguments or []),
        # The name as it was then, even if the member is gone.
        "by": {"id": change.member_id, "name": change.member_name},
        "at": change.created_at.isoformat(),
    }


def flag_json(flag: Flag, *, with_argument: bool = False) -> dict[str, Any]:
    """A flag; the moderators' queue shows the argument with it, content included."""
    data: dict[str, Any] = {
        "id": flag.id,
        "argument_id": flag.argument_id,
        "reason": flag.reason,
        "note": flag.note,
        "by": {"id": flag.member.id, "name": flag.member.name},
        "created_at": flag.created_at.isoformat(),
        "resolved_at": flag.resolved_at.isoformat() if flag.resolved_at else None,
        "resolution": flag.resolution,
    }
    if with_argument:
        argument = flag.argument
        data["argument"] = {
            "id": argument.id,
            "block_id": argument.block_id,
            "stance": argument.stance,
            "body": argument.body,
            "author": {"id": argument.author.id, "name": argument.author.name},
            "hidden": argument.hidden,
        }
    return data


def audit_json(entry: AuditEntry) -> dict[str, Any]:
    """One entry of the audit log."""
    return {
        "id": entry.id,
        "actor": {"id": entry.actor_id, "name": entry.actor_name},
        "action": entry.action,
        "target": {"type": entry.target_type, "id": entry.target_id},
        "reason": entry.reason,
        "details": entry.details or {},
        "at": entry.created_at.isoformat(),
    }


def proposal_json(proposal: Proposal) -> dict[str, Any]:
    """A member's source proposed for a citation slot."""
    return {
        "source_id": proposal.source_id,
        "url": proposal.url,
        "title": proposal.title,
        "argument_id": proposal.argument_id,
        "block_id": proposal.block_id,
        "author": proposal.author_name,
        "accepted": proposal.accepted,
    }


def slot_json(slot: SlotView) -> dict[str, Any]:
    """A citation slot: the article's own reference, members' proposals, the accepted one."""
    return {
        "number": slot.number,
        "reference": slot.reference_text,
        "url": slot.url,
        "accepted": proposal_json(slot.accepted) if slot.accepted else None,
        "proposals": [proposal_json(p) for p in slot.proposals],
        "open": slot.is_open,
    }


def article_fields(article: Article) -> dict[str, Any]:
    """What the list and the article itself say of an article."""
    return {
        "id": article.id,
        "title": article.title,
        "slug": article.slug,
        "date": article.date.isoformat() if article.date else None,
        "source_url": article.source_url,
        "created_at": article.created_at.isoformat(),
    }


def article_json(view: ArticleView) -> dict[str, Any]:
    """An article with its blocks and their threads."""
    unpublished = view.article.unpublished_at
    return {
        **article_fields(view.article),
        "revision": view.article.revision,
        "unpublished_at": unpublished.isoformat() if unpublished else None,
        "citations": [slot_json(s) for s in sorted(view.slots.values(), key=lambda s: s.number)],
        "blocks": [
            {
                "id": block.id,
                "kind": block.kind,
                "position": block.position,
                "section": block.section,
                "text": block.text,
                "citations": [slot.number for slot in view.block_slots(block)],
                "change": block.change,
                "thread": thread_json(block, view.summaries[block.id], view.setters.get(block.consensus_set_by_id or 0))
                if block.is_thread else None,
            }
            for block in view.blocks
        ],
        "removed_blocks": [
            {
                "id": block.id,
                "text": block.text,
                "removed_in": block.removed_in,
                "thread": thread_json(block, view.summaries[block.id], view.setters.get(block.consensus_set_by_id or 0))
                if block.is_thread else None,
            }
            for block in view.removed
        ],
    }


def listing_json(listing: ArticleListing) -> dict[str, Any]:
    """One article of the list."""
    return {
        **article_fields(listing.article),
        "threads": listing.threads,
        "arguments": listing.arguments,
        "open_citations": listing.open_citations,
    }
