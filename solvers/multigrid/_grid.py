"""Structured vertex-centred grids and the padded 3-D layout every kernel works on.

A problem on ``grid_shape = (n_1, ..., n_d)`` interior nodes (d = 1, 2, 3, Dirichlet
boundary) is stored as a 3-D array: the problem's axes last, one zero halo node on both
sides of each active axis, inactive leading axes of length 1 without halo. So a 2-D
problem ``(n0, n1)`` is held as ``(1, n0 + 2, n1 + 2)``. A grid coarsens when every ``n``
is odd and at least 3: ``n -> (n - 1) / 2``, the coarse node ``I`` sitting on fine node
``2 I`` (padded indices).
"""

from __future__ import annotations

import math

import numpy as np

from .._array_api import device
from .._backend import backend_for
from .._grid_shape import validate_grid_shape

__all__ = ["Layout", "validate_grid_shape", "pad_interior", "to_padded", "from_padded"]


class Layout:
    """Padded 3-D layout of a grid (see the module docstring)."""

    def __init__(self, grid_shape):
        self.grid_shape = tuple(grid_shape)
        self.ndim = len(self.grid_shape)
        pad = 3 - self.ndim
        self.act = (0,) * pad + (1,) * self.ndim
        self.n3 = (1,) * pad + self.grid_shape
        self.padded = tuple(n + 2 * a for n, a in zip(self.n3, self.act))
        self.size = math.prod(self.grid_shape)
        self.lo = np.array(self.act, dtype=np.int64)
        self.hi = self.lo + np.array(self.n3, dtype=np.int64)
        self.act_arr = np.array(self.act, dtype=np.int64)
        self.padded_arr = np.array(self.padded, dtype=np.int64)
        self.interior = tuple(slice(a, a + n) for a, n in zip(self.act, self.n3))

    def can_coarsen(self):
        return all(n >= 3 and n % 2 == 1 for n in self.grid_shape)

    def coarse(self):
        return Layout(tuple((n - 1) // 2 for n in self.grid_shape))

    def shifted(self, offset):
        """Slices of the padded array seen from the interior at ``offset``."""
        return tuple(slice(a + o, a + o + n) for a, o, n in zip(self.act, offset, self.n3))

    def __eq__(self, other):
        return isinstance(other, Layout) and other.grid_shape == self.grid_shape

    def __hash__(self):
        return hash(self.grid_shape)


def pad_interior(xp, x, layout):
    """Surround the interior array ``x`` (shape ``layout.n3``) with a zero halo (functional)."""
    for axis in range(3):
        if layout.act[axis]:
            shape = list(x.shape)
            shape[axis] = 1
            z = xp.zeros(tuple(shape), dtype=x.dtype, device=device(x))
            x = xp.concat([z, x, z], axis=axis)
    return x


def to_padded(xp, x, layout):
    """Padded copy of a flat or grid-shaped array ``x``."""
    return backend_for(xp).kernel("multigrid.to_padded")(xp, xp.reshape(x, layout.n3), layout)


def _to_padded_numpy(xp, x, layout):
    out = np.zeros(layout.padded, dtype=x.dtype)
    out[layout.interior] = x
    return out


def from_padded(xp, u, layout, shape):
    """Interior of the padded array ``u`` reshaped to ``shape`` (a copy)."""
    return backend_for(xp).kernel("multigrid.from_padded")(xp, u[layout.interior], shape)


def _from_padded_numpy(xp, x, shape):
    return np.ascontiguousarray(x).reshape(shape)


def _from_padded_generic(xp, x, shape):
    return xp.reshape(x, shape)
