"""solvers.special vs SciPy (and mpmath) on the same inputs.

Timing inputs: 1e6 points (1e5 with ``--quick``), log-uniform v in [1e-3, 1e3],
x in [1e-3, 1e4], one thread, split by the branch of the region table each
point falls in. Peers: SciPy's ``log(ive(v, x)) + x`` and ``log(kve(v, x)) - x``
(SciPy has no log-Bessel function), ``ive(v, x) / ive(v - 1, x)`` for
``iv_ratio``, and mpmath on 1e3 points (100 with ``--quick``).

Errors: max |ours - ref| / max(1, |ref|) against the 50-digit mpmath references
stored in ``tests/special/data/logbessel_reference.npz`` for the points of the
same region (relative error for the ratio); where SciPy returns a non-finite
value for a finite truth, its error column says how many.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import scipy.special as sc

from . import Row, median_time

REFERENCE = (Path(__file__).resolve().parents[2] / "tests" / "special" / "data"
             / "logbessel_reference.npz")
REGIONS = ["small", "hankel3", "hankel20", "debye4", "debye6", "debye9", "debye13"]


def _regions(v, x):
    from array_api_compat import numpy as xp

    from solvers.special._logbessel_generic import _region

    return np.asarray(_region(xp, np.abs(v), x))


def _errors(ours, peer, ref, relative=False):
    ok = np.isfinite(ref)
    ours, peer, ref = ours[ok], peer[ok], ref[ok]
    scale = np.abs(ref) if relative else np.maximum(1.0, np.abs(ref))
    e_ours = float(np.max(np.abs(ours - ref) / scale)) if ref.size else float("nan")
    finite = np.isfinite(peer)
    e_peer = float(np.max(np.abs(peer[finite] - ref[finite]) / scale[finite])) \
        if finite.any() else float("nan")
    bad = int((~finite).sum())
    peer_err = f"{e_peer:.1e} ({bad} non-finite)" if bad else e_peer
    return e_ours, peer_err


def _scipy_log_iv(v, x):
    with np.errstate(all="ignore"):
        return np.log(sc.ive(v, x)) + x


def _scipy_log_kv(v, x):
    with np.errstate(all="ignore"):
        return np.log(sc.kve(v, x)) - x


def _scipy_ratio(v, x):
    with np.errstate(all="ignore"):
        return sc.ive(v, x) / sc.ive(v - 1.0, x)


def rows(quick: bool):
    from solvers.special import iv_ratio, log_iv, log_kv

    n = 100_000 if quick else 1_000_000
    repeat = 3 if quick else 5
    rng = np.random.default_rng(2024)
    v = 10 ** rng.uniform(-3, 3, n)
    x = 10 ** rng.uniform(-3, 4, n)
    log_iv(v[:10], x[:10]), log_kv(v[:10], x[:10]), iv_ratio(v[:10] + 1, x[:10])  # compile
    reg = _regions(v, x)
    with np.load(REFERENCE) as d:
        ref = {k: d[k] for k in d.files}
    ref_reg = _regions(ref["v"], ref["x"])

    pairs = (("log_iv", log_iv, _scipy_log_iv, "log(ive)+x", "log_i"),
             ("log_kv", log_kv, _scipy_log_kv, "log(kve)-x", "log_k"))
    for name, ours_fn, peer_fn, peer_name, key in pairs:
        t_ours, _ = median_time(lambda: ours_fn(v, x), repeat=repeat)
        t_peer, _ = median_time(lambda: peer_fn(v, x), repeat=repeat)
        rv, rx, rr = ref["v"], ref["x"], ref[key]
        e_ours, e_peer = _errors(ours_fn(rv, rx), peer_fn(rv, rx), rr)
        yield Row(f"special {name} all regions", t_ours, f"SciPy {peer_name}", t_peer,
                  e_ours, e_peer, note=f"n={n}")
        for code, region in enumerate(REGIONS):
            m = reg == code
            if m.sum() < 100:
                continue
            vm, xm = v[m], x[m]
            t_ours, _ = median_time(lambda: ours_fn(vm, xm), repeat=repeat)
            t_peer, _ = median_time(lambda: peer_fn(vm, xm), repeat=repeat)
            r = ref_reg == code
            e_ours, e_peer = _errors(ours_fn(rv[r], rx[r]), peer_fn(rv[r], rx[r]), rr[r])
            yield Row(f"special {name} {region}", t_ours, f"SciPy {peer_name}", t_peer,
                      e_ours, e_peer, note=f"n={int(m.sum())}")

    # threaded variant: the Numba ufuncs release the GIL, so chunks run in parallel
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:
        for name, ours_fn, peer_fn, peer_name, _ in pairs:
            t_ours, _ = median_time(lambda: _threaded(pool, ours_fn, v, x), repeat=repeat)
            t_peer, _ = median_time(lambda: peer_fn(v, x), repeat=repeat)
            yield Row(f"special {name} all regions, 2 threads", t_ours, f"SciPy {peer_name}",
                      t_peer, note=f"n={n}; SciPy single-threaded")

    vr = v + 0.5
    t_ours, _ = median_time(lambda: iv_ratio(vr, x), repeat=repeat)
    t_peer, _ = median_time(lambda: _scipy_ratio(vr, x), repeat=repeat)
    pos = ref["x_ratio"] > 0
    rv, rx, rr = ref["v_ratio"][pos], ref["x_ratio"][pos], ref["ratio"][pos]
    e_ours, e_peer = _errors(iv_ratio(rv, rx), _scipy_ratio(rv, rx), rr, relative=True)
    yield Row("special iv_ratio", t_ours, "SciPy ive/ive", t_peer, e_ours, e_peer,
              note=f"n={n}")

    yield from _mpmath_rows(quick, rng, log_iv, log_kv)


def _threaded(pool, fn, v, x, chunks=2):
    bounds = np.linspace(0, v.size, chunks + 1).astype(int)
    parts = pool.map(lambda ab: fn(v[ab[0]:ab[1]], x[ab[0]:ab[1]]), zip(bounds[:-1], bounds[1:]))
    return np.concatenate(list(parts))


def _mpmath_rows(quick, rng, log_iv, log_kv):
    import mpmath as mp

    m = 100 if quick else 1000
    v = 10 ** rng.uniform(-3, 3, m)
    x = 10 ** rng.uniform(-3, 4, m)
    mp.mp.dps = 20
    for name, ours_fn, mp_fn in (("log_iv", log_iv, mp.besseli), ("log_kv", log_kv, mp.besselk)):
        t_ours, ours = median_time(lambda: ours_fn(v, x), repeat=5)
        peer = np.full(m, np.nan)
        t0 = time.perf_counter()
        for i, (a, b) in enumerate(zip(v, x)):
            try:
                val = mp_fn(a, b)
                if val > 0:  # mpmath's besselk can return a wrong negative value
                    peer[i] = float(mp.log(val))
            except (mp.libmp.NoConvergence, ValueError):  # hypercomb failures
                pass
        t_peer = time.perf_counter() - t0
        ok = np.isfinite(peer)
        diff = np.abs(ours[ok] - peer[ok]) / np.maximum(1.0, np.abs(peer[ok]))
        failed = f", mpmath failed on {int((~ok).sum())}" if not ok.all() else ""
        far = int(np.sum(diff > 1e-12))
        far = f", {far} differ by > 1e-12 (mpmath besselk is wrong at some orders)" if far else ""
        yield Row(f"special {name} vs mpmath", t_ours, "mpmath (dps 20)", t_peer, "—", "—",
                  note=f"n={m}; median diff {np.median(diff):.1e}{far}{failed}")
