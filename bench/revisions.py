"""The revision matcher: how many threads land on the paragraph that descends from theirs, and how fast a long
article is matched.

    .venv/bin/python bench/revisions.py [--pairs 300] [--paragraphs 40] [--edits 10] [--long 3000] [--repeat 3]
                                        [--markdown FILE]

Accuracy: `--pairs` random articles of `--paragraphs` paragraphs (tests/revision_generator.py), each revised by
`--edits` random edits with a known lineage, matched by `forum.revisions.match_revision`. Speed: an article of
`--long` paragraphs revised lightly (a tenth as many edits as paragraphs), heavily (half as many) and throughout
(twice as many), the best of `--repeat` runs. See bench/README.md.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

from bench.scoring import markdown, percent, table
from forum.revisions import match_revision
from tests.revision_generator import landing, revise


def accuracy(pairs: int, paragraphs: int, edits: int) -> list[list[str]]:
    """Threads re-attached rightly, wrongly, orphaned (reported removed though a descendant exists) and lost."""
    right = wrong = orphaned = orphaned_destroyed = lost = removed_right = total = 0
    identity = identity_total = review = 0
    for seed in range(pairs):
        revision = revise(random.Random(seed), paragraphs, edits)
        matching = match_revision(revision.old, revision.new)
        accounted = {old for p in matching.placements for old in p.sources} | set(matching.removed)
        lost += len(set(range(len(revision.old))) - accounted)
        review += len(matching.candidates)
        for old, truth in revision.lands.items():
            found = landing(matching, old)
            total += 1
            if found == truth:
                right += 1
                removed_right += truth is None
            elif found is None:
                orphaned += 1
                orphaned_destroyed += old in revision.destroyed
            else:
                wrong += 1
        for new, keeps in revision.keeps.items():
            identity_total += 1
            identity += matching.placements[new].keeps == keeps
    return [
        ["threads re-attached to their paragraph's descendant", percent(right, total)],
        ["  of which rightly reported removed", percent(removed_right, total)],
        ["threads attached to the wrong block", percent(wrong, total)],
        ["threads orphaned (reported removed, a descendant exists)", percent(orphaned, total)],
        ["  of which more than 40 % of the words gone", percent(orphaned_destroyed, max(1, orphaned))],
        ["threads lost (neither kept, merged, split nor removed)", str(lost)],
        ["new blocks keeping the right identity", percent(identity, identity_total)],
        ["pairings offered for review", f"{review} in {pairs} revisions"],
    ]


def speed(paragraphs: int, repeat: int) -> list[list[str]]:
    """Seconds to match a long article revised lightly, heavily and throughout."""
    rows = []
    for label, edits in (("lightly", paragraphs // 10), ("heavily", paragraphs // 2), ("throughout", 2 * paragraphs)):
        revision = revise(random.Random(7), paragraphs, edits)
        best = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            matching = match_revision(revision.old, revision.new)
            best = min(best, time.perf_counter() - start)
        right = sum(landing(matching, old) == truth for old, truth in revision.lands.items())
        changed = sum(count for change, count in matching.counts().items() if change != "unchanged")
        rows.append(
            [
                f"{len(revision.old):,} blocks, {edits:,} edits ({label})",
                f"{best:.2f} s",
                f"{changed:,} blocks changed",
                percent(right, len(revision.lands)),
            ]
        )
    return rows


def main() -> None:
    """Run both measurements and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=300)
    parser.add_argument("--paragraphs", type=int, default=40)
    parser.add_argument("--edits", type=int, default=10)
    parser.add_argument("--long", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--markdown", type=Path)
    options = parser.parse_args()
    header = ["measure", f"{options.pairs} revisions of {options.paragraphs} paragraphs, {options.edits} edits each"]
    rows = accuracy(options.pairs, options.paragraphs, options.edits)
    print(table("Accuracy", header, rows))
    speed_header = ["article", "matching", "changes found", "threads re-attached"]
    speed_rows = speed(options.long, options.repeat)
    print(table("Speed", speed_header, speed_rows))
    sections = [markdown(header, rows), markdown(speed_header, speed_rows)]
    print("\n\n".join(sections))
    if options.markdown:
        options.markdown.write_text("\n\n".join(sections) + "\n")


if __name__ == "__main__":
    main()
