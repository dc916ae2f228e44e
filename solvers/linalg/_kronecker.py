"""Kronecker products applied by mode products, never formed."""

from __future__ import annotations

import math

from .._array_api import PicklesNamespace, array_namespace, as_float_array

__all__ = ["kron_matvec", "KroneckerOperator"]


def _validate_factors(factors, *, name="factors", square=False, xp=None):
    if hasattr(factors, "shape") or not isinstance(factors, (list, tuple)):
        raise TypeError(f"`{name}` must be a list or tuple of 2-D arrays, got {type(factors).__name__}")
    if len(factors) == 0:
        raise ValueError(f"`{name}` must contain at least one matrix")
    if xp is None:
        xp = array_namespace(*factors)
    out = []
    for j, A in enumerate(factors):
        A = as_float_array(A, xp, name=f"{name}[{j}]", allow_complex=True)
        if A.ndim != 2:
            raise ValueError(f"`{name}[{j}]` must be 2-D, got an array of shape {tuple(A.shape)}")
        if square and A.shape[0] != A.shape[1]:
            raise ValueError(f"`{name}[{j}]` must be square, got shape {tuple(A.shape)}")
        if not bool(xp.all(xp.isfinite(A))):
            raise ValueError(f"`{name}[{j}]` must contain only finite values")
        out.append(A)
    return xp, out


def _as_grid(x, grid_shape, *, name="x"):
    """Return ``(x reshaped to grid_shape, was_flat)``; raise on a size/shape mismatch."""
    d = len(grid_shape)
    shape = tuple(x.shape)
    if shape == tuple(grid_shape):
        return x, False
    n = math.prod(grid_shape)
    if x.ndim == 1 and shape[0] == n:
        return array_namespace(x).reshape(x, tuple(grid_shape)), True
    raise ValueError(
        f"`{name}` must have shape {tuple(grid_shape)} (grid) or ({n},) (flat) to match the "
        f"{d} factor(s), got shape {shape}"
    )


def _mode_products(xp, factors, X):
    """Apply factors[j] along axis j of X (all axes), returning the new array."""
    d = len(factors)
    if d == 1:
        return factors[0] @ X
    if d == 2:
        return factors[0] @ X @ xp.matrix_transpose(factors[1])
    for j, A in enumerate(factors):
        # contract A's columns with axis j of X; tensordot puts the new axis first
        Y = xp.tensordot(A, X, axes=([1], [j]))
        X = xp.moveaxis(Y, 0, j)
    return X


def _promote(xp, factors, X):
    """Common dtype for the product of ``factors`` with ``X``."""
    dt = xp.result_type(*[A.dtype for A in factors], X.dtype)
    factors = [A if A.dtype == dt else xp.astype(A, dt) for A in factors]
    if X.dtype != dt:
        X = xp.astype(X, dt)
    return factors, X


def kron_matvec(factors, x):
    """Apply ``A_1 ⊗ A_2 ⊗ ... ⊗ A_d`` to ``x`` without forming the Kronecker product.

    The product acts on a ``d``-dimensional array by mode products:
    ``Y[i_1, ..., i_d] = Σ_j A_1[i_1, j_1] ... A_d[i_d, j_d] X[j_1, ..., j_d]``,
    which equals ``numpy.kron(A_1, ..., A_d) @ X.ravel()`` in C (row-major) order.

    Parameters
    ----------
    factors : sequence of 2-D arrays
        The factors ``A_j`` of shape ``(m_j, n_j)``; they need not be square.
    x : array
        Either grid-shaped ``(n_1, ..., n_d)`` or flat ``(n_1 * ... * n_d,)``.

    Returns
    -------
    y : array
        Shape ``(m_1, ..., m_d)`` for grid-shaped input, ``(m_1 * ... * m_d,)`` for flat
        input; same library and device as the inputs. Cost ``O(N Σ_j m_j)`` for ``N`` entries.

    Raises
    ------
    ValueError
        If a factor is not 2-D or ``x`` does not match the factors' column counts.

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.linalg import kron_matvec
    >>> A, B = np.array([[1., 2.], [3., 4.]]), np.array([[0., 1.], [1., 0.], [1., 1.]])
    >>> x = np.arange(4.0)
    >>> np.allclose(kron_matvec([A, B], x), np.kron(A, B) @ x)
    True
    """
    xp, factors = _validate_factors(factors)
    xp = array_namespace(*factors, x)
    x = as_float_array(x, xp, name="x", allow_complex=True, finite=True)
    X, flat = _as_grid(x, [A.shape[1] for A in factors])
    factors, X = _promote(xp, factors, X)
    Y = _mode_products(xp, factors, X)
    if flat:
        Y = xp.reshape(Y, (-1,))
    return Y


class KroneckerOperator(PicklesNamespace):
    """The linear operator ``A_1 ⊗ ... ⊗ A_d``, stored and applied factor-wise.

    Parameters
    ----------
    factors : sequence of 2-D arrays
        The factors; ``solve``, ``logdet`` and ``eigh`` need square factors.

    Attributes
    ----------
    factors : list of arrays
    shape : tuple of int
        ``(Π m_j, Π n_j)``, the shape of the (never formed) Kronecker matrix.
    grid_shape : tuple of int
        ``(n_1, ..., n_d)``, the shape of grid-shaped input.
    dtype : dtype

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.linalg import KroneckerOperator
    >>> A = np.array([[2., 1.], [1., 3.]]); B = np.array([[4., 0.], [0., 5.]])
    >>> K = KroneckerOperator([A, B])
    >>> K.shape
    (4, 4)
    >>> bool(np.isclose(K.logdet(), np.linalg.slogdet(np.kron(A, B))[1]))
    True
    >>> x = K.solve(np.ones(4))
    >>> np.allclose(np.kron(A, B) @ x, 1.0)
    True
    """

    def __init__(self, factors):
        self._xp, self.factors = _validate_factors(factors)
        self.grid_shape = tuple(int(A.shape[1]) for A in self.factors)
        self.output_grid_shape = tuple(int(A.shape[0]) for A in self.factors)
        self.shape = (math.prod(self.output_grid_shape), math.prod(self.grid_shape))
        self.dtype = self._xp.result_type(*[A.dtype for A in self.factors])
        self.ndim_grid = len(self.factors)

    def __repr__(self):
        dims = " ⊗ ".join(f"{m}x{n}" for m, n in zip(self.output_grid_shape, self.grid_shape))
        return f"KroneckerOperator({dims}, dtype={self.dtype})"

    def _require_square(self, what):
        for j, A in enumerate(self.factors):
            if A.shape[0] != A.shape[1]:
                raise ValueError(f"{what} needs square factors; factor {j} has shape {tuple(A.shape)}")

    def matvec(self, x):
        """Return ``(A_1 ⊗ ... ⊗ A_d) x`` (grid-shaped or flat ``x``)."""
        return kron_matvec(self.factors, x)

    __call__ = matvec

    def __matmul__(self, x):
        return self.matvec(x)

    def rmatvec(self, x):
        """Return ``(A_1 ⊗ ... ⊗ A_d)^H x`` (conjugate transpose)."""
        xp = self._xp
        factors_h = [xp.conj(xp.matrix_transpose(A)) if xp.isdtype(A.dtype, "complex floating")
                     else xp.matrix_transpose(A) for A in self.factors]
        return kron_matvec(factors_h, x)

    def solve(self, b):
        """Solve ``(A_1 ⊗ ... ⊗ A_d) x = b`` factor-wise (``O(N Σ n_j)`` after LU of each factor)."""
        self._require_square("solve")
        xp = array_namespace(*self.factors, b)
        b = as_float_array(b, xp, name="b", allow_complex=True, finite=True)
        X, flat = _as_grid(b, self.grid_shape, name="b")
        factors, X = _promote(xp, self.factors, X)
        d = len(factors)
        for j, A in enumerate(factors):
            Xj = xp.moveaxis(X, j, 0)
            shp = Xj.shape
            Yj = xp.linalg.solve(A, xp.reshape(Xj, (shp[0], -1)))
            X = xp.moveaxis(xp.reshape(Yj, shp), 0, j)
        if d and flat:
            X = xp.reshape(X, (-1,))
        return X

    def logdet(self):
        """``log |det(A_1 ⊗ ... ⊗ A_d)| = Σ_j (N / n_j) log |det A_j|``."""
        self._require_square("logdet")
        xp = self._xp
        N = self.shape[0]
        total = 0.0
        for A in self.factors:
            _, logabs = xp.linalg.slogdet(A)
            total = total + (N // A.shape[0]) * logabs
        return total

    def eigh(self):
        """Factor-wise symmetric eigendecomposition.

        Returns
        -------
        eigenvalues : list of 1-D arrays
            ``w_j`` of each factor (ascending); the eigenvalues of the Kronecker product are
            all products ``w_1[i_1] ... w_d[i_d]``.
        eigenvectors : KroneckerOperator
            ``V_1 ⊗ ... ⊗ V_d`` with orthonormal columns.
        """
        self._require_square("eigh")
        xp = self._xp
        ws, vs = [], []
        for A in self.factors:
            w, V = xp.linalg.eigh(A)
            ws.append(w)
            vs.append(V)
        return ws, KroneckerOperator(vs)

    def todense(self):
        """The dense Kronecker matrix (for tests on small cases)."""
        xp = self._xp
        M = self.factors[0]
        for A in self.factors[1:]:
            M = _dense_kron(xp, M, A)
        return M

    def aslinearoperator(self):
        """A LinearOperator on flat vectors.

        ``scipy.sparse.linalg.LinearOperator`` for NumPy factors,
        ``cupyx.scipy.sparse.linalg.LinearOperator`` for CuPy, otherwise
        :class:`solvers.linalg.ArrayLinearOperator`.
        """
        from ._linear_operator import make_linear_operator

        return make_linear_operator(self._xp, self.shape, self.dtype, self.matvec, self.rmatvec)


def _dense_kron(xp, A, B):
    m, n = A.shape
    p, q = B.shape
    K = A[:, None, :, None] * B[None, :, None, :]
    return xp.reshape(K, (m * p, n * q))

