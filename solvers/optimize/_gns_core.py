"""The iteration shared by the gradient-regularized Newton methods.

One loop runs Algorithm 1 of Semenov, Jaggi and Doikov (arXiv 2506.13710), its H = 0 special
case (the normalized gradient method) and super-universal Newton (Doikov, Mishchenko, Nesterov,
arXiv 2208.05888); they differ only in the rule that maps the state to ``lam`` and in the
acceptance test, which live in the small ``*Rule`` classes below.
"""

from __future__ import annotations

import inspect
import math
import numbers
import time

import numpy as np
from scipy.optimize import OptimizeResult

from .._array_api import array_namespace, as_float_array
from .._progress import progress_bar
from .._result import (BREAKDOWN, CALLBACK, CONVERGED, MAX_TIME, MAXITER, NO_PROGRESS,
                       NONFINITE, TARGET, make_result)
from ._hessian_base import HessianApproximation, Metric

# The method's messages for the codes of the library's status table (solvers._result.STATUS).
STATUS_MESSAGES = {
    CONVERGED: "Optimization terminated successfully: the gradient norm reached `gtol`.",
    MAXITER: "Maximum number of iterations has been exceeded.",
    TARGET: "The objective reached `f_target` or its decrease fell below `ftol`.",
    NO_PROGRESS: "The adaptive search exhausted `max_trials` trial steps without an accepted step.",
    BREAKDOWN: "The linear solver failed even at the largest regularization (smallest gamma).",
    NONFINITE: "A non-finite objective or gradient value was met at every trial point.",
    MAX_TIME: "The time limit `max_time` was reached.",
    CALLBACK: "`callback` raised `StopIteration`.",
}



class Problem:
    """Counted oracles, namespace and metric handed to the Hessian approximations."""

    def __init__(self, fun, x0, args, jac, hess, hessp, metric):
        xp = array_namespace(x0)
        x0 = as_float_array(x0, xp, name="x0")
        if x0.ndim != 1:
            raise ValueError(f"`x0` must be 1-D, got shape {tuple(x0.shape)}")
        if x0.shape[0] == 0:
            raise ValueError("`x0` must not be empty")
        if not callable(fun):
            raise TypeError("`fun` must be callable")
        self.xp, self.x0, self.dim, self.dtype = xp, x0, x0.shape[0], x0.dtype
        self.args = tuple(args) if isinstance(args, (tuple, list)) else (args,)
        self.nfev = self.njev = self.nhessp = 0
        if jac is True:
            self._fg = fun
            self._f, self._g = None, None
        elif callable(jac):
            self._fg = None
            self._f, self._g = fun, jac
        else:
            raise ValueError("`jac` must be callable or True (fun returns (f, g)); "
                             f"got {jac!r} (finite differences are not supported)")
        if hess is not None and not callable(hess):
            raise ValueError(f"`hess` must be callable or None, got {hess!r}")
        if hessp is not None and not callable(hessp):
            raise ValueError(f"`hessp` must be callable or None, got {hessp!r}")
        self._hess, self._hessp = hess, hessp
        self.hess = self._hess_counted if hess is not None else None
        if hessp is not None:
            self.hessp = self._hessp_counted
        elif hess is not None:
            self.hessp = self._hessp_from_hess
        else:
            self.hessp = None
        self.metric = Metric(metric, xp, self.dim, self.dtype)

    # oracles -----------------------------------------------------------------
    def _to_grad(self, g):
        xp = self.xp
        if not hasattr(g, "shape"):
            g = xp.asarray(g, dtype=self.dtype)
        if tuple(g.shape) != (self.dim,):
            raise ValueError(f"`jac` must return shape ({self.dim},), got {tuple(g.shape)}")
        if g.dtype != self.dtype:
            g = xp.astype(g, self.dtype)
        return g

    def fun_and_grad(self, x):
        """``(f(x), grad f(x))`` with ``f`` a Python float."""
        self.nfev += 1
        self.njev += 1
        if self._fg is not None:
            f, g = self._fg(x, *self.args)
        else:
            f = self._f(x, *self.args)
            g = self._g(x, *self.args)
        return float(f), self._to_grad(g)

    def _hess_counted(self, x):
        return self._hess(x, *self.args)

    def _hessp_counted(self, x, v):
        self.nhessp += 1
        return self._hessp(x, v, *self.args)

    def _hessp_from_hess(self, x, v):
        """``hess(x) @ v``, the matrix kept for repeated products at the same ``x`` object."""
        self.nhessp += 1
        if getattr(self, "_hess_at", None) is not x:
            self._hess_at, self._hess_matrix = x, self._hess(x, *self.args)
        return self._hess_matrix @ v


def is_finite_vector(xp, v):
    return bool(xp.all(xp.isfinite(v)))


def _callback_style(callback):
    if callback is None:
        return None
    try:
        params = inspect.signature(callback).parameters
    except (TypeError, ValueError):
        return "x"
    return "result" if "intermediate_result" in params else "x"


class GNSRule:
    """Algorithm 1: ``lam = ||g||_* / gamma``; accept if ``f - f+ >= ||g+||_*^2 / (8 lam)``.

    ``growth`` is the factor by which ``gamma`` grows after an accepted step: a number (2 is the
    paper's doubling) or ``"auto"``, an accelerated doubling: after ``k`` consecutive iterations
    whose first trial was accepted the factor is ``2**(2**(k-1))`` (2, 4, 16, 256, then
    ``max_growth``), and the first rejection after a jump larger than 2 falls back to the value
    the doubling rule would have tried (twice the last accepted ``gamma``), after which ``gamma``
    halves as in the paper. Every accepted step passes the same test, so the method's guarantees
    are kept; an iteration costs at most one trial more than with doubling, and ``lam`` reaches
    the Newton regime in ``O(log log)`` instead of ``O(log)`` iterations of the condition number.

    Steps with a stale matrix (an approximation whose ``stale`` attribute is true, e.g.
    ``LazyHessian(every="auto")`` between rebuilds) use ``max(||g||_* / gamma, lam_floor)``:
    their error, unlike the damping of a fresh matrix, does not shrink with ``lam``, so a
    rejected stale step raises ``lam_floor`` to twice the ``lam`` its test asked for
    (``||g+||_*^2 / (8 (f - f+))``) instead of halving ``gamma``, and the floor falls by 4
    after each accepted one. The acceptance test is the same.
    """

    def __init__(self, gamma0, gamma_min, adaptive, increase=2.0, decrease=0.5,
                 accept_const=0.125, max_growth=2.0 ** 16):
        if not (gamma0 > 0 and math.isfinite(gamma0)):
            raise ValueError(f"`gamma0` must be positive and finite, got {gamma0!r}")
        if not (increase == "auto" or (isinstance(increase, numbers.Real)
                                       and 1.0 <= increase < math.inf)):
            raise ValueError(f"`gamma_growth` must be 'auto' or a number >= 1, got {increase!r}")
        self.gamma = float(gamma0)
        self.gamma_min = float(gamma_min)
        self.adaptive = adaptive
        self.increase, self.decrease, self.accept_const = increase, decrease, accept_const
        self.max_growth = float(max_growth)
        self._streak = 0           # consecutive iterations accepted at their first trial
        self._rejected = False     # a trial of the current iteration was rejected
        self._fallback = None      # gamma the doubling rule would try, after a larger jump
        self.lam_floor = 0.0       # smallest lam of the steps with a stale matrix

    def lam(self, gnorm, stale=False):
        if stale:
            return max(gnorm / self.gamma, self.lam_floor)
        return gnorm / self.gamma

    def _lam_needed(self, decrease, gnorm_new):
        """The smallest ``lam`` whose test this step (decrease, ||g+||) would pass."""
        return self.accept_const * gnorm_new ** 2 / decrease if decrease > 0 else math.inf

    def on_reject_stale(self, lam, decrease, gnorm_new):
        """A step with a stale matrix failed: raise the floor of ``lam`` to what the test
        asked for (the error of a stale matrix, unlike the damping, does not shrink with
        ``lam``), leaving ``gamma`` as it was."""
        self.lam_floor = max(2.0 * lam, 2.0 * self._lam_needed(decrease, gnorm_new))

    def on_accept_stale(self, lam, gnorm):
        """A step with a stale matrix passed: ``gamma`` grows as usual unless the floor set
        ``lam``, and the floor falls by 4 (a floor set by damping, not by the stale matrix's
        error, must not stay)."""
        if lam <= self.lam(gnorm):
            self._grow()
        self.lam_floor /= 4.0

    def accept(self, f, f_new, gnorm_new, lam, g_new, step, gnorm, noise):
        if not self.adaptive:
            return True
        decrease = f - f_new
        need = self.accept_const * gnorm_new ** 2 / lam
        if decrease >= need:
            return True
        # Near the solution the decrease drops below the rounding error of f: then a step that
        # fails the test only by that error is accepted when it reduces the gradient norm.
        return decrease >= need - noise and gnorm_new < gnorm

    def _growth(self):
        if self.increase != "auto":
            return float(self.increase)
        return min(2.0 ** (2.0 ** min(max(self._streak - 1, 0), 5)), self.max_growth)

    def on_accept(self):
        self._grow()
        self.lam_floor = 0.0       # a fresh matrix: stale steps start without a floor

    def _grow(self):
        if not self.adaptive:
            return
        self._streak = 0 if self._rejected else self._streak + 1
        growth = self._growth()
        self._fallback = 2.0 * self.gamma if growth > 2.0 else None
        self._rejected = False
        self.gamma = max(growth * self.gamma, self.gamma_min)

    def on_reject(self):
        self._rejected = True
        if self._fallback is not None:
            self.gamma, self._fallback = min(self._fallback, self.gamma * self.decrease), None
            return
        self.gamma *= self.decrease

    def at_floor(self):
        return self.gamma < self.gamma_min


class SuperNewtonRule:
    """Super-universal Newton: ``lam = M ||g||_*^alpha``; accept if
    ``<g+, -step> >= ||g+||_*^2 / (4 lam)``, then ``M <- max(M / 4, M_min)``, else ``M <- 4 M``."""

    def __init__(self, M0, alpha, M_min=1e-5, M_max=1e20):
        if not (M0 > 0 and math.isfinite(M0)):
            raise ValueError(f"`M0` must be positive and finite, got {M0!r}")
        if not (0 <= alpha <= 1):
            raise ValueError(f"`alpha` must lie in [0, 1], got {alpha!r}")
        self.M, self.alpha, self.M_min, self.M_max = float(M0), float(alpha), M_min, M_max

    @property
    def gamma(self):
        return 1.0 / self.M

    def lam(self, gnorm, stale=False):
        return self.M * gnorm ** self.alpha

    def on_reject_stale(self, lam, decrease, gnorm_new):
        self.on_reject()

    def on_accept_stale(self, lam, gnorm):
        self.on_accept()

    def accept(self, f, f_new, gnorm_new, lam, g_new, step, gnorm, noise):
        return -float(self._xp.vecdot(g_new, step)) >= gnorm_new ** 2 / (4.0 * lam)

    def on_accept(self):
        self.M = max(self.M / 4.0, self.M_min)

    def on_reject(self):
        self.M *= 4.0

    def at_floor(self):
        return self.M > self.M_max


def run(problem, approx, rule, *, max_trials, gtol, ftol, f_target, maxiter, max_time,
        callback, return_history, progress=False):
    """Run the regularized Newton iteration; return a ``scipy.optimize.OptimizeResult``."""
    xp = problem.xp
    metric = problem.metric
    if not isinstance(approx, HessianApproximation):
        raise TypeError("`hess_approx` must be a HessianApproximation instance or a callable")
    if not (isinstance(max_trials, numbers.Integral) and max_trials >= 1):
        raise ValueError(f"`max_trials` must be a positive integer, got {max_trials!r}")
    if not (isinstance(maxiter, numbers.Integral) and maxiter >= 0):
        raise ValueError(f"`maxiter` must be a non-negative integer, got {maxiter!r}")
    rule._xp = xp
    approx.bind(problem)
    t_start = time.perf_counter()
    x = problem.x0
    f, g = problem.fun_and_grad(x)
    if not (math.isfinite(f) and is_finite_vector(xp, g)):
        raise ValueError(f"the objective or its gradient is not finite at `x0` (f = {f})")
    gnorm = metric.stop_norm(g)      # the stopping test's norm
    f_noise = 1000.0 * float(np.finfo(_host_dtype(problem.dtype)).eps)
    style = _callback_style(callback)
    history = {"f": [f], "gnorm": [gnorm], "gamma": [rule.gamma], "lam": [float("nan")],
               "time": [0.0], "nlinsolve": [0]}
    nhev = nlinsolve = nrejected = 0
    lam = float("nan")
    status = None
    bar = progress_bar(progress, maxiter, "gns")
    nit = 0
    while True:
        if gnorm <= gtol:
            status = CONVERGED
            break
        if f_target is not None and f <= f_target:
            status = TARGET
            break
        if nit >= maxiter:
            status = MAXITER
            break
        if max_time is not None and time.perf_counter() - t_start >= max_time:
            status = MAX_TIME
            break
        if approx.update(x, f, g):
            nhev += 1
        if metric.pending:               # "auto" metric and no Hessian diagonal seen: B = I
            metric.settle()
        lam_norm = metric.dual_norm(g)   # ||g||_* of lam = ||g||_* / gamma
        stale = approx.stale
        n_stale_rejected = 0
        accepted = False
        n_nonfinite = 0
        n_solver_fail = 0
        for _trial in range(max_trials):
            lam = rule.lam(lam_norm, stale)
            s = approx.solve(lam, g)
            nlinsolve += 1
            if s is None or not is_finite_vector(xp, s):
                if stale and approx.refresh(x, f, g):   # e.g. indefinite: rebuild here
                    nhev += 1
                    stale = False
                    continue
                n_solver_fail += 1
                rule.on_reject()
                nrejected += 1
                if rule.at_floor():
                    break
                continue
            step = -s
            x_new = x + step
            f_new, g_new = problem.fun_and_grad(x_new)
            if not (math.isfinite(f_new) and is_finite_vector(xp, g_new)):
                n_nonfinite += 1
                rule.on_reject()
                nrejected += 1
                continue
            dual_new = metric.dual_norm(g_new)
            noise = f_noise * max(abs(f), abs(f_new))
            if rule.accept(f, f_new, dual_new, lam, g_new, step, lam_norm, noise):
                if stale:
                    rule.on_accept_stale(lam, lam_norm)
                else:
                    rule.on_accept()
                accepted = True
                break
            if stale:
                n_stale_rejected += 1
                if n_stale_rejected >= 2 and approx.refresh(x, f, g):
                    nhev += 1
                    stale = False
                    continue
                rule.on_reject_stale(lam, f - f_new, dual_new)
                nrejected += 1
                continue
            rule.on_reject()
            nrejected += 1
        if not accepted:
            ntried = _trial + 1
            if n_solver_fail == ntried:
                status = BREAKDOWN
            elif n_nonfinite and n_nonfinite + n_solver_fail == ntried:
                status = NONFINITE
            else:
                status = NO_PROGRESS
            break
        f_prev = f
        x, f, g = x_new, f_new, g_new
        gnorm = metric.stop_norm(g)
        nit += 1
        if return_history:
            history["f"].append(f)
            history["gnorm"].append(gnorm)
            history["gamma"].append(rule.gamma)
            history["lam"].append(lam)
            history["time"].append(time.perf_counter() - t_start)
            history["nlinsolve"].append(nlinsolve)
        if bar is not None:
            bar.update(1)
            bar.set_postfix(f=f, gnorm=gnorm)
        if style is not None:
            try:
                if style == "result":
                    callback(intermediate_result=OptimizeResult(x=x, fun=f, jac=g, nit=nit))
                else:
                    callback(x)
            except StopIteration:
                status = CALLBACK
                break
        if ftol is not None and f_prev - f <= ftol * max(1.0, abs(f)):
            status = TARGET
            break
    if bar is not None:
        bar.close()
    res = make_result(
        status, STATUS_MESSAGES[status],
        x=x, fun=f, jac=g, nit=nit, nfev=problem.nfev, njev=problem.njev, nhev=nhev,
        nhessp=problem.nhessp, nlinsolve=nlinsolve, ncg=approx.ncg,
        ntrials_rejected=nrejected, gamma=rule.gamma, lam=lam,
    )
    if return_history:
        res.history = {k: np.asarray(v) for k, v in history.items()}
    return res


def _host_dtype(dtype):
    return np.float32 if "float32" in str(dtype) else np.float64


