"""Matrix-free stencil operators on structured grids: StencilOperator, poisson, diffusion."""

from __future__ import annotations

import functools
import math
import numbers

import numpy as np

from .._array_api import (
    array_namespace,
    as_float_array,
    device,
    from_numpy,
    namespace_from_name,
    namespace_name,
    to_numpy,
)
from .._backend import backend_for
from ._backends import BoundStencil, get_backend
from ._grid import Layout, from_padded, to_padded, validate_grid_shape

__all__ = ["StencilOperator", "poisson", "diffusion", "galerkin_operator"]

_ALL_OFFSETS = [(a, b, c) for a in (-1, 0, 1) for b in (-1, 0, 1) for c in (-1, 0, 1)]


class StencilOperator:
    """A matrix-free operator given by a 3-point-wide stencil on a structured grid.

    ``(A u)_i = sum_o s_o(i) u_{i+o}`` over offsets ``o`` in ``{-1, 0, 1}^d``, with zero
    (Dirichlet) values outside the grid of ``grid_shape`` interior nodes (d = 1, 2, 3).
    Unknowns are ordered like ``numpy.ravel`` of a grid-shaped array (last axis fastest).

    Parameters
    ----------
    stencil : array
        Either a constant stencil of shape ``(3,) * d`` (``stencil[1, 1]`` is the centre in
        2-D; then ``grid_shape`` is required), or a variable stencil of shape
        ``(3,) * d + grid_shape``, the stencil of each node. Real; the centre entries must
        be non-zero. A variable stencil keeps its array library (NumPy, CuPy, ...); a constant
        one works with arrays of any library.
    grid_shape : tuple of int, optional
        Interior grid size ``(n_1, ..., n_d)``.

    Attributes
    ----------
    shape : tuple
        ``(N, N)`` with ``N = prod(grid_shape)``.
    grid_shape : tuple
    ndim : int
        Number of grid dimensions ``d``.
    offsets : list of tuple
        The stencil offsets stored (non-zero entries only).
    dtype : dtype

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.multigrid import StencilOperator
    >>> A = StencilOperator(np.array([-1.0, 2.0, -1.0]), grid_shape=(4,))
    >>> A @ np.ones(4)
    array([1., 0., 0., 1.])
    >>> A.tosparse().toarray()[0]
    array([ 2., -1.,  0.,  0.])
    """

    def __init__(self, stencil, grid_shape=None):
        xp = array_namespace(stencil)
        stencil = as_float_array(stencil, xp, name="stencil", finite=True)
        if grid_shape is None:
            if stencil.ndim % 2 or stencil.ndim == 0:
                raise ValueError("`grid_shape` is required for a constant stencil; a variable "
                                 f"stencil has shape (3,)*d + grid_shape, got {stencil.shape}")
            d = stencil.ndim // 2
            grid_shape = tuple(stencil.shape[d:])
        grid_shape = validate_grid_shape(grid_shape)
        d = len(grid_shape)
        const = tuple(stencil.shape) == (3,) * d
        if not const and tuple(stencil.shape) != (3,) * d + grid_shape:
            raise ValueError(f"`stencil` must have shape {(3,) * d} or {(3,) * d + grid_shape}, "
                             f"got {tuple(stencil.shape)}")
        offsets, values = [], []
        for o in _ALL_OFFSETS:
            if any(o[:3 - d]):
                continue
            entry = stencil[tuple(v + 1 for v in o[3 - d:])]
            if bool(xp.any(entry != 0)) or o == (0, 0, 0):
                offsets.append(o)
                values.append(entry)
        layout = Layout(grid_shape)
        if const:
            self._init(layout, offsets, const=np.array([float(v) for v in values]))
        else:
            coef = xp.stack([xp.reshape(v, layout.n3) for v in values], axis=0)
            self._init(layout, offsets, coef=coef)
        if not self._diagonal_nonzero():
            raise ValueError("`stencil` must have a non-zero centre entry at every node")

    # -- construction ------------------------------------------------------------------
    def _init(self, layout, offsets, *, const=None, coef=None, rediscretize=None):
        self._layout = layout
        self.grid_shape = layout.grid_shape
        self.ndim = layout.ndim
        n = layout.size
        self.shape = (n, n)
        self.offsets = [tuple(o[3 - layout.ndim:]) for o in offsets]
        self._offsets3 = np.array(offsets, dtype=np.int64).reshape(-1, 3)
        self._const = const
        self._coef = coef
        self._xp = None if coef is None else array_namespace(coef)
        self.dtype = np.dtype(np.float64) if coef is None else coef.dtype
        self._rediscretize = rediscretize
        self._bound = {}
        self._transpose = None
        return self

    # -- pickling: the namespace by name; bound stencils and the transpose are rebuilt ---
    def __getstate__(self):
        state = self.__dict__.copy()
        state["_xp"] = namespace_name(self._xp)
        state["_bound"] = {}
        state["_transpose"] = None
        return state

    def __setstate__(self, state):
        state = dict(state)
        state["_xp"] = namespace_from_name(state["_xp"])
        self.__dict__.update(state)

    @classmethod
    def _from_parts(cls, layout, offsets, *, const=None, coef=None, rediscretize=None):
        self = cls.__new__(cls)
        return self._init(layout, offsets, const=const, coef=coef, rediscretize=rediscretize)

    def _diagonal_nonzero(self):
        k = [tuple(o) for o in self._offsets3.tolist()].index((0, 0, 0))
        if self._const is not None:
            return self._const[k] != 0
        return bool(self._xp.all(self._coef[k, ...] != 0))

    @property
    def is_constant(self):
        """True when the stencil is the same at every node."""
        return self._const is not None

    @property
    def nnz(self):
        """Number of stored matrix entries (couplings inside the grid)."""
        total = 0
        for o in self._offsets3.tolist():
            total += math.prod(n - abs(v) for n, v in zip(self._layout.n3, o))
        return total

    def _namespace(self, *arrays):
        if self._xp is None:
            return array_namespace(*arrays)
        return array_namespace(self._coef, *arrays)

    def _bind(self, xp, dtype, like=None):
        """The stencil prepared for the backend of ``xp`` and ``dtype`` (cached)."""
        backend = get_backend(xp)
        dev = device(like) if like is not None else (
            device(self._coef) if self._coef is not None else None)
        key = (backend.name, getattr(xp, "__name__", ""), str(dtype), str(dev))
        bs = self._bound.get(key)
        if bs is None:
            bs = BoundStencil(backend, self._layout, self._offsets3, self._const, self._coef,
                              dtype, dev)
            self._bound[key] = bs
        return bs

    # -- application -------------------------------------------------------------------
    def _check_vector(self, x, name):
        xp = self._namespace(x)
        x = as_float_array(x, xp, name=name, finite=True)
        shape = tuple(x.shape)
        if shape != (self.shape[0],) and shape != self.grid_shape:
            raise ValueError(f"`{name}` must have shape {self.grid_shape} or ({self.shape[0]},), "
                             f"got {shape}")
        dtype = x.dtype if self._coef is None else xp.result_type(x.dtype, self._coef.dtype)
        return xp, xp.astype(x, dtype, copy=False), shape

    def matvec(self, x):
        """``A @ x`` for ``x`` flat ``(N,)`` or grid-shaped; the result has ``x``'s shape."""
        xp, x, shape = self._check_vector(x, "x")
        bs = self._bind(xp, x.dtype, x)
        u = to_padded(xp, x, self._layout)
        return from_padded(xp, bs.backend.apply(bs, u), self._layout, shape)

    def __matmul__(self, x):
        return self.matvec(x)

    def __call__(self, x):
        return self.matvec(x)

    def transpose(self):
        """The transposed operator (the stencil read from the neighbours' side)."""
        if self._transpose is None:
            offsets = [tuple(-v for v in o) for o in self._offsets3.tolist()]
            if self._const is not None:
                self._transpose = StencilOperator._from_parts(self._layout, offsets,
                                                              const=self._const.copy())
            else:
                xp, layout = self._xp, self._layout
                rows = []
                for k, o in enumerate(self._offsets3.tolist()):
                    # A^T[i, i - o] = A[i - o, i] = s_o(i - o)
                    padded = to_padded(xp, self._coef[k, ...], layout)
                    rows.append(padded[layout.shifted(tuple(-v for v in o))])
                self._transpose = StencilOperator._from_parts(layout, offsets,
                                                              coef=xp.stack(rows, axis=0))
            self._transpose._transpose = self
        return self._transpose

    @property
    def T(self):
        return self.transpose()

    def rmatvec(self, x):
        """``A.T @ x`` (same shape rules as :meth:`matvec`)."""
        return self.transpose().matvec(x)

    def diagonal(self):
        """The diagonal as a flat array of length ``N``."""
        k = [tuple(o) for o in self._offsets3.tolist()].index((0, 0, 0))
        if self._const is not None:
            return np.full(self.shape[0], self._const[k])
        return self._xp.reshape(self._coef[k, ...], (self.shape[0],))

    def _host_coefficients(self):
        """Coefficients on the host: ``(K,) + n3`` (varying) or ``(K, 1, 1, 1)``."""
        if self._const is not None:
            return self._const.reshape(-1, 1, 1, 1), 0
        return np.ascontiguousarray(to_numpy(self._coef), dtype=np.float64), 1

    def tosparse(self):
        """The matrix as ``scipy.sparse.csr_array`` (on the host; for tests and peers)."""
        import scipy.sparse as sp

        n3 = self._layout.n3
        coef, vary = self._host_coefficients()
        index = np.arange(self.shape[0]).reshape(n3)
        rows, cols, vals = [], [], []
        for k, o in enumerate(self._offsets3.tolist()):
            src = tuple(slice(max(0, -v), n - max(0, v)) for n, v in zip(n3, o))
            dst = tuple(slice(max(0, v), n - max(0, -v)) for n, v in zip(n3, o))
            rows.append(index[src].ravel())
            cols.append(index[dst].ravel())
            c = coef[k][src] if vary else np.full(index[src].size, coef[k, 0, 0, 0])
            vals.append(np.ravel(c))
        A = sp.coo_array((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                         shape=self.shape)
        return A.tocsr()

    def todense(self, xp=None):
        """Dense matrix (small grids only), in namespace ``xp`` (default: the operator's)."""
        dense = self.tosparse().toarray()
        xp = xp or self._xp
        return dense if xp is None else from_numpy(dense, xp, like=self._coef)

    def aslinearoperator(self):
        """A ``LinearOperator`` (SciPy's for NumPy, cupyx's for CuPy) acting on flat vectors."""
        xp = self._xp if self._xp is not None else array_namespace(np.zeros(1))
        return backend_for(xp).linear_operator(self.shape, self.dtype, self.matvec,
                                               self.rmatvec)

    def __repr__(self):
        kind = "constant" if self.is_constant else "variable"
        return (f"<{self.shape[0]}x{self.shape[1]} StencilOperator on grid {self.grid_shape}, "
                f"{len(self.offsets)}-point {kind} stencil, dtype={self.dtype}>")


# ------------------------------------------------------------------------------ builders


def _spacing(spacing, grid_shape):
    d = len(grid_shape)
    if spacing is None:
        return tuple(1.0 / (n + 1) for n in grid_shape)
    if isinstance(spacing, numbers.Real):
        spacing = (float(spacing),) * d
    spacing = tuple(float(h) for h in spacing)
    if len(spacing) != d or not all(h > 0 and math.isfinite(h) for h in spacing):
        raise ValueError(f"`spacing` must be a positive number or {d} positive numbers, "
                         f"got {spacing}")
    return spacing


def poisson(shape, *, spacing=None, dtype=None, coefficients=None):
    """The negative Laplacian ``-Δ`` with Dirichlet boundaries: 3-, 5- or 7-point stencil.

    Parameters
    ----------
    shape : int or tuple of int
        Interior grid size ``(n_1, ..., n_d)``, d = 1, 2, 3.
    spacing : float or tuple of float, optional
        Grid spacing per axis; default ``1 / (n + 1)`` (the unit cube).
    dtype : dtype, optional
        ``float64`` (default) or ``float32``; recorded as the operator's dtype.
    coefficients : sequence of float, optional
        Positive constants ``c_k`` per axis for the grid-aligned anisotropic operator
        ``-sum_k c_k d^2/dx_k^2`` (default all 1). For a variable coefficient per axis use
        :func:`diffusion`.

    Returns
    -------
    A : StencilOperator
        Constant-coefficient operator; it applies to arrays of any library. Its coarse
        rediscretization is ``poisson`` on the grid of spacing ``2 h``.

    Examples
    --------
    >>> from solvers.multigrid import poisson
    >>> A = poisson((3, 3), spacing=1.0)
    >>> A.tosparse().toarray()[4]
    array([ 0., -1.,  0., -1.,  4., -1.,  0., -1.,  0.])
    >>> poisson((3, 3), spacing=1.0, coefficients=(1e-2, 1.0)).tosparse().toarray()[4]
    array([ 0.  , -0.01,  0.  , -1.  ,  2.02, -1.  ,  0.  , -0.01,  0.  ])
    """
    grid_shape = validate_grid_shape(shape, "shape")
    h = _spacing(spacing, grid_shape)
    d = len(grid_shape)
    if coefficients is None:
        c = (1.0,) * d
    else:
        try:
            c = tuple(float(v) for v in coefficients)
        except (TypeError, ValueError):
            raise TypeError("`coefficients` must be a sequence of numbers, one per axis, got "
                            f"{coefficients!r}") from None
        if len(c) != d or not all(math.isfinite(v) and v > 0 for v in c):
            raise ValueError(f"`coefficients` must be {d} finite positive numbers, got "
                             f"{coefficients!r}")
    offsets, values = [(0, 0, 0)], [sum(2.0 * ck / hi ** 2 for ck, hi in zip(c, h))]
    for axis in range(d):
        for sign in (-1, 1):
            o = [0, 0, 0]
            o[3 - d + axis] = sign
            offsets.append(tuple(o))
            values.append(-c[axis] / h[axis] ** 2)
    layout = Layout(grid_shape)
    # a partial of a module-level function, not a closure: the operator pickles
    rediscretize = functools.partial(_poisson_coarse, grid_shape, h, dtype,
                                     None if coefficients is None else c)
    A = StencilOperator._from_parts(layout, offsets, const=np.array(values),
                                    rediscretize=rediscretize)
    if dtype is not None:
        A.dtype = np.dtype(dtype)
        if A.dtype not in (np.float32, np.float64):
            raise ValueError(f"`dtype` must be float32 or float64, got {dtype}")
    return A


def _poisson_coarse(grid_shape, h, dtype, coefficients=None):
    """``poisson`` rediscretized on the next coarser grid (spacing ``2 h``)."""
    return poisson(Layout(grid_shape).coarse().grid_shape, spacing=tuple(2 * hi for hi in h),
                   dtype=dtype, coefficients=coefficients)


def _diffusion_coarse(a, h, location):
    """``diffusion`` rediscretized on the next coarser grid (see :func:`diffusion`)."""
    if isinstance(a, tuple):   # one field per axis
        fields = tuple(_coarse_field(f, location) for f in a)
        return diffusion(fields, spacing=tuple(2 * hi for hi in h), location=location)
    return diffusion(_coarse_field(a, location), spacing=tuple(2 * hi for hi in h),
                     location=location)


def _coarse_field(a, location):
    """A coefficient field sampled (node) or cell-averaged onto the next coarser grid."""
    d = a.ndim
    if location == "node":
        coarse = a[(slice(None, None, 2),) * d]
    else:
        coarse = a
        for axis in range(d):
            index_even = [slice(None)] * d
            index_odd = [slice(None)] * d
            index_even[axis] = slice(0, None, 2)
            index_odd[axis] = slice(1, None, 2)
            coarse = 0.5 * (coarse[tuple(index_even)] + coarse[tuple(index_odd)])
    return coarse


def _per_axis_fields(coefficient):
    """The fields of a per-axis coefficient (tuple of d fields, or a trailing axis of
    length d), else ``None``."""
    if isinstance(coefficient, (tuple, list)) and 1 <= len(coefficient) <= 3 and all(
            getattr(f, "ndim", 0) >= 1 for f in coefficient):
        return tuple(coefficient)       # arrays, one per axis (nested lists: one array_like)
    ndim = getattr(coefficient, "ndim", None)
    if ndim is not None and 2 <= ndim <= 4 and coefficient.shape[-1] == ndim - 1:
        return tuple(coefficient[..., k] for k in range(ndim - 1))
    return None


def _face_coefficients(xp, a, axis, location, nd):
    """Coefficient on the faces between node ``p`` and ``p + e_axis`` (padded indices)."""
    def take(arr, ax, start, stop):
        index = [slice(None)] * nd
        index[ax] = slice(start, stop)
        return arr[tuple(index)]

    if location == "node":  # harmonic mean of the two node values
        left, right = take(a, axis, 0, a.shape[axis] - 1), take(a, axis, 1, a.shape[axis])
        faces = 2.0 * left * right / (left + right)
        for ax in range(nd):  # keep interior nodes on the other axes
            if ax != axis:
                faces = take(faces, ax, 1, faces.shape[ax] - 1)
        return faces
    # cells: the face is shared by the 2**(d-1) cells touching it; arithmetic mean
    faces = a
    for ax in range(nd):
        if ax != axis:
            faces = 0.5 * (take(faces, ax, 0, faces.shape[ax] - 1)
                           + take(faces, ax, 1, faces.shape[ax]))
    return faces


def diffusion(coefficient, *, spacing=None, location="node"):
    """The operator ``-div(a grad u)`` with Dirichlet boundaries (3-, 5-, 7-point stencil).

    A finite-volume discretization on the vertex-centred grid: the flux between neighbouring
    nodes ``p`` and ``p + e`` is ``a_face (u_p - u_{p+e}) / h^2``.

    Parameters
    ----------
    coefficient : array, or tuple of d arrays
        Positive, finite coefficient field ``a``. With ``location="node"`` it is sampled at
        every node *including* the boundary nodes, shape ``grid_shape + 2``, and the face
        value is the harmonic mean of the two nodes it joins. With ``location="cell"`` it
        is given per cell (the boxes between nodes), shape ``grid_shape + 1``, and the
        face value is the arithmetic mean of the ``2**(d-1)`` cells sharing that face (the
        cell value itself in 1-D). A diagonal anisotropic tensor
        ``-div(diag(a_1, ..., a_d) grad u)`` is given per axis, as a tuple of d such fields
        or as one array with a trailing axis of length d (shape ``field_shape + (d,)``;
        this form wins over reading the array as a (d+1)-D field); the faces normal to
        axis ``k`` take their values from ``a_k``.
    spacing : float or tuple of float, optional
        Grid spacing per axis; default ``1 / (n + 1)``.
    location : {"node", "cell"}
        Where ``coefficient`` lives.

    Returns
    -------
    A : StencilOperator
        Symmetric positive definite, in ``coefficient``'s array library. Its coarse
        rediscretization samples the coefficient at the coarse nodes (node) or averages
        the ``2**d`` fine cells of each coarse cell (cell).

    Raises
    ------
    ValueError
        If ``coefficient`` is not positive and finite, has fewer than 3 (node) or 2 (cell)
        entries per axis, or ``location`` is unknown.

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.multigrid import diffusion, poisson
    >>> A = diffusion(np.ones((9, 9)))             # a = 1 on the nodes of a 7 x 7 grid
    >>> x = np.random.default_rng(0).random((7, 7))
    >>> bool(np.allclose(A @ x, poisson((7, 7)) @ x))
    True
    >>> eps = np.full((9, 9), 1e-3)                # a_0 = 1, a_1 = 1e-3: per-axis fields
    >>> A = diffusion((np.ones((9, 9)), eps), spacing=1.0)
    >>> np.round(A.tosparse().toarray()[24, [17, 23, 24, 25, 31]], 6).tolist()
    [-1.0, -0.001, 2.002, -0.001, -1.0]
    """
    if location not in ("node", "cell"):
        raise ValueError(f"`location` must be 'node' or 'cell', got {location!r}")
    extra = 2 if location == "node" else 1
    fields = _per_axis_fields(coefficient)
    if fields is None:
        xp = array_namespace(coefficient)
        fields = (as_float_array(coefficient, xp, name="coefficient", finite=True),)
    else:
        xp = array_namespace(*fields)
        fields = tuple(as_float_array(f, xp, name="coefficient", finite=True) for f in fields)
        if len({tuple(f.shape) for f in fields}) != 1:
            raise ValueError("the per-axis `coefficient` fields must have one shape, got "
                             f"{[tuple(f.shape) for f in fields]}")
    a = fields[0]
    if not 1 <= a.ndim <= 3 or any(n < extra + 1 for n in a.shape):
        raise ValueError(f"`coefficient` ({location}-based) must be 1-, 2- or 3-D with at least "
                         f"{extra + 1} entries per axis, got shape {tuple(a.shape)}")
    if len(fields) > 1 and len(fields) != a.ndim:
        raise ValueError(f"a per-axis `coefficient` needs one field per axis ({a.ndim}), got "
                         f"{len(fields)}")
    if not all(bool(xp.all(f > 0)) for f in fields):
        raise ValueError("`coefficient` must be positive everywhere")
    grid_shape = tuple(n - extra for n in a.shape)
    d = len(grid_shape)
    h = _spacing(spacing, grid_shape)
    layout = Layout(grid_shape)
    centre = None
    offsets, values = [], []
    for axis in range(d):
        field = fields[axis] if len(fields) > 1 else a
        faces = _face_coefficients(xp, field, axis, location, d) / h[axis] ** 2
        index_lo = [slice(None)] * d
        index_hi = [slice(None)] * d
        index_lo[axis] = slice(0, grid_shape[axis])         # face on the low side
        index_hi[axis] = slice(1, grid_shape[axis] + 1)     # face on the high side
        low, high = faces[tuple(index_lo)], faces[tuple(index_hi)]
        centre = low + high if centre is None else centre + low + high
        for sign, face in ((-1, low), (1, high)):
            o = [0, 0, 0]
            o[3 - d + axis] = sign
            offsets.append(tuple(o))
            values.append(-face)
    offsets.insert(0, (0, 0, 0))
    values.insert(0, centre)
    coef = xp.stack([xp.reshape(v, layout.n3) for v in values], axis=0)

    rediscretize = functools.partial(_diffusion_coarse, fields if len(fields) > 1 else a, h,
                                     location)
    return StencilOperator._from_parts(layout, offsets, coef=coef, rediscretize=rediscretize)


# ------------------------------------------------------------------------------ Galerkin


def galerkin_operator(A, weights=None):
    """The Galerkin coarse operator ``R A P`` with ``R = 2**-d P^T``.

    ``P`` is d-linear interpolation (then ``R`` is full weighting) unless ``weights`` gives
    an operator-dependent prolongation (see :func:`operator_interpolation_weights`).
    Computed on the host with a Numba kernel and returned in ``A``'s array library. The
    coarse stencil has at most ``3**d`` points (5-point becomes 9-point in 2-D, 7-point
    becomes 27-point in 3-D); a constant stencil with d-linear ``P`` gives a constant one.

    Parameters
    ----------
    A : StencilOperator
        Fine operator on a grid that coarsens (every size odd and >= 3).
    weights : ndarray, optional
        Host array of prolongation corner weights, shape ``(8,) + padded fine shape``.

    Returns
    -------
    Ac : StencilOperator

    Examples
    --------
    >>> from solvers.multigrid import poisson, galerkin_operator
    >>> Ac = galerkin_operator(poisson((7, 7), spacing=1.0))
    >>> Ac.tosparse().toarray()[4].reshape(3, 3) * 4    # the 9-point stencil on H = 2
    array([[-0.25, -0.5 , -0.25],
           [-0.5 ,  3.  , -0.5 ],
           [-0.25, -0.5 , -0.25]])
    """
    from ._kernels_numba import galerkin_product

    if not isinstance(A, StencilOperator):
        raise TypeError(f"`A` must be a StencilOperator, got {type(A).__name__}")
    fine = A._layout
    if not fine.can_coarsen():
        raise ValueError(f"`A` is on grid {fine.grid_shape}, which cannot be coarsened: every "
                         "size must be odd and >= 3 (2**k * m - 1, e.g. 7, 15, 63, 127)")
    coarse = fine.coarse()
    coef, vary = A._host_coefficients()
    wvary = 0 if weights is None else 1
    if weights is None:
        weights = np.full((8, 1, 1, 1), 0.125)
    if vary:
        padded = np.zeros((coef.shape[0],) + fine.padded)
        padded[(slice(None),) + fine.interior] = coef
        coef = padded
    if vary or wvary:
        lf, lc = fine, coarse
    else:  # compute on a small grid, read the centre node's stencil
        lf = Layout(tuple(7 for _ in fine.grid_shape))
        lc = lf.coarse()
    out = np.zeros((27,) + lc.padded)
    galerkin_product(np.ascontiguousarray(coef), A._offsets3, vary,
                     np.ascontiguousarray(weights, dtype=np.float64), wvary, lf.padded_arr,
                     lf.act_arr, out, lc.lo, lc.hi, lc.padded_arr)
    if vary or wvary:
        rows = out[(slice(None),) + lc.interior]
    else:
        centre = tuple(2 if a else 0 for a in lc.act)
        rows = out[(slice(None),) + centre]
    scale = np.max(np.abs(rows))
    keep = [k for k in range(27) if np.any(np.abs(rows[k]) > 1e-14 * scale)
            or _ALL_OFFSETS[k] == (0, 0, 0)]
    offsets = [_ALL_OFFSETS[k] for k in keep]
    if not (vary or wvary):
        return StencilOperator._from_parts(coarse, offsets, const=rows[keep].copy())
    coef_c = np.ascontiguousarray(rows[keep])
    xp = A._xp
    if xp is not None:   # in the fine operator's library, device and dtype
        coef_c = from_numpy(coef_c, xp, like=A._coef)
        if coef_c.dtype != A._coef.dtype:
            coef_c = xp.astype(coef_c, A._coef.dtype)
    return StencilOperator._from_parts(coarse, offsets, coef=coef_c)
