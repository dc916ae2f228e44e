"""Backend linear algebra, the metric ``B`` and the protocol of Hessian approximations.

Everything here is private; the public objects live in :mod:`solvers.optimize._hessian`.
The dense linear algebra comes from the backend layer (``solvers._backend``): SciPy's LAPACK
wrappers for NumPy, ``cupy.linalg``/``cupyx.scipy.linalg`` for CuPy, the standard's ``linalg``
extension otherwise.
"""

from __future__ import annotations

import math

from .._array_api import PicklesNamespace
from .._backend import backend_for

__all__ = [
    "HessianApproximation",
    "Metric",
    "cholesky_factor",
    "cholesky_solve",
    "eigh",
    "add_diagonal",
    "conjugate_gradient",
]


# --------------------------------------------------------------------------- dense linear algebra


def add_diagonal(xp, A, shift):
    """Return ``A + diag(shift)`` (``shift`` a scalar or a 1-D array), never modifying ``A``."""
    return backend_for(xp).add_diagonal(A, shift)


def cholesky_factor(xp, M):
    """Lower Cholesky factor of the symmetric matrix ``M``, or ``None`` if it is not positive definite.

    A factor with non-finite entries (CuPy reports failure that way) also gives ``None``.
    """
    try:
        L = backend_for(xp).cholesky(M, overwrite_a=True)
    except (ValueError, ArithmeticError):  # numpy/cupy LinAlgError subclasses ValueError
        return None
    if not bool(xp.all(xp.isfinite(L[-1, :]))):
        return None
    return L


def cholesky_solve(xp, L, b):
    """Solve ``L L^T x = b`` for a lower Cholesky factor ``L`` (``b`` 1-D or 2-D)."""
    return backend_for(xp).cho_solve(L, b)


def eigh(xp, M):
    """Eigenvalues (ascending) and eigenvectors of the symmetric matrix ``M``."""
    return backend_for(xp).eigh(M)


# --------------------------------------------------------------------------- the metric B


class Metric(PicklesNamespace):
    """The metric ``B`` of the primal norm ``||h|| = <Bh, h>^(1/2)``.

    Parameters
    ----------
    B : None, "auto", 1-D array or 2-D array
        ``None`` is the identity, a 1-D positive array a diagonal metric, a 2-D array a dense
        symmetric positive definite matrix (factorized once by Cholesky). ``"auto"`` is fixed by
        :meth:`settle` from the first Hessian (approximation) built: ``B = |diag H(x0)|``.
    xp : namespace
    dim : int
        The number of unknowns.
    """

    def __init__(self, B, xp, dim, dtype):
        self.xp = xp
        self.dim = dim
        self.dtype = dtype
        self.kind = "identity"
        self.diag = None
        self.matrix = None
        self._chol = None
        self.auto = False
        self.pending = False
        if B is None:
            return
        if isinstance(B, str):
            if B != "auto":
                raise ValueError(f"`metric` must be None, 'auto', 1-D or 2-D, got {B!r}")
            self.auto = self.pending = True
            return
        if not hasattr(B, "shape"):
            B = xp.asarray(B, dtype=dtype)
        if B.ndim == 1:
            if B.shape[0] != dim:
                raise ValueError(f"`metric` as a diagonal must have shape ({dim},), "
                                 f"got {tuple(B.shape)}")
            if not bool(xp.all(B > 0)):
                raise ValueError("`metric` diagonal must be positive")
            self.kind = "diagonal"
            self.diag = xp.astype(B, dtype)
        elif B.ndim == 2:
            if tuple(B.shape) != (dim, dim):
                raise ValueError(f"`metric` must have shape ({dim}, {dim}), got {tuple(B.shape)}")
            self.kind = "dense"
            self.matrix = xp.astype(B, dtype)
            self._chol = cholesky_factor(xp, xp.asarray(self.matrix, copy=True))
            if self._chol is None:
                raise ValueError("`metric` must be symmetric positive definite "
                                 "(its Cholesky factorization failed)")
        else:
            raise ValueError(f"`metric` must be None, 1-D or 2-D, got {B.ndim}-D")

    def settle(self, H=None, diag=None):
        """Fix a pending ``"auto"`` metric: ``B = |diag(H)|`` (or ``|diag|``), the identity when
        neither is given. Entries below ``eps * max`` (no curvature seen there) take the
        geometric mean of the others. A no-op once the metric is fixed."""
        if not self.pending:
            return
        self.pending = False
        xp = self.xp
        if diag is None and H is not None:
            diag = xp.linalg.diagonal(H)
        if diag is None:
            return
        h = xp.abs(xp.astype(diag, self.dtype))
        hmax = float(xp.max(h))
        if not (math.isfinite(hmax) and hmax > 0.0):
            return
        tiny = hmax * float(xp.finfo(self.dtype).eps)
        seen = h > tiny
        if not bool(xp.all(seen)):
            one, zero = xp.ones_like(h), xp.zeros_like(h)
            logs = xp.where(seen, xp.log(xp.where(seen, h, one)), zero)
            fill = math.exp(float(xp.sum(logs)) / float(xp.sum(xp.astype(seen, self.dtype))))
            h = xp.where(seen, h, fill * one)
        self.kind = "diagonal"
        self.diag = h

    def stop_norm(self, g):
        """The norm of the stopping test: ``||g||_2`` for ``"auto"``, else ``||g||_*``."""
        if self.auto:
            return float(self.xp.linalg.vector_norm(g))
        return self.dual_norm(g)

    def apply(self, v):
        """``B v``."""
        if self.kind == "identity":
            return v
        if self.kind == "diagonal":
            return self.diag * v
        return self.matrix @ v

    def solve(self, g):
        """``B^{-1} g``."""
        if self.kind == "identity":
            return g
        if self.kind == "diagonal":
            return g / self.diag
        return cholesky_solve(self.xp, self._chol, g)

    def dual_norm(self, g):
        """``||g||_* = <g, B^{-1} g>^(1/2)`` as a Python float."""
        xp = self.xp
        return math.sqrt(max(float(xp.vecdot(g, self.solve(g))), 0.0))

    def add_to(self, H, lam):
        """``H + lam * B`` for a dense ``H`` (a new array)."""
        if self.kind == "identity":
            return add_diagonal(self.xp, H, lam)
        if self.kind == "diagonal":
            return add_diagonal(self.xp, H, lam * self.diag)
        return H + lam * self.matrix

    def whitening(self):
        """``(W, W_inv_T)`` with ``B = W W^T``; ``None`` for the identity.

        For a diagonal metric ``W`` is returned as the 1-D vector ``sqrt(diag)``.
        """
        if self.kind == "identity":
            return None
        if self.kind == "diagonal":
            return self.xp.sqrt(self.diag)
        return self._chol


# --------------------------------------------------------------------------- protocol


class HessianApproximation:
    """Base class and protocol of the Hessian approximations used by :func:`minimize_gns`.

    A subclass implements

    ``bind(problem)``
        called once before the first iteration; ``problem`` has the attributes ``xp``, ``dim``,
        ``dtype``, ``metric`` (with ``apply``, ``solve``, ``add_to``, ``dual_norm``) and the
        counted oracles ``hess(x)``, ``hessp(x, v)`` (``None`` when not given).
    ``update(x, f, g) -> bool``
        called once per outer iteration at the current point; returns ``True`` when a new
        matrix was built (counted in ``nhev``).
    ``solve(lam, g)``
        returns ``s`` with ``(H + lam * B) s = g`` (exactly or approximately), or ``None`` when
        ``H + lam * B`` is not positive definite or the solve failed; the caller then increases
        ``lam``.

    The attribute ``ncg`` counts conjugate-gradient iterations (0 for direct solvers) and
    ``nsolve`` the linear solves.
    """

    name = "approximation"
    stale = False      # True while the matrix in use was built at an earlier point

    def __init__(self):
        self.problem = None
        self.ncg = 0
        self.nsolve = 0

    def bind(self, problem):
        self.problem = problem
        self.ncg = 0
        self.nsolve = 0

    def update(self, x, f, g):  # pragma: no cover - abstract
        raise NotImplementedError

    def solve(self, lam, g):  # pragma: no cover - abstract
        raise NotImplementedError

    def refresh(self, x, f, g):
        """Rebuild a matrix built at an earlier point than ``x``; ``True`` if rebuilt.

        Called after a rejected trial step: the caller then retries the same ``lam`` instead
        of increasing it. Approximations that are never stale return ``False``.
        """
        return False

    def report(self, cg_iterations):
        """Told the CG iterations of a solve this object preconditioned (a no-op here)."""

    def __repr__(self):
        return f"{type(self).__name__}()"


# --------------------------------------------------------------------------- CG


def conjugate_gradient(xp, matvec, b, *, rtol, maxiter, precond=None):
    """Preconditioned CG for ``A s = b`` with ``A`` symmetric, stopping on negative curvature.

    Returns ``(s, iterations, ok)``; ``ok`` is ``False`` when a direction of non-positive
    curvature (``p^T A p <= 0``) or a non-finite value was met, i.e. ``A`` is not positive
    definite. Reaching ``maxiter`` returns the current iterate with ``ok=True`` (an inexact step;
    the outer acceptance test guards it).
    """
    bnorm = float(xp.linalg.vector_norm(b))
    s = xp.zeros_like(b)
    if bnorm == 0.0:
        return s, 0, True
    r = b
    z = r if precond is None else precond(r)
    if z is None:
        return None, 0, False
    p = z
    rz = float(xp.vecdot(r, z))
    tol = rtol * bnorm
    for it in range(1, maxiter + 1):
        Ap = matvec(p)
        curv = float(xp.vecdot(p, Ap))
        if not (curv > 0.0) or not math.isfinite(curv):
            return s, it, False
        alpha = rz / curv
        s = s + alpha * p
        r = r - alpha * Ap
        if float(xp.linalg.vector_norm(r)) <= tol:
            return s, it, True
        z = r if precond is None else precond(r)
        if z is None:
            return None, it, False
        rz_new = float(xp.vecdot(r, z))
        if not (rz_new > 0.0):
            return s, it, rz_new == 0.0
        p = z + (rz_new / rz) * p
        rz = rz_new
    return s, maxiter, True
