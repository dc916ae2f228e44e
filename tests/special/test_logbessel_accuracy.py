"""Accuracy of log_iv, log_kv, iv_ratio against stored mpmath references (50 digits).

The references are made by ``tests/special/make_reference_data.py``; the bounds are
the issue's: |ours - ref| / max(1, |ref|) <= 5e-14 for the logs, relative error
<= 5e-15 for iv_ratio. Every backend of the ``xp`` fixture is checked.
"""

from pathlib import Path

import numpy as np
import pytest
import scipy.special as sc

from solvers._array_api import from_numpy, to_numpy
from solvers.special import iv_ratio, log_iv, log_kv
from solvers.special._logbessel_numba import _region

DATA = Path(__file__).resolve().parent / "data" / "logbessel_reference.npz"
LOG_BOUND = 5e-14
RATIO_BOUND = 5e-15
REGION_NAMES = ["small", "hankel3", "hankel20", "debye4", "debye6", "debye9", "debye13"]


@pytest.fixture(scope="module")
def ref():
    with np.load(DATA) as d:
        return {k: d[k] for k in d.files}


def _log_error(ours, ref):
    return np.abs(ours - ref) / np.maximum(1.0, np.abs(ref))


def _worst(err, v, x):
    i = int(np.nanargmax(err))
    region = REGION_NAMES[_region(abs(v[i]), x[i])]
    return f"max error {err[i]:.2e} at v={v[i]!r}, x={x[i]!r} ({region})"


def test_reference_file_is_small_and_complete(ref):
    assert DATA.stat().st_size < 3e6
    for key in ("log_i", "log_k"):
        assert np.isfinite(ref[key]).mean() > 0.99, key
    assert np.isfinite(ref["ratio"]).all()
    # the two reference methods (mpmath besseli/besselk vs hyperu/Debye-30) agree
    assert np.max(ref["crosscheck"]) < 1e-25


@pytest.mark.parametrize("func, key", [(log_iv, "log_i"), (log_kv, "log_k")])
def test_log_bessel_vs_mpmath(xp, ref, func, key):
    v, x, r = ref["v"], ref["x"], ref[key]
    ok = np.isfinite(r)
    ours = to_numpy(func(from_numpy(v[ok], xp), from_numpy(x[ok], xp)))
    err = _log_error(ours, r[ok])
    assert np.all(np.isfinite(ours))
    assert err.max() <= LOG_BOUND, _worst(err, v[ok], x[ok])


def test_log_iv_negative_order_vs_mpmath(xp, ref):
    v, x, r = ref["v_neg"], ref["x_neg"], ref["log_i_neg"]
    ours = to_numpy(log_iv(from_numpy(v, xp), from_numpy(x, xp)))
    # NaN exactly where I_{-v}(x) < 0
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(r))
    ok = ~np.isnan(r)
    assert np.isnan(r).any() and ok.sum() > 20
    err = _log_error(ours[ok], r[ok])
    assert err.max() <= LOG_BOUND, _worst(err, v[ok], x[ok])


def test_iv_ratio_vs_mpmath(xp, ref):
    v, x, r = ref["v_ratio"], ref["x_ratio"], ref["ratio"]
    ours = to_numpy(iv_ratio(from_numpy(v, xp), from_numpy(x, xp)))
    zero = x == 0
    np.testing.assert_array_equal(ours[zero], 0.0)
    err = np.abs(ours[~zero] - r[~zero]) / r[~zero]
    i = int(np.argmax(err))
    assert err.max() <= RATIO_BOUND, (err[i], v[~zero][i], x[~zero][i])


def test_iv_ratio_complement_vs_mpmath(xp, ref):
    """1 - ratio to the ratio's bound, relative, for v >= 0.6 (documented limit below)."""
    v, x, r = ref["v_ratio"], ref["x_ratio"], ref["ratio_c"]
    m = v >= 0.6
    ours = to_numpy(iv_ratio(from_numpy(v[m], xp), from_numpy(x[m], xp), complement=True))
    err = np.abs(ours - r[m]) / r[m]
    i = int(np.argmax(err))
    assert err[i] <= RATIO_BOUND, (err[i], v[m][i], x[m][i])


def test_errors_per_region_report(ref):
    """Per-branch maximum error (numpy path); all within the bound, and every branch tested."""
    v, x = ref["v"], ref["x"]
    regions = np.array([_region(a, b) for a, b in zip(v, x)])
    for func, key in ((log_iv, "log_i"), (log_kv, "log_k")):
        ok = np.isfinite(ref[key])
        err = _log_error(func(v, x), ref[key])
        for code, name in enumerate(REGION_NAMES):
            m = ok & (regions == code)
            assert m.sum() >= 20, f"too few reference points in {name}"
            assert err[m].max() <= LOG_BOUND, (key, name, _worst(err[m], v[m], x[m]))


def test_agrees_with_scipy_where_scipy_is_finite_and_normal(ref):
    """log(ive)+x and log(kve)-x agree to 1e-13 wherever SciPy's values are finite and normal."""
    v, x = ref["v"], ref["x"]
    with np.errstate(all="ignore"):
        ive = sc.ive(v, x)
        kve = sc.kve(v, x)
    tiny = np.finfo(float).tiny
    for ours, peer, shift in ((log_iv(v, x), ive, x), (log_kv(v, x), kve, -x)):
        ok = np.isfinite(peer) & (peer >= tiny)
        assert ok.sum() > 1000
        err = _log_error(ours[ok], np.log(peer[ok]) + shift[ok])
        assert err.max() <= 1e-13, _worst(err, v[ok], x[ok])
