"""Many right-hand sides: ``GeometricMultigrid.solve`` on a stacked batch (issue 16).

A batch is an array with one leading axis more than a right-hand side. The backend layer's
``map_batch`` solves it: in memory item by item, on a dask array lazily, one task per chunk
of the leading axis, each running the NumPy path on its items with the one hierarchy (built
once, pickled once per worker process).
"""

from __future__ import annotations

import numpy as np

from .._array_api import array_namespace
from .._backend import backend_for

__all__ = ["solve_batch"]


def _shape_of(a):
    return tuple(a.shape) if hasattr(a, "shape") else np.shape(a)


def solve_batch(ml, b, x0, item_shape, options, *, callback, return_info):
    """``ml.solve`` on the batch ``b`` (items of ``item_shape`` along the leading axis)."""
    if callback is not None:
        raise ValueError("`callback` is not supported when `b` is a batch of right-hand sides "
                         f"(shape {_shape_of(b)}: items of shape {item_shape}); solve the "
                         "items one by one to follow their iterations")
    if not hasattr(b, "shape"):
        b = np.asarray(b)
    if b.shape[0] < 1:
        raise ValueError(f"`b` is an empty batch (shape {tuple(b.shape)})")
    aligned = ()
    if x0 is not None:
        if _shape_of(x0) != _shape_of(b):
            raise ValueError(f"`x0` must have the shape of the batch `b` {_shape_of(b)}, "
                             f"got {_shape_of(x0)}")
        aligned = (x0,)
    backend = backend_for(array_namespace(b))
    dtype = None
    if backend.host_parameters:   # solved per chunk in NumPy: the solutions' dtype, as NumPy's
        probe = np.zeros(item_shape, dtype=np.dtype(b.dtype))
        dtype = ml.levels[0].A._check_vector(probe, "b")[1].dtype
    return backend.map_batch(solve_items, ml, b, *aligned, item_shape=item_shape,
                             dtype=dtype, info=return_info, options=options)


def solve_items(ml, b, x0=None, *, info, options):
    """Solve the items of the batch ``b`` (and start from those of ``x0``) one by one with
    ``ml.solve``; returns the stacked solutions and, with ``info``, the per-item results
    (without their ``x``: the solutions are in the array)."""
    xp = array_namespace(b)
    xs, infos = [], []
    for i in range(b.shape[0]):
        out = ml.solve(b[i, ...], None if x0 is None else x0[i, ...], return_info=info,
                       **options)
        if info:
            out, res = out
            res.pop("x", None)
            infos.append(res)
        xs.append(out)
    return xp.stack(xs, axis=0), (infos if info else None)
