"""Line smoothers: zebra and alternating-direction line Gauss–Seidel.

A line sweep along an axis solves, for every grid line of one colour, the tridiagonal
system of the couplings along the line, so error that is smooth along a weakly coupled axis
but oscillatory along the strongly coupled one is damped as well as in the isotropic case.
Lines of one colour (zebra: alternate lines; four colours for the box stencils of 3-D
Galerkin operators) do not couple, so the sweep is the same on every backend.

The kernel ``multigrid.line_sweep(bs, u, f, axis3, colour, omega)`` (``axis3`` the padded
axis of the lines) is registered in the backend layer: Numba for NumPy, the generic
array-API version (residual, batched Thomas elimination by slices, masked update) for
everything else, CuPy included.

Reference: Trottenberg, Oosterlee, Schüller, *Multigrid*, Academic Press 2001, §5.1–5.2.
"""

from __future__ import annotations

import numbers

import numpy as np

from .._array_api import from_numpy, to_numpy
from .._backend import backend_for
from ._grid import pad_interior
from ._semicoarsening import coupling_strength
from ._smoothers import _Smoother

__all__ = ["LineGaussSeidel", "line_colours", "strongest_axis"]


def strongest_axis(bs):
    """The grid axis of strongest coupling of a bound stencil (cached in ``bs.cache``)."""
    if "strength" not in bs.cache:
        const, coef = bs.source
        bs.cache["strength"] = coupling_strength(bs.layout, bs.off, const, coef)
    return int(np.argmax(bs.cache["strength"]))


def line_colours(bs, axis3):
    """Colours of the lines along padded axis ``axis3`` (2 for star stencils, else up to 4)."""
    others = [a for a in range(3) if a != axis3]
    active = [bs.layout.act[a] for a in others]
    if bs.star:
        return [0, 1] if any(active) else [0]
    return [c for c in range(4)
            if not ((c >> 1) & 1 and not active[0]) and not (c & 1 and not active[1])]


def _host_factors(bs, axis3):
    """Thomas factors ``(low, cp, inv)`` of every line along ``axis3`` on the host.

    Interior-shaped arrays, or for a constant stencil arrays that vary along ``axis3``
    only (length 1 on the other axes).
    """
    const, coef = bs.source
    layout = bs.layout
    n = layout.n3[axis3]

    def entry(sign):
        o = [0, 0, 0]
        o[axis3] = sign
        if tuple(o) not in bs.offsets:
            return 0.0
        k = bs.offsets.index(tuple(o))
        if const is not None:
            return float(const[k])
        return np.asarray(to_numpy(coef[k, ...]), dtype=np.float64)

    low, diag, high = entry(-1), entry(0), entry(1)
    shape = [1, 1, 1]
    shape[axis3] = n
    shape = tuple(shape) if const is not None else layout.n3
    low, diag, high = (np.broadcast_to(np.asarray(v, dtype=np.float64), shape)
                       for v in (low, diag, high))
    cp, inv = np.empty(shape), np.empty(shape)
    previous = None
    for k in range(n):
        at = [slice(None)] * 3
        at[axis3] = k
        at = tuple(at)
        pivot = diag[at] if previous is None else diag[at] - low[at] * previous
        inv[at] = 1.0 / pivot
        cp[at] = high[at] * inv[at]
        previous = cp[at]
    return np.array(low), cp, inv


def _line_sweep_numpy(bs, u, f, axis3, colour, omega):
    from ._kernels_line_numba import line_sweep_last, line_sweep_outer

    key = ("line", axis3)
    factors = bs.cache.get(key)
    if factors is None:
        layout = bs.layout
        low, cp, inv = _host_factors(bs, axis3)
        vary = bs.source[0] is None
        shape = layout.padded if vary else tuple(
            p if a == axis3 else 1 for a, p in enumerate(layout.padded))
        index = tuple(layout.interior[a] if (vary or a == axis3) else slice(None)
                      for a in range(3))
        padded = []
        for arr in (low, cp, inv):
            out = np.zeros(shape, dtype=bs.dtype)
            out[index] = arr
            padded.append(out)
        fm = np.array([1 if (vary or a == axis3) else 0 for a in range(3)], dtype=np.int64)
        factors = bs.cache[key] = (*padded, fm)
    low, cp, inv, fm = factors
    lo, hi = bs.layout.lo, bs.layout.hi
    if axis3 == 2:
        line_sweep_last(bs.coef, bs.off, bs.vary, u, f, lo, hi, colour, bs.star, low, cp, inv,
                        fm, float(omega))
    else:
        line_sweep_outer(bs.coef, bs.off, bs.vary, u, f, lo, hi, axis3, colour, bs.star, low,
                         cp, inv, fm, float(omega))
    return u


def _take(axis, k):
    index = [slice(None)] * 3
    index[axis] = slice(k, k + 1)
    return tuple(index)


def _line_sweep_generic(bs, u, f, axis3, colour, omega):
    be = bs.backend
    xp, layout = be.xp, bs.layout
    key = ("line-xp", axis3)
    cached = bs.cache.get(key)
    if cached is None:
        like = u
        factors = [xp.astype(from_numpy(np.ascontiguousarray(a), xp, like=like), bs.dtype)
                   for a in _host_factors(bs, axis3)]
        others = [a for a in range(3) if a != axis3]
        idx = []
        for a in others:
            shape = [1, 1, 1]
            shape[a] = layout.n3[a]
            start = layout.act[a]
            idx.append(xp.reshape(xp.arange(start, start + layout.n3[a], device=bs.device),
                                  tuple(shape)))
        masks = {}
        for c in line_colours(bs, axis3):
            if bs.star:
                m = (idx[0] + idx[1]) % 2 == c
            else:
                m = (idx[0] % 2 == (c >> 1) & 1) & (idx[1] % 2 == c & 1)
            masks[c] = xp.broadcast_to(m, layout.n3)
        cached = bs.cache[key] = (factors, masks)
    (low, cp, inv), masks = cached
    r = be.residual(bs, u, f)[layout.interior]
    n = layout.n3[axis3]
    ys, prev = [], None
    for k in range(n):
        at = _take(axis3, k)
        y = r[at] * inv[at] if prev is None else (r[at] - low[at] * prev) * inv[at]
        ys.append(y)
        prev = y
    xs = [ys[-1]]
    for k in range(n - 2, -1, -1):
        xs.append(ys[k] - cp[_take(axis3, k)] * xs[-1])
    delta = xp.concat(xs[::-1], axis=axis3)
    inner = u[layout.interior]
    new = xp.where(masks[colour], inner + omega * delta, inner)
    return pad_interior(xp, new, layout)


class LineGaussSeidel(_Smoother):
    """Zebra line Gauss–Seidel: exact tridiagonal solves along grid lines, colour by colour.

    Parameters
    ----------
    axis : None, int or "alternating"
        Direction of the lines. ``None`` (default): on each level the axis of strongest
        coupling, read from that level's stencil (see :func:`coupling_strength`); an int:
        that grid axis on every level; ``"alternating"``: every axis in turn in each sweep
        (alternating-direction line Gauss–Seidel, robust for any grid-aligned anisotropy
        in 2-D).
    omega : float
        Relaxation of each line update (1: plain Gauss–Seidel).

    Notes
    -----
    Lines of one colour do not couple (two colours, alternate lines, for 3/5/7-point
    stencils and 9-point stencils in 2-D; four for 27-point stencils in 3-D), so each colour
    is one simultaneous block update and ``forward=False`` (colours and axes reversed) is
    the adjoint sweep. Cost per sweep: about 1.5 point sweeps.

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.multigrid import GeometricMultigrid, LineGaussSeidel, StencilOperator
    >>> eps = 1e-3      # -(eps u_xx + u_yy): strong coupling along axis 0
    >>> A = StencilOperator(np.array([[0, -1, 0], [-eps, 2 + 2 * eps, -eps], [0, -1, 0]]),
    ...                     grid_shape=(63, 63))
    >>> ml = GeometricMultigrid(A, smoother=LineGaussSeidel(), coarsening="full")
    >>> x, info = ml.solve(np.ones((63, 63)), return_info=True)
    >>> info.converged, bool(info.convergence_factor < 0.2)
    (True, True)
    """

    name = "line"

    def __init__(self, axis=None, omega=1.0):
        if not (axis is None or axis == "alternating"
                or (isinstance(axis, numbers.Integral) and not isinstance(axis, bool))):
            raise ValueError(f"`axis` must be None, an int or 'alternating', got {axis!r}")
        if not (isinstance(omega, numbers.Real) and 0 < omega < 2):
            raise ValueError(f"`omega` must be in (0, 2), got {omega!r}")
        self.axis = axis
        self.omega = float(omega)

    def axes(self, bs):
        """The padded axes swept, in order, on the level of ``bs``."""
        d = bs.layout.ndim
        if self.axis == "alternating":
            grid_axes = [a for a in range(d) if bs.layout.grid_shape[a] > 1] or [d - 1]
        elif self.axis is None:
            grid_axes = [strongest_axis(bs)]
        else:
            if not -d <= self.axis < d:
                raise ValueError(f"`axis` {self.axis} is out of range for a {d}-D grid")
            grid_axes = [self.axis % d]
        return [3 - d + a for a in grid_axes]

    def __call__(self, bs, u, f, sweeps, forward):
        sweep = backend_for(bs.backend.xp).kernel("multigrid.line_sweep")
        plan = [(axis3, colour) for axis3 in self.axes(bs) for colour in line_colours(bs, axis3)]
        if not forward:
            plan = plan[::-1]
        for _ in range(sweeps):
            for axis3, colour in plan:
                u = sweep(bs, u, f, axis3, colour, self.omega)
        return u
