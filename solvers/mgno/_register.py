"""The learnable multigrid's kernels in the backend layer's registry (imported by ``__init__``)."""

from .._backend import register_kernel

# stencil convolutions (NumPy: matmul on shifted views and in-place strided accumulation)
_C = "solvers.mgno._stencil_conv:"
register_kernel("mgno.conv", numpy=_C + "_conv_numpy_kernel", generic=_C + "_conv_generic")
register_kernel("mgno.conv_weight_grad", numpy=_C + "_conv_weight_grad_numpy_kernel",
                generic=_C + "_conv_weight_grad_generic")
register_kernel("mgno.prolong", numpy=_C + "_prolong_numpy", generic=_C + "_prolong_generic")
