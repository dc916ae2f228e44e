"""Generic array-API path of ``log_iv``, ``log_kv`` and ``iv_ratio``.

The same formulas as the Numba kernels (``_logbessel_numba``), evaluated
branch by branch over whole arrays and combined with ``xp.where``. Each branch
sees "safe" stand-in inputs outside its region, so no branch produces
spurious overflow or NaN there and iterative loops stop when the elements of
their own region have converged. Inputs are float64 arrays of one namespace,
already broadcast to a common shape.
"""

from __future__ import annotations

import math

from ._coefficients import (
    DEBYE_U, ETA_TAYLOR, ETA_TAYLOR_RADIUS, ETA_Z0_HI, ETA_Z0_LO, RGAMMA_TAYLOR,
)
from ._constants import DEBYE_ROWS, H3_A, H3_B, H3_C, H3_V, H3_V2, H3_X
from ._constants import H20_A, H20_B, H20_C, H20_V, H20_X, H20_X2
from ._logbessel_numba import (
    SMALL, HANKEL3, HANKEL20, DEBYE4, DEBYE6, DEBYE9, DEBYE13, _DEBYE_TERMS, _EPS,
    _INV_K, _LOG_2_PI, _MAX_SERIES, _MAX_STEED, _MAX_PERRON, _SQRT_2PI, _SQRT_PI_2,
    _TEMME_MAX_X,
)
from ._logbessel_numba import _product_error as _product_error_jit

_product_error = _product_error_jit.py_func  # plain arithmetic: works on any array type

_TINY = 2.2250738585072014e-308


def _full(xp, like, value):
    return xp.full(like.shape, value, dtype=like.dtype)


def _any(xp, mask):
    return bool(xp.any(mask))


def _region(xp, v, x):
    """Branch codes (see ``_logbessel_numba._region``) for v >= 0, 0 < x < inf."""
    lx = xp.log(x)
    lv = xp.log(xp.where(v > 0.0, v, _TINY))
    conds = [
        (HANKEL3, ((x > H3_X) & (v < H3_V))
         | ((H3_A * lx + H3_B > lv) & (v > H3_V2) & (v * v < H3_C * x))),
        (HANKEL20, ((x > H20_X) & (v < H20_V))
         | ((H20_A * lx + H20_B > lv) & (x > H20_X2) & (v * v < H20_C * x))),
    ] + [(code, ((x > X) & (v > V)) | (v > W)) for code, X, V, W in DEBYE_ROWS]
    reg = xp.full(x.shape, SMALL, dtype=xp.int32)
    for code, cond in reversed(conds):
        reg = xp.where(cond, xp.asarray(code, dtype=xp.int32), reg)
    return reg


def _hankel(xp, v, x, nterms, sign):
    mu = 4.0 * v * v
    step = sign / (8.0 * x)
    c = xp.ones_like(x)
    s = xp.ones_like(x)
    for k in range(1, nterms + 1):
        odd = 2.0 * k - 1.0
        c = c * ((mu - odd * odd) * step * float(_INV_K[k]))
        s = s + c
    if sign < 0.0:
        return xp.log(s / (_SQRT_2PI * xp.sqrt(x)))
    return xp.log(s * _SQRT_PI_2 / xp.sqrt(x))


def _v_eta(xp, v, x, z, r):
    w_hi = z - ETA_Z0_HI
    near = (xp.abs(w_hi) < ETA_TAYLOR_RADIUS) & (v < 1e290)
    p = z * v
    z_lo = ((x - p) - _product_error(z, v, p)) / v
    w = xp.where(near, w_hi + (z_lo - ETA_Z0_LO), 0.0)
    eta_near = xp.zeros_like(x)
    for c in reversed(ETA_TAYLOR):
        eta_near = eta_near * w + c
    eta_near = eta_near * w
    tiny = z <= 1e-280
    eta = xp.where(tiny, r + (xp.log(x) - xp.log(v)) - xp.log1p(r),
                   r + xp.log(xp.where(tiny, 1.0, z) / (1.0 + r)))
    return v * xp.where(near, eta_near, eta)


def _debye(xp, v, x, nterms, sign):
    z = x / v
    big = z >= 1e150
    zs = xp.where(big, 1.0, z)
    r = xp.where(big, z, xp.sqrt(1.0 + zs * zs))
    w0 = 1.0 / (r * v)
    t = v * w0
    t2 = t * t
    w = sign * w0
    s = xp.zeros_like(x)
    for k in range(nterms, 0, -1):
        p = xp.zeros_like(x)
        for j in range(k, -1, -1):
            p = p * t2 + DEBYE_U[k - 1][j]
        s = (s + p) * w
    scale = (1.0 / _SQRT_2PI) if sign > 0.0 else _SQRT_PI_2
    rest = xp.log((1.0 + s) * scale * xp.sqrt(w0))
    return _v_eta(xp, v, x, z, r), rest


def _rgamma_parts(xp, mu):
    mu2 = mu * mu
    even = xp.zeros_like(mu)
    odd = xp.zeros_like(mu)
    for k in range(len(RGAMMA_TAYLOR) - 1, -1, -1):
        if k % 2 == 0:
            even = even * mu2 + RGAMMA_TAYLOR[k]
        else:
            odd = odd * mu2 + RGAMMA_TAYLOR[k]
    return even, odd


def _log_series_prefactor(xp, v, x, s):
    """log(s (x/2)^v / Gamma(1 + v)) for 0 <= v <= ~13 (see the Numba twin)."""
    n = xp.floor(v + 0.5)
    mu = v - n
    even, odd = _rgamma_parts(xp, mu)
    rg = even + mu * odd
    h = 0.5 * x
    big = h >= 1e-20
    h_big = xp.where(big, h, 1.0)  # (x/2)^n is formed only where it cannot underflow
    hp = xp.ones_like(x)
    q = xp.ones_like(x)
    nmax = int(xp.max(n)) if n.size else 0
    for i in range(1, nmax + 1):
        active = n >= i
        hp = xp.where(active, hp * h_big, hp)
        q = xp.where(active, q * (mu + i), q)
    return xp.where(big, mu * xp.log(h) + xp.log(hp * rg * s / q),
                    v * xp.log(h) + xp.log(rg * s / q))


def _log_iv_series(xp, v, x):
    q = 0.25 * x * x
    r = xp.ones_like(x)
    s = xp.ones_like(x)
    for k in range(1, _MAX_SERIES):
        r = r * (q / (k * (k + v)))
        s = s + r
        if not _any(xp, r >= 0.5 * _EPS * s):
            break
    return _log_series_prefactor(xp, v, x, s)


def _asymptotic(xp, v, x, reg, kind):
    """Hankel and Debye branches of log I (kind 'i') or log K (kind 'k'); NaN elsewhere."""
    sign = -1.0 if kind == "i" else 1.0
    out = xp.full(x.shape, math.nan, dtype=x.dtype)
    for code, n in ((HANKEL3, 3), (HANKEL20, 20)):
        m = reg == code
        if not _any(xp, m):
            continue
        xs = xp.where(m, x, 1e4)
        vs = xp.where(m, v, 1.0)
        out = xp.where(m, _hankel(xp, vs, xs, n, sign) - sign * xs, out)
    for code in (DEBYE4, DEBYE6, DEBYE9, DEBYE13):
        m = reg == code
        if not _any(xp, m):
            continue
        xs = xp.where(m, x, 100.0)
        vs = xp.where(m, v, 100.0)
        veta, rest = _debye(xp, vs, xs, _DEBYE_TERMS[code], -sign)
        out = xp.where(m, rest - sign * veta, out)
    return out


def _log_pos(xp, v, x, kind):
    """log I_v(x) (kind 'i') or log K_v(x) (kind 'k') for v >= 0, 0 < x < inf."""
    reg = _region(xp, v, x)
    out = _asymptotic(xp, v, x, reg, kind)
    m = reg == SMALL
    if _any(xp, m):
        small = _log_iv_series if kind == "i" else _log_kv_small
        out = xp.where(m, small(xp, xp.where(m, v, 0.0), xp.where(m, x, 1.0)), out)
    return out


def _temme(xp, mu, x):
    even, odd = _rgamma_parts(xp, mu)
    gampl = even + mu * odd
    gammi = even - mu * odd
    gam1 = -odd
    gam2 = even
    x2 = 0.5 * x
    pimu = math.pi * mu
    small_pimu = xp.abs(pimu) < 1e-9
    fact = xp.where(small_pimu, 1.0, pimu / xp.sin(xp.where(small_pimu, 1.0, pimu)))
    d = -xp.log(x2)
    e = mu * d
    ae = xp.abs(e)
    em = xp.expm1(ae)
    ea = 1.0 + em
    fact2 = xp.where(ae == 0.0, 1.0, 0.5 * em * (1.0 + 1.0 / ea) / xp.where(ae == 0.0, 1.0, ae))
    ff = fact * (gam1 * 0.5 * (ea + 1.0 / ea) + gam2 * fact2 * d)
    s = ff
    ee = xp.where(e >= 0.0, ea, 1.0 / ea)
    p = 0.5 * ee / gampl
    q = 0.5 / (ee * gammi)
    c = xp.ones_like(x)
    dd = x2 * x2
    s1 = p
    for i in range(1, _MAX_SERIES):
        fi = float(i)
        ff = (fi * ff + p + q) / (fi * fi - mu * mu)
        c = c * (dd / fi)
        p = p / (fi - mu)
        q = q / (fi + mu)
        term = c * ff
        s = s + term
        s1 = s1 + c * (p - fi * ff)
        if not _any(xp, xp.abs(term) >= 0.5 * _EPS * xp.abs(s)):
            break
    return s, 2.0 * s1 / s


def _steed(xp, mu, x):
    b = 2.0 * (1.0 + x)
    d = 1.0 / b
    h = d
    delh = d
    q1 = xp.zeros_like(x)
    q2 = xp.ones_like(x)
    a1 = 0.25 - mu * mu
    q = a1
    c = a1
    a = -a1
    s = 1.0 + q * delh
    for i in range(2, _MAX_STEED):
        a = a - 2.0 * (i - 1)
        c = -a * c / i
        qnew = (q1 - b * q2) / a
        q1 = q2
        q2 = qnew
        q = q + c * qnew
        b = b + 2.0
        d = 1.0 / (b + a * d)
        delh = (b * d - 1.0) * delh
        h = h + delh
        dels = q * delh
        s = s + dels
        if not _any(xp, xp.abs(dels) >= 0.5 * _EPS * xp.abs(s)):
            break
    h = a1 * h
    return _SQRT_PI_2 / (xp.sqrt(x) * s), mu + x + 0.5 - h


def _log_kv_small(xp, v, x):
    n = xp.floor(v + 0.5)
    mu = v - n
    use_temme = x <= _TEMME_MAX_X
    lt, st = _temme(xp, mu, xp.where(use_temme, x, 1.0))
    ls, ss = _steed(xp, mu, xp.where(use_temme, 10.0, x))
    half = mu == -0.5  # K_{-1/2}(x) = K_{1/2}(x) = sqrt(pi/(2x)) e^{-x}
    # K_mu = lin * e^expo (see the Numba twin)
    lin = xp.where(half, _SQRT_PI_2 / xp.sqrt(x), xp.where(use_temme, lt, ls))
    expo = xp.where(use_temme & ~half, 0.0, -x)
    sigma = xp.where(half, x, xp.where(use_temme, st, ss))
    x2 = x * x
    p_prev = xp.ones_like(x)
    p = xp.where(n > 0, sigma, 1.0)
    big = x >= 1e-20
    x_big = xp.where(big, x, 1.0)  # x^n is formed only where it cannot underflow
    xn = xp.where(n > 0, x_big, 1.0)
    nmax = int(xp.max(n)) if n.size else 0
    for i in range(1, nmax):
        active = n > i
        p_new = 2.0 * (mu + i) * p + x2 * p_prev
        p_prev = xp.where(active, p, p_prev)
        p = xp.where(active, p_new, p)
        xn = xp.where(active, xn * x_big, xn)
    one_log = xp.log(xp.where(big, lin * p / xn, 1.0))
    logs = xp.log(lin) + xp.log(p) - n * xp.log(x)
    return expo + xp.where(big, one_log, logs)


def _sinpi(xp, a):
    r = a - 2.0 * xp.floor(0.5 * a)
    return xp.where(r <= 0.5, xp.sin(math.pi * r),
                    xp.where(r <= 1.5, xp.sin(math.pi * (1.0 - r)),
                             -xp.sin(math.pi * (2.0 - r))))


def _finite_inputs(xp, v, x):
    """Mask of the elements computed by the branches, and stand-in safe inputs."""
    a = xp.abs(v)
    ok = (x > 0.0) & xp.isfinite(x) & xp.isfinite(a)
    return ok, xp.where(ok, a, 1.0), xp.where(ok, x, 1.0)


def log_iv(xp, v, x):
    ok, a, xs = _finite_inputs(xp, v, x)
    li = _log_pos(xp, a, xs, "i")
    integer = a == xp.floor(a)
    neg = (v < 0.0) & ~integer & ok
    if _any(xp, neg):
        s = _sinpi(xp, a)
        lk = _LOG_2_PI + xp.log(xp.where(neg, xp.abs(s), 1.0)) + _log_pos(xp, a, xs, "k")
        hi = xp.maximum(li, lk)
        diff = xp.abs(li - lk)
        add = hi + xp.log1p(xp.exp(-diff))
        sub = li + xp.log1p(-xp.exp(xp.where(lk < li, lk - li, -1.0)))
        sub = xp.where(lk == li, -math.inf, sub)
        sub = xp.where(lk > li, math.nan, sub)
        li = xp.where(neg, xp.where(s > 0.0, add, sub), li)
    out = xp.where(ok, li, math.nan)
    zero = (x == 0.0) & xp.isfinite(v)
    av = xp.abs(v)
    even_floor = xp.floor(av) - 2.0 * xp.floor(0.5 * xp.floor(av)) == 0.0
    at_zero = xp.where(even_floor, _full(xp, x, math.inf), math.nan)  # sign of Gamma(1 + v)
    at_zero = xp.where((v > 0.0) | (av == xp.floor(av)), -math.inf, at_zero)
    at_zero = xp.where(v == 0.0, 0.0, at_zero)
    out = xp.where(zero, at_zero, out)
    out = xp.where((x == math.inf) & xp.isfinite(v), math.inf, out)
    return out


def log_kv(xp, v, x):
    ok, a, xs = _finite_inputs(xp, v, x)
    out = xp.where(ok, _log_pos(xp, a, xs, "k"), math.nan)
    finite_v = xp.isfinite(v)
    out = xp.where((x == 0.0) & finite_v, math.inf, out)
    out = xp.where((x == math.inf) & finite_v, -math.inf, out)
    return out


def iv_ratio(xp, v, x, complement=False):
    ok = (v > 0.5) & (x > 0.0) & xp.isfinite(x) & xp.isfinite(v)
    vs = xp.where(ok, v, 1.0)
    xs = xp.where(ok, x, 1.0)
    # c = 2^(2 - e) with max(v, x) = f 2^e, 1/2 <= f < 1 (as frexp); any nearby power of 2 works
    e = xp.floor(xp.log2(xp.maximum(vs, xs))) + 1.0
    c = xp.pow(xp.asarray(2.0, dtype=x.dtype), 2.0 - e)
    vc = vs * c
    xc = xs * c
    b_prev = 2.0 * (vc + xc) + c
    term = -(2.0 * vc + c) * xc / b_prev
    u = xp.ones_like(xs)
    s = 2.0 * vc
    comp = xp.zeros_like(xs)
    for k in range(2, _MAX_PERRON):
        y = term - comp
        tot = s + y
        comp = (tot - s) - y
        s = tot
        a = -(2.0 * vc + (2.0 * k - 1.0) * c) * xc
        b = 2.0 * (vc + xc) + k * c
        u = 1.0 / (1.0 + a * u / (b * b_prev))
        term = term * (u - 1.0)
        b_prev = b
        if not _any(xp, xp.abs(term) >= 0.5 * _EPS * xp.abs(s)):
            break
    s = s + (term - comp)
    if complement:
        out = s / (xc + s)
        half = 2.0 * xp.exp(-2.0 * x) / (1.0 + xp.exp(-2.0 * x))
        limit0, limit_inf = 1.0, 0.0
    else:
        out = xc / (xc + s)
        half = xp.tanh(x)
        limit0, limit_inf = 0.0, 1.0
    out = xp.where(ok, out, math.nan)
    out = xp.where((v == 0.5) & (x > 0.0), half, out)
    at_limit0 = (v >= 0.5) & ((x == 0.0) | (v == math.inf)) & (x == x)
    out = xp.where(at_limit0, _full(xp, x, limit0), out)
    out = xp.where((v >= 0.5) & xp.isfinite(v) & (x == math.inf), limit_inf, out)
    return out
