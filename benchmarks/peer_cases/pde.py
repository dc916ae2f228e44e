"""solvers.pde next to its peers on the GP-HM benchmarks.

For every benchmark (the three Allen-Cahn cases are solved by Newton, full run only):

* ours: ``solve_pde(problem, reference grid, init="fft")`` (fixed Student-t-mixture kernel,
  one collocation solve), wall time and relative L2 error on the reference's 300^d test grid;
* the GP-HM reference's own logged time and error (Adam-trained GP-HM-StM on a GPU; the
  error is the minimum over 20 test checkpoints, so optimistic): not rerun here;
* second-order finite differences on the same grid, solved by ``scipy.sparse.linalg.spsolve``
  (error at the grid nodes);
* 2-D cases: the GP mean on the 300^2 test grid from the same grid values and per-axis Gram
  matrices: gpytorch's Kronecker solve ``alpha = (K_1 ⊗ K_2)^{-1} vec(U)``
  (``linear_operator.KroneckerProductLinearOperator``) then ``K_1(t, X) alpha K_2(t, X)^T``,
  next to ours (per-axis interpolation matrices applied to ``U``); error against the exact
  solution. gpytorch has no solver for the Kronecker-sum (Sylvester) collocation system with
  non-symmetric factors, so prediction is the part of the GP computation it can do.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from . import Row, best_time

QUICK = ["poisson1d-sin100", "poisson1d-sin6cos100", "poisson1d-sin500-quadratic",
         "poisson2d-sin6cos20", "advection-sin200"]
FULL = ["poisson1d-sin100", "poisson1d-sin6cos100", "poisson1d-xsin200", "poisson1d-mix",
        "poisson1d-sin500-quadratic", "allencahn1d-sin100", "allencahn1d-sin6cos100",
        "poisson2d-sin100sin100", "poisson2d-sin6cos20", "allencahn2d-mix", "advection-sin200"]


def _fd_matrix(n, h, order):
    """Second-order central difference of ``order`` 1 or 2 on n nodes (rows of interior nodes)."""
    if order == 1:
        return sp.diags([-1.0, 1.0], [-1, 1], shape=(n, n)) / (2 * h)
    return sp.diags([1.0, -2.0, 1.0], [-1, 0, 1], shape=(n, n)) / h ** 2


def finite_difference_solve(problem, shape):
    """Second-order FD, exact Dirichlet data; returns (grid values, relative L2 error at nodes)."""
    from solvers.pde import KroneckerGrid

    grid = KroneckerGrid.uniform(problem.domain, shape)
    d = grid.ndim
    L = sp.csr_matrix((grid.size, grid.size))
    for alpha, c in problem.operator.items():
        T = sp.identity(1, format="csr")
        for j, r in enumerate(alpha):
            n, h = shape[j], grid.spacing()[j]
            T = sp.kron(T, _fd_matrix(n, h, r) if r else sp.identity(n), format="csr")
        L = L + c * T
    inside = ~grid.boundary_mask().reshape(-1)
    U = np.array(problem.evaluate_boundary(grid)).reshape(-1)
    f = np.broadcast_to(problem.evaluate_source(grid), grid.shape).reshape(-1)
    A = L[inside][:, inside].tocsc()
    rhs = f[inside] - L[inside][:, ~inside] @ U[~inside]
    U[inside] = spla.spsolve(A, rhs)
    exact = np.asarray(problem.evaluate_exact(grid)).reshape(-1)
    del d
    return U.reshape(shape), float(np.linalg.norm(U - exact) / np.linalg.norm(exact))


def _gpytorch_rows(name, sol):
    """GP mean on the 300^2 test grid from the same grid values and per-axis Gram matrices."""
    try:
        import torch
        from linear_operator.operators import DenseLinearOperator, KroneckerProductLinearOperator
    except ImportError:
        return []
    system, U = sol._system, sol.values
    t = [np.linspace(lo, hi, 300) for lo, hi in sol.grid.domain]
    exact = np.asarray(sol.problem.exact(t[0][:, None], t[1][None, :]))
    Ks = [(F.eigenvectors * F.eigenvalues) @ F.eigenvectors.T for F in system.factors]
    cross = [torch.from_numpy(k(tj, x)) for k, tj, x in zip(sol.kernel, t, sol.grid.axes)]
    C = KroneckerProductLinearOperator(*[DenseLinearOperator(torch.from_numpy(K)) for K in Ks])
    u = torch.from_numpy(U.reshape(-1, 1).copy())

    def peer():  # alpha = C^{-1} vec(U), then K_1(t, X) alpha K_2(t, X)^T
        with torch.no_grad():
            alpha = C.solve(u).reshape(U.shape)
            return (cross[0] @ alpha @ cross[1].T).numpy()

    def err(P):
        return float(np.linalg.norm(P - exact) / np.linalg.norm(exact))
    t_ours, ours = best_time(lambda: sol.evaluate(*t), repeat=3)
    t_peer, theirs = best_time(peer, repeat=3)
    return [Row(f"{name} GP mean on 300^2 test grid", t_ours, "gpytorch Kronecker solve + predict",
                t_peer, err(ours), err(theirs), note="same grid values and K_j")]


def rows(quick: bool):
    from solvers.pde import gphm_benchmarks, solve_pde

    cases = gphm_benchmarks()
    for name in QUICK if quick else FULL:
        p = cases[name]
        shape = p.reference["shape"]
        ref = p.reference
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            t_ours, sol = best_time(lambda: solve_pde(p, shape, init="fft"), repeat=1 if
                                    len(shape) > 1 or shape[0] > 400 else 2)
        err = sol.relative_l2_error()
        tag = "x".join(map(str, shape))
        yield Row(f"{name} {tag}", t_ours, "GP-HM-StM reference (logged, GPU)",
                  ref.get("stm_time_s", float("nan")), err, ref.get("stm_error", float("nan")),
                  note="reference time/error from its logs")
        if p.is_linear:
            t_fd, (_, fd_err) = best_time(lambda: finite_difference_solve(p, shape), repeat=1)
            yield Row(f"{name} {tag}", t_ours, "FD2 + scipy spsolve", t_fd, err, fd_err,
                      note="FD error at the nodes")
        if len(shape) == 2:
            yield from _gpytorch_rows(name, sol)
