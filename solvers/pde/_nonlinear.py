"""Damped Newton for nonlinear collocation equations ``L_II V + g(V) = rhs``.

Each step solves the linearized system ``(L_II + diag g'(V)) dV = -R`` with the part-1 inner
solver (dense LU in 1-D; in d >= 2 GMRES preconditioned by the fast-diagonalization solve of
the Kronecker-sum part of ``L_II`` shifted by the mean of ``g'``), then backtracks
(``t = 1, 1/2, 1/4, ...``) until the residual norm decreases by the Armijo factor
``1 - 1e-4 t``. Full steps are taken whenever they decrease the residual, so near the
solution this is Newton's method with its quadratic convergence.
"""

from __future__ import annotations

import math

__all__ = ["damped_newton"]


def damped_newton(system, problem, rhs0, V0, *, rtol=1e-10, maxiter=50, callback=None,
                  max_halvings=30, state=None):
    """Solve ``L_II V + g(V) = rhs0`` from ``V0`` (interior-shaped); returns ``(V, info)``.

    ``info``: ``newton_iterations`` (steps taken), ``newton_residuals`` (relative to
    ``||rhs0||``, one per iterate), ``step_lengths``, ``inner_iterations`` (operator
    applications inside each linearized solve: GMRES iterations plus refinement residuals;
    0 for direct solves), ``success``, ``message``. ``state`` (a dict) carries the inner
    solver's reusable preconditioner between calls.
    """
    from ._solve import _linear_solve  # the part-1 inner solver

    xp = system.xp
    g = problem.nonlinearity
    scale = float(xp.sqrt(xp.sum(rhs0 ** 2))) or 1.0
    state = {} if state is None else state

    def residual(V):
        gv, dg = g(V)
        R = system.apply_interior(V) + gv - rhs0
        return R, dg, float(xp.sqrt(xp.sum(R ** 2))) / scale

    V = V0
    R, dg, rn = residual(V)
    history, steps, inner = [rn], [], []
    success, message = False, "maximum number of Newton iterations reached"
    for it in range(maxiter):
        if callback is not None:
            callback({"newton_iteration": it, "residual": rn})
        if rn <= rtol:
            success, message = True, "converged"
            break
        dV, n_inner = _counted(system, lambda: _linear_solve(
            system, -R, dg, rtol=min(1e-3, rtol * 1e3), maxiter=None, state=state))
        inner.append(n_inner)
        t = 1.0
        for _ in range(max_halvings):
            Vt = V + t * dV
            Rt, dgt, rnt = residual(Vt)
            if math.isfinite(rnt) and rnt <= (1.0 - 1e-4 * t) * rn:
                break
            t *= 0.5
        else:
            message = "line search failed: no decrease along the Newton direction"
            break
        V, R, dg, rn = Vt, Rt, dgt, rnt
        steps.append(t)
        history.append(rn)
    else:
        if rn <= rtol:
            success, message = True, "converged"
    info = {"newton_iterations": len(steps), "newton_residuals": history,
            "step_lengths": steps, "inner_iterations": inner, "success": success,
            "message": message}
    info.update({k: v for k, v in state.items() if k != "preconditioner"})
    return V, info


def _counted(system, solve):
    """Run ``solve()`` counting the applications of ``system.apply_interior`` it makes."""
    calls = [0]
    original = system.apply_interior

    def counting(V):
        calls[0] += 1
        return original(V)
    system.apply_interior = counting
    try:
        out = solve()
    finally:
        del system.apply_interior  # back to the class method
    return out, calls[0]
