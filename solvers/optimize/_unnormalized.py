"""Maximum-likelihood fitting of unnormalized models: MECO (compositional) and NCE.

The negative log-likelihood of :math:`p(x;\\theta) = \\tilde p(x;\\theta)/Z(\\theta)` is the
compositional objective
F(theta) = -mean_i log p~(x_i; theta) + log E_{y~q}[p~(y; theta)/q(y)]
(Jiang et al., ICML 2023). Everything is done in the log domain.
"""

from __future__ import annotations

import math

import numpy as np

from .._array_api import array_namespace, as_float_array
from .._backend import backend_for, is_lazy
from .._result import make_result
from ._compositional_common import (
    STATUS_MESSAGES,
    DataRows,
    RandomSource,
    host_parameters,
    as_schedule,
    check_positive_int,
    iterate,
    logsumexp,
)

__all__ = ["fit_unnormalized"]

_METHODS = ("meco", "meco-storm", "nce")


def _validate(log_p_tilde, grad_log_p_tilde, theta0, data, noise, method, lr, gamma, beta,
              batch_size, noise_batch, maxiter, adapt_rate, gtol):
    model_dim = None
    if grad_log_p_tilde is None and hasattr(log_p_tilde, "grad_log_p_tilde"):
        model_dim = getattr(log_p_tilde, "dim", None)
        log_p_tilde, grad_log_p_tilde = log_p_tilde.log_p_tilde, log_p_tilde.grad_log_p_tilde
    for name, fn in (("log_p_tilde", log_p_tilde), ("grad_log_p_tilde", grad_log_p_tilde)):
        if not callable(fn):
            raise TypeError(f"`{name}` must be callable (or pass a model object with "
                            f"log_p_tilde/grad_log_p_tilde methods), got {type(fn).__name__}")
    for attr in ("sample", "logpdf"):
        if not callable(getattr(noise, attr, None)):
            raise TypeError(f"`noise` must have methods sample(n, rng) and logpdf(y); "
                            f"{type(noise).__name__} has no {attr}()")
    if not isinstance(method, str) or method.lower() not in _METHODS:
        raise ValueError(f"`method` must be one of {_METHODS}, got {method!r}")
    method = method.lower()
    lazy = is_lazy(data)
    # dask data: NumPy parameters, rows drawn by index (checked finite when drawn)
    xp, theta0 = host_parameters(theta0, data, "theta0") if lazy else \
        (array_namespace(theta0, data), theta0)
    theta0 = as_float_array(theta0, xp, name="theta0", finite=True)
    if theta0.ndim != 1:
        raise ValueError(f"`theta0` must be 1-D, got shape {tuple(theta0.shape)}")
    data = as_float_array(data, array_namespace(data) if lazy else xp, name="data",
                          finite=not lazy)
    if data.ndim == 1:
        data = data[:, None]
    if data.ndim != 2 or data.shape[0] < 1:     # NaN (unknown dask size): DataRows says
        raise ValueError(f"`data` must have shape (n, d) or (n,), got {tuple(data.shape)}")
    data = DataRows(data, "data", finite=True)
    d = data.data.shape[1]
    if model_dim is not None and model_dim != d:
        raise ValueError(f"`data` has dimension {d} but the model expects dimension {model_dim}")
    noise_dim = getattr(noise, "dim", None)
    if noise_dim is not None and noise_dim != d:
        raise ValueError(f"`data` has dimension {d} but `noise` has dimension {noise_dim}")
    _probe(log_p_tilde, grad_log_p_tilde, theta0, data)
    if adapt_rate is not None and not callable(getattr(noise, "adapted", None)):
        raise TypeError(f"`adapt_noise=True` needs a noise with an adapted() method "
                        f"(GaussianNoise); {type(noise).__name__} has none")
    params = dict(lr=as_schedule(lr, "lr"), gamma=as_schedule(gamma, "gamma", high=1.0),
                  beta=as_schedule(beta, "beta", high=1.0))
    sizes = (check_positive_int(batch_size, "batch_size"),
             check_positive_int(noise_batch, "noise_batch"),
             check_positive_int(maxiter, "maxiter"))
    if gtol is not None and not float(gtol) > 0:
        raise ValueError(f"`gtol` must be positive or None, got {gtol!r}")
    return (xp, log_p_tilde, grad_log_p_tilde, theta0, data, method, params, sizes)


def _probe(log_p_tilde, grad_log_p_tilde, theta0, data):
    """Evaluate the model on two data rows to catch shape errors with a clear message."""
    rows = data.take(np.arange(min(2, data.n)))
    n = rows.shape[0]
    try:
        lp = log_p_tilde(rows, theta0)
        gr = grad_log_p_tilde(rows, theta0)
    except Exception as exc:
        raise ValueError(f"the model could not be evaluated on `data` rows of shape "
                         f"{tuple(rows.shape)} with `theta0` of shape {tuple(theta0.shape)}: "
                         f"{exc}") from exc
    if tuple(getattr(lp, "shape", ())) != (n,):
        raise ValueError(f"log_p_tilde(x, theta) must return shape (n,) = ({n},) for `data` rows "
                         f"of shape {tuple(rows.shape)}, got {tuple(getattr(lp, 'shape', ()))}")
    if tuple(getattr(gr, "shape", ())) != (n, theta0.shape[0]):
        raise ValueError(f"grad_log_p_tilde(x, theta) must return shape (n, p) = "
                         f"({n}, {theta0.shape[0]}), got {tuple(getattr(gr, 'shape', ()))}")


def fit_unnormalized(log_p_tilde, grad_log_p_tilde, theta0, data, *, noise, method="meco",
                     lr=0.2, gamma=0.9, beta=1.0, batch_size=256, noise_batch=256,
                     maxiter=5000, adapt_noise=False, adapt_rate=0.5, gtol=None, rng=None,
                     callback=None, progress=False):
    r"""Fit an unnormalized model :math:`\tilde p(x;\theta)` to data by maximum likelihood.

    ``"meco"`` minimizes the negative log-likelihood written as a compositional function,
    :math:`F(\theta) = -\frac1n\sum_i \log\tilde p(x_i;\theta) + \log
    \mathbb{E}_{y\sim q}[\tilde p(y;\theta)/q(y)]`, tracking the inner expectation
    :math:`u \approx Z(\theta)` by a moving average (Jiang et al. 2023); ``"nce"`` is
    noise-contrastive estimation with a learned log-normalizer.

    Parameters
    ----------
    log_p_tilde : callable or model
        ``log_p_tilde(x, theta) -> (n,)`` for rows ``x`` of shape ``(n, d)``; or a model object
        with methods ``log_p_tilde`` and ``grad_log_p_tilde`` (e.g.
        :class:`ExponentialFamily`), in which case ``grad_log_p_tilde`` is ``None``.
    grad_log_p_tilde : callable or None
        ``grad_log_p_tilde(x, theta) -> (n, p)``, the gradient in ``theta``.
    theta0 : array_like, shape (p,)
        Starting parameters.
    data : array_like, shape (n, d) or (n,)
        The data (finite); its array library is the one of the result. A dask array is
        never materialized: each step reads only the chunks holding its ``batch_size``
        drawn rows (indices from ``rng``, as for NumPy data) and runs the NumPy path on
        them, so ``theta0`` must be NumPy (or dask, computed) and the result is NumPy,
        equal to the run on the same data in memory; non-finite rows raise when drawn.
    noise : object
        With ``sample(n, rng) -> (n, d)`` and ``logpdf(y) -> (n,)`` (:class:`GaussianNoise`,
        :class:`FittedGaussianNoise`); its support must cover the model's.
    method : {"meco", "meco-storm", "nce"}
        - ``"meco"``: per step, with a data batch :math:`x` and a noise batch :math:`y`,
          log-weights :math:`\ell_j = \log\tilde p(y_j) - \log q(y_j)`, inner estimate
          :math:`\log u_t = \mathrm{logaddexp}(\log(1-\gamma) + \log u_{t-1}, \log\gamma +
          \mathrm{LSE}(\ell) - \log M)`, gradient :math:`z_t = -\overline{\nabla\log\tilde
          p(x)} + \sum_j e^{\ell_j - \log M - \log u_t}\nabla\log\tilde p(y_j)`, momentum
          :math:`v_t = (1-\beta)v_{t-1} + \beta z_t`, step :math:`\theta \leftarrow \theta -
          \eta v_t`.
        - ``"meco-storm"``: STORM corrections on :math:`u` and :math:`v`, evaluated at the
          previous :math:`\theta` on the same samples (independent noise batches for the
          inner value and the gradient, so ``2 * noise_batch`` noise samples per step). The
          inner correction is applied multiplicatively, :math:`u_t = \gamma g_t + (1-\gamma)
          u_{t-1} g_t/\tilde g_t` (:math:`\tilde g_t`: the batch estimate at the previous
          :math:`\theta`), which agrees with the additive STORM form to first order and keeps
          :math:`u_t > 0`; it removes the lag of the moving average when
          :math:`\log Z(\theta)` changes quickly.
        - ``"nce"``: Gutmann-Hyvarinen NCE with :math:`\nu` = ``noise_batch / batch_size``
          noise samples per data sample, on :math:`(\theta, c)` with
          :math:`\log p_m = \log\tilde p - c`; plain SGD (momentum with ``beta < 1``).
    lr, gamma, beta : float or callable
        Step size, weight of the new noise batch in the inner estimate (``meco``), weight of
        the new gradient (momentum; 1 = none). A callable ``t -> value`` is a schedule.
        The defaults (0.2, 0.9, 1) were the fastest setting of a small grid that stayed
        stable for 500 steps on the Gaussian-mean problem (data N(mu*, 1), mu* <= 6, noise
        N(0, 1), ``adapt_noise=True``): the moving average lags behind
        :math:`\log Z(\theta)`, which moves by about :math:`\theta\,\Delta\theta` per step,
        and with step 0.3 one seed at mu* = 6 oscillated away. Without adaptation and with
        noise far from the data a smaller ``gamma`` (0.1-0.2: a longer average of the
        heavy-tailed weights) is more stable; ``"meco-storm"`` removes the lag.
    batch_size, noise_batch : int
        Data and noise samples per step.
    maxiter : int
        Number of steps.
    adapt_noise : bool
        Move a Gaussian noise toward the model after each step: its mean (rate
        ``adapt_rate``) and covariance (rate ``adapt_rate * ESS / noise_batch``) toward the
        self-normalized weighted moments of the noise batch. Keeps the effective sample size
        of the importance weights up when data and noise are far apart.
    adapt_rate : float
        Rate of the noise adaptation, in (0, 1].
    gtol : float, optional
        Stop when the norm of the gradient estimate falls below ``gtol``.
    rng : None, int or numpy.random.Generator
        Seed or generator (CuPy data: a CuPy generator is derived from it).
    callback : callable, optional
        ``callback(intermediate_result)`` after each step (fields ``x``, ``theta``, ``nit``,
        ``log_normalizer``, ``fun``, ``ess``); ``StopIteration`` ends the run (status 99).
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    res : scipy.optimize.OptimizeResult
        ``theta`` (also ``x``), ``log_normalizer`` (running estimate of :math:`\log Z`; the
        learned :math:`c` for NCE), ``fun`` (objective estimate: NLL for MECO, NCE loss),
        ``nit``, ``n_data_samples``, ``n_noise_samples``, ``noise`` (final, adapted noise),
        ``history`` with per-step lists ``objective``, ``ess`` (effective sample size of the
        importance weights, NaN for NCE), ``log_normalizer`` and ``theta``; ``success``,
        ``status`` (the library's table, :mod:`solvers._result`: 6 ran ``maxiter`` steps
        without ``gtol``, 0 ``gtol`` met, 1 ``maxiter`` reached with ``gtol`` not met,
        3 non-finite value such as an overflow, 99 callback stop) and ``message``.

    Raises
    ------
    TypeError
        Non-callable model, a noise without ``sample``/``logpdf``.
    ValueError
        Non-finite data, data whose dimension differs from the model's or the noise's, a model
        that returns the wrong shapes, invalid parameters.

    Notes
    -----
    The variance of the inner estimate is :math:`\mathrm{Var}_q[\tilde p/q]`, which grows like
    :math:`e^{\Delta^2}` with the distance :math:`\Delta` between noise and model for Gaussians:
    watch ``history["ess"]`` and use ``adapt_noise`` when it collapses. With a fixed noise far
    from the data (Gaussian mean at mu* = 6 with q = N(0, 1)) the iterate can reach the optimum
    and then run away: once the model sits beyond the reach of the noise samples, the estimate
    of :math:`Z` is dominated by rare batches, the moving average overestimates it, and the
    gradient reduces to the data term. Array-API code
    throughout (the cost is the user's model; there is no Numba kernel).

    References: Z. Jiang, T. Yang et al., "Learning unnormalized statistical models via
    compositional optimization", ICML 2023 (arXiv 2306.07485); M. Gutmann, A. Hyvarinen,
    AISTATS 2010 (NCE).

    Examples
    --------
    Mean of :math:`N(\mu^*, 1)` data with the unnormalized model :math:`\exp(\theta x -
    x^2/2)` and noise :math:`N(0, 1)`:

    >>> import numpy as np
    >>> from solvers.optimize import fit_unnormalized, ExponentialFamily, GaussianNoise
    >>> x = np.random.default_rng(0).normal(2.0, 1.0, size=(10_000, 1))
    >>> model = ExponentialFamily.gaussian_location(dim=1)
    >>> res = fit_unnormalized(model, None, np.zeros(1), x, noise=GaussianNoise(np.zeros(1)),
    ...                        maxiter=200, rng=0)
    >>> bool(abs(res.theta[0] - x.mean()) < 0.1), res.status
    (True, 6)

    The same fit on a dask array reads only the drawn rows and gives the same iterates:

    >>> import dask.array as da
    >>> res_d = fit_unnormalized(model, None, np.zeros(1), da.from_array(x, chunks=2_000),
    ...                          noise=GaussianNoise(np.zeros(1)), maxiter=200, rng=0)
    >>> bool(np.array_equal(res_d.theta, res.theta))
    True
    """
    adapt_rate_checked = None
    if adapt_noise:
        as_schedule(adapt_rate, "adapt_rate", high=1.0)
        adapt_rate_checked = float(adapt_rate)
    (xp, log_p_tilde, grad_log_p_tilde, theta, data, method, params,
     (batch_size, noise_batch, maxiter)) = _validate(
        log_p_tilde, grad_log_p_tilde, theta0, data, noise, method, lr, gamma, beta,
        batch_size, noise_batch, maxiter, adapt_rate_checked, gtol)
    run = _Run(xp, log_p_tilde, grad_log_p_tilde, data, noise, RandomSource(rng, xp),
               batch_size, noise_batch)
    run.theta = theta
    if method == "nce":
        run.theta = xp.concat([theta, xp.zeros(1, dtype=theta.dtype)])
    step = _STEPS[method]
    history = {"objective": [], "ess": [], "log_normalizer": [], "theta": []}

    def one_step(t):
        info = step(run, t, params["lr"](t), params["gamma"](t), params["beta"](t))
        if adapt_rate_checked is not None:
            run.noise = run.noise.adapted(info["y"], info["log_w"], adapt_rate_checked)
        theta_out, log_z = run.public_theta()
        v_norm = float(xp.linalg.vector_norm(run.v))
        fun = float(info["objective"])
        finite = (math.isfinite(v_norm) and math.isfinite(log_z)
                  and bool(xp.all(xp.isfinite(run.theta))))
        if finite:
            history["objective"].append(fun)
            history["ess"].append(info["ess"])
            history["log_normalizer"].append(log_z)
            history["theta"].append(theta_out)
        return v_norm, finite, dict(x=theta_out, theta=theta_out, nit=t, log_normalizer=log_z,
                                    fun=fun, ess=info["ess"])

    status, nit = iterate(one_step, maxiter, errstate=backend_for(xp).errstate,
                          callback=callback, gtol=gtol, progress=progress,
                          desc=f"fit_unnormalized ({method})")
    theta_out, log_z = run.public_theta()
    return make_result(
        status, STATUS_MESSAGES[status],
        x=theta_out, theta=theta_out, log_normalizer=log_z,
        fun=history["objective"][-1] if history["objective"] else math.nan, nit=nit,
        n_data_samples=run.n_data, n_noise_samples=run.n_noise, noise=run.noise,
        history=history, method=method)


class _Run:
    """State of one fit: parameters, estimators, counters, and the sampling helpers."""

    def __init__(self, xp, log_p_tilde, grad_log_p_tilde, data, noise, source, batch_size,
                 noise_batch):
        self.xp, self.log_p, self.grad_log_p = xp, log_p_tilde, grad_log_p_tilde
        self.data, self.noise, self.source = data, noise, source
        self.batch_size, self.noise_batch = batch_size, noise_batch
        self.n_data = self.n_noise = 0
        self.theta = self.v = None
        self.log_u = None  # MECO: log of the inner estimate (0-d array)
        self.theta_prev = None

    def data_batch(self):
        self.n_data += self.batch_size
        return self.data.draw(self.source, self.batch_size)

    def noise_sample(self):
        self.n_noise += self.noise_batch
        return self.noise.sample(self.noise_batch, self.source.generator)

    def public_theta(self):
        """(theta, log normalizer as float) in the user's parametrization."""
        if self.log_u is None:  # NCE: the last entry is c
            return self.theta[:-1], float(self.theta[-1])
        return self.theta, float(self.log_u)

    def log_weights(self, y, theta, log_q=None):
        if log_q is None:
            log_q = self.noise.logpdf(y)
        return self.log_p(y, theta) - log_q


def _ess(xp, log_w):
    return float(xp.exp(2.0 * logsumexp(xp, log_w) - logsumexp(xp, 2.0 * log_w)))


def _meco_gradient(run, x, y, theta, log_w, log_u):
    """-mean grad log p~(x) + sum_j exp(log_w_j - log M - log u) grad log p~(y_j)."""
    xp = run.xp
    w = xp.exp(log_w - math.log(y.shape[0]) - log_u)
    return -xp.mean(run.grad_log_p(x, theta), axis=0) + w @ run.grad_log_p(y, theta)


def _ma_log(xp, log_u, lse, gamma):
    """log((1 - gamma) u + gamma exp(lse)) in the log domain."""
    if log_u is None or gamma >= 1.0:
        return lse
    return xp.logaddexp(math.log1p(-gamma) + log_u, math.log(gamma) + lse)


def _step_meco(run, t, lr, gamma, beta):
    xp = run.xp
    x, y = run.data_batch(), run.noise_sample()
    log_w = run.log_weights(y, run.theta)
    lse = logsumexp(xp, log_w) - math.log(y.shape[0])
    run.log_u = _ma_log(xp, run.log_u, lse, gamma)
    z = _meco_gradient(run, x, y, run.theta, log_w, run.log_u)
    run.v = z if run.v is None else (1.0 - beta) * run.v + beta * z
    objective = -xp.mean(run.log_p(x, run.theta)) + run.log_u
    run.theta = run.theta - lr * run.v
    return {"y": y, "log_w": log_w, "ess": _ess(xp, log_w), "objective": objective}


def _step_meco_storm(run, t, lr, gamma, beta):
    xp = run.xp
    if run.v is None:  # the first step is a plain MECO step
        run.theta_prev = run.theta
        return _step_meco(run, t, lr, gamma, beta)
    theta, theta_prev, log_u_prev = run.theta, run.theta_prev, run.log_u
    x = run.data_batch()
    y = run.noise_sample()  # inner-value batch
    log_q = run.noise.logpdf(y)
    log_w = run.log_weights(y, theta, log_q)
    log_m = math.log(y.shape[0])
    lse = logsumexp(xp, log_w) - log_m
    lse_prev = logsumexp(xp, run.log_weights(y, theta_prev, log_q)) - log_m
    # STORM correction in multiplicative form: the previous estimate is carried to the new
    # theta by the ratio g_t / g~_t of the two batch estimates on the same samples,
    # u_t = gamma g_t + (1 - gamma) u_{t-1} g_t / g~_t. To first order this is the additive
    # u_t = g_t + (1 - gamma)(u_{t-1} - g~_t), but it stays positive (log domain).
    run.log_u = _ma_log(xp, log_u_prev + (lse - lse_prev), lse, gamma)
    y2 = run.noise_sample()  # gradient batch, independent of the inner value
    log_q2 = run.noise.logpdf(y2)
    z = _meco_gradient(run, x, y2, theta, run.log_weights(y2, theta, log_q2), run.log_u)
    z_prev = _meco_gradient(run, x, y2, theta_prev, run.log_weights(y2, theta_prev, log_q2),
                            log_u_prev)
    run.v = z + (1.0 - beta) * (run.v - z_prev)
    objective = -xp.mean(run.log_p(x, theta)) + run.log_u
    run.theta_prev = theta
    run.theta = theta - lr * run.v
    return {"y": y, "log_w": log_w, "ess": _ess(xp, log_w), "objective": objective}


def _step_nce(run, t, lr, gamma, beta):
    xp = run.xp
    theta, c = run.theta[:-1], run.theta[-1]
    x, y = run.data_batch(), run.noise_sample()
    log_nu = math.log(y.shape[0] / x.shape[0])
    log_w_y = run.log_weights(y, theta)
    g_x = run.log_weights(x, theta) - c - log_nu  # G(x) - log nu
    g_y = log_w_y - c - log_nu
    h_x = _sigmoid(xp, g_x)
    h_y = _sigmoid(xp, g_y)
    n_x = x.shape[0]
    grad_theta = (-(1.0 - h_x) @ run.grad_log_p(x, theta) + h_y @ run.grad_log_p(y, theta)) / n_x
    grad_c = (xp.sum(1.0 - h_x) - xp.sum(h_y)) / n_x
    z = xp.concat([grad_theta, xp.reshape(grad_c, (1,))])
    run.v = z if run.v is None else (1.0 - beta) * run.v + beta * z
    # loss = -(sum log sigma(G(x)) + sum log sigma(-G(y))) / n_x
    loss = (xp.sum(xp.logaddexp(xp.zeros_like(g_x), -g_x))
            + xp.sum(xp.logaddexp(xp.zeros_like(g_y), g_y))) / n_x
    run.theta = run.theta - lr * run.v
    return {"y": y, "log_w": log_w_y, "ess": math.nan, "objective": loss}


def _sigmoid(xp, z):
    return xp.exp(-xp.logaddexp(xp.zeros_like(z), -z))


_STEPS = {"meco": _step_meco, "meco-storm": _step_meco_storm, "nce": _step_nce}
