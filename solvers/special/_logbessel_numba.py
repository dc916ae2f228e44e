"""Scalar Numba kernels of ``log_iv``, ``log_kv`` and ``iv_ratio``: the reference.

The NumPy path (``_logbessel_sorted``) evaluates these formulas in region-sorted, vectorized
kernels and calls these routines for its special points; it is checked against these ufuncs
in ``tests/special``, and the CUDA source of ``_logbessel_cupy`` bit for bit.

One scalar routine per building block (``@njit``), composed into three
``@vectorize`` ufuncs. The CuPy kernel (``_logbessel_cupy``) is a line-by-line
C transcription of these routines and the generic array-API path
(``_logbessel_generic``) evaluates the same formulas with ``xp.where``.

Algorithms (see the module ``solvers.special._logbessel`` for the references):

- region table of Plesner, Sorensen & Hauberg (2024) with the tightened guards of
  the large-argument branches (``_region``);
- Hankel large-argument expansion with 3 or 20 terms (``_hankel``);
- Debye uniform expansion with 4, 6, 9 or 13 terms (``_debye``), coefficients
  generated in exact rationals by ``_generate_debye.py``; v*eta from a Taylor
  series about the zero of eta, with x/v in double-double, near that zero
  (``_v_eta``);
- power series for log I (``_log_iv_series``);
- Temme's series (x <= 2) or Steed's continued fraction (x > 2) plus a
  division-free forward recurrence for log K (``_log_kv_small``);
- Perron's continued fraction in series form for I_v / I_{v-1} (``_iv_ratio_core``).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, vectorize

from ._coefficients import (
    DEBYE_U, ETA_TAYLOR, ETA_TAYLOR_RADIUS, ETA_Z0_HI, ETA_Z0_LO, RGAMMA_TAYLOR,
)
from ._constants import (
    D4_V, D4_W, D4_X, D6_V, D6_W, D6_X, D9_V, D9_W, D9_X, D13_V, D13_W, D13_X,
    DEBYE4, DEBYE6, DEBYE9, DEBYE13, DEBYE_TERMS, EPS, H3_A, H3_B, H3_C, H3_V, H3_V2, H3_X,
    H20_A, H20_B, H20_C, H20_V, H20_X, H20_X2, HANKEL3, HANKEL20, INV_K, LOG_2_PI, MAX_PERRON,
    MAX_SERIES, MAX_STEED, SMALL, SPLIT, SQRT_2PI, SQRT_PI_2, TEMME_MAX_X,
)

_U = np.array(DEBYE_U, dtype=np.float64)
_RG = np.array(RGAMMA_TAYLOR, dtype=np.float64)
_N_RG = _RG.shape[0]
_ETA = np.array(ETA_TAYLOR, dtype=np.float64)
_N_ETA = _ETA.shape[0]
_INV_K = np.array(INV_K)  # 1/k for the Hankel terms
# every other constant and the branch table's thresholds: ``_constants`` (the one source)
_SQRT_2PI, _SQRT_PI_2, _SPLIT, _LOG_2_PI, _EPS = SQRT_2PI, SQRT_PI_2, SPLIT, LOG_2_PI, EPS
_MAX_SERIES, _MAX_STEED, _MAX_PERRON = MAX_SERIES, MAX_STEED, MAX_PERRON
_TEMME_MAX_X, _DEBYE_TERMS = TEMME_MAX_X, DEBYE_TERMS


@njit(cache=True, error_model="numpy")
def _region(v, x):
    """Branch of the table for v >= 0, 0 < x < inf (first matching row wins).

    The cheap comparisons of each clause come first, so the logarithms are
    only taken for points near the large-argument boundary curves.
    """
    if x > H3_X and v < H3_V:
        return HANKEL3
    if v > H3_V2 and v * v < H3_C * x and H3_A * math.log(x) + H3_B > math.log(v):
        return HANKEL3
    if x > H20_X and v < H20_V:
        return HANKEL20
    if (x > H20_X2 and v > 0.0 and v * v < H20_C * x
            and H20_A * math.log(x) + H20_B > math.log(v)):
        return HANKEL20
    if (x > D4_X and v > D4_V) or v > D4_W:
        return DEBYE4
    if (x > D6_X and v > D6_V) or v > D6_W:
        return DEBYE6
    if (x > D9_X and v > D9_V) or v > D9_W:
        return DEBYE9
    if (x > D13_X and v > D13_V) or v > D13_W:
        return DEBYE13
    return SMALL


@njit(cache=True, error_model="numpy")
def _hankel(v, x, nterms, sign):
    """Hankel expansion with nterms terms: log I (sign -1) or log K (sign +1) minus -+x."""
    mu = 4.0 * v * v
    step = sign / (8.0 * x)
    c = 1.0
    s = 1.0
    for k in range(1, nterms + 1):
        odd = 2.0 * k - 1.0
        c *= (mu - odd * odd) * step * _INV_K[k]
        s += c
        if abs(c) < 0.25 * _EPS:  # later terms no longer change s (large x)
            break
    if sign < 0.0:
        return math.log(s / (_SQRT_2PI * math.sqrt(x)))
    return math.log(s * _SQRT_PI_2 / math.sqrt(x))


@njit(cache=True, error_model="numpy")
def _product_error(a, b, p):
    """a*b - p exactly, for p = fl(a*b) (Dekker's two-product without FMA)."""
    c = _SPLIT * a
    ah = c - (c - a)
    al = a - ah
    c = _SPLIT * b
    bh = c - (c - b)
    bl = b - bh
    return ((ah * bh - p) + ah * bl + al * bh) + al * bl


@njit(cache=True, error_model="numpy")
def _v_eta(v, x, z, r):
    """v * eta with eta = r + log(z / (1 + r)), z = x / v, r = sqrt(1 + z^2).

    Near the zero z0 of eta the direct formula cancels (absolute error ~eps*v);
    there eta comes from its Taylor series in w = z - z0, with z = x/v and z0
    carried as double-doubles, so the error stays ~eps*|v*eta|.
    """
    w_hi = z - ETA_Z0_HI
    if abs(w_hi) < ETA_TAYLOR_RADIUS and v < 1e290:
        p = z * v
        z_lo = ((x - p) - _product_error(z, v, p)) / v
        w = w_hi + (z_lo - ETA_Z0_LO)
        eta = 0.0
        for k in range(_N_ETA - 1, -1, -1):
            eta = eta * w + _ETA[k]
        return v * (eta * w)
    if z > 1e-280:
        return v * (r + math.log(z / (1.0 + r)))
    return v * (r + (math.log(x) - math.log(v)) - math.log1p(r))


@njit(cache=True, error_model="numpy")
def _debye(v, x, nterms, sign):
    """Debye expansion for v > 0 with nterms terms: returns (v*eta, rest) with
    log I = v*eta + rest (sign +1) and log K = -v*eta + rest (sign -1)."""
    z = x / v
    r = math.sqrt(1.0 + z * z) if z < 1e150 else z
    w0 = 1.0 / (r * v)  # t / v with t = 1 / r
    t = v * w0
    t2 = t * t
    w = sign * w0
    s = 0.0
    for k in range(nterms, 0, -1):
        p = 0.0
        for j in range(k, -1, -1):
            p = p * t2 + _U[k - 1, j]
        s = (s + p) * w
    # -1/2 log(2 pi v) - 1/4 log(1 + z^2) + log(1 + s)   (I)
    #  1/2 log(pi/(2v)) - 1/4 log(1 + z^2) + log(1 + s)  (K)
    scale = (1.0 / _SQRT_2PI) if sign > 0.0 else _SQRT_PI_2
    rest = math.log((1.0 + s) * scale * math.sqrt(w0))  # w0 = 1 / (v sqrt(1 + z^2))
    return _v_eta(v, x, z, r), rest


@njit(cache=True, error_model="numpy")
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
    return _log_series_prefactor(v, x, s)


@njit(cache=True, error_model="numpy")
def _log_iv_pos(v, x):
    """log I_v(x) for v >= 0, 0 < x < inf."""
    reg = _region(v, x)
    if reg == SMALL:
        return _log_iv_series(v, x)
    if reg == HANKEL3 or reg == HANKEL20:
        return x + _hankel(v, x, 3 if reg == HANKEL3 else 20, -1.0)
    veta, rest = _debye(v, x, _DEBYE_TERMS[reg], 1.0)
    return veta + rest


@njit(cache=True, error_model="numpy")
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


@njit(cache=True, error_model="numpy")
def _log_series_prefactor(v, x, s):
    """log(s (x/2)^v / Gamma(1 + v)) for 0 <= v <= ~13, without lgamma cancellation.

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
        return mu * math.log(h) + math.log(hp * (even + mu * odd) * s / q)
    return v * math.log(h) + math.log((even + mu * odd) * s / q)


@njit(cache=True, error_model="numpy")
def _temme(mu, x):
    """Temme's series for x <= 2, |mu| <= 1/2: (K_mu(x), 0, x K_{mu+1}(x) / K_mu(x))."""
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
    # sinh(e)/e, cosh(e) and exp(e) from one expm1(|e|) (accurate for small |e| too)
    ae = abs(e)
    em = math.expm1(ae)
    ea = 1.0 + em  # exp(|e|)
    fact2 = 1.0 if ae == 0.0 else 0.5 * em * (1.0 + 1.0 / ea) / ae
    ff = fact * (gam1 * 0.5 * (ea + 1.0 / ea) + gam2 * fact2 * d)
    s = ff
    ee = ea if e >= 0.0 else 1.0 / ea  # exp(e)
    p = 0.5 * ee / gampl
    q = 0.5 / (ee * gammi)
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
    return s, 0.0, 2.0 * s1 / s


@njit(cache=True, error_model="numpy")
def _steed(mu, x):
    """Steed's CF2 for x > 2, |mu| <= 1/2: (K_mu(x) e^x, -x, x K_{mu+1}(x) / K_mu(x))."""
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
    return _SQRT_PI_2 / (math.sqrt(x) * s), -x, mu + x + 0.5 - h


@njit(cache=True, error_model="numpy")
def _log_kv_small(v, x):
    """log K_v(x) for 0 <= v <= ~13, 0 < x <= 30: Temme / Steed + ratio recurrence."""
    n = int(math.floor(v + 0.5))
    mu = v - n
    # K_mu = lin * e^expo
    if mu == -0.5:  # half-integer order: K_{-1/2}(x) = K_{1/2}(x) = sqrt(pi/(2x)) e^{-x}
        lin, expo, sigma = _SQRT_PI_2 / math.sqrt(x), -x, x
    elif x <= _TEMME_MAX_X:
        lin, expo, sigma = _temme(mu, x)
    else:
        lin, expo, sigma = _steed(mu, x)
    # Forward recurrence K_{nu+1} = K_{nu-1} + (2 nu / x) K_nu on the scaled, positive
    # P_i = x^(i+1) K_{mu+i+1} / K_mu:  P_i = 2 (mu + i) P_{i-1} + x^2 P_{i-2},
    # P_{-1} = 1, P_0 = sigma; then K_{mu+n} = K_mu P_{n-1} / x^n (no division, no overflow).
    x2 = x * x
    p_prev = 1.0
    p = 1.0
    xn = 1.0
    if n > 0:
        p = sigma
        xn = x
    for i in range(1, n):
        p, p_prev = 2.0 * (mu + i) * p + x2 * p_prev, p
        xn *= x
    if x >= 1e-20:  # one logarithm of the product (the same on every path up to libm's log)
        return expo + math.log(lin * p / xn)
    return expo + math.log(lin) + math.log(p) - n * math.log(x)


@njit(cache=True, error_model="numpy")
def _log_kv_pos(v, x):
    """log K_v(x) for v >= 0, 0 < x < inf."""
    reg = _region(v, x)
    if reg == SMALL:
        return _log_kv_small(v, x)
    if reg == HANKEL3 or reg == HANKEL20:
        return _hankel(v, x, 3 if reg == HANKEL3 else 20, 1.0) - x
    veta, rest = _debye(v, x, _DEBYE_TERMS[reg], -1.0)
    return rest - veta


@njit(cache=True, error_model="numpy")
def _sinpi(a):
    """sin(pi a) for a >= 0 with exact argument reduction."""
    r = a - 2.0 * math.floor(0.5 * a)  # exact
    if r <= 0.5:
        return math.sin(math.pi * r)
    if r <= 1.5:
        return math.sin(math.pi * (1.0 - r))
    return -math.sin(math.pi * (2.0 - r))


@njit(cache=True, error_model="numpy")
def _nan_input(v, x):
    """NaN in either input, x < 0 or an infinite order: the result is NaN."""
    return math.isnan(v) or math.isnan(x) or x < 0.0 or math.isinf(v)


@njit(cache=True, error_model="numpy")
def log_iv_scalar(v, x):
    if _nan_input(v, x):
        return math.nan
    a = abs(v)
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


@njit(cache=True, error_model="numpy")
def log_kv_scalar(v, x):
    if _nan_input(v, x):
        return math.nan
    if x == 0.0:
        return math.inf
    if math.isinf(x):
        return -math.inf
    return _log_kv_pos(abs(v), x)


@njit(cache=True, error_model="numpy")
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


# --------------------------------------------------------------------------- registry entries
# ``special.<name>`` kernels of the backend layer: ``(xp, v, x) -> out`` on broadcast float64


def _apply(ufunc, v, x):
    with np.errstate(all="ignore"):
        return np.asarray(ufunc(np.asarray(v), np.asarray(x)))


def log_iv(xp, v, x):
    return _apply(log_iv_ufunc, v, x)


def log_kv(xp, v, x):
    return _apply(log_kv_ufunc, v, x)


def iv_ratio(xp, v, x, complement=False):
    return _apply(iv_ratio_c_ufunc if complement else iv_ratio_ufunc, v, x)
