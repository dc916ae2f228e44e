"""Hessian approximations for the gradient-regularized Newton methods.

Each object follows the protocol of :class:`HessianApproximation`: ``update(x, f, g)`` once
per outer iteration, then ``solve(lam, g)`` returning ``s`` with ``(H + lam B) s = g`` for as
many trial values of ``lam`` as the adaptive search needs. The objects differ in what ``H`` is
and in how a solve for a new ``lam`` is made cheap.
"""

from __future__ import annotations

import math
import numbers

from ._hessian_base import (
    HessianApproximation,
    cholesky_factor,
    cholesky_solve,
    conjugate_gradient,
    eigh,
)

__all__ = [
    "HessianApproximation",
    "ExactHessian",
    "LazyHessian",
    "DiagonalHessian",
    "GaussNewton",
    "EmpiricalFisher",
    "RankOneFisher",
    "LowRankPlusDiagonal",
    "HessianVectorCG",
    "FactorPreconditioner",
]


def _as_dense(problem, H, name):
    """Convert a user-returned matrix to a dense array of the problem's namespace."""
    xp = problem.xp
    if hasattr(H, "toarray"):  # SciPy / CuPy sparse
        H = H.toarray()
    if not hasattr(H, "shape") or hasattr(H, "matvec"):
        if hasattr(H, "matvec"):
            raise TypeError(f"`{name}` returned a LinearOperator; pass it as `hessp` "
                            "(matrix-free CG) instead")
        H = xp.asarray(H, dtype=problem.dtype)
    d = problem.dim
    if tuple(H.shape) != (d, d):
        raise ValueError(f"`{name}` must return a ({d}, {d}) matrix, got shape {tuple(H.shape)}")
    if H.dtype != problem.dtype:
        H = xp.astype(H, problem.dtype)
    return H


def _callable_or_problem(fn, problem, attr, owner):
    if fn is not None:
        return fn
    fn = getattr(problem, attr)
    if fn is None:
        raise ValueError(f"{owner} needs `{attr}`: pass it to {owner}(...) or to the minimizer")
    return fn


def _dense_solve(problem, H, lam, g):
    """Cholesky solve of ``(H + lam B) s = g``; ``None`` when not positive definite."""
    L = cholesky_factor(problem.xp, problem.metric.add_to(H, lam))
    if L is None:
        return None
    return cholesky_solve(problem.xp, L, g)


class ExactHessian(HessianApproximation):
    """The exact Hessian, rebuilt at every iteration; each trial ``lam`` costs one Cholesky.

    Parameters
    ----------
    hess : callable, optional
        ``hess(x) -> (d, d)`` array (dense or sparse). Defaults to the minimizer's ``hess``.

    Notes
    -----
    A failed Cholesky factorization (indefinite ``H + lam B`` on a non-convex problem) makes the
    minimizer halve ``gamma``, i.e. increase ``lam``, instead of stopping.
    """

    name = "exact"

    def __init__(self, hess=None):
        super().__init__()
        self.hess = hess
        self.H = None

    def bind(self, problem):
        super().bind(problem)
        self._hess = _callable_or_problem(self.hess, problem, "hess", type(self).__name__)

    def update(self, x, f, g):
        self.H = _as_dense(self.problem, self._hess(x), "hess")
        self.problem.metric.settle(self.H)
        return True

    def solve(self, lam, g):
        self.nsolve += 1
        return _dense_solve(self.problem, self.H, lam, g)


class LazyHessian(HessianApproximation):
    """A Hessian rebuilt only every ``every`` iterations, with its factorization cached.

    Between rebuilds the stale matrix is used. With ``factorization="eigh"`` its
    eigendecomposition ``H = V diag(mu) V^T`` (in the metric ``B``) is cached, so every trial
    ``lam`` costs two matrix-vector products, ``O(d^2)``; with ``"cholesky"`` each new ``lam``
    costs one Cholesky factorization of the stale ``H + lam B`` (cached for repeated solves with
    the same ``lam``, as when it preconditions CG), which is cheaper than ``eigh`` for large
    ``d`` when few trials are needed.

    Parameters
    ----------
    hess : callable, optional
        ``hess(x) -> (d, d)`` array. Defaults to the minimizer's ``hess``.
    every : int or "auto"
        Rebuild period (``every=1`` is the exact Hessian). ``"auto"`` rebuilds when the stale
        matrix stops paying: the matrix is kept while each step's gradient contraction
        ``q = ||g+||_* / ||g||_*`` satisfies ``log(1/q) >= reuse * log(1/q_fresh)``, where
        ``q_fresh`` is the contraction of the last step made right after a rebuild, and is
        rebuilt at once when two trial steps with it are rejected in one iteration. Near a
        solution this is Shamanskii's method (a Newton step, then cheap steps with its
        factorization while they converge fast); far from it, where ``lam`` dominates the
        step, the matrix is rebuilt only when the steps slow down.
    reuse : float
        The fraction ``reuse`` of ``"auto"`` (in (0, 1]; smaller keeps matrices longer).
    factorization : {"auto", "eigh", "cholesky"}
        ``"auto"``: ``"eigh"`` for ``d <= 500``, else ``"cholesky"``.
    dtype : dtype, optional
        Store and factorize the matrix in this precision (e.g. float32: half the cost and
        memory); solves cast the right-hand side and return the problem's dtype. Meant for
        preconditioners (:class:`HessianVectorCG`), whose precision does not limit the final
        accuracy. Falls back to the problem's dtype for the rest of the run (``fell_back``
        becomes True) when the low-precision factorization fails: a Cholesky failure, or
        eigenvalues below ``1000 eps max|mu|`` of the low precision (a condition number past
        ~1e4 in float32, whose small eigenvalues then come out wrong or negative).
    """

    name = "lazy"
    REUSE_CG_MAXITER = 25   # CG iterations that still cost less than a new factorization
    Q_MAX = 0.5             # every="auto": rebuild after a step contracting ||g|| by less

    def __init__(self, hess=None, every=10, factorization="auto", dtype=None, reuse=0.75):
        super().__init__()
        if every != "auto" and (not isinstance(every, numbers.Integral) or every < 1):
            raise ValueError(f"`every` must be a positive integer or 'auto', got {every!r}")
        if not (isinstance(reuse, numbers.Real) and 0 < reuse <= 1):
            raise ValueError(f"`reuse` must lie in (0, 1], got {reuse!r}")
        if factorization not in ("auto", "eigh", "cholesky"):
            raise ValueError("`factorization` must be 'auto', 'eigh' or 'cholesky', "
                             f"got {factorization!r}")
        self.hess = hess
        self.every = every if every == "auto" else int(every)
        self.reuse = float(reuse)
        self.factorization = factorization
        self.dtype = dtype
        self._count = 0
        self.eigenvalues = None
        self._V = None
        self.H = None

    def bind(self, problem):
        super().bind(problem)
        self._hess = _callable_or_problem(self.hess, problem, "hess", type(self).__name__)
        self._count = 0
        self.fell_back = False
        self.stale = False
        self._gnorm = None          # ||g||_* at the previous update
        self._q_fresh = None        # contraction of the last step right after a rebuild
        self._backoff = self._skip = 0   # fresh-only iterations after a failed stale matrix
        self._low = None
        if self.dtype is not None and self.dtype != problem.dtype:
            self._low = self.dtype
        self._method = self.factorization
        if self._method == "auto":
            self._method = "eigh" if problem.dim <= 500 else "cholesky"

    def update(self, x, f, g):
        if self.every == "auto":
            rebuild = self._auto_rebuild(g)
        else:
            rebuild = self._count % self.every == 0
            self._count += 1
        if not rebuild:
            # A fixed period keeps the paper's lazy iteration (no stale-step handling).
            self.stale = self.every == "auto"
            return False
        self._build(x)
        if self.every == "auto":    # in the metric the first build may have settled
            self._gnorm = self.problem.metric.dual_norm(g)
        return True

    def _auto_rebuild(self, g):
        """``every="auto"``: rebuild unless the last step's contraction still pays."""
        gnorm_prev = self._gnorm
        self._gnorm = gnorm = self.problem.metric.dual_norm(g)
        if gnorm_prev is None or not gnorm < gnorm_prev:    # first call, or no progress
            return True
        q = gnorm / gnorm_prev
        if self._skip > 0:
            self._skip -= 1
            return True
        if not self.stale:
            self._q_fresh = q
            return q > self.Q_MAX
        self._backoff = 0          # a stale step passed
        return q > self.Q_MAX or math.log(q) > self.reuse * math.log(self._q_fresh)

    def refresh(self, x, f, g):
        if self.every != "auto" or not self.stale:
            return False
        # The stale matrix failed: no stale steps for the next 1, 2, 4, ... iterations.
        self._backoff = max(1, 2 * self._backoff)
        self._skip = self._backoff
        self._build(x)
        return True

    def _build(self, x):
        self.stale = False
        H = _as_dense(self.problem, self._hess(x), "hess")
        self.problem.metric.settle(H)
        xp = self.problem.xp
        if self._low is not None:
            H_low = xp.astype(H, self._low)
            if self._method == "eigh":
                mu, V = self._eigh(H_low)
                mu, V = xp.astype(mu, self._low), xp.astype(V, self._low)
                scale = float(xp.max(xp.abs(mu)))
                if float(xp.min(mu)) > 1e3 * float(xp.finfo(self._low).eps) * scale:
                    self.eigenvalues, self._V = mu, V
                    return True
                self._fall_back()      # float32 cannot resolve this spectrum
            else:
                self.H, self._lam, self._L, self._H_high = H_low, None, None, H
                return True
        if self._method == "cholesky":
            self.H, self._lam, self._L = H, None, None
        else:
            self.eigenvalues, self._V = self._eigh(H)
        return True

    def _fall_back(self):
        self._low = None
        self.fell_back = True

    def _eigh(self, H):
        xp = self.problem.xp
        W = self.problem.metric.whitening()
        if W is None:
            return eigh(xp, H)
        if W.ndim == 1:
            mu, Q = eigh(xp, H / (W[:, None] * W[None, :]))
            return mu, Q / W[:, None]
        # B = L L^T: C = L^{-1} H L^{-T}, V = L^{-T} Q
        Y = xp.linalg.solve(W, H)
        C = xp.linalg.solve(W, xp.matrix_transpose(Y))
        mu, Q = eigh(xp, (C + xp.matrix_transpose(C)) / 2)
        return mu, xp.linalg.solve(xp.matrix_transpose(W), Q)

    def solve(self, lam, g):
        self.nsolve += 1
        xp = self.problem.xp
        if self._low is not None:
            s = self._solve(xp, lam, xp.astype(g, self._low))
            if self._low is not None:    # no fall-back during this solve
                return None if s is None else xp.astype(s, self.problem.dtype)
        return self._solve(xp, lam, g)

    def _solve(self, xp, lam, g):
        if self._method == "cholesky":
            if (lam != self._lam and self.every == "auto" and self._L is not None
                    and self._low is None):
                s = self._solve_reusing_factor(xp, lam, g)
                if s is not None:
                    return s
            if lam != self._lam:
                self._lam = lam
                metric = self.problem.metric
                if self._low is not None:
                    M = xp.astype(metric.add_to(self._H_high, lam), self._low)
                    self._L = cholesky_factor(xp, M)
                    if self._L is None:   # float32 failed: float64 from now on
                        self._fall_back()
                        self.H = self._H_high
                if self._low is None:
                    self._L = cholesky_factor(xp, metric.add_to(self.H, lam))
            if self._L is None:
                return None
            return cholesky_solve(xp, self._L, g)
        denom = self.eigenvalues + lam
        if not float(xp.min(denom)) > 0.0:
            return None
        V = self._V
        return V @ ((xp.matrix_transpose(V) @ g) / denom)

    def _solve_reusing_factor(self, xp, lam, g):
        """``(H + lam B) s = g`` by CG preconditioned with the factor of ``H + lam_f B`` at the
        previous ``lam_f``: ``O(d^2)`` per iteration instead of a new ``O(d^3)`` factorization.
        ``None`` (factorize instead) when it does not reach ``1e-3 eps``-level accuracy in
        ``REUSE_CG_MAXITER`` iterations or meets non-positive curvature."""
        metric, H, L = self.problem.metric, self.H, self._L

        def matvec(v):
            return H @ v + lam * metric.apply(v)

        rtol = 1e3 * float(xp.finfo(self.problem.dtype).eps)
        s, it, ok = conjugate_gradient(xp, matvec, g, rtol=rtol, maxiter=self.REUSE_CG_MAXITER,
                                       precond=lambda r: cholesky_solve(xp, L, r))
        self.ncg += it
        if not ok or it >= self.REUSE_CG_MAXITER:
            return None
        return s


class DiagonalHessian(HessianApproximation):
    """``H = diag(h(x))``: the diagonal of the Hessian (or any positive diagonal).

    Parameters
    ----------
    diag : callable, optional
        ``diag(x) -> (d,)`` array. Defaults to the diagonal of the minimizer's ``hess(x)``.
    """

    name = "diagonal"

    def __init__(self, diag=None):
        super().__init__()
        self.diag = diag
        self.h = None

    def bind(self, problem):
        super().bind(problem)
        if self.diag is None:
            hess = _callable_or_problem(None, problem, "hess", type(self).__name__)
            xp = problem.xp
            self._diag = lambda x: xp.linalg.diagonal(_as_dense(problem, hess(x), "hess"))
        else:
            self._diag = self.diag

    def update(self, x, f, g):
        xp = self.problem.xp
        h = self._diag(x)
        if not hasattr(h, "shape"):
            h = xp.asarray(h, dtype=self.problem.dtype)
        if tuple(h.shape) != (self.problem.dim,):
            raise ValueError(f"`diag` must return shape ({self.problem.dim},), "
                             f"got {tuple(h.shape)}")
        self.h = h
        self.problem.metric.settle(diag=h)
        return True

    def solve(self, lam, g):
        self.nsolve += 1
        metric = self.problem.metric
        xp = self.problem.xp
        if metric.kind == "dense":
            return _dense_solve(self.problem, _diag_matrix(xp, self.h), lam, g)
        b = 1.0 if metric.kind == "identity" else metric.diag
        denom = self.h + lam * b
        if not float(xp.min(denom)) > 0.0:
            return None
        return g / denom


def _diag_matrix(xp, h):
    d = h.shape[0]
    return xp.eye(d, dtype=h.dtype) * h[None, :]


def _lowrank_dense(xp, U, D0):
    """The dense matrix ``U U^T + diag(D0)``."""
    d = U.shape[0]
    H = U @ xp.matrix_transpose(U)
    if D0 is not None:
        H = H + (_diag_matrix(xp, D0) if hasattr(D0, "shape") else D0 * xp.eye(d, dtype=H.dtype))
    return H


def _lowrank_solve(problem, U, D0, lam, g, dense_cache):
    """Solve ``(D0 + U U^T + lam B) s = g`` for a diagonal or identity ``B``.

    ``U`` is ``(d, k)``, ``D0`` a scalar or ``(d,)`` (``None`` = 0). Woodbury when ``k < d``
    (an ``O(d k^2)`` solve), a dense Cholesky otherwise or when ``B`` is dense; the dense matrix
    is formed once per update and kept in the list ``dense_cache``.
    """
    xp = problem.xp
    metric = problem.metric
    d, k = U.shape
    if metric.kind == "dense" or k >= d:
        if not dense_cache:
            dense_cache.append(_lowrank_dense(xp, U, D0))
        return _dense_solve(problem, dense_cache[0], lam, g)
    b = 1.0 if metric.kind == "identity" else metric.diag
    D = lam * b
    if D0 is not None:
        D = D + D0
    if isinstance(D, numbers.Real):
        if not D > 0.0:
            return None
        Dinv_g, Dinv_U = g / D, U / D
    else:
        if not float(xp.min(D)) > 0.0:
            return None
        Dinv_g, Dinv_U = g / D, U / D[:, None]
    Ut = xp.matrix_transpose(U)
    C = Ut @ Dinv_U
    C = C + xp.eye(k, dtype=C.dtype)
    L = cholesky_factor(xp, C)
    if L is None:
        return None
    return Dinv_g - Dinv_U @ cholesky_solve(xp, L, Ut @ Dinv_g)


class LowRankPlusDiagonal(HessianApproximation):
    """``H = U U^T + diag(D)``, solved by the Woodbury identity in ``O(d k^2)`` per trial.

    Parameters
    ----------
    factor : callable
        ``factor(x) -> U`` of shape ``(d, k)``.
    diag : callable, float or None
        ``diag(x) -> (d,)`` non-negative array, a constant, or ``None`` (zero).

    Notes
    -----
    Woodbury needs a diagonal (or identity) metric ``B`` and ``k < d``; otherwise ``H`` is formed
    and factorized by Cholesky.
    """

    name = "low-rank+diagonal"

    def __init__(self, factor, diag=None):
        super().__init__()
        if not callable(factor):
            raise TypeError("`factor` must be callable: factor(x) -> (d, k) array")
        self.factor = factor
        self.diag = diag
        self.U = None
        self.D = None

    def _set(self, U, D):
        d = self.problem.dim
        if U.ndim != 2 or U.shape[0] != d:
            raise ValueError(f"the low-rank factor must have shape ({d}, k), got {tuple(U.shape)}")
        self.U, self.D = U, D
        self._dense = []

    def update(self, x, f, g):
        D = self.diag(x) if callable(self.diag) else self.diag
        self._set(self.factor(x), D)
        return True

    def solve(self, lam, g):
        self.nsolve += 1
        return _lowrank_solve(self.problem, self.U, self.D, lam, g, self._dense)


class GaussNewton(LowRankPlusDiagonal):
    """Gauss–Newton matrix ``H = J^T W J`` of ``f(x) = phi(r(x))``.

    Parameters
    ----------
    residual : callable or None
        ``residual(x) -> r`` of shape ``(m,)``; only needed when ``outer_hess`` uses it.
    jacobian : callable
        ``jacobian(x) -> J`` of shape ``(m, d)``.
    outer_hess : callable, optional
        ``outer_hess(r) -> W``, the Hessian of ``phi`` at ``r`` or a positive semidefinite
        bound of it: ``None`` means ``W = I`` (``phi = ||r||^2 / 2``); a scalar or ``(m,)``
        array is a diagonal; an ``(m, m)`` array a dense ``W``.

    Notes
    -----
    With a diagonal ``W`` the matrix is the low-rank product ``U U^T`` with ``U = J^T W^(1/2)``,
    solved by Woodbury when ``m < d``. For ``phi = mu logsumexp(r / mu)`` the weighted
    Gauss–Newton choice ``W = diag(softmax(r / mu)) / mu`` drops the negative rank-one term of the
    exact Hessian and bounds it from above (Semenov, Jaggi, Doikov 2025).
    """

    name = "gauss-newton"

    def __init__(self, residual, jacobian, outer_hess=None):
        if not callable(jacobian):
            raise TypeError("`jacobian` must be callable: jacobian(x) -> (m, d) array")
        super().__init__(factor=jacobian)
        self.residual = residual
        self.outer_hess = outer_hess

    def update(self, x, f, g):
        xp = self.problem.xp
        J = self.factor(x)
        if hasattr(J, "toarray"):
            J = J.toarray()
        W = None
        if self.outer_hess is not None:
            r = self.residual(x) if self.residual is not None else None
            W = self.outer_hess(r)
        if W is None:
            U = xp.matrix_transpose(J)
        elif isinstance(W, numbers.Real) or getattr(W, "ndim", 2) <= 1:
            if isinstance(W, numbers.Real) or W.ndim == 0:
                U = xp.matrix_transpose(J) * math.sqrt(float(W))
            else:
                if float(xp.min(W)) < 0.0:
                    raise ValueError("`outer_hess` weights must be non-negative")
                U = xp.matrix_transpose(J) * xp.sqrt(W)[None, :]
        else:  # dense W: H = J^T W J formed explicitly
            self.H = xp.matrix_transpose(J) @ (W @ J)
            self.U = None
            return True
        self._set(U, None)
        return True

    def solve(self, lam, g):
        if self.U is None:  # dense outer Hessian
            self.nsolve += 1
            return _dense_solve(self.problem, self.H, lam, g)
        return super().solve(lam, g)


class EmpiricalFisher(LowRankPlusDiagonal):
    """Empirical Fisher matrix ``H = (1/n) sum_i g_i g_i^T`` from per-sample gradients.

    Parameters
    ----------
    per_sample_grads : callable
        ``per_sample_grads(x) -> G`` of shape ``(n, d)`` (row ``i`` the gradient of sample ``i``).
    diag : callable, float or None
        An optional diagonal added to ``H`` (e.g. the L2 regularization strength).
    """

    name = "empirical-fisher"

    def __init__(self, per_sample_grads, diag=None):
        if not callable(per_sample_grads):
            raise TypeError("`per_sample_grads` must be callable: per_sample_grads(x) -> (n, d)")
        super().__init__(factor=per_sample_grads, diag=diag)

    def update(self, x, f, g):
        xp = self.problem.xp
        G = self.factor(x)
        n = G.shape[0]
        D = self.diag(x) if callable(self.diag) else self.diag
        self._set(xp.matrix_transpose(G) / math.sqrt(n), D)
        return True


class RankOneFisher(HessianApproximation):
    """Rank-one ``H = alpha u u^T`` (``u`` the current gradient by default), Sherman–Morrison solve.

    Parameters
    ----------
    scale : float or callable
        ``alpha``, or ``scale(x, f, g) -> alpha >= 0``. For ``f = ||u(x)||^p / p`` the Fisher term
        of the Hessian is ``((p - 2) / (p f)) g g^T``.
    vector : callable, optional
        ``vector(x) -> u``; default ``u = g``.

    Notes
    -----
    ``(lam B + alpha u u^T)^{-1} g = (B^{-1} g - alpha B^{-1}u (u^T B^{-1} g) /
    (lam + alpha u^T B^{-1} u)) / lam``: each trial costs one solve with ``B``.
    """

    name = "rank-one-fisher"

    def __init__(self, scale, vector=None):
        super().__init__()
        if not callable(scale) and not (isinstance(scale, numbers.Real) and scale >= 0):
            raise ValueError(f"`scale` must be a non-negative number or callable, got {scale!r}")
        self.scale = scale
        self.vector = vector

    def update(self, x, f, g):
        alpha = self.scale(x, f, g) if callable(self.scale) else self.scale
        alpha = float(alpha)
        if not alpha >= 0.0:
            raise ValueError(f"`scale` must be non-negative, got {alpha}")
        u = g if self.vector is None else self.vector(x)
        metric = self.problem.metric
        self.alpha, self.u = alpha, u
        self._Binv_u = metric.solve(u)
        self._uBu = float(self.problem.xp.vecdot(u, self._Binv_u))
        return True

    def solve(self, lam, g):
        self.nsolve += 1
        if not lam > 0.0:
            return None
        xp = self.problem.xp
        Binv_g = self.problem.metric.solve(g)
        coef = self.alpha * float(xp.vecdot(self.u, Binv_g)) / (lam + self.alpha * self._uBu)
        return (Binv_g - coef * self._Binv_u) / lam


class FactorPreconditioner(HessianApproximation):
    """The Cholesky factor of ``H(x_k) + lam_k B``, kept as the CG preconditioner of
    :class:`HessianVectorCG` at later points and ``lam`` until it stops paying.

    The Hessian is built and factorized at the first iteration (at the first trial ``lam``) and
    again at the iteration after a preconditioned solve needed more than ``rebuild_after`` CG
    iterations. Between rebuilds a preconditioner application costs two triangular solves,
    ``O(d^2)``, and the steps stay Newton steps with the current Hessian (through
    ``hessp``), so their accuracy does not depend on the factor's age.

    Parameters
    ----------
    hess : callable, optional
        ``hess(x) -> (d, d)`` array. Defaults to the minimizer's ``hess``.
    rebuild_after : int
        CG iterations of one solve beyond which the factor is rebuilt at the next iteration.
    """

    name = "factor-preconditioner"

    def __init__(self, hess=None, rebuild_after=30):
        super().__init__()
        if not isinstance(rebuild_after, numbers.Integral) or rebuild_after < 1:
            raise ValueError(f"`rebuild_after` must be a positive integer, got {rebuild_after!r}")
        self.hess = hess
        self.rebuild_after = int(rebuild_after)

    def bind(self, problem):
        super().bind(problem)
        self._hess = _callable_or_problem(self.hess, problem, "hess", type(self).__name__)
        self._H = self._L = None
        self._rebuild = True

    def update(self, x, f, g):
        if not self._rebuild:
            return False
        self._H = _as_dense(self.problem, self._hess(x), "hess")
        self.problem.metric.settle(self._H)
        self._L = None
        self._rebuild = False
        return True

    def solve(self, lam, r):
        self.nsolve += 1
        xp = self.problem.xp
        if self._L is None:
            L = cholesky_factor(xp, self.problem.metric.add_to(self._H, lam))
            if L is None:           # not positive definite at this lam: the caller raises lam
                return None
            self._L, self._H = L, None
        return cholesky_solve(xp, self._L, r)

    def report(self, cg_iterations):
        """Told the CG iterations of a preconditioned solve; too many: rebuild next time."""
        if cg_iterations > self.rebuild_after:
            self._rebuild = True


class HessianVectorCG(HessianApproximation):
    """Matrix-free steps: conjugate gradients on ``(H + lam B) s = g`` with Hessian-vector products.

    Parameters
    ----------
    hessp : callable, optional
        ``hessp(x, v) -> H(x) v``. Defaults to the minimizer's ``hessp`` (or ``hess(x) @ v``).
    rtol : float or "auto"
        CG relative tolerance; ``"auto"`` is the inexact-Newton forcing term
        ``min(0.5, sqrt(||g||_*))``, which keeps Newton's superlinear rate.
    maxiter : int, optional
        CG iteration limit per solve (default ``min(d, 500)``).
    preconditioner : HessianApproximation, optional
        Another approximation (e.g. ``LazyHessian(every=20)``) whose ``solve(lam, r)`` is used as
        the preconditioner; it is updated together with this object.

    Notes
    -----
    CG stops at a direction of non-positive curvature and reports failure, so on non-convex
    problems ``lam`` grows until ``H + lam B`` is positive definite along the Krylov space.
    Without a ``preconditioner``, a non-identity metric ``B`` preconditions CG (``B^{-1}``:
    Jacobi for the ``"auto"`` metric). For the ``"auto"`` metric with ``d <= 256`` the
    diagonal of ``H(x0)`` is probed once by ``d`` products ``H e_i`` (about one Hessian
    build); for larger ``d`` without a preconditioner the metric is the identity.
    """

    name = "hessp-cg"
    probe_max = 256   # largest d whose Hessian diagonal is probed for an "auto" metric

    def __init__(self, hessp=None, rtol="auto", maxiter=None, preconditioner=None):
        super().__init__()
        if not (rtol == "auto" or (isinstance(rtol, numbers.Real) and 0 < rtol < 1)):
            raise ValueError(f"`rtol` must be 'auto' or in (0, 1), got {rtol!r}")
        if preconditioner is not None and not isinstance(preconditioner, HessianApproximation):
            raise TypeError("`preconditioner` must be a HessianApproximation")
        self.hessp = hessp
        self.rtol = rtol
        self.maxiter = maxiter
        self.preconditioner = preconditioner

    def bind(self, problem):
        super().bind(problem)
        self._hessp = _callable_or_problem(self.hessp, problem, "hessp", type(self).__name__)
        if self.preconditioner is not None:
            self.preconditioner.bind(problem)
        self._maxiter = self.maxiter if self.maxiter is not None else min(problem.dim, 500)

    def update(self, x, f, g):
        self.x = x
        built = False
        if self.preconditioner is not None:
            built = bool(self.preconditioner.update(x, f, g))
        metric = self.problem.metric
        if metric.pending and self.problem.dim <= self.probe_max:
            metric.settle(diag=self._probe_diagonal(x))
        self._gnorm = metric.dual_norm(g)
        return built

    def _probe_diagonal(self, x):
        """``diag H(x)`` from ``d`` products ``H e_i`` (once, for an ``"auto"`` metric)."""
        xp, d = self.problem.xp, self.problem.dim
        E = xp.eye(d, dtype=self.problem.dtype)
        return xp.asarray([float(self._hessp(x, E[i, :])[i]) for i in range(d)],
                          dtype=self.problem.dtype)

    def solve(self, lam, g):
        self.nsolve += 1
        metric = self.problem.metric
        x = self.x
        rtol = min(0.5, math.sqrt(self._gnorm)) if self.rtol == "auto" else self.rtol

        def matvec(v):
            return self._hessp(x, v) + lam * metric.apply(v)

        precond = None
        if self.preconditioner is not None:
            def precond(r):
                return self.preconditioner.solve(lam, r)
        elif metric.kind != "identity":
            # (H + lam B) with B = the metric: B^{-1} is the natural preconditioner (Jacobi when
            # B is the Hessian's diagonal), exact in the far regime where lam B dominates
            precond = metric.solve

        s, it, ok = conjugate_gradient(self.problem.xp, matvec, g, rtol=rtol,
                                       maxiter=self._maxiter, precond=precond)
        self.ncg += it
        if self.preconditioner is not None:
            self.preconditioner.report(it)
        return s if ok else None
