"""solvers.pde next to its peers on the GP-HM benchmarks.

For every benchmark (the three Allen-Cahn cases, solved by Newton, in the full run only), at
the reference's grid size, errors as relative L2 on the reference's uniform 300^d test grid:

* ours: ``solve_pde(problem, shape)`` at its defaults (Chebyshev nodes with the polynomial GP
  kernel on every axis that resolves the data, else GP-HM's uniform grid with a fixed
  Student-t-mixture kernel; the nodes chosen are named in the row), median of 3 runs;
* **Chebyshev spectral collocation** at the same node count, written here independently of
  ``solvers.pde``: Chebyshev–Gauss–Lobatto points and the first-derivative matrix of
  Trefethen's ``cheb.m`` (negative-sum diagonal), ``D2 = D @ D``, Dirichlet rows eliminated,
  in 1-D a dense ``numpy.linalg.solve``; in 2-D the interior system is a Kronecker sum of the
  per-axis interior blocks, solved by the library's fast diagonalization
  (:class:`solvers.linalg.KroneckerSumSolver`); Allen-Cahn by Newton's method from the linear
  part's solution (1-D: dense Jacobian; 2-D: SciPy GMRES preconditioned by the
  fast-diagonalization solve of the Laplacian shifted by the mean of ``g'(u)``); the
  solution is carried to the test grid by barycentric interpolation. Median of 3 runs;
* the GP-HM reference's own logged error (Adam-trained GP-HM-StM; the minimum over 20 test
  checkpoints, so optimistic) and logged GPU training time: context only, not rerun here,
  so no speed ratio;
* FD2, second-order finite differences on the uniform grid of the same size, solved by
  ``scipy.sparse.linalg.spsolve`` (error at the grid nodes): a low-order reference, linear
  cases only;
* 2-D cases: the GP mean on the 300^2 test grid from the same grid values and per-axis Gram
  matrices of a GP-HM-setting solve (``nodes="uniform"``, the only one with Gram matrices):
  gpytorch's Kronecker solve ``alpha = (K_1 ⊗ K_2)^{-1} vec(U)``
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

from . import Row, median_time

QUICK = ["poisson1d-sin100", "poisson1d-sin6cos100", "poisson1d-sin500-quadratic",
         "poisson2d-sin6cos20", "advection-sin200"]
FULL = ["poisson1d-sin100", "poisson1d-sin6cos100", "poisson1d-xsin200", "poisson1d-mix",
        "poisson1d-sin500-quadratic", "allencahn1d-sin100", "allencahn1d-sin6cos100",
        "poisson2d-sin100sin100", "poisson2d-sin6cos20", "allencahn2d-mix", "advection-sin200"]


# ----------------------------------------------------------------------------- Chebyshev
def chebyshev_points(n, a, b):
    """``(x, D)``: the ``n`` Chebyshev–Gauss–Lobatto points of ``[a, b]`` (increasing) and
    the first-derivative matrix on them (Trefethen, *Spectral Methods in MATLAB*, ``cheb.m``;
    diagonal by the negative-sum trick)."""
    N = n - 1
    k = np.arange(n)
    t = np.sin(np.pi * (2 * k - N) / (2 * N))  # -cos(pi k / N), symmetric to the last bit
    c = np.where((k == 0) | (k == N), 2.0, 1.0) * (-1.0) ** k
    D = np.outer(c, 1.0 / c) / (t[:, None] - t[None, :] + np.eye(n))
    D -= np.diag(D.sum(axis=1))
    x = 0.5 * (a + b) + 0.5 * (b - a) * t
    x[0], x[-1] = a, b
    return x, D * (2.0 / (b - a))


def barycentric_matrix(y, x):
    """Matrix taking values at the CGL points ``x`` to the points ``y`` (second barycentric
    formula, weights ``(-1)^k``, halved at the ends)."""
    w = (-1.0) ** np.arange(x.size)
    w[0] *= 0.5
    w[-1] *= 0.5
    diff = y[:, None] - x[None, :]
    hit = diff == 0.0
    diff[hit] = 1.0
    C = w / diff
    B = C / C.sum(axis=1, keepdims=True)
    rows = hit.any(axis=1)
    B[rows] = hit[rows]
    return B


def _along(M, U, j):
    return np.moveaxis(np.tensordot(M, U, axes=(1, j)), 0, j)


def chebyshev_collocation(problem, shape, *, rtol=1e-11, max_newton=30):
    """Chebyshev spectral collocation on the tensor CGL grid (independent of solvers.pde).

    Returns ``(axes, U, newton_steps)``: the CGL points per axis, the grid values and the
    number of Newton updates (0 for a linear problem). The operator must be a Kronecker sum
    (no mixed derivatives); Dirichlet data on every face.
    """
    from solvers.linalg import KroneckerSumSolver

    d = problem.ndim
    shape = (int(shape),) * d if np.isscalar(shape) else tuple(int(n) for n in shape)
    if any(sum(1 for r in a if r) > 1 for a in problem.operator):
        raise NotImplementedError("mixed derivatives: the operator is not a Kronecker sum")
    axes, mats = [], []
    for (a, b), n in zip(problem.domain, shape):
        x, D = chebyshev_points(n, a, b)
        axes.append(x)
        mats.append({1: D, 2: D @ D})
    mesh = np.meshgrid(*axes, indexing="ij") if d > 1 else axes

    def field(fn):
        v = fn(*mesh) if callable(fn) else float(fn)
        return np.broadcast_to(np.asarray(v, dtype=np.float64), shape).copy()

    def apply_L(V):
        out = np.zeros_like(V)
        for alpha, c in problem.operator.items():
            T = V
            for j, r in enumerate(alpha):
                if r:
                    T = _along(mats[j][r], T, j)
            out += c * T
        return out

    F, U = field(problem.source), field(problem.boundary)
    inner = (slice(1, -1),) * d
    U[inner] = 0.0
    rhs = (F - apply_L(U))[inner]  # the Dirichlet values moved to the right-hand side
    shift = float(problem.operator.get((0,) * d, 0.0))
    factors = []
    for j in range(d):  # interior blocks of the per-axis terms
        A = np.zeros((shape[j] - 2,) * 2)
        for alpha, c in problem.operator.items():
            if alpha[j] and sum(alpha) == alpha[j]:
                A += c * mats[j][alpha[j]][1:-1, 1:-1]
        factors.append(A)
    if d == 1:
        L_II = factors[0] + shift * np.eye(shape[0] - 2)
        U[inner] = np.linalg.solve(L_II, rhs)
    else:
        U[inner] = KroneckerSumSolver(factors, shift).solve(rhs)
    steps = 0
    g = problem.nonlinearity
    if g is None:
        return axes, U, steps
    fnorm = np.linalg.norm(F[inner])
    m = rhs.size
    for _ in range(max_newton):  # Newton from the linear part's solution
        gv, dg = g(U[inner])
        R = (apply_L(U) - F)[inner] + gv
        if np.linalg.norm(R) <= rtol * fnorm:
            break
        if d == 1:
            dU = np.linalg.solve(L_II + np.diag(dg), R)
        else:
            P = KroneckerSumSolver(factors, shift + float(np.mean(dg)))

            def jac(v, dg=dg):
                V = np.zeros(shape)
                V[inner] = v.reshape(rhs.shape)
                return (apply_L(V)[inner] + dg * V[inner]).ravel()

            dU, _ = spla.gmres(
                spla.LinearOperator((m, m), matvec=jac), R.ravel(),
                M=spla.LinearOperator((m, m), matvec=lambda v: P.solve(
                    v.reshape(rhs.shape)).ravel()),
                rtol=1e-12, atol=0.0, restart=50, maxiter=20)
            dU = dU.reshape(rhs.shape)
        U[inner] -= dU
        steps += 1
        if np.linalg.norm(dU) <= 1e-14 * np.linalg.norm(U):
            break
    return axes, U, steps


def chebyshev_error(problem, axes, U, n_test=300):
    """Relative L2 error of the Chebyshev interpolant on the uniform ``n_test^d`` test grid."""
    t = [np.linspace(lo, hi, n_test) for lo, hi in problem.domain]
    P = U
    for j, (tj, x) in enumerate(zip(t, axes)):
        P = _along(barycentric_matrix(tj, x), P, j)
    mesh = np.meshgrid(*t, indexing="ij") if len(t) > 1 else t
    exact = np.broadcast_to(np.asarray(problem.exact(*mesh), dtype=np.float64), P.shape)
    return float(np.linalg.norm(P - exact) / np.linalg.norm(exact))


# ----------------------------------------------------------------------------- FD2
def _fd_matrix(n, h, order):
    """Second-order central difference of ``order`` 1 or 2 on n nodes (rows of interior nodes)."""
    if order == 1:
        return sp.diags([-1.0, 1.0], [-1, 1], shape=(n, n)) / (2 * h)
    return sp.diags([1.0, -2.0, 1.0], [-1, 0, 1], shape=(n, n)) / h ** 2


def finite_difference_solve(problem, shape):
    """Second-order FD, exact Dirichlet data; returns (grid values, relative L2 error at nodes)."""
    from solvers.pde import KroneckerGrid

    grid = KroneckerGrid.uniform(problem.domain, shape)
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
    return U.reshape(shape), float(np.linalg.norm(U - exact) / np.linalg.norm(exact))


# ----------------------------------------------------------------------------- gpytorch
def _gpytorch_rows(name, tag, sol):
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
    t_ours, ours = median_time(lambda: sol.evaluate(*t), repeat=3)
    t_peer, theirs = median_time(peer, repeat=3)
    return [Row(f"{name} {tag} GP mean on 300^2 test grid", t_ours,
                "gpytorch Kronecker solve + predict", t_peer, err(ours), err(theirs),
                settings="GP-HM setting: nodes='uniform', Student-t mixture",
                note="same grid values and K_j")]


# ----------------------------------------------------------------------------- rows
def _warm_up(solve_pde, cases):
    """Compile the Numba kernels outside the timings (both node families, 1-D and 2-D)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for name, n in (("poisson1d-sin100", 60), ("poisson2d-sin6cos20", 24)):
            for kind in ("auto", "uniform"):
                solve_pde(cases[name], n, nodes=kind)


def rows(quick: bool):
    from solvers.pde import gphm_benchmarks, solve_pde

    cases = gphm_benchmarks()
    _warm_up(solve_pde, cases)
    for name in QUICK if quick else FULL:
        p = cases[name]
        shape = p.reference["shape"]
        ref = p.reference
        tag = "x".join(map(str, shape))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            t_ours, sol = median_time(lambda: solve_pde(p, shape), repeat=3)
        err = sol.relative_l2_error()
        nodes = "/".join(sol.nodes)
        settings = f"solve_pde defaults: {nodes} nodes"
        t_cheb, (axes, U, steps) = median_time(lambda: chebyshev_collocation(p, shape),
                                               repeat=3)
        how = ("dense LU" if len(shape) == 1 else "KroneckerSumSolver") + (
            f", Newton {steps} steps" if steps else "")
        yield Row(f"{name} {tag}", t_ours, f"Chebyshev collocation ({how})", t_cheb, err,
                  chebyshev_error(p, axes, U), settings=settings,
                  note=f"equal nodes; ours: residual estimate {sol.residual_estimate:.1e}")
        if ref.get("stm_error") is not None:
            yield Row(f"{name} {tag}", t_ours,
                      "GP-HM-StM reference (logged GPU training; error: best of 20 checkpoints)",
                      ref.get("stm_time_s"), err, ref["stm_error"], settings=settings,
                      context=True)
        if p.is_linear:
            t_fd, (_, fd_err) = median_time(lambda: finite_difference_solve(p, shape), repeat=3)
            yield Row(f"{name} {tag}", t_ours, "FD2 (2nd order, low-order reference) + scipy "
                      "spsolve", t_fd, err, fd_err, settings=settings,
                      note="FD error at the nodes")
        if len(shape) == 2:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                uni = solve_pde(p, shape, nodes="uniform")
            yield from _gpytorch_rows(name, tag, uni)


__all__ = ["rows", "chebyshev_collocation", "chebyshev_error", "chebyshev_points",
           "barycentric_matrix", "finite_difference_solve"]
