"""Multi-channel 3-point stencil convolutions on structured grids, adjoints, weight gradients.

The building blocks of :class:`~solvers.mgno.MultigridOperator`. Every array is
``(batch, channels, *grid)`` with ``d = 1, 2, 3`` grid axes last. A stencil weight ``w`` has
shape ``(out_channels, in_channels, 3**d)``; its last axis runs over the offsets
``itertools.product((-1, 0, 1), repeat=d)`` (C order), so reversing it negates every offset.

Boundaries: ``"dirichlet"`` (vertex-centred grid of ``n = 2 m + 1`` interior nodes with a zero
halo; coarse node ``I`` sits on fine node ``2 I + 1``) or ``"periodic"`` (``n = 2 m`` nodes, coarse
node ``I`` on fine node ``2 I``).

* ``conv(w, x)``: ``out[b, o, i] = sum_{c, k} w[o, c, k] x[b, c, i + off_k]`` (same grid).
* ``restrict(w, x)``: the same sum evaluated on the coarse nodes only (stride 2).
* ``prolong(w, y)``: the exact transpose of ``restrict(w, .)`` (a transposed convolution).
* ``*_weight_grad(x, g)``: ``d <g, op(w, x)> / d w``.

Everything is written with the array-API standard (slicing, ``concat``, ``stack``, ``matmul``)
and is functional, so it runs on array_api_strict and under torch autograd. On NumPy the
transposed convolution accumulates into strided slices in place, which avoids the
zero-insertion of the generic path.
"""

from __future__ import annotations

import itertools

import numpy as np

from .._array_api import device
from .._backend import backend_for

__all__ = ["offsets", "conv", "conv_adjoint", "conv_weight_grad", "restrict", "prolong",
           "restrict_weight_grad", "coarse_shape", "flip_transpose"]


def offsets(d):
    """The ``3**d`` stencil offsets in weight order."""
    return list(itertools.product((-1, 0, 1), repeat=d))


def coarse_shape(grid_shape, periodic):
    """Coarse grid shape (every axis halved, see the module docstring)."""
    if periodic:
        return tuple(n // 2 for n in grid_shape)
    return tuple((n - 1) // 2 for n in grid_shape)


def _index(ndim, axis, sl):
    return (slice(None),) * axis + (sl,) + (slice(None),) * (ndim - axis - 1)


def _pad(xp, x, d, periodic):
    """Add one halo node on both sides of the last ``d`` axes (zeros or periodic copies)."""
    for axis in range(x.ndim - d, x.ndim):
        if periodic:
            lo = x[_index(x.ndim, axis, slice(-1, None))]
            hi = x[_index(x.ndim, axis, slice(0, 1))]
        else:
            shape = list(x.shape)
            shape[axis] = 1
            lo = hi = xp.zeros(tuple(shape), dtype=x.dtype, device=device(x))
        x = xp.concat([lo, x, hi], axis=axis)
    return x


def _columns(xp, x, d, periodic, stride):
    """``(B, C * 3**d, N)`` matrix of shifted copies of ``x`` (``stride`` 1 or 2)."""
    grid = x.shape[2:]
    xpad = _pad(xp, x, d, periodic)
    if stride == 1:
        out_grid, origin = grid, 1
    else:
        out_grid, origin = coarse_shape(grid, periodic), (1 if periodic else 2)
    cols = []
    for off in offsets(d):
        idx = (slice(None), slice(None)) + tuple(
            slice(origin + a, origin + a + stride * (m - 1) + 1, stride)
            for a, m in zip(off, out_grid))
        cols.append(xpad[idx])
    stacked = xp.stack(cols, axis=2)
    n_out = int(np.prod(out_grid))
    return xp.reshape(stacked, (x.shape[0], x.shape[1] * len(cols), n_out)), out_grid


def _apply(xp, w, cols, out_grid):
    o = w.shape[0]
    out = xp.matmul(xp.reshape(w, (o, w.shape[1] * w.shape[2])), cols)
    return xp.reshape(out, (cols.shape[0], o) + tuple(out_grid))


def _weight_grad(xp, cols, g, w_shape):
    b, o = g.shape[0], g.shape[1]
    g2 = xp.reshape(xp.permute_dims(xp.reshape(g, (b, o, -1)), (1, 0, 2)), (o, -1))
    c2 = xp.reshape(xp.permute_dims(cols, (1, 0, 2)), (cols.shape[1], -1))
    return xp.reshape(xp.matmul(g2, xp.permute_dims(c2, (1, 0))), w_shape)


def flip_transpose(xp, w):
    """Weights of the adjoint convolution: channels swapped, offsets negated."""
    return xp.permute_dims(xp.flip(w, axis=2), (1, 0, 2))


def _flat_shifts(x, d, periodic):
    """NumPy: padded copy of ``x`` flattened over the grid, the interior's flat range and the
    flat shift of every offset. Shifted windows ``xf[..., lo + s : hi + s]`` are strided
    views that BLAS reads in place (no im2col copy); positions in the range that are halo
    nodes produce junk that callers discard or multiply by zero."""
    grid = x.shape[2:]
    pad = [(0, 0), (0, 0)] + [(1, 1)] * d
    xpad = np.pad(x, pad, mode="wrap" if periodic else "constant")
    padded = xpad.shape[2:]
    strides = [int(np.prod(padded[i + 1:])) for i in range(d)]
    lo = sum(strides)
    hi = sum(n * s for n, s in zip(grid, strides)) + 1
    shifts = [sum(a * s for a, s in zip(off, strides)) for off in offsets(d)]
    return xpad.reshape(x.shape[:2] + (-1,)), padded, lo, hi, shifts


def _conv_numpy(w, x, d, periodic):
    xf, padded, lo, hi, shifts = _flat_shifts(x, d, periodic)
    acc = None
    for k, s in enumerate(shifts):
        term = np.matmul(w[:, :, k], xf[:, :, lo + s:hi + s])
        acc = term if acc is None else np.add(acc, term, out=acc)
    out = np.zeros(x.shape[:1] + (w.shape[0], int(np.prod(padded))), dtype=acc.dtype)
    out[:, :, lo:hi] = acc
    out = out.reshape(x.shape[:1] + (w.shape[0],) + padded)
    return np.ascontiguousarray(out[(slice(None), slice(None)) + (slice(1, -1),) * d])


def _conv_weight_grad_numpy(x, g, d, periodic, w_shape):
    xf, padded, lo, hi, shifts = _flat_shifts(x, d, periodic)
    gpad = np.pad(g, [(0, 0), (0, 0)] + [(1, 1)] * d).reshape(g.shape[:2] + (-1,))
    gs = gpad[:, :, lo:hi]
    out = np.empty(w_shape, dtype=np.result_type(x.dtype, g.dtype))
    for k, s in enumerate(shifts):
        out[:, :, k] = np.matmul(gs, np.swapaxes(xf[:, :, lo + s:hi + s], 1, 2)).sum(axis=0)
    return out


def conv(xp, w, x, d, periodic):
    """Same-grid stencil convolution ``out[b, o] = sum_c w[o, c] * x[b, c]``."""
    return backend_for(xp).kernel("mgno.conv")(xp, w, x, d, periodic)


def _conv_numpy_kernel(xp, w, x, d, periodic):
    return _conv_numpy(w, x, d, periodic)


def _conv_generic(xp, w, x, d, periodic):
    cols, grid = _columns(xp, x, d, periodic, 1)
    return _apply(xp, w, cols, grid)


def conv_adjoint(xp, w, g, d, periodic):
    """Transpose of :func:`conv` applied to ``g``."""
    return conv(xp, flip_transpose(xp, w), g, d, periodic)


def conv_weight_grad(xp, x, g, d, periodic, w_shape):
    """Gradient of ``<g, conv(w, x)>`` with respect to ``w``."""
    return backend_for(xp).kernel("mgno.conv_weight_grad")(xp, x, g, d, periodic, w_shape)


def _conv_weight_grad_numpy_kernel(xp, x, g, d, periodic, w_shape):
    return _conv_weight_grad_numpy(x, g, d, periodic, w_shape)


def _conv_weight_grad_generic(xp, x, g, d, periodic, w_shape):
    cols, _ = _columns(xp, x, d, periodic, 1)
    return _weight_grad(xp, cols, g, w_shape)


def restrict(xp, w, x, d, periodic):
    """Stride-2 stencil convolution onto the coarse grid."""
    cols, grid = _columns(xp, x, d, periodic, 2)
    return _apply(xp, w, cols, grid)


def restrict_weight_grad(xp, x, g, d, periodic, w_shape):
    """Gradient of ``<g, restrict(w, x)>`` with respect to ``w``."""
    cols, _ = _columns(xp, x, d, periodic, 2)
    return _weight_grad(xp, cols, g, w_shape)


def _zero_insert(xp, y, d, periodic, fine_shape):
    """Place coarse values on their fine nodes, zeros elsewhere (functional)."""
    for j in range(d):
        axis = y.ndim - d + j
        z = xp.zeros(y.shape, dtype=y.dtype, device=device(y))
        pair = [y, z] if periodic else [z, y]
        inter = xp.stack(pair, axis=axis + 1)
        shape = list(y.shape)
        shape[axis] = 2 * y.shape[axis]
        y = xp.reshape(inter, tuple(shape))
        if fine_shape[j] > y.shape[axis]:  # Dirichlet: one more node at the end
            zshape = list(y.shape)
            zshape[axis] = 1
            y = xp.concat([y, xp.zeros(tuple(zshape), dtype=y.dtype, device=device(y))],
                          axis=axis)
    return y


def prolong(xp, w, y, d, periodic, fine_shape):
    """Transpose of :func:`restrict` with weights ``w`` applied to coarse ``y``."""
    return backend_for(xp).kernel("mgno.prolong")(xp, w, y, d, periodic, tuple(fine_shape))


def _prolong_generic(xp, w, y, d, periodic, fine_shape):
    return conv_adjoint(xp, w, _zero_insert(xp, y, d, periodic, fine_shape), d, periodic)


def _prolong_numpy(xp, w, y, d, periodic, fine_shape):
    b, o, c, k = y.shape[0], w.shape[0], w.shape[1], w.shape[2]
    wt = np.ascontiguousarray(np.reshape(w, (o, c * k)).T)
    t = np.matmul(wt, np.reshape(y, (b, o, -1))).reshape((b, c, k) + y.shape[2:])
    out = np.zeros((b, c) + tuple(n + 2 for n in fine_shape), dtype=t.dtype)
    origin = 1 if periodic else 2
    for kk, off in enumerate(offsets(d)):
        idx = (slice(None), slice(None)) + tuple(
            slice(origin + a, origin + a + 2 * (m - 1) + 1, 2) for a, m in zip(off, y.shape[2:]))
        out[idx] += t[:, :, kk]
    for j, n in enumerate(fine_shape):
        axis = 2 + j
        if periodic:  # fold the halo back onto the nodes it wraps to
            nd = out.ndim
            out[_index(nd, axis, slice(1, 2))] += out[_index(nd, axis, slice(n + 1, n + 2))]
            out[_index(nd, axis, slice(n, n + 1))] += out[_index(nd, axis, slice(0, 1))]
        out = out[_index(out.ndim, axis, slice(1, n + 1))]
    return np.ascontiguousarray(out)
