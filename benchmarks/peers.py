"""Run this library next to its peers on the same inputs and print one markdown table.

Usage::

    python benchmarks/peers.py [--quick] [--only NAME]

Each module in ``benchmarks/peer_cases/`` contributes rows (see its ``__init__``).
``--only`` runs the modules whose name contains NAME; if none does, it keeps the
cases (of all modules) whose name contains NAME.
"""

from __future__ import annotations

import argparse
import importlib
import math
import pkgutil
import sys
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import peer_cases  # noqa: E402
from peer_cases import Row  # noqa: E402

HEADER = "| case | ours (s) | peer | peer (s) | speed ratio | our error | peer error |"
RULE = "|---|---:|---|---:|---:|---:|---:|"


def _fmt_time(t):
    if t is None or (isinstance(t, float) and math.isnan(t)):
        return "—"
    if t >= 100:
        return f"{t:.0f}"
    if t >= 1:
        return f"{t:.2f}"
    return f"{t:.3g}"


def _fmt_err(e):
    if isinstance(e, str):
        return e
    if e is None or math.isnan(e):
        return "—"
    return f"{e:.1e}"


def format_row(r: Row) -> str:
    ratio = "—"
    if r.ours_s and r.peer_s and not math.isnan(r.ours_s) and not math.isnan(r.peer_s):
        ratio = f"{r.peer_s / r.ours_s:.1f}x"
    case = r.case + (f" ({r.note})" if r.note else "")
    return (f"| {case} | {_fmt_time(r.ours_s)} | {r.peer} | {_fmt_time(r.peer_s)} | {ratio} "
            f"| {_fmt_err(r.our_error)} | {_fmt_err(r.peer_error)} |")


def module_names():
    return sorted(m.name for m in pkgutil.iter_modules(peer_cases.__path__)
                  if not m.name.startswith("_"))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, fewer repeats")
    parser.add_argument("--only", default=None, help="keep modules/cases containing NAME")
    args = parser.parse_args(argv)

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
    print("\nspeed ratio = peer time / our time (> 1: ours is faster); "
          "errors are each side's error against the case's reference.")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
