"""The multigrid kernels in the backend layer's registry (imported once by ``__init__``)."""

from .._backend import register_kernel

_M = "solvers.multigrid."

# the kernel set of stencils, smoothers and transfers: a factory ``xp -> kernels``
register_kernel("multigrid.kernels", numpy=_M + "_backends:numba_backend",
                cupy=_M + "_kernels_cupy:CupyBackend", generic=_M + "_kernels_xp:XPBackend")
# padded layout <-> interior arrays (in-place item assignment where the library allows it)
register_kernel("multigrid.to_padded", numpy=_M + "_grid:_to_padded_numpy",
                generic=_M + "_grid:pad_interior")
register_kernel("multigrid.from_padded", numpy=_M + "_grid:_from_padded_numpy",
                generic=_M + "_grid:_from_padded_generic")
# anisotropy: zebra line Gauss-Seidel sweeps and semi-coarsening transfers (CuPy: generic)
register_kernel("multigrid.line_sweep", numpy=_M + "_line_smoothers:_line_sweep_numpy",
                generic=_M + "_line_smoothers:_line_sweep_generic")
register_kernel("multigrid.semi_restrict", numpy=_M + "_semicoarsening:_restrict_semi_numpy",
                generic=_M + "_semicoarsening:_restrict_semi_generic")
register_kernel("multigrid.semi_prolong_add",
                numpy=_M + "_semicoarsening:_prolong_add_semi_numpy",
                generic=_M + "_semicoarsening:_prolong_add_semi_generic")
