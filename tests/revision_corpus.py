"""Hand-written revision pairs for the matcher, each with the mapping it must find (tests/test_revision_matching.py).

Two short opinion pieces written for these tests. Each case names the old and new blocks by their index, so the
expectations read as what a reader would say happened: "the third paragraph was split in two".
"""

from __future__ import annotations

from dataclasses import dataclass

from forum.revisions import Change, Piece

H, P, Q = "heading", "paragraph", "quote"

NIGHT_TRAINS = [
    Piece(H, "Bring back the night trains"),
    Piece(P, "Ten years ago you could board a sleeper in the evening and wake up in another country. Today the same "
             "journey means two flights, a shuttle bus and a hotel that nobody wanted to pay for.[1]"),
    Piece(P, "The railways say sleepers lose money. They count the empty berths in February and forget the full ones "
             "in July. A timetable that runs all year is what builds the habit of taking it."),
    Piece(H, "What it would cost"),
    Piece(P, "A single sleeper car costs less than a kilometre of motorway. Leasing them, as the Austrian operator "
             "did, spreads the cost over twenty years.[2] Staff are the larger expense, and they are also jobs in "
             "towns the flights skip."),
    Piece(P, "Airports pay no fuel tax on international flights. Trains pay for every kilometre of track they use."),
    Piece(P, "Until that changes, the \"cheapest\" ticket will keep winning - whatever it costs the climate.[3]"),
    Piece(H, "A modest proposal"),
    Piece(P, "Start with three routes that already sell out in summer. Run them every night for two winters, publish "
             "the numbers, and let the passengers decide."),
]

LIBRARIES = [
    Piece(H, "Keep the branch libraries open"),
    Piece(P, "The council wants to cut opening hours at every branch library to save money next year."),
    Piece(P, "The branch on Mill Street opens at nine on weekdays and closes at six, and it is full by ten."),
    Piece(P, "The branch on Hill Street opens at nine on weekdays and closes at six, and it is full by noon."),
    Piece(P, "Both are the only warm, quiet rooms for miles where nobody has to buy anything to stay."),
    Piece(P, "Cutting their hours saves less than the council spends on its own newsletter."),
]


def replace(blocks: list[Piece], index: int, text: str, kind: str | None = None) -> list[Piece]:
    """The blocks with block `index` rewritten."""
    changed = list(blocks)
    changed[index] = Piece(kind or blocks[index].kind, text)
    return changed


def renumbered(blocks: list[Piece], shift: int) -> list[Piece]:
    """The blocks with every footnote marker [n] written [n + shift]."""
    text = [piece.text for piece in blocks]
    for number in range(9, 0, -1):
        text = [t.replace(f"[{number}]", f"[{number + shift}]") for t in text]
    return [Piece(piece.kind, t) for piece, t in zip(blocks, text)]


@dataclass(frozen=True)
class Case:
    """A revision pair and the mapping expected: for each new block (change, old block kept, sources), the old
    blocks removed, and the (old, new) pairs offered for review."""

    name: str
    old: list[Piece]
    new: list[Piece]
    placements: list[tuple[Change, int | None, tuple[int, ...]]]
    removed: tuple[int, ...] = ()
    candidates: tuple[tuple[int, int], ...] = ()


U, E, M, S, G, A = Change.UNCHANGED, Change.EDITED, Change.MOVED, Change.SPLIT, Change.MERGED, Change.ADDED


def same(count: int, start: int = 0) -> list[tuple[Change, int | None, tuple[int, ...]]]:
    """`count` unchanged blocks from old index `start` on."""
    return [(U, index, (index,)) for index in range(start, start + count)]


T = NIGHT_TRAINS
L = LIBRARIES
SPLIT_FOUR = [
    Piece(P, "A single sleeper car costs less than a kilometre of motorway. Leasing them, as the Austrian operator "
             "did, spreads the cost over twenty years.[2]"),
    Piece(P, "Staff are the larger expense, and they are also jobs in towns the flights skip."),
]
MERGED_FIVE_SIX = Piece(P, "Airports pay no fuel tax on international flights. Trains pay for every kilometre of "
                           "track they use. Until that changes, the \"cheapest\" ticket will keep winning - whatever it "
                           "costs the climate.[3]")
NEW_PARAGRAPH = Piece(P, "Families know this already: a child asleep in a bunk is easier than a child awake at a gate.")

CASES = [
    Case("nothing changed", T, T, same(9)),
    Case(
        "a sentence edited",
        T,
        replace(T, 2, "The railways say sleepers lose money. They count the empty berths in the coldest months and "
                      "forget the full ones in July. A timetable that runs all year is what builds the habit of taking it."),
        same(2) + [(E, 2, (2,))] + same(6, 3),
    ),
    Case(
        "quotes, dashes, spaces and case are no edit",
        T,
        replace(T, 6, "Until that changes,  the “cheapest” ticket will keep winning — whatever it costs the CLIMATE.[3]"),
        same(9),
    ),
    Case("footnotes renumbered are no edit", T, renumbered(T, 4), same(9)),
    Case(
        "a paragraph moved far",
        T,
        [T[0], T[8], *T[1:8]],
        [(U, 0, (0,)), (M, 8, (8,))] + same(7, 1),
    ),
    Case(
        "a paragraph moved and edited: the edit is what counts",
        T,
        [T[0], Piece(P, T[8].text.replace("three routes", "four routes")), *T[1:8]],
        [(U, 0, (0,)), (E, 8, (8,))] + same(7, 1),
    ),
    Case(
        "a paragraph split in two",
        T,
        [*T[:4], *SPLIT_FOUR, *T[5:]],
        same(4) + [(S, 4, (4,)), (S, None, (4,))] + same(4, 5),
    ),
    Case(
        "two paragraphs merged",
        T,
        [*T[:5], MERGED_FIVE_SIX, *T[7:]],
        same(5) + [(G, 5, (5, 6))] + same(2, 7),
    ),
    Case("a paragraph removed", T, [*T[:5], *T[6:]], same(5) + same(3, 6), removed=(5,)),
    Case(
        "a paragraph inserted, footnotes after it renumbered",
        T,
        [*T[:2], NEW_PARAGRAPH, *T[2:]],
        same(2) + [(A, None, ())] + same(7, 2),
    ),
    Case(
        "a heading rewritten",
        T,
        replace(T, 3, "The real price of a sleeper"),
        same(3) + [(E, 3, (3,))] + same(5, 4),
    ),
    Case(
        "a paragraph turned into a quote",
        T,
        replace(T, 5, T[5].text, Q),
        same(5) + [(E, 5, (5,))] + same(3, 6),
    ),
    Case(
        "a paragraph rewritten beyond recognition is removed and added, and offered for review",
        T,
        replace(T, 8, "Start small: three routes, two winters, and a public count of the berths sold."),
        same(8) + [(A, None, ())],
        removed=(8,),
        candidates=((8, 8),),
    ),
    Case(
        "everything at once",
        T,
        [
            Piece(H, "Bring the night trains back"),
            T[1],
            NEW_PARAGRAPH,
            T[3],
            *renumbered(SPLIT_FOUR, 1),
            T[7],
            T[8],
            T[2],
        ],
        [(E, 0, (0,)), (U, 1, (1,)), (A, None, ()), (U, 3, (3,)), (S, 4, (4,)), (S, None, (4,)), (U, 7, (7,)),
         (U, 8, (8,)), (M, 2, (2,))],
        removed=(5, 6),
    ),
    Case(
        "near duplicates: the edited one keeps its own thread",
        L,
        replace(L, 3, "The branch on Hill Street opens at ten on weekdays and closes at six, and it is full by noon."),
        same(3) + [(E, 3, (3,))] + same(2, 4),
    ),
    Case(
        "near duplicates: both edited alike, each keeps its own",
        L,
        [L[0], L[1], *(Piece(P, L[i].text.replace("at nine", "at half past nine")) for i in (2, 3)), *L[4:]],
        same(2) + [(E, 2, (2,)), (E, 3, (3,))] + same(2, 4),
    ),
    Case(
        "near duplicates swapped: each follows its own text",
        L,
        [L[0], L[1], L[3], L[2], *L[4:]],
        same(2) + [(M, 3, (3,)), (U, 2, (2,))] + same(2, 4),
    ),
    Case(
        "identical paragraphs keep their order",
        [L[0], L[4], L[1], L[4], L[5]],
        [L[0], L[4], NEW_PARAGRAPH, L[1], L[4], L[5]],
        [(U, 0, (0,)), (U, 1, (1,)), (A, None, ()), (U, 2, (2,)), (U, 3, (3,)), (U, 4, (4,))],
    ),
    Case(
        "a heading never becomes a paragraph",
        L,
        [Piece(P, L[0].text), *L[1:]],
        [(A, None, ())] + same(5, 1),
        removed=(0,),
    ),
]
