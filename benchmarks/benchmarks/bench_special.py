"""solvers.special: log_iv, log_kv, iv_ratio vs SciPy, speed and accuracy.

Inputs: log-uniform v in [1e-3, 1e3], x in [1e-3, 1e4] (the issue's benchmark
distribution), one thread. Accuracy is tracked against the stored 50-digit mpmath
references of ``tests/special/data``.
"""

from pathlib import Path

import numpy as np
import scipy.special as sc

from solvers.special import iv_ratio, log_iv, log_kv

_FUNCS = {"log_iv": log_iv, "log_kv": log_kv, "iv_ratio": iv_ratio}
_REFERENCE = (Path(__file__).resolve().parents[2] / "tests" / "special" / "data"
              / "logbessel_reference.npz")


def _inputs(n, seed=2024):
    rng = np.random.default_rng(seed)
    return 10 ** rng.uniform(-3, 3, n), 10 ** rng.uniform(-3, 4, n)


def _scipy(function, v, x):
    with np.errstate(all="ignore"):
        if function == "log_iv":
            return np.log(sc.ive(v, x)) + x
        if function == "log_kv":
            return np.log(sc.kve(v, x)) - x
        return sc.ive(v, x) / sc.ive(v - 1.0, x)


class LogBessel:
    """Ours vs SciPy on the same n points."""

    params = [[10_000, 1_000_000], ["log_iv", "log_kv", "iv_ratio"]]
    param_names = ["n", "function"]
    timeout = 120

    def setup(self, n, function):
        self.v, self.x = _inputs(n)
        if function == "iv_ratio":
            self.v = self.v + 0.5
        self.func = _FUNCS[function]
        self.func(self.v[:4], self.x[:4])  # compile / load the Numba cache outside the timing

    def time_ours(self, n, function):
        self.func(self.v, self.x)

    def time_scipy(self, n, function):
        _scipy(function, self.v, self.x)

    def peakmem_ours(self, n, function):
        self.func(self.v, self.x)


class GenericPath:
    """The array-API reference path (array_api_strict) on 10^4 points."""

    params = [["log_iv", "log_kv", "iv_ratio"]]
    param_names = ["function"]
    timeout = 120

    def setup(self, function):
        import array_api_strict as xps

        v, x = _inputs(10_000)
        if function == "iv_ratio":
            v = v + 0.5
        self.v, self.x = xps.asarray(v), xps.asarray(x)
        self.func = _FUNCS[function]

    def time_generic(self, function):
        self.func(self.v, self.x)


class Accuracy:
    """Max error vs mpmath (50 digits): |d| / max(1, |ref|) for logs, relative for the ratio."""

    params = [["log_iv", "log_kv", "iv_ratio"], ["ours", "scipy"]]
    param_names = ["function", "implementation"]

    def setup(self, function, implementation):
        if not _REFERENCE.exists():
            raise NotImplementedError("reference data not found")
        with np.load(_REFERENCE) as d:
            if function == "iv_ratio":
                m = d["x_ratio"] > 0
                self.v, self.x, self.ref = d["v_ratio"][m], d["x_ratio"][m], d["ratio"][m]
            else:
                key = "log_i" if function == "log_iv" else "log_k"
                m = np.isfinite(d[key])
                self.v, self.x, self.ref = d["v"][m], d["x"][m], d[key][m]

    def track_max_error(self, function, implementation):
        if implementation == "ours":
            out = _FUNCS[function](self.v, self.x)
        else:
            out = _scipy(function, self.v, self.x)
        ok = np.isfinite(out)
        scale = np.abs(self.ref) if function == "iv_ratio" else np.maximum(1, np.abs(self.ref))
        return float(np.max(np.abs(out[ok] - self.ref[ok]) / scale[ok]))

    track_max_error.unit = "max error"

    def track_nonfinite_fraction(self, function, implementation):
        if implementation == "ours":
            out = _FUNCS[function](self.v, self.x)
        else:
            out = _scipy(function, self.v, self.x)
        return float(np.mean(~np.isfinite(out)))

    track_nonfinite_fraction.unit = "fraction"


_REGIONS = ["small", "hankel3", "hankel20", "debye4", "debye6", "debye9", "debye13"]


class LogBesselRegions:
    """Ours vs SciPy per region of the branch table (issue 18), 1 or 2 threads.

    The points of one region out of 10^6 log-uniform ones (the distribution above); with
    2 threads the array is split in two halves evaluated in a thread pool (the kernels
    release the GIL). SciPy runs on one thread in both cases.
    """

    params = [["log_iv", "log_kv"], _REGIONS + ["mix"], [1, 2]]
    param_names = ["function", "region", "threads"]
    timeout = 180

    def setup(self, function, region, threads):
        from concurrent.futures import ThreadPoolExecutor

        from array_api_compat import numpy as xp

        from solvers.special._logbessel_generic import _region

        v, x = _inputs(1_000_000)
        if region != "mix":
            m = np.asarray(_region(xp, v, x)) == _REGIONS.index(region)
            v, x = v[m], x[m]
        self.v, self.x = v, x
        self.func = _FUNCS[function]
        self.func(v[:1000], x[:1000])
        self.pool = ThreadPoolExecutor(threads) if threads > 1 else None
        half = v.size // 2
        self.parts = [(v[:half], x[:half]), (v[half:], x[half:])]

    def teardown(self, function, region, threads):
        if self.pool is not None:
            self.pool.shutdown()

    def time_ours(self, function, region, threads):
        if self.pool is None:
            self.func(self.v, self.x)
        else:
            list(self.pool.map(lambda p: self.func(*p), self.parts))

    def time_scipy(self, function, region, threads):
        _scipy(function, self.v, self.x)


class IvRatioThreads:
    """iv_ratio (and its complement) vs SciPy's ive/ive on the 10^6 points (v + 1/2), 1 or 2
    threads (halves in a thread pool; the kernels release the GIL); SciPy on one thread."""

    params = [[False, True], [1, 2]]
    param_names = ["complement", "threads"]
    timeout = 180

    def setup(self, complement, threads):
        from concurrent.futures import ThreadPoolExecutor

        v, x = _inputs(1_000_000)
        self.v, self.x = v + 0.5, x
        iv_ratio(self.v[:1000], self.x[:1000], complement=complement)
        self.pool = ThreadPoolExecutor(threads) if threads > 1 else None
        half = v.size // 2
        self.parts = [(self.v[:half], x[:half]), (self.v[half:], x[half:])]

    def teardown(self, complement, threads):
        if self.pool is not None:
            self.pool.shutdown()

    def time_ours(self, complement, threads):
        if self.pool is None:
            iv_ratio(self.v, self.x, complement=complement)
        else:
            list(self.pool.map(lambda p: iv_ratio(*p, complement=complement), self.parts))

    def time_scipy(self, complement, threads):
        with np.errstate(all="ignore"):
            r = sc.ive(self.v, self.x) / sc.ive(self.v - 1.0, self.x)
            if complement:
                r = 1.0 - r


class Float32:
    """float32 inputs (read as they are, computed in float64, rounded once) vs the same
    points in float64, 10^6 log-uniform points, one thread."""

    params = [["log_iv", "log_kv", "iv_ratio"], ["float32", "float64"]]
    param_names = ["function", "dtype"]
    timeout = 120

    def setup(self, function, dtype):
        v, x = _inputs(1_000_000)
        if function == "iv_ratio":
            v = v + 0.5
        self.v, self.x = v.astype(dtype), x.astype(dtype)
        self.func = _FUNCS[function]
        self.func(self.v[:1000], self.x[:1000])

    def time_ours(self, function, dtype):
        self.func(self.v, self.x)
