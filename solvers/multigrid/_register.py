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

# stencil convolutions of the learnable multigrid (NumPy: matmul on shifted views)
_C = _M + "_stencil_conv:"
register_kernel("mgno.conv", numpy=_C + "_conv_numpy_kernel", generic=_C + "_conv_generic")
register_kernel("mgno.conv_weight_grad", numpy=_C + "_conv_weight_grad_numpy_kernel",
                generic=_C + "_conv_weight_grad_generic")
register_kernel("mgno.prolong", numpy=_C + "_prolong_numpy", generic=_C + "_prolong_generic")
