"""Domain rules, dtypes, broadcasting and input validation of solvers.special (every backend)."""

import math

import numpy as np
import pytest

from solvers._array_api import from_numpy, to_numpy, xp_assert_equal
from solvers.special import iv_ratio, log_iv, log_kv

INF, NAN = math.inf, math.nan


def _eval(xp, func, v, x, **kw):
    out = func(from_numpy(np.asarray(v, dtype=float), xp),
               from_numpy(np.asarray(x, dtype=float), xp), **kw)
    return to_numpy(out)


def test_zero_argument(xp):
    v = [0.0, 1e-6, 0.5, 3.0, 1e5]
    x = [0.0] * 5
    np.testing.assert_array_equal(_eval(xp, log_iv, v, x), [0.0, -INF, -INF, -INF, -INF])
    np.testing.assert_array_equal(_eval(xp, log_kv, v, x), [INF] * 5)
    np.testing.assert_array_equal(_eval(xp, iv_ratio, v[2:], x[2:]), [0.0] * 3)
    np.testing.assert_array_equal(_eval(xp, iv_ratio, v[2:], x[2:], complement=True), [1.0] * 3)


def test_infinite_argument(xp):
    v = [0.0, 0.5, 7.0, 1e4]
    x = [INF] * 4
    np.testing.assert_array_equal(_eval(xp, log_iv, v, x), [INF] * 4)
    np.testing.assert_array_equal(_eval(xp, log_kv, v, x), [-INF] * 4)
    np.testing.assert_array_equal(_eval(xp, iv_ratio, v[1:], x[1:]), [1.0] * 3)
    np.testing.assert_array_equal(_eval(xp, iv_ratio, v[1:], x[1:], complement=True), [0.0] * 3)


def test_nan_and_out_of_domain_give_nan(xp):
    v = [NAN, 1.0, 1.0, 2.0]
    x = [1.0, NAN, -1.0, -1e-300]
    for func in (log_iv, log_kv, iv_ratio):
        assert np.isnan(_eval(xp, func, v, x)).all(), func.__name__
    # iv_ratio needs v >= 1/2
    assert np.isnan(_eval(xp, iv_ratio, [0.49, 0.0, -1.0], [1.0, 1.0, 1.0])).all()


def test_negative_order_rules(xp):
    x = np.array([1e-3, 0.7, 5.0, 40.0, 1e3])
    # K is even in v
    for a in (0.3, 2.0, 7.5, 250.0):
        np.testing.assert_array_equal(_eval(xp, log_kv, -a * np.ones(5), x),
                                      _eval(xp, log_kv, a * np.ones(5), x))
    # I_{-n} = I_n for integer n
    for n in (1.0, 4.0, 30.0):
        np.testing.assert_array_equal(_eval(xp, log_iv, -n * np.ones(5), x),
                                      _eval(xp, log_iv, n * np.ones(5), x))
    # I_{-1/2}(x) = sqrt(2/(pi x)) cosh x > 0
    ref = 0.5 * np.log(2.0 / (np.pi * x)) + x + np.log1p(np.exp(-2 * x)) - np.log(2.0)
    np.testing.assert_allclose(_eval(xp, log_iv, -0.5 * np.ones(5), x), ref, rtol=1e-14)
    # I_{-3/2}(x) = sqrt(2/(pi x)) (sinh x - cosh x / x): negative for small x -> NaN
    out = _eval(xp, log_iv, -1.5 * np.ones(5), x)
    assert np.isnan(out[:2]).all() and np.isfinite(out[2:]).all()
    x5 = x[2]
    ref = 0.5 * np.log(2.0 / (np.pi * x5)) + np.log(np.sinh(x5) - np.cosh(x5) / x5)
    np.testing.assert_allclose(out[2], ref, rtol=1e-14)
    # x = 0, negative order: I_v(x) -> +inf (Gamma(1 + v) > 0), -inf (NaN), 0 (integer)
    np.testing.assert_array_equal(_eval(xp, log_iv, [-0.5, -1.5, -2.5, -2.0], [0.0] * 4),
                                  [INF, NAN, INF, -INF])


@pytest.mark.parametrize("func", [log_iv, log_kv, iv_ratio])
def test_dtypes_and_broadcasting(xp, func):
    v = from_numpy(np.array([[1.0], [2.5], [40.0]]), xp)
    x = from_numpy(np.array([0.5, 3.0, 40.0, 900.0]), xp)
    out = func(v, x)
    assert out.shape == (3, 4) and out.dtype == xp.float64
    out32 = func(xp.astype(v, xp.float32), xp.astype(x, xp.float32))
    assert out32.dtype == xp.float32
    ref = to_numpy(out)
    np.testing.assert_allclose(to_numpy(out32), ref, rtol=1e-6)
    # integer arrays promote to float64; Python scalars do not change the dtype
    out_int = func(xp.asarray([1, 2, 3]), xp.asarray([4, 5, 6]))
    assert out_int.dtype == xp.float64
    assert func(2.0, xp.astype(x, xp.float32)).dtype == xp.float32


def test_scalars_give_0d_numpy():
    for func in (log_iv, log_kv, iv_ratio):
        out = func(2.0, 3.0)
        assert isinstance(out, np.ndarray) and out.shape == () and out.dtype == np.float64
    xp_assert_equal(log_iv(2, 3), log_iv(2.0, 3.0))


@pytest.mark.parametrize("func", [log_iv, log_kv, iv_ratio])
def test_bad_input_types(func):
    with pytest.raises(TypeError, match="`x` must be real"):
        func(1.0, np.array([1.0 + 1j]))
    with pytest.raises(TypeError, match="`v` must be real"):
        func(np.array(["a"]), 1.0)


def test_complement_flag_must_be_bool():
    with pytest.raises(TypeError, match="complement"):
        iv_ratio(1.0, 2.0, complement="yes")


def test_ratio_and_complement_sum_to_one(xp, rng):
    v = 0.5 + 10 ** rng.uniform(-3, 5, 500)
    x = 10 ** rng.uniform(-6, 7, 500)
    r = _eval(xp, iv_ratio, v, x)
    c = _eval(xp, iv_ratio, v, x, complement=True)
    np.testing.assert_allclose(r + c, 1.0, rtol=4e-16, atol=0)
    assert np.all((r >= 0) & (r < 1))
