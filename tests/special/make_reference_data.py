"""Generate ``tests/special/data/logbessel_reference.npz`` with mpmath (run by hand).

Usage::

    python tests/special/make_reference_data.py [--workers 2]

Takes a few minutes on two cores. The tests only read the file.

Reference values, 50 significant digits, stored rounded to float64:

- log I_v(x): ``mpmath.besseli`` (a convergent positive series), accepted if
  the same at 40 digits (guards mpmath#331); for v >= 1000, or where besseli
  times out and v >= 50, the uniform (Debye) expansion with 30 terms
  evaluated in mpmath (truncation error < 1e-30 there).
- log K_v(x): mpmath's besselk is NOT reliable at non-integer orders: it
  returns a negative value at (616.03, 504.32) and is off by 1.3e-12 at
  v = 399.07, x/v = 0.6434 (by 50 at x/v = 0.7), where hyperu, which shares
  its machinery, agrees with it. So a candidate (Debye-30 for v >= 50, then
  besselk, then K_v(x) = sqrt(pi) (2x)^v e^{-x} U(v + 1/2, 2v + 1, 2x)) is
  evaluated at two neighbouring orders and accepted only if the Wronskian
  I_{v-1} K_v + I_v K_{v-1} = 1/x holds to 1e-20 with I from besseli. For
  v >= 1000 the Debye-30 value is used alone (checked at 40 digits).
  Points that cannot be verified get NaN (reported).
  A sample where both besseli/besselk and the Debye or hyperu form run is
  cross-checked and the largest disagreement is stored (``crosscheck``).
- I_v(x) / I_{v-1}(x) and 1 minus it: mpmath besseli(v, x) / besseli(v - 1, x) at
  50 digits (for v >= 1000, exp of the difference of the 50-digit Debye logs).

The grids: orders {0} and [1e-6, 1e5] with every branch-table constant
scaled by (1 +- 1e-9), integer and half-integer orders, arguments in
[1e-10, 1e6] with every table argument constant scaled by (1 +- 1e-9), points
on both sides of the large-argument boundary curves, large orders near the
zero of eta(x/v) (where v*eta cancels), random log-uniform points, negative
orders, and the iv_ratio grid v in [0.5, 1e5], x in [0, 1e6].
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
OUT = HERE / "data" / "logbessel_reference.npz"
DPS = 50
CHECK_DPS = 40
TIMEOUT_S = 8
DEBYE_MIN_ORDER = 1000.0
DEBYE_CHECK_ORDER = 50.0
AGREE = 1e-25
WRONSKIAN_TOL = 1e-20  # mpmath's large-argument I and K carry ~1e-23 relative error

_DEBYE = None


class _Timeout(Exception):
    pass


def _alarm(*_):
    raise _Timeout()


def _debye_table(n=30):
    global _DEBYE
    if _DEBYE is None:
        sys.path.insert(0, str(HERE.parents[1] / "solvers" / "special"))
        from _generate_debye import debye_polynomials  # exact rationals

        _DEBYE = debye_polynomials(n)
    return _DEBYE


def _log_debye(mp, kind, v, x):
    """Uniform expansion (DLMF 10.41.3/4) with 30 terms, in mpmath."""
    v = mp.mpf(v)
    x = mp.mpf(x)
    z = x / v
    r = mp.sqrt(1 + z * z)
    t = 1 / r
    eta = r + mp.log(z / (1 + r))
    s = mp.mpf(1)
    sign = 1 if kind == "i" else -1
    for k, u in enumerate(_debye_table(), start=1):
        uk = sum(mp.mpf(c.numerator) / c.denominator * t ** p for p, c in u.items())
        s += (sign ** k) * uk / v ** k
    quarter = -mp.log(1 + z * z) / 4
    if kind == "i":
        return -mp.log(2 * mp.pi * v) / 2 + v * eta + quarter + mp.log(s)
    return mp.log(mp.pi / (2 * v)) / 2 - v * eta + quarter + mp.log(s)


def _log_direct(mp, kind, v, x):
    f = mp.besseli if kind == "i" else mp.besselk
    val = f(mp.mpf(v), mp.mpf(x))
    if val < 0:
        return mp.nan if kind == "i" else mp.mpc(mp.log(-val), mp.pi)  # K < 0: mpmath error
    return mp.log(val)


def _log_hyperu(mp, v, x):
    v = abs(mp.mpf(v))
    x = mp.mpf(x)
    return (mp.log(mp.pi) / 2 + v * mp.log(2 * x) - x
            + mp.log(mp.hyperu(v + mp.mpf(1) / 2, 2 * v + 1, 2 * x)))


def _with_timeout(fn, *args):
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(TIMEOUT_S)
    try:
        return fn(*args)
    finally:
        signal.alarm(0)


def _evaluate(mp, method, kind, v, x):
    if method == "debye":
        return _log_debye(mp, kind, v, x)
    if method == "hyperu":
        return _log_hyperu(mp, v, x)
    return _log_direct(mp, kind, v, x)


def _single_method_check(mp, method, kind, v, x, val):
    """Accept a value of a single method if it is the same at CHECK_DPS digits."""
    try:
        mp.mp.dps = CHECK_DPS
        check = _with_timeout(_evaluate, mp, method, kind, v, x)
    except (_Timeout, mp.libmp.NoConvergence):
        return False
    finally:
        mp.mp.dps = DPS
    return abs(val - check) <= mp.mpf(AGREE) * max(1, abs(val))


def _reference_i(mp, v, x):
    """log I: mpmath besseli (a positive series; reliable), or Debye-30 for v >= 1000."""
    method, code = ("debye", 1) if v >= DEBYE_MIN_ORDER else ("direct", 0)
    try:
        val = _with_timeout(_evaluate, mp, method, "i", v, x)
    except (_Timeout, mp.libmp.NoConvergence):
        if v < DEBYE_CHECK_ORDER:
            return float("nan"), -1
        method, code = "debye", 1
        val = _log_debye(mp, "i", v, x)
    if mp.isnan(val):
        return float("nan"), code  # I_{-v}(x) < 0
    if not _single_method_check(mp, method, "i", v, x, val):
        return float("nan"), -2
    return float(val), code


def _wronskian_ok(mp, v, x, log_k_lo, log_k_hi, lo):
    """x (I_lo K_{lo+1} + I_{lo+1} K_lo) = 1, with I from mpmath besseli (reliable)."""
    try:
        i_lo = _with_timeout(mp.besseli, lo, mp.mpf(x))
        i_hi = _with_timeout(mp.besseli, lo + 1, mp.mpf(x))
    except (_Timeout, mp.libmp.NoConvergence):
        return None
    w = mp.mpf(x) * (i_lo * mp.exp(log_k_hi) + i_hi * mp.exp(log_k_lo))
    return abs(w - 1) <= WRONSKIAN_TOL


def _reference_k(mp, v, x):
    """log K, verified through the Wronskian with besseli.

    mpmath's besselk (and hyperu, which shares its machinery) is wrong for
    some non-integer orders: e.g. a negative value at (616.03, 504.32), and
    log K_v(x) off by 1.3e-12 at v = 399.07, x/v = 0.6434, by 50 at x/v = 0.7.
    So each candidate method computes K at two neighbouring orders and is
    accepted only if the Wronskian I_lo K_{lo+1} + I_{lo+1} K_lo = 1/x holds to
    1e-20 (lo = v - 1, or v for v < 1, so that K_v carries the dominant term).
    For v >= 1000 (besseli too slow) the Debye-30 value is used alone.
    """
    if v >= DEBYE_MIN_ORDER:
        val = _log_debye(mp, "k", v, x)
        ok = _single_method_check(mp, "debye", "k", v, x, val)
        return (float(val), 0) if ok else (float("nan"), -2)
    vm = mp.mpf(v)
    lo = vm - 1 if v >= 1.0 else vm  # exact in mpmath (a float v + 1.0 would round)
    other = lo if v >= 1.0 else vm + 1
    methods = ["debye", "direct", "hyperu"] if v >= DEBYE_CHECK_ORDER else ["direct", "hyperu"]
    for code, method in enumerate(methods):
        try:
            k_v = _with_timeout(_evaluate, mp, method, "k", v, x)
            k_other = _with_timeout(_evaluate, mp, method, "k", other, x)
        except (_Timeout, mp.libmp.NoConvergence, ZeroDivisionError, ValueError):
            continue
        if isinstance(k_v, mp.mpc) or isinstance(k_other, mp.mpc):
            continue
        k_lo, k_hi = (k_other, k_v) if v >= 1.0 else (k_v, k_other)
        ok = _wronskian_ok(mp, v, x, k_lo, k_hi, lo)
        if ok is None and method == "debye" and _single_method_check(mp, method, "k", v, x, k_v):
            return float(k_v), code
        if ok:
            return float(k_v), code
    return float("nan"), -2


def reference(args):
    """(value, method code) of log I or log K at (v, x); NaN and a negative code if the
    value could not be verified (-1: timeouts, -2: checks failed)."""
    kind, v, x = args
    import mpmath as mp

    mp.mp.dps = DPS
    if kind == "i":
        return _reference_i(mp, v, x)
    return _reference_k(mp, v, x)


def _grids(rng):
    table_v = [0.3, 0.46, 0.6, 0.7, 3.05, 3.1, 12.6964, 15.3919, 20.1534, 56.9971, 163.6993]
    table_x = [2.0, 19.6931, 30.0, 35.9074, 59.6925, 84.4153, 274.2377, 1400.0]
    base_v = [0.0, 1e-6, 1e-3, 0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 5.0, 7.5, 10.0, 12.5,
              13.0, 20.5, 40.0, 100.0, 400.0, 1000.0, 1e4, 1e5]
    vs = sorted(set(base_v + [c * f for c in table_v for f in (1 - 1e-9, 1 + 1e-9)]))
    xs = sorted(set(list(np.logspace(-10, 6, 25))
                    + [c * f for c in table_x for f in (1 - 1e-9, 1 + 1e-9)]))
    V, X = np.meshgrid(vs, xs, indexing="ij")
    v_list, x_list = [V.ravel()], [X.ravel()]
    # integer and half-integer orders
    vi = np.concatenate([np.arange(1, 16), np.arange(0.5, 16, 1.0)])
    xi = np.logspace(-6, 4, 9)
    V, X = np.meshgrid(vi, xi, indexing="ij")
    v_list.append(V.ravel())
    x_list.append(X.ravel())
    # both sides of the large-argument boundaries (paper curves and tightened guards)
    n_curve = 60
    for lv_of_lx in (lambda lx: 0.5113 * lx + 0.7939, lambda lx: 0.6229 * lx - 3.2318,
                     lambda lx: 0.5 * (np.log(2.0) + lx), lambda lx: 0.5 * (np.log(0.002) + lx)):
        lx = rng.uniform(np.log(30.0), np.log(1e6), n_curve)
        for f in (1 - 1e-3, 1 + 1e-3):
            v_list.append(np.exp(lv_of_lx(lx)) * f)
            x_list.append(np.exp(lx))
    # large orders near the zero z0 = 0.66274 of eta(x/v), where v*eta cancels
    n_band = 150
    vb = 10 ** rng.uniform(2, 5, n_band)
    v_list.append(vb)
    x_list.append(vb * 0.6627434193491816 * (1 + rng.uniform(-0.03, 0.03, n_band)))
    # random log-uniform points
    n_rand = 300
    v_list.append(10 ** rng.uniform(-6, 5, n_rand))
    x_list.append(10 ** rng.uniform(-10, 6, n_rand))
    v = np.concatenate(v_list)
    x = np.concatenate(x_list)
    keep = (x >= 1e-10) & (x <= 1e6) & (v <= 1e5)
    # negative orders (log I may be NaN: I_{-v} < 0)
    vn = np.array([-0.25, -0.5, -1.5, -2.3, -3.0, -7.7, -12.5])
    xn = np.array([0.1, 1.0, 5.0, 30.0, 100.0])
    Vn, Xn = np.meshgrid(vn, xn, indexing="ij")
    # iv_ratio grid
    vr = np.array([0.5, 0.5 + 1e-9, 0.6, 0.75, 1.0, 1.5, 2.0, 3.5, 10.0, 50.5, 100.0, 1000.0,
                   1e4, 1e5])
    xr = np.concatenate([[0.0], np.logspace(-10, 6, 33)])
    Vr, Xr = np.meshgrid(vr, xr, indexing="ij")
    return v[keep], x[keep], Vn.ravel(), Xn.ravel(), Vr.ravel(), Xr.ravel()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(20240913)
    v, x, vn, xn, vr, xr = _grids(rng)
    t0 = time.time()
    jobs = ([("i", a, b) for a, b in zip(v, x)] + [("k", a, b) for a, b in zip(v, x)]
            + [("i", a, b) for a, b in zip(vn, xn)])
    with Pool(args.workers) as pool:
        results = pool.map(reference, jobs, chunksize=8)
    vals = np.array([r[0] for r in results])
    codes = np.array([r[1] for r in results], dtype=np.int8)
    n = v.size
    log_i, log_k = vals[:n], vals[n:2 * n]
    code_i, code_k = codes[:n], codes[n:2 * n]
    nn = vn.size
    log_i_neg = vals[2 * n:]
    # the ratio from 50-digit logs (exp of the difference of float64 logs is not accurate)
    pos = xr > 0
    ratio = np.zeros(vr.shape)
    ratio_c = np.ones(vr.shape)
    ratio[pos], ratio_c[pos] = _ratio_50(vr[pos], xr[pos], args.workers)
    crosscheck = _crosscheck(rng, args.workers)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        OUT, v=v, x=x, log_i=log_i, log_k=log_k, code_i=code_i, code_k=code_k,
        v_neg=vn, x_neg=xn, log_i_neg=log_i_neg, v_ratio=vr, x_ratio=xr, ratio=ratio,
        ratio_c=ratio_c,
        crosscheck=np.array(crosscheck))
    bad_i = np.isnan(log_i).sum()
    bad_k = np.isnan(log_k).sum()
    print(f"wrote {OUT} ({OUT.stat().st_size / 1e3:.0f} kB) in {time.time() - t0:.0f} s: "
          f"{n} log I/K points ({bad_i}/{bad_k} without a reference), {nn} negative-order, "
          f"{vr.size} ratio points; method cross-check max rel diff {max(crosscheck):.1e}")
    return 0


def _ratio_one(args):
    """(ratio, 1 - ratio) at 50 digits."""
    v, x = args
    import mpmath as mp

    mp.mp.dps = DPS
    r = None
    if v < DEBYE_MIN_ORDER:
        try:
            r = _with_timeout(lambda: mp.besseli(v, x) / mp.besseli(v - 1.0, x))
        except (_Timeout, mp.libmp.NoConvergence):
            if v < DEBYE_CHECK_ORDER:
                return float("nan"), float("nan")
    if r is None:
        r = mp.exp(_log_debye(mp, "i", v, x) - _log_debye(mp, "i", v - 1.0, x))
    return float(r), float(1 - r)


def _ratio_50(v, x, workers):
    with Pool(workers) as pool:
        out = np.array(pool.map(_ratio_one, list(zip(v, x)), chunksize=8))
    return out[:, 0], out[:, 1]


def _cross_one(args):
    kind, v, x = args
    import mpmath as mp

    mp.mp.dps = DPS
    try:
        a = _with_timeout(_log_direct, mp, kind, v, x)
        b = (_with_timeout(_log_hyperu, mp, v, x) if kind == "k" and v < 100
             else _log_debye(mp, kind, v, x))
    except (_Timeout, mp.libmp.NoConvergence):
        return 0.0
    if isinstance(a, mp.mpc):  # mpmath besselk failure (negative K), already excluded above
        return 0.0
    return float(abs(a - b) / max(1, abs(a)))


def _crosscheck(rng, workers):
    """Max relative disagreement of the two methods where both run (sample)."""
    def sample(lo_v, hi_v, lo_x, hi_x):
        return zip(10 ** rng.uniform(lo_v, hi_v, 12), 10 ** rng.uniform(lo_x, hi_x, 12))

    pts = ([("i", v, x) for v, x in sample(2, 3.5, -3, 4)]
           + [("k", v, x) for v, x in sample(2, 3, -3, 3)]
           + [("k", v, x) for v, x in zip(rng.uniform(0, 20, 12), 10 ** rng.uniform(-3, 2, 12))])
    with Pool(workers) as pool:
        return pool.map(_cross_one, pts)


if __name__ == "__main__":
    sys.exit(main())
