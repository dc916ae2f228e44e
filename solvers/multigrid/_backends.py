"""Backend dispatch for the multigrid kernels, and stencils bound to a backend.

``get_backend(xp)`` returns the Numba backend for NumPy, the CuPy backend for CuPy and the
generic array-API backend otherwise. Every backend offers the same operations on padded
arrays (see :mod:`._grid`): ``zeros``, ``apply``, ``residual``, ``jacobi``, ``colour_sweep``,
``restrict``, ``residual_restrict`` (the restricted residual) and ``prolong_add``; the
transfers take optional prolongation ``weights`` made by ``bind_weights`` (see
:mod:`._interpolation`; ``None`` is d-linear interpolation and full weighting).
``colour_sweep`` and ``prolong_add`` may update their first array argument in place and
return it, and ``residual`` may return a per-level, per-thread work array that its next
call in the same thread overwrites: callers use the returned arrays at once. Nothing
mutable is shared between threads: ``BoundStencil.cache`` holds only derived data that
every thread computes identically, and work arrays live in ``BoundStencil.scratch``
(thread-local).
"""

from __future__ import annotations

import threading

import numpy as np

from .._backend import backend_for
from . import _kernels_numba as _nb

__all__ = ["get_backend", "BoundStencil", "NumbaBackend"]

# padded grids at least this large use the threaded colour sweep (measured, 2 cores)
_PARALLEL_MIN_NODES = 1 << 12


class BoundStencil:
    """A stencil operator's data prepared for one backend and dtype."""

    def __init__(self, backend, layout, offsets, const, coef, dtype, device):
        self.backend = backend
        self.layout = layout
        self.offsets = [tuple(int(v) for v in o) for o in offsets]
        self.off = np.ascontiguousarray(offsets, dtype=np.int64)
        self.kdiag = self.offsets.index((0, 0, 0))
        self.star = all(sum(v != 0 for v in o) <= 1 for o in self.offsets)
        self.vary = 0 if const is not None else 1
        self.dtype = dtype
        self.device = device
        if self.star:
            self.colours = [0, 1]
        else:  # one colour per parity pattern of the active axes
            mask = sum(1 << (2 - a) for a in range(3) if not layout.act[a])
            self.colours = [c for c in range(8) if not c & mask]
        self.cache = {}   # immutable derived data only (safe to share between threads)
        self.scratch = threading.local()   # per-thread work arrays (see NumbaBackend.residual)
        self.source = (const, coef)   # the operator's coefficients (line smoother factors)
        backend.bind(self, coef, const)


class NumbaBackend:
    """Serial Numba kernels on NumPy arrays."""

    name = "numba"

    def __init__(self):
        from array_api_compat import numpy as np_compat

        self.xp = np_compat

    def bind(self, bs, coef, const):
        layout = bs.layout
        if const is not None:
            bs.coef = np.asarray(const, dtype=bs.dtype).reshape(-1, 1, 1, 1)
            bs.inv_diag = 1.0 / float(const[bs.kdiag])
        else:
            padded = np.zeros((coef.shape[0],) + layout.padded, dtype=bs.dtype)
            padded[(slice(None),) + layout.interior] = coef
            bs.coef = padded
            inv = np.zeros(layout.padded, dtype=bs.dtype)
            inv[layout.interior] = 1.0 / coef[bs.kdiag]
            bs.inv_diag = inv

    def zeros(self, layout, dtype, like=None):
        return np.zeros(layout.padded, dtype=dtype)

    def apply(self, bs, u):
        out = np.zeros_like(u)
        _nb.apply_stencil(bs.coef, bs.off, bs.vary, u, u, out, bs.layout.lo, bs.layout.hi,
                          False)
        return out

    def residual(self, bs, u, f):
        # reused: allocating (and page-faulting) it costs as much as filling it. One per
        # thread, so concurrent solves on a shared operator never write into each other's
        # residual (issue 20: a shared buffer gave wrong results in 1 run of 3).
        out = getattr(bs.scratch, "residual", None)
        if out is None or out.shape != u.shape or out.dtype != u.dtype:
            out = bs.scratch.residual = np.zeros_like(u)
        _nb.apply_stencil(bs.coef, bs.off, bs.vary, u, f, out, bs.layout.lo, bs.layout.hi,
                          True)
        return out

    def jacobi(self, bs, u, f, omega):
        out = np.zeros_like(u)
        _nb.jacobi_sweep(bs.coef, bs.off, bs.kdiag, bs.vary, u, f, out, bs.layout.lo,
                         bs.layout.hi, float(omega))
        return out

    def colour_sweep(self, bs, u, f, colour, omega):
        # threads pay off only on large grids (measured; see colour_sweep_parallel)
        sweep = (_nb.colour_sweep_parallel if u.size >= _PARALLEL_MIN_NODES
                 else _nb.colour_sweep)
        sweep(bs.coef, bs.off, bs.kdiag, bs.vary, u, f, bs.layout.lo, bs.layout.hi, colour,
              bs.star, float(omega))
        return u

    def bind_weights(self, W, layout, dtype, like=None):
        return np.ascontiguousarray(W, dtype=dtype)

    def restrict(self, rf, fine, coarse, weights=None):
        rc = np.zeros(coarse.padded, dtype=rf.dtype)
        if weights is None:
            _nb.restrict_full_weighting(rf, rc, coarse.lo, coarse.hi, fine.act_arr)
        else:
            _nb.restrict_weighted(rf, rc, weights, fine.lo, fine.hi, 0.5 ** fine.ndim)
            for axis in range(3):   # drop what was scattered onto the boundary
                if coarse.act[axis]:
                    index = [slice(None)] * 3
                    for end in (0, -1):
                        index[axis] = end
                        rc[tuple(index)] = 0.0
        return rc

    def residual_restrict(self, bs, u, f, coarse, weights=None):
        if weights is not None:
            return self.restrict(self.residual(bs, u, f), bs.layout, coarse, weights)
        rc = np.zeros(coarse.padded, dtype=u.dtype)
        _nb.residual_restrict(bs.coef, bs.off, bs.vary, u, f, rc, bs.layout.lo, bs.layout.hi,
                              coarse.hi, bs.layout.act_arr)
        return rc

    def prolong_add(self, uc, uf, coarse, fine, weights=None):
        if weights is None:
            _nb.prolong_add_linear(uc, uf, fine.lo, fine.hi)
        else:
            _nb.prolong_add(uc, uf, weights, 1, fine.lo, fine.hi)
        return uf


_NUMBA = NumbaBackend()


def numba_backend(xp):
    """The (shared, stateless) Numba kernel set; registered as ``multigrid.kernels``."""
    return _NUMBA


def get_backend(xp):
    """The kernel set for namespace ``xp`` (registry entry ``multigrid.kernels``: Numba for
    NumPy, CUDA kernels for CuPy, the generic array-API kernels otherwise)."""
    return backend_for(xp).kernel("multigrid.kernels")(xp)
