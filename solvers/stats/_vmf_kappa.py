"""Mean resultant length A_p(kappa), its complement and derivative, the exact kappa solver,
and the log normalizer log C_p(kappa) of the von Mises-Fisher distribution.

Notation: ``p`` is the ambient dimension (the sphere is S^{p-1}), ``v = p/2`` and

    A_p(kappa) = I_{p/2}(kappa) / I_{p/2-1}(kappa)      (``iv_ratio(p/2, kappa)``)
    log C_p(kappa) = (p/2-1) log kappa - (p/2) log(2 pi) - log I_{p/2-1}(kappa).

The parameter-space helpers here work on small host (NumPy) arrays: one value per
distribution or mixture component. Data-sized work lives in ``_vmf.py`` / ``_vmf_mixture.py``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import gammaln, ive

from solvers._array_api import array_namespace, from_numpy, to_numpy
from solvers.special import iv_ratio, log_iv

__all__ = [
    "mean_resultant_and_complement",
    "mean_resultant_derivative",
    "kappa_from_mean_resultant",
    "log_normalizer",
    "log_normalizer_plus_kappa",
    "log_inverse_sphere_area",
]

_MAX_NEWTON = 100
_STEP_TOL = 1e-11


def log_inverse_sphere_area(p):
    """log of 1/|S^{p-1}| = log Gamma(p/2) - log 2 - (p/2) log(pi), on host floats."""
    p = np.asarray(p, dtype=np.float64)
    return gammaln(p / 2) - math.log(2.0) - (p / 2) * math.log(math.pi)


def mean_resultant_and_complement(p, kappa):
    """``(A, C)`` with ``A = A_p(kappa)`` and ``C = 1 - A``, both to full relative accuracy.

    ``A`` comes from :func:`solvers.special.iv_ratio` where it is at most 1/2; where it is
    larger, the complement comes directly from ``iv_ratio(p/2, kappa, complement=True)``
    (accurate for ``v = p/2 >= 1``) so that ``C`` keeps relative accuracy as
    ``kappa/p -> inf`` (``C ~ (p-1)/(2 kappa)``), where ``1 - iv_ratio`` would lose it.
    Host NumPy float64 arrays in, arrays out (broadcast). ``kappa = inf`` gives ``(1, 0)``.
    """
    p = np.asarray(p, dtype=np.float64)
    kappa = np.asarray(kappa, dtype=np.float64)
    p, kappa = np.broadcast_arrays(p, kappa)
    v = p / 2
    finite = np.isfinite(kappa)
    k_safe = np.where(finite, kappa, 1.0)
    a = np.asarray(iv_ratio(v, k_safe), dtype=np.float64)
    c_cf = np.asarray(iv_ratio(v, k_safe, complement=True), dtype=np.float64)
    big = a > 0.5
    A = np.where(big, 1.0 - c_cf, a)
    C = np.where(big, c_cf, 1.0 - a)
    A = np.where(finite, A, 1.0)
    C = np.where(finite, C, 0.0)
    return A, C


def mean_resultant_derivative(p, kappa, A=None, C=None):
    """``A_p'(kappa) = 1 - A^2 - (p-1) A/kappa``, evaluated as ``C (1 + A) - (p-1) A/kappa``.

    ``A'(0) = 1/p``. The Fisher information of kappa per observation is ``A_p'(kappa)``.
    """
    p = np.asarray(p, dtype=np.float64)
    kappa = np.asarray(kappa, dtype=np.float64)
    if A is None or C is None:
        A, C = mean_resultant_and_complement(p, kappa)
    with np.errstate(divide="ignore", invalid="ignore"):
        d = C * (1.0 + A) - (p - 1.0) * A / kappa
    return np.where(kappa == 0, 1.0 / p, d)


def _amos_bracket(v, r, c):
    """Bracket ``[lo, hi]`` for the root of ``A_p(kappa) = r`` from Amos' (1974) bounds.

    ``x / (v-1/2 + sqrt(x^2+(v+1/2)^2)) <= I_v/I_{v-1}(x) <= x / (v-1 + sqrt(x^2+(v+1)^2))``;
    each bound ``r = x/(a + sqrt(x^2+b^2))`` inverts to
    ``x = r (a + sqrt(r^2 a^2 + (1-r^2) b^2)) / (1-r^2)``. ``c = 1 - r`` keeps ``1 - r^2``
    accurate when ``r -> 1``.
    """
    one_m_r2 = c * (1.0 + r)

    def invert(a, b):
        return r * (a + np.sqrt((r * a) ** 2 + one_m_r2 * b * b)) / one_m_r2

    lo = invert(v - 1.0, v + 1.0)
    hi = invert(v - 0.5, v + 0.5)
    # a little slack against rounding in the bounds themselves
    return lo * (1 - 1e-9), hi * (1 + 1e-9)


def kappa_from_mean_resultant(p, rbar, rbar_c=None, *, return_info=False):
    """Solve ``A_p(kappa) = rbar`` for kappa (the vMF maximum-likelihood concentration).

    Parameters
    ----------
    p : int or array_like
        Dimension(s), ``p >= 2``.
    rbar : float or array_like
        Mean resultant length(s) in ``[0, 1]``.
    rbar_c : float or array_like, optional
        ``1 - rbar`` computed accurately by the caller; used when ``rbar > 1/2`` so the
        solution keeps relative accuracy as ``rbar -> 1``. Defaults to ``1 - rbar``.
    return_info : bool
        Also return ``(n_iter, converged)`` arrays.

    Returns
    -------
    kappa : ndarray
        ``0`` where ``rbar == 0`` and ``inf`` where ``rbar_c == 0``.

    Notes
    -----
    Safeguarded Newton in ``u = log kappa`` on ``log A_p(e^u) - log rbar`` (``rbar <= 1/2``)
    or ``log(1 - A_p(e^u)) - log(1 - rbar)`` (``rbar > 1/2``). Both functions have slope
    close to 1 at both ends (``A ~ kappa/p`` as ``kappa -> 0``, ``1 - A ~ (p-1)/(2 kappa)``
    as ``kappa -> inf``), so the iteration is well conditioned everywhere. It starts from
    Banerjee et al.'s (2005) estimate ``rbar (p - rbar^2)/(1 - rbar^2)`` clipped into the
    bracket from Amos' bounds, and falls back to bisection (in ``u``) when a Newton step
    leaves the bracket. It stops after a Newton step below ``1e-11`` in ``u`` (the error
    left is then O(1e-22), far below the rounding of A_p itself).
    """
    p = np.asarray(p, dtype=np.float64)
    rbar = np.asarray(rbar, dtype=np.float64)
    if rbar_c is None:
        rbar_c = 1.0 - rbar
    rbar_c = np.asarray(rbar_c, dtype=np.float64)
    p, rbar, rbar_c = (np.array(a, dtype=np.float64) for a in np.broadcast_arrays(p, rbar, rbar_c))
    shape = p.shape
    p, rbar, rbar_c = p.ravel(), rbar.ravel(), rbar_c.ravel()
    kappa = np.full(p.shape, np.nan)
    kappa[rbar == 0] = 0.0
    kappa[(rbar_c == 0) & (rbar > 0)] = np.inf
    n_iter = np.zeros(p.shape, dtype=np.int64)
    converged = ~np.isnan(kappa)
    todo = np.flatnonzero((rbar > 0) & (rbar_c > 0) & (p >= 2))
    if todo.size:
        pt, r, c = p[todo], rbar[todo], rbar_c[todo]
        v = pt / 2
        lo, hi = _amos_bracket(v, r, c)
        ulo, uhi = np.log(lo), np.log(hi)
        banerjee = r * (pt - r * r) / (c * (1.0 + r))
        u = np.clip(np.log(banerjee), ulo, uhi)
        upper_branch = r > 0.5
        log_target = np.where(upper_branch, np.log(c), np.log(r))
        done = np.zeros(todo.size, dtype=bool)
        its = np.zeros(todo.size, dtype=np.int64)
        for _ in range(_MAX_NEWTON):
            act = ~done
            k = np.exp(u[act])
            A, C = mean_resultant_and_complement(pt[act], k)
            dA = mean_resultant_derivative(pt[act], k, A, C)
            ub = upper_branch[act]
            # g increasing in u on both branches
            g = np.where(ub, log_target[act] - np.log(C), np.log(A) - log_target[act])
            dg = np.where(ub, k * dA / C, k * dA / A)
            ua, la, ha = u[act], ulo[act], uhi[act]
            la = np.where(g < 0, ua, la)
            ha = np.where(g > 0, ua, ha)
            with np.errstate(divide="ignore", invalid="ignore"):
                step = g / dg
            u_new = ua - step
            # a Newton step this small leaves an error O(step^2): accept it and stop
            finished = (g == 0) | (np.abs(step) <= _STEP_TOL * np.maximum(1.0, np.abs(ua)))
            bad = ~np.isfinite(u_new) | (dg <= 0) | (u_new <= la) | (u_new >= ha)
            bad &= ~finished
            u_new = np.where(bad, 0.5 * (la + ha), u_new)
            finished |= (ha - la) <= 4e-16 * np.maximum(1.0, np.abs(ua))
            u[act] = np.where(g == 0, ua, u_new)
            ulo[act], uhi[act] = la, ha
            its[act] += 1
            done[np.flatnonzero(act)[finished]] = True
            if done.all():
                break
        kappa[todo] = np.exp(u)
        n_iter[todo] = its
        converged[todo] = done
    kappa = kappa.reshape(shape)
    if return_info:
        return kappa, n_iter.reshape(shape), converged.reshape(shape)
    return kappa


def log_normalizer(p, kappa, xp=None):
    """log C_p(kappa) elementwise in namespace ``xp`` (``p`` a host int/array, ``kappa`` xp).

    For ``kappa^2 <= 4 (p/2)`` it uses ``log C = -log|S^{p-1}| - log 0F1(; p/2; kappa^2/4)``
    with the hypergeometric series summed directly (terms fall at least like 1/k!), which is
    exact at ``kappa = 0`` and avoids cancelling ``(p/2-1) log kappa`` against
    ``log I_{p/2-1}(kappa)``; above that it uses :func:`solvers.special.log_iv`.
    """
    if xp is None:
        xp = array_namespace(kappa)
    kappa = xp.asarray(kappa, dtype=xp.float64)
    p_host = np.asarray(to_numpy(p), dtype=np.float64)
    like = kappa
    p_arr = from_numpy(p_host, xp, like=like)
    log_area_inv = from_numpy(np.asarray(log_inverse_sphere_area(p_host)), xp, like=like)
    nu = p_arr / 2 - 1
    z = kappa * kappa / 4
    small = z <= (nu + 1)
    # series branch
    zs = xp.where(small, z, xp.zeros_like(z))
    term = xp.ones_like(zs)
    total = xp.zeros_like(zs)
    for k in range(1, 31):
        term = term * zs / (k * (nu + k))
        total = total + term
    series = log_area_inv - xp.log1p(total)
    # log-Bessel branch
    kb = xp.where(small, xp.ones_like(kappa), kappa)
    nu_b = nu + xp.zeros_like(kb)
    large = nu * xp.log(kb) - (p_arr / 2) * math.log(2 * math.pi) - log_iv(nu_b, kb)
    return xp.where(small, series, large)


def log_normalizer_plus_kappa(p, kappa):
    """``log C_p(kappa) + kappa`` for one dimension ``p`` and a finite ``kappa >= 0`` (host).

    The constant of the scaled log density ``kappa (mu.x - 1) + (log C_p(kappa) + kappa)``.
    Where :func:`log_normalizer` takes ``log I_{p/2-1}(kappa)``, this takes the log of the
    exponentially scaled ``ive = I e^{-kappa}`` directly (SciPy's ``ive``, relative error
    ~1e-15), so the two terms of size ``kappa`` never cancel: at ``p = 5, kappa = 2000``
    ``log I - kappa`` alone loses ~1e-13. Where ``ive`` leaves the normal range
    (``nu^2 / kappa`` beyond ~1400) the other terms are far larger than ``kappa`` and
    ``log_iv - kappa`` is accurate relative to them.
    """
    p, kappa = float(p), float(kappa)
    nu = p / 2 - 1
    if kappa * kappa / 4 <= nu + 1:   # the series branch of log_normalizer: no large terms
        return float(log_normalizer(p, np.asarray(kappa), array_namespace(1.0))) + kappa
    scaled = float(ive(nu, kappa))
    if 1e-300 < scaled < math.inf:
        log_ive = math.log(scaled)
    else:
        log_ive = float(log_iv(nu, kappa)) - kappa
    return nu * math.log(kappa) - (p / 2) * math.log(2 * math.pi) - log_ive
