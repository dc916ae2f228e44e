"""Iterated and recurrence kernels of the region-sorted path (``_logbessel_sorted``):
the small-argument formulas of log K (Temme's series, K's half-integer orders, Steed's CF2
with the common forward recurrence ``_log_kv_finish``) and Perron's continued fraction of
``iv_ratio``. The classification, sorting and drivers live in ``_logbessel_sorted``, whose
docstring describes the scheme; the formulas are those of the scalar reference kernels of
``_logbessel_numba``.

Numba's cache tracks a function's own source file only: after editing this module, delete
``solvers/special/__pycache__/_logbessel_sorted*.nb*`` too.
"""

from __future__ import annotations

import math

import numpy as np
from numba import literally, njit

from ._constants import (
    D13_W,
    EPS,
    MAX_PERRON,
    MAX_STEED,
    SORTED_CHUNK,
)
from ._logbessel_numba import (
    _RG,
    _SQRT_PI_2,
)
from ._vecmath import exponent, pow2, vexpm1, vlog

_N_MAX = int(math.floor(D13_W + 0.5))   # largest integer part n of v in the small region
_N_RG = _RG.shape[0]
_RG_EVEN = tuple(float(_RG[k]) for k in range(_N_RG - 1, -1, -1) if k % 2 == 0)
_RG_ODD = tuple(float(_RG[k]) for k in range(_N_RG - 1, -1, -1) if k % 2 == 1)
_CH = SORTED_CHUNK
_TOL = 0.5 * EPS
# the sin(pi mu) of Temme's coefficient, |pi mu| <= pi/2: Taylor series (truncation < 1e-18)
_SIN_C = tuple((-1.0) ** k / math.factorial(2 * k + 1) for k in range(12))
(_S0, _S1, _S2, _S3, _S4, _S5, _S6, _S7, _S8, _S9, _S10, _S11) = _SIN_C


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _rgamma_parts(mu):
    """``_logbessel_numba._rgamma_parts``, the same operations in the same order (loops over
    constant tuples, which LLVM unrolls; a loop with a branch on k % 2 it does not)."""
    mu2 = mu * mu
    even = 0.0
    for c in _RG_EVEN:
        even = even * mu2 + c
    odd = 0.0
    for c in _RG_ODD:
        odd = odd * mu2 + c
    return even, odd


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _pi_mu_over_sin(mu):
    """pi mu / sin(pi mu) for |mu| <= 1/2 (Taylor series of sin(t)/t, branch-free)."""
    t = math.pi * mu
    z = t * t
    p = _S11
    p = p * z + _S10
    p = p * z + _S9
    p = p * z + _S8
    p = p * z + _S7
    p = p * z + _S6
    p = p * z + _S5
    p = p * z + _S4
    p = p * z + _S3
    p = p * z + _S2
    p = p * z + _S1
    p = p * z + _S0
    return 1.0 / p


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _log_kv_finish(mu, nj, xj, lin, sig, expo, nmax):
    """log K_{mu+n}(x) from K_mu = lin e^expo and sig = x K_{mu+1}/K_mu by the forward
    recurrence of ``_log_kv_small`` on P_i = x^(i+1) K_{mu+i+1}/K_mu, padded to n = nmax
    with selects."""
    pos = nj > 0.0
    p_prev = 1.0
    p = sig if pos else 1.0
    xn = xj if pos else 1.0
    x2 = xj * xj
    for i in range(1, nmax):
        act = i < nj
        pn = 2.0 * (mu + i) * p + x2 * p_prev
        p_prev = p if act else p_prev
        p = pn if act else p
        xn = xn * xj if act else xn
    return expo + vlog(lin * p / xn)


@njit(cache=True, nogil=True, error_model="numpy")
def _temme(v, x, out, nterms, nmax):
    """``_logbessel_numba._log_kv_small`` with Temme's series (``_temme``, nterms terms) for
    SORTED_TINY_X <= x <= TEMME_MAX_X and n = floor(|v| + 1/2) <= nmax (compile-time
    constants)."""
    nterms = literally(nterms)
    nmax = literally(nmax)
    for j in range(v.size):
        xj = x[j]
        a = abs(v[j])
        nj = math.floor(a + 0.5)
        mu = a - nj               # > -1/2: half-integer orders have their own code (HALF)
        even, odd = _rgamma_parts(mu)
        gampl = even + mu * odd       # 1 / Gamma(1 + mu)
        gammi = even - mu * odd       # 1 / Gamma(1 - mu)
        x2 = 0.5 * xj
        fact = _pi_mu_over_sin(mu)
        d = -vlog(x2)
        e = mu * d
        ae = abs(e)
        em = vexpm1(ae)
        ea = 1.0 + em
        fact2 = 0.5 * em * (1.0 + 1.0 / ea) / ae
        fact2 = 1.0 if ae == 0.0 else fact2
        ff = fact * (-odd * 0.5 * (ea + 1.0 / ea) + even * fact2 * d)
        ee = ea if e >= 0.0 else 1.0 / ea
        p = 0.5 * ee / gampl
        q = 0.5 / (ee * gammi)
        c = 1.0
        dd = x2 * x2
        s = ff
        s1 = p
        for i in range(1, nterms + 1):
            fi = float(i)
            rr = 1.0 / (fi * fi - mu * mu)   # one division: p / (i - mu) = p (i + mu) rr
            ff = (fi * ff + p + q) * rr
            c *= dd * (1.0 / fi)
            p *= (fi + mu) * rr
            q *= (fi - mu) * rr
            s += c * ff
            s1 += c * (p - fi * ff)
        out[j] = _log_kv_finish(mu, nj, xj, s, 2.0 * s1 / s, 0.0, nmax)


@njit(cache=True, nogil=True, error_model="numpy")
def _kv_half(v, x, out):
    """``_logbessel_numba._log_kv_small`` for half-integer |v| (mu = -1/2):
    K_{1/2}(x) = sqrt(pi/(2x)) e^{-x} and sig = x (the reference's closed form), then the
    recurrence padded to n = 13."""
    for j in range(v.size):
        xj = x[j]
        nj = math.floor(abs(v[j]) + 0.5)
        out[j] = _log_kv_finish(-0.5, nj, xj, _SQRT_PI_2 / math.sqrt(xj), xj, -xj, _N_MAX)


_STEED_UNROLL = 4
# (-1)^(i-1) / i! for Steed's Q sum in the division-free form (i < 170; x > 2 needs < 90)
_STEED_F = np.array([(-1.0) ** (i - 1) / math.factorial(i) if i < 170 else 0.0
                     for i in range(MAX_STEED + _STEED_UNROLL + 1)])


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _steed_step(i, a1, a, g1, g2, q, b, d, delh):
    """Iteration i of ``_logbessel_numba._steed`` with the Q recurrence rescaled so that it
    needs no division: g_i = q_i prod_{k=2..i} a_k obeys g_i = a_{i-1} g_{i-2} - b g_{i-1}
    (g_0 = 0, g_1 = 1) and c_i q_i = a1 (-1)^(i-1) g_i / i!, the a_k cancelling. On entry
    a = a_{i-1} and b is the reference's b before its increment in iteration i. Returns the
    new state and the increments delh (of h) and dels (of s)."""
    gnew = a * g1 - b * g2
    a = a - 2.0 * (i - 1.0)
    g1 = g2
    g2 = gnew
    q = q + a1 * _STEED_F[int(i)] * gnew
    b = b + 2.0
    d = 1.0 / (b + a * d)
    delh = (b * d - 1.0) * delh
    return a, g1, g2, q, b, d, delh, q * delh


@njit(cache=True, nogil=True, error_model="numpy")
def _steed(v, x, out, ws, nmax):
    """``_logbessel_numba._log_kv_small`` with Steed's CF2 (``_steed``) for x > TEMME_MAX_X:
    chunks of SORTED_CHUNK points iterate, _STEED_UNROLL steps per pass over the chunk's
    state, until every point has met the reference's stopping rule; each point's sums h and
    s stop at the iteration where its own rule is met (so its result does not depend on the
    other points of the chunk). n = floor(|v| + 1/2) <= nmax, a compile-time constant."""
    nmax = literally(nmax)
    n = v.size
    bb, d, h, delh, g1, g2, q, a, s, a1, live = (ws[0], ws[1], ws[2], ws[3], ws[4], ws[5],
                                                 ws[6], ws[7], ws[8], ws[9], ws[10])
    for b0 in range(0, n, _CH):
        m = min(_CH, n - b0)
        for j in range(m):
            xj = x[b0 + j]
            av = abs(v[b0 + j])
            mu = av - math.floor(av + 0.5)
            bj = 2.0 * (1.0 + xj)
            dj = 1.0 / bj
            a1j = 0.25 - mu * mu
            bb[j] = bj
            d[j] = dj
            h[j] = dj
            delh[j] = dj
            g1[j] = 0.0             # g_0 (q_0 = 0)
            g2[j] = 1.0             # g_1 = q_1
            a1[j] = a1j
            q[j] = a1j
            a[j] = -a1j             # a_1
            s[j] = 1.0 + a1j * dj
            live[j] = 1.0
        for i0 in range(2, MAX_STEED, _STEED_UNROLL):
            busy = 0
            for j in range(m):
                a1j = a1[j]
                aj, g1j, g2j, qj, bj, dj, dhj, hj, sj, lj = (
                    a[j], g1[j], g2[j], q[j], bb[j], d[j], delh[j], h[j], s[j], live[j])
                for u in range(_STEED_UNROLL):
                    aj, g1j, g2j, qj, bj, dj, dhj, dels = _steed_step(
                        float(i0 + u), a1j, aj, g1j, g2j, qj, bj, dj, dhj)
                    go = lj != 0.0
                    s_new = sj + dels
                    hj = hj + dhj if go else hj
                    sj = s_new if go else sj
                    lj = 0.0 if abs(dels) < _TOL * abs(s_new) else lj
                busy += 1 if lj != 0.0 else 0
                a[j] = aj
                g1[j] = g1j
                g2[j] = g2j
                q[j] = qj
                bb[j] = bj
                d[j] = dj
                delh[j] = dhj
                h[j] = hj
                s[j] = sj
                live[j] = lj
            if busy == 0:
                break
        for j in range(m):
            xj = x[b0 + j]
            av = abs(v[b0 + j])
            nj = math.floor(av + 0.5)
            mu = av - nj
            lin = _SQRT_PI_2 / (math.sqrt(xj) * s[j])
            sig = mu + xj + 0.5 - a1[j] * h[j]
            out[b0 + j] = _log_kv_finish(mu, nj, xj, lin, sig, -xj, nmax)


# --------------------------------------------------------------- iv_ratio: Perron's CF
@njit(cache=True, nogil=True, error_model="numpy")
def _perron(v, x, out, ws, complement):
    """``_logbessel_numba.iv_ratio_scalar``'s continued fraction for 1/2 < v < inf,
    0 < x < inf, each point frozen at the iteration where the reference stops."""
    n = v.size
    vc, xc, cc, bprev, term, u, s, comp, done = (ws[0], ws[1], ws[2], ws[3], ws[4],
                                                 ws[5], ws[6], ws[7], ws[8])
    for b in range(0, n, _CH):
        m = min(_CH, n - b)
        for j in range(m):
            vj = v[b + j]
            xj = x[b + j]
            c = pow2(1.0 - exponent(max(vj, xj)))     # 2^(2 - frexp exponent)
            vcj = vj * c
            xcj = xj * c
            bp = 2.0 * (vcj + xcj) + c
            vc[j] = vcj
            xc[j] = xcj
            cc[j] = c
            bprev[j] = bp
            term[j] = -(2.0 * vcj + c) * xcj / bp
            u[j] = 1.0
            s[j] = 2.0 * vcj
            comp[j] = 0.0
            done[j] = 0.0
        for k in range(2, MAX_PERRON):
            fk = float(k)
            busy = 0
            for j in range(m):
                t = term[j]
                y = t - comp[j]
                tot = s[j] + y
                cn = (tot - s[j]) - y
                c = cc[j]
                aa = -(2.0 * vc[j] + (2.0 * fk - 1.0) * c) * xc[j]
                bk = 2.0 * (vc[j] + xc[j]) + fk * c
                un = 1.0 / (1.0 + aa * u[j] / (bk * bprev[j]))
                tn = t * (un - 1.0)
                live = done[j] == 0.0
                s[j] = tot if live else s[j]
                comp[j] = cn if live else comp[j]
                u[j] = un if live else u[j]
                term[j] = tn if live else t
                bprev[j] = bk if live else bprev[j]
                stop = abs(tn) < _TOL * abs(tot)
                done[j] = 1.0 if (stop or not live) else 0.0
                busy += 1 if (live and not stop) else 0
            if busy == 0:
                break
        for j in range(m):
            sj = s[j] + (term[j] - comp[j])
            out[b + j] = sj / (xc[j] + sj) if complement else xc[j] / (xc[j] + sj)
