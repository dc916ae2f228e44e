"""The optimize kernels in the backend layer's registry (imported once by ``__init__``)."""

from .._backend import register_kernel

# L X = B for lower-triangular L: LAPACK where the library has it, rows otherwise
register_kernel("optimize.solve_lower", numpy="solvers.optimize._noise:_solve_lower_lapack",
                cupy="solvers.optimize._noise:_solve_lower_lapack",
                generic="solvers.optimize._noise:_solve_lower_rows")
