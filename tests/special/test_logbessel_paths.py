"""The implementations agree, and nothing is non-finite where the true value is finite.

Paths: the scalar Numba reference kernels (``@vectorize``), the region-sorted NumPy path,
the generic array-API path (array_api_strict), the CuPy kernel on a GPU when present, and
-- always -- the CuPy kernel's CUDA source compiled as host C++ (so the GPU code is
exercised here without a GPU).
"""

import ctypes
import shutil
import subprocess

import numpy as np
import pytest

from solvers._array_api import from_numpy, to_numpy
from solvers.special import iv_ratio, log_iv, log_kv
from solvers.special._logbessel_cupy import preamble
from solvers.special._logbessel_numba import log_iv_ufunc, log_kv_ufunc

PATH_BOUND = 1e-15  # issue: all present paths agree to 1e-15, metric |d| / max(1, |ref|)


def _points(rng, n):
    """Log-uniform points over every region, plus negative orders and table boundaries."""
    v = 10 ** rng.uniform(-6, 5, n)
    x = 10 ** rng.uniform(-10, 6, n)
    k = n // 4
    v[:k] = 10 ** rng.uniform(-3, 1.5, k)  # the small-order, small-argument region
    x[:k] = 10 ** rng.uniform(-3, 1.6, k)
    v[k:2 * k] *= -1.0
    bounds_x = np.array([2.0, 19.6931, 30.0, 35.9074, 59.6925, 84.4153, 274.2377, 1400.0])
    bounds_v = np.array([0.3, 0.46, 0.6, 0.7, 3.05, 3.1, 12.6964, 15.3919, 20.1534, 56.9971])
    j = rng.integers(0, bounds_x.size, k)
    x[2 * k:3 * k] = bounds_x[j] * (1 + rng.uniform(-1e-6, 1e-6, k))
    j = rng.integers(0, bounds_v.size, k)
    v[3 * k:] = bounds_v[j] * (1 + rng.uniform(-1e-6, 1e-6, n - 3 * k))
    return v, x


@pytest.mark.parametrize("func, reference", [(log_iv, log_iv_ufunc), (log_kv, log_kv_ufunc)])
def test_numpy_and_generic_paths_agree(xp, rng, func, reference, sorted_tolerance,
                                       relative_path_error):
    """Every path against the scalar reference kernels (the formulas' definition): the
    generic array-API path (and CuPy) to PATH_BOUND; the NumPy path (the region-sorted
    kernels, with their own vectorized log) to the bounds of ``conftest.sorted_error``."""
    v, x = _points(rng, 4000)
    ref = reference(v, x)
    ours = to_numpy(func(from_numpy(v, xp), from_numpy(x, xp)))
    if xp.__name__.endswith("numpy"):
        err = sorted_tolerance(ours, ref, v, x, func.__name__)
        i = int(np.argmax(err))
        assert err[i] <= 1.0, (err[i], v[i], x[i])
        return
    err = relative_path_error(ours, ref)
    i = int(np.argmax(err))
    assert err[i] <= PATH_BOUND, (err[i], v[i], x[i])


@pytest.mark.parametrize("complement", [False, True])
def test_ratio_paths_agree(xp, rng, complement):
    v = 0.5 + 10 ** rng.uniform(-3, 5, 2000)
    x = 10 ** rng.uniform(-10, 7, 2000)
    ref = iv_ratio(v, x, complement=complement)
    ours = to_numpy(iv_ratio(from_numpy(v, xp), from_numpy(x, xp), complement=complement))
    np.testing.assert_allclose(ours, ref, rtol=PATH_BOUND, atol=0)


_SHIM = r"""
#include <cmath>
#include <cstring>
using namespace std;
#define __device__
static inline double __longlong_as_double(long long i) { double d; memcpy(&d, &i, 8); return d; }
"""
_ENTRY = r"""
extern "C" void run(int which, const double* v, const double* x, double* y, long n) {
    for (long i = 0; i < n; ++i)
        y[i] = which == 0 ? slv_log_iv(v[i], x[i]) : which == 1 ? slv_log_kv(v[i], x[i])
             : slv_iv_ratio(v[i], x[i], which == 3);
}
"""


@pytest.fixture(scope="module")
def cuda_source_on_host(tmp_path_factory):
    compiler = shutil.which("g++") or shutil.which("clang++")
    if compiler is None:
        pytest.skip("no C++ compiler to build the CUDA kernel source on the host")
    d = tmp_path_factory.mktemp("cuda_source")
    src, lib = d / "kernel.cpp", d / "kernel.so"
    src.write_text(_SHIM + preamble() + _ENTRY)
    # -ffp-contract=off: no FMA contraction, like NumPy and Numba here
    subprocess.run([compiler, "-O2", "-ffp-contract=off", "-fPIC", "-shared", "-Wall", "-Werror",
                    "-o", str(lib), str(src)], check=True, capture_output=True)
    so = ctypes.CDLL(str(lib))
    ptr = ctypes.POINTER(ctypes.c_double)

    def run(which, v, x):
        v = np.ascontiguousarray(v, dtype=float)
        x = np.ascontiguousarray(x, dtype=float)
        y = np.empty_like(v)
        so.run(which, v.ctypes.data_as(ptr), x.ctypes.data_as(ptr), y.ctypes.data_as(ptr),
               ctypes.c_long(v.size))
        return y

    return run


def test_cuda_kernel_source_matches_numba(cuda_source_on_host, rng, sorted_tolerance):
    v, x = _points(rng, 20000)
    for which, func in ((0, log_iv), (1, log_kv)):   # NumPy's path here: the sorted kernels
        err = sorted_tolerance(cuda_source_on_host(which, v, x), func(v, x), v, x,
                               func.__name__)
        assert err.max() <= 1.0, func.__name__
    va = np.abs(v) + 0.5
    for which, comp in ((2, False), (3, True)):
        np.testing.assert_allclose(cuda_source_on_host(which, va, x),
                                   iv_ratio(va, x, complement=comp), rtol=PATH_BOUND, atol=0)
    # special values go through the same code
    sv = np.array([0.0, 1.0, -0.5, -1.5, np.nan, 2.0, 3.0])
    sx = np.array([0.0, 0.0, 0.0, 0.0, 1.0, -1.0, np.inf])
    for which, func in ((0, log_iv), (1, log_kv)):
        np.testing.assert_array_equal(cuda_source_on_host(which, sv, sx), func(sv, sx))


def _bits_equal(a, b):
    """Same float64 bit patterns (any NaN equals any NaN)."""
    return (a.view(np.int64) == b.view(np.int64)) | (np.isnan(a) & np.isnan(b))


def test_cuda_kernel_source_bitwise_equal_to_numba(cuda_source_on_host, rng):
    """The CUDA source (constants and branch table generated from ``_constants``) compiled
    as host C++ gives the scalar Numba reference kernels' results bit for bit, over every
    region. (Large NumPy arrays go through the region-sorted kernels instead, which are
    checked against these reference ufuncs in ``test_sorted_kernels_match_reference``.)"""
    v, x = _points(rng, 5000)
    for which, func in ((0, log_iv_ufunc), (1, log_kv_ufunc)):
        same = _bits_equal(cuda_source_on_host(which, v, x), func(v, x))
        assert same.all(), (func.__name__, v[~same][:3], x[~same][:3])
    va = np.abs(v) + 0.5
    for which, comp in ((2, False), (3, True)):
        same = _bits_equal(cuda_source_on_host(which, va, x), iv_ratio(va, x, complement=comp))
        assert same.all(), (comp, va[~same][:3], x[~same][:3])


@pytest.mark.parametrize("func, reference", [(log_iv, log_iv_ufunc), (log_kv, log_kv_ufunc)])
def test_sorted_kernels_match_reference(rng, func, reference, sorted_tolerance):
    """The region-sorted NumPy kernels (``_logbessel_sorted``) against the scalar reference
    ufuncs (the formulas the CUDA source is checked against bit for bit): the same formulas
    with ``_vecmath``'s log/expm1 and a Taylor sin instead of libm's, fixed term counts and a
    few reassociations, so agreement to a few ulp of max(1, |value|, |v log(x/v)|)
    over every region (``conftest.sorted_error``), the special values and negative orders
    identical."""
    v, x = _points(rng, 200_000)
    v[:50], x[50:100], x[100:150], v[150:200] = np.nan, 0.0, np.inf, np.inf
    x[200:250] = 10 ** rng.uniform(-300, -20, 50)   # the tiny-x prefactor branch
    x[250:300] = v[250:300] * (0.6627434193491815 + rng.uniform(-1e-3, 1e-3, 50))  # eta ~ 0
    v[300:400] = np.round(v[300:400]) + 0.5          # half-integer orders (K's closed form)
    ours, ref = func(v, x), reference(v, x)
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref))
    np.testing.assert_array_equal(ours[np.isinf(ref)], ref[np.isinf(ref)])
    err = sorted_tolerance(ours, ref, v, x, func.__name__)
    i = int(np.argmax(err))
    assert err[i] <= 1.0, (err[i], v[i], x[i])
    # the same result in any shape and order (the sort is internal)
    np.testing.assert_array_equal(func(v[::-1].reshape(-1, 8), x[::-1].reshape(-1, 8)).ravel(),
                                  ours[::-1])


@pytest.mark.slow
def test_finite_everywhere_the_value_is(rng):
    """1e6 log-uniform points over v in [0, 1e6], x in [1e-300, 1e300]: all outputs finite."""
    n = 1_000_000
    v = 10 ** rng.uniform(-8, 6, n)
    v[:1000] = 0.0
    x = 10 ** rng.uniform(-300, 300, n)
    for func in (log_iv, log_kv):
        out = func(v, x)
        bad = ~np.isfinite(out)
        assert not bad.any(), (func.__name__, v[bad][:5], x[bad][:5])
    r = iv_ratio(v + 0.5, x)
    assert np.all(np.isfinite(r) & (r >= 0) & (r <= 1))


def test_finite_on_generic_path(xp, rng):
    v = 10 ** rng.uniform(-8, 6, 3000)
    x = 10 ** rng.uniform(-300, 300, 3000)
    for func in (log_iv, log_kv):
        out = to_numpy(func(from_numpy(v, xp), from_numpy(x, xp)))
        assert np.all(np.isfinite(out)), func.__name__
