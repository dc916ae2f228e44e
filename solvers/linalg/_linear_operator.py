"""Applying operators given as matrices, callables or LinearOperator-like objects."""

from __future__ import annotations

from .._array_api import is_cupy_namespace, is_numpy_namespace

__all__ = ["ArrayLinearOperator", "make_linear_operator", "as_operator_function"]


class ArrayLinearOperator:
    """A minimal LinearOperator for any array-API library.

    Parameters
    ----------
    shape : tuple of int
        ``(m, n)``.
    dtype : dtype
    matvec : callable
        ``x -> A @ x`` on 1-D arrays.
    rmatvec : callable, optional
        ``x -> A^H @ x``.

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.linalg import ArrayLinearOperator
    >>> A = ArrayLinearOperator((2, 2), np.float64, lambda x: 2 * x)
    >>> A @ np.ones(2)
    array([2., 2.])
    """

    def __init__(self, shape, dtype, matvec, rmatvec=None):
        self.shape = tuple(shape)
        self.dtype = dtype
        self._matvec = matvec
        self._rmatvec = rmatvec

    def matvec(self, x):
        return self._matvec(x)

    def rmatvec(self, x):
        if self._rmatvec is None:
            raise NotImplementedError("rmatvec is not defined for this operator")
        return self._rmatvec(x)

    def __matmul__(self, x):
        return self._matvec(x)

    __call__ = matvec

    def __repr__(self):
        return f"<{self.shape[0]}x{self.shape[1]} ArrayLinearOperator with dtype={self.dtype}>"


def make_linear_operator(xp, shape, dtype, matvec, rmatvec=None):
    """LinearOperator of the library of ``xp``: SciPy's for NumPy, cupyx's for CuPy, else ours."""
    if is_numpy_namespace(xp):
        from scipy.sparse.linalg import LinearOperator

        return LinearOperator(shape, matvec=matvec, rmatvec=rmatvec, dtype=dtype)
    if is_cupy_namespace(xp):
        from cupyx.scipy.sparse.linalg import LinearOperator

        return LinearOperator(shape, matvec=matvec, rmatvec=rmatvec, dtype=dtype)
    return ArrayLinearOperator(shape, dtype, matvec, rmatvec)


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
