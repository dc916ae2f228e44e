"""GP collocation on Kronecker grids: per-axis differentiation matrices and the interior system.

For a product kernel ``k(x, x') = prod_j k_j(x_j, x'_j)`` on a tensor grid the GP conditional
mean interpolates grid values ``U`` as ``u(x) = k(x, X) C^{-1} vec(U)`` with
``C = K_1 ⊗ ... ⊗ K_d``, so its derivatives at the nodes are
``d^r_j u = (I ⊗ .. ⊗ D_j^(r) ⊗ .. ⊗ I) vec(U)`` with ``D_j^(r) = K_j^(r) K_j^{-1}``, where
``K_j^(r)[a, b] = d^r/dx^r k_j(x_a, x_b)``. This module builds those matrices by a symmetric
eigendecomposition of ``K_j + jitter * k_j(0) * I`` (never an explicit inverse) and assembles
the collocation operator ``L = sum_alpha c_alpha ⊗_j D_j^(alpha_j)``, its restriction to
interior nodes and the contribution of the boundary values.

An axis with the polynomial kernel :class:`~solvers.pde.kernels.Chebyshev` on its
Chebyshev–Gauss–Lobatto nodes takes the closed forms of the same matrices instead (spectral
differentiation and barycentric interpolation, ``_chebyshev.py``): ``K`` is never formed.
"""

from __future__ import annotations

import math

from .._array_api import PicklesNamespace, array_namespace, from_numpy, to_numpy
from . import _chebyshev
from .kernels import Chebyshev

__all__ = ["GramFactor", "CollocationSystem", "apply_along_axis"]


def apply_along_axis(xp, A, U, axis):
    """``U ×_axis A``: multiply every 1-D fibre of ``U`` along ``axis`` by the matrix ``A``."""
    shape = tuple(U.shape)
    n = shape[axis]
    before = math.prod(shape[:axis])
    after = math.prod(shape[axis + 1:])
    U3 = xp.reshape(U, (before, n, after))
    out = xp.matmul(A, U3)
    new_shape = shape[:axis] + (int(A.shape[0]),) + shape[axis + 1:]
    return xp.reshape(out, new_shape)


class GramFactor(PicklesNamespace):
    """Symmetric eigendecomposition of ``K + jitter * variance * I`` for one axis.

    Parameters
    ----------
    K : array, shape (n, n)
        Kernel Gram matrix (symmetric positive semi-definite).
    variance : float
        ``k(0)``; the jitter is relative to it.
    jitter : float
        Relative diagonal regularization.

    Attributes
    ----------
    eigenvalues, eigenvectors : arrays
        Of the regularized matrix.
    condition : float
        Its 2-norm condition number.
    """

    def __init__(self, K, variance, jitter):
        xp = array_namespace(K)
        lam, V = xp.linalg.eigh(K)
        floor = float(jitter) * float(variance)
        # eigenvalues of a PSD matrix that come out negative are rounding noise: clip them,
        # then add the jitter (identical to adding jitter * I before the decomposition)
        lam = xp.where(lam > 0, lam, xp.zeros_like(lam)) + floor
        self._xp = xp
        self.eigenvalues = lam
        self.eigenvectors = V
        self.condition = float(xp.max(lam)) / float(xp.min(lam))

    def solve_right(self, B):
        """``B (K + eps I)^{-1}`` for ``B`` of shape ``(m, n)``."""
        xp, V = self._xp, self.eigenvectors
        return xp.matmul(xp.matmul(B, V) / self.eigenvalues, xp.matrix_transpose(V))

    def solve(self, B):
        """``(K + eps I)^{-1} B`` for ``B`` of shape ``(n, ...)``."""
        xp, V = self._xp, self.eigenvectors
        T = xp.matmul(xp.matrix_transpose(V), B)
        lam = xp.reshape(self.eigenvalues, (-1,) + (1,) * (B.ndim - 1))
        return xp.matmul(V, T / lam)


class CollocationSystem(PicklesNamespace):
    """The GP collocation discretization of a constant-coefficient operator on a tensor grid.

    Parameters
    ----------
    kernels : sequence of 1-D kernels
        One per axis (from :mod:`solvers.pde.kernels`).
    grid : KroneckerGrid
    operator : dict
        Multi-index -> coefficient (validated, e.g. ``PDEProblem.operator``).
    jitter : float
        Relative jitter of every axis' Gram matrix.

    Attributes
    ----------
    factors : list of GramFactor or None
        Per-axis factorizations of ``K_j + jitter * k_j(0) * I`` (None on a Chebyshev axis).
    diff : list of dict
        ``diff[j][r]`` is the differentiation matrix ``D_j^(r)`` (``r`` = 1, 2 as needed).
    interior : tuple of slices
        The interior block of the grid.
    """

    def __init__(self, kernels, grid, operator, jitter):
        xp = grid.xp
        self.xp = xp
        self.grid = grid
        self.kernels = tuple(kernels)
        self.operator = dict(operator)
        self.jitter = float(jitter)
        self.interior = tuple(slice(1, n - 1) for n in grid.shape)
        self.factors, self.diff = [], []
        for j, (k, x) in enumerate(zip(self.kernels, grid.axes)):
            orders = sorted({a[j] for a in self.operator if a[j] > 0})
            if isinstance(k, Chebyshev):
                self.factors.append(None)
                self.diff.append(self._chebyshev_axis(j, k, x, orders))
                continue
            same = self._same_axis(j)
            if same is not None:  # identical kernel and nodes: reuse the factorization
                F = self.factors[same]
                missing = [r for r in orders if r not in self.diff[same]]
                diff = {r: self.diff[same][r] for r in orders if r in self.diff[same]}
            else:
                F = GramFactor(k(x), k.variance, self.jitter)
                missing, diff = orders, {}
            diff.update({r: F.solve_right(k(x, x, dx=r)) for r in missing})
            self.factors.append(F)
            self.diff.append(diff)

    def _chebyshev_axis(self, j, k, x, orders):
        n = int(x.shape[0])
        a, b = k.interval
        if k.degree != n - 1 or not _chebyshev.is_cgl(to_numpy(x)) or (
                abs(float(x[0]) - a) > 1e-12 * (b - a) or abs(float(x[-1]) - b) > 1e-12 * (b - a)):
            raise ValueError(f"axis {j}: a Chebyshev kernel of degree {k.degree} on {k.interval} "
                             f"needs the {k.degree + 1} Chebyshev-Gauss-Lobatto nodes of its "
                             "interval (KroneckerGrid.chebyshev)")
        mats = _chebyshev.differentiation_matrices(a, b, n, orders=tuple(orders))
        return {r: from_numpy(M, self.xp, like=x) for r, M in mats.items()}

    @property
    def gram_condition(self):
        """Per axis, the condition number of ``K_j + jitter k_j(0) I`` (None: Chebyshev axis)."""
        return [None if F is None else F.condition for F in self.factors]

    def cross(self, j, y, order=0):
        """``k_j^(order)(y, X_j) K_j^{-1}``: values on axis ``j``'s nodes -> ``d^order u`` at ``y``.

        Applied to grid values directly (never to ``C^{-1} vec(U)``, whose size grows with
        the condition number of every axis in turn).
        """
        xp = self.xp
        k, x = self.kernels[j], self.grid.axes[j]
        if self.factors[j] is not None:
            return self.factors[j].solve_right(k(y, x, dx=order))
        a, b = k.interval
        n = int(x.shape[0])
        B = _chebyshev.barycentric_matrix(to_numpy(y), a, b, n)
        if order:
            D = self.diff[j].get(order)
            D = (_chebyshev.differentiation_matrices(a, b, n, (order,))[order] if D is None
                 else to_numpy(D))
            B = B @ D
        return from_numpy(B, xp, like=x)

    def _same_axis(self, j):
        """Index of an earlier axis with the same kernel and nodes, or None."""
        kj, xj = self.kernels[j], self.grid.axes[j]
        for i in range(j):
            ki, xi = self.kernels[i], self.grid.axes[i]
            if ki is None or isinstance(ki, Chebyshev):
                continue
            if (type(ki) is type(kj) and getattr(ki, "nu", None) == getattr(kj, "nu", None)
                    and ki.params.shape == kj.params.shape
                    and bool((ki.params == kj.params).all()) and xi.shape == xj.shape
                    and bool(self.xp.all(xi == xj))):
                return i
        return None

    def gram_solve(self, U):
        """``C^{-1} vec(U)`` with ``C = ⊗_j (K_j + eps_j I)``, by the per-axis eigenbases."""
        xp = self.xp
        d = U.ndim
        for j, F in enumerate(self.factors):
            U = apply_along_axis(xp, xp.matrix_transpose(F.eigenvectors), U, j)
            lam = xp.reshape(F.eigenvalues, tuple(-1 if k == j else 1 for k in range(d)))
            U = apply_along_axis(xp, F.eigenvectors, U / lam, j)
        return U

    # ----------------------------------------------------------------- operator pieces
    def _term(self, alpha, U, block, transpose=False):
        xp = self.xp
        for j, r in enumerate(alpha):
            if r:
                D = self.diff[j][r]
                if block is not None:
                    D = D[block[j], block[j]]
                if transpose:
                    D = xp.matrix_transpose(D)
                U = apply_along_axis(xp, D, U, j)
        return U

    def _apply(self, U, block, transpose=False):
        """``L U`` (``block`` None), or the block ``L[S, S] U`` with ``S = block`` (a tuple of
        per-axis slices, e.g. ``self.interior``) for ``U`` of the block's shape; ``transpose``
        applies the transposed operator."""
        out = None
        for alpha, c in self.operator.items():
            t = c * self._term(alpha, U, block, transpose)
            out = t if out is None else out + t
        return out

    def apply(self, U):
        """The operator on the whole grid: ``L U`` (grid-shaped in, grid-shaped out)."""
        return self._apply(U, None)

    def apply_interior(self, V):
        """The interior block ``L_II V`` for interior-shaped ``V``."""
        return self._apply(V, self.interior)

    def boundary_contribution(self, H):
        """``L_IB h_B``: the operator applied to the boundary values of ``H``, at interior nodes."""
        xp = self.xp
        mask = self.grid.boundary_mask()
        Hb = xp.where(mask, H, xp.zeros_like(H))
        return self.apply(Hb)[self.interior]

    def kronecker_sum_factors(self, block=None):
        """``(factors, shift)`` of the Kronecker-sum part of ``L_II``.

        ``factors[j] = sum_r c_(r e_j) D_j^(r)[I, I]`` (a zero matrix when no term acts on
        axis ``j`` alone) and ``shift = c_0``. Mixed terms are left out. ``block`` (per-axis
        slices, default ``self.interior``) selects another block ``L[S, S]`` instead of
        ``L_II``.
        """
        xp = self.xp
        block = self.interior if block is None else block
        sizes = [len(range(*s.indices(n))) for s, n in zip(block, self.grid.shape)]
        shift = 0.0
        factors = [None] * self.grid.ndim
        for alpha, c in self.operator.items():
            axes = [j for j, r in enumerate(alpha) if r]
            if not axes:
                shift += c
            elif len(axes) == 1:
                j = axes[0]
                part = c * self.diff[j][alpha[j]][block[j], block[j]]
                factors[j] = part if factors[j] is None else factors[j] + part
        for j, m in enumerate(sizes):
            if factors[j] is None:
                factors[j] = xp.zeros((m, m), dtype=xp.float64)
        return factors, shift

    @property
    def is_kronecker_sum(self):
        return all(sum(1 for r in a if r) <= 1 for a in self.operator)

    def block_dense(self, block=None):
        """``L[S, S]`` as a dense matrix (``S = block``, default the interior), by Kronecker
        products of the per-axis blocks.

        Size ``prod(|S_j|)`` squared: meant for one dimension and small grids.
        """
        xp = self.xp
        block = self.interior if block is None else block
        out = None
        for alpha, c in self.operator.items():
            T = None
            for j, r in enumerate(alpha):
                n = len(range(*block[j].indices(self.grid.shape[j])))
                A = self.diff[j][r][block[j], block[j]] if r else xp.eye(n, dtype=xp.float64)
                T = A if T is None else _kron(xp, T, A)
            out = c * T if out is None else out + c * T
        return out


def _kron(xp, A, B):
    m, n = int(A.shape[0]), int(B.shape[0])
    return xp.reshape(A[:, None, :, None] * B[None, :, None, :], (m * n, m * n))
