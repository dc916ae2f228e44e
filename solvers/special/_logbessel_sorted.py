"""Region-sorted, vectorized NumPy kernels of ``log_iv``, ``log_kv`` and ``iv_ratio``.

The scalar kernels of ``_logbessel_numba`` branch per point and call libm's scalar ``log``,
so LLVM cannot vectorize them. Here the input is cut into blocks of ``SORTED_BLOCK`` points
(they stay in L2), and one Numba driver per function (``_run_iv``, ``_run_kv``,
``_run_ratio``)

1. classifies the points of a block: the branch table of ``_logbessel_numba._region`` as
   selects, with no logarithm (the Hankel rows' log conditions are implied by their guards
   v^2 < C x, checked at import), so every decision is the reference's; the small-argument
   region further by octave of x (from the exponent bits) and by n = floor(v + 1/2) <= 1 or
   not, K's half-integer orders apart; ``iv_ratio`` by its expected number of
   continued-fraction terms (``PERRON_COUNTS``);
2. counting-sorts them by code (not when the whole block has one code);
3. evaluates each code's formula over its contiguous run:

   - single-pass kernels (Hankel, Debye, the power series of log I, Temme's series of log K,
     K's half-integer orders) with the term counts, Debye polynomials and the product or
     recurrence over i <= n as compile-time constants (``numba.literally``; one
     specialization each), so that LLVM unrolls the inner loops and vectorizes the loop
     over the points with all state in registers; a run is padded to a multiple of
     ``_PAD`` lanes so that no point falls to the scalar remainder loop;
   - iterated kernels (Steed's CF2 for log K at x > 2, Perron's CF for ``iv_ratio``) over
     chunks of ``SORTED_CHUNK`` points with the state in separate arrays, until every point
     of the chunk has met the reference loop's stopping rule; each point stops accumulating
     at its own stopping iteration;

4. scatters the results back.

Every logarithm (and Temme's ``expm1``) is taken inside the vectorized loops by the
branch-free routines of ``_vecmath`` (log < 0.6 ulp) instead of libm's. The formulas are
those of the scalar reference kernels; the differences are ``_vecmath``'s log/expm1 and a
Taylor sin for libm's (<= ~1 ulp each), a few reassociations (Steed's Q sum without
divisions, reciprocals in Temme's recurrence), and extra terms below half an ulp where the
reference stops earlier. ``iv_ratio`` is the reference's arithmetic, bit for bit.
``tests/special`` checks them against the reference kernels and against mpmath. Every
point's value depends on its (v, x) alone, not on the rest of the array (order, size,
chunking: dask relies on it).

Points the vectorized formulas do not cover (NaN, x <= 0, x = inf, infinite orders,
negative non-integer orders of I, x < ``SORTED_TINY_X`` in the small-argument region,
``iv_ratio`` at v = 1/2) go to the scalar reference kernels; so does v*eta at the rare
points of the Debye branches that need its Taylor series about the zero of eta.

Inputs may be float32 (``*_float32`` entries): read as they are, computed in float64,
rounded once to float32 when scattered back, with no float64 copy of the input.
"""

from __future__ import annotations

import math

import numpy as np
from numba import literally, njit

from ._coefficients import ETA_TAYLOR_RADIUS, ETA_Z0_HI
from ._constants import (
    D4_V,
    D4_W,
    D4_X,
    D6_V,
    D6_W,
    D6_X,
    D9_V,
    D9_W,
    D9_X,
    D13_V,
    D13_W,
    D13_X,
    DEBYE4,
    DEBYE6,
    DEBYE9,
    DEBYE13,
    EPS,
    H3_A,
    H3_B,
    H3_C,
    H3_V,
    H3_V2,
    H3_X,
    H20_A,
    H20_B,
    H20_C,
    H20_V,
    H20_X,
    H20_X2,
    HANKEL3,
    HANKEL20,
    PERRON_CLASS_EDGES,
    PERRON_COUNTS,
    PERRON_EV0,
    PERRON_EX0,
    SERIES_TERMS,
    SERIES_X_EDGES,
    SORTED_BLOCK,
    SORTED_CHUNK,
    SORTED_TINY_X,
    STEED_BUCKETS,
    TEMME_TERMS,
    TEMME_X_EDGES,
)
from ._logbessel_numba import (
    _INV_K,
    _SQRT_2PI,
    _SQRT_PI_2,
    _U,
    _v_eta,
    iv_ratio_scalar,
    log_iv_scalar,
    log_kv_scalar,
)
from ._logbessel_sorted_small import _kv_half, _perron, _rgamma_parts, _steed, _temme
from ._vecmath import as_int64, exponent, vlog

REFERENCE = 7                       # code of the points left to the scalar reference
HALF = 0                            # log K, small region, half-integer order (closed form)
FIRST_BUCKET = 8                    # codes of the small-argument buckets / Perron classes
# small region: code FIRST_BUCKET + 2 * (x-bucket) + (n >= 2), n = floor(|v| + 1/2): the
# recurrence / prefactor product over i <= n runs to 1 or to 13 steps
N_SERIES = len(SERIES_X_EDGES)        # octaves of log I's series
N_TEMME = len(TEMME_X_EDGES)          # octaves of log K's Temme series, then Steed's
N_KV = N_TEMME + STEED_BUCKETS        # half-octaves
N_CODES = FIRST_BUCKET + max(2 * N_SERIES, 2 * N_KV, len(PERRON_CLASS_EDGES) + 1)
LOG_IV, LOG_KV, IV_RATIO, IV_RATIO_C = 0, 1, 2, 3   # what a call computes

_N_MAX = int(math.floor(D13_W + 0.5))   # largest integer part n of v in the small region
_CH = SORTED_CHUNK
_BLOCK = SORTED_BLOCK
_PERRON_COUNTS = np.array(PERRON_COUNTS, dtype=np.int64)
_PERRON_NX, _PERRON_NV = _PERRON_COUNTS.shape
_TOL = 0.5 * EPS
# the sin(pi mu) of Temme's coefficient, |pi mu| <= pi/2: Taylor series (truncation < 1e-18)
_SIN_C = tuple((-1.0) ** k / math.factorial(2 * k + 1) for k in range(12))
(_S0, _S1, _S2, _S3, _S4, _S5, _S6, _S7, _S8, _S9, _S10, _S11) = _SIN_C
_NW = 11                            # arrays of the chunk workspace (Steed, Perron)
_PAD = 32                           # runs of the single-pass kernels padded to this many lanes
# the octaves are found from exponent bits: check the tables describe them
assert SERIES_X_EDGES[:-1] == tuple(2.0 ** k for k in range(-3, 5)) and SERIES_X_EDGES[-1] <= 32
assert TEMME_X_EDGES == tuple(2.0 ** k for k in range(-3, 2)) and len(TEMME_TERMS) == N_TEMME


# ----------------------------------------------------------------------------- classify
# The large-order clauses of the Hankel rows, A log(x) + B > log(v), are implied by their
# guards v^2 < C x wherever the guards apply (v > 0, x > H20_X2; v > H3_V2, so x > H3_V2^2/C):
# there log(v) < (log C + log x)/2 <= A log x + B, with a margin of 0.49 (H20) and 0.92 (H3)
# at the smallest such x, far beyond rounding. So the classification needs no logarithm and
# still takes the reference's (libm-log) decisions.
assert H20_A >= 0.5 and (H20_A - 0.5) * math.log(H20_X2) + H20_B - 0.5 * math.log(H20_C) > 0.4
assert H3_A >= 0.5 and ((H3_A - 0.5) * math.log(H3_V2 ** 2 / H3_C) + H3_B
                        - 0.5 * math.log(H3_C) > 0.4)


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _table_code(a, xi):
    """The branch table (``_region``) as selects, lowest priority first; 0 (SMALL) if none.
    (The Hankel rows' log conditions are implied by their guards, see above.)"""
    c = 0
    c = DEBYE13 if ((xi > D13_X) & (a > D13_V)) | (a > D13_W) else c
    c = DEBYE9 if ((xi > D9_X) & (a > D9_V)) | (a > D9_W) else c
    c = DEBYE6 if ((xi > D6_X) & (a > D6_V)) | (a > D6_W) else c
    c = DEBYE4 if ((xi > D4_X) & (a > D4_V)) | (a > D4_W) else c
    h20 = ((xi > H20_X) & (a < H20_V)) | ((xi > H20_X2) & (a > 0.0) & (a * a < H20_C * xi))
    c = HANKEL20 if h20 else c
    h3 = ((xi > H3_X) & (a < H3_V)) | ((a > H3_V2) & (a * a < H3_C * xi))
    return HANKEL3 if h3 else c


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _half_octave(x):
    """h with 2^(h/2) < x <= 2^(h/2 + 1/2) for even h, 1.5 2^((h-1)/2) < x <= 2^((h+1)/2) for
    odd h: twice the exponent of the float below x, plus its leading mantissa bit."""
    return ((as_int64(x) - 1) >> 51) - 2046


@njit(cache=True, nogil=True, error_model="numpy")
def _classify_logbessel(v, x, codes, kind):
    """Codes of log I (kind LOG_IV) or log K: the table's region; in the small region
    FIRST_BUCKET + 2 * (x-bucket) + (n >= 2), the x-bucket from the exponent bits of x (see
    SERIES_X_EDGES, TEMME_X_EDGES); REFERENCE for the points of the scalar kernels. Selects
    only (no branches), so the loop is vectorized."""
    if kind == LOG_IV:
        for i in range(v.size):
            vi = np.float64(v[i])
            xi = np.float64(x[i])
            a = abs(vi)
            c = _table_code(a, xi)
            bucket = min(max((_half_octave(xi) >> 1) + 4, 0), N_SERIES - 1)
            c = FIRST_BUCKET + 2 * bucket + (a >= 1.5) if c == 0 else c
            c = REFERENCE if (c >= FIRST_BUCKET and xi < SORTED_TINY_X) else c
            c = c if (vi >= 0.0 or a == math.floor(a)) else REFERENCE
            c = c if xi > 0.0 else REFERENCE
            c = c if xi < math.inf else REFERENCE
            codes[i] = c if a < math.inf else REFERENCE
    else:
        for i in range(v.size):
            vi = np.float64(v[i])
            xi = np.float64(x[i])
            a = abs(vi)
            c = _table_code(a, xi)
            h = _half_octave(xi)
            bucket = h + (N_TEMME - 2) if h >= 2 else min(max((h >> 1) + 4, 0), N_TEMME - 1)
            small = c == 0
            c = FIRST_BUCKET + 2 * bucket + (a >= 1.5) if small else c
            c = HALF if (small and a - math.floor(a) == 0.5) else c
            c = REFERENCE if (small and xi < SORTED_TINY_X) else c
            c = c if xi > 0.0 else REFERENCE
            c = c if xi < math.inf else REFERENCE
            codes[i] = c if a < math.inf else REFERENCE


@njit(cache=True, nogil=True, error_model="numpy")
def _classify_ratio(v, x, codes):
    """Codes of iv_ratio: the class of the expected number of Perron terms."""
    for i in range(v.size):
        vi = np.float64(v[i])
        xi = np.float64(x[i])
        bad = not (vi > 0.5) or not (xi > 0.0) or vi == math.inf or xi == math.inf
        ex = min(max(int(exponent(xi)) - PERRON_EX0, 0), _PERRON_NX - 1)
        ev = min(max(int(exponent(vi)) - PERRON_EV0, 0), _PERRON_NV - 1)
        count = _PERRON_COUNTS[ex, ev]
        c = FIRST_BUCKET
        for e in PERRON_CLASS_EDGES:
            c += count > e
        codes[i] = REFERENCE if bad else c


# ------------------------------------------------------------------------- Hankel (large x)
@njit(cache=True, nogil=True, error_model="numpy")
def _hankel(v, x, out, nterms, sign):
    """``_logbessel_numba._hankel`` (all nterms terms) plus -+x: log I (sign -1) or log K
    (sign +1). nterms and sign are compile-time constants, so the term loop is unrolled and
    the points loop vectorized with everything in registers."""
    nterms = literally(nterms)
    sign = literally(sign)
    for j in range(v.size):
        a = abs(v[j])
        xj = x[j]
        mu = 4.0 * a * a
        step = sign / (8.0 * xj)
        c = 1.0
        s = 1.0
        for k in range(1, nterms + 1):
            odd = 2.0 * k - 1.0
            c *= (mu - odd * odd) * step * _INV_K[k]
            s += c
        if sign < 0:
            out[j] = xj + vlog(s / (_SQRT_2PI * math.sqrt(xj)))
        else:
            out[j] = vlog(s * _SQRT_PI_2 / math.sqrt(xj)) - xj


# ------------------------------------------------------------------------ Debye (large order)
@njit(cache=True, nogil=True, error_model="numpy")
def _debye(v, x, out, aux, nterms, sign):
    """``_logbessel_numba._debye``: log I (sign +1) or log K (sign -1) of order |v|, nterms
    (a compile-time constant) terms. Points whose v*eta needs the Taylor series about the
    zero of eta (or x/v < 1e-280) are redone by the scalar ``_v_eta``."""
    nterms = literally(nterms)
    sign = literally(sign)
    scale = (1.0 / _SQRT_2PI) if sign > 0 else _SQRT_PI_2
    n_odd = 0
    for j in range(v.size):
        a = abs(v[j])
        z = x[j] / a
        r = math.sqrt(1.0 + z * z) if z < 1e150 else z
        w0 = 1.0 / (r * a)
        t = a * w0
        t2 = t * t
        w = sign * w0
        s = 0.0
        for k in range(nterms, 0, -1):
            p = 0.0
            for i in range(k, -1, -1):
                p = p * t2 + _U[k - 1, i]
            s = (s + p) * w
        rest = vlog((1.0 + s) * scale * math.sqrt(w0))
        veta = a * (r + vlog(z / (1.0 + r)))
        out[j] = veta + rest if sign > 0 else rest - veta
        odd = ((abs(z - ETA_Z0_HI) < ETA_TAYLOR_RADIUS) & (a < 1e290)) | (not (z > 1e-280))
        aux[j] = rest
        n_odd += 1 if odd else 0
    if n_odd == 0:
        return
    for j in range(v.size):         # rare: x/v near the zero of eta, or x/v < 1e-280
        a = abs(v[j])
        z = x[j] / a
        if (abs(z - ETA_Z0_HI) < ETA_TAYLOR_RADIUS and a < 1e290) or not (z > 1e-280):
            r = math.sqrt(1.0 + z * z) if z < 1e150 else z
            veta = _v_eta(a, x[j], z, r)
            out[j] = veta + aux[j] if sign > 0 else aux[j] - veta


# ------------------------------------------------------------ small argument: series for log I
@njit(cache=True, nogil=True, error_model="numpy")
def _series(v, x, out, nterms, nmax):
    """``_logbessel_numba._log_iv_series`` with nterms terms and ``_log_series_prefactor``,
    for x >= SORTED_TINY_X and n = floor(|v| + 1/2) <= nmax; nterms and nmax are
    compile-time constants (the loops unrolled, the product over i <= n padded to nmax with
    selects)."""
    nterms = literally(nterms)
    nmax = literally(nmax)
    for j in range(v.size):
        xj = x[j]
        a = abs(v[j])
        q = 0.25 * xj * xj
        r = 1.0
        s = 1.0
        for k in range(1, nterms + 1):
            r *= q / (k * (k + a))
            s += r
        # (x/2)^mu / Gamma(1 + mu) * prod_{i <= n} (x/2) / (mu + i)
        nj = math.floor(a + 0.5)
        mu = a - nj
        even, odd = _rgamma_parts(mu)
        h = 0.5 * xj
        hp = 1.0
        qq = 1.0
        for i in range(1, nmax + 1):
            act = i <= nj
            hp = hp * h if act else hp
            qq = qq * (mu + i) if act else qq
        out[j] = mu * vlog(h) + vlog(hp * (even + mu * odd) * s / qq)


# -------------------------------------------------------- small argument: Temme/Steed for log K
# ---------------------------------------------------------------------------------- driver
@njit(cache=True, nogil=True, error_model="numpy")
def _workspace(size=_CH):
    """The state arrays of Steed's and Perron's chunk loops: _NW separate allocations (LLVM
    vectorizes the loops over them with runtime overlap checks; over rows of one 2-D array,
    whose rows it cannot tell apart, it does not)."""
    k = size
    return (np.empty(k), np.empty(k), np.empty(k), np.empty(k), np.empty(k), np.empty(k),
            np.empty(k), np.empty(k), np.empty(k), np.empty(k), np.empty(k))


@njit(cache=True, nogil=True, error_model="numpy")
def _evaluate_iv(code, v, x, out, aux):
    """log I at the points of one code (float64 v, x, out of one length). The term counts
    reach the kernels as compile-time constants (one specialization each)."""
    if code == REFERENCE:
        for i in range(v.size):
            out[i] = log_iv_scalar(v[i], x[i])
    elif code == HANKEL3:
        _hankel(v, x, out, 3, -1)
    elif code == HANKEL20:
        _hankel(v, x, out, 20, -1)
    elif code == DEBYE4:
        _debye(v, x, out, aux, 4, 1)
    elif code == DEBYE6:
        _debye(v, x, out, aux, 6, 1)
    elif code == DEBYE9:
        _debye(v, x, out, aux, 9, 1)
    elif code == DEBYE13:
        _debye(v, x, out, aux, 13, 1)
    else:
        _series_bucket((code - FIRST_BUCKET) // 2, (code - FIRST_BUCKET) % 2 == 1, v, x, out)


@njit(cache=True, nogil=True, error_model="numpy")
def _evaluate_kv(code, v, x, out, ws, aux):
    """log K at the points of one code (see ``_evaluate_iv``)."""
    if code == REFERENCE:
        for i in range(v.size):
            out[i] = log_kv_scalar(v[i], x[i])
    elif code == HANKEL3:
        _hankel(v, x, out, 3, 1)
    elif code == HANKEL20:
        _hankel(v, x, out, 20, 1)
    elif code == DEBYE4:
        _debye(v, x, out, aux, 4, -1)
    elif code == DEBYE6:
        _debye(v, x, out, aux, 6, -1)
    elif code == DEBYE9:
        _debye(v, x, out, aux, 9, -1)
    elif code == DEBYE13:
        _debye(v, x, out, aux, 13, -1)
    elif code == HALF:
        _kv_half(v, x, out)
    else:
        _kv_bucket((code - FIRST_BUCKET) // 2, (code - FIRST_BUCKET) % 2 == 1, v, x, out, ws)


@njit(cache=True, nogil=True, error_model="numpy")
def _evaluate_ratio(code, v, x, out, ws, complement):
    """iv_ratio (or its complement) at the points of one code."""
    if code == REFERENCE:
        for i in range(v.size):
            out[i] = iv_ratio_scalar(v[i], x[i], complement)
    else:
        _perron(v, x, out, ws, complement)


@njit(cache=True, nogil=True, error_model="numpy")
def _series_n(v, x, out, nterms, big):
    nterms = literally(nterms)
    if big:
        _series(v, x, out, nterms, _N_MAX)
    else:
        _series(v, x, out, nterms, 1)


@njit(cache=True, nogil=True, error_model="numpy")
def _series_bucket(bucket, big, v, x, out):
    if bucket == 0:
        _series_n(v, x, out, SERIES_TERMS[0], big)
    elif bucket == 1:
        _series_n(v, x, out, SERIES_TERMS[1], big)
    elif bucket == 2:
        _series_n(v, x, out, SERIES_TERMS[2], big)
    elif bucket == 3:
        _series_n(v, x, out, SERIES_TERMS[3], big)
    elif bucket == 4:
        _series_n(v, x, out, SERIES_TERMS[4], big)
    elif bucket == 5:
        _series_n(v, x, out, SERIES_TERMS[5], big)
    elif bucket == 6:
        _series_n(v, x, out, SERIES_TERMS[6], big)
    elif bucket == 7:
        _series_n(v, x, out, SERIES_TERMS[7], big)
    else:
        _series_n(v, x, out, SERIES_TERMS[8], big)


@njit(cache=True, nogil=True, error_model="numpy")
def _temme_n(v, x, out, nterms, big):
    nterms = literally(nterms)
    if big:
        _temme(v, x, out, nterms, _N_MAX)
    else:
        _temme(v, x, out, nterms, 1)


@njit(cache=True, nogil=True, error_model="numpy")
def _kv_bucket(bucket, big, v, x, out, ws):
    if bucket == 0:
        _temme_n(v, x, out, TEMME_TERMS[0], big)
    elif bucket == 1:
        _temme_n(v, x, out, TEMME_TERMS[1], big)
    elif bucket == 2:
        _temme_n(v, x, out, TEMME_TERMS[2], big)
    elif bucket == 3:
        _temme_n(v, x, out, TEMME_TERMS[3], big)
    elif bucket == 4:
        _temme_n(v, x, out, TEMME_TERMS[4], big)
    elif big:
        _steed(v, x, out, ws, _N_MAX)
    else:
        _steed(v, x, out, ws, 1)


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _padded_end(a, e):
    """End of the run [a, e) as evaluated by a single-pass kernel: rounded up to a multiple
    of _PAD (the lanes past e read whatever follows and write results that the following
    runs overwrite, so that no point is left to the scalar remainder loop)."""
    return a + (e - a + _PAD - 1) // _PAD * _PAD


@njit(cache=True, nogil=True, error_model="numpy")
def _buffers(n):
    """Per-call buffers: codes, permutation, sorted v and x, results, Debye's scratch (the
    padding of the last run reads and writes their tails), counts."""
    size = min(n, _BLOCK)
    return (np.empty(size, np.int8), np.empty(size, np.int32), np.ones(size + _PAD),
            np.ones(size + _PAD), np.empty(size + _PAD), np.empty(size + _PAD),
            np.empty(N_CODES + 1, np.int64), np.empty(N_CODES + 1, np.int64))


@njit(cache=True, nogil=True, error_model="numpy")
def _sort_block(cb, vb, xb, counts, pos, perm, vs, xs):
    """Counting sort of a block by code: vs, xs (float64) in code order, perm[k] the block
    index of sorted point k, counts[c] the start of code c's run. Returns the code if the
    whole block has one (then vs, xs are the block as it is, perm unset), else -1."""
    m = cb.size
    counts[:] = 0
    for i in range(m):
        counts[cb[i] + 1] += 1
    for c in range(N_CODES):
        if counts[c + 1] == m:
            for i in range(m):
                vs[i] = vb[i]
                xs[i] = xb[i]
            return c
    for c in range(N_CODES):
        counts[c + 1] += counts[c]
    pos[:] = counts
    for i in range(m):
        c = cb[i]
        p = pos[c]
        pos[c] = p + 1
        perm[p] = i
        vs[p] = vb[i]
        xs[p] = xb[i]
    return -1


@njit(cache=True, nogil=True, error_model="numpy")
def _scatter(ob, res, perm, single):
    """Results back into the block's order."""
    if single >= 0:
        for i in range(ob.size):
            ob[i] = res[i]
    else:
        for k in range(ob.size):
            ob[perm[k]] = res[k]


# One driver per function (Numba would type, and so compile, every kernel behind a runtime
# branch on the function): blocks of SORTED_BLOCK points are classified, counting-sorted
# and evaluated code by code (in code order, so that a padded run's extra lanes are
# rewritten by the runs that follow), and the results scattered back.
@njit(cache=True, nogil=True, error_model="numpy")
def _run_iv(v, x, out):
    codes, perm, vs, xs, res, aux, counts, pos = _buffers(v.size)
    for b0 in range(0, v.size, _BLOCK):
        m = min(_BLOCK, v.size - b0)
        cb = codes[:m]
        _classify_logbessel(v[b0:b0 + m], x[b0:b0 + m], cb, LOG_IV)
        single = _sort_block(cb, v[b0:b0 + m], x[b0:b0 + m], counts, pos, perm, vs, xs)
        for c in range(N_CODES):
            a, e = (0, m) if single >= 0 else (counts[c], counts[c + 1])
            if a < e and (single < 0 or c == single):
                e = e if c == REFERENCE else _padded_end(a, e)
                _evaluate_iv(c, vs[a:e], xs[a:e], res[a:e], aux)
        _scatter(out[b0:b0 + m], res, perm, single)


@njit(cache=True, nogil=True, error_model="numpy")
def _run_kv(v, x, out):
    codes, perm, vs, xs, res, aux, counts, pos = _buffers(v.size)
    ws = _workspace(max(min(v.size, _CH), 1))     # Steed's chunk workspace
    for b0 in range(0, v.size, _BLOCK):
        m = min(_BLOCK, v.size - b0)
        cb = codes[:m]
        _classify_logbessel(v[b0:b0 + m], x[b0:b0 + m], cb, LOG_KV)
        single = _sort_block(cb, v[b0:b0 + m], x[b0:b0 + m], counts, pos, perm, vs, xs)
        for c in range(N_CODES):
            a, e = (0, m) if single >= 0 else (counts[c], counts[c + 1])
            if a < e and (single < 0 or c == single):
                # Steed's chunks iterate to convergence: no padding lanes there
                pad = c != REFERENCE and c < FIRST_BUCKET + 2 * N_TEMME
                e = _padded_end(a, e) if pad else e
                _evaluate_kv(c, vs[a:e], xs[a:e], res[a:e], ws, aux)
        _scatter(out[b0:b0 + m], res, perm, single)


@njit(cache=True, nogil=True, error_model="numpy")
def _run_ratio(v, x, out, complement):
    codes, perm, vs, xs, res, _, counts, pos = _buffers(v.size)
    ws = _workspace(max(min(v.size, _CH), 1))
    for b0 in range(0, v.size, _BLOCK):
        m = min(_BLOCK, v.size - b0)
        cb = codes[:m]
        _classify_ratio(v[b0:b0 + m], x[b0:b0 + m], cb)
        single = _sort_block(cb, v[b0:b0 + m], x[b0:b0 + m], counts, pos, perm, vs, xs)
        for c in range(N_CODES):
            a, e = (0, m) if single >= 0 else (counts[c], counts[c + 1])
            if a < e and (single < 0 or c == single):
                _evaluate_ratio(c, vs[a:e], xs[a:e], res[a:e], ws, complement)
        _scatter(out[b0:b0 + m], res, perm, single)


def _run(v, x, out, kind):
    if kind == LOG_IV:
        _run_iv(v, x, out)
    elif kind == LOG_KV:
        _run_kv(v, x, out)
    else:
        _run_ratio(v, x, out, kind == IV_RATIO_C)


def _apply(v, x, kind, dtype=np.float64):
    """The kernels on broadcast arrays v, x (float64 or float32, any layout, any size, 0-d
    too); result of dtype (float64, or float32 for the ``*_float32`` entries: computed in
    float64). Every point's result depends on its (v, x) only, not on the other points of the
    array (its order, size or chunking)."""
    v = np.asarray(v)
    x = np.asarray(x)
    if v.shape != x.shape:
        v, x = np.broadcast_arrays(v, x)
    shape = v.shape
    out = np.empty(shape, dtype)
    _run(v.ravel(), x.ravel(), out.reshape(-1), kind)
    return out


# registry entries (see ``_register``): ``(xp, v, x)`` on broadcast NumPy arrays
def log_iv(xp, v, x):
    return _apply(v, x, LOG_IV)


def log_kv(xp, v, x):
    return _apply(v, x, LOG_KV)


def iv_ratio(xp, v, x, complement=False):
    return _apply(v, x, IV_RATIO_C if complement else IV_RATIO)


def log_iv_float32(xp, v, x):
    return _apply(v, x, LOG_IV, np.float32)


def log_kv_float32(xp, v, x):
    return _apply(v, x, LOG_KV, np.float32)


def iv_ratio_float32(xp, v, x, complement=False):
    return _apply(v, x, IV_RATIO_C if complement else IV_RATIO, np.float32)
