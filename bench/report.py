"""The page benchmark's report: each target's rate against the two bare apps, the scale check, the notes."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from harness import Result, markdown_table, plain_table, statuses_text

SCALE_TARGET = 1.20  # the large database's latency should stay within 20 % of the small one's


@dataclass
class Row:
    """A measured target, and the statuses that count as success on it."""

    result: Result
    ok: frozenset[int]
    yardstick: str | None = None  # the bare write it is measured against


@dataclass
class Scale:
    """The thread page's latency on the small and the large database."""

    database: str
    target: str
    small: Result
    large: Result
    arguments: tuple[int, int]  # (small, large)


@dataclass
class Outcome:
    """Everything measured on one database."""

    rows: list[Row] = field(default_factory=list)
    scale: list[Scale] = field(default_factory=list)


def unexpected(row: Row) -> int:
    """Responses whose status the row does not expect (for plain rows: anything not 2xx)."""
    return sum(n for status, n in row.result.statuses.items() if status not in row.ok)


HEADERS = ["target", "database", "requests/s", "p50 ms", "p99 ms", "p99/p50", "non-2xx", "304", "socket errors",
           "/ hello world", "/ 200 rows", "/ bare write"]
SCALE_HEADERS = ["database", "thread page", "arguments", "p50 ms", "p99 ms", "p50 large/small",
                 "p99 large/small", f"within {SCALE_TARGET - 1:.0%}"]


def table_rows(outcomes: list[Outcome]) -> list[list[str]]:
    """The main table's cells: each row's figures and its rate over the yardsticks' rates."""
    cells = []
    for outcome in outcomes:
        rates = {row.result.target: row.result.rate for row in outcome.rows}
        hello = rates.get("hello world (bare Flask)", 0.0)
        bare = rates.get("200 rows, one query (bare Flask)", 0.0)
        for row in outcome.rows:
            r = row.result
            if not r.slices:
                cells.append([r.target, r.database, "not measured", "", "", "", "", "", "", "", "", ""])
                continue
            yardstick = rates.get(row.yardstick or "", 0.0)
            # A 304 is a success only on the row that asks for one; elsewhere it counts as non-2xx.
            non_2xx = sum(n for status, n in r.statuses.items() if not 200 <= status < 300)
            cells.append([
                r.target, r.database, f"{r.rate:.0f}", f"{r.p50_ms:.1f}", f"{r.p99_ms:.1f}",
                f"{r.p99_ms / r.p50_ms:.1f}" if r.p50_ms else "",
                str(non_2xx - r.statuses.get(304, 0) if 304 in row.ok else non_2xx),
                str(r.statuses.get(304, 0)), str(r.errors),
                f"{r.rate / hello:.3f}" if hello else "", f"{r.rate / bare:.2f}" if bare else "",
                f"{r.rate / yardstick:.2f}" if yardstick else "",
            ])
    return cells


def scale_rows(outcomes: list[Outcome]) -> list[list[str]]:
    """The scale table's cells: small and large side by side, with the ratios on the large row."""
    cells = []
    for outcome in outcomes:
        for s in outcome.scale:
            p50 = s.large.p50_ms / s.small.p50_ms if s.small.p50_ms else math.nan
            p99 = s.large.p99_ms / s.small.p99_ms if s.small.p99_ms else math.nan
            cells.append([s.database, s.target, f"{s.arguments[0]:,}", f"{s.small.p50_ms:.1f}",
                          f"{s.small.p99_ms:.1f}", "", "", ""])
            cells.append([s.database, s.target, f"{s.arguments[1]:,}", f"{s.large.p50_ms:.1f}",
                          f"{s.large.p99_ms:.1f}", f"{p50:.2f}", f"{p99:.2f}",
                          "yes" if max(p50, p99) <= SCALE_TARGET else "no"])
    return cells


def report(outcomes: list[Outcome], conditions: str) -> str:
    """Print the tables, the conditions (one line) and notes; return the Markdown version."""
    rows = table_rows(outcomes)
    print()
    print(plain_table(HEADERS, rows, 2))
    scales = scale_rows(outcomes)
    if scales:
        print()
        print(plain_table(SCALE_HEADERS, scales, 2))
    print()
    print(conditions)
    notes = []
    for outcome in outcomes:
        for row in outcome.rows:
            r = row.result
            if unexpected(row) or r.errors:
                notes.append(f"{r.database} {r.target}: statuses {statuses_text(r.statuses)}, "
                             f"socket errors {r.errors}; its rate is not a rate of successes")
            notes += [f"{r.database} {r.target}: {note}" for note in r.notes]
    if notes:
        print("\nNotes:")
        for note in notes:
            print(f"- {note}")
    markdown = markdown_table(HEADERS, rows, 2)
    if scales:
        markdown += "\n\n" + markdown_table(SCALE_HEADERS, scales, 2)
    markdown += f"\n\nMeasured on {conditions}.\n"
    print("\nMarkdown:\n")
    print(markdown)
    return markdown
