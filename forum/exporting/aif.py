"""AIFdb JSON: `nodes` (I for statements, RA for support, CA for conflict, L and YA for who said what and
questioning), `edges`, `locutions` and `participants`, streamed in passes over the article's threads.

A paragraph is an I-node. An argument is an I-node with its text, said by its author (an L-node anchored on it by
a YA node, "Asserting"); a counter attacks what it answers through a CA node, a support supports it through an
RA node. A question's I-node is anchored by "Pure Questioning" from its locution, which also questions the
statement it asks about. The forum's own facts (sources, scores, verdicts) and the losses are in `forum`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from forum.exporting.common import LOSSES, argument_text, dumps, iso
from forum.exporting.model import ArgumentItem, BlockItem, Header, walk

RELATIONS = {"counter": ("CA", "Default Conflict"), "support": ("RA", "Default Inference")}


def stamp(moment: datetime | None) -> str:
    """A time as AIFdb writes it."""
    return (moment or datetime(1970, 1, 1, tzinfo=UTC)).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def target_of(block: BlockItem, parent: ArgumentItem | None) -> str:
    """The I-node an argument answers: its parent's, or its paragraph's."""
    return f"a{parent.id}" if parent is not None else f"b{block.id}"


def nodes(block: BlockItem) -> Iterator[dict[str, Any]]:
    """A thread's nodes."""
    yield {"nodeID": f"b{block.id}", "text": block.text, "type": "I", "timestamp": stamp(None)}
    for a, _ in walk(block.arguments):
        when = stamp(a.created_at)
        text = argument_text(a)
        yield {"nodeID": f"a{a.id}", "text": text, "type": "I", "timestamp": when}
        yield {"nodeID": f"l{a.id}", "text": f"{a.author_name}: {text}", "type": "L", "timestamp": when}
        asking = a.stance == "question"
        yield {"nodeID": f"y{a.id}", "text": "Pure Questioning" if asking else "Asserting", "type": "YA",
               "timestamp": when}
        if not asking:
            kind, scheme = RELATIONS[a.stance]
            yield {"nodeID": f"r{a.id}", "text": scheme, "type": kind, "timestamp": when}


def edges(block: BlockItem) -> Iterator[tuple[str, str]]:
    """A thread's edges, as (from, to)."""
    for a, parent in walk(block.arguments):
        yield f"l{a.id}", f"y{a.id}"
        yield f"y{a.id}", f"a{a.id}"
        if a.stance == "question":
            yield f"y{a.id}", target_of(block, parent)
        else:
            yield f"a{a.id}", f"r{a.id}"
            yield f"r{a.id}", target_of(block, parent)


def forum_facts(block: BlockItem) -> dict[str, Any]:
    """What AIF has no place for, of one thread: its verdict and its arguments' sources and scores."""
    verdict = block.verdict
    return {
        "node": f"b{block.id}", "kind": block.kind, "section": block.section,
        "verdict": None if verdict is None else {"status": verdict.status, "note": verdict.note,
                                                 "version": verdict.version},
        "arguments": [
            {"node": f"a{a.id}", "stance": a.stance, "score": a.score, "helpfulness": a.helpfulness,
             "sources": [{"url": s.url, "title": s.title, "quote": s.quote, "citation": s.citation}
                         for s in a.sources]}
            for a, _ in walk(block.arguments)
        ],
    }


def write(header: Header, blocks: Callable[[], Iterable[BlockItem]]) -> Iterator[str]:
    """The AIF export as chunks of JSON text, in four passes over the threads (each read in batches)."""
    yield '{"nodes":['
    first = True
    for block in blocks():
        if block.is_thread:
            chunk = ",".join(dumps(node) for node in nodes(block))
            yield ("" if first else ",") + chunk
            first = False
    yield '],"edges":['
    number = 0
    for block in blocks():
        parts = []
        for source, target in edges(block) if block.is_thread else ():
            number += 1
            parts.append(dumps({"edgeID": str(number), "fromID": source, "toID": target, "formEdgeID": None}))
        if parts:
            yield ("," if number > len(parts) else "") + ",".join(parts)
    yield '],"locutions":['
    people: dict[int, str] = {}
    first = True
    for block in blocks():
        parts = []
        for a, _ in walk(block.arguments):
            people.setdefault(a.author_id, a.author_name)
            parts.append(dumps({"nodeID": f"l{a.id}", "personID": str(a.author_id), "timestamp": stamp(a.created_at),
                                "start": None, "end": None, "source": None}))
        if parts:
            yield ("" if first else ",") + ",".join(parts)
            first = False
    participants = [{"participantID": str(i), "firstname": name, "surname": ""} for i, name in people.items()]
    yield f'],"participants":{dumps(participants)},"forum":{{"article":{dumps(article_facts(header))},'
    yield f'"losses":{dumps(LOSSES["aif"])},"threads":['
    first = True
    for block in blocks():
        if block.is_thread:
            yield ("" if first else ",") + dumps(forum_facts(block))
            first = False
    yield "]}}"


def article_facts(header: Header) -> dict[str, Any]:
    """The article as the `forum` object names it."""
    return {"id": header.id, "title": header.title, "source_url": header.source_url,
            "revision": header.revision, "created_at": iso(header.created_at),
            "moderator_export": header.moderator,
            "open_citations": [slot.number for slot in header.open_slots]}
