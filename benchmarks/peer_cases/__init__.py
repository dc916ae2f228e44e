"""Comparison cases for ``benchmarks/peers.py``.

Each subpackage adds one module here, ``<subpackage>.py``, defining::

    def rows(quick: bool) -> Iterable[Row]

that runs ours and a peer on the same inputs, in this process, and yields one
:class:`Row` per comparison. Use :func:`best_time` to time both sides the same way.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

__all__ = ["Row", "best_time"]


@dataclass
class Row:
    """One line of the peers table."""

    case: str
    ours_s: float
    peer: str
    peer_s: float
    our_error: float | str = float("nan")
    peer_error: float | str = float("nan")
    note: str = ""


def best_time(fn, *, repeat=3, min_time=0.0):
    """Run ``fn()`` ``repeat`` times (more while the total is below ``min_time``).

    Returns ``(best_seconds, result_of_last_call)``.
    """
    best = float("inf")
    result = None
    total = 0.0
    n = 0
    while n < repeat or total < min_time:
        t0 = time.perf_counter()
        result = fn()
        dt = time.perf_counter() - t0
        best = min(best, dt)
        total += dt
        n += 1
        if n >= 1000:
            break
    return best, result
