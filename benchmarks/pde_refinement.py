"""Refinement study of solve_pde next to Chebyshev collocation (the README's PDE tables).

Prints, for a few 1-D problems and one 2-D problem, the relative L2 error on the 300-point
(300^2) test grid against the number of nodes per axis for ``solve_pde`` at its defaults,
for GP-HM's own setting (``nodes="uniform"``: uniform grid, Student-t-mixture kernel read off
the data) and for Chebyshev spectral collocation at equal nodes (the independent peer in
``benchmarks/peer_cases/pde.py``). Takes about a minute on two cores.

Usage::

    python benchmarks/pde_refinement.py
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from peer_cases.pde import chebyshev_collocation, chebyshev_error  # noqa: E402

from solvers.pde import PDEProblem, gphm_benchmarks, solve_pde  # noqa: E402


def _sin150():
    def u(x):
        return np.sin(150 * x)
    return PDEProblem([(0, 2 * np.pi)], {(2,): 1.0}, lambda x: -150 ** 2 * np.sin(150 * x), u,
                      exact=u, name="sin150")


def _adr():
    """u'' + 3u' - 2u = f on [0, 1], u = exp(x) cos(7x) + x^3."""
    def u(x):
        return np.exp(x) * np.cos(7 * x) + x ** 3

    def f(x):
        du = np.exp(x) * (np.cos(7 * x) - 7 * np.sin(7 * x)) + 3 * x ** 2
        d2u = np.exp(x) * (-48 * np.cos(7 * x) - 14 * np.sin(7 * x)) + 6 * x
        return d2u + 3 * du - 2 * u(x)
    return PDEProblem([(0.0, 1.0)], {(2,): 1.0, (1,): 3.0, (0,): -2.0}, f, u, exact=u,
                      name="adr")


def table(label, problem, sizes):
    ours = [solve_pde(problem, n).relative_l2_error() for n in sizes]
    uniform = [solve_pde(problem, n, nodes="uniform").relative_l2_error() for n in sizes]
    cheb = []
    for n in sizes:
        axes, U, _ = chebyshev_collocation(problem, n)
        cheb.append(chebyshev_error(problem, axes, U))
    lines = [f"| {label} | " + " | ".join(str(n) for n in sizes) + " |",
             "|---|" + "---|" * len(sizes)]
    for name, errs in (("ours, defaults", ours), ("GP-HM setting (uniform grid, Student-t "
                                                   "mixture)", uniform),
                       ("Chebyshev collocation", cheb)):
        lines.append(f"| {name} | " + " | ".join(f"{e:.1e}" for e in errs) + " |")
    print("\n".join(lines) + "\n", flush=True)


def main():
    warnings.simplefilter("ignore", RuntimeWarning)  # the coarsest grids are under-resolved
    cases = gphm_benchmarks()
    table("u'' = f, u = sin(100x) on [0, 2π], nodes", cases["poisson1d-sin100"],
          [200, 300, 400, 800, 1600])
    table("u'' = f, u = sin(150x) on [0, 2π], nodes", _sin150(), [400, 600, 900, 1350])
    table("u'' = f, u = x sin(200x) on [0, 2π], nodes", cases["poisson1d-xsin200"],
          [450, 900, 1800])
    table("u'' + 3u' − 2u = f, u = eˣ cos 7x + x³ on [0, 1], nodes", _adr(),
          [8, 12, 16, 24, 48])
    table("Δu = f, sin(6x)cos(20x) + sin(6y)cos(20y) on [0, 2π]², nodes per axis",
          cases["poisson2d-sin6cos20"], [50, 100, 200, 400])


if __name__ == "__main__":
    main()
