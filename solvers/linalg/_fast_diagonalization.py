"""Fast diagonalization: solve Kronecker-sum (generalized Sylvester) systems factor-wise."""

from __future__ import annotations

import numpy as np

from .._array_api import (
    PicklesNamespace,
    array_namespace,
    as_float_array,
    from_numpy,
    to_numpy,
)
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
        ``A_1, ..., A_d`` of sizes ``n_1, ..., n_d``.
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
        """Solve the Kronecker-sum system for ``rhs`` (grid-shaped or flat); same shape back."""
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


def solve_kronecker_sum(factors, rhs, shift=0.0):
    """Solve ``(Σ_j I ⊗ ... ⊗ A_j ⊗ ... ⊗ I + shift·I) X = F`` by fast diagonalization.

    In two dimensions this is the Sylvester equation ``A_1 X + X A_2^T + shift X = F``
    for a grid-shaped ``X`` of shape ``(n_1, n_2)``.

    Parameters
    ----------
    factors : sequence of square 2-D arrays
        ``A_j`` of size ``n_j × n_j``, symmetric or diagonalizable non-symmetric.
    rhs : array
        ``F``, grid-shaped ``(n_1, ..., n_d)`` or flat ``(Π n_j,)``.
    shift : float, optional
        Scalar shift (default 0).

    Returns
    -------
    X : array
        Same shape, library and device as ``rhs``; real for real input.

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
    """
    return KroneckerSumSolver(factors, shift).solve(rhs)

