"""Special functions: logarithms of modified Bessel functions that never overflow.

log_iv    -- log I_v(x), modified Bessel function of the first kind, any real order
log_kv    -- log K_v(x), modified Bessel function of the second kind, any real order
iv_ratio  -- I_v(x) / I_{v-1}(x) (vMF mean resultant length), or its complement

All three broadcast like ufuncs over arrays of any array-API library (NumPy via
Numba kernels, CuPy via an ElementwiseKernel, others via a generic path).
"""

from . import _register  # noqa: F401  (kernels into the backend registry)
from ._logbessel import iv_ratio, log_iv, log_kv

__all__ = ["log_iv", "log_kv", "iv_ratio"]
