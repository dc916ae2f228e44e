"""Damped Newton for nonlinear collocation equations ``L_II V + g(V) = rhs``.

Each step solves the linearized system ``(L_II + diag g'(V)) dV = -R`` with the interior
solver (:class:`~solvers.pde._interior.InteriorSolver`: dense LU in 1-D and on small grids;
otherwise GMRES preconditioned by the fast-diagonalization solve of the Kronecker-sum part of
``L_II`` shifted by the mean of ``g'`` at the first step, one preconditioner for all steps),
then backtracks
(``t = 1, 1/2, 1/4, ...``) until the residual norm decreases by the Armijo factor
``1 - 1e-4 t``. Full steps are taken whenever they decrease the residual, so near the
solution this is Newton's method with its quadratic convergence.
"""

from __future__ import annotations

import math

from .._result import CALLBACK, CONVERGED, MAXITER, NO_PROGRESS, STATUS, call_callback

__all__ = ["damped_newton"]


def damped_newton(solver, problem, rhs0, V0, *, rtol=1e-10, maxiter=50, callback=None,
                  max_halvings=30, scale=None):
    """Solve ``L_II V + g(V) = rhs0`` from ``V0`` (interior-shaped); returns ``(V, info)``.

    ``solver`` is the :class:`~solvers.pde._interior.InteriorSolver` of the system.
    Residuals are relative to ``scale`` (default ``||rhs0||``; the solver passes ``||f||``
    at the interior nodes: ``rhs0`` also holds the boundary values times the large entries
    of spectral differentiation matrices, which would make the test far too loose).
    ``info``: ``newton_iterations`` (steps taken), ``newton_residuals`` (relative to
    ``||rhs0||``, one per iterate), ``step_lengths``, ``inner_iterations`` (operator
    applications inside each linearized solve: GMRES iterations plus refinement residuals;
    0 for direct solves), ``status`` (0 converged, 1 ``maxiter`` reached, 5 the line search
    found no decrease, 99 the callback raised StopIteration), ``message``. ``callback``
    receives an ``OptimizeResult`` with ``nit`` and ``residual`` before each step.
    """
    xp = solver.xp
    g = problem.nonlinearity
    if scale is None or not scale > 0:
        scale = float(xp.sqrt(xp.sum(rhs0 ** 2))) or 1.0

    def residual(V):
        gv, dg = g(V)
        R = solver.system._apply(V, solver.block) + gv - rhs0
        return R, dg, float(xp.sqrt(xp.sum(R ** 2))) / scale

    V = V0
    R, dg, rn = residual(V)
    history, steps, inner = [rn], [], []
    status = MAXITER
    message = None
    shift = float(xp.mean(dg))
    last = {}
    for it in range(maxiter):
        if call_callback(callback, nit=it, residual=rn, x=V):
            status = CALLBACK
            break
        if rn <= rtol:
            status = CONVERGED
            break
        before = solver.matvecs
        dV, last = solver.solve(-R, dg, rtol=min(1e-3, rtol * 1e3), shift_hint=shift)
        inner.append(solver.matvecs - before)
        t = 1.0
        for _ in range(max_halvings):
            Vt = V + t * dV
            Rt, dgt, rnt = residual(Vt)
            if math.isfinite(rnt) and rnt <= (1.0 - 1e-4 * t) * rn:
                break
            t *= 0.5
        else:
            status = NO_PROGRESS
            message = "line search failed: no decrease along the Newton direction"
            break
        V, R, dg, rn = Vt, Rt, dgt, rnt
        steps.append(t)
        history.append(rn)
    else:
        if rn <= rtol:
            status = CONVERGED
    info = {"newton_iterations": len(steps), "newton_residuals": history,
            "step_lengths": steps, "inner_iterations": inner, "status": status,
            "success": status == CONVERGED,
            "message": STATUS[status] if message is None else message}
    info.update({k: v for k, v in last.items() if k != "matvecs"})
    return V, info
