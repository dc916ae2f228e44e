"""Basic behaviour of solvers.special: values against SciPy, dtypes, namespaces, paths agree."""

import numpy as np
import pytest
import scipy.special as sc

from solvers._array_api import from_numpy, to_numpy, xp_assert_close
from solvers.special import iv_ratio, log_iv, log_kv


def _moderate_points(rng, n=400):
    v = 10 ** rng.uniform(-3, 2.5, n)
    x = 10 ** rng.uniform(-3, 2.5, n)
    return v, x


def test_matches_scipy_where_finite(rng):
    v, x = _moderate_points(rng)
    with np.errstate(all="ignore"):
        ref_i = np.log(sc.ive(v, x)) + x
        ref_k = np.log(sc.kve(v, x)) - x
        ref_r = sc.ive(v + 1, x) / sc.ive(v, x)
    for ours, ref in ((log_iv(v, x), ref_i), (log_kv(v, x), ref_k)):
        ok = np.isfinite(ref) & (np.abs(ref) < 700)
        assert ok.sum() > 300
        err = np.abs(ours[ok] - ref[ok]) / np.maximum(1.0, np.abs(ref[ok]))
        assert err.max() <= 1e-13
    ok = np.isfinite(ref_r) & (ref_r > 1e-300)
    np.testing.assert_allclose(iv_ratio(v + 1, x)[ok], ref_r[ok], rtol=1e-12)


@pytest.mark.parametrize("func", [log_iv, log_kv, iv_ratio])
def test_namespace_dtype_shape(xp, func):
    v = xp.asarray([[1.0], [2.5]])
    x = xp.asarray([0.5, 3.0, 40.0])
    out = func(v, x)
    assert out.shape == (2, 3)
    assert out.dtype == xp.float64
    out32 = func(xp.astype(v, xp.float32), xp.astype(x, xp.float32))
    assert out32.dtype == xp.float32
    ref = func(to_numpy(v), to_numpy(x))
    xp_assert_close(out, from_numpy(ref, xp), rtol=1e-15, atol=0.0)
