"""GP collocation with Dirichlet data on only some faces (inflow / initial-value problems).

The GP-HM advection benchmark imposes the exact solution on all four edges of the (x, t)
square, ``t = 1`` included, which makes it a boundary-value problem in space-time. The
honest evolution problem knows ``u`` only on the inflow boundary and at ``t = 0``; the
collocation equations are then imposed at every other node, outflow faces and the final time
included. The interior operator restricted to those nodes is still a Kronecker sum of
(non-symmetric) per-axis blocks, so fast diagonalization solves it directly.
"""

from __future__ import annotations

import time

import numpy as np

from ._collocation import CollocationSystem
from ._grid import KroneckerGrid
from ._init import fft_init
from ._interior import InteriorSolver
from ._solution import PDESolution, residual_estimate
from ._solve import _validate_solve_args

__all__ = ["solve_inflow"]


def _validate_faces(faces, d):
    try:
        faces = [(int(a), int(s)) for a, s in faces]
    except (TypeError, ValueError):
        raise ValueError("`faces` must be a sequence of (axis, side) pairs, side 0 (low) or "
                         f"1 (high), got {faces!r}") from None
    for a, s in faces:
        if not (0 <= a < d and s in (0, 1)):
            raise ValueError(f"`faces` entries must be (axis < {d}, side in {{0, 1}}), "
                             f"got {(a, s)}")
    if not faces:
        raise ValueError("`faces` must name at least one face with Dirichlet data")
    return sorted(set(faces))


def solve_inflow(problem, shape, faces, *, kernel="student_t_mixture", n_components=30,
                 jitter=1e-12, rtol=1e-10):
    """GP collocation with Dirichlet data on the listed faces only (the "honest" evolution form).

    Parameters
    ----------
    problem : PDEProblem
        Linear problem whose operator is a Kronecker sum (no mixed derivatives).
    shape : int or sequence of int
        Nodes per axis.
    faces : sequence of (axis, side)
        Faces with known data: side 0 is the low end of the axis, 1 the high end. For
        ``beta u_x + u_t = 0`` with ``beta > 0`` on ``(x, t)``: ``[(0, 0), (1, 0)]``
        (inflow ``x = 0`` and ``t = 0``).
    kernel : {"student_t_mixture", "spectral_mixture"}
        Kernel family, initialized from the source and the known boundary data (``fft``).
    n_components : int
    jitter : float
        Relative jitter of the Gram matrices.
    rtol : float
        GMRES tolerance when fast diagonalization alone is not accurate enough.

    Returns
    -------
    PDESolution
        ``info["unknown_faces"]`` lists the faces where the PDE was imposed instead.

    Notes
    -----
    NumPy only (the data masks are built on the host).

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.pde import PDEProblem, solve_inflow
    >>> ex = lambda x, t: np.sin(2 * (x - 3 * t))
    >>> p = PDEProblem([(0, 1), (0, 1)], {(1, 0): 3.0, (0, 1): 1.0}, 0.0, ex, exact=ex)
    >>> sol = solve_inflow(p, 40, [(0, 0), (1, 0)])
    >>> sol.info["unknown_faces"]
    [(0, 1), (1, 1)]
    >>> sol.relative_l2_error(n_test=50) < 1e-2
    True
    """
    t_start = time.perf_counter()
    shape = _validate_solve_args(problem, shape, kernel, n_components, "fft", False, "hard",
                                 jitter)
    if not problem.is_linear or not problem.is_kronecker_sum:
        raise ValueError("solve_inflow needs a linear problem without mixed derivatives")
    d = problem.ndim
    faces = _validate_faces(faces, d)
    grid = KroneckerGrid.uniform(problem.domain, shape)
    xp = grid.xp
    F = problem.evaluate_source(grid)
    Hfull = problem.evaluate_boundary(grid)
    known = _known_mask(grid, faces)
    H = np.where(known, Hfull, 0.0)
    kernels = fft_init(kernel, n_components, grid, problem.operator, F, H)
    system = CollocationSystem(kernels, grid, problem.operator, float(jitter))
    free = [slice(1 if (j, 0) in faces else 0, n - 1 if (j, 1) in faces else n)
            for j, n in enumerate(grid.shape)]
    free_t = tuple(free)
    # rhs = f - L h on the free nodes (h: the known data, zero elsewhere)
    rhs = F[free_t] - system.apply(xp.asarray(H))[free_t]
    info = {"unknown_faces": [(j, s) for j in range(d) for s in (0, 1) if (j, s) not in faces]}
    solver = InteriorSolver(system, free_t)
    V, sinfo = solver.solve(rhs, rtol=rtol)
    info.update(sinfo)
    U = np.array(H)
    U[free_t] = V
    R = solver.apply(V) - rhs
    rnorm = float(np.linalg.norm(R)) / max(float(np.linalg.norm(F[free_t])), 1e-300)
    info["time_s"] = {"total": time.perf_counter() - t_start}
    info["jitter"] = float(jitter)
    info["init"] = "fft"
    status = 0 if sinfo.get("gmres_info", 0) == 0 else 1
    return PDESolution(U, grid, kernels, problem, system, rnorm, info, status=status,
                       residual_estimate=residual_estimate(system, problem, U))


def _known_mask(grid, faces):
    mask = np.zeros(grid.shape, dtype=bool)
    for j, s in faces:
        idx = [slice(None)] * grid.ndim
        idx[j] = 0 if s == 0 else grid.shape[j] - 1
        mask[tuple(idx)] = True
    return mask
