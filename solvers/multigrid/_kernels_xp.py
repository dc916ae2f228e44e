"""The generic backend: stencils, smoothers and transfers written with the array-API standard.

Only slicing (positive steps), arithmetic, ``where``, ``concat``, ``stack`` and ``reshape``:
no in-place writes, so it runs on ``array_api_strict``, under torch autograd and on JAX.
It is the reference the Numba and CuPy kernels are tested against. Arrays are padded 3-D
grids (see :mod:`._grid`); every function returns a new array with a zero halo.
"""

from __future__ import annotations

from .._array_api import device, from_numpy
from ._grid import pad_interior

__all__ = ["XPBackend"]


def _axis_slice(axis, start, stop, step=1):
    index = [slice(None)] * 3
    index[axis] = slice(start, stop, step)
    return tuple(index)


class XPBackend:
    """Backend object for any array-API namespace ``xp`` (see :mod:`._backends`)."""

    name = "xp"

    def __init__(self, xp):
        self.xp = xp

    # -- binding -------------------------------------------------------------------------
    def bind(self, bs, coef, const):
        """Attach coefficients to the bound stencil ``bs``."""
        xp, layout = self.xp, bs.layout
        if const is not None:
            bs.coef = [float(c) for c in const]
            bs.inv_diag = 1.0 / bs.coef[bs.kdiag]
        else:
            bs.coef = [xp.astype(coef[k, ...], bs.dtype) for k in range(coef.shape[0])]
            bs.inv_diag = pad_interior(xp, 1.0 / bs.coef[bs.kdiag], layout)
        # colour masks on the interior, from padded indices
        idx = []
        for axis in range(3):
            shape = [1, 1, 1]
            shape[axis] = layout.n3[axis]
            a = xp.arange(layout.act[axis], layout.act[axis] + layout.n3[axis],
                          device=bs.device)
            idx.append(xp.reshape(a, tuple(shape)))
        masks = {}
        for colour in bs.colours:
            if bs.star:
                m = (idx[0] + idx[1] + idx[2]) % 2 == colour
            else:
                m = ((idx[0] % 2 == (colour >> 2) & 1) & (idx[1] % 2 == (colour >> 1) & 1)
                     & (idx[2] % 2 == colour & 1))
            masks[colour] = xp.broadcast_to(m, layout.n3)
        bs.masks = masks

    def zeros(self, layout, dtype, like=None):
        dev = device(like) if like is not None else None
        return self.xp.zeros(layout.padded, dtype=dtype, device=dev)

    # -- stencil -------------------------------------------------------------------------
    def _stencil_sum(self, bs, u):
        layout = bs.layout
        s = None
        for k in range(len(bs.coef)):
            term = bs.coef[k] * u[layout.shifted(bs.offsets[k])]
            s = term if s is None else s + term
        return s

    def apply(self, bs, u):
        return pad_interior(self.xp, self._stencil_sum(bs, u), bs.layout)

    def residual(self, bs, u, f):
        r = f[bs.layout.interior] - self._stencil_sum(bs, u)
        return pad_interior(self.xp, r, bs.layout)

    def _correction(self, bs, u, f, omega):
        """``omega D^{-1} (f - A u)`` on the interior."""
        inner = bs.layout.interior
        inv_diag = bs.inv_diag if isinstance(bs.inv_diag, float) else bs.inv_diag[inner]
        return (omega * inv_diag) * (f[inner] - self._stencil_sum(bs, u))

    def jacobi(self, bs, u, f, omega):
        new = u[bs.layout.interior] + self._correction(bs, u, f, omega)
        return pad_interior(self.xp, new, bs.layout)

    def colour_sweep(self, bs, u, f, colour, omega):
        inner = u[bs.layout.interior]
        new = self.xp.where(bs.masks[colour], inner + self._correction(bs, u, f, omega), inner)
        return pad_interior(self.xp, new, bs.layout)

    # -- transfers -----------------------------------------------------------------------
    def bind_weights(self, W, layout, dtype, like=None):
        return self.xp.astype(from_numpy(W, self.xp, like=like), dtype)

    def restrict(self, rf, fine, coarse, weights=None):
        """Full weighting, axis by axis: ``(x[2I-1] + 2 x[2I] + x[2I+1]) / 4``."""
        if weights is not None:
            return self._restrict_weighted(rf, fine, coarse, weights)
        x = rf
        for axis in range(3):
            if not fine.act[axis]:
                continue
            nc = coarse.n3[axis]
            x = (x[_axis_slice(axis, 1, 2 * nc, 2)] + 2.0 * x[_axis_slice(axis, 2, 2 * nc + 1, 2)]
                 + x[_axis_slice(axis, 3, 2 * nc + 2, 2)]) * 0.25
        return pad_interior(self.xp, x, coarse)

    def residual_restrict(self, bs, u, f, coarse, weights=None):
        return self.restrict(self.residual(bs, u, f), bs.layout, coarse, weights)

    def prolong_add(self, uc, uf, coarse, fine, weights=None):
        """``uf + P uc``: linear interpolation axis by axis (even nodes copy, odd average)."""
        if weights is not None:
            return self._prolong_add_weighted(uc, uf, coarse, fine, weights)
        xp = self.xp
        x = uc
        for axis in range(3):
            if not fine.act[axis]:
                continue
            nc = coarse.n3[axis]
            odd = (x[_axis_slice(axis, 0, nc + 1)] + x[_axis_slice(axis, 1, nc + 2)]) * 0.5
            even = x[_axis_slice(axis, 1, nc + 2)]  # coarse interior plus its (zero) end halo
            both = xp.stack([odd, even], axis=axis + 1)
            shape = list(odd.shape)
            shape[axis] = 2 * (nc + 1)
            x = xp.reshape(both, tuple(shape))[_axis_slice(axis, 0, 2 * nc + 1)]
        return uf + pad_interior(xp, x, fine)

    # -- transfers with per-node weights (operator-dependent interpolation) --------------
    def _corner_values(self, uc, coarse, fine, corner):
        """Fine-interior array of ``uc`` at each node's corner ``corner`` (see _interpolation)."""
        xp, x = self.xp, uc
        for axis in range(3):
            if not fine.act[axis]:
                continue
            nc = coarse.n3[axis]
            if (corner >> (2 - axis)) & 1:   # (i + 1) >> 1 for i = 1..2nc+1: 1,1,2,2,...
                pair = [x[_axis_slice(axis, 1, nc + 2)]] * 2
            else:                            # i >> 1: 0,1,1,2,2,...
                pair = [x[_axis_slice(axis, 0, nc + 1)], x[_axis_slice(axis, 1, nc + 2)]]
            both = xp.stack(pair, axis=axis + 1)
            shape = list(pair[0].shape)
            shape[axis] = 2 * (nc + 1)
            x = xp.reshape(both, tuple(shape))[_axis_slice(axis, 0, 2 * nc + 1)]
        return x

    def _prolong_add_weighted(self, uc, uf, coarse, fine, weights):
        inner = fine.interior
        total = None
        for corner in range(8):
            term = weights[(corner,) + inner] * self._corner_values(uc, coarse, fine, corner)
            total = term if total is None else total + term
        return uf + pad_interior(self.xp, total, fine)

    def _restrict_weighted(self, rf, fine, coarse, weights):
        """``2**-d P^T rf``: the transpose of :meth:`_corner_values`, corner by corner."""
        total = None
        for corner in range(8):
            x = weights[corner, ...] * rf
            for axis in range(3):
                if not fine.act[axis]:
                    continue
                nc = coarse.n3[axis]
                if (corner >> (2 - axis)) & 1:   # coarse I gets fine 2I-1 and 2I
                    x = x[_axis_slice(axis, 1, 2 * nc, 2)] + x[_axis_slice(axis, 2, 2 * nc + 1, 2)]
                else:                            # coarse I gets fine 2I and 2I+1
                    x = (x[_axis_slice(axis, 2, 2 * nc + 1, 2)]
                         + x[_axis_slice(axis, 3, 2 * nc + 2, 2)])
            total = x if total is None else total + x
        return pad_interior(self.xp, total * 0.5 ** fine.ndim, coarse)
