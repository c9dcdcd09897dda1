"""AIFdb JSON: `nodes` (I for statements, RA for support, CA for conflict, L and YA for who said what and
questioning), `edges`, `locutions` and `participants`, streamed in one pass over the article's threads.

A paragraph is an I-node. An argument is an I-node with its text, said by its author (an L-node anchored on it by
a YA node, "Asserting"); a counter attacks what it answers through a CA node, a support supports it through an
RA node. A question's I-node is anchored by "Pure Questioning" from its locution, which also questions the
statement it asks about. The forum's own facts (sources, scores, verdicts) and the losses are in `forum`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, NamedTuple

from forum.exporting.common import LOSSES, Section, argument_text, dumps, iso, items
from forum.exporting.model import ArgumentItem, BlockItem, Header, walk

RELATIONS = {"counter": ("CA", "Default Conflict"), "support": ("RA", "Default Inference")}


def stamp(moment: datetime | None) -> str:
    """A time as AIFdb writes it."""
    # isoformat is faster than strftime and writes the same text for every year from 1000 on.
    return (moment or datetime(1970, 1, 1, tzinfo=UTC)).astimezone(UTC).isoformat(" ", "seconds")[:19]


def target_of(block: BlockItem, parent: ArgumentItem | None) -> str:
    """The I-node an argument answers: its parent's, or its paragraph's."""
    return f"a{parent.id}" if parent is not None else f"b{block.id}"


class Thread(NamedTuple):
    """One thread's part of each section of the export."""

    nodes: list[dict[str, Any]]
    edges: list[tuple[str, str]]
    locutions: list[dict[str, Any]]
    facts: dict[str, Any]
    authors: dict[int, str]


def thread_parts(block: BlockItem) -> Thread:
    """A thread's nodes, edges (as from, to), locutions, the forum's facts and its authors, in one walk of its
    tree."""
    nodes: list[dict[str, Any]] = [{"nodeID": f"b{block.id}", "text": block.text, "type": "I",
                                    "timestamp": stamp(None)}]
    edges: list[tuple[str, str]] = []
    locutions: list[dict[str, Any]] = []
    arguments: list[dict[str, Any]] = []
    authors: dict[int, str] = {}
    for a, parent in walk(block.arguments):
        authors.setdefault(a.author_id, a.author_name)
        when = stamp(a.created_at)
        text = argument_text(a)
        asking = a.stance == "question"
        nodes.append({"nodeID": f"a{a.id}", "text": text, "type": "I", "timestamp": when})
        nodes.append({"nodeID": f"l{a.id}", "text": f"{a.author_name}: {text}", "type": "L", "timestamp": when})
        nodes.append({"nodeID": f"y{a.id}", "text": "Pure Questioning" if asking else "Asserting", "type": "YA",
                      "timestamp": when})
        edges.append((f"l{a.id}", f"y{a.id}"))
        edges.append((f"y{a.id}", f"a{a.id}"))
        if asking:
            edges.append((f"y{a.id}", target_of(block, parent)))
        else:
            kind, scheme = RELATIONS[a.stance]
            nodes.append({"nodeID": f"r{a.id}", "text": scheme, "type": kind, "timestamp": when})
            edges.append((f"a{a.id}", f"r{a.id}"))
            edges.append((f"r{a.id}", target_of(block, parent)))
        locutions.append({"nodeID": f"l{a.id}", "personID": str(a.author_id), "timestamp": when,
                          "start": None, "end": None, "source": None})
        arguments.append({"node": f"a{a.id}", "stance": a.stance, "score": a.score, "helpfulness": a.helpfulness,
                          "sources": [{"url": s.url, "title": s.title, "quote": s.quote, "citation": s.citation}
                                      for s in a.sources]})
    verdict = block.verdict
    facts = {
        "node": f"b{block.id}", "kind": block.kind, "section": block.section,
        "verdict": None if verdict is None else {"status": verdict.status, "note": verdict.note,
                                                 "version": verdict.version},
        "arguments": arguments,
    }
    return Thread(nodes, edges, locutions, facts, authors)


def write(header: Header, blocks: Iterable[BlockItem]) -> Iterator[str]:
    """The AIF export as chunks of JSON text, reading the threads once: `nodes` stream as each batch comes, while
    `edges`, `locutions` and the forum's facts of each thread are spooled, then streamed in their turn."""
    people: dict[int, str] = {}
    number = 0
    first = True
    with Section() as edge_list, Section() as locutions, Section() as facts:
        yield '{"nodes":['
        for block in blocks:
            if not block.is_thread:
                continue
            thread = thread_parts(block)
            yield ("" if first else ",") + items(thread.nodes)
            first = False
            links = []
            for source, target in thread.edges:
                number += 1
                links.append({"edgeID": str(number), "fromID": source, "toID": target, "formEdgeID": None})
            edge_list.add(links)
            for author_id, name in thread.authors.items():
                people.setdefault(author_id, name)
            locutions.add(thread.locutions)
            facts.add([thread.facts])
        yield '],"edges":['
        yield from edge_list.chunks()
        yield '],"locutions":['
        yield from locutions.chunks()
        participants = [{"participantID": str(i), "firstname": name, "surname": ""} for i, name in people.items()]
        yield f'],"participants":{dumps(participants)},"forum":{{"article":{dumps(article_facts(header))},'
        yield f'"losses":{dumps(LOSSES["aif"])},"threads":['
        yield from facts.chunks()
        yield "]}}"


def article_facts(header: Header) -> dict[str, Any]:
    """The article as the `forum` object names it."""
    return {"id": header.id, "title": header.title, "source_url": header.source_url,
            "revision": header.revision, "created_at": iso(header.created_at),
            "moderator_export": header.moderator,
            "open_citations": [slot.number for slot in header.open_slots]}
