"""Mixtures of von Mises-Fisher distributions (movMF) fitted by soft EM."""

from __future__ import annotations

import math
import numbers

import numpy as np

from solvers._array_api import from_numpy, to_numpy
from solvers._backend import backend_for
from solvers._result import (CALLBACK, CONVERGED, MAXITER, NONFINITE, call_callback,
                             make_result)

from ._vmf_kappa import kappa_from_mean_resultant, log_normalizer
from ._vmf_validation import as_data_matrix, check_row_norms, validate_weights

__all__ = ["fit_vmf_mixture"]

_KMPP_TRIALS = 16     # candidates per greedy k-means++ step
_KMPP_SUBSET = 4096   # points on which the candidates' potentials are compared


class _Data:
    """The data with what every EM step needs: ``1/||x_i||``, weights, their total."""

    def __init__(self, x, xp, w):
        self.x, self.xp, self.w = x, xp, w
        self.n, self.p = x.shape
        norms = backend_for(xp).kernel("stats.row_norms")(xp, x)
        check_row_norms(norms, "x")
        self.inv_norms = 1.0 / norms
        self.w_host = np.ones(self.n) if w is None else np.asarray(to_numpy(w), dtype=np.float64)
        self.total = float(self.n) if w is None else float(xp.sum(w))

    def cosines(self, means):
        """``(x_i . m_j)/||x_i||``, shape (n, k)."""
        return (self.x @ means.T) * self.inv_norms[:, None]

    def unit_row(self, i):
        xp = self.xp
        row = self.x[i, :]
        return row / xp.sqrt(xp.sum(row * row))

    # -- the EM's data interface (``_vmf_mixture_dask.DaskData`` has the same) ------------
    def suff_stats(self, gamma):
        """``(nk, resultants)``: host weights of the components, ``(k, p)`` resultants."""
        xp = self.xp
        gw = gamma if self.w is None else gamma * self.w[:, None]
        nk = np.asarray(to_numpy(xp.sum(gw, axis=0)), dtype=np.float64)
        # (x^T C)^T, not C^T x: NumPy's matmul is ~100x slower with the thin transposed operand
        return nk, (self.x.T @ (gw * self.inv_norms[:, None])).T

    def seeding_data(self, rng):
        """The data the k-means++ seeding runs on."""
        return self

    def initial_stats(self, centers):
        """Statistics of one component over all points and of the hard assignment."""
        xp = self.xp
        labels = xp.argmax(self.cosines(centers), axis=1)
        gamma = xp.astype(labels[:, None] == xp.arange(centers.shape[0])[None, :], xp.float64)
        return self.suff_stats(xp.ones((self.n, 1), dtype=xp.float64)), self.suff_stats(gamma)

    def e_step(self, means, kappas, log_weights):
        """``(ll, step)``: the log-likelihood and what the M-step and the result need."""
        ll, gamma, ll_i = _e_step(self, means, kappas, log_weights)
        return ll, _Step(lambda: self.suff_stats(gamma),
                         lambda: np.argsort(np.asarray(to_numpy(ll_i))), gamma)

    def outputs(self, means, kappas, log_weights, step):
        """``(responsibilities, labels)`` of the last E-step."""
        return step.gamma, self.xp.argmax(step.gamma, axis=1)


class _Step:
    """What an E-step leaves: ``stats()`` -> ``(nk, resultants)``, ``worst()`` -> row indices,
    worst-explained first, and the responsibilities where they were formed."""

    def __init__(self, stats, worst, gamma=None):
        self.stats, self.worst, self.gamma = stats, worst, gamma


def _e_step(data, means, kappas, log_weights):
    """Log-domain responsibilities. Returns (total log-likelihood, gamma, per-point ll)."""
    xp = data.xp
    p = data.p
    kap = from_numpy(kappas, xp, like=data.x)
    log_c = log_normalizer(p, kap, xp)
    lw = from_numpy(log_weights, xp, like=data.x)
    logits = data.cosines(means) * kap[None, :] + (lw + log_c)[None, :]
    m = xp.max(logits, axis=1)
    ll_i = m + xp.log(xp.sum(xp.exp(logits - m[:, None]), axis=1))
    gamma = xp.exp(logits - ll_i[:, None])
    total = xp.sum(ll_i) if data.w is None else xp.sum(data.w * ll_i)
    return float(total), gamma, ll_i


def _m_step(data, nk, resultants, fallback_means, fallback_kappa, worst):
    """Weights, means and kappas from the components' weights ``nk`` and resultants; empty
    components are re-seeded (``worst()``: row indices, worst-explained first).

    A component is empty when its effective weight is below that of one average point
    (or its resultant vanishes). It is re-seeded at the worst-explained data point not
    already used, with ``kappa`` the median of the others and weight ``1/k`` (the weights
    are then renormalized). Returns ``(weights, means, kappas, n_reseeded)``.
    """
    xp = data.xp
    k = nk.shape[0]
    rn = np.asarray(to_numpy(xp.sqrt(xp.sum(resultants * resultants, axis=1))), dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        rbar = np.minimum(rn / nk, 1.0)
    empty = ~(nk >= data.total / data.n) | ~(rn > 0) | ~(rbar < 1.0)
    kappas = np.zeros(k)
    kappas[~empty] = kappa_from_mean_resultant(data.p, rbar[~empty])
    rn_safe = from_numpy(np.where(rn > 0, rn, 1.0), xp, like=data.x)
    means = resultants / rn_safe[:, None]
    weights = nk / data.total
    n_reseeded = int(empty.sum())
    if n_reseeded:
        good = kappas[~empty]
        kfill = float(np.median(good)) if good.size else fallback_kappa
        order = worst() if worst is not None else np.arange(data.n)
        means_host = np.array(to_numpy(means), dtype=np.float64)
        for i, j in enumerate(np.flatnonzero(empty)):
            if fallback_means is not None:
                row = fallback_means[j, :]
            else:
                row = data.unit_row(int(order[i % order.size]))
            means_host[j, :] = to_numpy(row)
            kappas[j] = kfill
            weights[j] = 1.0 / k
        weights = weights / weights.sum()
        means = from_numpy(means_host, xp, like=data.x)
    return weights, means, kappas, n_reseeded


def _kmeans_pp_centers(data, k, rng):
    """Greedy spherical k-means++ seeding.

    Distance ``D(x) = 1 - max_j cos(x, c_j)``. The first centre is drawn with probability
    proportional to the weight; at each later step ``_KMPP_TRIALS`` candidates are drawn with
    probability proportional to ``w D`` (Arthur and Vassilvitskii 2007) and the one that
    lowers the potential ``sum_i w_i D(x_i)`` most (evaluated on a fixed random subset of at
    most ``_KMPP_SUBSET`` points) becomes the next centre, as in scikit-learn's greedy
    k-means++. Many trials matter in high dimension: there ``D`` is close to 1 for every
    point (a point and a data point of its own cluster are nearly orthogonal too), so the
    ``D``-sampling alone hardly prefers uncovered clusters, while the potential does.
    """
    xp = data.xp
    prob = data.w_host / data.w_host.sum()
    first = int(rng.choice(data.n, p=prob))
    centers = [data.unit_row(first)]
    best_cos = np.asarray(to_numpy(data.cosines(centers[0][None, :])[:, 0]))
    sub = np.sort(rng.choice(data.n, size=_KMPP_SUBSET, replace=False)) \
        if data.n > _KMPP_SUBSET else None
    if sub is None:
        x_sub, inv_sub = data.x, data.inv_norms
    else:
        sub_xp = from_numpy(sub, xp, like=data.x)
        x_sub, inv_sub = xp.take(data.x, sub_xp, axis=0), xp.take(data.inv_norms, sub_xp)
    w_sub = data.w_host if sub is None else data.w_host[sub]
    for _ in range(1, k):
        d = data.w_host * np.clip(1.0 - best_cos, 0.0, None)
        s = d.sum()
        cand = rng.choice(data.n, size=_KMPP_TRIALS, p=d / s if s > 0 else prob)
        cand_rows = xp.stack([data.unit_row(int(i)) for i in cand], axis=0)
        cos_sub = np.asarray(to_numpy((x_sub @ cand_rows.T) * inv_sub[:, None]))
        best_sub = best_cos if sub is None else best_cos[sub]
        potential = w_sub @ (1.0 - np.maximum(best_sub[:, None], cos_sub))
        t = int(np.argmin(potential))
        centers.append(cand_rows[t, :])
        c = np.asarray(to_numpy(data.cosines(cand_rows[t, :][None, :])[:, 0]))
        best_cos = np.maximum(best_cos, c)
    return xp.stack(centers, axis=0)


def _initial_params(data, k, init, rng):
    xp = data.xp
    if isinstance(init, str):
        if init == "kmeans++":
            centers = _kmeans_pp_centers(data.seeding_data(rng), k, rng)
        else:  # "random"
            support = np.flatnonzero(data.w_host > 0)
            pick = rng.choice(support, size=k, replace=support.size < k)
            centers = xp.stack([data.unit_row(int(i)) for i in pick], axis=0)
    else:
        centers = init
    one, hard = data.initial_stats(centers)
    # fallback kappa for clusters that came out empty: the single-vMF estimate
    _, _, kap_all, _ = _m_step(data, *one, None, 1.0, None)
    weights, means, kappas, _ = _m_step(data, *hard, centers, float(kap_all[0]), None)
    return weights, means, kappas


def _validate_init(init, k, p, xp):
    if isinstance(init, str):
        if init not in ("kmeans++", "random"):
            raise ValueError(f"`init` must be 'kmeans++', 'random' or a ({k}, {p}) array of "
                             f"mean directions, got {init!r}")
        return init
    means = xp.asarray(init)
    if means.ndim != 2 or tuple(means.shape) != (k, p):
        raise ValueError(f"`init` array must have shape ({k}, {p}), got {tuple(means.shape)}")
    means = xp.astype(means, xp.float64)
    norms = xp.sqrt(xp.sum(means * means, axis=1))
    check_row_norms(norms, "init")
    return means / norms[:, None]


def _run_em(data, k, init, maxiter, rtol, rng, callback):
    weights, means, kappas = _initial_params(data, k, init, rng)
    history = []
    converged = False
    status, message = MAXITER, None
    n_reseeded = 0
    it = 0
    while True:
        with np.errstate(divide="ignore"):
            log_w = np.log(weights)
        ll, step = data.e_step(means, kappas, log_w)
        last = (means, kappas, log_w, step)
        history.append(ll)
        if call_callback(
                callback, nit=it, log_likelihood=ll, weights=weights.copy(), means=means,
                kappas=kappas.copy()):
            status, message = CALLBACK, None
            break
        if it > 0 and abs(ll - history[-2]) <= rtol * max(abs(ll), 1.0):
            converged = True
            status, message = CONVERGED, "converged: relative change of the log-likelihood <= rtol"
            break
        if not math.isfinite(ll):
            status, message = NONFINITE, "the log-likelihood is not finite"
            break
        if it >= maxiter:
            break
        weights, means, kappas, nr = _m_step(data, *step.stats(), None, 1.0, step.worst)
        n_reseeded += nr
        it += 1
    xp = data.xp
    gamma, labels = data.outputs(*last)
    return make_result(
        status, message,
        weights=from_numpy(weights, xp, like=data.x),
        means=means,
        kappas=from_numpy(kappas, xp, like=data.x),
        log_likelihood=ll,
        log_likelihood_history=np.asarray(history),
        responsibilities=gamma,
        labels=labels,
        nit=it,
        converged=converged,
        n_reseeded=n_reseeded,
    )


def fit_vmf_mixture(x, n_components, *, weights=None, init="kmeans++", maxiter=200, rtol=1e-8,
                    n_init=1, rng=None, callback=None):
    r"""Fit a mixture of von Mises-Fisher distributions (movMF) by soft EM.

    The model is :math:`f(x) = \sum_j \pi_j C_p(\kappa_j) \exp(\kappa_j \mu_j^T x)` on
    :math:`S^{p-1}`. Each EM iteration computes the responsibilities in the log domain
    (log-sum-exp over components, so no density is ever formed), then updates
    :math:`\pi_j`, :math:`\mu_j` (normalized weighted resultant) and :math:`\kappa_j` (exact
    root of :math:`A_p(\kappa_j) = \bar R_j`, the same solver as
    :meth:`vonmises_fisher.fit`). Works for any ``p >= 2`` and on every array-API library
    (two ``(n, p) x (p, k)`` products per iteration; the ``k`` kappas are solved on the host).
    On dask arrays each EM iteration is one pass over the data (per-block statistics by the
    NumPy path, gathered once); the parameters come back as NumPy, ``responsibilities`` and
    ``labels`` as lazy dask arrays, and k-means++ seeds on a random subset of the rows.

    Parameters
    ----------
    x : array, shape (n, p)
        Data; rows are renormalized (a zero or non-finite row raises ``ValueError``).
    n_components : int
        Number of components ``k``, ``1 <= k <= n``.
    weights : array, shape (n,), optional
        Non-negative sample weights, of the array library of ``x`` (NumPy weights
        also go with a dask ``x``; any other mix raises ``TypeError``).
    init : {"kmeans++", "random"} or array, shape (k, p)
        Greedy spherical k-means++ seeding (distance ``1 - cos``; candidates drawn with
        probability proportional to weight times distance, the best of 16 by the k-means
        potential kept), ``k`` random data points, or given mean directions. The first
        M-step uses the hard assignment to these centres.
    maxiter : int
        Maximum number of EM iterations (M-steps).
    rtol : float
        Stop when the log-likelihood changes by at most ``rtol * max(|ll|, 1)``.
    n_init : int
        Number of initializations; the result with the highest log-likelihood is returned.
    rng : None, int or numpy.random.Generator
        Randomness of the initialization.
    callback : callable, optional
        ``callback(intermediate_result)`` after each E-step, with ``nit``,
        ``log_likelihood``, ``weights``, ``means``, ``kappas``; raising ``StopIteration``
        stops the fit (status 99).

    Returns
    -------
    res : scipy.optimize.OptimizeResult
        ``weights`` (k,), ``means`` (k, p), ``kappas`` (k,), ``responsibilities`` (n, k)
        and ``labels`` (n,) in the library of ``x``; ``log_likelihood`` (of the returned
        parameters, summed over the weighted points), ``log_likelihood_history`` (one
        value per E-step), ``nit`` (M-steps), ``converged``, ``success``, ``status`` (the
        library's table, :mod:`solvers._result`: 0 converged, 1 ``maxiter`` reached,
        3 non-finite log-likelihood, 99 the callback raised ``StopIteration``), ``message``
        and ``n_reseeded``.

    Raises
    ------
    ValueError
        Bad ``x``, ``weights``, ``n_components``, ``init``, ``maxiter``, ``rtol`` or ``n_init``.

    Notes
    -----
    EM never decreases the log-likelihood, except in an iteration that re-seeds an empty
    component (one with less weight than one average data point): it is moved to the
    worst-explained data point, with the median kappa of the others and weight ``1/k``.
    Banerjee et al. (2005), JMLR 6, "Clustering on the unit hypersphere using von
    Mises-Fisher distributions"; Hornik and Grün (2014), "movMF", J. Stat. Softw. 58.

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.stats import vonmises_fisher, fit_vmf_mixture
    >>> rng = np.random.default_rng(0)
    >>> mus = np.eye(3)
    >>> x = np.concatenate([vonmises_fisher(m, 50.0).rvs(300, rng=rng) for m in mus])
    >>> res = fit_vmf_mixture(x, 3, rng=0)
    >>> res.converged, np.round(np.sort(res.weights), 2)
    (True, array([0.33, 0.33, 0.33]))
    >>> bool(np.all(np.abs(res.kappas / 50.0 - 1) < 0.2))
    True
    """
    x, xp = as_data_matrix(x)
    n, p = x.shape
    if isinstance(n_components, bool) or not isinstance(n_components, numbers.Integral) \
            or not 1 <= n_components <= n:
        raise ValueError(f"`n_components` must be an integer in [1, n={n}], got {n_components!r}")
    k = int(n_components)
    for name, val in (("maxiter", maxiter), ("n_init", n_init)):
        if isinstance(val, bool) or not isinstance(val, numbers.Integral) or val < (name == "n_init"):
            raise ValueError(f"`{name}` must be a non-negative integer (n_init >= 1), got {val!r}")
    if not (isinstance(rtol, numbers.Real) and rtol >= 0):
        raise ValueError(f"`rtol` must be a number >= 0, got {rtol!r}")
    if callback is not None and not callable(callback):
        raise TypeError("`callback` must be callable")
    init = _validate_init(init, k, p, xp)
    w = validate_weights(weights, n, xp)
    data = backend_for(xp).kernel("stats.em_data")(xp, x, w)
    gen = np.random.default_rng(rng)
    best = None
    for _ in range(int(n_init)):
        res = _run_em(data, k, init, int(maxiter), float(rtol), gen, callback)
        if best is None or res.log_likelihood > best.log_likelihood:
            best = res
    return best


def _em_data(xp, x, w):
    """The ``stats.em_data`` kernel for arrays in memory."""
    return _Data(x, xp, w)


def _row_norms_numpy(xp, x):
    return np.sqrt(np.einsum("ij,ij->i", x, x))   # no (n, p) temporary


def _row_norms_generic(xp, x):
    return xp.sqrt(xp.sum(x * x, axis=1))
