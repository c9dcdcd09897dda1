"""The forum's own JSON export (`forum-debate`, version 1): everything the export model holds, streamed block by
block; its JSON Schema is `forum/exporting/export.schema.json`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from forum.exporting.common import LOSSES, dumps, iso
from forum.exporting.model import ArgumentItem, BlockItem, Header, walk
from forum.services.citation_slots import SlotView

FORMAT = "forum-debate"
VERSION = 1
# Replies nest this deep; deeper ones are listed in their ancestor's `replies` at this depth, each naming its
# parent in `parent_id` (as the API does), so that any JSON reader takes a chain of any length.
MAX_NESTING = 32


def header_json(header: Header) -> dict[str, Any]:
    """The article as the export names it."""
    return {
        "id": header.id, "title": header.title, "slug": header.slug,
        "date": header.date.isoformat() if header.date else None, "source_url": header.source_url,
        "created_at": iso(header.created_at), "revision": header.revision,
        "unpublished_at": iso(header.unpublished_at),
    }


def slot_json(slot: SlotView) -> dict[str, Any]:
    """A citation slot: the article's own reference, whether it is open, and members' proposals for it."""
    accepted = slot.accepted
    return {
        "number": slot.number, "reference_text": slot.reference_text, "url": slot.url, "open": slot.is_open,
        "accepted": None if accepted is None else {"argument_id": accepted.argument_id, "url": accepted.url,
                                                   "title": accepted.title},
        "proposals": [{"argument_id": p.argument_id, "url": p.url, "title": p.title, "author": p.author_name}
                      for p in slot.proposals if not p.accepted],
    }


def argument_json(a: ArgumentItem) -> dict[str, Any]:
    """One argument, its replies not yet filled in."""
    return {
        "id": a.id, "parent_id": a.parent_id, "stance": a.stance, "body": a.body,
        "author": {"id": a.author_id, "name": a.author_name},
        "created_at": iso(a.created_at), "edited_at": iso(a.edited_at),
        "score": a.score, "up": a.up, "down": a.down, "helpfulness": a.helpfulness, "helpful": a.helpful,
        "hidden": a.hidden, "hidden_reason": a.hidden_reason, "withdrawn": a.withdrawn,
        "sources": [{"url": s.url, "title": s.title, "quote": s.quote, "citation": s.citation,
                     "accepted": s.accepted} for s in a.sources],
        "replies": [],
    }


def tree_json(arguments: list[ArgumentItem]) -> list[dict[str, Any]]:
    """Argument trees as JSON, nested up to `MAX_NESTING` levels, built without recursion."""
    top: list[dict[str, Any]] = []
    stack: list[tuple[ArgumentItem, int, list[dict[str, Any]]]] = [(a, 1, top) for a in reversed(arguments)]
    while stack:
        item, depth, siblings = stack.pop()
        data = argument_json(item)
        siblings.append(data)
        if depth < MAX_NESTING:
            stack.extend((reply, depth + 1, data["replies"]) for reply in reversed(item.replies))
        else:
            data["replies"] = [argument_json(child) for child, _ in walk(item.replies)]
    return top


def block_json(block: BlockItem) -> dict[str, Any]:
    """A block, and its thread (None for a heading)."""
    thread = None
    if block.verdict is not None:
        v = block.verdict
        thread = {
            "locked": block.locked, "lock_reason": block.lock_reason,
            "consensus": {
                "status": v.status, "note": v.note, "version": v.version, "key_arguments": v.key_arguments,
                "set_by": None if v.set_by_id is None else {"id": v.set_by_id, "name": v.set_by_name},
                "set_at": iso(v.set_at), "needs_review": v.needs_review,
                "history": [
                    {"version": c.version, "from": c.from_status, "to": c.to_status, "note": c.note,
                     "key_arguments": c.key_arguments,
                     "by": {"id": c.member_id, "name": c.member_name}, "at": iso(c.created_at)}
                    for c in v.history
                ],
            },
            "arguments": tree_json(block.arguments),
        }
    return {
        "id": block.id, "position": block.position, "kind": block.kind, "section": block.section,
        "text": block.text, "change": block.change, "removed_in": block.removed_in,
        "merged_into": block.merged_into_id, "citations": block.citations,
        "revisions": [{"revision": r, "text": t} for r, t in block.revisions],
        "thread": thread,
    }


def write(header: Header, blocks: Iterable[BlockItem]) -> Iterator[str]:
    """The export as chunks of JSON text: the header, then one chunk per block (read once, a batch at a time)."""
    yield (
        f'{{"format":"{FORMAT}","version":{VERSION},"moderator_export":{dumps(header.moderator)},'
        f'"article":{dumps(header_json(header))},'
        f'"citations":{dumps([slot_json(s) for s in header.slots])},"losses":{dumps(LOSSES["json"])},"blocks":['
    )
    for n, block in enumerate(blocks):
        yield ("," if n else "") + dumps(block_json(block))
    yield "]}"
