"""The stats kernels in the backend layer's registry (imported once by ``__init__``)."""

from .._backend import register_kernel

_S = "solvers.stats."
# Numba passes over the rows for NumPy; the array-API standard elsewhere (CuPy included)
register_kernel("stats.cos_minus_one", numpy=_S + "_vmf:_cos_minus_one_numba",
                generic=_S + "_vmf:_cos_minus_one_generic")
register_kernel("stats.row_norms", numpy=_S + "_vmf_mixture:_row_norms_numpy",
                generic=_S + "_vmf_mixture:_row_norms_generic")
register_kernel("stats.resultant", numpy=_S + "_vmf_validation:_resultant_numba",
                generic=_S + "_vmf_validation:_resultant_generic")
# the mixture EM's data: in memory, or row blocks of a dask array (one pass per iteration)
register_kernel("stats.em_data", generic=_S + "_vmf_mixture:_em_data",
                dask=_S + "_vmf_mixture_dask:DaskData")
# resultant, total weight, rbar and 1 - rbar: on dask one reduction of per-block statistics
register_kernel("stats.resultant_stats", generic=_S + "_vmf_validation:_resultant_stats",
                dask=_S + "_vmf_dask:resultant_stats")
register_kernel("stats.cos_minus_one", dask=_S + "_vmf_dask:cos_minus_one")
# vMF rows from w and s: host normals (NumPy, threaded), a CuPy generator, or host normals
# moved to the device (any other library)
register_kernel("stats.vmf_rows", numpy=_S + "_vmf_sampling:_rows_numba",
                cupy=_S + "_vmf_sampling:_rows_cupy", generic=_S + "_vmf_sampling:_rows_generic",
                dask=_S + "_vmf_dask:vmf_rows")
