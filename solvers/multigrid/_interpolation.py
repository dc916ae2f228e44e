"""Operator-dependent ("black-box") interpolation weights for 1-D and 2-D stencils.

A prolongation is stored as corner weights ``W`` of shape ``(8,) + padded fine shape``:
``W[c]`` at fine node ``i`` weighs the coarse corner ``c = 4 b0 + 2 b1 + b2`` (bit 0 on an
axis: coarse node ``i >> 1``, bit 1: ``(i + 1) >> 1``; on an even or inactive axis both are the
same node, and the weight is split between the two bits). d-linear interpolation is ``W = 1/8``.

The operator-dependent weights follow the stencil instead of the grid (Alcouffe, Brandt,
Dendy, Painter, SIAM J. Sci. Stat. Comput. 2, 1981; de Zeeuw, J. Comput. Appl. Math. 33, 1990):
a fine node between two coarse nodes along an axis takes weights ``-S[-1] / S[0]`` and
``-S[+1] / S[0]`` of its stencil collapsed (summed) across that axis; a node in the middle of a
coarse cell solves its own stencil equation with the already interpolated edge values. On the
Laplacian this is exactly bilinear interpolation; across a coefficient jump it keeps the flux
continuous, which d-linear interpolation does not.
"""

from __future__ import annotations

import numpy as np

__all__ = ["operator_interpolation_weights"]


def _dense_stencil(A):
    """The stencil as ``S[o1 + 1, o2 + 1]`` arrays on the padded grid (zero on the halo)."""
    layout = A._layout
    coef, vary = A._host_coefficients()
    S = np.zeros((3, 3) + layout.padded)
    for k, o in enumerate(A._offsets3.tolist()):
        S[(o[1] + 1, o[2] + 1) + layout.interior] = coef[k] if vary else coef[k, 0, 0, 0]
    return S


def _edge_weights(S, axis, interior):
    """Weights toward the low and high neighbour along ``axis`` (1 or 2), stencil collapsed."""
    collapsed = S.sum(axis=1) if axis == 1 else S.sum(axis=0)   # index: offset along `axis`
    centre = collapsed[1]
    low, high = np.zeros_like(centre), np.zeros_like(centre)
    np.divide(-collapsed[0], centre, out=low, where=interior)
    np.divide(-collapsed[2], centre, out=high, where=interior)
    return low, high


def operator_interpolation_weights(A):
    """Corner weights of the operator-dependent prolongation for ``A`` (1-D and 2-D grids).

    Parameters
    ----------
    A : StencilOperator
        Fine operator, 1-D or 2-D, on a grid that coarsens.

    Returns
    -------
    W : ndarray
        Host array of shape ``(8,) + padded fine shape`` (see the module docstring).
    """
    layout = A._layout
    if layout.ndim == 3:
        raise ValueError("operator-dependent interpolation is implemented for 1-D and 2-D "
                         "grids only; use interpolation='linear' in 3-D")
    S = _dense_stencil(A)
    interior = np.zeros(layout.padded, dtype=bool)
    interior[layout.interior] = True
    index = np.indices(layout.padded)
    odd1 = (index[1] % 2 == 1) & (layout.act[1] == 1)
    odd2 = index[2] % 2 == 1
    W = np.zeros((8,) + layout.padded)
    bit1 = np.array([(c >> 1) & 1 for c in range(8)]).reshape(8, 1, 1, 1)
    bit2 = np.array([c & 1 for c in range(8)]).reshape(8, 1, 1, 1)
    # coarse nodes: all eight corners are the node itself
    W += np.where(interior & ~odd1 & ~odd2, 0.125, 0.0)
    # between two coarse nodes along axis 2 (the last axis)
    low2, high2 = _edge_weights(S, 2, interior)
    on2 = interior & ~odd1 & odd2
    low2, high2 = np.where(on2, low2, 0.0), np.where(on2, high2, 0.0)
    W += np.where(bit2 == 1, high2, low2) / 4
    if layout.ndim == 1:
        return W
    # between two coarse nodes along axis 1
    low1, high1 = _edge_weights(S, 1, interior)
    on1 = interior & odd1 & ~odd2
    low1, high1 = np.where(on1, low1, 0.0), np.where(on1, high1, 0.0)
    W += np.where(bit1 == 1, high1, low1) / 4
    # cell centres: the stencil equation with the interpolated edge values
    centre = interior & odd1 & odd2
    diag = np.where(centre, S[1, 1], 1.0)
    for s1 in (-1, 1):
        for s2 in (-1, 1):
            edge2 = np.roll(high2 if s2 == 1 else low2, -s1, axis=1)   # node p + (s1, 0)
            edge1 = np.roll(high1 if s1 == 1 else low1, -s2, axis=2)   # node p + (0, s2)
            weight = -(S[s1 + 1, s2 + 1] + S[s1 + 1, 1] * edge2 + S[1, s2 + 1] * edge1) / diag
            weight = np.where(centre, weight, 0.0)
            corners = (bit1 == (s1 == 1)) & (bit2 == (s2 == 1))
            W += np.where(corners, weight / 2, 0.0)
    return W
