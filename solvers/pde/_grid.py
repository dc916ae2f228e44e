"""Tensor (Kronecker) grids on boxes."""

from __future__ import annotations

import math
import numbers

import numpy as np

from .._array_api import PicklesNamespace, array_namespace, as_float_array, to_numpy
from ._chebyshev import cgl_nodes

__all__ = ["KroneckerGrid"]


def _validate_domain(domain, name="domain"):
    """Return ``domain`` as a tuple of ``(lo, hi)`` float pairs, lo < hi, finite."""
    try:
        pairs = [tuple(float(v) for v in to_numpy(b).reshape(-1)) if hasattr(b, "shape")
                 else tuple(float(v) for v in b) for b in domain]
    except (TypeError, ValueError):
        raise TypeError(f"`{name}` must be a sequence of (lo, hi) pairs, got {domain!r}") from None
    if not pairs:
        raise ValueError(f"`{name}` must have at least one (lo, hi) pair")
    for j, p in enumerate(pairs):
        if len(p) != 2 or not all(math.isfinite(v) for v in p) or not p[0] < p[1]:
            raise ValueError(f"`{name}`[{j}] must be a finite pair lo < hi, got {p}")
    return tuple(pairs)


class KroneckerGrid(PicklesNamespace):
    """Tensor grid ``axes[0] x ... x axes[d-1]`` (row-major: the last axis varies fastest).

    Parameters
    ----------
    axes : sequence of 1-D arrays
        Strictly increasing coordinates along each axis, at least 2 per axis, all from the
        same array library (NumPy, CuPy, ...). The first and last node of each axis are the
        box boundary.

    Attributes
    ----------
    axes : tuple of 1-D arrays
    shape : tuple of int
    ndim, size : int
    domain : tuple of (lo, hi)

    Examples
    --------
    >>> from solvers.pde import KroneckerGrid
    >>> g = KroneckerGrid.uniform([(0, 1), (0, 2)], (3, 5))
    >>> g.shape, g.size, g.points().shape
    ((3, 5), 15, (15, 2))
    >>> int(g.boundary_mask().sum())
    12
    >>> g.interior_indices(1)
    array([1, 2, 3])
    """

    def __init__(self, axes):
        if hasattr(axes, "shape") or not isinstance(axes, (list, tuple)):
            raise TypeError("`axes` must be a list or tuple of 1-D coordinate arrays")
        if len(axes) == 0:
            raise ValueError("`axes` must contain at least one axis")
        xp = array_namespace(*axes)
        out = []
        for j, a in enumerate(axes):
            a = as_float_array(a, xp, name=f"axes[{j}]", allow_float32=False, finite=True)
            if a.ndim != 1 or a.shape[0] < 2:
                raise ValueError(f"`axes[{j}]` must be 1-D with at least 2 points, got shape "
                                 f"{tuple(a.shape)}")
            if not bool(xp.all(a[1:] > a[:-1])):
                raise ValueError(f"`axes[{j}]` must be strictly increasing")
            out.append(a)
        self._xp = xp
        self.axes = tuple(out)

    @classmethod
    def uniform(cls, domain, shape, *, xp=None):
        """Uniform grid with ``shape[j]`` nodes on ``domain[j]`` (endpoints included).

        Parameters
        ----------
        domain : sequence of (lo, hi)
        shape : int or sequence of int
            Nodes per axis (an int is used for every axis).
        xp : namespace, optional
            Array library of the coordinates (default NumPy).
        """
        dom = _validate_domain(domain)
        shape = _validate_shape(shape, len(dom), minimum=2)
        axes = [np.linspace(lo, hi, n) for (lo, hi), n in zip(dom, shape)]
        if xp is not None:
            axes = [xp.asarray(a) for a in axes]
        return cls(axes)

    @classmethod
    def chebyshev(cls, domain, shape, *, axes=None, xp=None):
        """Grid with Chebyshev–Gauss–Lobatto nodes (clustered at the ends) on some axes.

        Parameters
        ----------
        domain : sequence of (lo, hi)
        shape : int or sequence of int
            Nodes per axis.
        axes : sequence of int, optional
            The axes with CGL nodes (default: all); the others are uniform.
        xp : namespace, optional
            Array library of the coordinates (default NumPy).

        Examples
        --------
        >>> from solvers.pde import KroneckerGrid
        >>> g = KroneckerGrid.chebyshev([(0, 1)], 5)
        >>> [round(float(v), 4) for v in g.axes[0]]
        [0.0, 0.1464, 0.5, 0.8536, 1.0]
        """
        dom = _validate_domain(domain)
        shape = _validate_shape(shape, len(dom), minimum=2)
        cheb = set(range(len(dom))) if axes is None else {int(a) for a in axes}
        out = [cgl_nodes(lo, hi, n) if j in cheb else np.linspace(lo, hi, n)
               for j, ((lo, hi), n) in enumerate(zip(dom, shape))]
        if xp is not None:
            out = [xp.asarray(a) for a in out]
        return cls(out)

    @property
    def xp(self):
        """Array namespace of the coordinates."""
        return self._xp

    @property
    def shape(self):
        return tuple(int(a.shape[0]) for a in self.axes)

    @property
    def ndim(self):
        return len(self.axes)

    @property
    def size(self):
        return math.prod(self.shape)

    @property
    def domain(self):
        return tuple((float(a[0]), float(a[-1])) for a in self.axes)

    def spacing(self):
        """Largest node spacing per axis (tuple of float)."""
        return tuple(float(self._xp.max(a[1:] - a[:-1])) for a in self.axes)

    def mesh(self):
        """Broadcastable coordinate arrays (like ``numpy.ix_``): axis j has shape 1..n_j..1."""
        xp, d = self._xp, self.ndim
        return tuple(xp.reshape(a, tuple(-1 if k == j else 1 for k in range(d)))
                     for j, a in enumerate(self.axes))

    def points(self):
        """All nodes as an ``(size, ndim)`` array, row-major order."""
        xp = self._xp
        cols = [xp.reshape(xp.broadcast_to(m, self.shape), (-1,)) for m in self.mesh()]
        return xp.stack(cols, axis=1)

    def interior_indices(self, axis):
        """Indices ``1..n-2`` of the nodes strictly inside the box along ``axis``."""
        return np.arange(1, self.shape[self._axis(axis)] - 1)

    def boundary_indices(self, axis):
        """Indices ``[0, n-1]`` of the two end nodes along ``axis``."""
        return np.array([0, self.shape[self._axis(axis)] - 1])

    def boundary_mask(self):
        """Boolean array of grid shape, true on nodes of the box boundary."""
        xp = self._xp
        mask = xp.zeros(self.shape, dtype=xp.bool)
        for j, n in enumerate(self.shape):
            e = xp.zeros((n,), dtype=xp.bool)
            e = xp.where(xp.arange(n) == 0, True, e)
            e = xp.where(xp.arange(n) == n - 1, True, e)
            mask = mask | xp.reshape(e, tuple(-1 if k == j else 1 for k in range(self.ndim)))
        return mask

    def _axis(self, axis):
        if not isinstance(axis, numbers.Integral) or not -self.ndim <= axis < self.ndim:
            raise ValueError(f"`axis` must be an integer in [0, {self.ndim}), got {axis!r}")
        return int(axis) % self.ndim

    def __repr__(self):
        return f"KroneckerGrid(shape={self.shape}, domain={self.domain})"


def _validate_shape(shape, ndim, *, minimum, name="shape"):
    if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
        shape = (int(shape),) * ndim
    try:
        shape = tuple(shape)
    except TypeError:
        raise TypeError(f"`{name}` must be an int or a sequence of ints, got {shape!r}") from None
    if len(shape) != ndim:
        raise ValueError(f"`{name}` has {len(shape)} entries but the domain has {ndim} axes")
    for n in shape:
        if not isinstance(n, numbers.Integral) or isinstance(n, bool) or n < minimum:
            raise ValueError(f"`{name}` entries must be integers >= {minimum}, got {shape}")
    return tuple(int(n) for n in shape)
