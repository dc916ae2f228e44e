"""Learnable multigrid (MgNO) vs peers on the same inputs.

* MgNO gradient: the hand-written backpropagation (NumPy) against torch autograd run on the
  same generic array-API forward pass; error = relative difference of the two gradients.
* Classical learnable V-cycle against part 1's GeometricMultigrid V-cycle (Numba kernels):
  the same linear map (damped-Jacobi V(1,1)), so the error is their relative difference; this
  row compares implementations, not methods.
* Learned V(1,1) cycle against the best classical cycle of equal cost: ``fit_solver(poisson,
  sizes=[31, 63], steps=100, rng=0)`` (trained once, before any timing; training time in the
  note), applied on 127² (and 255², 511² in the full run, sizes not trained on), against
  ``GeometricMultigrid(A, smoother="rbgs", presmooth=1, postsmooth=1, coarse_size=1)``, the
  library's red-black Gauss–Seidel V(1,1) cycle (standalone, ``symmetric=False``). Both do one
  stencil sweep before and one after each coarse correction. Time: one application from a
  zero guess (median of 3 runs after a warm-up); error column: the convergence factor rho of
  ``e <- e - M A e`` (geometric mean of the error reduction over cycles 6-15, the same
  protocol and random start for both); the note gives the cycles and time to reduce the error
  by 1e-8 at that rate.
"""

import math
import time

import numpy as np

from peer_cases import Row, median_time
from solvers.mgno import MgNO, MultigridOperator, fit_solver
from solvers.multigrid import GeometricMultigrid, poisson

TRAIN = dict(sizes=[31, 63], steps=100, rng=0)   # fixed before the run


def convergence_factor(apply_M, A, shape, cycles=15, first=6):
    """Geometric-mean error reduction of ``e <- e - M A e`` over cycles ``first..cycles``."""
    e = np.random.default_rng(1).standard_normal(shape)
    norms = []
    for _ in range(cycles):
        e = e - apply_M((A @ e.ravel()).reshape(shape))
        n = float(np.linalg.norm(e))
        norms.append(n)
        if n == 0 or not math.isfinite(n):
            return 0.0 if n == 0 else math.inf
        e = e / n
    return float(np.exp(np.mean(np.log(norms[first - 1:]))))


def _learned_rows(quick, rng):
    t0 = time.perf_counter()
    res = fit_solver(poisson, **TRAIN)
    train_s = time.perf_counter() - t0
    for n in ([127] if quick else [127, 255, 511]):
        shape = (n, n)
        A = poisson(shape)
        S = A.tosparse()
        M = res.operator(shape)
        P = GeometricMultigrid(A, smoother="rbgs", presmooth=1, postsmooth=1,
                               coarse_size=1).aspreconditioner(symmetric=False)

        def rbgs(r):
            return P.matvec(r.ravel()).reshape(shape)

        b = rng.standard_normal(shape)
        ours_s, _ = median_time(lambda: M(b), repeat=3, warmup=1)
        peer_s, _ = median_time(lambda: rbgs(b), repeat=3, warmup=1)
        rho_ours = convergence_factor(M, S, shape)
        rho_peer = convergence_factor(rbgs, S, shape)

        def to_1e8(rho, t):
            k = math.ceil(math.log(1e-8) / math.log(rho)) if 0 < rho < 1 else math.inf
            return f"{k} cycles, {k * t:.3g} s"
        trained = "trained on" if n in TRAIN["sizes"] else "not trained on"
        yield Row(f"learned V(1,1) cycle, Poisson {n}x{n} ({trained}): one application",
                  ours_s, "GeometricMultigrid red-black GS V(1,1) (Numba)", peer_s,
                  rho_ours, rho_peer,
                  settings=f"fit_solver sizes 31, 63, 100 Adam steps, rng 0, trained in "
                           f"{train_s:.0f} s",
                  note=f"error: convergence factor rho; to 1e-8: ours {to_1e8(rho_ours, ours_s)}"
                       f", peer {to_1e8(rho_peer, peer_s)}")


def rows(quick):
    rng = np.random.default_rng(0)
    try:
        import torch  # noqa: F401
        have_torch = True
    except ImportError:
        have_torch = False
    for n in ([31] if quick else [31, 63]):
        net = MgNO(1, 1, width=12, depth=4, levels=4, rng=0)
        f = rng.standard_normal((4, 1, n, n))
        u = rng.standard_normal((4, 1, n, n))
        ours_s, (_, g1) = median_time(lambda: net.gradient(f, u), repeat=3, warmup=1)
        if have_torch:
            peer_s, (_, g2) = median_time(lambda: net.gradient(f, u, autodiff="torch"),
                                          repeat=3, warmup=1)
            diff = float(np.max(np.abs(g1 - g2)) / np.max(np.abs(g2)))
            yield Row(f"MgNO loss gradient, batch 4, {n}x{n}, width 12, depth 4", ours_s,
                      "torch autograd (generic path)", peer_s, diff, 0.0,
                      "error: max |g_ours - g_torch| / max |g_torch|")
    for n in ([127] if quick else [127, 511]):
        levels = int(np.log2(n + 1))
        A = poisson((n, n))
        M = MultigridOperator((n, n), levels=levels, pre=1, post=1, operator=A)
        P = GeometricMultigrid(A, smoother="jacobi", presmooth=1, postsmooth=1,
                               coarse_size=1).aspreconditioner(symmetric=False)
        b = rng.standard_normal((n, n))
        ours_s, x1 = median_time(lambda: M(b), repeat=3, warmup=1)
        peer_s, x2 = median_time(lambda: P.matvec(b.ravel()).reshape(n, n), repeat=3, warmup=1)
        diff = float(np.max(np.abs(x1 - x2)) / np.max(np.abs(x2)))
        yield Row(f"classical learnable V(1,1) cycle, {n}x{n}", ours_s,
                  "GeometricMultigrid V(1,1) (Numba)", peer_s, diff, 0.0,
                  "same linear map (damped Jacobi, implementation speed); "
                  "error: relative max difference")
    yield from _learned_rows(quick, rng)
