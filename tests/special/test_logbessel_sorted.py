"""The region-sorted NumPy kernels (``_logbessel_sorted``) and their building blocks.

- ``_vecmath``'s branch-free log / expm1 against mpmath;
- the tables they rely on (Temme term counts, the Perron class table), regenerated here
  from the reference loops' own stopping rules;
- every x-bucket of the small-argument region at and around its edges, against mpmath
  and against the scalar reference kernels;
- ``iv_ratio``: bit for bit the scalar reference kernel;
- float32 inputs: the float64 result rounded to float32, bit for bit;
- block boundaries and single-code blocks; every point's value independent of the rest of
  the array (order, size, chunking).
"""

import math

import mpmath as mp
import numpy as np
import pytest
from numba import njit

from solvers.special import iv_ratio, log_iv, log_kv
from solvers.special import _logbessel_sorted as sorted_kernels
from solvers.special._constants import (
    D13_W, EPS, MAX_PERRON, PERRON_CLASS_EDGES, PERRON_COUNTS, PERRON_EV0, PERRON_EX0,
    SERIES_TERMS, SERIES_X_EDGES, SORTED_BLOCK, STEED_BUCKETS, TEMME_MAX_X,
    TEMME_TERMS, TEMME_X_EDGES,
)
from solvers.special._logbessel_numba import (
    _rgamma_parts, iv_ratio_c_ufunc, iv_ratio_ufunc, log_iv_ufunc, log_kv_ufunc,
)
from solvers.special._vecmath import vexpm1, vlog

LOG_BOUND = 5e-14   # the accuracy target against mpmath (test_logbessel_accuracy)


def _bits_equal(a, b):
    assert a.dtype == b.dtype
    bits = np.int64 if a.dtype == np.float64 else np.int32
    return (a.view(bits) == b.view(bits)) | (np.isnan(a) & np.isnan(b))


# ------------------------------------------------------------------------------ _vecmath
@njit
def _vlog_array(x):
    out = np.empty_like(x)
    for i in range(x.size):
        out[i] = vlog(x[i])
    return out


@njit
def _vexpm1_array(y):
    out = np.empty_like(y)
    for i in range(y.size):
        out[i] = vexpm1(y[i])
    return out


def _ulp_errors(ours, points, exact):
    mp.mp.dps = 40
    errs = []
    for o, p in zip(ours, points):
        e = exact(mp.mpf(float(p)))
        errs.append(float(abs(mp.mpf(float(o)) - e) / mp.mpf(math.ulp(float(e)))))
    return np.array(errs)


def test_vlog_vs_mpmath(rng):
    """< 0.6 ulp (nearly correctly rounded), over the whole normal range and where the
    reduction switches (powers of 2, sqrt(2)) and log(x) ~ 0."""
    x = np.concatenate([
        10 ** rng.uniform(-307, 308, 2000), rng.uniform(0.5, 2.0, 2000),
        1.0 + rng.uniform(-1e-6, 1e-6, 300), 2.0 ** rng.integers(-1022, 1023, 100),
        np.outer(np.nextafter(math.sqrt(2.0), [0.0, 4.0]), 2.0 ** np.arange(-4, 5)).ravel(),
        [math.sqrt(2.0), math.sqrt(0.5), 1.0 - 2.0 ** -53, 1.0 + 2.0 ** -52,
         2.2250738585072014e-308, 1.7976931348623157e308],
    ])
    ours = _vlog_array(x)
    assert ours[x == 1.0].tolist() == [0.0] * int((x == 1.0).sum())
    nz = x != 1.0
    err = _ulp_errors(ours[nz], x[nz], mp.log)
    assert err.max() < 0.6, (err.max(), x[nz][np.argmax(err)])
    assert np.mean(err > 0.5) < 0.01


def test_vexpm1_vs_mpmath(rng):
    """<= 1.5 ulp on [0, 700], full relative accuracy for tiny arguments, and where the
    reduction starts (y = 1)."""
    y = np.concatenate([rng.uniform(0, 700, 2000), 10 ** rng.uniform(-300, 0, 2000),
                        rng.uniform(0.3, 1.2, 1000), [0.0, 5e-324, 0.34657359027997264, 1.0,
                                                      math.nextafter(1.0, 0.0), 2.0]])
    ours = _vexpm1_array(y)
    assert ours[y == 0.0].tolist() == [0.0]
    pos = y > 0
    err = _ulp_errors(ours[pos], y[pos], mp.expm1)
    assert err.max() <= 1.5, (err.max(), y[pos][np.argmax(err)])


# ------------------------------------------------------------------------------- tables
def _temme_stop(mu, x):
    """The index at which ``_logbessel_numba._temme``'s loop stops."""
    even, odd = _rgamma_parts(mu)
    gampl, gammi = even + mu * odd, even - mu * odd
    x2 = 0.5 * x
    pimu = math.pi * mu
    fact = 1.0 if abs(pimu) < 1e-9 else pimu / math.sin(pimu)
    d = -math.log(x2)
    e = mu * d
    ae = abs(e)
    em = math.expm1(ae)
    ea = 1.0 + em
    fact2 = 1.0 if ae == 0.0 else 0.5 * em * (1.0 + 1.0 / ea) / ae
    ff = fact * (-odd * 0.5 * (ea + 1.0 / ea) + even * fact2 * d)
    s = ff
    ee = ea if e >= 0.0 else 1.0 / ea
    p, q, c, dd = 0.5 * ee / gampl, 0.5 / (ee * gammi), 1.0, x2 * x2
    for i in range(1, 200):
        ff = (i * ff + p + q) / (i * i - mu * mu)
        c *= dd / i
        p /= i - mu
        q /= i + mu
        term = c * ff
        s += term
        if abs(term) < 0.5 * EPS * abs(s):
            return i
    return 200


def test_temme_terms_cover_the_reference_stopping_rule():
    """TEMME_TERMS[k] = 1 + the reference loop's largest stopping index over mu in
    [-1/2, 1/2) at the octave's upper edge; and the index grows with x (so the edge is the
    worst case of its octave)."""
    mus = np.linspace(-0.5, 0.5, 401)[:-1]
    worst = []
    for edge in TEMME_X_EDGES:
        worst.append(max(_temme_stop(mu, edge) for mu in mus))
        inside = max(_temme_stop(mu, edge * t) for mu in mus[::8] for t in (0.51, 0.75, 0.99))
        assert inside <= worst[-1]
    assert tuple(w + 1 for w in worst) == TEMME_TERMS
    assert TEMME_X_EDGES[-1] == TEMME_MAX_X


def test_series_terms_cover_the_reference_stopping_rule():
    """The series loop of log I stops (r < eps/2 s) within SERIES_TERMS at every x of the
    octave and every order of the small region."""
    for edge, nterms in zip(SERIES_X_EDGES, SERIES_TERMS):
        for x in (edge, 0.7 * edge):
            q = 0.25 * x * x
            for v in np.linspace(0.0, D13_W, 200):
                r = s = 1.0
                for k in range(1, 200):
                    r *= q / (k * (k + v))
                    s += r
                    if r < 0.5 * EPS * s:
                        break
                assert k <= nterms, (edge, x, v, k)


def _perron_stop(v, x):
    """The index at which ``iv_ratio_scalar``'s continued-fraction loop stops."""
    c = math.ldexp(1.0, 2 - math.frexp(max(v, x))[1])
    vc, xc = v * c, x * c
    b_prev = 2.0 * (vc + xc) + c
    term = -(2.0 * vc + c) * xc / b_prev
    u, s, comp = 1.0, 2.0 * vc, 0.0
    for k in range(2, MAX_PERRON):
        y = term - comp
        tot = s + y
        comp = (tot - s) - y
        s = tot
        a = -(2.0 * vc + (2.0 * k - 1.0) * c) * xc
        b = 2.0 * (vc + xc) + k * c
        u = 1.0 / (1.0 + a * u / (b * b_prev))
        term *= u - 1.0
        b_prev = b
        if abs(term) < 0.5 * EPS * abs(s):
            return k
    return MAX_PERRON


@pytest.mark.slow
def test_perron_count_table_regenerates():
    """PERRON_COUNTS: the largest stopping index over 5 x 5 samples of each cell."""
    frac = np.linspace(1.0, 2.0, 6)[:-1]
    for i, row in enumerate(PERRON_COUNTS):
        for j, stored in enumerate(row):
            xs = 2.0 ** (i + PERRON_EX0) * frac
            vs = np.maximum(2.0 ** (j + PERRON_EV0) * frac, 0.5000001)
            assert max(_perron_stop(a, b) for a in vs for b in xs) == stored, (i, j)
    assert list(PERRON_CLASS_EDGES) == sorted(PERRON_CLASS_EDGES)


# ------------------------------------------------------------- small-argument buckets
def _edge_points():
    """x at every bucket edge of the small region (and just inside / outside), orders with
    n = floor(v + 1/2) <= 1 and >= 2, integers, half-integers and the n-class edge 3/2."""
    edges = sorted(set(SERIES_X_EDGES) | set(TEMME_X_EDGES)
                   | {3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0})
    xs = []
    for e in edges:
        xs += [e, math.nextafter(e, 0.0), math.nextafter(e, 40.0), e * (1 - 1e-9), e * (1 + 1e-9)]
    xs = np.array([x for x in xs if x <= 30.0])
    vs = np.array([0.0, 1e-3, 0.3, 0.5, 0.7, 1.0, 1.4999999999, 1.5, 1.5000000001, 2.5, 3.3,
                   6.0, 7.5, 11.9, 12.5])
    v, x = np.meshgrid(vs, xs)
    return v.ravel(), x.ravel()


def test_small_region_bucket_edges_vs_reference(sorted_tolerance):
    v, x = _edge_points()
    v = np.concatenate([v, -v])
    x = np.concatenate([x, x])
    for func, reference in ((log_iv, log_iv_ufunc), (log_kv, log_kv_ufunc)):
        ours, ref = func(v, x), reference(v, x)
        np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref))
        ok = ~np.isnan(ref)
        err = sorted_tolerance(ours[ok], ref[ok], v[ok], x[ok], func.__name__)
        i = int(np.argmax(err))
        assert err[i] <= 1.0, (func.__name__, err[i], v[ok][i], x[ok][i])


@pytest.fixture(scope="module")
def edge_references():
    v, x = _edge_points()
    mp.mp.dps = 30
    log_i = np.array([float(mp.log(mp.besseli(a, b))) for a, b in zip(v, x)])
    log_k = np.array([float(mp.log(mp.besselk(a, b))) for a, b in zip(v, x)])
    return v, x, log_i, log_k


@pytest.mark.slow
def test_small_region_bucket_edges_vs_mpmath(edge_references):
    v, x, log_i, log_k = edge_references
    for func, ref in ((log_iv, log_i), (log_kv, log_k)):
        ours = func(v, x)
        err = np.abs(ours - ref) / np.maximum(1.0, np.abs(ref))
        i = int(np.argmax(err))
        assert err[i] <= LOG_BOUND, (func.__name__, err[i], v[i], x[i])


def test_half_integer_orders_of_k(rng):
    """K_{n+1/2} in the small region (its own code: closed form and the recurrence) against
    K_{n+1/2}(x) = sqrt(pi/(2x)) e^{-x} sum_k (n+k)! / (k! (n-k)! (2x)^k)."""
    n = rng.integers(0, 13, 2000)
    x = 10 ** rng.uniform(-3, math.log10(19.0), 2000)
    ours = log_kv(n + 0.5, x)
    ref = np.empty_like(x)
    mp.mp.dps = 30
    for i, (m, b) in enumerate(zip(n, x)):
        m, b = int(m), mp.mpf(float(b))
        poly = mp.fsum(mp.factorial(m + k) / (mp.factorial(k) * mp.factorial(m - k))
                       / (2 * b) ** k for k in range(m + 1))
        ref[i] = float(0.5 * mp.log(mp.pi / (2 * b)) - b + mp.log(poly))
    err = np.abs(ours - ref) / np.maximum(1.0, np.abs(ref))
    assert err.max() <= 4 * EPS, err.max()


def test_steed_buckets_are_half_octaves():
    """x in (2, 32] falls in STEED_BUCKETS half-octave codes after the Temme octaves."""
    x = np.array([2.0000000000000004, 3.0, 3.0000000000000004, 4.0, 6.0, 8.0, 12.0, 16.0,
                  24.0, 24.000000000000004, 30.0])
    codes = np.empty(x.size, np.int8)
    sorted_kernels._classify_logbessel(np.full(x.size, 0.25), x, codes, sorted_kernels.LOG_KV)
    bucket = (codes - sorted_kernels.FIRST_BUCKET) // 2 - len(TEMME_X_EDGES)
    assert bucket.tolist() == [0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 7]
    assert bucket.max() == STEED_BUCKETS - 1
    codes2 = np.empty(2, np.int8)
    sorted_kernels._classify_logbessel(np.full(2, 0.25), np.array([TEMME_MAX_X, 1.0]), codes2,
                                       sorted_kernels.LOG_KV)
    assert ((codes2 - sorted_kernels.FIRST_BUCKET) // 2).tolist() == [4, 3]   # x = 2: Temme


# ---------------------------------------------------------------------------- iv_ratio
@pytest.mark.parametrize("complement, reference", [(False, iv_ratio_ufunc),
                                                    (True, iv_ratio_c_ufunc)])
def test_iv_ratio_sorted_is_bitwise_the_reference(rng, complement, reference):
    """Each point frozen where the reference loop stops: the same operations, bit for bit,
    over every Perron class, the table's clamped corners and the special values."""
    n = 100_000
    v = 0.5 + 10 ** rng.uniform(-8, 6, n)
    x = 10 ** rng.uniform(-12, 9, n)
    v[:20], x[20:40], x[40:60], v[60:80], v[80:100] = np.nan, 0.0, np.inf, np.inf, 0.5
    v[100:120], x[120:140] = 0.3, -1.0
    x[140:1000] = v[140:1000] * rng.uniform(0.5, 2.0, 860)     # x ~ v, the slowest cells
    ours = iv_ratio(v, x, complement=complement)
    same = _bits_equal(ours, reference(v, x))
    assert same.all(), (v[~same][:3], x[~same][:3])
    np.testing.assert_array_equal(
        iv_ratio(v[::-1].reshape(-1, 10), x[::-1].reshape(-1, 10), complement=complement).ravel(),
        ours[::-1])


# ----------------------------------------------------------------------------- float32
@pytest.mark.parametrize("func", [log_iv, log_kv, iv_ratio])
@pytest.mark.parametrize("n", [11, 50_000])
def test_float32_is_float64_rounded(rng, func, n):
    """float32 inputs: computed in float64 from the float32 values (no float64 copy of the
    inputs on the NumPy path), rounded once: bit for bit the float64 result rounded."""
    v = (10 ** rng.uniform(-3, 3, n)).astype(np.float32)
    x = (10 ** rng.uniform(-3, 4, n)).astype(np.float32)
    if func is iv_ratio:
        v += np.float32(0.5)
    v[:5] *= -1
    x[5:10] = [0.0, np.inf, np.nan, -1.0, 1e-30]
    out = func(v, x)
    assert out.dtype == np.float32
    ref = func(v.astype(np.float64), x.astype(np.float64)).astype(np.float32)
    assert _bits_equal(out, ref).all()
    # a Python scalar keeps its float64 value
    out = func(2.1, x)
    assert out.dtype == np.float32
    assert _bits_equal(out, func(2.1, x.astype(np.float64)).astype(np.float32)).all()


# ------------------------------------------------------------------------------ blocks
@pytest.mark.parametrize("n", [SORTED_BLOCK - 1, SORTED_BLOCK, SORTED_BLOCK + 3])
def test_block_boundaries_and_single_code_blocks(rng, n, sorted_tolerance):
    """Arrays across block boundaries; blocks of one code (evaluated without the sort) and
    of many: the same values as the scalar reference kernels."""
    m = 2 * n
    v = 10 ** rng.uniform(-3, 3, m)
    x = 10 ** rng.uniform(-3, 4, m)
    v[:n], x[:n] = 200.0 + rng.uniform(0, 50, n), 10 ** rng.uniform(-2, 1, n)   # all Debye4
    for func, reference in ((log_iv, log_iv_ufunc), (log_kv, log_kv_ufunc)):
        err = sorted_tolerance(func(v, x), reference(v, x), v, x, func.__name__)
        assert err.max() <= 1.0, func.__name__
    vr = v + 0.5
    assert _bits_equal(iv_ratio(vr, x), iv_ratio_ufunc(vr, x)).all()


# ----------------------------------------------------------------------- classification
def test_classification_takes_the_reference_decisions(rng):
    """The sorted kernels' codes give the region of the scalar ``_region`` (which takes the
    Hankel rows' log conditions with libm's log; the sorted classification tests only their
    guards v^2 < C x, which imply them): on log-uniform points and on points within 1e-12
    of the log-condition curves and of the guards."""
    from solvers.special._constants import H3_A, H3_B, H3_C, H20_A, H20_B, H20_C
    from solvers.special._logbessel_numba import _region

    n = 20_000
    v = 10 ** rng.uniform(-3, 5, n)
    x = 10 ** rng.uniform(-3, 8, n)
    xs = 10 ** rng.uniform(1.5, 8, 4000)
    wobble = 1 + rng.uniform(-1e-12, 1e-12, 4000)
    curves = [np.exp(H20_A * np.log(xs) + H20_B), np.exp(H3_A * np.log(xs) + H3_B),
              np.sqrt(H20_C * xs), np.sqrt(H3_C * xs)]
    v = np.concatenate([v] + [c * wobble for c in curves])
    x = np.concatenate([x] + [xs] * len(curves))
    for kind in (sorted_kernels.LOG_IV, sorted_kernels.LOG_KV):
        codes = np.empty(v.size, np.int8)
        sorted_kernels._classify_logbessel(v, x, codes, kind)
        ref = np.array([_region(a, b) for a, b in zip(v, x)])
        table = np.where(codes >= sorted_kernels.FIRST_BUCKET, 0, codes)
        keep = codes != sorted_kernels.REFERENCE
        np.testing.assert_array_equal(table[keep], ref[keep])
        assert keep.mean() > 0.99


@pytest.mark.parametrize("func, kw", [(log_iv, {}), (log_kv, {}), (iv_ratio, {}),
                                      (iv_ratio, {"complement": True})])
def test_values_do_not_depend_on_the_other_points(rng, func, kw):
    """A point's value is a function of its (v, x) alone: the same bits in the whole array,
    in pieces of any size (down to scalars), in any order and next to any other points
    (Steed's and Perron's chunks iterate until their slowest point converges, but each point
    stops accumulating where its own stopping rule is met). Dask's chunk-wise evaluation
    relies on this."""
    n = 6000
    v = 10 ** rng.uniform(-3, 3, n) + (0.5 if func is iv_ratio else 0.0)
    x = np.concatenate([rng.uniform(0, 30, n // 2), 10 ** rng.uniform(-3, 5, n - n // 2)])
    x[:50] = rng.uniform(2.0, 2.2, 50)            # Steed's slowest points
    v[:50] = rng.uniform(0, 12, 50)
    whole = func(v, x, **kw)
    cuts = np.sort(rng.choice(np.arange(1, n), 40, replace=False))
    pieces = np.concatenate([func(a, b, **kw) for a, b in zip(np.split(v, cuts),
                                                              np.split(x, cuts))])
    assert _bits_equal(pieces, whole).all()
    p = rng.permutation(n)
    assert _bits_equal(func(v[p], x[p], **kw), whole[p]).all()
    for i in rng.choice(n, 30, replace=False):
        assert _bits_equal(np.asarray(func(v[i], x[i], **kw)).reshape(1), whole[i:i + 1]).all()
