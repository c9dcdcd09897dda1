"""How a piece of work's time grows with its input: a ratio of two sizes measured in one run, which a busy machine
slows alike, where a limit in seconds fails whenever the machine is busy."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

# Ten times the input costs about ten times the time when the work is linear (n log n: about thirteen), and about a
# hundred times when it is quadratic; this bound tells the two apart with room for noise.
LINEAR_BOUND = 30.0


def best_time(work: Callable[[], object], tries: int) -> float:
    """The shortest of `tries` timings of `work`: noise only ever adds time."""
    timings = []
    for _ in range(tries):
        gc.collect()
        started = time.perf_counter()
        work()
        timings.append(time.perf_counter() - started)
    return min(timings)


def growth(small: Callable[[], object], large: Callable[[], object], tries: int = 3) -> float:
    """How many times longer `large` takes than `small`, each timed at its best."""
    small()  # The first call pays for imports and compiled patterns.
    return best_time(large, max(1, tries - 1)) / best_time(small, tries)
