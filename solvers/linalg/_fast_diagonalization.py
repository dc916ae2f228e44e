"""Fast diagonalization: solve Kronecker-sum (generalized Sylvester) systems factor-wise."""

from __future__ import annotations

import math

import numpy as np

from .._array_api import (
    PicklesNamespace,
    array_namespace,
    as_float_array,
    from_numpy,
    same_namespace,
    to_numpy,
)
from .._backend import backend_for, batch_item_shape, is_lazy
from ._kronecker import _as_grid, _mode_products, _validate_factors

__all__ = ["KroneckerSumSolver", "solve_kronecker_sum"]


def _is_symmetric(xp, A):
    if xp.isdtype(A.dtype, "complex floating"):
        return False
    scale = float(xp.max(xp.abs(A)))
    if scale == 0.0:
        return True
    asym = float(xp.max(xp.abs(A - xp.matrix_transpose(A))))
    return asym <= 64 * np.finfo(np.float64).eps * scale


def _same_factor(xp, factors, j):
    """Index of an earlier factor equal to ``factors[j]``, or None."""
    A = factors[j]
    for i in range(j):
        B = factors[i]
        if B is A or (B.shape == A.shape and B.dtype == A.dtype and bool(xp.all(B == A))):
            return i
    return None


class KroneckerSumSolver(PicklesNamespace):
    """Reusable solver for ``(Σ_j I ⊗ ... ⊗ A_j ⊗ ... ⊗ I + shift·I) X = F``.

    Each square factor is diagonalized once, ``A_j = V_j Λ_j V_j^{-1}``
    (``eigh`` for symmetric factors, a general eigendecomposition otherwise), so a solve
    costs ``2 d`` mode products and one division: ``O(N Σ_j n_j)`` for ``N = Π n_j``.

    Parameters
    ----------
    factors : sequence of square 2-D arrays
        ``A_1, ..., A_d`` of sizes ``n_1, ..., n_d`` (dask factors are taken to the host:
        the solver then holds NumPy arrays).
    shift : float, optional
        Scalar added to the diagonal (default 0).
    max_condition : float, optional
        Largest accepted 1-norm condition number of a non-symmetric factor's eigenvector matrix;
        above it the factor is not diagonalizable to working accuracy and ``ValueError``
        is raised. Default ``1e8`` (so the eigenbasis loses at most ~8 digits).

    Attributes
    ----------
    eigenvalues : list of 1-D arrays
        Eigenvalues of each factor (complex where a non-symmetric factor has complex pairs).
    symmetric : list of bool
        Which factors were treated as symmetric.
    condition_numbers : list of float
        1-norm condition number of each eigenvector matrix (1 for symmetric factors).
        A factor equal to an earlier one is decomposed once.
    grid_shape : tuple of int

    Notes
    -----
    Non-symmetric factors are eigendecomposed with ``numpy.linalg.eig`` on the host (the
    array-API standard and CuPy have no general eigensolver); the factors are small
    (``n_j × n_j``) and the eigenvectors are moved back to the input's device once, so the
    solves themselves never leave the device. For real input the result is real even when the
    eigenpairs are complex.

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.linalg import KroneckerSumSolver
    >>> n = 5
    >>> T = 2 * np.eye(n) - np.eye(n, k=1) - np.eye(n, k=-1)
    >>> solver = KroneckerSumSolver([T, T])
    >>> F = np.ones((n, n))
    >>> X = solver.solve(F)
    >>> np.allclose(T @ X + X @ T.T, F)
    True
    """

    def __init__(self, factors, shift=0.0, *, max_condition=1e8):
        if isinstance(factors, (list, tuple)) and any(is_lazy(A) for A in factors):
            # dask factors: small, decomposed on the host (NumPy), like the other parameters
            factors = [to_numpy(A) if hasattr(A, "shape") else A for A in factors]
        xp, factors = _validate_factors(factors, square=True)
        self._xp = xp
        shift_arr = np.asarray(shift)
        if shift_arr.ndim != 0 or not np.isfinite(shift_arr):
            raise ValueError(f"`shift` must be a finite scalar, got {shift!r}")
        self.shift = complex(shift) if np.iscomplexobj(shift_arr) else float(shift)
        self.factors = factors
        self.grid_shape = tuple(int(A.shape[0]) for A in factors)
        self.symmetric = []
        self.condition_numbers = []
        self.eigenvalues = []
        self._V, self._Vinv = [], []
        self._real_input = not any(xp.isdtype(A.dtype, "complex floating") for A in factors)
        self._real_input = self._real_input and not isinstance(self.shift, complex)
        for j, A in enumerate(factors):
            i = _same_factor(xp, factors, j)
            if i is not None:  # identical factors (e.g. the same 1-D axis) are decomposed once
                for lst in (self.symmetric, self.condition_numbers, self._V, self._Vinv,
                            self.eigenvalues):
                    lst.append(lst[i])
                continue
            if _is_symmetric(xp, A):
                w, V = xp.linalg.eigh(A)
                self.symmetric.append(True)
                self.condition_numbers.append(1.0)
                self._V.append(V)
                self._Vinv.append(xp.matrix_transpose(V))
            else:
                w, V, Vinv, cond = self._eig_host(xp, A, j, max_condition)
                self.symmetric.append(False)
                self.condition_numbers.append(cond)
                self._V.append(V)
                self._Vinv.append(Vinv)
            self.eigenvalues.append(w)
        self._denominator = self._eigenvalue_sum(xp)
        # one working dtype for the eigenbases, cast once here rather than on every solve
        self._dtype = xp.result_type(*[V.dtype for V in self._V], self._denominator.dtype)
        self._V = [V if V.dtype == self._dtype else xp.astype(V, self._dtype) for V in self._V]
        self._Vinv = [M if M.dtype == self._dtype else xp.astype(M, self._dtype)
                      for M in self._Vinv]

    @staticmethod
    def _eig_host(xp, A, j, max_condition):
        A_np = to_numpy(A)
        w, V = np.linalg.eig(A_np)
        try:
            Vinv = np.linalg.inv(V)
        except np.linalg.LinAlgError:
            Vinv = None
        # 1-norm condition number from the inverse we need anyway (no extra SVD)
        cond = (float(np.linalg.norm(V, 1) * np.linalg.norm(Vinv, 1)) if Vinv is not None
                else np.inf)
        if not np.isfinite(cond) or cond > max_condition:
            raise ValueError(
                f"`factors[{j}]` is not diagonalizable to working accuracy: the condition number "
                f"of its eigenvector matrix is {cond:.3g} > max_condition={max_condition:.3g}"
            )
        like = A
        return (from_numpy(w, xp, like=like), from_numpy(V, xp, like=like),
                from_numpy(Vinv, xp, like=like), cond)

    def _eigenvalue_sum(self, xp):
        d = len(self.eigenvalues)
        dt = xp.result_type(*[w.dtype for w in self.eigenvalues])
        L = None
        for j, w in enumerate(self.eigenvalues):
            shape = [1] * d
            shape[j] = w.shape[0]
            wj = xp.reshape(xp.astype(w, dt), tuple(shape))
            L = wj if L is None else L + wj
        L = L + self.shift
        absL = xp.abs(L)
        scale = float(xp.max(absL))
        smallest = float(xp.min(absL))
        if scale == 0.0 or smallest <= 8 * np.finfo(np.float64).eps * scale * max(self.grid_shape):
            raise np.linalg.LinAlgError(
                "the Kronecker-sum operator is singular to working accuracy: an eigenvalue sum "
                f"λ_1 + ... + λ_d + shift is {smallest:.3g} (largest {scale:.3g}); "
                "add a nonzero `shift` or fix the boundary conditions of the factors"
            )
        return L

    @property
    def condition_estimate(self):
        """``max |Σλ + shift| / min |Σλ + shift|`` times the eigenvector condition numbers."""
        xp = self._xp
        absL = xp.abs(self._denominator)
        c = float(xp.max(absL)) / float(xp.min(absL))
        for cj in self.condition_numbers:
            c *= cj
        return c

    def solve(self, rhs):
        """Solve the Kronecker-sum system for ``rhs``; same shape back.

        ``rhs`` is grid-shaped or flat, or a stacked batch of those (one leading axis more,
        ``(k,) + grid_shape`` or ``(k, N)``; a shape that is itself a right-hand side's is
        never a batch) whose items are solved independently. A dask array ``rhs`` (a batch,
        or one right-hand side) with NumPy factors is solved lazily, one task per chunk of
        the leading axis, each item by the NumPy path with this solver's eigenbases (pickled
        once per worker process); only the leading axis stays chunked.
        """
        item_shape = batch_item_shape(rhs, (self.grid_shape, (math.prod(self.grid_shape),)))
        if item_shape is not None:
            return self._solve_batch(rhs, item_shape)
        if hasattr(rhs, "shape"):
            rxp = array_namespace(rhs)
            if backend_for(rxp).host_parameters and not same_namespace(rxp, self._xp):
                # one dask right-hand side next to NumPy factors: a batch of one
                _as_grid(rhs, self.grid_shape, name="rhs")      # its shape, checked now
                return self._solve_batch(rhs[None, ...], tuple(rhs.shape))[0, ...]
        xp = array_namespace(*self.factors, rhs)
        rhs = as_float_array(rhs, xp, name="rhs", allow_complex=True, finite=True)
        F, flat = _as_grid(rhs, self.grid_shape, name="rhs")
        real_out = self._real_input and not xp.isdtype(F.dtype, "complex floating")
        dt = xp.result_type(self._dtype, F.dtype)
        if F.dtype != dt:
            F = xp.astype(F, dt)
        V, Vinv = self._V, self._Vinv
        if dt != self._dtype:  # complex rhs with real factors
            V = [xp.astype(M, dt) for M in V]
            Vinv = [xp.astype(M, dt) for M in Vinv]
        G = _mode_products(xp, Vinv, F)
        G = G / self._denominator
        X = _mode_products(xp, V, G)
        if real_out and xp.isdtype(X.dtype, "complex floating"):
            X = xp.real(X)
        if flat:
            X = xp.reshape(X, (-1,))
        return X

    def _solve_batch(self, rhs, item_shape):
        if not hasattr(rhs, "shape"):
            rhs = np.asarray(rhs)
        if rhs.shape[0] < 1:
            raise ValueError(f"`rhs` is an empty batch (shape {tuple(rhs.shape)})")
        backend = backend_for(array_namespace(rhs))
        dtype = None
        if backend.host_parameters:
            if not same_namespace(self._xp, array_namespace(np.empty(0))):
                raise TypeError("a dask `rhs` is solved chunk by chunk with NumPy: the "
                                "factors must be NumPy arrays (they are small; convert them "
                                f"first), got factors of {self._xp.__name__}")
            dtype = self._solution_dtype(np.dtype(rhs.dtype))
        return backend.map_batch(_solve_items, self, rhs, item_shape=item_shape, dtype=dtype)

    def _solution_dtype(self, rhs_dtype):
        """NumPy dtype of ``solve``'s result for a right-hand side of ``rhs_dtype``."""
        f = rhs_dtype if rhs_dtype.kind in "fc" else np.dtype(np.float64)
        dt = np.result_type(np.dtype(self._dtype), f)
        if self._real_input and f.kind != "c" and dt.kind == "c":
            dt = np.empty(0, dtype=dt).real.dtype
        return dt

    def matvec(self, x):
        """Apply the Kronecker-sum operator itself to ``x`` (grid-shaped or flat)."""
        xp = array_namespace(*self.factors, x)
        X, flat = _as_grid(x, self.grid_shape, name="x")
        Y = self.shift * X
        for j, A in enumerate(self.factors):
            Y = Y + xp.moveaxis(xp.tensordot(A, X, axes=([1], [j])), 0, j)
        if flat:
            Y = xp.reshape(Y, (-1,))
        return Y


def _solve_items(solver, rhs, *, info):
    """The items of the batch ``rhs`` solved one by one (the ``map_batch`` block function)."""
    xp = array_namespace(rhs)
    return xp.stack([solver.solve(rhs[i, ...]) for i in range(rhs.shape[0])], axis=0), None


def solve_kronecker_sum(factors, rhs, shift=0.0):
    """Solve ``(Σ_j I ⊗ ... ⊗ A_j ⊗ ... ⊗ I + shift·I) X = F`` by fast diagonalization.

    In two dimensions this is the Sylvester equation ``A_1 X + X A_2^T + shift X = F``
    for a grid-shaped ``X`` of shape ``(n_1, n_2)``.

    Parameters
    ----------
    factors : sequence of square 2-D arrays
        ``A_j`` of size ``n_j × n_j``, symmetric or diagonalizable non-symmetric.
    rhs : array
        ``F``, grid-shaped ``(n_1, ..., n_d)`` or flat ``(Π n_j,)``; or a stacked batch of
        right-hand sides, ``(k, n_1, ..., n_d)`` or ``(k, Π n_j)``, solved independently
        with one diagonalization. A dask array is solved lazily: one task per chunk of the
        leading (batch) axis, each item by the NumPy path; the factors are taken to the host
        (they are small) and the solver is pickled once per worker process.
    shift : float, optional
        Scalar shift (default 0).

    Returns
    -------
    X : array
        Same shape, library and device as ``rhs``; real for real input. A lazy dask array
        for a dask ``rhs``, every item equal to the NumPy solve of that item.

    Raises
    ------
    ValueError
        Non-square or non-finite factors, an ``rhs`` whose shape does not match, or a factor
        that is not diagonalizable to working accuracy.
    numpy.linalg.LinAlgError
        If the operator is singular (some ``λ_1 + ... + λ_d + shift`` vanishes).

    See Also
    --------
    KroneckerSumSolver : the reusable form (diagonalize once, solve many times).

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.linalg import solve_sylvester
    >>> from solvers.linalg import solve_kronecker_sum
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((4, 4)) + 4 * np.eye(4)
    >>> B = rng.standard_normal((3, 3)) + 4 * np.eye(3)
    >>> F = rng.standard_normal((4, 3))
    >>> X = solve_kronecker_sum([A, B], F)
    >>> np.allclose(X, solve_sylvester(A, B.T, F))
    True

    A batch of right-hand sides as a dask array, two per task:

    >>> import dask.array as da
    >>> Fs = da.from_array(rng.standard_normal((6, 4, 3)), chunks=(2, 4, 3))
    >>> Xs = solve_kronecker_sum([A, B], Fs)
    >>> np.allclose(Xs.compute()[5], solve_sylvester(A, B.T, Fs[5].compute()))
    True
    """
    return KroneckerSumSolver(factors, shift).solve(rhs)

