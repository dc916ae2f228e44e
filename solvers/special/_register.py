"""The log-Bessel kernels in the backend layer's registry (imported once by ``__init__``).

``special.<name>`` (name: ``log_iv``, ``log_kv``, ``iv_ratio``) takes ``(xp, v, x)``
(``iv_ratio`` also ``complement=``) on broadcast float64 arrays and returns float64: for
NumPy the region-sorted kernels (``_logbessel_sorted``, which use the scalar kernels of
``_logbessel_numba`` for special points), a CuPy ElementwiseKernel
(imported lazily), chunk-wise NumPy kernels for dask, else the generic array-API path.

``special.<name>_float32`` is the same for float32 arrays (Python-scalar operands may stay
float64) and returns float32: NumPy's sorted kernels read the float32 inputs directly and
compute in float64; every other backend converts to float64, runs its ``special.<name>``
kernel and rounds the result (``_logbessel._float32_via_float64``).
"""

from functools import partial

from .._backend import register_kernel
from ._logbessel import _float32_via_float64

for _name in ("log_iv", "log_kv", "iv_ratio"):
    register_kernel(f"special.{_name}",
                    numpy=f"solvers.special._logbessel_sorted:{_name}",
                    cupy=f"solvers.special._logbessel_cupy:{_name}",
                    generic=f"solvers.special._logbessel_generic:{_name}")
    register_kernel(f"special.{_name}_float32",
                    numpy=f"solvers.special._logbessel_sorted:{_name}_float32",
                    generic=partial(_float32_via_float64, _name))
del _name

# dask arrays: the Numba kernels chunk by chunk (lazy; bitwise equal to NumPy)
from .._backend_dask import chunkwise  # noqa: E402

for _name in ("log_iv", "log_kv", "iv_ratio"):
    register_kernel(f"special.{_name}", dask=chunkwise(f"special.{_name}"))
del _name
