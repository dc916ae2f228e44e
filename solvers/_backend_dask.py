"""The Dask backend: dask arrays as a first-class backend (issue 16).

Registered with the backend layer when ``solvers`` is imported (``register_backend("dask",
DaskBackend, matches=is_dask_namespace)``); Dask itself is imported only when a dask array
is seen, so it stays an optional dependency (``pip install solvers[dask]``).

What runs where
---------------
* Elementwise kernels map the NumPy (Numba) kernel over the chunks (:func:`chunkwise`):
  lazy, one task per chunk, bitwise equal to NumPy on the same values.
* Reductions over the rows of an ``(n, p)`` array go through :func:`row_reduce`: the NumPy
  path runs on each row block (columns in one chunk) and returns a small fixed-width vector of
  sufficient statistics; one ``dask.compute`` gathers the ``(n_blocks, width)`` table to the
  host, where the subpackage merges it. One pass over the data per call.
* Row-wise maps (:func:`row_map`) stay lazy: one task per row block.

Everything computes with Dask's current scheduler: the threaded one by default, a
``dask.distributed`` cluster once a ``Client`` exists. Block functions are given as
``"module:attribute"`` strings or module-level functions, so the graphs pickle for worker
processes.
"""

from __future__ import annotations

import importlib

import numpy as np

from ._array_api import from_numpy, to_numpy
from ._backend import GenericBackend, backend_for, register_backend

__all__ = ["DaskBackend", "is_dask_namespace", "chunkwise", "row_map", "row_reduce",
           "row_chunks", "as_dask"]


def is_dask_namespace(xp):
    """True for ``dask.array`` and array-api-compat's wrapper of it (without importing Dask)."""
    name = getattr(xp, "__name__", "")
    return name in ("dask.array", "array_api_compat.dask.array")


class DaskBackend(GenericBackend):
    """dask.array: the array-API standard through array-api-compat, plus chunk-wise NumPy
    kernels registered under ``dask=`` (the generic path where a kernel has none).

    ``host_parameters``: small parameters (``mu``, means, kappas) may be NumPy arrays next to
    dask data, and fitted parameters come back as NumPy; per-point outputs stay lazy.
    """

    name = "dask"
    fallbacks = ("generic",)
    host_parameters = True

    def asarray(self, a, like=None):
        if is_dask_array(a):
            return a
        return self.xp.asarray(np.asarray(to_numpy(a)))

    def eig(self, a):
        w, v = np.linalg.eig(np.asarray(a))
        return from_numpy(w, self.xp), from_numpy(v, self.xp)


register_backend("dask", DaskBackend, is_dask_namespace)


# --------------------------------------------------------------------------- helpers


def _resolve(spec):
    if callable(spec):
        return spec
    if ":" not in spec:          # a kernel name: the NumPy backend's implementation
        from ._array_api import array_namespace

        return backend_for(array_namespace(np.empty(0))).kernel(spec)
    module, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module), attr)


def is_dask_array(a):
    return type(a).__module__.split(".")[0] == "dask" and hasattr(a, "chunks")


def as_dask(a, like_rows=None):
    """``a`` as a dask array (NumPy arrays wrapped; ``like_rows``: the row chunks to use)."""
    import dask.array as da

    if not is_dask_array(a):
        a = da.from_array(np.asarray(a), chunks=-1)
    if like_rows is not None:
        a = a.rechunk((like_rows,) + (-1,) * (a.ndim - 1))
    return a


def _elementwise_block(spec, *blocks, **kwargs):
    return _resolve(spec)(np, *blocks, **kwargs)


def chunkwise(spec):
    """A ``dask=`` kernel ``(xp, *arrays, **kw)`` that applies the NumPy kernel ``spec`` (a
    registered kernel name such as ``"special.log_iv"``: whatever NumPy runs, resolved when
    the chunk is computed; or ``"module:attr"`` of a ``(xp, *arrays, **kw)`` kernel) to every
    chunk, lazily. The
    arrays must broadcast to one shape (chunks are unified by Dask); float64 out."""

    def kernel(xp, *arrays, **kwargs):
        import dask.array as da

        arrays = [as_dask(a) for a in arrays]
        return da.map_blocks(_elementwise_block, spec, *arrays, dtype=np.float64,
                             meta=np.empty((0,) * arrays[0].ndim), **kwargs)

    kernel.__name__ = f"chunkwise({spec})"
    return kernel


def row_chunks(x):
    """``x`` (2-D dask) with all columns in one chunk (rows as chunked)."""
    return x.rechunk({1: -1}) if len(x.chunks[1]) > 1 else x


def _row_block(fn, width, x, *rest, block_info=None, **kwargs):
    offset = block_info[0]["array-location"][0][0] if block_info else 0
    rest = [None if r is None else r[:, 0] for r in rest]
    out = _resolve(fn)(x, *rest, offset=offset, **kwargs)
    return np.asarray(out, dtype=np.float64).reshape(1, width) if width else np.asarray(out)


def _columns(rows, vectors):
    """Row vectors (n,) as (n, 1) dask arrays chunked like ``rows``; ``None`` kept."""
    return [None if v is None else as_dask(v)[:, None].rechunk((rows, 1)) for v in vectors]


def _blocked(fn, width, x, vectors, kwargs):
    """``(x, row chunks, dask vector args, block function)`` shared by the row passes: the
    block function puts the ``None`` vectors back in place before calling ``_row_block``."""
    x = row_chunks(x)
    rows = x.chunks[0]
    cols = _columns(rows, vectors)
    args = [c for c in cols if c is not None]
    present = [c is not None for c in cols]

    def block(xb, *vb, block_info=None):
        it = iter(vb)
        vb = [next(it) if p else None for p in present]
        return _row_block(fn, width, xb, *vb, block_info=block_info, **kwargs)
    return x, rows, args, block


def row_reduce(fn, x, *vectors, width, **kwargs):
    """One pass: ``fn(x_block, *vector_blocks, offset=row0, **kwargs)`` on every row block of
    ``x`` (NumPy arrays) returns a vector of ``width`` statistics; returns the NumPy table
    ``(n_blocks, width)`` after one ``dask.compute``. ``vectors`` are ``(n,)`` arrays (or
    ``None``) split like the rows of ``x``."""
    import dask
    import dask.array as da

    x, rows, args, block = _blocked(fn, width, x, vectors, kwargs)
    table = da.map_blocks(block, x, *args, dtype=np.float64,
                          chunks=((1,) * len(rows), (width,)), meta=np.empty((0, 0)))
    (out,) = dask.compute(table)
    return np.asarray(out)


def row_map(fn, x, *vectors, ncols=None, dtype=np.float64, **kwargs):
    """Lazy row-wise map: ``fn(x_block, *vector_blocks, offset=row0, **kwargs)`` returns
    ``(rows,)`` (``ncols=None``) or ``(rows, ncols)`` for each row block of ``x``."""
    import dask.array as da

    x, rows, args, block = _blocked(fn, 0, x, vectors, kwargs)
    if ncols is None:
        return da.map_blocks(block, x, *args, dtype=dtype, drop_axis=1, chunks=(rows,),
                             meta=np.empty((0,), dtype=dtype))
    return da.map_blocks(block, x, *args, dtype=dtype, chunks=(rows, (ncols,)),
                         meta=np.empty((0, 0), dtype=dtype))
