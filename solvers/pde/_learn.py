"""Kernel learning for GP collocation: the bilevel learner and the reference's joint Adam.

Bilevel (default): for kernel parameters ``theta`` the grid values ``U*(theta)`` are the
collocation solution (boundary values exact, PDE exact at interior nodes: one linear solve,
or Newton for a nonlinear PDE), and ``theta`` minimizes the GP-HM objective at ``U*`` with
the precisions profiled out and the (exactly satisfied) boundary term left out,

    J(theta) = 1/2 log|C| + 1/2 U*^T C^{-1} U* + N/2 log(||H(U*)||^2 / N) + N/2,

where ``H`` is the PDE residual at every node (non-zero on the boundary nodes, where the
equation is not imposed). Its gradient is exact: with the adjoint ``A^T lam = dJ/dU_I``
(``A = L_II + diag g'(U_I)``, the Jacobian of the interior equations),
``dJ/dtheta = dJ/dtheta|_U - <pad(lam), d(L U)/dtheta>``. L-BFGS-B does the rest.

Joint Adam: the reference's optimizer, Adam (lr 0.01) on ``(U, theta, log tau_1, log tau_2)``
with the full objective (soft boundary term), for comparison.
"""

from __future__ import annotations

import math
import time

import numpy as np

from .._array_api import to_numpy
from .._progress import progress_bar
from .._result import (CALLBACK, CONVERGED, MAX_TIME, MAXITER, NO_PROGRESS, call_callback,
                       make_result)
from ..optimize import Adam
from ._interior import InteriorSolver, pad, solve_system
from ._objective import ObjectiveEvaluator

__all__ = ["learn_kernel", "prune_kernel", "LEARNERS"]

LEARNERS = ("bilevel", "joint_adam")
# Relative jitter of the Gram matrices inside the learning objective: 1e-12 (the solve's)
# leaves the objective noisy at the level L-BFGS needs, 1e-6 (the reference's) moves its
# minimizer to degenerate kernels (measured on poisson1d-xsin200 / -sin6cos100).
LEARN_JITTER = 1e-10
# GMRES iterations of one forward or adjoint solve inside learning: a trial kernel whose
# system GMRES cannot solve in this many steps is a bad kernel anyway, and an unbounded solve
# overran max_time by minutes in 2-D (measured: 326 s with max_time=30 on 200^2)
LEARN_GMRES_MAXITER = 200


def _validate_learn_args(learner, maxiter, max_time, prune):
    import numbers
    if learner not in LEARNERS:
        raise ValueError(f"`learner` must be one of {LEARNERS}, got {learner!r}")
    if maxiter is not None and (not isinstance(maxiter, numbers.Integral) or maxiter < 1):
        raise ValueError(f"`maxiter` must be a positive integer or None, got {maxiter!r}")
    if max_time is not None and not (isinstance(max_time, numbers.Real) and max_time > 0):
        raise ValueError(f"`max_time` must be a positive number or None, got {max_time!r}")
    if prune is not None and not (isinstance(prune, numbers.Real) and 0 <= prune < 1):
        raise ValueError(f"`prune` must be None or a number in [0, 1), got {prune!r}")


# ----------------------------------------------------------------------------- pruning
def prune_kernel(kernel, threshold):
    """``(kept_kernel, n_dropped)``: drop components with ``w_q < threshold * max w``.

    At least one component is always kept. ``threshold=None`` keeps every component.
    """
    w = kernel.weights
    if threshold is None:
        return kernel, 0
    keep = w >= float(threshold) * float(np.max(w))
    if keep.all():
        return kernel, 0
    p = kernel.params
    q = kernel.n_components
    idx = np.flatnonzero(keep)
    new = type(kernel)(np.exp(p[idx]), p[2 * q + idx], np.exp(p[q + idx]),
                       **({"nu": kernel.nu} if hasattr(kernel, "nu") else {}))
    return new, int(q - idx.size)


# ----------------------------------------------------------------------------- bounds
def _bounds(templates, grid, window=2.0, scale_range=3.0):
    """Box bounds for L-BFGS-B: a trust region around the initial kernel.

    Frequencies move at most ``window`` frequency-resolution bins (``1/L``) from their start
    (the FFT initialization is already sub-bin accurate), log-widths at most ``scale_range``
    (and stay below a tenth of the Nyquist frequency), log-weights stay within
    ``[-40, log w0 + 5]``. Without these bounds the reduced objective also has degenerate
    minima (white-noise kernels whose wide spectra make every grid function likely).
    """
    out = []
    for k, x, h in zip(templates, grid.axes, grid.spacing()):
        x = to_numpy(x)
        length = float(x[-1] - x[0])
        nyq = 0.5 / h
        p = k.params
        q = k.n_components
        out += [(-40.0, float(lw) + 5.0) for lw in p[:q]]
        smax = math.log(0.1 * nyq)
        out += [(max(float(ls) - scale_range, math.log(0.01 / length)),
                 max(min(float(ls) + scale_range, smax), float(ls))) for ls in p[q:2 * q]]
        out += [(max(float(m) - window / length, 0.0), min(float(m) + window / length, nyq))
                for m in p[2 * q:]]
    return out


# ----------------------------------------------------------------------------- adjoint
def _transpose_solve(solver, rhs, diag, rtol):
    """Solve ``(L_II + diag)^T lam = rhs`` (interior-shaped) with the forward solve's solver."""
    lam, _ = solver.solve(rhs, diag, transpose=True, rtol=rtol, maxiter=LEARN_GMRES_MAXITER)
    return lam


# ----------------------------------------------------------------------------- bilevel
class _Bilevel:
    def __init__(self, problem, grid, templates, jitter, rtol):
        self.ev = ObjectiveEvaluator(problem, grid, templates, jitter=jitter, boundary="hard")
        self.problem, self.grid, self.rtol = problem, grid, rtol
        self.nfev = 0
        self.newton_iterations = []
        self.last = None

    def solve(self, theta):
        system = self.ev.system(theta)
        solver = InteriorSolver(system)
        U, info, _, _ = solve_system(system, self.problem, self.ev.F, self.ev.H,
                                     rtol=self.rtol, maxiter=LEARN_GMRES_MAXITER,
                                     callback=None, solver=solver)
        if "newton_iterations" in info:
            self.newton_iterations.append(info["newton_iterations"])
        return system, solver, U

    def fun_and_grad(self, theta):
        self.nfev += 1
        ev, xp = self.ev, self.ev.xp
        try:
            system, solver, U = self.solve(theta)
            val, terms, cache = ev.value(system, U)
            if not math.isfinite(val):
                raise FloatingPointError("non-finite objective")
            gI = ev.grad_values(system, U, cache)[system.interior]
            diag = None
            if self.problem.nonlinearity is not None:
                diag = self.problem.nonlinearity(U[system.interior])[1]
            lam = _transpose_solve(solver, gI, diag, 1e-10)
            W = cache["tau_r"] * cache["H"] - pad(xp, lam, 0.0)
            grad = ev.grad_theta(system, U, cache, W, theta=theta)
            if not np.all(np.isfinite(grad)):
                raise FloatingPointError("non-finite gradient")
        except (np.linalg.LinAlgError, FloatingPointError, ValueError):
            return math.inf, np.zeros_like(theta)
        self.last = (val, terms)
        return val, grad


def bilevel_objective(problem, grid, kernels, *, jitter, rtol=1e-10):
    """``(fun_and_grad, theta0)`` of the reduced (bilevel) objective for the given kernels."""
    b = _Bilevel(problem, grid, kernels, jitter, rtol)
    theta0 = np.concatenate([k.params for k in kernels])
    return b.fun_and_grad, theta0


# ----------------------------------------------------------------------------- driver
class _Stop(Exception):
    pass


def learn_kernel(problem, grid, kernels, *, learner="bilevel", jitter=LEARN_JITTER, maxiter=None,
                 max_time=None, callback=None, progress=False, prune=1e-6, rtol=1e-10,
                 lambda_b=None, learning_rate=0.01):
    """Learn per-axis kernel parameters; returns ``(kernels, info)``.

    See :func:`solvers.pde.solve_pde` (``learn=True``) for the options. ``info`` is an
    ``OptimizeResult`` with ``learner``, ``status`` (the library's table: 0 converged,
    1 ``maxiter`` reached, 2 ``max_time`` reached, 5 line search/optimizer failure,
    99 the callback raised StopIteration), ``success``, ``message``, ``nit``,
    ``nfev``, ``objective`` (first and last), ``history`` (objective per iteration),
    ``time_s``, ``pruned`` (per axis, the number of dropped components), ``components``
    (per axis, the surviving ``(weight, frequency, scale)`` triples).
    """
    _validate_learn_args(learner, maxiter, max_time, prune)
    t0 = time.perf_counter()
    templates = list(kernels)
    if maxiter is None:
        maxiter = 30 if learner == "bilevel" else 2000
    if lambda_b is None:
        lambda_b = float(problem.reference.get("lambda_b", 200.0))
    history = []
    bar = progress_bar(progress, maxiter, "kernel learning", leave=False)
    state = {"status": MAXITER, "message": None}

    def report(it, theta, value):
        history.append(float(value))
        if bar is not None:
            bar.update(1)
            bar.set_postfix(objective=f"{value:.6g}")
        if call_callback(callback, nit=it, fun=float(value), x=np.array(theta),
                         elapsed_s=time.perf_counter() - t0):
            state.update(status=CALLBACK, message=None)
            raise _Stop
        check_time()

    def check_time():
        if max_time is not None and time.perf_counter() - t0 > max_time:
            state.update(status=MAX_TIME, message=f"time budget max_time={max_time} s reached")
            raise _Stop

    try:
        if learner == "bilevel":
            theta, info = _run_bilevel(problem, grid, templates, jitter, rtol, maxiter,
                                       report, state, check_time)
        else:
            theta, info = _run_joint_adam(problem, grid, templates, jitter, maxiter, report,
                                          state, lambda_b, learning_rate)
    finally:
        if bar is not None:
            bar.close()
    ev = ObjectiveEvaluator(problem, grid, templates, jitter=jitter)
    learned = ev.kernels(theta)
    out, pruned = [], []
    for k in learned:
        k2, n = prune_kernel(k, prune)
        out.append(k2)
        pruned.append(n)
    info.update({"learner": learner, "history": history,
                 "time_s": time.perf_counter() - t0, "pruned": pruned,
                 "components": [list(zip(k.weights.tolist(), k.means.tolist(),
                                         k.scales.tolist())) for k in out]})
    return out, make_result(state["status"], state["message"], **info)


def _run_bilevel(problem, grid, templates, jitter, rtol, maxiter, report, state, check_time):
    from scipy.optimize import minimize

    b = _Bilevel(problem, grid, templates, jitter, rtol)
    theta0 = np.concatenate([k.params for k in templates])
    f0, _ = b.fun_and_grad(theta0)
    best = {"theta": theta0, "f": f0}
    it = [0]

    calls = [0]

    def fun(theta):
        calls[0] += 1
        if calls[0] > 1:  # the budget also interrupts line searches (best point is kept)
            check_time()
        f, g = b.fun_and_grad(theta)
        if f < best["f"]:
            best.update(theta=np.array(theta), f=f)
        return f, g

    def cb(intermediate_result):
        it[0] += 1
        report(it[0], intermediate_result.x, intermediate_result.fun)

    try:
        res = minimize(fun, theta0, jac=True, method="L-BFGS-B",
                       bounds=_bounds(templates, grid), callback=cb,
                       options={"maxiter": maxiter, "maxcor": 20, "ftol": 1e-10,
                                "gtol": 1e-9, "maxls": 10})
        if res.status == 0:
            state.update(status=CONVERGED, message="converged: " + str(res.message))
        elif res.status != 1:
            state.update(status=NO_PROGRESS, message=str(res.message))
    except _Stop:
        pass
    info = {"nit": it[0], "nfev": b.nfev, "objective": (float(f0), float(best["f"]))}
    if b.newton_iterations:
        info["newton_iterations"] = b.newton_iterations
    return best["theta"], info


def _run_joint_adam(problem, grid, templates, jitter, maxiter, report, state, lambda_b, lr):
    """The reference optimizer: Adam on (U, theta, log tau_1, log tau_2) from U = 0."""
    ev = ObjectiveEvaluator(problem, grid, templates, lambda_b=lambda_b, jitter=jitter,
                            boundary="soft")
    xp = ev.xp
    theta = np.concatenate([k.params for k in templates])
    U = xp.zeros(grid.shape, dtype=xp.float64)
    logt = np.zeros(2)  # log tau_1 (boundary), log tau_2 (residual)
    nb = int(ev.g_b.shape[0])
    nc = grid.size
    adam = Adam(lr=lr)
    first = None
    f = math.nan
    t = 0
    try:
        for t in range(1, maxiter + 1):
            system = ev.system(theta)
            tau = (math.exp(logt[0]), math.exp(logt[1]))
            f, terms, cache = ev.value(system, U, tau)
            first = f if first is None else first
            gU = ev.grad_values(system, U, cache)
            gth = ev.grad_theta(system, U, cache, tau[1] * cache["H"], theta=theta)
            glog = np.array([-lambda_b * (0.5 * nb - 0.5 * tau[0] * cache["b2"]),
                             -(0.5 * nc - 0.5 * tau[1] * cache["r2"])])
            theta, U, logt = adam.step([theta, U, logt], [gth, gU, glog])
            report(t, theta, f)
    except _Stop:
        pass
    return theta, {"nit": t, "nfev": t, "objective": (first, f),
                   "values": U, "log_precisions": logt.tolist()}
