"""The one interior solver of GP collocation: ``(L[S, S] + diag) V = rhs`` for a block ``S``.

Used by the linear solve, Newton's linearized steps, the adjoint solves of kernel learning
(``transpose=True``) and :func:`solvers.pde.solve_inflow` (a block other than the interior).
One set of thresholds decides the method:

- **dense** LU when the block is one-dimensional or has at most :data:`DENSE_MAX` unknowns;
- **fast diagonalization** (:class:`solvers.linalg.KroneckerSumSolver` of the block's
  Kronecker-sum factors) when the operator is a Kronecker sum and there is no diagonal term,
  followed by up to :data:`REFINEMENT_STEPS` steps of iterative refinement against the true
  operator (they guard against an ill-conditioned eigenbasis);
- otherwise, or when refinement does not reach ``rtol``, **GMRES** (restart 50)
  preconditioned by that fast-diagonalization solve, shifted by the mean of ``diag``.

Every solve reports ``solver``, ``matvecs`` (applications of the operator) and, where used,
``gmres_info`` (0: converged), ``refined_residual``, ``eigenvector_condition``.
"""

from __future__ import annotations

import math

import numpy as np

from .._array_api import PicklesNamespace
from .._result import CONVERGED, MAXITER
from ..linalg import KroneckerSumSolver, gmres
from ._nonlinear import damped_newton

__all__ = ["InteriorSolver", "solve_system", "relative_residual", "pad", "set_interior",
           "DENSE_MAX", "REFINEMENT_STEPS"]

#: Largest number of unknowns solved by a dense LU factorization in two or more dimensions.
DENSE_MAX = 4000
#: Iterative-refinement steps after the fast-diagonalization solve.
REFINEMENT_STEPS = 3
#: GMRES restart length and default iteration cap.
GMRES_RESTART = 50
GMRES_MAXITER = 2000


def pad(xp, A, fill):
    """Pad every axis of ``A`` with one ``fill`` entry on each side (array-API concat)."""
    for j in range(A.ndim):
        edge = xp.full(tuple(1 if k == j else s for k, s in enumerate(A.shape)), fill,
                       dtype=A.dtype)
        A = xp.concat([edge, A, edge], axis=j)
    return A


def set_interior(xp, H, UI):
    """Grid array equal to ``H`` on the boundary and ``UI`` inside."""
    inside = pad(xp, xp.ones(tuple(UI.shape), dtype=xp.bool), False)
    return xp.where(inside, pad(xp, UI, 0.0), H)


class InteriorSolver(PicklesNamespace):
    """Solves ``(L[S, S] + diag(d)) V = rhs`` (or its transpose) on a collocation system.

    Parameters
    ----------
    system : CollocationSystem
    block : tuple of slices, optional
        The block ``S`` (default: the interior nodes).

    Attributes
    ----------
    matvecs : int
        Operator applications so far (all solves).
    """

    def __init__(self, system, block=None):
        self.system = system
        self.xp = system.xp
        self.block = system.interior if block is None else tuple(block)
        self.shape = tuple(len(range(*s.indices(n))) for s, n in zip(self.block,
                                                                       system.grid.shape))
        self.size = math.prod(self.shape)
        self.matvecs = 0
        self._dense = None
        self._precond = {}  # (transpose, shift) -> KroneckerSumSolver or the error text

    def fork(self):
        """A new solver of the same block sharing the factorizations built so far (dense
        matrix, preconditioners) but with its own counter and preconditioner cache, so that
        several threads can solve at once."""
        other = InteriorSolver(self.system, self.block)
        other._dense = self._dense
        other._precond = dict(self._precond)
        return other

    # ------------------------------------------------------------------ pieces
    def apply(self, V, diag=None, transpose=False):
        """``(L[S, S] + diag) V`` (or the transpose) for block-shaped ``V``."""
        self.matvecs += 1
        out = self.system._apply(V, self.block, transpose)
        return out if diag is None else out + diag * V

    def _use_dense(self):
        return self.system.grid.ndim == 1 or self.size <= DENSE_MAX

    def dense(self):
        """``L[S, S]`` as a dense matrix (cached)."""
        if self._dense is None:
            self._dense = self.system.block_dense(self.block)
        return self._dense

    def preconditioner(self, shift_extra=0.0, transpose=False):
        """The fast-diagonalization solver of the Kronecker-sum part, or None if it fails."""
        key = (bool(transpose), float(shift_extra))
        if key not in self._precond:
            factors, shift = self.system.kronecker_sum_factors(self.block)
            if transpose:
                factors = [self.xp.matrix_transpose(f) for f in factors]
            try:
                self._precond[key] = KroneckerSumSolver(factors, shift=shift + shift_extra)
            except (ValueError, np.linalg.LinAlgError) as exc:
                self._precond[key] = str(exc)
        P = self._precond[key]
        return None if isinstance(P, str) else P

    def _rel_residual(self, V, rhs, diag, transpose):
        xp = self.xp
        r = rhs - self.apply(V, diag, transpose)
        scale = float(xp.sqrt(xp.sum(rhs ** 2)))
        return float(xp.sqrt(xp.sum(r ** 2))) / (scale if scale > 0 else 1.0)

    # ------------------------------------------------------------------ solve
    def solve(self, rhs, diag=None, *, transpose=False, rtol=1e-10, maxiter=None,
              shift_hint=None):
        """Return ``(V, info)``.

        ``shift_hint`` fixes the preconditioner's shift (default: the mean of ``diag``), so
        that Newton's steps can keep one preconditioner.
        """
        xp = self.xp
        info = {}
        start = self.matvecs
        if self._use_dense():
            A = self.dense()
            if diag is not None:
                A = A + xp.eye(self.size, dtype=A.dtype) * xp.reshape(diag, (1, -1))
            if transpose:
                A = xp.matrix_transpose(A)
            V = xp.reshape(xp.linalg.solve(A, xp.reshape(rhs, (self.size, 1))), self.shape)
            info["solver"] = "dense"
            info["matvecs"] = 0
            return V, info
        if shift_hint is None:
            shift_hint = 0.0 if diag is None else float(xp.mean(diag))
        P = self.preconditioner(shift_hint, transpose)
        if P is not None:
            info["eigenvector_condition"] = list(P.condition_numbers)
        x0 = None
        if self.system.is_kronecker_sum and diag is None and P is not None:
            info["solver"] = "kronecker_sum"
            V = P.solve(rhs)
            rn = self._rel_residual(V, rhs, None, transpose)
            for _ in range(REFINEMENT_STEPS):
                if rn <= rtol:
                    break
                V = V + P.solve(rhs - self.apply(V, None, transpose))
                rn = self._rel_residual(V, rhs, None, transpose)
            info["refined_residual"] = rn
            if rn <= rtol:
                info["matvecs"] = self.matvecs - start
                return V, info
            x0 = V

        def op(W):
            return self.apply(W, diag, transpose)
        if maxiter is None:
            maxiter = min(10 * self.size, GMRES_MAXITER)
        M = None if P is None else P.solve
        V, it = gmres(op, rhs, x0=x0, rtol=rtol, restart=GMRES_RESTART, maxiter=maxiter, M=M)
        info["solver"] = "gmres" if x0 is None else "kronecker_sum+gmres"
        info["gmres_info"] = int(it)  # 0: converged, else restart cycles done
        info["matvecs"] = self.matvecs - start
        return V, info


def solve_system(system, problem, F, H, *, rtol, maxiter, callback, solver=None):
    """Grid values of the collocation solution; returns ``(U, info, status, nit)``.

    ``solver`` (an :class:`InteriorSolver` of ``system``) lets a caller reuse its dense
    matrix and preconditioners afterwards (the adjoint solves of kernel learning).
    """
    xp = system.xp
    solver = InteriorSolver(system) if solver is None else solver
    rhs0 = F[system.interior] - system.boundary_contribution(H)
    V, info = solver.solve(rhs0, rtol=rtol, maxiter=maxiter)
    status, nit = CONVERGED, 1
    if info.get("gmres_info", 0) != 0:
        status = MAXITER
    if problem.nonlinearity is not None:
        # damped Newton from the linear solution, one preconditioner for every step
        scale = float(xp.sqrt(xp.sum(F[system.interior] ** 2)))
        V, newton = damped_newton(solver, problem, rhs0, V, rtol=rtol,
                                  maxiter=50 if maxiter is None else int(maxiter),
                                  callback=callback, scale=scale)
        info.update(newton)
        status, nit = newton["status"], newton["newton_iterations"]
    info["matvecs"] = solver.matvecs
    return set_interior(xp, H, V), info, status, nit


def relative_residual(system, problem, U, F):
    """``||L U + g(U) - f||_I / ||f||_I`` at the interior nodes (``||L U + g(U)||`` when
    ``f = 0``): how well the discrete equations are solved."""
    xp = system.xp
    I = system.interior
    R = system.apply(U)[I] - F[I]
    if problem.nonlinearity is not None:
        R = R + problem.nonlinearity(U[I])[0]
    denom = float(xp.sqrt(xp.sum(F[I] ** 2)))
    rnorm = float(xp.sqrt(xp.sum(R ** 2)))
    return rnorm / denom if denom > 0 else rnorm
