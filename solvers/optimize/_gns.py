"""Gradient-regularized Newton methods with exact or approximate Hessians (public functions)."""

from __future__ import annotations

import numbers
import warnings

from scipy.optimize import OptimizeWarning

from ._gns_core import GNSRule, Problem, SuperNewtonRule, run
from ._hessian import ExactHessian, FactorPreconditioner, HessianVectorCG, LazyHessian
from ._hessian_base import HessianApproximation

__all__ = ["minimize_gns", "gns", "minimize_gns_gradient", "minimize_super_newton"]

_LINEAR_SOLVERS = ("auto", "cholesky", "eigh", "cg")
# hess_update_every="auto" reuses matrices from this dimension on: forming a Hessian costs
# about d gradients for oracles built from products, so below it reuse saves little and
# costs iterations.
_LAZY_MIN_DIM = 64
# ... and above this dimension, when `hessp` is given too, CG steps preconditioned by a kept
# factorization replace factorizations per iteration.
_FACTOR_MAX_DIM = 500


def _select_approximation(problem, hess, hessp, hess_approx, linear_solver, every):
    """Turn the user's Hessian arguments into a HessianApproximation object."""
    if linear_solver not in _LINEAR_SOLVERS:
        raise ValueError(f"`linear_solver` must be one of {_LINEAR_SOLVERS}, got {linear_solver!r}")
    if every != "auto" and (not isinstance(every, numbers.Integral) or every < 1):
        raise ValueError("`hess_update_every` must be a positive integer or 'auto', "
                         f"got {every!r}")
    if isinstance(hess_approx, HessianApproximation):
        return hess_approx
    if hess_approx is not None:
        if not callable(hess_approx):
            raise TypeError("`hess_approx` must be a HessianApproximation or a callable "
                            f"x -> (d, d) matrix, got {type(hess_approx).__name__}")
        args = problem.args

        def H(x):
            return hess_approx(x, *args)
    else:
        H = problem.hess
    if H is None and problem.hessp is None:
        raise ValueError("second-order information is missing: pass `hess`, `hessp` or "
                         "`hess_approx` (or use minimize_gns_gradient for H = 0)")
    if linear_solver == "cg" or (linear_solver == "auto" and H is None):
        if hess_approx is not None:
            return HessianVectorCG(hessp=lambda x, v: H(x) @ v)
        return HessianVectorCG()
    if H is None:
        raise ValueError(f"`linear_solver={linear_solver!r}` needs a matrix: pass `hess` or "
                         "`hess_approx`")
    if every == "auto" and problem.dim < _LAZY_MIN_DIM:
        every = 1
    if (every == "auto" and linear_solver == "auto" and hess_approx is None
            and hessp is not None and problem.dim > _FACTOR_MAX_DIM):
        # Large d with both oracles: Newton-CG steps with the current Hessian's products,
        # preconditioned by a kept factorization (no O(d^3) work per iteration).
        return HessianVectorCG(preconditioner=FactorPreconditioner(H))
    if every == 1 and linear_solver != "eigh":
        return ExactHessian(H)
    return LazyHessian(H, every=every, factorization=linear_solver)


def _check_tolerances(gtol, ftol, f_target, max_time):
    if not (isinstance(gtol, numbers.Real) and gtol >= 0):
        raise ValueError(f"`gtol` must be a non-negative number, got {gtol!r}")
    if ftol is not None and not (isinstance(ftol, numbers.Real) and ftol >= 0):
        raise ValueError(f"`ftol` must be None or a non-negative number, got {ftol!r}")
    if f_target is not None and not isinstance(f_target, numbers.Real):
        raise ValueError(f"`f_target` must be None or a number, got {f_target!r}")
    if max_time is not None and not (isinstance(max_time, numbers.Real) and max_time > 0):
        raise ValueError(f"`max_time` must be None or positive, got {max_time!r}")


def _minimize(rule, fun, x0, args, jac, hess, hessp, hess_approx, metric, linear_solver,
              hess_update_every, *, gtol, ftol, f_target, max_time, **run_options):
    """Validate, build the problem and the approximation, and run ``rule``'s iteration."""
    _check_tolerances(gtol, ftol, f_target, max_time)
    problem = Problem(fun, x0, args, jac, hess, hessp, metric)
    approx = _select_approximation(problem, hess, hessp, hess_approx, linear_solver,
                                   hess_update_every)
    return run(problem, approx, rule, gtol=gtol, ftol=ftol, f_target=f_target,
               max_time=max_time, **run_options)


def minimize_gns(fun, x0, args=(), *, jac=None, hess=None, hessp=None, hess_approx=None,
                 metric="auto", gamma0=1.0, gamma_growth="auto", adaptive=True, max_trials=40,
                 linear_solver="auto", hess_update_every="auto", gtol=1e-8, ftol=None,
                 f_target=None, maxiter=1000, max_time=None, callback=None, return_history=False,
                 gamma_min=1e-9, progress=False):
    r"""Minimize with the gradient-regularized Newton method of Semenov, Jaggi and Doikov.

    Algorithm 1 of the paper: ``x+ = x - (H + lam B)^{-1} g`` with ``lam = ||g||_* / gamma``,
    where ``H`` is the Hessian or any positive semidefinite approximation of it, and ``gamma``
    (an estimate of the gradient-normalized smoothness) is found by a doubling/halving search:
    a trial step is accepted when ``f(x) - f(x+) >= ||grad f(x+)||_*^2 / (8 lam)``; ``gamma``
    doubles after an accepted step and halves after a rejected one. No line search.

    Parameters
    ----------
    fun : callable
        ``fun(x, *args) -> float`` (or ``(float, gradient)`` when ``jac=True``).
    x0 : array, shape (d,)
        Starting point; its array library (NumPy, CuPy, any array-API library) and floating
        dtype (float32 or float64) are used throughout.
    args : tuple
        Extra arguments of ``fun``, ``jac``, ``hess``, ``hessp`` and a callable ``hess_approx``.
    jac : callable or True
        Gradient ``jac(x, *args) -> (d,)``, or ``True`` if ``fun`` returns ``(f, g)``.
    hess : callable, optional
        Hessian ``hess(x, *args) -> (d, d)`` (dense, or SciPy/CuPy sparse).
    hessp : callable, optional
        Hessian-vector product ``hessp(x, v, *args) -> (d,)`` (matrix-free CG steps).
    hess_approx : HessianApproximation or callable, optional
        The matrix ``H`` used in the step: an object such as :class:`LazyHessian`,
        :class:`GaussNewton`, :class:`RankOneFisher`, :class:`HessianVectorCG` (then
        ``linear_solver`` and ``hess_update_every`` are ignored), or a callable
        ``hess_approx(x, *args) -> (d, d)`` positive semidefinite matrix used instead of ``hess``.
    metric : "auto", None, array (d,) or array (d, d)
        The matrix ``B`` of the norm ``||h|| = <Bh, h>^(1/2)`` (identity, diagonal or dense
        symmetric positive definite); the dual norm ``||g||_* = <g, B^{-1}g>^(1/2)`` sets ``lam``
        and, for a given ``B``, the stopping test. ``"auto"`` (default): ``B = |diag H(x0)|``
        from the first Hessian (or approximation, or ``d`` Hessian-vector products when
        ``d <= 256`` and only ``hessp`` is given), the identity when none has a diagonal; the
        iterates are then invariant to a rescaling of the variables, and ``gtol`` applies to
        ``||g||_2``. ``None`` is the identity (the paper's default).
    gamma0 : float
        Initial ``gamma``.
    gamma_growth : "auto" or float
        Factor by which ``gamma`` grows after an accepted step: ``2.0`` is the paper's doubling;
        ``"auto"`` (default) squares the factor after each iteration accepted at its first trial
        (2, 4, 16, 256, ..., at most 2**16) and falls back to doubling at the first rejection,
        so ``lam`` reaches the Newton regime within a few iterations on ill-conditioned
        problems. Every accepted step passes the same test either way.
    adaptive : bool
        ``False`` keeps ``gamma = gamma0`` fixed and accepts every step (one solve per
        iteration).
    max_trials : int
        Largest number of trial steps per iteration.
    linear_solver : {"auto", "cholesky", "eigh", "cg"}
        ``"auto"``: for a dense ``hess`` kept over several iterations an eigendecomposition
        (``d <= 500``; every trial ``lam`` then costs ``O(d^2)``) or a Cholesky factorization
        (larger ``d``; a new ``lam`` is solved by CG preconditioned with the factor of the
        previous one, a new factorization only when that is slow), Cholesky when the Hessian
        is rebuilt every iteration, CG when only ``hessp`` is given.
    hess_update_every : "auto" or int
        Rebuild period of the Hessian (:class:`LazyHessian`); 1 builds one every iteration
        (Algorithm 1 as in the paper). ``"auto"`` (default): for ``d >= 64`` the matrix is
        kept while the steps made with it contract the gradient nearly as fast as the last
        step after a rebuild (``LazyHessian(every="auto")``: Shamanskii's method near the
        solution), and rebuilt at once when a step with it is rejected twice; below
        ``d = 64``, where a Hessian costs little more than a gradient, every iteration. On
        the tall logistic problems of ``benchmarks/peers.py`` this builds 3-4 Hessians where
        ``1`` builds 7-8, at a few more (cheap) iterations.
    gtol : float
        Stop when ``||g||_2 <= gtol`` (``||g||_*`` for a given ``metric``; status 0).
    ftol : float, optional
        Stop when ``f_prev - f <= ftol * max(1, |f|)`` (status 7).
    f_target : float, optional
        Stop when ``f <= f_target`` (status 7).
    maxiter : int
        Largest number of accepted iterations (status 1).
    max_time : float, optional
        Wall-clock limit in seconds (status 2).
    callback : callable, optional
        ``callback(intermediate_result)`` (an ``OptimizeResult`` with ``x``, ``fun``, ``jac``,
        ``nit``) or the legacy ``callback(xk)``, after each accepted step; raising
        ``StopIteration`` stops the run (status 99).
    return_history : bool
        Add ``history``: a dict of NumPy arrays ``f``, ``gnorm``, ``gamma``, ``lam``, ``time``
        (seconds since the start) and ``nlinsolve`` (cumulative), one entry per iterate.
    gamma_min : float
        Floor of ``gamma``; when ``gamma`` falls below it after solver failures, the run stops
        with status 4.
    progress : bool
        Show a tqdm progress bar when tqdm is installed.

    Returns
    -------
    res : scipy.optimize.OptimizeResult
        ``x``, ``fun``, ``jac``, ``nit``, ``nfev``, ``njev``, ``nhev`` (Hessian or approximation
        builds), ``nhessp``, ``nlinsolve`` (linear solves including rejected trials), ``ncg``
        (CG iterations), ``ntrials_rejected``, ``gamma``, ``lam``, ``success``, ``status``,
        ``message`` and, if asked, ``history``. Status (the library's table,
        :mod:`solvers._result`): 0 gtol met; 1 maxiter; 2 ``max_time``; 3 non-finite values
        at every trial point; 4 linear-solver failure down to ``gamma_min``; 5 ``max_trials``
        rejected trials; 7 f_target/ftol met; 99 callback stop. ``success`` for 0 and 7.

    Raises
    ------
    ValueError
        ``x0`` not 1-D, ``jac`` missing or returning the wrong shape, a non-finite objective or
        gradient at ``x0``, no second-order information, bad option values.

    See Also
    --------
    gns : the same method for ``scipy.optimize.minimize(..., method=gns)``.
    minimize_gns_gradient, minimize_super_newton

    Notes
    -----
    A Cholesky failure or a CG run that meets negative curvature (an indefinite ``H`` on a
    non-convex problem) counts as a rejected trial: ``gamma`` halves and ``lam`` grows.
    The trial point's gradient is reused as the next gradient, so an iteration costs one
    Hessian (or approximation) build, one function-and-gradient evaluation and one linear
    solve per trial; ``gamma`` is carried over, so most iterations need one trial.

    References
    ----------
    A. Semenov, M. Jaggi, N. Doikov, "Gradient-normalized smoothness for optimization with
    approximate Hessians", arXiv:2506.13710 (ICLR 2026).

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.optimize import minimize_gns
    >>> from scipy.optimize import rosen, rosen_der, rosen_hess
    >>> res = minimize_gns(rosen, np.array([-2.0, 2.0]), jac=rosen_der, hess=rosen_hess,
    ...                    gtol=1e-10)
    >>> res.success, np.allclose(res.x, [1.0, 1.0])
    (True, True)
    """
    return _minimize(GNSRule(gamma0, gamma_min, adaptive, increase=gamma_growth), fun, x0, args,
                     jac, hess, hessp, hess_approx, metric, linear_solver, hess_update_every,
                     max_trials=max_trials, gtol=gtol, ftol=ftol, f_target=f_target,
                     maxiter=maxiter, max_time=max_time, callback=callback,
                     return_history=return_history, progress=progress)


_GNS_OPTIONS = frozenset(
    ["hess_approx", "metric", "gamma0", "gamma_growth", "adaptive", "max_trials", "linear_solver",
     "hess_update_every", "gtol", "ftol", "f_target", "maxiter", "max_time",
     "return_history", "gamma_min", "progress"])


def _has_constraints(constraints):
    if constraints is None:
        return False
    if isinstance(constraints, (list, tuple)):
        return len(constraints) > 0
    return True  # a dict or a constraint object


def gns(fun, x0, args=(), jac=None, hess=None, hessp=None, bounds=None, constraints=(),
        callback=None, tol=None, **options):
    """:func:`minimize_gns` with SciPy's custom-method signature.

    Use as ``scipy.optimize.minimize(fun, x0, jac=..., hess=..., method=gns, options={...})``;
    ``options`` are :func:`minimize_gns`'s keyword arguments, and ``tol`` sets ``gtol`` when
    ``gtol`` is not given. Unknown options give an ``OptimizeWarning`` and are ignored.

    Raises
    ------
    ValueError
        If ``bounds`` or ``constraints`` are given (unsupported).

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.optimize import minimize
    >>> from solvers.optimize import gns
    >>> from scipy.optimize import rosen, rosen_der, rosen_hess
    >>> res = minimize(rosen, [-2.0, 2.0], jac=rosen_der, hess=rosen_hess, method=gns,
    ...                options={"gtol": 1e-10})
    >>> res.success, np.allclose(res.x, [1.0, 1.0])
    (True, True)
    """
    if bounds is not None:
        raise ValueError("method gns does not support `bounds` (unconstrained only)")
    if _has_constraints(constraints):
        raise ValueError("method gns does not support `constraints` (unconstrained only)")
    unknown = sorted(set(options) - _GNS_OPTIONS)
    if unknown:
        warnings.warn(f"Unknown solver options: {', '.join(unknown)}", OptimizeWarning,
                      stacklevel=2)
    kwargs = {k: v for k, v in options.items() if k in _GNS_OPTIONS}
    if tol is not None:
        kwargs.setdefault("gtol", tol)
    return minimize_gns(fun, x0, args, jac=jac, hess=hess, hessp=hessp, callback=callback,
                        **kwargs)


class _ZeroHessian(HessianApproximation):
    """``H = 0``: the step ``B^{-1} g / lam`` (normalized gradient step of length ``gamma``)."""

    name = "zero"

    def update(self, x, f, g):
        return False

    def solve(self, lam, g):
        self.nsolve += 1
        return self.problem.metric.solve(g) / lam


def minimize_gns_gradient(fun, x0, args=(), *, jac=None, metric=None, gamma0=1.0,
                          adaptive=True, max_trials=40, gtol=1e-8, ftol=None, f_target=None,
                          maxiter=10000, max_time=None, callback=None, return_history=False,
                          gamma_min=1e-9, progress=False):
    """Gradient-normalized-smoothness gradient method (Algorithm 1 with ``H = 0``).

    The step is ``x+ = x - gamma B^{-1} g / ||g||_*``: a normalized gradient step of length
    ``gamma`` in the ``B`` norm, with ``gamma`` found by the same doubling/halving search as
    :func:`minimize_gns` (for an L-smooth ``f`` it settles near ``||g||_* / L``, i.e. step
    ``1/L``). Parameters and result are those of :func:`minimize_gns`; ``nhev`` is 0.

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.optimize import minimize_gns_gradient
    >>> A = np.diag([1.0, 10.0])
    >>> res = minimize_gns_gradient(lambda x: 0.5 * x @ A @ x, np.ones(2), jac=lambda x: A @ x)
    >>> res.success, bool(np.linalg.norm(res.x) < 1e-7)
    (True, True)
    """
    _check_tolerances(gtol, ftol, f_target, max_time)
    problem = Problem(fun, x0, args, jac, None, None, metric)
    rule = GNSRule(gamma0, gamma_min, adaptive)
    return run(problem, _ZeroHessian(), rule, max_trials=max_trials, gtol=gtol, ftol=ftol,
               f_target=f_target, maxiter=maxiter, max_time=max_time, callback=callback,
               return_history=return_history, progress=progress)


def minimize_super_newton(fun, x0, args=(), *, jac=None, hess=None, hessp=None,
                          hess_approx=None, metric=None, alpha=1.0, M0=1.0, max_trials=40,
                          linear_solver="auto", hess_update_every=1, gtol=1e-8, ftol=None,
                          f_target=None, maxiter=1000, max_time=None, callback=None,
                          return_history=False, progress=False):
    """Super-universal Newton method (Doikov, Mishchenko, Nesterov) with an adaptive constant.

    ``x+ = x - (H + lam B)^{-1} g`` with ``lam = M ||g||_*^alpha``; a trial is accepted when
    ``<grad f(x+), x - x+> >= ||grad f(x+)||_*^2 / (4 lam)``, after which ``M <- max(M/4, 1e-5)``;
    a rejection sets ``M <- 4 M``. Parameters and result are those of :func:`minimize_gns`
    (``alpha`` in [0, 1] and ``M0`` replace ``gamma0``; the result's ``gamma`` is ``1/M``).

    References
    ----------
    N. Doikov, K. Mishchenko, Y. Nesterov, "Super-universal regularized Newton method",
    arXiv:2208.05888.

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.optimize import minimize_super_newton
    >>> from scipy.optimize import rosen, rosen_der, rosen_hess
    >>> res = minimize_super_newton(rosen, np.array([-2.0, 2.0]), jac=rosen_der,
    ...                             hess=rosen_hess)
    >>> res.success, np.allclose(res.x, [1.0, 1.0])
    (True, True)
    """
    return _minimize(SuperNewtonRule(M0, alpha), fun, x0, args, jac, hess, hessp,
                     hess_approx, metric, linear_solver, hess_update_every,
                     max_trials=max_trials, gtol=gtol, ftol=ftol, f_target=f_target,
                     maxiter=maxiter, max_time=max_time, callback=callback,
                     return_history=return_history, progress=progress)
