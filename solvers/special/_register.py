"""The log-Bessel kernels in the backend layer's registry (imported once by ``__init__``).

Each kernel takes ``(xp, v, x)`` (``iv_ratio`` also ``complement=``) on broadcast float64
arrays: Numba ufuncs for NumPy, a CuPy ElementwiseKernel (imported lazily), else the generic
array-API path.
"""

from .._backend import register_kernel

# NumPy: the region-sorted kernels (``_logbessel_sorted``, which fall back to the scalar
# ufuncs of ``_logbessel_numba`` for small arrays and special points); iv_ratio: the ufunc.
_NUMPY = {"log_iv": "_logbessel_sorted", "log_kv": "_logbessel_sorted", "iv_ratio": "_logbessel_numba"}
for _name in ("log_iv", "log_kv", "iv_ratio"):
    register_kernel(f"special.{_name}",
                    numpy=f"solvers.special.{_NUMPY[_name]}:{_name}",
                    cupy=f"solvers.special._logbessel_cupy:{_name}",
                    generic=f"solvers.special._logbessel_generic:{_name}")
del _name

# dask arrays: the Numba kernels chunk by chunk (lazy; bitwise equal to NumPy)
from .._backend_dask import chunkwise  # noqa: E402

for _name in ("log_iv", "log_kv", "iv_ratio"):
    register_kernel(f"special.{_name}", dask=chunkwise(f"special.{_name}"))
del _name
