"""2-D Poisson problem solved by fast diagonalization (solvers.linalg.solve_kronecker_sum).

-Δu = f on (0, 1)², u = 0 on the boundary, second-order finite differences on an n × n
interior grid. The 2-D operator is the Kronecker sum T ⊗ I + I ⊗ T of the 1-D matrix T, so
the discrete system is the Sylvester equation T U + U T = F, solved in O(n³) by
diagonalizing T once. Prints the error against the exact solution at two resolutions
(second-order convergence) and saves a PNG of the solution and the error.

Run:  python examples/kronecker_sylvester.py [--n 400] [--out kronecker_sylvester.png]
"""

import argparse
import time
from pathlib import Path

import numpy as np

from solvers.linalg import solve_kronecker_sum


def laplacian_1d(n):
    h = 1.0 / (n + 1)
    return (2 * np.eye(n) - np.eye(n, k=1) - np.eye(n, k=-1)) / h**2


def exact(X, Y):
    return np.sin(np.pi * X) * np.sin(4 * np.pi * Y) + X * (1 - X) * Y * (1 - Y)


def source(X, Y):
    return (17 * np.pi**2 * np.sin(np.pi * X) * np.sin(4 * np.pi * Y)
            + 2 * (X * (1 - X) + Y * (1 - Y)))


def solve(n):
    x = np.linspace(0.0, 1.0, n + 2)[1:-1]
    X, Y = np.meshgrid(x, x, indexing="ij")
    T = laplacian_1d(n)
    t0 = time.perf_counter()
    U = solve_kronecker_sum([T, T], source(X, Y))
    elapsed = time.perf_counter() - t0
    return X, Y, U, exact(X, Y), elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=400, help="interior points per axis")
    parser.add_argument("--out", default="kronecker_sylvester.png", help="PNG path")
    args = parser.parse_args()

    errors = {}
    for n in (args.n // 2, args.n):
        X, Y, U, U_exact, elapsed = solve(n)
        errors[n] = np.max(np.abs(U - U_exact))
        print(f"n = {n:4d}: max error {errors[n]:.3e}, solve time {elapsed:.3f} s")
    n1, n2 = sorted(errors)
    print(f"observed order of convergence: {np.log2(errors[n1] / errors[n2]):.2f} (expected 2)")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), constrained_layout=True)
    im0 = axes[0].pcolormesh(X, Y, U, shading="auto", cmap="viridis")
    axes[0].set_title(f"solution, n = {args.n}")
    fig.colorbar(im0, ax=axes[0])
    im1 = axes[1].pcolormesh(X, Y, U - U_exact, shading="auto", cmap="RdBu_r")
    axes[1].set_title("error u_h − u")
    fig.colorbar(im1, ax=axes[1])
    for ax in axes:
        ax.set_aspect("equal")
        ax.set_xlabel("x")
        ax.set_ylabel("y")
    out = Path(args.out).resolve()
    fig.savefig(out, dpi=110)
    print(f"saved {out}")


if __name__ == "__main__":
    main()
