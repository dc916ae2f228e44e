"""Comparison cases for ``benchmarks/peers.py``.

Each subpackage adds one module here, ``<subpackage>.py``, defining::

    def rows(quick: bool) -> Iterable[Row]

that runs ours and a peer on the same inputs, in this process, and yields one
:class:`Row` per comparison.

Rules (DESIGN.md, "Benchmarks"):

* Time both sides with :func:`median_time`: the median of at least 3 runs, with their
  spread (a :class:`Timing`, which is a float). :func:`best_time` is kept for old call
  sites; its minimum is printed as "min of n" so the table shows which rows do not meet
  the rule yet.
* Settings (step sizes, options) are fixed before the timed runs and named in the row
  (``Row.settings``). A tuning step, if any, runs before timing on separate seeds and its
  grid is reported; nothing is picked after timing.
* A peer that did not finish is a :class:`NotTimed` (``NotTimed.stopped(limit)`` or
  ``NotTimed.failed("MemoryError")``), never a constant; :func:`run_limited` runs code in a
  subprocess under a time and memory limit and returns one.
* Figures of a peer that was not run here (a paper's or a reference's logged time) are
  context: ``Row(..., context=True)``; the table shows them marked and gives no ratio.
"""

from __future__ import annotations

import json
import math
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass

__all__ = ["Row", "Timing", "NotTimed", "median_time", "best_time", "run_limited", "cpu_model"]


class Timing(float):
    """Seconds, with the individual runs behind the figure.

    The float value is the median of ``times`` (``stat="median"``) or their minimum
    (``stat="min"``, from :func:`best_time`). ``spread`` is half the range,
    ``(max - min) / 2``, in seconds.
    """

    def __new__(cls, value, times=(), stat="median"):
        obj = super().__new__(cls, value)
        obj.times = tuple(float(t) for t in times)
        obj.stat = stat
        return obj

    @property
    def n(self):
        return len(self.times)

    @property
    def spread(self):
        return (max(self.times) - min(self.times)) / 2 if self.times else math.nan

    @classmethod
    def of(cls, times):
        """The median of ``times`` (seconds)."""
        return cls(statistics.median(times), times, "median")

    def __reduce__(self):
        return (Timing, (float(self), self.times, self.stat))


@dataclass(frozen=True)
class NotTimed:
    """A time that is not a number: a run stopped at a limit, or one that failed.

    ``lower_bound`` (seconds) is set for a stopped run: it took at least this long, so the
    table shows the ratio as a lower bound ("> N x").
    """

    text: str
    lower_bound: float | None = None

    @classmethod
    def stopped(cls, limit_s):
        return cls(f"> {limit_s:g} s (stopped)", float(limit_s))

    @classmethod
    def failed(cls, reason):
        return cls(str(reason))

    def __str__(self):
        return self.text


@dataclass
class Row:
    """One line of the peers table.

    ``ours_s`` / ``peer_s``: seconds (a :class:`Timing` from :func:`median_time`, or a float)
    or a :class:`NotTimed`. ``settings``: the settings fixed before the run (printed with the
    case). ``context=True``: the peer was not run here; its figures are shown as context,
    without a ratio.
    """

    case: str
    ours_s: float
    peer: str
    peer_s: float
    our_error: float | str = float("nan")
    peer_error: float | str = float("nan")
    note: str = ""
    settings: str = ""
    context: bool = False


def median_time(fn, *, repeat=3, warmup=0, min_time=0.0):
    """Median wall time of ``fn()`` over ``repeat >= 3`` runs (more while below ``min_time``).

    ``warmup`` calls run first, untimed (compilation, caches). Returns
    ``(Timing, result_of_last_call)``; ``Timing`` is a float (the median) with ``times``,
    ``n`` and ``spread``.
    """
    if repeat < 3:
        raise ValueError(f"the median needs at least 3 runs, got repeat={repeat}")
    result = None
    for _ in range(warmup):
        result = fn()
    times = []
    while len(times) < repeat or (sum(times) < min_time and len(times) < 1000):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return Timing.of(times), result


def best_time(fn, *, repeat=3, min_time=0.0):
    """Minimum of ``repeat`` runs (more while the total is below ``min_time``).

    Kept for old call sites; prefer :func:`median_time`. Returns ``(Timing, result)`` with
    ``stat="min"`` (a float, so existing arithmetic keeps working).
    """
    result = None
    times = []
    while len(times) < repeat or sum(times) < min_time:
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
        if len(times) >= 1000:
            break
    return Timing(min(times), times, "min"), result


def _limit_memory(max_bytes):
    def apply():
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (max_bytes, max_bytes))
    return apply


def run_limited(setup, statement, *, repeat=3, timeout_s=60.0, memory_gib=None):
    """Time ``statement`` in a fresh Python process under a time (and memory) limit.

    ``setup`` runs once (untimed) in the child, then ``statement`` runs ``repeat`` times, each
    timed; ``timeout_s`` bounds the whole child (setup included). ``memory_gib`` caps its
    address space (``RLIMIT_AS``), so a peer that needs more fails with its ``MemoryError``
    instead of pushing the machine into swap or the OOM killer.

    Returns ``(time, value)``: ``time`` is the :class:`Timing` of the runs that finished (the
    median when all ``repeat`` did), a ``NotTimed.stopped(timeout_s)`` when none finished in
    time, or ``NotTimed.failed(...)`` naming the child's exception (e.g. ``MemoryError``) or
    signal; ``value`` is what the statement's last run left in the variable ``value`` (its
    ``repr`` must be JSON-serializable), or None.
    """
    code = "\n".join([
        "import json, sys, time",
        setup,
        f"for _ in range({int(repeat)}):",
        "    value = None",
        "    t0 = time.perf_counter()",
        *("    " + line for line in statement.splitlines()),
        "    dt = time.perf_counter() - t0",
        "    print(json.dumps({'t': dt, 'value': value}), flush=True)",
    ])
    preexec = _limit_memory(int(memory_gib * 2**30)) if memory_gib else None
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=preexec,
                            start_new_session=True)
    stopped = False
    try:
        out, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        stopped = True
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
    records = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    value = records[-1]["value"] if records else None
    times = [r["t"] for r in records]
    if stopped and not times:
        return NotTimed.stopped(timeout_s), None
    if proc.returncode not in (0, None) and not stopped and not times:
        lines = [ln for ln in err.strip().splitlines() if ln.strip()]
        if proc.returncode < 0:
            reason = f"killed by {signal.Signals(-proc.returncode).name}"
        elif lines and not lines[-1].startswith(" "):
            # the exception, e.g. "numpy._core._exceptions._ArrayMemoryError: Unable to ..."
            name, _, message = lines[-1].partition(":")
            name = name.rsplit(".", 1)[-1]
            if name == "_ArrayMemoryError":
                name = "MemoryError"
            reason = f"{name}: {message.strip().split(' for an array')[0]}"[:80]
        else:
            reason = f"exit {proc.returncode}"
        if memory_gib and reason.startswith("MemoryError"):
            reason += f" (limit {memory_gib:g} GiB)"
        return NotTimed.failed(reason), None
    return Timing.of(times), value


def cpu_model():
    """The CPU model name (from /proc/cpuinfo where there is one)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()
