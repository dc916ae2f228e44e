"""2-D Allen–Cahn, GP-HM benchmark "allencahn2d-mix": Newton's method on a 400 x 400 grid.

    python examples/allen_cahn_2d.py [--n N] [--uniform]

Solves ``u_xx + u_yy + u (u^2 - 1) = f`` on ``[0, 1]^2`` with the exact solution
``a(x) a(y)``, ``a = sin x + 0.1 sin 20x + cos 100x``, Dirichlet data on all edges.
At its defaults ``solve_pde`` finds that ``n`` Chebyshev nodes resolve the ~16 wavelengths
of ``cos 100x`` per axis (``n >= pi W + 40``) and collocates with the polynomial GP kernel on
Chebyshev–Gauss–Lobatto nodes; each Newton step solves the linearized interior system
(Kronecker sum plus a diagonal) by GMRES preconditioned with the fast diagonalization of
the Laplacian part. ``--uniform`` also solves GP-HM's own setting (uniform grid, fixed
Student-t-mixture kernel, ``nodes="uniform"``) for comparison.

Prints the error, the residual estimate (the PDE residual of the GP mean at the cell
midpoints, no exact solution needed), the Newton and GMRES iteration counts and the
timings, with the GP-HM reference's logged error and GPU training time as context (not rerun
here). Saves ``allen_cahn_2d.png``: exact solution, GP solution, pointwise error, and either
the decay of the solution's Chebyshev coefficients along x (Chebyshev axes: how far the
polynomial resolves the solution) or the x-axis mixture kernel's spectrum (uniform axes).
"""

import argparse
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from solvers.pde import KroneckerGrid, gphm_benchmarks, solve_pde  # noqa: E402


def _report(label, sol, dt, err):
    info = sol.info
    print(f"{label}: nodes {sol.nodes}, rel. L2 error {err:.2e} in {dt:.1f} s, "
          f"residual estimate {sol.residual_estimate:.1e}, success {sol.success}")
    print(f"  solver {info['solver']}, Newton iterations {sol.nit}, residuals "
          f"{['%.1e' % r for r in info.get('newton_residuals', [])]}, "
          f"inner GMRES operator applications per step {info.get('inner_iterations')}")
    print("  timings (s):", {k: round(v, 2) for k, v in info["time_s"].items()})


def chebyshev_coefficients(values, axis=0):
    """Chebyshev coefficients along ``axis`` of values at increasing CGL nodes (a DCT-I)."""
    from scipy.fft import dct

    v = np.moveaxis(np.asarray(values, dtype=np.float64), axis, 0)
    n = v.shape[0] - 1
    c = dct(v, type=1, axis=0) / n
    c[0] *= 0.5
    c[-1] *= 0.5
    sign = (-1.0) ** np.arange(n + 1)
    return c * sign.reshape((-1,) + (1,) * (c.ndim - 1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=400, help="grid nodes per axis (default 400)")
    ap.add_argument("--uniform", action="store_true",
                    help="also solve GP-HM's setting (uniform grid, mixture kernel)")
    ap.add_argument("--out", default="allen_cahn_2d.png")
    args = ap.parse_args()
    p = gphm_benchmarks()["allencahn2d-mix"]
    ref = p.reference
    t = time.perf_counter()
    sol = solve_pde(p, args.n)
    dt = time.perf_counter() - t
    err = sol.relative_l2_error()
    print(f"allencahn2d-mix, {args.n}^2 grid (GP-HM reference, logged: rel. L2 "
          f"{ref['gm_error']:.1e} GM / {ref['stm_error']:.1e} StM after 3e6 Adam steps, "
          f"{ref['gm_time_s'] / 3600:.1f} / {ref['stm_time_s'] / 3600:.1f} h of GPU training; "
          "context, not rerun)")
    _report("solve_pde defaults", sol, dt, err)
    if args.uniform:
        t = time.perf_counter()
        uni = solve_pde(p, args.n, nodes="uniform")
        dt_u = time.perf_counter() - t
        _report("GP-HM setting (nodes='uniform')", uni, dt_u, uni.relative_l2_error())

    test = KroneckerGrid.uniform(p.domain, 300)
    pred = sol.evaluate(*test.axes)
    exact = p.evaluate_exact(test)
    fig, ax = plt.subplots(1, 4, figsize=(18, 4.2))
    ext = [0, 1, 0, 1]
    for a, z, title in ((ax[0], exact, "exact"),
                        (ax[1], pred, f"GP collocation ({sol.nodes[0]} nodes)")):
        im = a.imshow(z.T, origin="lower", extent=ext, cmap="RdBu_r")
        a.set_title(title)
        fig.colorbar(im, ax=a, shrink=0.8)
    im = ax[2].imshow(np.abs(pred - exact).T, origin="lower", extent=ext, cmap="magma")
    ax[2].set_title(f"|error| (rel. L2 {err:.1e})")
    fig.colorbar(im, ax=ax[2], shrink=0.8)
    if sol.nodes[0] == "chebyshev":
        c = np.max(np.abs(chebyshev_coefficients(sol.values, axis=0)), axis=1)
        ax[3].semilogy(np.arange(c.size), np.maximum(c, 1e-300), "C0.", ms=2)
        W = sol.info["wavelengths"][0]
        ax[3].axvline(np.pi * W, color="k", lw=0.6, ls=":", label=f"pi W (W = {W:.1f})")
        ax[3].legend()
        ax[3].set_xlabel("Chebyshev degree m along x")
        ax[3].set_ylabel("max over y of |c_m(y)|")
        ax[3].set_title("Chebyshev coefficients of the solution")
    else:
        k = sol.kernel[0]
        f = np.linspace(0, 25, 2000)
        ax[3].semilogy(f, k.spectral_density(f))
        ax[3].stem(k.means, k.weights, linefmt="C1-", markerfmt="C1o", basefmt=" ")
        for w in (1, 20, 100):
            ax[3].axvline(w / (2 * np.pi), color="k", lw=0.5, ls=":")
        ax[3].set_title("x-axis kernel: spectrum, weights at means")
        ax[3].set_xlabel("frequency (cycles / unit)")
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print("saved", args.out)


if __name__ == "__main__":
    main()
