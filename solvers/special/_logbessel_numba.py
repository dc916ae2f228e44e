"""Numba kernels of ``log_iv``, ``log_kv`` and ``iv_ratio`` (the NumPy path).

One scalar routine per building block (``@njit``), composed into three
``@vectorize`` ufuncs. The CuPy kernel (``_logbessel_cupy``) is a line-by-line
C transcription of these routines and the generic array-API path
(``_logbessel_generic``) evaluates the same formulas with ``xp.where``.

Algorithms (see the module ``solvers.special._logbessel`` for the references):

- region table of Plesner, Sorensen & Hauberg (2024) with the tightened guards of
  the large-argument branches (``_region``);
- Hankel large-argument expansion with 3 or 20 terms (``_hankel_tail``);
- Debye uniform expansion with 4, 6, 9 or 13 terms (``_debye``), coefficients
  generated in exact rationals by ``_generate_debye.py``;
- power series for log I (``_log_iv_series``);
- Temme's series (x <= 2) or Steed's continued fraction (x > 2) plus a forward
  ratio recurrence for log K (``_log_kv_small``);
- Perron's continued fraction in series form for I_v / I_{v-1} (``_iv_ratio_core``).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, vectorize

from ._coefficients import DEBYE_U, RGAMMA_TAYLOR

_U = np.array(DEBYE_U, dtype=np.float64)
_RG = np.array(RGAMMA_TAYLOR, dtype=np.float64)
_N_RG = _RG.shape[0]

_LOG_2PI = math.log(2.0 * math.pi)
_LOG_PI_2 = math.log(0.5 * math.pi)
_LOG_2_PI = math.log(2.0 / math.pi)
_EPS = 2.220446049250313e-16
_MAX_SERIES = 200
_MAX_STEED = 500
_MAX_PERRON = 1000
_TEMME_MAX_X = 1.5  # Temme's series for x <= this, Steed's CF2 above (measured crossover)

# region codes (priority order of the branch table)
SMALL, HANKEL3, HANKEL20, DEBYE4, DEBYE6, DEBYE9, DEBYE13 = 0, 1, 2, 3, 4, 5, 6
_DEBYE_TERMS = (0, 0, 0, 4, 6, 9, 13)


@njit(cache=True)
def _region(v, x):
    """Branch of the table for v >= 0, 0 < x < inf (first matching row wins)."""
    lx = math.log(x)
    lv = math.log(v) if v > 0.0 else -math.inf
    if (x > 1400.0 and v < 3.05) or (
            0.6229 * lx - 3.2318 > lv and v > 3.1 and v * v < 0.002 * x):
        return HANKEL3
    if (x > 30.0 and v < 15.3919) or (
            0.5113 * lx + 0.7939 > lv and x > 59.6925 and v * v < 2.0 * x):
        return HANKEL20
    if (x > 274.2377 and v > 0.3) or v > 163.6993:
        return DEBYE4
    if (x > 84.4153 and v > 0.46) or v > 56.9971:
        return DEBYE6
    if (x > 35.9074 and v > 0.6) or v > 20.1534:
        return DEBYE9
    if (x > 19.6931 and v > 0.7) or v > 12.6964:
        return DEBYE13
    return SMALL


@njit(cache=True)
def _hankel_tail(v, x, nterms, sign):
    """sum_{k=1..nterms} c_k of the Hankel expansion; sign -1 for I, +1 for K."""
    mu = 4.0 * v * v
    c = 1.0
    s = 0.0
    for k in range(1, nterms + 1):
        odd = 2.0 * k - 1.0
        c *= sign * (mu - odd * odd) / (8.0 * k * x)
        s += c
    return s


@njit(cache=True)
def _debye(v, x, nterms, sign):
    """Debye pieces for v > 0: returns (v*eta, -1/4 log1p(z^2), log1p(sum u_k(t) (sign/v)^k))."""
    z = x / v
    if z < 1e150:
        r = math.sqrt(1.0 + z * z)
        quarter = -0.25 * math.log1p(z * z)
    else:
        r = z
        quarter = -0.5 * math.log(z)
    if z > 1e-280:
        eta = r + math.log(z / (1.0 + r))
    else:
        eta = r + (math.log(x) - math.log(v)) - math.log1p(r)
    t = 1.0 / r
    t2 = t * t
    w = sign * t / v
    s = 0.0
    for k in range(nterms, 0, -1):
        p = 0.0
        for j in range(k, -1, -1):
            p = p * t2 + _U[k - 1, j]
        s = (s + p) * w
    return v * eta, quarter, math.log1p(s)


@njit(cache=True)
def _log_iv_series(v, x):
    """Power series (DLMF 10.25.2), summed in linear space."""
    q = 0.25 * x * x
    r = 1.0
    s = 1.0
    for k in range(1, _MAX_SERIES):
        r *= q / (k * (k + v))
        s += r
        if r < 0.5 * _EPS * s:
            break
    return _log_series_prefactor(v, x) + math.log(s)


@njit(cache=True)
def _log_iv_pos(v, x):
    """log I_v(x) for v >= 0, 0 < x < inf."""
    reg = _region(v, x)
    if reg == SMALL:
        return _log_iv_series(v, x)
    if reg == HANKEL3 or reg == HANKEL20:
        n = 3 if reg == HANKEL3 else 20
        tail = _hankel_tail(v, x, n, -1.0)
        return x - 0.5 * (_LOG_2PI + math.log(x)) + math.log1p(tail)
    veta, quarter, lsum = _debye(v, x, _DEBYE_TERMS[reg], 1.0)
    return -0.5 * (_LOG_2PI + math.log(v)) + veta + quarter + lsum


@njit(cache=True)
def _rgamma_parts(mu):
    """(even, odd) with 1/Gamma(1 +- mu) = even +- mu*odd (|mu| <= 1/2)."""
    mu2 = mu * mu
    even = 0.0
    odd = 0.0
    for k in range(_N_RG - 1, -1, -1):
        if k % 2 == 0:
            even = even * mu2 + _RG[k]
        else:
            odd = odd * mu2 + _RG[k]
    return even, odd


@njit(cache=True)
def _log_series_prefactor(v, x):
    """log((x/2)^v / Gamma(1 + v)) for 0 <= v <= ~13, without lgamma cancellation.

    With v = n + mu, |mu| <= 1/2: (x/2)^mu / Gamma(1 + mu) * prod_i (x/2) / (mu + i).
    """
    n = int(math.floor(v + 0.5))
    mu = v - n
    even, odd = _rgamma_parts(mu)
    h = 0.5 * x
    hp = 1.0
    q = 1.0
    for i in range(1, n + 1):
        hp *= h
        q *= mu + i
    if h >= 1e-20:
        return mu * math.log(h) + math.log(hp * (even + mu * odd) / q)
    return v * math.log(h) + math.log((even + mu * odd) / q)


@njit(cache=True)
def _temme(mu, x):
    """Temme's series for x <= 2, |mu| <= 1/2: (log K_mu(x), x K_{mu+1}(x) / K_mu(x))."""
    even, odd = _rgamma_parts(mu)
    gampl = even + mu * odd  # 1 / Gamma(1 + mu)
    gammi = even - mu * odd  # 1 / Gamma(1 - mu)
    gam1 = -odd  # (1/Gamma(1-mu) - 1/Gamma(1+mu)) / (2 mu)
    gam2 = even  # (1/Gamma(1-mu) + 1/Gamma(1+mu)) / 2
    x2 = 0.5 * x
    pimu = math.pi * mu
    fact = 1.0 if abs(pimu) < 1e-9 else pimu / math.sin(pimu)
    d = -math.log(x2)
    e = mu * d
    fact2 = 1.0 if abs(e) < 1e-9 else math.sinh(e) / e
    ff = fact * (gam1 * math.cosh(e) + gam2 * fact2 * d)
    s = ff
    e = math.exp(e)
    p = 0.5 * e / gampl
    q = 0.5 / (e * gammi)
    c = 1.0
    dd = x2 * x2
    s1 = p
    for i in range(1, _MAX_SERIES):
        fi = float(i)
        ff = (fi * ff + p + q) / (fi * fi - mu * mu)
        c *= dd / fi
        p /= fi - mu
        q /= fi + mu
        term = c * ff
        s += term
        s1 += c * (p - fi * ff)
        if abs(term) < 0.5 * _EPS * abs(s):
            break
    return math.log(s), 2.0 * s1 / s


@njit(cache=True)
def _steed(mu, x):
    """Steed's CF2 for x > 2, |mu| <= 1/2: (log K_mu(x), x K_{mu+1}(x) / K_mu(x))."""
    b = 2.0 * (1.0 + x)
    d = 1.0 / b
    h = d
    delh = d
    q1 = 0.0
    q2 = 1.0
    a1 = 0.25 - mu * mu
    q = a1
    c = a1
    a = -a1
    s = 1.0 + q * delh
    for i in range(2, _MAX_STEED):
        a -= 2.0 * (i - 1)
        c = -a * c / i
        qnew = (q1 - b * q2) / a
        q1 = q2
        q2 = qnew
        q += c * qnew
        b += 2.0
        d = 1.0 / (b + a * d)
        delh = (b * d - 1.0) * delh
        h += delh
        dels = q * delh
        s += dels
        if abs(dels) < 0.5 * _EPS * abs(s):
            break
    h = a1 * h
    return 0.5 * (_LOG_PI_2 - math.log(x)) - x - math.log(s), mu + x + 0.5 - h


@njit(cache=True)
def _log_kv_small(v, x):
    """log K_v(x) for 0 <= v <= ~13, 0 < x <= 30: Temme / Steed + ratio recurrence."""
    n = int(math.floor(v + 0.5))
    mu = v - n
    if x <= _TEMME_MAX_X:
        logk, sigma = _temme(mu, x)
    else:
        logk, sigma = _steed(mu, x)
    # sigma_nu = x K_{nu+1} / K_nu obeys sigma_nu = 2 nu + x^2 / sigma_{nu-1}
    prod = 1.0
    nu = mu
    for _ in range(n):
        prod *= sigma
        nu += 1.0
        sigma = 2.0 * nu + x * x / sigma
    return logk + math.log(prod) - n * math.log(x)


@njit(cache=True)
def _log_kv_pos(v, x):
    """log K_v(x) for v >= 0, 0 < x < inf."""
    reg = _region(v, x)
    if reg == SMALL:
        return _log_kv_small(v, x)
    if reg == HANKEL3 or reg == HANKEL20:
        n = 3 if reg == HANKEL3 else 20
        tail = _hankel_tail(v, x, n, 1.0)
        return 0.5 * (_LOG_PI_2 - math.log(x)) - x + math.log1p(tail)
    veta, quarter, lsum = _debye(v, x, _DEBYE_TERMS[reg], -1.0)
    return 0.5 * (_LOG_PI_2 - math.log(v)) - veta + quarter + lsum


@njit(cache=True)
def _sinpi(a):
    """sin(pi a) for a >= 0 with exact argument reduction."""
    r = a - 2.0 * math.floor(0.5 * a)  # exact
    if r <= 0.5:
        return math.sin(math.pi * r)
    if r <= 1.5:
        return math.sin(math.pi * (1.0 - r))
    return -math.sin(math.pi * (2.0 - r))


@njit(cache=True)
def log_iv_scalar(v, x):
    if math.isnan(v) or math.isnan(x) or x < 0.0:
        return math.nan
    a = abs(v)
    if math.isinf(a):
        return math.nan
    if x == 0.0:
        if v == 0.0:
            return 0.0
        if v > 0.0 or a == math.floor(a):
            return -math.inf
        # I_{-a}(x) ~ (x/2)^(-a) / Gamma(1 - a): +inf or -inf by the sign of Gamma(1 - a)
        return math.inf if math.floor(a) % 2.0 == 0.0 else math.nan
    if math.isinf(x):
        return math.inf
    li = _log_iv_pos(a, x)
    if v >= 0.0 or a == math.floor(a):
        return li
    # I_{-a} = I_a + (2/pi) sin(a pi) K_a  (DLMF 10.27.2)
    s = _sinpi(a)
    lk = _LOG_2_PI + math.log(abs(s)) + _log_kv_pos(a, x)
    if s > 0.0:
        m = max(li, lk)
        return m + math.log1p(math.exp(-abs(li - lk)))
    if lk > li:
        return math.nan
    if lk == li:
        return -math.inf
    return li + math.log1p(-math.exp(lk - li))


@njit(cache=True)
def log_kv_scalar(v, x):
    if math.isnan(v) or math.isnan(x) or x < 0.0:
        return math.nan
    a = abs(v)
    if math.isinf(a):
        return math.nan
    if x == 0.0:
        return math.inf
    if math.isinf(x):
        return -math.inf
    return _log_kv_pos(a, x)


@njit(cache=True)
def iv_ratio_scalar(v, x, complement):
    """I_v(x)/I_{v-1}(x) (or 1 minus it) for v >= 1/2, x >= 0."""
    if math.isnan(v) or math.isnan(x) or v < 0.5 or x < 0.0:
        return math.nan
    if x == 0.0 or math.isinf(v):
        return 1.0 if complement else 0.0
    if math.isinf(x):
        return 0.0 if complement else 1.0
    if v == 0.5:
        if complement:
            e = math.exp(-2.0 * x)
            return 2.0 * e / (1.0 + e)
        return math.tanh(x)
    # Perron's continued fraction, rescaled by c = 2^(2 - exponent(max(v, x))):
    #   R = xc / (xc + fc),  fc = 2vc + a_1/(b_1 + a_2/(b_2 + ...)),
    #   a_k = -(2vc + (2k-1)c) xc,  b_k = 2(vc + xc) + k c,
    # summed in series form (Gautschi-Slavik) with Kahan compensation.
    e = math.frexp(max(v, x))[1]
    c = math.ldexp(1.0, 2 - e)
    vc = v * c
    xc = x * c
    b_prev = 2.0 * (vc + xc) + c
    term = -(2.0 * vc + c) * xc / b_prev
    u = 1.0
    s = 2.0 * vc
    comp = 0.0
    for k in range(2, _MAX_PERRON):
        y = term - comp
        tot = s + y
        comp = (tot - s) - y
        s = tot
        a = -(2.0 * vc + (2.0 * k - 1.0) * c) * xc
        b = 2.0 * (vc + xc) + k * c
        u = 1.0 / (1.0 + a * u / (b * b_prev))
        term *= u - 1.0
        b_prev = b
        if abs(term) < 0.5 * _EPS * abs(s):
            break
    s += term - comp
    if complement:
        return s / (xc + s)
    return xc / (xc + s)


@vectorize(["float64(float64, float64)"], nopython=True, cache=True)
def log_iv_ufunc(v, x):
    return log_iv_scalar(v, x)


@vectorize(["float64(float64, float64)"], nopython=True, cache=True)
def log_kv_ufunc(v, x):
    return log_kv_scalar(v, x)


@vectorize(["float64(float64, float64)"], nopython=True, cache=True)
def iv_ratio_ufunc(v, x):
    return iv_ratio_scalar(v, x, False)


@vectorize(["float64(float64, float64)"], nopython=True, cache=True)
def iv_ratio_c_ufunc(v, x):
    return iv_ratio_scalar(v, x, True)
