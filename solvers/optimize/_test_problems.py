"""Test problems (objective oracles) for the second-order methods of :mod:`solvers.optimize`.

Private: used by the tests, benchmarks and examples, not part of the public API. They are
not plain test functions like ``scipy.optimize.rosen``: each oracle also builds the Hessian
approximations (:class:`ExactHessian`, :class:`GaussNewton`, :class:`RankOneFisher`, ...)
that fit its structure, so they are tied to the solver classes and stay next to them.

Each factory returns an object with ``fun(x)``, ``jac(x)``, ``fun_and_jac(x)`` (one pass for
both), ``hess(x)``, ``hessp(x, v)`` and constructors of its natural Hessian approximations.
Arrays may come from NumPy, CuPy or any array-API library (the oracle works in the namespace of
its data); ``logistic`` and ``softmax`` also take SciPy (or CuPy) sparse ``X``.

logistic         L2-regularized logistic regression
softmax          L2-regularized multinomial (softmax) regression
logsumexp        ``mu log sum exp((A x - b) / mu) - c^T x``
power_residual   ``||A x - b||^p / p``
rosenbrock       the chained Rosenbrock function
"""

from __future__ import annotations

import math

import numpy as np

from .._array_api import array_namespace, as_float_array, to_numpy
from .._backend import backend_for
from ._hessian import (
    DiagonalHessian,
    EmpiricalFisher,
    ExactHessian,
    GaussNewton,
    HessianVectorCG,
    LazyHessian,
    RankOneFisher,
)

__all__ = ["logistic", "softmax", "logsumexp", "power_residual", "rosenbrock", "Objective"]


def _is_sparse(X):
    return hasattr(X, "tocsr") and hasattr(X, "nnz")


def _sparse_namespace(X):
    """Array namespace matching a SciPy or CuPy sparse matrix."""
    if type(X).__module__.startswith("cupyx"):
        from array_api_compat import cupy as cp_compat

        return cp_compat
    return array_namespace(np.empty(0))


def _row_scale_sparse(X, s):
    """``diag(s) @ X`` for a sparse ``X``."""
    if type(X).__module__.startswith("cupyx"):
        import cupyx.scipy.sparse as sp
    else:
        import scipy.sparse as sp
    return sp.diags(s) @ X


_GRAM_BLOCK_BYTES = 1 << 21   # rows per block of the NumPy Gram product: about 2 MiB
_GRAM_BLOCK_MAX_D = 512        # wider: the product is compute-bound, one syrk is fastest


def _gram(xp, X, s):
    """``X^T diag(s) X`` (``s >= 0``) as a dense array; a symmetric rank-k update when dense."""
    if _is_sparse(X):
        H = X.T @ _row_scale_sparse(X, s)
        return H.toarray() if hasattr(H, "toarray") else H
    r = xp.sqrt(s)
    n, d = X.shape
    rows = max(256, _GRAM_BLOCK_BYTES // (8 * d))
    if not isinstance(X, np.ndarray) or n <= 2 * rows or d > _GRAM_BLOCK_MAX_D:
        Xs = X * r[:, None]
        return xp.matrix_transpose(Xs) @ Xs
    # NumPy: scale and accumulate a block of rows at a time while it is in cache (one pass
    # over X instead of writing and re-reading a scaled copy); each block is a syrk.
    H = np.zeros((d, d), dtype=X.dtype)
    for i in range(0, n, rows):
        Xb = X[i:i + rows] * r[i:i + rows, None]
        H += Xb.T @ Xb
    return H


def _prep_data(X, name="X"):
    if _is_sparse(X):
        xp = _sparse_namespace(X)
        if X.dtype not in (np.float32, np.float64):
            X = X.astype(np.float64)
        return xp, X.tocsr()
    xp = array_namespace(X)
    X = as_float_array(X, xp, name=name, finite=True)
    if X.ndim != 2:
        raise ValueError(f"`{name}` must be 2-D, got shape {tuple(X.shape)}")
    return xp, X


def _check_l2(l2):
    l2 = float(l2)
    if not (l2 >= 0 and math.isfinite(l2)):
        raise ValueError(f"`l2` must be a non-negative finite number, got {l2!r}")
    return l2


def _add_diag(xp, H, c):
    if c == 0.0:
        return H
    return backend_for(xp).add_diagonal(H, c, overwrite=True)


class Objective:
    """Common interface of the oracles (see the module docstring)."""

    xp = None
    dim = 0

    def fun(self, x):
        return self.fun_and_jac(x)[0]

    def jac(self, x):
        return self.fun_and_jac(x)[1]

    def fun_and_jac(self, x):  # pragma: no cover - abstract
        raise NotImplementedError

    def hess(self, x):  # pragma: no cover - abstract
        raise NotImplementedError

    def hessp(self, x, v):
        return self.hess(x) @ v

    # approximations ------------------------------------------------------------
    def exact_hessian(self):
        """:class:`ExactHessian` of this objective."""
        return ExactHessian(self.hess)

    def lazy_hessian(self, every=10, dtype=None, factorization="auto"):
        """:class:`LazyHessian` rebuilt every ``every`` iterations (factorized in ``dtype``)."""
        return LazyHessian(self.hess, every=every, factorization=factorization, dtype=dtype)

    def hessp_cg(self, rtol="auto", maxiter=None, preconditioner=None):
        """Matrix-free :class:`HessianVectorCG` with this objective's ``hessp``."""
        return HessianVectorCG(self.hessp, rtol=rtol, maxiter=maxiter,
                               preconditioner=preconditioner)

    def zeros(self):
        """The origin, a natural starting point, in the objective's namespace."""
        return self.xp.zeros(self.dim, dtype=self.dtype)


# --------------------------------------------------------------------------- logistic


class _Logistic(Objective):
    def __init__(self, X, y, l2):
        self.xp, self.X = _prep_data(X)
        xp = self.xp
        self.n, self.dim = self.X.shape
        self.dtype = self.X.dtype
        y = as_float_array(y, xp, name="y", finite=True)
        if y.ndim != 1 or y.shape[0] != self.n:
            raise ValueError(f"`y` must have shape ({self.n},), got {tuple(y.shape)}")
        if bool(xp.all((y == 0) | (y == 1))):
            y = 2 * y - 1
        elif not bool(xp.all((y == -1) | (y == 1))):
            raise ValueError("`y` must hold labels in {0, 1} or {-1, +1}")
        self.y = xp.astype(y, self.dtype)
        self.l2 = _check_l2(l2)
        self._w = None
        self._X2 = None
        self._X_lowp = None

    def _margins(self, w):
        """``t = y * (X w)`` cached for the last ``w``."""
        xp = self.xp
        if self._w is None or self._w.shape != w.shape or not bool(xp.all(self._w == w)):
            self._t = self.y * (self.X @ w)
            self._w = xp.asarray(w, copy=True)
            self._s = None
        return self._t

    def _sigmoid_neg(self, t):
        """``sigma(-t) = 1 / (1 + exp(t))`` without overflow."""
        xp = self.xp
        e = xp.exp(-xp.abs(t))
        return xp.where(t >= 0, e / (1 + e), 1 / (1 + e))

    def fun_and_jac(self, w):
        xp = self.xp
        t = self._margins(w)
        loss = xp.log1p(xp.exp(-xp.abs(t))) + xp.maximum(-t, xp.zeros_like(t))
        f = float(xp.sum(loss)) / self.n + 0.5 * self.l2 * float(xp.vecdot(w, w))
        r = -(self.y * self._sigmoid_neg(t)) / self.n
        g = self.X.T @ r + self.l2 * w
        return f, g

    def _curvature(self, w):
        """``sigma(t) sigma(-t) / n``, cached with the margins."""
        t = self._margins(w)
        if self._s is None:
            s = self._sigmoid_neg(t)
            self._s = s * (1 - s) / self.n
        return self._s

    def hess(self, w, dtype=None):
        """The Hessian; ``dtype=float32`` builds it in single precision from a float32 copy of
        ``X`` made on first use (for preconditioners: twice as fast)."""
        xp = self.xp
        s = self._curvature(w)
        X = self.X
        if dtype is not None and dtype != self.dtype:
            if self._X_lowp is None or self._X_lowp.dtype != dtype:
                self._X_lowp = X.astype(dtype) if _is_sparse(X) else xp.astype(X, dtype)
            X, s = self._X_lowp, xp.astype(s, dtype)
        return _add_diag(xp, _gram(xp, X, s), self.l2)

    def hessp(self, w, v):
        return self.X.T @ (self._curvature(w) * (self.X @ v)) + self.l2 * v

    def hess_diag(self, w):
        """Diagonal of the Hessian."""
        if self._X2 is None:
            self._X2 = self.X.multiply(self.X) if _is_sparse(self.X) else self.X * self.X
        return self._X2.T @ self._curvature(w) + self.l2

    def per_sample_grads(self, w):
        """Rows: gradients of the per-sample losses (without the L2 term), shape ``(n, d)``."""
        r = -(self.y * self._sigmoid_neg(self._margins(w)))
        if _is_sparse(self.X):
            return _row_scale_sparse(self.X, r).toarray()
        return self.X * r[:, None]

    def lazy_hessian(self, every=10, dtype=None, factorization="auto"):
        """:class:`LazyHessian` rebuilt every ``every`` iterations, optionally in ``dtype``
        (built from a ``dtype`` copy of ``X`` until the approximation falls back to float64)."""
        approx = LazyHessian(None, every=every, factorization=factorization, dtype=dtype)
        approx.hess = lambda w: self.hess(w, dtype=None if approx.fell_back else dtype)
        return approx

    def diagonal_hessian(self):
        """:class:`DiagonalHessian` with the exact diagonal."""
        return DiagonalHessian(self.hess_diag)

    def empirical_fisher(self):
        """:class:`EmpiricalFisher` ``(1/n) sum g_i g_i^T + l2 I``."""
        return EmpiricalFisher(self.per_sample_grads, diag=self.l2)


def logistic(X, y, l2=0.0):
    r"""L2-regularized logistic regression.

    ``f(w) = (1/n) sum_i log(1 + exp(-y_i x_i^T w)) + (l2/2) ||w||^2``.

    Parameters
    ----------
    X : array (n, d) or sparse matrix
        Features (add a column of ones for an intercept). Dense arrays of any array-API
        library; SciPy sparse (NumPy) or ``cupyx.scipy.sparse`` (CuPy) matrices.
    y : array (n,)
        Labels in {0, 1} or {-1, +1}.
    l2 : float
        Regularization strength (scikit-learn's ``C`` corresponds to ``l2 = 1 / (C n)``).

    Returns
    -------
    objective : Objective
        ``fun``, ``jac``, ``fun_and_jac``, ``hess`` (a symmetric rank-k update
        ``X^T diag(s) X``), ``hessp``, ``hess_diag``, ``per_sample_grads``, and the
        approximations ``exact_hessian()``, ``lazy_hessian(every)``, ``hessp_cg()``,
        ``diagonal_hessian()``, ``empirical_fisher()``. The margins ``X w`` of the last point
        are cached, so ``hess`` after ``fun_and_jac`` at the same point costs no extra product.

    Notes
    -----
    For logistic regression the Gauss–Newton and Fisher matrices equal the Hessian (canonical
    link); the useful approximations are stale (lazy) Hessians and matrix-free products.

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.optimize import minimize_gns
    >>> from solvers.optimize._test_problems import logistic
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((200, 5)); y = (X[:, 0] + rng.standard_normal(200) > 0)
    >>> obj = logistic(X, y, l2=1e-2)
    >>> res = minimize_gns(obj.fun_and_jac, obj.zeros(), jac=True, hess=obj.hess)
    >>> res.success, res.nit < 15
    (True, True)
    """
    return _Logistic(X, y, l2)


# --------------------------------------------------------------------------- softmax


class _Softmax(Objective):
    def __init__(self, X, y, l2, n_classes):
        self.xp, self.X = _prep_data(X)
        xp = self.xp
        self.n, self.d = self.X.shape
        self.dtype = self.X.dtype
        y_host = np.asarray(to_numpy(y))
        if y_host.ndim != 1 or y_host.shape[0] != self.n:
            raise ValueError(f"`y` must have shape ({self.n},), got {y_host.shape}")
        if not np.all(y_host == np.round(y_host)) or y_host.min() < 0:
            raise ValueError("`y` must hold integer class labels 0, 1, ..., K-1")
        y_host = y_host.astype(np.int64)
        K = int(y_host.max()) + 1 if n_classes is None else int(n_classes)
        if K < 2 or y_host.max() >= K:
            raise ValueError(f"need at least 2 classes and labels < n_classes, got K = {K}")
        self.K = K
        self.dim = self.d * K
        Y = np.zeros((self.n, K))
        Y[np.arange(self.n), y_host] = 1.0
        self.Y = xp.asarray(Y, dtype=self.dtype)
        self.l2 = _check_l2(l2)
        self._w = None

    def _probs(self, w):
        xp = self.xp
        if self._w is None or not bool(xp.all(self._w == w)):
            Z = self.X @ xp.reshape(w, (self.d, self.K))
            Z = Z - xp.max(Z, axis=1, keepdims=True)
            E = xp.exp(Z)
            S = xp.sum(E, axis=1, keepdims=True)
            self._P = E / S
            self._lse_minus_true = xp.log(S[:, 0]) - xp.sum(Z * self.Y, axis=1)
            self._w = xp.asarray(w, copy=True)
        return self._P

    def fun_and_jac(self, w):
        xp = self.xp
        P = self._probs(w)
        f = float(xp.sum(self._lse_minus_true)) / self.n + 0.5 * self.l2 * float(xp.vecdot(w, w))
        G = self.X.T @ ((P - self.Y) / self.n)
        return f, xp.reshape(G, (self.dim,)) + self.l2 * w

    def hess(self, w):
        xp = self.xp
        P = self._probs(w)
        n, d, K = self.n, self.d, self.K
        Xd = self.X.toarray() if _is_sparse(self.X) else self.X
        blocks = [_gram(xp, self.X, P[:, k] / n) for k in range(K)]
        Z = xp.reshape(Xd[:, :, None] * P[:, None, :], (n, d * K)) / math.sqrt(n)
        H = -(xp.matrix_transpose(Z) @ Z)
        H = xp.reshape(H, (d, K, d, K))
        # the diagonal blocks H[:, k, :, k] += blocks[k], functionally (adds exact zeros elsewhere)
        eye_k = xp.eye(K, dtype=self.dtype)
        block = xp.stack(blocks, axis=1)  # (d, K, d)
        H = H + block[:, :, :, None] * eye_k[None, :, None, :]
        return _add_diag(xp, xp.reshape(H, (self.dim, self.dim)), self.l2)

    def hessp(self, w, v):
        xp = self.xp
        P = self._probs(w)
        XV = self.X @ xp.reshape(v, (self.d, self.K))
        R = P * XV
        R = R - P * xp.sum(R, axis=1, keepdims=True)
        return xp.reshape(self.X.T @ (R / self.n), (self.dim,)) + self.l2 * v


def softmax(X, y, l2=0.0, n_classes=None):
    r"""L2-regularized softmax (multinomial logistic) regression.

    ``f(W) = (1/n) sum_i [logsumexp(x_i^T W) - x_i^T w_{y_i}] + (l2/2) ||W||_F^2`` with
    ``W`` of shape ``(d, K)`` flattened row-major into the ``d K`` unknowns.

    Parameters
    ----------
    X : array (n, d) or sparse matrix
    y : array (n,)
        Integer class labels ``0 .. K-1``.
    l2 : float
    n_classes : int, optional
        ``K`` (default ``max(y) + 1``).

    Returns
    -------
    objective : Objective
        ``fun``, ``jac``, ``fun_and_jac``, ``hess`` (dense ``dK x dK``), ``hessp``, and the
        approximations ``exact_hessian()``, ``lazy_hessian(every)``, ``hessp_cg()``.

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.optimize import minimize_gns
    >>> from solvers.optimize._test_problems import softmax
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((90, 3)); y = np.argmax(X, axis=1)
    >>> obj = softmax(X, y, l2=1e-2)
    >>> res = minimize_gns(obj.fun_and_jac, obj.zeros(), jac=True, hess=obj.hess)
    >>> res.success, res.x.shape
    (True, (9,))
    """
    return _Softmax(X, y, l2, n_classes)


# --------------------------------------------------------------------------- log-sum-exp


def _init_matrix_vector(obj, A, b):
    """Set ``xp``, ``A``, ``b``, ``dim``, ``dtype`` of an objective of ``A x - b``."""
    obj.xp, obj.A = _prep_data(A, "A")
    m, obj.dim = obj.A.shape
    obj.dtype = obj.A.dtype
    obj.b = as_float_array(b, obj.xp, name="b", finite=True)
    if tuple(obj.b.shape) != (m,):
        raise ValueError(f"`b` must have shape ({m},), got {tuple(obj.b.shape)}")


class _LogSumExp(Objective):
    def __init__(self, A, b, mu, c):
        _init_matrix_vector(self, A, b)
        xp = self.xp
        self.mu = float(mu)
        if not (self.mu > 0 and math.isfinite(self.mu)):
            raise ValueError(f"`mu` must be positive, got {mu!r}")
        self.c = None
        if c is not None:
            self.c = as_float_array(c, xp, name="c", finite=True)
            if tuple(self.c.shape) != (self.dim,):
                raise ValueError(f"`c` must have shape ({self.dim},), got {tuple(self.c.shape)}")
        self._x = None

    def residual(self, x):
        return self.A @ x - self.b

    def _pi(self, x):
        xp = self.xp
        if self._x is None or not bool(xp.all(self._x == x)):
            z = self.residual(x) / self.mu
            zmax = xp.max(z)
            e = xp.exp(z - zmax)
            s = xp.sum(e)
            self._lse = float(zmax) + math.log(float(s))
            self._p = e / s
            self._x = xp.asarray(x, copy=True)
        return self._p

    def fun_and_jac(self, x):
        xp = self.xp
        p = self._pi(x)
        f = self.mu * self._lse
        g = self.A.T @ p
        if self.c is not None:
            f -= float(xp.vecdot(self.c, x))
            g = g - self.c
        return f, g

    def hess(self, x):
        xp = self.xp
        p = self._pi(x)
        Atp = self.A.T @ p
        H = _gram(xp, self.A, p) - Atp[:, None] * Atp[None, :]
        return H / self.mu

    def hessp(self, x, v):
        xp = self.xp
        p = self._pi(x)
        Av = self.A @ v
        return self.A.T @ (p * Av - p * xp.vecdot(p, Av)) / self.mu

    def gauss_newton(self):
        """Weighted Gauss–Newton :class:`GaussNewton`: ``(1/mu) A^T diag(pi) A``, an upper
        bound of the Hessian (it drops ``-(1/mu) (A^T pi)(A^T pi)^T``)."""
        xp = self.xp
        mu = self.mu

        def weights(r):
            z = r / mu
            e = xp.exp(z - xp.max(z))
            return e / (xp.sum(e) * mu)

        return GaussNewton(self.residual, lambda x: self.A, outer_hess=weights)


def logsumexp(A, b, mu=1.0, c=None):
    r"""Smoothed maximum ``f(x) = mu log sum_i exp((a_i^T x - b_i) / mu) - c^T x``.

    Parameters
    ----------
    A : array (m, d)
    b : array (m,)
    mu : float
        Smoothing parameter (> 0).
    c : array (d,), optional
        Linear term; ``c = grad(lse)(x_star)`` moves the minimizer to ``x_star``.

    Returns
    -------
    objective : Objective
        ``fun``, ``jac``, ``fun_and_jac``, ``hess``, ``hessp``, ``residual``, and the
        approximations ``exact_hessian()``, ``gauss_newton()`` (weighted Gauss–Newton).

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.optimize._test_problems import logsumexp
    >>> obj = logsumexp(np.eye(2), np.zeros(2))
    >>> bool(abs(obj.fun(np.zeros(2)) - np.log(2.0)) < 1e-15)
    True
    """
    return _LogSumExp(A, b, mu, c)


# --------------------------------------------------------------------------- power residual


class _PowerResidual(Objective):
    def __init__(self, A, b, p):
        _init_matrix_vector(self, A, b)
        xp = self.xp
        self.p = float(p)
        if not self.p >= 2:
            raise ValueError(f"`p` must be >= 2, got {p!r}")

    def residual(self, x):
        return self.A @ x - self.b

    def fun_and_jac(self, x):
        xp = self.xp
        u = self.residual(x)
        nu = float(xp.linalg.vector_norm(u))
        f = nu ** self.p / self.p
        g = (nu ** (self.p - 2)) * (self.A.T @ u) if nu > 0 else xp.zeros_like(x)
        return f, g

    def hess(self, x):
        xp = self.xp
        u = self.residual(x)
        nu = float(xp.linalg.vector_norm(u))
        AtA = self.A.T @ self.A
        if nu == 0.0:
            return AtA * 0.0 if self.p > 2 else AtA
        Atu = self.A.T @ u
        return nu ** (self.p - 2) * AtA + (self.p - 2) * nu ** (self.p - 4) * (
            Atu[:, None] * Atu[None, :])

    def hessp(self, x, v):
        xp = self.xp
        u = self.residual(x)
        nu = float(xp.linalg.vector_norm(u))
        if nu == 0.0:
            return self.A.T @ (self.A @ v) if self.p == 2 else xp.zeros_like(v)
        Atu = self.A.T @ u
        return (nu ** (self.p - 2) * (self.A.T @ (self.A @ v))
                + (self.p - 2) * nu ** (self.p - 4) * xp.vecdot(Atu, v) * Atu)

    def fisher(self):
        """:class:`RankOneFisher` with the Fisher term ``((p-2)/(p f)) g g^T`` of the Hessian."""
        p = self.p

        def scale(x, f, g):
            return (p - 2) / (p * f) if f > 0 else 0.0

        return RankOneFisher(scale)


def power_residual(A, b, p):
    r"""``f(x) = ||A x - b||^p / p`` (``p >= 2``): nonlinear equations in the sense of the paper.

    Returns
    -------
    objective : Objective
        ``fun``, ``jac``, ``fun_and_jac``, ``hess``, ``hessp``, ``residual``, and the
        approximations ``exact_hessian()``, ``fisher()`` (:class:`RankOneFisher` with the
        Fisher term ``(p-2) ||u||^(p-4) (A^T u)(A^T u)^T = ((p-2)/(p f)) g g^T``).

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.optimize._test_problems import power_residual
    >>> obj = power_residual(np.eye(2), np.ones(2), p=4)
    >>> obj.fun(np.zeros(2))
    1.0
    """
    return _PowerResidual(A, b, p)


# --------------------------------------------------------------------------- Rosenbrock


class _Rosenbrock(Objective):
    def __init__(self, n, a, b, xp):
        if n < 2:
            raise ValueError(f"`n` must be >= 2, got {n!r}")
        self.dim, self.a, self.b = int(n), float(a), float(b)
        self.xp = xp if xp is not None else array_namespace(np.empty(0))
        self.dtype = self.xp.float64

    def residual(self, x):
        """``r = (sqrt(b)(x_{i+1} - x_i^2), a - x_i)``; ``f = ||r||^2``."""
        xp = self.xp
        return xp.concat([math.sqrt(self.b) * (x[1:] - x[:-1] ** 2), self.a - x[:-1]])

    def residual_jacobian(self, x):
        xp = self.xp
        n = self.dim
        sb = math.sqrt(self.b)
        eye = xp.eye(n, dtype=x.dtype)
        J1 = sb * (eye[1:, :] - 2 * x[:-1, None] * eye[:-1, :])
        J2 = -eye[:-1, :]
        return xp.concat([J1, J2], axis=0)

    def fun_and_jac(self, x):
        xp = self.xp
        r = self.residual(x)
        f = float(xp.vecdot(r, r))
        g = 2 * (xp.matrix_transpose(self.residual_jacobian(x)) @ r)
        return f, g

    def hess(self, x):
        xp = self.xp
        J = self.residual_jacobian(x)
        H = 2 * (xp.matrix_transpose(J) @ J)
        # second-order term: sum_i r_i * Hess(r_i); only r1_i = sqrt(b)(x_{i+1} - x_i^2)
        r1 = math.sqrt(self.b) * (x[1:] - x[:-1] ** 2)
        diag = xp.concat([-4 * math.sqrt(self.b) * r1, xp.zeros(1, dtype=x.dtype)])
        return H + xp.eye(self.dim, dtype=x.dtype) * diag[None, :]

    def gauss_newton(self):
        """:class:`GaussNewton` ``2 J^T J`` of the residual form."""
        return GaussNewton(self.residual, self.residual_jacobian, outer_hess=lambda r: 2.0)


def rosenbrock(n=2, a=1.0, b=100.0, xp=None):
    r"""Chained Rosenbrock ``f(x) = sum_i b (x_{i+1} - x_i^2)^2 + (a - x_i)^2``; minimum 0 at
    ``x = (a, a^2, ...)`` for ``a = 1``.

    Parameters
    ----------
    n : int
        Dimension (>= 2).
    a, b : float
    xp : namespace, optional
        Array namespace of the points (default NumPy).

    Returns
    -------
    objective : Objective
        ``fun``, ``jac``, ``fun_and_jac``, ``hess`` (indefinite away from the valley),
        ``hessp``, ``residual``, ``residual_jacobian`` and ``gauss_newton()``.

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.optimize._test_problems import rosenbrock
    >>> rosenbrock().fun(np.array([1.0, 1.0]))
    0.0
    """
    return _Rosenbrock(n, a, b, xp)
