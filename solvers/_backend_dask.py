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
* Rows drawn by index (:func:`take_rows`, the minibatches of the stochastic optimizers):
  only the chunks holding the drawn rows are read, and only those rows reach the host.
* Stacked batches of independent problems (:meth:`DaskBackend.map_batch`, many right-hand
  sides): the leading axis is the batch; every chunk of it is one task that solves its items
  by the NumPy path, with the shared setup (a multigrid hierarchy, a factorization) in the
  graph once (pickled once per worker). Lazy; per-item results come back as an object
  dask array computed by the same tasks.

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
           "row_chunks", "as_dask", "take_rows", "map_batch", "batch_chunks"]


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

    def map_batch(self, fn, shared, batch, *aligned, item_shape, dtype, info=False, **kwargs):
        return map_batch(fn, shared, batch, *aligned, item_shape=item_shape, dtype=dtype,
                         info=info, **kwargs)


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


# --------------------------------------------------------------------------- rows by index


def take_rows(xp, data, idx):
    """``data[idx]`` along axis 0 as a NumPy array, for host integer indices ``idx``.

    The indices are sorted and made unique first, so Dask reads only the chunks that hold
    drawn rows (each once) and only those rows reach the host; the result is put back in the
    order of ``idx`` (repeated indices repeat the row). One ``compute`` per call.
    """
    idx = np.asarray(idx, dtype=np.intp)
    uniq, inverse = np.unique(idx, return_inverse=True)
    rows = np.asarray(data[uniq].compute())
    return rows[inverse.reshape(-1)]


# --------------------------------------------------------------------------- batches


def batch_chunks(a):
    """``a`` (dask; NumPy wrapped) with only its leading axis chunked."""
    a = as_dask(a)
    if a.ndim > 1 and any(len(c) > 1 for c in a.chunks[1:]):
        a = a.rechunk({axis: -1 for axis in range(1, a.ndim)})
    return a


def _batch_block(fn, shared, block, *aligned, info, kwargs):
    out, infos = _resolve(fn)(shared, np.asarray(block), *[np.asarray(a) for a in aligned],
                              info=info, **kwargs)
    table = None
    if info:                      # the per-item results as a 1-D object array
        table = np.empty(len(infos), dtype=object)
        for i, item in enumerate(infos):
            table[i] = item
    return np.asarray(out), table


def map_batch(fn, shared, batch, *aligned, item_shape, dtype, info=False, **kwargs):
    """Lazy batch solve (see :meth:`solvers._backend.Backend.map_batch`) on a dask ``batch``.

    Only the leading axis stays chunked (one task per chunk: a group of items); ``aligned``
    arrays (dask or NumPy, same leading length) are chunked like it. ``shared`` enters the
    graph once, as one key that every task depends on, so a worker process unpickles it once.
    Returns the dask array of solutions, ``(n,) + item_shape``, and with ``info`` an object
    dask array ``(n,)`` of the per-item results: ``dask.compute(x, infos)`` runs every
    chunk's solve once for both (computing them separately solves twice).
    """
    import uuid

    import dask
    import dask.array as da

    batch = batch_chunks(batch)
    rows = batch.chunks[0]
    if any(r != r for r in rows):
        raise ValueError("the batch has unknown chunk sizes along its leading axis; call "
                         "`.compute_chunk_sizes()` on it first")
    aligned = [batch_chunks(a).rechunk({0: rows}) for a in aligned]
    handle = dask.delayed(shared, name=f"batch-shared-{uuid.uuid4().hex}", traverse=False)
    blocks = batch.to_delayed().reshape(-1)
    others = [a.to_delayed().reshape(-1) for a in aligned]
    call = dask.delayed(_batch_block, nout=2, pure=False)
    parts = [call(fn, handle, block, *[o[i] for o in others], info=bool(info), kwargs=kwargs)
             for i, block in enumerate(blocks)]
    dtype = np.dtype(dtype)
    item_shape = tuple(int(s) for s in item_shape)
    meta = np.empty((0,) * (1 + len(item_shape)), dtype=dtype)
    out = da.concatenate([da.from_delayed(part[0], shape=(m,) + item_shape, dtype=dtype,
                                          meta=meta) for part, m in zip(parts, rows)], axis=0)
    if not info:
        return out
    # a dask array too, so that dask.compute(out, infos) optimizes both in one graph and
    # every chunk's solve runs once for the two
    infos = da.concatenate([da.from_delayed(part[1], shape=(m,), dtype=object,
                                            meta=np.empty((0,), dtype=object))
                            for part, m in zip(parts, rows)], axis=0)
    return out, infos
