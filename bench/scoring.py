"""The bridging scorer: its speed on a million votes, and the simulation of tests/test_scoring.py with more trials.

    .venv/bin/python bench/scoring.py [--votes 1000000] [--members 20000] [--arguments 50000] [--trials 100]
                                      [--skip-speed] [--skip-simulation] [--markdown FILE]

Speed: a synthetic community (tests/simulation.py) of the given size is scored by `forum.scoring.score_votes`
(`--repeat` times, the best kept), and the time of each phase is shown beside the total. Simulation: the separation
of bridging from partisan arguments (AUC) for helpfulness, raw score and Wilson lower bound, over two- and three-camp
communities; paragraph statuses from the helpful flags against the truth; brigades of 10, 30 and 50 % extra one-camp
accounts, identical or camouflaged (how often their weak target is called helpful, how often each ranking puts it
first in its paragraph, what they suppress); the two-phase attack of 10 sybils on weak targets. See bench/README.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

import numpy as np

from forum.scoring import ALGORITHM, score_votes
from forum.scoring.coordination import coordinated_ratings
from forum.scoring.helpfulness import active_raters, fit_ratings, robustness_fit, without
from forum.scoring.lockstep import lockstep_groups, merge_groups
from forum.scoring.ratings import read_ratings
from tests.simulation import (
    THREE_CAMPS,
    TWO_CAMPS,
    Community,
    add_brigade,
    add_sybils,
    auc,
    make_community,
    make_paragraphs,
    paragraph_of,
    rank_of,
    raw_scores,
    score,
    statuses_from,
    weak_partisan_target,
    wilson_scores,
)


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds taken by `action`, and what it returned."""
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def table(title: str, header: list[str], rows: list[list[str]]) -> str:
    """A plain-text table with a title, columns as wide as their widest cell."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [title, "  ".join(cell.ljust(width) for cell, width in zip(header, widths))]
    lines.append("  ".join("-" * width for width in widths))
    lines.extend("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) for row in rows)
    return "\n".join(lines)


def markdown(header: list[str], rows: list[list[str]]) -> str:
    """The same table in Markdown."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return "\n".join(lines)


def speed(members: int, arguments: int, votes: int, repeat: int) -> tuple[list[str], list[list[str]]]:
    """Score a community of this size; the table of phase times."""
    seconds, community = timed(
        lambda: make_community(1, members=members, arguments=arguments, votes_per_member=votes / members)
    )
    voters, argument_ids, values = community.voters, community.arguments, community.values
    print(f"generated {values.size:,} votes ({members:,} members, {arguments:,} arguments) in {seconds:.1f} s")
    best: dict[str, float] = {}
    for _ in range(repeat):
        for name, value in phase_times(voters, argument_ids, values).items():
            best[name] = min(best.get(name, np.inf), value)
    rows = [[name, f"{value:.0f}" if name.startswith("  ") else f"{value:.2f} s"] for name, value in best.items()]
    return ["phase", f"{values.size:,} votes"], rows


def phase_times(voters: Any, argument_ids: Any, values: Any) -> dict[str, float]:
    """Seconds of each phase of scoring these votes, then of `score_votes` as a whole; and the fit's iterations."""
    phases: dict[str, float] = {}
    phases["read and sort"], everything = timed(lambda: read_ratings(voters, argument_ids, values))
    phases["coordinated groups"], left_out = timed(lambda: coordinated_ratings(everything))
    honest = without(everything, left_out)
    phases["lock-step raters"], groups = timed(lambda: lockstep_groups(honest))
    fitted = active_raters(merge_groups(honest, groups))
    phases["fit"], model = timed(lambda: fit_ratings(fitted, 0))
    phases["refit without most active"], _ = timed(lambda: robustness_fit(fitted, model, 0))
    phases["score_votes, all of it"], _ = timed(lambda: score_votes(voters, argument_ids, values))
    phases["  (fit iterations)"] = float(model.iterations)
    return phases


def separation_rows(trials: int) -> list[list[str]]:
    """AUC of bridging against partisan arguments for each ranking, mean and worst over communities."""
    rows = []
    for name, camps in (("two camps", TWO_CAMPS), ("three camps", THREE_CAMPS)):
        figures: dict[str, list[float]] = {"helpfulness": [], "raw score": [], "Wilson": []}
        for seed in range(trials):
            community = make_community(1_000 + seed, members=600, arguments=400, camps=camps)
            good, partisan = community.bridging(), community.partisan() & ~community.bridging()
            for ranking, values in (
                ("helpfulness", score(community).helpfulness),
                ("raw score", raw_scores(community)),
                ("Wilson", wilson_scores(community)),
            ):
                figures[ranking].append(auc(values[good], values[partisan]))
        rows.extend(
            [f"separation AUC, {name}", ranking, f"{np.mean(v):.3f} (worst {np.min(v):.3f})"]
            for ranking, v in figures.items()
        )
    return rows


def brigade_rows(trials: int) -> list[list[str]]:
    """For each brigade (identical accounts, or camouflaged ones) and size: how often the target is helpful, how
    often each ranking puts it first in its paragraph, how many of the other side's helpful arguments it suppresses
    and how many paragraphs' suggestions (by the rules, from the helpful flags) it flips."""
    rows = []
    for identical in (True, False):
        for share in (0.1, 0.3, 0.5):
            helpful = helpful_top = raw_top = wilson_top = lost = theirs_before = flipped = paragraphs_seen = 0
            for trial in range(trials):
                plain = make_community(2_000 + trial)
                community, target = add_brigade(plain, seed=trial, share=share, camp=trial % 2, identical=identical)
                before, after = score(plain), score(community)
                paragraphs = make_paragraphs(community, seed=trial)
                paragraph = paragraph_of(paragraphs, target)
                helpful += bool(after.helpful[target])
                helpful_top += rank_of(after.helpfulness, target, paragraph) == 1
                raw_top += rank_of(raw_scores(community), target, paragraph) == 1
                wilson_top += rank_of(wilson_scores(community), target, paragraph) == 1
                side = np.sign(community.camps[trial % 2][1])
                theirs = before.helpful & community.bridging() & (community.slant * side <= 0)
                lost += int((theirs & ~after.helpful).sum())
                theirs_before += int(theirs.sum())
                old, new = statuses_from(paragraphs, before.helpful), statuses_from(paragraphs, after.helpful)
                flipped += sum(a != b for a, b in zip(old, new))
                paragraphs_seen += len(paragraphs)
            label = f"brigade {share:.0%}, {'identical' if identical else 'camouflaged'}"
            rows.append([label, "target helpful", percent(helpful, trials)])
            rows.append([label, "target first in its paragraph by helpfulness", percent(helpful_top, trials)])
            rows.append([label, "target first in its paragraph by raw score", percent(raw_top, trials)])
            rows.append([label, "target first in its paragraph by Wilson", percent(wilson_top, trials)])
            rows.append([label, "other side's helpful arguments no longer helpful", percent(lost, theirs_before)])
            rows.append([label, "paragraph suggestions flipped", percent(flipped, paragraphs_seen)])
    return rows


def agreement_rows(trials: int) -> list[list[str]]:
    """How often a paragraph's status from the scorer's helpful flags matches its true status."""
    agreeing = seen = 0
    for seed in range(trials):
        community = make_community(4_000 + seed, camps=TWO_CAMPS if seed % 2 else THREE_CAMPS)
        paragraphs = make_paragraphs(community, seed=seed)
        found = statuses_from(paragraphs, score(community).helpful)
        agreeing += sum(status == paragraph.status for status, paragraph in zip(found, paragraphs))
        seen += len(paragraphs)
    return [["paragraph status from helpful flags", "agrees with the truth", percent(agreeing, seen)]]


def sybil_rows(targets: int, sybils: int = 10) -> list[list[str]]:
    """How often the two-phase attack of `sybils` accounts makes a weak target helpful."""
    succeeded = before = 0
    for trial in range(targets):
        community: Community = make_community(3_000 + trial % 20, members=200, arguments=150, votes_per_member=25)
        target = weak_partisan_target(community, np.random.default_rng(trial), side=1.0 if trial % 2 else -1.0)
        before += bool(score(community).helpful[target])
        succeeded += bool(score(add_sybils(community, seed=trial, count=sybils, target=target)).helpful[target])
    return [
        [f"two-phase attack, {sybils} sybils", "weak target helpful before", percent(before, targets)],
        [f"two-phase attack, {sybils} sybils", "weak target helpful after", percent(succeeded, targets)],
    ]


def percent(count: int, total: int) -> str:
    """`count` of `total` as a percentage with the counts."""
    return f"{100 * count / total:.1f} % ({count}/{total})"


def main() -> None:
    """Run the speed measurement and the simulation; print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--votes", type=int, default=1_000_000)
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--arguments", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--trials", type=int, default=100, help="brigade trials per size; sybil targets are 5x")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-simulation", action="store_true")
    parser.add_argument("--markdown", type=Path)
    options = parser.parse_args()
    print(f"algorithm {ALGORITHM}")
    sections: list[str] = []
    if not options.skip_speed:
        header, rows = speed(options.members, options.arguments, options.votes, options.repeat)
        print(table("Speed", header, rows))
        sections.append(markdown(header, rows))
    if not options.skip_simulation:
        header = ["measure", "ranking or outcome", "result"]
        rows = separation_rows(max(2, options.trials // 10))
        rows += agreement_rows(max(2, options.trials // 10))
        rows += brigade_rows(options.trials)
        rows += sybil_rows(5 * options.trials)
        print(table("Simulation", header, rows))
        sections.append(markdown(header, rows))
    if options.markdown:
        options.markdown.write_text("\n\n".join(sections) + "\n")


if __name__ == "__main__":
    main()
