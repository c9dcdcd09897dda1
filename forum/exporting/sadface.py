"""SADFace: `metadata` (its `core`, and the forum's own facts), the article as a text `resource`, atoms for
paragraphs (with their offsets into that text) and arguments, and `support` and `attack` schemes, streamed in
one pass over the article's threads.

A question is an atom whose `forum` metadata marks it a question and names what it asks about: SADFace has
no scheme for asking. Replies to it support or attack it as they do any other atom.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from forum.exporting.common import LOSSES, Section, argument_text, dumps, iso
from forum.exporting.model import ArgumentItem, BlockItem, Header, walk

SCHEMES = {"counter": "attack", "support": "support"}
RESOURCE = "article"
SEPARATOR = "\n\n"  # between blocks in the article's text resource


def stamp(moment: datetime | None) -> str:
    """A time as SADFace writes it."""
    # isoformat is faster than strftime and writes the same text for every year from 1000 on.
    return (moment or datetime(1970, 1, 1, tzinfo=UTC)).astimezone(UTC).isoformat("T", "seconds")[:19]


def in_resource(block: BlockItem) -> bool:
    """Whether the block is part of the article's current text (revisions left removed blocks out)."""
    return block.removed_in is None


def argument_atom(block: BlockItem, a: ArgumentItem, parent: ArgumentItem | None) -> dict[str, Any]:
    """An argument's atom, with what SADFace has no place for in its `forum` metadata."""
    return {
        "id": f"a{a.id}", "type": "atom", "text": argument_text(a), "sources": [],
        "metadata": {"forum": {
            "stance": a.stance, "question": a.stance == "question",
            "answers": f"a{parent.id}" if parent is not None else f"b{block.id}",
            "author": {"id": a.author_id, "name": a.author_name}, "created_at": iso(a.created_at),
            "score": a.score, "up": a.up, "down": a.down, "helpfulness": a.helpfulness, "helpful": a.helpful,
            "hidden": a.hidden, "withdrawn": a.withdrawn,
            "sources": [{"url": s.url, "title": s.title, "quote": s.quote, "citation": s.citation}
                        for s in a.sources],
        }},
    }


def paragraph_atom(block: BlockItem, offset: int | None) -> dict[str, Any]:
    """A paragraph's atom, pointing into the article's text where it still stands there."""
    verdict = block.verdict
    forum: dict[str, Any] = {"kind": block.kind, "section": block.section, "citations": block.citations,
                             "removed_in": block.removed_in}
    if verdict is not None:
        forum["verdict"] = {
            "status": verdict.status, "note": verdict.note, "version": verdict.version,
            "key_arguments": [f"a{i}" for i in verdict.key_arguments],
            "history": [{"version": c.version, "from": c.from_status, "to": c.to_status, "note": c.note,
                         "by": c.member_name, "at": iso(c.created_at)} for c in verdict.history],
        }
    sources = [] if offset is None else [
        {"resource_id": RESOURCE, "text": block.text, "offset": offset, "length": len(block.text)}
    ]
    return {"id": f"b{block.id}", "type": "atom", "text": block.text, "sources": sources,
            "metadata": {"forum": forum}}


def write(header: Header, blocks: Iterable[BlockItem]) -> Iterator[str]:
    """The SADFace export as chunks of JSON text, reading the threads once: the article's text streams as each batch
    comes, while `nodes` and `edges` are spooled, then streamed in their turn."""
    core = {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"forum-article:{header.id}")),
        "analyst_name": "forum export", "analyst_email": "", "created": stamp(header.created_at),
        "edited": stamp(header.created_at), "title": header.title, "description": header.source_url or "",
        "notes": "", "version": "0.5",
    }
    forum = {"article": {"id": header.id, "title": header.title, "revision": header.revision,
                         "moderator_export": header.moderator,
                         "open_citations": [slot.number for slot in header.open_slots]},
             "losses": LOSSES["sadface"]}
    yield f'{{"metadata":{{"core":{dumps(core)},"forum":{dumps(forum)}}},'
    yield f'"resources":[{{"id":"{RESOURCE}","type":"text","metadata":{{}},"content":"'
    offset = 0
    with Section() as node_list, Section() as edge_list:
        for block in blocks:
            where = None
            if in_resource(block):
                yield ("" if offset == 0 else dumps(SEPARATOR)[1:-1]) + dumps(block.text)[1:-1]
                where = offset
                offset += len(block.text) + len(SEPARATOR)
            if not block.is_thread:
                continue
            nodes: list[dict[str, Any]] = [paragraph_atom(block, where)]
            edges: list[dict[str, str]] = []
            for a, parent in walk(block.arguments):
                nodes.append(argument_atom(block, a, parent))
                if a.stance in SCHEMES:
                    nodes.append({"id": f"s{a.id}", "type": "scheme", "name": SCHEMES[a.stance], "metadata": {}})
                    target = f"a{parent.id}" if parent is not None else f"b{block.id}"
                    edges.append({"id": f"e{a.id}f", "source_id": f"a{a.id}", "target_id": f"s{a.id}"})
                    edges.append({"id": f"e{a.id}t", "source_id": f"s{a.id}", "target_id": target})
            node_list.add(nodes)
            edge_list.add(edges)
        yield '"}],"nodes":['
        yield from node_list.chunks()
        yield '],"edges":['
        yield from edge_list.chunks()
        yield "]}"
