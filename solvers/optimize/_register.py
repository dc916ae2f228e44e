"""The optimize kernels in the backend layer's registry (imported once by ``__init__``)."""

from .._backend import register_kernel

# L X = B for lower-triangular L: LAPACK where the library has it, rows otherwise
register_kernel("optimize.solve_lower", numpy="solvers.optimize._noise:_solve_lower_lapack",
                cupy="solvers.optimize._noise:_solve_lower_lapack",
                generic="solvers.optimize._noise:_solve_lower_rows")
# mini-batch rows by index: in memory data[idx]; on dask only the chunks holding drawn rows
# are read and the rows come back as NumPy
register_kernel("optimize.take_rows",
                numpy="solvers.optimize._compositional_common:take_rows_numpy",
                generic="solvers.optimize._compositional_common:take_rows_generic",
                dask="solvers._backend_dask:take_rows")
