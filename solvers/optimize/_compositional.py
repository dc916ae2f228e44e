"""Stochastic compositional optimizers for min_x f(E_xi[g(x; xi)]).

SCGD (Wang, Fang, Liu 2017), SCMA (moving-average inner value plus momentum; the MECO pattern),
SCST (STORM variance reduction, Yuan & Hu 2020), NASA (Ghadimi, Ruszczynski, Wang 2020) and SOX
(Wang & Yang 2022, per-group inner estimates for (1/n) sum_i f_i(g_i(x))). Update rules as in
T. Yang's book on stochastic optimization for ML (Ch. 4), notation of
``shared/notes/gns_compositional.md`` section 3.
"""

from __future__ import annotations

import math

import numpy as np

from .._array_api import array_namespace, as_float_array
from .._backend import backend_for, is_lazy
from .._result import NONFINITE, make_result
from ._compositional_common import (
    STATUS_MESSAGES,
    DataRows,
    RandomSource,
    as_schedule,
    check_positive_int,
    host_parameters,
    iterate,
    scatter_rows,
)

__all__ = ["minimize_compositional"]

_METHODS = ("scgd", "scma", "scst", "nasa", "sox")


def _validate_source(x0, sampler, data):
    """``(xp, x0, sampler or DataRows)``: the batches come from ``sampler`` or are rows of
    ``data`` drawn by index (dask ``data``: NumPy parameters and batches)."""
    if (sampler is None) == (data is None):
        raise TypeError("give exactly one of `sampler` (a callable drawing samples) and "
                        "`data` (a data set whose rows are drawn), got "
                        + ("both" if sampler is not None else "neither"))
    if sampler is not None:
        if not callable(sampler):
            raise TypeError(f"`sampler` must be callable, got {type(sampler).__name__}")
        return array_namespace(x0), x0, sampler
    if not hasattr(data, "shape"):
        data = np.asarray(data)
    if is_lazy(data):
        xp, x0 = host_parameters(x0, data, "x0")
    else:
        xp = array_namespace(x0, data)
    return xp, x0, DataRows(data, "data")


def _validate(inner, outer_grad, x0, sampler, data, method, lr, gamma, beta, batch_size,
              maxiter, lr_schedule, init_batch, n_groups, group_batch, gtol, outer):
    for name, fn in (("inner", inner), ("outer_grad", outer_grad)):
        if not callable(fn):
            raise TypeError(f"`{name}` must be callable, got {type(fn).__name__}")
    if outer is not None and not callable(outer):
        raise TypeError(f"`outer` must be callable or None, got {type(outer).__name__}")
    if not isinstance(method, str) or method.lower() not in _METHODS:
        raise ValueError(f"`method` must be one of {_METHODS}, got {method!r}")
    method = method.lower()
    xp, x0, sampler = _validate_source(x0, sampler, data)
    x0 = as_float_array(x0, xp, name="x0", finite=True)
    if x0.ndim != 1:
        raise ValueError(f"`x0` must be 1-D, got shape {tuple(x0.shape)}")
    if lr_schedule is not None and not callable(lr_schedule):
        raise TypeError("`lr_schedule` must be a callable t -> step size or None")
    lr_fn = lr_schedule if lr_schedule is not None else as_schedule(lr, "lr")
    gamma_fn = as_schedule(gamma, "gamma", high=1.0)
    beta_fn = as_schedule(beta, "beta", high=1.0)
    batch_size = check_positive_int(batch_size, "batch_size")
    maxiter = check_positive_int(maxiter, "maxiter")
    init_batch = check_positive_int(init_batch, "init_batch", allow_none=True) or batch_size
    if method == "sox":
        n_groups = check_positive_int(n_groups, "n_groups")
        group_batch = check_positive_int(group_batch, "group_batch", allow_none=True)
        group_batch = min(group_batch or n_groups, n_groups)
    elif n_groups is not None:
        raise ValueError(f"`n_groups` is only used by method='sox', got method={method!r}")
    if gtol is not None:
        gtol = float(gtol)
        if not gtol > 0:
            raise ValueError(f"`gtol` must be positive or None, got {gtol!r}")
    return (xp, x0, sampler, method, lr_fn, gamma_fn, beta_fn, batch_size, maxiter, init_batch,
            n_groups, group_batch, gtol)


def minimize_compositional(inner, outer_grad, x0, *, sampler=None, data=None, method="scma",
                           lr=1e-2, gamma=0.9, beta=0.1, batch_size=64, maxiter=10_000,
                           lr_schedule=None, init_batch=None, n_groups=None, group_batch=None,
                           outer=None, gtol=None, rng=None, callback=None, progress=False,
                           return_history=False):
    r"""Minimize a stochastic compositional function :math:`F(x) = f(\mathbb{E}_\xi[g(x;\xi)])`.

    The outer function is nonlinear, so a mini-batch plug-in gradient is biased; these methods
    track the inner value :math:`u \approx \mathbb{E}[g(x;\xi)]` with a running estimate.

    Parameters
    ----------
    inner : callable
        ``inner(x, batch) -> (g, vjp)``: the mini-batch mean of the inner function, shape
        ``(m,)``, and a function ``vjp(w)`` returning :math:`J(x; \text{batch})^\top w`, shape
        ``(d,)``. For ``method="sox"``: ``inner(x, batch, groups)`` with the sampled group
        indices, returning values of shape ``(len(groups), m)`` and ``vjp(W) = sum_i J_i^T W_i``.
    outer_grad : callable
        ``outer_grad(u) -> (m,)``, the gradient of :math:`f`. For ``"sox"``:
        ``outer_grad(U, groups) -> (len(groups), m)``, one row per group.
    x0 : array_like, shape (d,)
        Starting point; its array library is the one of the result.
    sampler : callable, optional
        ``sampler(n, rng) -> batch`` draws ``n`` samples of :math:`\xi` (``rng`` is a NumPy
        ``Generator``, or CuPy's for CuPy input); ``batch`` is passed to ``inner`` unchanged.
        Give ``sampler`` or ``data``.
    data : array, shape (N, ...), optional
        A finite data set instead of ``sampler``: :math:`\xi` is uniform over its rows, and
        a batch of ``n`` samples is ``data[idx]`` with ``idx`` drawn with replacement from
        ``rng`` (the same batches as ``sampler=lambda n, g: data[g.integers(0, N, n)]``). A
        dask array is never materialized: each batch reads only the chunks holding its rows
        and reaches ``inner`` as a NumPy array, so ``x0`` must be NumPy (or dask, computed)
        and the result is NumPy, with the iterates of the same run on the data in memory.
    method : {"scma", "scgd", "scst", "nasa", "sox"}
        - ``"scgd"``: :math:`u_t = (1-\gamma)u_{t-1} + \gamma g_t`, :math:`x_{t+1} = x_t -
          \eta J_t^\top \nabla f(u_t)`.
        - ``"scma"``: as SCGD plus momentum :math:`v_t = (1-\beta)v_{t-1} + \beta J_t^\top
          \nabla f(u_t)`, :math:`x_{t+1} = x_t - \eta v_t` (the MECO pattern).
        - ``"scst"``: STORM corrections on both estimators, each evaluated at :math:`x_t` and
          :math:`x_{t-1}` on one batch; the inner value and the gradient use two independent
          batches (so ``2 * batch_size`` samples and four inner calls per step).
        - ``"nasa"``: :math:`x_{t+1} = x_t - \eta z_t`, :math:`z_{t+1} = (1-\beta) z_t + \beta
          J_{t+1}^\top \nabla f(u_t)`, :math:`u_{t+1} = (1-\gamma) u_t + \gamma g_{t+1} +
          [g(x_{t+1}) - g(x_t)]` with the linearization :math:`J(x_{t+1}-x_t)` replaced by the
          difference of the inner function on the same batch (our step size :math:`\eta` is the
          paper's :math:`\tau/\beta`).
        - ``"sox"``: for a finite sum :math:`\frac1n\sum_i f_i(g_i(x))`: keeps one inner estimate
          per group, updates only the ``group_batch`` sampled groups (a group's first visit
          sets its estimate), momentum as SCMA.
    lr : float
        Step size :math:`\eta` (ignored when ``lr_schedule`` is given).
    gamma, beta : float or callable
        Weights of the new sample in the inner-value and gradient estimators, in (0, 1]; a
        callable ``t -> value`` gives a schedule (``t = 1, 2, ...``).
    batch_size : int
        Samples drawn per iteration.
    maxiter : int
        Number of iterations.
    lr_schedule : callable, optional
        ``t -> step size`` (``t = 1, 2, ...``), overrides ``lr``.
    init_batch : int, optional
        Size of the first batch that initializes :math:`u_0` and :math:`v_0` (STORM theory asks
        for a large one). Default ``batch_size``.
    n_groups, group_batch : int, optional
        ``"sox"`` only: number of groups and groups sampled per iteration (default all).
    outer : callable, optional
        ``outer(u) -> float``; when given, ``fun`` of the result is :math:`f(u)` at the final
        inner estimate.
    gtol : float, optional
        Stop when the norm of the gradient estimate falls below ``gtol``. Without it the method
        runs ``maxiter`` iterations.
    rng : None, int or numpy.random.Generator
        Seed or generator.
    callback : callable, optional
        ``callback(intermediate_result)`` after each iteration with fields ``x``, ``nit``, ``u``,
        ``v``; raising ``StopIteration`` ends the run (status 99).
    progress : bool
        Show a tqdm progress bar (when tqdm is installed).
    return_history : bool
        Record per iteration ``x``, ``v_norm`` and ``n_samples`` in ``history``.

    Returns
    -------
    res : scipy.optimize.OptimizeResult
        ``x``, ``u`` (final inner estimate; for SOX the per-group table), ``v`` (final gradient
        estimate), ``fun`` (``outer(u)`` or NaN), ``nit``, ``n_samples`` (samples drawn),
        ``n_inner_calls``, ``success``, ``status`` (the library's table,
        :mod:`solvers._result`: 6 ran ``maxiter`` steps without ``gtol``, 0 ``gtol`` met,
        1 ``maxiter`` reached with ``gtol`` not met, 3 non-finite value, 99 callback stop),
        ``message`` and, when asked, ``history``.

    Raises
    ------
    TypeError, ValueError
        For non-callable oracles, neither or both of `sampler` and `data`, or invalid
        parameters.

    Notes
    -----
    All methods are written with the array-API standard only; the work per iteration is the
    user's oracles, so there is no Numba kernel. Rates (T. Yang's book, Ch. 4): SCGD and SCMA
    need :math:`O(\varepsilon^{-4})` samples for :math:`\mathbb{E}\|\nabla F\| \le
    \varepsilon`, SCST :math:`O(\varepsilon^{-3})` with a large first batch.

    References: M. Wang, E. Fang, H. Liu, Math. Program. 161 (2017); S. Ghadimi, A. Ruszczynski,
    M. Wang, SIAM J. Optim. 30 (2020); H. Yuan, W. Hu, "Stochastic recursive momentum method for
    non-convex compositional optimization" (2020); B. Wang, T. Yang, ICML 2022 (SOX).

    Examples
    --------
    :math:`F(x) = \log \mathbb{E}[e^{(a+\xi)^\top x}] + \frac12\|x\|^2` with
    :math:`\xi \sim N(0, I)` is minimized at :math:`x^* = -a/2`. The inner function is
    :math:`g = (e^{(a+\xi)^\top x}, x)` and :math:`f(u) = \log u_0 + \frac12\|u_{1:}\|^2`.

    >>> import numpy as np
    >>> from solvers.optimize import minimize_compositional
    >>> a = np.array([0.5, -0.3])
    >>> def inner(x, xi):
    ...     e = np.exp((a + xi) @ x)
    ...     g = np.concatenate([[e.mean()], x])
    ...     return g, lambda w: w[0] * ((a + xi) * e[:, None]).mean(axis=0) + w[1:]
    >>> outer_grad = lambda u: np.concatenate([[1.0 / u[0]], u[1:]])
    >>> res = minimize_compositional(inner, outer_grad, np.zeros(2), method="scma",
    ...                              sampler=lambda n, rng: rng.standard_normal((n, 2)),
    ...                              lr=0.1, gamma=0.5, beta=0.5, maxiter=2000, rng=0)
    >>> bool(np.linalg.norm(res.x + a / 2) < 0.05)
    True

    With a finite sample of :math:`\xi` as a dask array, batches are rows drawn by index
    (only their chunks are read); the iterates equal those of the same run on NumPy data:

    >>> import dask.array as da
    >>> xi = np.random.default_rng(1).standard_normal((20_000, 2))
    >>> opts = dict(method="scma", lr=0.1, gamma=0.5, beta=0.5, maxiter=100, rng=0)
    >>> res_np = minimize_compositional(inner, outer_grad, np.zeros(2), data=xi, **opts)
    >>> res_da = minimize_compositional(inner, outer_grad, np.zeros(2),
    ...                                 data=da.from_array(xi, chunks=(5_000, 2)), **opts)
    >>> bool(np.array_equal(res_da.x, res_np.x))
    True
    """
    (xp, x, sampler, method, lr_fn, gamma_fn, beta_fn, batch_size, maxiter, init_batch,
     n_groups, group_batch, gtol) = _validate(inner, outer_grad, x0, sampler, data, method, lr,
                                              gamma, beta, batch_size, maxiter, lr_schedule,
                                              init_batch, n_groups, group_batch, gtol, outer)
    source = RandomSource(rng, xp)
    state = _State(xp, x, source, inner, outer_grad, sampler, group_batch, n_groups)
    step = _STEPS[method]
    state.initialize(method, init_batch)
    history = {"x": [], "v_norm": [], "n_samples": []} if return_history else None

    def one_step(t):
        step(state, lr_fn(t), gamma_fn(t), beta_fn(t), batch_size)
        v_norm = float(xp.linalg.vector_norm(state.v))
        finite = (math.isfinite(v_norm) and bool(xp.all(xp.isfinite(state.x)))
                  and bool(xp.all(xp.isfinite(state.u))))
        if finite and history is not None:
            history["x"].append(state.x)
            history["v_norm"].append(v_norm)
            history["n_samples"].append(state.n_samples)
        return v_norm, finite, dict(x=state.x, nit=t, u=state.u, v=state.v)

    status, nit = iterate(one_step, maxiter, errstate=backend_for(xp).errstate,
                          callback=callback, gtol=gtol, progress=progress,
                          desc=f"compositional ({method})")
    fun = float(outer(state.u)) if (outer is not None and status != NONFINITE) else math.nan
    res = make_result(status, STATUS_MESSAGES[status], x=state.x, u=state.u, v=state.v,
                      fun=fun, nit=nit, n_samples=state.n_samples,
                      n_inner_calls=state.n_inner_calls, method=method)
    if history is not None:
        res.history = history
    return res


class _State:
    """Iterate and estimators of one run; the per-method steps update it in place."""

    def __init__(self, xp, x, source, inner, outer_grad, sampler, group_batch, n_groups):
        self.xp, self.x, self.source = xp, x, source
        self.inner, self.outer_grad, self.sampler = inner, outer_grad, sampler
        self.group_batch, self.n_groups = group_batch, n_groups
        self.n_samples = 0
        self.n_inner_calls = 0
        self.x_prev = None

    def draw(self, n):
        self.n_samples += n
        if isinstance(self.sampler, DataRows):
            return self.sampler.draw(self.source, n)
        return self.sampler(n, self.source.generator)

    def evaluate(self, x, batch):
        self.n_inner_calls += 1
        g, vjp = self.inner(x, batch)
        return self.xp.asarray(g), vjp

    def initialize(self, method, init_batch):
        if method == "sox":
            self._initialize_sox()
            return
        g, vjp = self.evaluate(self.x, self.draw(init_batch))
        if g.ndim != 1:
            raise ValueError(f"`inner` must return a 1-D inner value, got shape {tuple(g.shape)}")
        self.u = g
        self.v = self.xp.asarray(vjp(self.outer_grad(g)))
        if tuple(self.v.shape) != tuple(self.x.shape):
            raise ValueError(f"`vjp` must return shape {tuple(self.x.shape)}, "
                             f"got {tuple(self.v.shape)}")

    def _initialize_sox(self):
        xp = self.xp
        self.u = None  # allocated on the first values, once m is known
        self.visited = xp.zeros(self.n_groups, dtype=xp.bool)
        self.v = None  # the first step sets v to its first gradient estimate


def _step_scgd_scma(state, lr, gamma, beta, batch_size, *, momentum):
    g, vjp = state.evaluate(state.x, state.draw(batch_size))
    state.u = (1.0 - gamma) * state.u + gamma * g
    z = vjp(state.outer_grad(state.u))
    state.v = (1.0 - beta) * state.v + beta * z if momentum else z
    state.x = state.x - lr * state.v


def _step_scgd(state, lr, gamma, beta, batch_size):
    _step_scgd_scma(state, lr, gamma, beta, batch_size, momentum=False)


def _step_scma(state, lr, gamma, beta, batch_size):
    _step_scgd_scma(state, lr, gamma, beta, batch_size, momentum=True)


def _step_scst(state, lr, gamma, beta, batch_size):
    # Two independent batches: one updates the inner value, the other the gradient. On one
    # shared batch the STORM correction J(x; b)^T [grad f(u_t) - grad f(u_{t-1})] correlates
    # with the new inner sample and the bias accumulates instead of averaging out.
    x_prev = state.x
    state.x = state.x - lr * state.v
    batch_u = state.draw(batch_size)
    g, _ = state.evaluate(state.x, batch_u)
    g_prev, _ = state.evaluate(x_prev, batch_u)
    u_prev = state.u
    state.u = g + (1.0 - gamma) * (u_prev - g_prev)
    batch_v = state.draw(batch_size)
    _, vjp = state.evaluate(state.x, batch_v)
    _, vjp_prev = state.evaluate(x_prev, batch_v)
    z = vjp(state.outer_grad(state.u))
    z_prev = vjp_prev(state.outer_grad(u_prev))
    state.v = z + (1.0 - beta) * (state.v - z_prev)


def _step_nasa(state, lr, gamma, beta, batch_size):
    x_prev = state.x
    state.x = state.x - lr * state.v
    batch = state.draw(batch_size)
    g, vjp = state.evaluate(state.x, batch)
    g_prev, _ = state.evaluate(x_prev, batch)
    state.v = (1.0 - beta) * state.v + beta * vjp(state.outer_grad(state.u))
    state.u = (1.0 - gamma) * state.u + gamma * g + (g - g_prev)


def _step_sox(state, lr, gamma, beta, batch_size):
    xp = state.xp
    groups = state.source.choice_without_replacement(state.n_groups, state.group_batch)
    batch = state.draw(batch_size)
    state.n_inner_calls += 1
    values, vjp = state.inner(state.x, batch, groups)
    values = xp.asarray(values)
    if values.ndim != 2 or values.shape[0] != groups.shape[0]:
        raise ValueError("with method='sox', `inner` must return values of shape "
                         f"(len(groups), m) = ({groups.shape[0]}, m), got {tuple(values.shape)}")
    if state.u is None:
        state.u = xp.zeros((state.n_groups, values.shape[1]), dtype=values.dtype)
    seen = xp.take(state.visited, groups)
    old = xp.take(state.u, groups, axis=0)
    rows = xp.where(seen[:, None], (1.0 - gamma) * old + gamma * values, values)
    state.u = scatter_rows(xp, state.u, groups, rows)
    state.visited = xp.astype(scatter_rows(xp, xp.astype(state.visited, values.dtype)[:, None],
                                           groups, xp.ones((groups.shape[0], 1),
                                                           dtype=values.dtype))[:, 0], xp.bool)
    z = xp.asarray(vjp(state.outer_grad(rows, groups))) / groups.shape[0]
    state.v = z if state.v is None else (1.0 - beta) * state.v + beta * z
    state.x = state.x - lr * state.v


_STEPS = {"scgd": _step_scgd, "scma": _step_scma, "scst": _step_scst, "nasa": _step_nasa,
          "sox": _step_sox}
