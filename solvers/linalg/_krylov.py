"""Krylov solvers written with the array-API standard: conjugate gradients and GMRES."""

from __future__ import annotations

import math
import operator

import numpy as np

from .._array_api import array_namespace, as_float_array
from ._linear_operator import as_operator_function

__all__ = ["cg", "gmres"]


def _validate_krylov(A, b, x0, rtol, atol, maxiter, M, callback, default_maxiter):
    matvec = as_operator_function(A, "A")
    psolve = as_operator_function(M, "M")
    xp = array_namespace(b, x0)
    b = as_float_array(b, xp, name="b", allow_complex=True, finite=True)
    if x0 is None:
        x = xp.zeros_like(b)
    else:
        x0 = as_float_array(x0, xp, name="x0", allow_complex=True, finite=True)
        if tuple(x0.shape) != tuple(b.shape):
            raise ValueError(f"`x0` must have the shape of `b` {tuple(b.shape)}, "
                             f"got {tuple(x0.shape)}")
        dt = xp.result_type(b.dtype, x0.dtype)
        x = xp.astype(x0, dt, copy=True)
        b = xp.astype(b, dt)
    shape = getattr(A, "shape", None)
    if shape is not None and len(shape) == 2 and not callable(A):
        n = math.prod(b.shape)
        if shape[0] != shape[1] or shape[1] != n:
            raise ValueError(f"`A` must be square with {n} columns to match `b`, "
                             f"got shape {tuple(shape)}")
    for name, val in (("rtol", rtol), ("atol", atol)):
        if not (isinstance(val, (int, float, np.floating, np.integer)) and val >= 0
                and math.isfinite(val)):
            raise ValueError(f"`{name}` must be a finite non-negative number, got {val!r}")
    if maxiter is None:
        maxiter = default_maxiter(math.prod(b.shape))
    else:
        maxiter = _positive_int(maxiter, "maxiter")
    if callback is not None and not callable(callback):
        raise TypeError("`callback` must be callable or None")
    return xp, matvec, psolve, b, x, float(rtol), float(atol), maxiter


def _positive_int(value, name):
    try:
        value = operator.index(value)
    except TypeError:
        raise TypeError(f"`{name}` must be an integer, got {value!r}") from None
    if value < 1:
        raise ValueError(f"`{name}` must be positive, got {value}")
    return value


def _dot(xp, a, b):
    """Σ conj(a) b over all entries, as a Python scalar."""
    if xp.isdtype(a.dtype, "complex floating"):
        return complex(xp.sum(xp.conj(a) * b))
    return float(xp.sum(a * b))


def _norm(xp, a):
    return float(xp.linalg.vector_norm(a))


def cg(A, b, *, x0=None, rtol=1e-5, atol=0.0, maxiter=None, M=None, callback=None):
    """Conjugate gradients for Hermitian positive definite ``A x = b``, on any array library.

    The iteration is the one of ``scipy.sparse.linalg.cg`` (same start, same stopping rule
    ``‖r‖ < max(atol, rtol·‖b‖)``, same preconditioned recurrences), so on NumPy its
    iterates agree with SciPy's to rounding.

    Parameters
    ----------
    A : array, sparse matrix, LinearOperator or callable
        The operator; a callable or an object with ``matvec`` is applied to arrays of
        ``b``'s shape, so grid-shaped vectors work.
    b : array
        Right-hand side (any shape; finite).
    x0 : array, optional
        Initial guess (default zero).
    rtol, atol : float
        Relative and absolute tolerances on the residual norm.
    maxiter : int, optional
        Maximum iterations (default ``10 * b.size``).
    M : array, LinearOperator or callable, optional
        Preconditioner: applies an approximation of ``A^{-1}``.
    callback : callable, optional
        ``callback(xk)`` after each iteration.

    Returns
    -------
    x : array
        The approximate solution (library, device and shape of ``b``).
    info : int
        0 on convergence, else the number of iterations done (``maxiter``). This is
        ``scipy.sparse.linalg.cg``'s ``(x, info)`` convention, kept so that the function is
        a drop-in replacement; it is not the library's status table (:mod:`solvers._result`),
        and ``callback(xk)`` likewise follows SciPy's signature.

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.linalg import cg
    >>> A = np.array([[4., 1.], [1., 3.]]); b = np.array([1., 2.])
    >>> x, info = cg(A, b, rtol=1e-12)
    >>> info, bool(np.allclose(A @ x, b))
    (0, True)
    """
    xp, matvec, psolve, b, x, rtol, atol, maxiter = _validate_krylov(
        A, b, x0, rtol, atol, maxiter, M, callback, lambda n: 10 * n)
    bnorm = _norm(xp, b)
    if bnorm == 0.0:
        return xp.zeros_like(b), 0
    tol = max(atol, rtol * bnorm)
    r = b - matvec(x) if x0 is not None else b
    rho_prev = None
    p = None
    for iteration in range(maxiter):
        if _norm(xp, r) < tol:
            return x, 0
        z = psolve(r) if psolve is not None else r
        rho = _dot(xp, r, z)
        if iteration == 0:
            p = z
        else:
            p = z + (rho / rho_prev) * p
        q = matvec(p)
        pq = _dot(xp, p, q)
        if pq == 0.0:  # breakdown (A not positive definite or p = 0)
            return x, iteration + 1
        alpha = rho / pq
        x = x + alpha * p
        r = r - alpha * q
        rho_prev = rho
        if callback is not None:
            callback(x)
    return x, maxiter


def _givens(a, b):
    """Return (c, s, r) with [c s; -conj(s) c] [a; b] = [r; 0] (c real)."""
    if b == 0:
        return 1.0, 0.0, a
    if a == 0:
        return 0.0, 1.0, b
    denom = math.hypot(abs(a), abs(b))
    c = abs(a) / denom
    s = (a / abs(a)) * np.conj(b) / denom
    r = (a / abs(a)) * denom
    return c, s, r


def gmres(A, b, *, x0=None, rtol=1e-5, atol=0.0, restart=20, maxiter=None, M=None,
          callback=None):
    """Restarted GMRES with right preconditioning, on any array library.

    Stops when the true residual satisfies ``‖b − A x‖ ≤ max(atol, rtol·‖b‖)`` (right
    preconditioning makes the Arnoldi residual estimate the unpreconditioned residual).

    Parameters
    ----------
    A : array, sparse matrix, LinearOperator or callable
        The operator (applied to arrays of ``b``'s shape).
    b : array
        Right-hand side (any shape; finite).
    x0 : array, optional
        Initial guess (default zero).
    rtol, atol : float
        Tolerances on the residual norm.
    restart : int
        Krylov subspace dimension between restarts (default 20, as SciPy).
    maxiter : int, optional
        Maximum number of restart cycles (default ``10 * b.size``, as SciPy).
    M : array, LinearOperator or callable, optional
        Right preconditioner (approximates ``A^{-1}``).
    callback : callable, optional
        ``callback(residual_norm)`` after each inner iteration, with the current estimate of
        ``‖b − A x‖`` (like SciPy's ``callback_type="pr_norm"`` without the division by ‖b‖).

    Returns
    -------
    x : array
        The approximate solution (shape, library and device of ``b``).
    info : int
        0 on convergence, else the number of restart cycles done. This is
        ``scipy.sparse.linalg.gmres``'s ``(x, info)`` convention, kept so that the function is
        a drop-in replacement; it is not the library's status table (:mod:`solvers._result`).

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.linalg import gmres
    >>> A = np.array([[3., 1.], [-1., 2.]]); b = np.array([1., 1.])
    >>> x, info = gmres(A, b, rtol=1e-12)
    >>> info, bool(np.allclose(A @ x, b))
    (0, True)
    """
    xp, matvec, psolve, b, x, rtol, atol, maxiter = _validate_krylov(
        A, b, x0, rtol, atol, maxiter, M, callback, lambda n: 10 * n)
    restart = _positive_int(restart, "restart")
    n = math.prod(b.shape)
    restart = min(restart, n)
    bnorm = _norm(xp, b)
    if bnorm == 0.0:
        return xp.zeros_like(b), 0
    tol = max(atol, rtol * bnorm)
    is_complex = xp.isdtype(b.dtype, "complex floating")
    hdt = np.complex128 if is_complex else np.float64
    precond = psolve if psolve is not None else (lambda v: v)

    for cycle in range(maxiter):
        r = b - matvec(x)
        beta = _norm(xp, r)
        if beta <= tol:
            return x, 0
        V = [r / beta]
        H = np.zeros((restart + 1, restart), dtype=hdt)
        cs = np.zeros(restart, dtype=np.float64)
        sn = np.zeros(restart, dtype=hdt)
        g = np.zeros(restart + 1, dtype=hdt)
        g[0] = beta
        k_used = 0
        resid = beta
        for k in range(restart):
            w = matvec(precond(V[k]))
            for i in range(k + 1):  # modified Gram-Schmidt
                hik = _dot(xp, V[i], w)
                H[i, k] = hik
                w = w - hik * V[i]
            hnext = _norm(xp, w)
            H[k + 1, k] = hnext
            for i in range(k):  # apply previous rotations to the new column
                t = cs[i] * H[i, k] + sn[i] * H[i + 1, k]
                H[i + 1, k] = -np.conj(sn[i]) * H[i, k] + cs[i] * H[i + 1, k]
                H[i, k] = t
            c, s, rr = _givens(H[k, k], H[k + 1, k])
            cs[k], sn[k] = c, s
            H[k, k] = rr
            H[k + 1, k] = 0.0
            g[k + 1] = -np.conj(s) * g[k]
            g[k] = c * g[k]
            resid = abs(g[k + 1])
            k_used = k + 1
            if callback is not None:
                callback(float(resid))
            if resid <= tol or hnext == 0.0:
                break
            V.append(w / hnext)
        y = _solve_upper(H[:k_used, :k_used], g[:k_used])
        update = None
        for i in range(k_used):
            coef = y[i] if is_complex else float(y[i].real)
            update = coef * V[i] if update is None else update + coef * V[i]
        x = x + precond(update)
    r = b - matvec(x)
    if _norm(xp, r) <= tol:
        return x, 0
    return x, maxiter


def _solve_upper(R, g):
    n = R.shape[0]
    y = np.zeros(n, dtype=R.dtype)
    for i in range(n - 1, -1, -1):
        y[i] = (g[i] - R[i, i + 1:] @ y[i + 1:]) / R[i, i]
    return y
