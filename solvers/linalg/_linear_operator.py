"""Applying operators given as matrices, callables or LinearOperator-like objects."""

from __future__ import annotations

from .._backend import ArrayLinearOperator, backend_for

__all__ = ["ArrayLinearOperator", "make_linear_operator", "as_operator_function"]


def make_linear_operator(xp, shape, dtype, matvec, rmatvec=None):
    """LinearOperator of the library of ``xp`` (SciPy's for NumPy, cupyx's for CuPy, else
    :class:`ArrayLinearOperator`), made by the backend layer."""
    return backend_for(xp).linear_operator(shape, dtype, matvec, rmatvec)


def as_operator_function(A, name="A"):
    """Return ``f(x) = A x`` for a matrix, a callable, or an object with ``matvec`` / ``@``."""
    if A is None:
        return None
    if hasattr(A, "matvec"):
        return A.matvec
    if hasattr(A, "shape") and hasattr(A, "__matmul__"):
        if len(A.shape) != 2:
            raise ValueError(f"`{name}` must be a 2-D matrix, got shape {tuple(A.shape)}")
        return A.__matmul__
    if callable(A):
        return A
    raise TypeError(
        f"`{name}` must be a 2-D array, a sparse matrix, a LinearOperator or a callable, "
        f"got {type(A).__name__}"
    )
