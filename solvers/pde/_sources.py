"""Many source terms on one discretization: ``PDESolution.solve_sources`` (issue 16).

``solve_pde`` chooses the nodes and kernels from the problem's data and factorizes the
interior system; the same PDE with other source terms (values on that grid) reuses all of
it. A batch of sources is solved by the backend layer's ``map_batch``: in memory item by
item, a dask array lazily, one task per chunk of the leading axis, each item by the NumPy
path (the discretization and its warm factorization pickled once per worker process).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .._array_api import array_namespace, as_float_array, same_namespace
from .._backend import backend_for
from .._result import BREAKDOWN, make_result
from ._interior import InteriorSolver, relative_residual, solve_system

__all__ = ["solve_sources"]


class _Nonlinearity:
    """The part of the problem the interior solves read (its nonlinearity), so that the
    graph carries neither the source nor the exact solution."""

    def __init__(self, nonlinearity):
        self.nonlinearity = nonlinearity


class _SourceSolve:
    """What every item's solve shares: the collocation system, the boundary values, the
    options and an interior solver whose dense matrix / preconditioner are already built."""

    def __init__(self, system, nonlinearity, H, rtol, maxiter):
        self.system = system
        self.problem = _Nonlinearity(nonlinearity)
        self.H = H
        self.rtol, self.maxiter = rtol, maxiter
        warm = InteriorSolver(system)
        if warm._use_dense():
            warm.dense()
        else:
            warm.preconditioner(0.0)   # the linear solve's (no diagonal term, shift 0)
        self.warm = warm

def _solve_items(shared, sources, *, info):
    """The ``map_batch`` block function: the items of ``sources`` one by one."""
    xp = array_namespace(sources)
    values, infos = [], []
    for i in range(sources.shape[0]):
        F = as_float_array(sources[i, ...], xp, name="sources", allow_float32=False,
                           finite=True)
        U, details, status, nit = solve_system(shared.system, shared.problem, F, shared.H,
                                               rtol=shared.rtol, maxiter=shared.maxiter,
                                               callback=None, solver=shared.warm.fork())
        values.append(U)
        if info:
            rnorm = relative_residual(shared.system, shared.problem, U, F)
            if not math.isfinite(rnorm):
                status = BREAKDOWN
            infos.append(make_result(status, details.get("message"), nit=nit,
                                     residual_norm=rnorm, info=details))
    return xp.stack(values, axis=0), (infos if info else None)


def solve_sources(solution, sources, *, rtol=1e-10, maxiter=None, return_info=False):
    """See :meth:`PDESolution.solve_sources`."""
    if not (isinstance(rtol, numbers.Real) and rtol >= 0 and math.isfinite(rtol)):
        raise ValueError(f"`rtol` must be a finite number >= 0, got {rtol!r}")
    if maxiter is not None and (isinstance(maxiter, bool) or not isinstance(
            maxiter, numbers.Integral) or maxiter < 1):
        raise ValueError(f"`maxiter` must be a positive integer or None, got {maxiter!r}")
    grid = solution.grid
    if not hasattr(sources, "shape"):
        sources = np.asarray(sources)
    shape = tuple(sources.shape)
    if len(shape) != grid.ndim + 1 or shape[1:] != tuple(grid.shape) or not shape[0] >= 1:
        raise ValueError(f"`sources` must have shape (k,) + grid shape = (k, "
                         f"{', '.join(str(n) for n in grid.shape)}) with k >= 1 (source "
                         f"values at the nodes of `solution.grid`), got {shape}")
    xp = array_namespace(sources)
    backend = backend_for(xp)
    host = same_namespace(grid.xp, array_namespace(np.empty(0)))
    if backend.host_parameters:
        if not host:
            raise TypeError(f"a dask `sources` is solved chunk by chunk with NumPy, but this "
                            f"solution's grid is on {grid.xp.__name__}: solve with xp=NumPy")
    elif not same_namespace(xp, grid.xp):
        raise TypeError(f"`sources` must come from the solution's array library "
                        f"({grid.xp.__name__}) or be a dask array, got {xp.__name__}")
    problem = solution.problem
    shared = _SourceSolve(solution._system, problem.nonlinearity,
                          problem.evaluate_boundary(grid), float(rtol), maxiter)
    return backend.map_batch(_solve_items, shared, sources, item_shape=grid.shape,
                             dtype=np.float64, info=return_info)
