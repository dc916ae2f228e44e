"""3-D Poisson equation by matrix-free geometric multigrid.

Solves -Δu = f on the unit cube with u = 0 on the boundary, on a grid of 129 nodes per axis
(127^3 = 2.05 million interior unknowns), for the manufactured solution
u = sin(πx) sin(2πy) sin(3πz). Prints the hierarchy, the residual history of the V(2,1)
cycles, the error against u for the cycles and for one full-multigrid (FMG) pass, and a
comparison with PyAMG (Ruge–Stüben + CG) when it is installed; saves the residual history
and a slice of the solution to a PNG.

Run:  python examples/multigrid_poisson_3d.py [--n 127] [--pyamg-n 63]
      [--out multigrid_poisson_3d.png]
"""

import argparse
import time

import numpy as np

from solvers.multigrid import GeometricMultigrid, poisson


def manufactured(n):
    t = np.arange(1, n + 1) / (n + 1)
    X, Y, Z = np.meshgrid(t, t, t, indexing="ij")
    u = np.sin(np.pi * X) * np.sin(2 * np.pi * Y) * np.sin(3 * np.pi * Z)
    return u, 14 * np.pi ** 2 * u


def compare_pyamg(n):
    try:
        import pyamg
    except ImportError:
        print("pyamg not installed: no comparison")
        return
    exact, f = manufactured(n)
    A = poisson((n, n, n))
    S = A.tosparse()
    GeometricMultigrid(A).solve(f, maxiter=1)   # compile outside the timing
    t0 = time.perf_counter()
    x = GeometricMultigrid(A).solve(f, rtol=1e-8)
    ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    y = pyamg.ruge_stuben_solver(S).solve(f.ravel(), tol=1e-8, accel="cg")
    theirs = time.perf_counter() - t0
    print(f"\n{n}^3, rtol 1e-8, setup + solve:  ours {ours:.3f} s   pyamg RS+CG {theirs:.3f} s "
          f"({theirs / ours:.1f}x)")
    print(f"  max error vs exact u: ours {np.abs(x - exact).max():.3e}   "
          f"pyamg {np.abs(y.reshape(x.shape) - exact).max():.3e}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=127, help="interior nodes per axis (2**k - 1)")
    parser.add_argument("--pyamg-n", type=int, default=63, help="grid for the PyAMG comparison")
    parser.add_argument("--out", default="multigrid_poisson_3d.png", help="PNG path")
    args = parser.parse_args()
    n = args.n

    exact, f = manufactured(n)
    A = poisson((n, n, n))
    GeometricMultigrid(A).solve(f, maxiter=1)   # first call compiles the Numba kernels

    t0 = time.perf_counter()
    ml = GeometricMultigrid(A)
    setup = time.perf_counter() - t0
    print(ml)
    t0 = time.perf_counter()
    x, info = ml.solve(f, rtol=1e-10, return_info=True)
    solve = time.perf_counter() - t0
    print(f"\nsetup {setup:.3f} s, solve {solve:.3f} s, {info.nit} V(2,1) cycles, "
          f"mean reduction {info.convergence_factor:.3f} per cycle")
    print("cycle   ||b - A x|| / ||b||")
    bnorm = np.linalg.norm(f)
    for k, r in enumerate(info.residuals):
        print(f"{k:5d}   {r / bnorm:.3e}")
    err = np.abs(x - exact).max()
    t0 = time.perf_counter()
    x_fmg = ml.fmg(f)
    fmg = time.perf_counter() - t0
    err_fmg = np.abs(x_fmg - exact).max()
    print(f"\nmax error vs exact u: converged {err:.3e} (discretization error, O(h^2)); "
          f"one FMG pass {err_fmg:.3e} in {fmg:.3f} s")

    compare_pyamg(args.pyamg_n)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.semilogy(np.asarray(info.residuals) / bnorm, "o-")
    ax1.set_xlabel("V(2,1) cycle")
    ax1.set_ylabel("relative residual")
    ax1.set_title(f"-Δu = f on {n}^3, red-black Gauss–Seidel")
    ax1.grid(True, which="both", alpha=0.3)
    image = ax2.imshow(x[:, :, n // 6].T, origin="lower", extent=(0, 1, 0, 1), cmap="RdBu_r")
    ax2.set_title(f"solution, slice z = {(n // 6 + 1) / (n + 1):.3f}")
    ax2.set_xlabel("x")
    ax2.set_ylabel("y")
    fig.colorbar(image, ax=ax2)
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
