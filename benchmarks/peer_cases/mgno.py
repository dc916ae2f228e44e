"""Learnable multigrid (MgNO) vs peers on the same inputs.

* MgNO gradient: the hand-written backpropagation (NumPy) against torch autograd run on the
  same generic array-API forward pass; error = relative difference of the two gradients.
* Classical learnable V-cycle against part 1's GeometricMultigrid V-cycle (Numba kernels):
  the same linear map, so the error is their relative difference.
"""

import numpy as np

from peer_cases import Row, best_time
from solvers.mgno import MgNO, MultigridOperator
from solvers.multigrid import GeometricMultigrid, poisson


def rows(quick):
    rng = np.random.default_rng(0)
    repeat = 2 if quick else 3
    try:
        import torch  # noqa: F401
        have_torch = True
    except ImportError:
        have_torch = False
    for n in ([31] if quick else [31, 63]):
        net = MgNO(1, 1, width=12, depth=4, levels=4, rng=0)
        f = rng.standard_normal((4, 1, n, n))
        u = rng.standard_normal((4, 1, n, n))
        ours_s, (_, g1) = best_time(lambda: net.gradient(f, u), repeat=repeat)
        if have_torch:
            peer_s, (_, g2) = best_time(lambda: net.gradient(f, u, autodiff="torch"),
                                        repeat=repeat)
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
        ours_s, x1 = best_time(lambda: M(b), repeat=repeat)
        peer_s, x2 = best_time(lambda: P.matvec(b.ravel()).reshape(n, n), repeat=repeat)
        diff = float(np.max(np.abs(x1 - x2)) / np.max(np.abs(x2)))
        yield Row(f"classical learnable V(1,1) cycle, {n}x{n}", ours_s,
                  "GeometricMultigrid V(1,1) (Numba)", peer_s, diff, 0.0,
                  "same linear map; error: relative max difference")
