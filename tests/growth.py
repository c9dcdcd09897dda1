"""How a piece of work's time grows with its input: a ratio of two sizes measured in one run, which a busy machine
slows alike, where a limit in seconds fails whenever the machine is busy."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

# A hundred times the input costs about a hundred times the time when the work is linear (n log n: about 150 at
# these sizes), and about ten thousand times when it is quadratic: this bound lets through a quadratic part no
# larger than the linear one at the large size, and noise that doubles the large timings.
LINEAR_BOUND = 250.0


def timed(work: Callable[[], object]) -> float:
    """One timing of `work`, after a collection, so that none left by another run falls in it."""
    gc.collect()
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def growth(small: Callable[[], object], large: Callable[[], object], rounds: int = 3) -> float:
    """How many times longer `large` takes than `small`, each at its best of `rounds` turns taken alternately,
    so that a machine busy for a while slows both alike (noise only ever adds time)."""
    small()  # The first call pays for imports and compiled patterns.
    smalls, larges = [], []
    for _ in range(rounds):
        smalls.extend([timed(small), timed(small)])
        larges.append(timed(large))
    return min(larges) / min(smalls)
