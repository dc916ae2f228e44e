"""The backend layer: namespace detection, dtype policy, assertion helpers."""

import array_api_strict as xps
import numpy as np
import pytest

from solvers._array_api import (
    array_namespace,
    as_float_array,
    device,
    from_numpy,
    is_array_api_strict_namespace,
    is_cupy_namespace,
    is_numpy_namespace,
    result_float_dtype,
    to_device,
    to_numpy,
    xp_assert_close,
    xp_assert_equal,
)


def test_numpy_fast_path_and_scalars():
    xp = array_namespace(np.ones(2), 3.0, None, np.float64(1.0))
    assert is_numpy_namespace(xp) and not is_cupy_namespace(xp)
    assert is_numpy_namespace(array_namespace(1, 2.5))
    assert is_numpy_namespace(array_namespace())


def test_strict_namespace():
    xp = array_namespace(xps.ones(2), 2.0)
    assert is_array_api_strict_namespace(xp)
    assert not is_numpy_namespace(xp)


def test_mixed_libraries_raise_naming_both():
    with pytest.raises(TypeError, match="array_api_strict and numpy|numpy and array_api_strict"):
        array_namespace(np.ones(2), xps.ones(2))


def test_dtype_policy(xp):
    assert result_float_dtype(xp, xp.asarray([1, 2])) == xp.float64
    assert result_float_dtype(xp, xp.asarray([1.0], dtype=xp.float32)) == xp.float32
    assert result_float_dtype(xp, xp.asarray([1.0], dtype=xp.float32), allow_float32=False) == xp.float64
    assert result_float_dtype(xp, xp.asarray([1.0], dtype=xp.float32), xp.asarray([1.0])) == xp.float64
    assert result_float_dtype(xp, xp.asarray([1.0 + 1j])) == xp.complex128
    x = as_float_array(xp.asarray([1, 2, 3]), xp)
    assert x.dtype == xp.float64
    x32 = as_float_array(xp.asarray([1.0], dtype=xp.float32), xp)
    assert x32.dtype == xp.float32


def test_as_float_array_errors(xp):
    with pytest.raises(ValueError, match="`data` must contain only finite"):
        as_float_array(xp.asarray([1.0, float("nan")]), xp, name="data", finite=True)
    with pytest.raises(TypeError, match="`z` must be real"):
        as_float_array(xp.asarray([1.0 + 2j]), xp, name="z")


def test_device_roundtrip(xp):
    x = xp.asarray([1.0, 2.0])
    y = to_device(x, device(x))
    xp_assert_equal(y, x)
    np.testing.assert_array_equal(to_numpy(x), [1.0, 2.0])
    z = from_numpy(np.array([3.0]), xp, like=x)
    xp_assert_equal(z, xp.asarray([3.0]))


def test_assert_close_checks_meta(xp):
    x = xp.asarray([1.0, 2.0])
    xp_assert_close(x, xp.asarray([1.0, 2.0 + 1e-12]))
    with pytest.raises(AssertionError, match="dtypes differ"):
        xp_assert_close(x, xp.asarray([1.0, 2.0], dtype=xp.float32))
    with pytest.raises(AssertionError, match="shapes differ"):
        xp_assert_close(x, xp.asarray([[1.0, 2.0]]))
    with pytest.raises(AssertionError):
        xp_assert_close(x, xp.asarray([1.0, 2.1]))
    if not is_numpy_namespace(xp):
        with pytest.raises(AssertionError, match="namespaces differ"):
            xp_assert_close(x, np.asarray([1.0, 2.0]))
    with pytest.raises(AssertionError):
        xp_assert_equal(x, xp.asarray([1.0, 2.0 + 1e-12]))
