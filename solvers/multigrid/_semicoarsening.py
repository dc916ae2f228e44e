"""Directional coupling strength of a stencil, and semi-coarsening (coarsen some axes only).

Point smoothers smooth the error only along the axes where the stencil couples strongly;
along weakly coupled axes the error stays oscillatory and the coarse grid must keep those
axes' resolution (semi-coarsening), or a line smoother must solve along the strong axis.

:func:`coupling_strength` measures, per grid axis, each node's share of off-diagonal stencil
weight that reaches along that axis, averaged over the nodes and normalized to a maximum of 1.
:func:`plan_coarsening` turns it into the coarsening of one level; Galerkin coarsening
(:func:`semi_galerkin_operator`) changes the strengths level by level: coarsening an axis
divides its coupling by about 4 against the others, so a grid-aligned anisotropy of 1e-4
is coarsened away after about 7 semi-coarsened levels, and the rest of the hierarchy is
fully coarsened.

Transfers of a semi-coarsened level: d-linear interpolation and full weighting along the
coarsened axes, the identity along the others (Numba kernels in
:mod:`._kernels_line_numba`, the generic array-API version here; both in the backend
registry as ``multigrid.semi_restrict`` / ``multigrid.semi_prolong_add``).

Reference: Trottenberg, Oosterlee, Schüller, *Multigrid*, Academic Press 2001, §5.1
(anisotropic operators: line relaxation and semi-coarsening).
"""

from __future__ import annotations

import numpy as np

from .._array_api import from_numpy, to_numpy
from ._grid import Layout, pad_interior

__all__ = ["coupling_strength", "plan_coarsening", "semi_coarse_layout",
           "semi_galerkin_operator", "STRONG_COUPLING"]

# an axis is coarsened when its coupling is at least this fraction of the strongest axis'
STRONG_COUPLING = 0.5
_ALL_OFFSETS = [(a, b, c) for a in (-1, 0, 1) for b in (-1, 0, 1) for c in (-1, 0, 1)]


def coupling_strength(layout, offsets3, const, coef):
    """Per-axis coupling strength (length ``d``, maximum 1) of a stencil given by its parts.

    ``offsets3``: the stencil's 3-D offsets; ``const`` the constant coefficients or ``None``;
    ``coef`` the variable coefficients ``(K,) + n3`` (any library). Axes of length 1 have no
    couplings and get 0.
    """
    d = layout.ndim
    offsets3 = np.asarray(offsets3).reshape(-1, 3)
    if const is not None:
        values = np.abs(np.asarray(const, dtype=np.float64)).reshape(-1, 1)
    else:
        values = np.abs(to_numpy(coef).astype(np.float64)).reshape(len(offsets3), -1)
    moments = np.zeros((d, values.shape[1]))
    for k, o in enumerate(offsets3.tolist()):
        for a in range(d):
            if o[3 - d + a] and layout.grid_shape[a] > 1:
                moments[a] += values[k]
    total = moments.sum(axis=0)
    share = np.divide(moments, total, out=np.zeros_like(moments), where=total > 0)
    strength = share.mean(axis=1)
    top = strength.max()
    return strength / top if top > 0 else strength


def plan_coarsening(A, mode, threshold=STRONG_COUPLING):
    """How level operator ``A`` coarsens: ``None`` (it cannot), ``"full"`` or a tuple of axes.

    ``mode`` is ``"full"`` (every axis, the classical hierarchy) or ``"semi"`` (the axes
    whose :func:`coupling_strength` is at least ``threshold``; all of them is ``"full"``).
    Axes of length 1 are never coarsened; an even length stops the hierarchy.
    """
    shape = A.grid_shape
    if mode == "full":
        return "full" if A._layout.can_coarsen() else None
    if any(n % 2 == 0 for n in shape):
        return None
    strength = coupling_strength(A._layout, A._offsets3, A._const, A._coef)
    axes = tuple(a for a, n in enumerate(shape) if n >= 3 and strength[a] >= threshold)
    if not axes:
        axes = tuple(a for a, n in enumerate(shape) if n >= 3)
    if not axes:
        return None
    return "full" if len(axes) == len(shape) else axes


def semi_coarse_layout(layout, axes):
    """The layout after coarsening ``axes`` (grid axes) only."""
    return Layout(tuple((n - 1) // 2 if a in axes else n
                        for a, n in enumerate(layout.grid_shape)))


def coarsened_mask(layout, axes):
    """int64 mask over the three padded axes: 1 where the grid axis is coarsened."""
    d = layout.ndim
    mask = np.zeros(3, dtype=np.int64)
    for a in axes:
        mask[3 - d + a] = 1
    return mask


def _interpolation_1d(n, coarsen):
    import scipy.sparse as sp

    if not coarsen:
        return sp.identity(n, format="csr")
    nc = (n - 1) // 2
    cols = np.repeat(np.arange(nc), 3)
    rows = (2 * cols + 1) + np.tile([-1, 0, 1], nc)
    vals = np.tile([0.5, 1.0, 0.5], nc)
    return sp.csr_array(sp.coo_array((vals, (rows, cols)), shape=(n, nc)))


def _prolongation(grid_shape, axes):
    import scipy.sparse as sp

    P = None
    for a, n in enumerate(grid_shape):
        Pa = _interpolation_1d(n, a in axes)
        P = Pa if P is None else sp.kron(P, Pa, format="csr")
    return sp.csr_array(P)


def semi_galerkin_operator(A, axes):
    """The Galerkin operator ``R A P`` of semi-coarsening along grid ``axes``.

    ``P`` is linear interpolation along ``axes`` and the identity along the others,
    ``R = 2**-len(axes) P^T``. Formed on the host by sparse products (on a small grid for a
    constant stencil, whose Galerkin stencil is constant too) and returned in ``A``'s library.

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.multigrid import StencilOperator
    >>> from solvers.multigrid._semicoarsening import semi_galerkin_operator
    >>> A = StencilOperator(np.array([[0, -1, 0], [-1e-3, 2.002, -1e-3], [0, -1, 0]]), (7, 7))
    >>> semi_galerkin_operator(A, (0,)).grid_shape
    (3, 7)
    """
    from ._stencil import StencilOperator

    layout = A._layout
    axes = tuple(sorted(axes))
    if A.is_constant:   # the stencil of a node away from the boundary
        small = Layout(tuple(7 if a in axes else min(n, 5)
                             for a, n in enumerate(layout.grid_shape)))
        fine = StencilOperator._from_parts(small, [tuple(o) for o in A._offsets3.tolist()],
                                           const=A._const)
    else:
        small, fine = layout, A
    coarse = semi_coarse_layout(small, axes)
    P = _prolongation(small.grid_shape, axes)
    Ac = (P.T @ (fine.tosparse() @ P)) * 0.5 ** len(axes)
    Ac = Ac.tocoo()
    Ac.sum_duplicates()
    rows = np.stack(np.unravel_index(Ac.row, coarse.n3))
    cols = np.stack(np.unravel_index(Ac.col, coarse.n3))
    delta = cols - rows
    slot = 9 * (delta[0] + 1) + 3 * (delta[1] + 1) + (delta[2] + 1)
    stencil = np.zeros((27, coarse.size))
    stencil[slot, Ac.row] = Ac.data
    if A.is_constant:
        centre = np.ravel_multi_index(tuple(n // 2 for n in coarse.n3), coarse.n3)
        rows_c = stencil[:, centre]
        keep = [k for k in range(27) if rows_c[k] != 0 or _ALL_OFFSETS[k] == (0, 0, 0)]
        target = semi_coarse_layout(layout, axes)
        return StencilOperator._from_parts(target, [_ALL_OFFSETS[k] for k in keep],
                                           const=rows_c[keep].copy())
    scale = np.max(np.abs(stencil))
    keep = [k for k in range(27) if np.any(np.abs(stencil[k]) > 1e-14 * scale)
            or _ALL_OFFSETS[k] == (0, 0, 0)]
    coef = np.ascontiguousarray(stencil[keep].reshape((len(keep),) + coarse.n3))
    if A._xp is not None:
        coef = from_numpy(coef, A._xp, like=A._coef)
        if coef.dtype != A._coef.dtype:
            coef = A._xp.astype(coef, A._coef.dtype)
    return StencilOperator._from_parts(coarse, [_ALL_OFFSETS[k] for k in keep], coef=coef)


# ------------------------------------------------------------------------------ transfers


def _axis_slice(axis, start, stop, step=1):
    index = [slice(None)] * 3
    index[axis] = slice(start, stop, step)
    return tuple(index)


def _restrict_semi_generic(xp, rf, fine, coarse, mask):
    """``2**-c P^T rf`` axis by axis: full weighting on coarsened axes, interior elsewhere."""
    x = rf
    for axis in range(3):
        if not fine.act[axis]:
            continue
        if mask[axis]:
            nc = coarse.n3[axis]
            x = (x[_axis_slice(axis, 1, 2 * nc, 2)] + 2.0 * x[_axis_slice(axis, 2, 2 * nc + 1, 2)]
                 + x[_axis_slice(axis, 3, 2 * nc + 2, 2)]) * 0.25
        else:
            x = x[_axis_slice(axis, 1, fine.n3[axis] + 1)]
    return pad_interior(xp, x, coarse)


def _prolong_add_semi_generic(xp, uc, uf, coarse, fine, mask):
    """``uf + P uc``: linear interpolation on coarsened axes (even copy, odd average)."""
    x = uc
    for axis in range(3):
        if not fine.act[axis]:
            continue
        nc = coarse.n3[axis]
        if not mask[axis]:
            x = x[_axis_slice(axis, 1, nc + 1)]
            continue
        odd = (x[_axis_slice(axis, 0, nc + 1)] + x[_axis_slice(axis, 1, nc + 2)]) * 0.5
        even = x[_axis_slice(axis, 1, nc + 2)]
        both = xp.stack([odd, even], axis=axis + 1)
        shape = list(odd.shape)
        shape[axis] = 2 * (nc + 1)
        x = xp.reshape(both, tuple(shape))[_axis_slice(axis, 0, 2 * nc + 1)]
    return uf + pad_interior(xp, x, fine)


def _restrict_semi_numpy(xp, rf, fine, coarse, mask):
    from ._kernels_line_numba import restrict_semi

    rc = np.zeros(coarse.padded, dtype=rf.dtype)
    return restrict_semi(rf, rc, coarse.lo, coarse.hi, mask, 0.5 ** int(mask.sum()))


def _prolong_add_semi_numpy(xp, uc, uf, coarse, fine, mask):
    from ._kernels_line_numba import prolong_add_semi

    prolong_add_semi(uc, uf, fine.lo, fine.hi, mask)
    return uf
