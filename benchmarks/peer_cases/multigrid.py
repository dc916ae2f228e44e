"""solvers.multigrid vs PyAMG: Poisson to rtol 1e-8, setup + solve, random right-hand side.

Ours: matrix-free ``GeometricMultigrid(poisson(shape))`` with its default V(2,1) red-black
Gauss–Seidel cycle. Peers: ``pyamg.ruge_stuben_solver`` and
``pyamg.smoothed_aggregation_solver`` with CG acceleration (``accel="cg"``), given the
assembled CSR matrix (assembly is not timed). Errors are each side's relative residual
``||b - A x|| / ||b||``.

Anisotropic rows (issue 21): ``-sum_k c_k u_kk`` with ``c_k = eps`` on the weak axes (a
constant stencil), ours ``GeometricMultigrid(A).solve(b, accel="cg")`` at its defaults
(automatic semi-coarsening and line smoothing) against Ruge–Stüben + CG; and the rotated case
(PyAMG's ``diffusion_stencil_2d(1e-2, pi/4, "FD")``), where algebraic multigrid is the tool,
against Ruge–Stüben and smoothed aggregation + CG. ``benchmarks/multigrid_anisotropy.py``
prints the full family.
"""

import numpy as np

from peer_cases import Row, median_time
from solvers.multigrid import GeometricMultigrid, StencilOperator, poisson


def _relative_residual(S, b, x):
    return float(np.linalg.norm(b - S @ x.ravel()) / np.linalg.norm(b))


def rows(quick):
    yield from poisson_rows(quick)
    yield from anisotropic_rows(quick)


def poisson_rows(quick):
    try:
        import pyamg
    except ImportError:  # the peer is optional
        return
    problems = [(255, 255), (31, 31, 31)] if quick else [(1023, 1023), (127, 127, 127)]
    for shape in problems:
        A = poisson(shape)
        S = A.tosparse()
        b = np.random.default_rng(0).standard_normal(shape)
        b_flat = b.ravel()
        GeometricMultigrid(A).solve(b, maxiter=1)          # compile the kernels outside timing

        def ours():
            return GeometricMultigrid(A).solve(b, rtol=1e-8, return_info=True)

        ours_s, (x, info) = median_time(ours, repeat=3)
        our_err = _relative_residual(S, b_flat, x)
        dims = "x".join(str(n) for n in shape)
        case = f"{len(shape)}-D Poisson {dims}, rtol 1e-8, setup+solve"
        peers = [("pyamg Ruge-Stuben + CG", pyamg.ruge_stuben_solver),
                 ("pyamg smoothed aggregation + CG", pyamg.smoothed_aggregation_solver)]
        for name, build in peers:
            def peer():
                ml = build(S)
                return ml.solve(b_flat, tol=1e-8, accel="cg", maxiter=200)

            peer_s, y = median_time(peer, repeat=3)
            yield Row(case, ours_s, name, peer_s, our_err, _relative_residual(S, b_flat, y),
                      note=f"ours {info.nit} V(2,1) cycles")


def _anisotropic(shape, eps, weak):
    return poisson(shape, spacing=1.0,
                   coefficients=[eps if a in weak else 1.0 for a in range(len(shape))])


def _compare(case, A, b, peers, note_extra=""):
    S, b_flat = A.tosparse(), b.ravel()
    GeometricMultigrid(A).solve(b, maxiter=1)          # compile the kernels outside timing

    def ours():
        return GeometricMultigrid(A).solve(b, rtol=1e-8, accel="cg", maxiter=500,
                                           return_info=True)

    ours_s, (x, info) = median_time(ours, repeat=3)
    our_err = _relative_residual(S, b_flat, x)
    for name, build in peers:
        residuals = []

        def peer():
            residuals.clear()
            return build(S).solve(b_flat, tol=1e-8, accel="cg", maxiter=500,
                                  residuals=residuals)

        peer_s, y = median_time(peer, repeat=3)
        yield Row(case, ours_s, name, peer_s, our_err, _relative_residual(S, b_flat, y),
                  note=f"CG its: ours {info.nit}, peer {len(residuals) - 1}{note_extra}")


def anisotropic_rows(quick):
    """Grid-aligned anisotropy (issue 21) and the rotated case."""
    try:
        import pyamg
        from pyamg.gallery import diffusion_stencil_2d
    except ImportError:
        return
    rs = [("pyamg Ruge-Stuben + CG", pyamg.ruge_stuben_solver)]
    if quick:
        cases = [((255, 255), 1e-3, (0,)), ((255, 255), 1e-3, (1,)),
                 ((31, 31, 31), 1e-3, (0,)), ((31, 31, 31), 1e-3, (0, 1))]
    else:
        cases = [((1023, 1023), 1e-2, (0,)), ((1023, 1023), 1e-4, (1,)),
                 ((127, 127, 127), 1e-2, (0,)), ((127, 127, 127), 1e-4, (1, 2))]
    for shape, eps, weak in cases:
        dims = "x".join(str(n) for n in shape)
        b = np.random.default_rng(0).standard_normal(shape)
        case = (f"{len(shape)}-D anisotropic {dims}, eps {eps:g} on axes {weak}, rtol 1e-8, "
                "setup+solve, ours + CG")
        yield from _compare(case, _anisotropic(shape, eps, weak), b, rs)
    shape = (255, 255)
    A = StencilOperator(diffusion_stencil_2d(epsilon=1e-2, theta=np.pi / 4, type="FD"),
                        grid_shape=shape)
    b = np.random.default_rng(0).standard_normal(shape)
    yield from _compare("2-D rotated anisotropy 45 deg, eps 1e-2, 255x255 (AMG territory), "
                        "rtol 1e-8, setup+solve, ours + CG", A, b,
                        rs + [("pyamg smoothed aggregation + CG",
                               pyamg.smoothed_aggregation_solver)])
