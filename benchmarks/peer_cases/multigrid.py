"""solvers.multigrid vs PyAMG: Poisson to rtol 1e-8, setup + solve, random right-hand side.

Ours: matrix-free ``GeometricMultigrid(poisson(shape))`` with its default V(2,1) red-black
Gauss–Seidel cycle. Peers: ``pyamg.ruge_stuben_solver`` and
``pyamg.smoothed_aggregation_solver`` with CG acceleration (``accel="cg"``), given the
assembled CSR matrix (assembly is not timed). Errors are each side's relative residual
``||b - A x|| / ||b||``.
"""

import numpy as np

from peer_cases import Row, best_time
from solvers.multigrid import GeometricMultigrid, poisson


def _relative_residual(S, b, x):
    return float(np.linalg.norm(b - S @ x.ravel()) / np.linalg.norm(b))


def rows(quick):
    try:
        import pyamg
    except ImportError:  # the peer is optional
        return
    problems = [(255, 255), (31, 31, 31)] if quick else [(1023, 1023), (127, 127, 127)]
    repeat = 2
    for shape in problems:
        A = poisson(shape)
        S = A.tosparse()
        b = np.random.default_rng(0).standard_normal(shape)
        b_flat = b.ravel()
        GeometricMultigrid(A).solve(b, maxiter=1)          # compile the kernels outside timing

        def ours():
            return GeometricMultigrid(A).solve(b, rtol=1e-8, return_info=True)

        ours_s, (x, info) = best_time(ours, repeat=3)
        our_err = _relative_residual(S, b_flat, x)
        dims = "x".join(str(n) for n in shape)
        case = f"{len(shape)}-D Poisson {dims}, rtol 1e-8, setup+solve"
        peers = [("pyamg Ruge-Stuben + CG", pyamg.ruge_stuben_solver),
                 ("pyamg smoothed aggregation + CG", pyamg.smoothed_aggregation_solver)]
        for name, build in peers:
            def peer():
                ml = build(S)
                return ml.solve(b_flat, tol=1e-8, accel="cg", maxiter=200)

            peer_s, y = best_time(peer, repeat=repeat)
            yield Row(case, ours_s, name, peer_s, our_err, _relative_residual(S, b_flat, y),
                      note=f"ours {info.nit} V(2,1) cycles")
