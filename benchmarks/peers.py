"""Run this library next to its peers on the same inputs and print one markdown table.

Usage::

    python benchmarks/peers.py [--quick] [--only NAME]

Each module in ``benchmarks/peer_cases/`` contributes rows (see its ``__init__``).
``--only`` runs the modules whose name contains NAME; if none does, it keeps the
cases (of all modules) whose name contains NAME.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import importlib.metadata
import math
import os
import pkgutil
import platform
import sys
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import peer_cases  # noqa: E402
from peer_cases import NotTimed, Row, Timing, cpu_model  # noqa: E402

HEADER = "| case | ours (s) | peer | peer (s) | speed ratio | our error | peer error |"
RULE = "|---|---:|---|---:|---:|---:|---:|"


# the library and every peer a case may run (distribution names)
PEERS = ("numpy", "scipy", "numba", "scikit-learn", "pyamg", "torch", "gpytorch",
         "linear_operator", "mpmath", "threadpoolctl")
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
               "NUMBA_NUM_THREADS", "NUMEXPR_NUM_THREADS")


def _version(dist):
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def environment_lines():
    """Date, machine (cores, BLAS, thread counts, load) and the versions of every peer."""
    now = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    lines = [f"- date: {now}",
             f"- machine: {cpu_model()}, {os.cpu_count()} logical cores ({usable} usable), "
             f"{platform.system()} {platform.release()}, load average {load} (1/5/15 min)"]
    blas = []
    try:
        import numpy  # noqa: F401  (load the BLAS before asking threadpoolctl)
        import scipy.linalg  # noqa: F401
        from threadpoolctl import threadpool_info

        for info in threadpool_info():
            blas.append(f"{info.get('internal_api')} {info.get('version')} "
                        f"({info.get('user_api')}, {info.get('num_threads')} threads, "
                        f"{Path(info.get('filepath', '')).name})")
    except ImportError:
        blas.append("threadpoolctl not installed")
    lines.append("- thread pools (threadpoolctl): " + ("; ".join(blas) or "none loaded"))
    threads = [f"{v}={os.environ[v]}" for v in THREAD_VARS if v in os.environ]
    try:
        import numba

        threads.append(f"numba {numba.get_num_threads()} threads")
    except ImportError:
        pass
    try:
        import torch

        threads.append(f"torch {torch.get_num_threads()} threads")
    except ImportError:
        pass
    lines.append("- threads: " + (", ".join(threads) or "defaults"))
    ours = _version("solvers") or "?"
    try:
        import subprocess

        rev = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=HERE,
                             capture_output=True, text=True, timeout=10).stdout.strip()
        ours += f" (git {rev})" if rev else ""
    except (OSError, subprocess.SubprocessError):
        pass
    versions = [f"python {platform.python_version()}", f"solvers {ours}"]
    versions += [f"{d} {v}" for d in PEERS if (v := _version(d))]
    lines.append("- versions: " + ", ".join(versions))
    return lines


def _fmt_seconds(t):
    if t >= 100:
        return f"{t:.0f}"
    if t >= 1:
        return f"{t:.2f}"
    return f"{t:.3g}"


def _fmt_time(t, context=False):
    if isinstance(t, NotTimed):
        return t.text
    if t is None or (isinstance(t, float) and math.isnan(t)):
        return "—"
    text = _fmt_seconds(t)
    if isinstance(t, Timing) and t.n:
        if t.stat == "min":
            text += f" (min of {t.n})"
        elif t.n >= 3:
            text += f" ±{100 * t.spread / t:.0f}%" if t > 0 else ""
        else:
            text += f" (median of {t.n})"
    if context:
        text += " (context, not run here)"
    return text


def _fmt_err(e):
    if isinstance(e, str):
        return e
    if e is None or math.isnan(e):
        return "—"
    return f"{e:.1e}"


def _is_number(t):
    return isinstance(t, (int, float)) and not math.isnan(t) and t > 0


def ratio(r: Row) -> str:
    """peer / ours when both were measured in this run; a lower bound for a stopped peer."""
    if r.context or not _is_number(r.ours_s):
        return "—"
    if isinstance(r.peer_s, NotTimed):
        if r.peer_s.lower_bound:
            return f"> {r.peer_s.lower_bound / r.ours_s:.0f}x"
        return "—"
    if not _is_number(r.peer_s):
        return "—"
    q = r.peer_s / r.ours_s
    return f"{q:.1f}x" if q >= 1 else f"{q:.2g}x"


def format_row(r: Row) -> str:
    case = r.case
    extras = [x for x in (getattr(r, "settings", ""), r.note) if x]
    if extras:
        case += " (" + "; ".join(extras) + ")"
    context = getattr(r, "context", False)
    return (f"| {case} | {_fmt_time(r.ours_s)} | {r.peer} | {_fmt_time(r.peer_s, context)} "
            f"| {ratio(r)} | {_fmt_err(r.our_error)} | {_fmt_err(r.peer_error)} |")


def module_names():
    return sorted(m.name for m in pkgutil.iter_modules(peer_cases.__path__)
                  if not m.name.startswith("_"))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, fewer repeats")
    parser.add_argument("--only", default=None, help="keep modules/cases containing NAME")
    args = parser.parse_args(argv)

    for line in environment_lines():
        print(line)
    print(f"- mode: {'--quick' if args.quick else 'full'}"
          + (f", --only {args.only}" if args.only else "") + "\n")
    print(HEADER)
    print(RULE, flush=True)
    failures = 0
    names = module_names()
    by_module = args.only is not None and any(args.only in name for name in names)
    for name in names:
        if by_module and args.only not in name:
            continue  # --only names a module: run just the matching ones
        try:
            module = importlib.import_module(f"peer_cases.{name}")
            for row in module.rows(args.quick):
                # otherwise --only filters the cases of every module by name
                if args.only is None or by_module or args.only in row.case:
                    print(format_row(row), flush=True)
        except Exception:  # keep the table going, report the failure
            failures += 1
            print(f"<!-- peer_cases.{name} failed -->", flush=True)
            traceback.print_exc()
    print("\nTimes are medians of at least 3 runs; ±: half the range (max - min) / 2 of the runs, "
          "relative to the median; \"min of n\" / \"median of n\": a row that does not meet the "
          "median-of-3 rule yet. speed ratio = peer time / our time (> 1: ours is faster), only "
          "where both were measured in this run (\"> N x\": the peer was stopped at its time "
          "limit); \"context, not run here\": a peer's own logged figures, no ratio. "
          "Errors are each side's error against the case's reference.")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
