"""1-D Poisson problems with high-frequency and multi-scale solutions (the GP-HM suite).

Solves the five 1-D Poisson benchmarks of Fang et al. (ICLR 2024) at the reference grids two
ways and prints, per case, the relative L2 error (300 test points) and the wall time:

* ``solve_pde(problem, n)`` at its defaults: it reads the frequencies off the source, finds
  that ``n`` Chebyshev nodes resolve them (``n >= pi W + 40``, ``W`` wavelengths over the
  interval) and collocates with the polynomial GP kernel on Chebyshev–Gauss–Lobatto nodes
  (spectral accuracy); also printed: the residual estimate (the relative PDE residual of the
  GP mean at the cell midpoints, computable without the exact solution);
* GP-HM's own setting, ``nodes="uniform"``: the uniform grid with a fixed Student-t-mixture
  kernel seeded at the spectral peaks of the source (``init="fft"``), one collocation solve;

and, as context only (not rerun, not comparable in hardware), the GP-HM reference's logged
error (best of 20 test checkpoints after 1e5-1e6 Adam steps) and logged GPU training time.

Saves a PNG (printed path) for one case (``--case``, default the multi-scale
``sin(500x) - 2(x - 0.5)^2``): solution and exact solution, pointwise error of both
settings, the decay of the Chebyshev coefficients of the default solution (how far the
polynomial resolves it), and the mixture kernel's spectrum of the uniform setting (weights
against frequencies, with the spectral density).

Usage::

    python examples/poisson_1d_high_frequency.py [--case NAME] [--out poisson_1d.png]
"""

import argparse
import os
import time
import warnings

import numpy as np

from solvers.pde import gphm_benchmarks, solve_pde

CASES = ["poisson1d-sin100", "poisson1d-sin6cos100", "poisson1d-xsin200", "poisson1d-mix",
         "poisson1d-sin500-quadratic"]


def _fmt(v, spec):
    return format(v, spec) if v is not None else format("—", ">" + spec.split(".")[0])


def _timed(p, n, **kw):
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        sol = solve_pde(p, n, **kw)
    return sol, time.perf_counter() - t0


def chebyshev_coefficients(values):
    """Chebyshev coefficients ``c_m`` of the interpolant of values at increasing CGL nodes.

    ``u(x) = sum_m c_m T_m(t)`` with ``t = -cos(pi k / N)`` at node ``k``: a DCT-I of the
    values (``T_m(-cos th) = (-1)^m cos(m th)``).
    """
    from scipy.fft import dct

    v = np.asarray(values, dtype=np.float64)
    n = v.shape[0] - 1
    c = dct(v, type=1) / n
    c[0] *= 0.5
    c[-1] *= 0.5
    return c * (-1.0) ** np.arange(n + 1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", default="poisson1d-sin500-quadratic", choices=CASES)
    parser.add_argument("--out", default="poisson_1d.png", help="output PNG path")
    args = parser.parse_args(argv)

    cases = gphm_benchmarks()
    for kind in ("auto", "uniform"):  # warm-up: compile the Numba kernels outside the timings
        _timed(cases["poisson1d-sin100"], 60, nodes=kind)
    print(f"{'':34s}| {'ours (defaults)':^34s} | {'GP-HM setting':^15s} | "
          "GP-HM reference (logged)")
    print(f"{'case':27s} {'N':>5s} | {'nodes':>9s} {'rel. L2':>8s} {'time s':>6s} "
          f"{'res.est':>8s} | {'rel. L2':>8s} {'time s':>6s} | {'error':>8s} "
          f"{'GPU time s':>11s}")
    solutions = {}
    for name in CASES:
        p = cases[name]
        n = p.reference["shape"][0]
        sol, secs = _timed(p, n)
        uni, secs_u = _timed(p, n, nodes="uniform")
        solutions[name] = (sol, uni)
        ref = p.reference
        print(f"{name:28s} {n:4d} | {sol.nodes[0]:>9s} {sol.relative_l2_error():8.1e} "
              f"{secs:6.2f} {sol.residual_estimate:8.1e} | {uni.relative_l2_error():8.1e} "
              f"{secs_u:6.2f} | {_fmt(ref.get('stm_error'), '8.1e')} "
              f"{_fmt(ref.get('stm_time_s'), '11.0f')}")
    print("(the reference's error is its best of 20 test checkpoints; its time is GPU "
          "training time, context only)")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    p = cases[args.case]
    sol, uni = solutions[args.case]
    lo, hi = p.domain[0]
    t = np.linspace(lo, hi, 4000)
    exact = p.exact(t)
    u, u_uni = sol.evaluate(t), uni.evaluate(t)
    fig, ax = plt.subplots(1, 4, figsize=(20, 4.2))
    ax[0].plot(t, exact, "k-", lw=2.5, alpha=0.35, label="exact")
    ax[0].plot(t, u, "C0-", lw=0.8, label=f"solve_pde defaults ({sol.nodes[0]} nodes)")
    ax[0].set_xlim(lo, lo + 0.25 * (hi - lo))
    ax[0].set_title(f"{args.case} (first quarter of the domain)")
    ax[0].legend(loc="lower right", fontsize=8)
    ax[1].semilogy(t, np.maximum(np.abs(u_uni - exact), 1e-17), "C1-", lw=0.6,
                   label=f"uniform, mixture kernel ({uni.relative_l2_error():.1e})")
    ax[1].semilogy(t, np.maximum(np.abs(u - exact), 1e-17), "C0-", lw=0.6,
                   label=f"defaults: {sol.nodes[0]} ({sol.relative_l2_error():.1e})")
    ax[1].set_title("pointwise error (rel. L2 in the legend)")
    ax[1].legend(loc="lower right", fontsize=8)
    for a in ax[:2]:
        a.set_xlabel("x")
    if sol.nodes[0] == "chebyshev":
        c = np.abs(chebyshev_coefficients(np.asarray(sol.values)))
        ax[2].semilogy(np.arange(c.size), c + 1e-300, "C0.", ms=2)
        W = sol.info["wavelengths"][0]
        ax[2].axvline(np.pi * W, color="k", lw=0.6, ls=":",
                      label=f"pi W = {np.pi * W:.0f} (W = {W:.0f} wavelengths)")
        ax[2].legend(loc="upper right", fontsize=8)
        ax[2].set_xlabel("Chebyshev degree m")
        ax[2].set_ylabel("|c_m|")
        ax[2].set_title(f"Chebyshev coefficients of the solution (N = {c.size})")
    else:
        ax[2].set_axis_off()
        ax[2].text(0.5, 0.5, "defaults chose uniform nodes", ha="center")
    k = uni.kernel[0]
    f = np.linspace(0, 1.3 * k.means.max() + 1, 4000)
    ax[3].stem(k.means, k.weights, basefmt=" ")
    ax[3].set_yscale("log")
    ax[3].set_xlabel("frequency (cycles per unit length)")
    ax[3].set_ylabel("mixture weight")
    ax3 = ax[3].twinx()
    ax3.semilogy(f, k.spectral_density(f), "C1-", lw=0.8)
    ax3.set_ylabel("spectral density", color="C1")
    ax[3].set_title("uniform setting: kernel spectrum (init='fft')")
    fig.tight_layout()
    fig.savefig(args.out, dpi=100)
    print(f"figure: {os.path.abspath(args.out)}")


if __name__ == "__main__":
    main()
