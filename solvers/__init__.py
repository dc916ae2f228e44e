"""solvers: an array-API solver library for NumPy (CPU, Numba kernels), CuPy (GPU) and Dask.

Subpackages
-----------
special    log-Bessel functions ``log_iv``, ``log_kv``, ``iv_ratio``
stats      von Mises-Fisher distribution and mixtures
linalg     Kronecker algebra, fast diagonalization, array-API Krylov solvers
multigrid  geometric multigrid operators, solvers and preconditioners
mgno       learnable multigrid: trained V-cycles, MgNO, Darcy data sets
pde        Gaussian-process PDE solvers on Kronecker grids (GP-HM)
optimize   gradient-normalized-smoothness Newton methods, compositional optimizers
"""

import importlib as _importlib

from ._backend_cache import ensure_numba_cache as _ensure_numba_cache

_ensure_numba_cache()   # before any kernel module: a writable Numba cache, or a warning

from . import _backend_dask as _backend_dask  # noqa: E402,F401  (registers the dask backend)

__version__ = "0.1.0.dev0"

_SUBPACKAGES = ("special", "stats", "linalg", "multigrid", "mgno", "pde", "optimize")
__all__ = ["__version__", *_SUBPACKAGES]


def __getattr__(name):
    if name in _SUBPACKAGES:
        return _importlib.import_module(f"solvers.{name}")
    raise AttributeError(f"module 'solvers' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
