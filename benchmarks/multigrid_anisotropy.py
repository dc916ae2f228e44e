"""Grid-aligned and rotated anisotropy: GeometricMultigrid (defaults) against PyAMG.

Usage::

    python benchmarks/multigrid_anisotropy.py [--large] [--repeat 3]

Prints markdown tables. Aligned family: ``-sum_k c_k d^2u/dx_k^2`` with ``c_k = eps`` on the
weak axes and 1 on the others (a constant ``StencilOperator``), a random right-hand side,
rtol 1e-8, setup + solve timed (median of ``--repeat`` runs; assembly of PyAMG's CSR matrix
is not timed). Ours: ``GeometricMultigrid(A).solve(b, accel="cg")`` at its defaults (automatic
semi-coarsening / line smoothing), and the stationary V(2,1) cycle for its convergence
factor. Peer: ``pyamg.ruge_stuben_solver`` + CG (``accel="cg"``). Rotated case: PyAMG's
``diffusion_stencil_2d(epsilon, theta, type="FD")`` on the same grid, ours (defaults and
alternating line Gauss-Seidel) against Ruge-Stuben and smoothed aggregation, both + CG.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import numpy as np

from solvers.multigrid import GeometricMultigrid, StencilOperator, poisson

EPSILONS = (1.0, 1e-1, 1e-2, 1e-3, 1e-4)


def anisotropic(shape, eps, weak):
    """The constant stencil of ``-sum_k c_k u_kk`` (``c_k = eps`` on the ``weak`` axes)."""
    return poisson(shape, spacing=1.0,
                   coefficients=[eps if a in weak else 1.0 for a in range(len(shape))])


def rotated(shape, eps, theta):
    """PyAMG's finite-difference stencil of rotated anisotropic diffusion, as our operator."""
    from pyamg.gallery import diffusion_stencil_2d

    return StencilOperator(diffusion_stencil_2d(epsilon=eps, theta=theta, type="FD"), shape)


def median_time(fn, repeat):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def ours(A, b, repeat, **options):
    GeometricMultigrid(A, **options).solve(b, maxiter=1)            # compile outside timing
    t, (x, info) = median_time(lambda: GeometricMultigrid(A, **options).solve(
        b, rtol=1e-8, accel="cg", maxiter=500, return_info=True), repeat)
    _, stat = GeometricMultigrid(A, **options).solve(b, rtol=1e-8, maxiter=100,
                                                     return_info=True)
    return t, info.nit, info.convergence_factor, stat


def pyamg_cg(A, b, repeat, build):
    S, bf = A.tosparse(), b.ravel()
    residuals = []

    def run():
        residuals.clear()
        return build(S).solve(bf, tol=1e-8, accel="cg", maxiter=500, residuals=residuals)

    t, x = median_time(run, repeat)
    nit = len(residuals) - 1
    factor = (residuals[-1] / residuals[0]) ** (1 / nit) if nit else 0.0
    err = np.linalg.norm(bf - S @ x) / np.linalg.norm(bf)
    return t, nit, factor, err


def aligned_table(shapes, repeat):
    import pyamg

    print("| grid | weak axes | eps | ours + CG: its (rho) | ours V(2,1) alone: its (rho) "
          "| ours s | RS + CG: its (rho) | RS s | its goal 2 RS + 2 | time ratio RS/ours |")
    print("|---|---|---|---|---|---:|---|---:|---|---:|")
    for shape in shapes:
        d = len(shape)
        weak_sets = [(0,), (d - 1,)] if d == 2 else [(0,), (d - 1,), (0, 1), (1, 2)]
        b = np.random.default_rng(0).standard_normal(shape)
        for weak in weak_sets:
            for eps in EPSILONS:
                if eps == 1.0 and weak != weak_sets[0]:
                    continue
                A = anisotropic(shape, eps, weak)
                t, nit, rho, stat = ours(A, b, repeat)
                pt, pnit, prho, _ = pyamg_cg(A, b, repeat, pyamg.ruge_stuben_solver)
                ok = "yes" if nit <= 2 * pnit + 2 else "NO"
                alone = (f"{stat.nit} ({stat.convergence_factor:.3f})" if stat.converged
                         else f">100 ({stat.convergence_factor:.2f})")
                grid = "x".join(map(str, shape))
                print(f"| {grid} | {weak if eps != 1.0 else '-'} | {eps:g} | {nit} ({rho:.3f}) "
                      f"| {alone} | {t:.3f} | {pnit} ({prho:.3f}) | {pt:.3f} | {ok} "
                      f"| {pt / t:.1f}x |", flush=True)


def rotated_table(shape, repeat, eps=1e-2, theta=math.pi / 4):
    import pyamg

    A = rotated(shape, eps, theta)
    b = np.random.default_rng(0).standard_normal(shape)
    grid = "x".join(map(str, shape))
    print(f"\nRotated anisotropy, {grid}, eps = {eps:g}, theta = {theta:.4f} (FD stencil), "
          "rtol 1e-8, setup + solve")
    print("| method | CG its | rho | s |")
    print("|---|---:|---:|---:|")
    for label, options in (("ours, defaults", {}),
                           ("ours, alternating line GS", {"smoother": ("line", {
                               "axis": "alternating"})})):
        t, nit, rho, _ = ours(A, b, repeat, **options)
        print(f"| {label} | {nit} | {rho:.3f} | {t:.3f} |", flush=True)
    for label, build in (("pyamg Ruge-Stuben + CG", pyamg.ruge_stuben_solver),
                         ("pyamg smoothed aggregation + CG", pyamg.smoothed_aggregation_solver)):
        t, nit, rho, _ = pyamg_cg(A, b, repeat, build)
        print(f"| {label} | {nit} | {rho:.3f} | {t:.3f} |", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", action="store_true", help="also 1023^2 and 127^3")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    shapes = [(255, 255), (63, 63, 63)]
    if args.large:
        shapes += [(1023, 1023), (127, 127, 127)]
    aligned_table(shapes, args.repeat)
    rotated_table((255, 255), args.repeat)


if __name__ == "__main__":
    main()
