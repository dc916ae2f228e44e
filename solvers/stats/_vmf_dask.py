"""The ``dask=`` kernels of the vMF distribution (registered in ``_register``).

Each runs the NumPy (Numba) path on row blocks; see :mod:`solvers._backend_dask` for what is
lazy and what gathers. Nothing here imports Dask at module import time.
"""

from __future__ import annotations

import numpy as np

from solvers._array_api import to_numpy
from solvers._backend_dask import as_dask, row_chunks, row_map, row_reduce

from ._vmf_numba import resultant_rows, rowwise_cos_minus_one
from ._vmf_sampling import _host_normal_rows

__all__ = ["resultant_stats", "cos_minus_one", "vmf_rows"]

_NBAD = 10            # bad row indices reported per block
_HEAD = 3 + _NBAD     # [W_c, SS_c, n_bad, bad rows...] then r_c (p)


def _bad_rows_message(name, bad, n_bad, n):
    shown = ", ".join(str(int(i)) for i in bad[:10]) + (", ..." if n_bad > 10 else "")
    return (f"`{name}` rows must be non-zero and finite; bad rows: [{shown}] "
            f"({int(n_bad)} of {n})")


def _resultant_block(xb, wb, *, offset):
    """Sufficient statistics of one row block: total weight, scatter about the block's mean
    direction ``SS_c = sum w ||u - r_c/W_c||^2`` (``u`` the unit rows), bad rows, ``r_c``."""
    xb = np.ascontiguousarray(xb, dtype=np.float64)
    m = xb.shape[0]
    coef = np.ones(m) if wb is None else np.ascontiguousarray(wb, dtype=np.float64)
    r, norms = resultant_rows(xb, coef)
    out = np.zeros(_HEAD + xb.shape[1])
    bad = np.flatnonzero(~(np.isfinite(norms) & (norms > 0)))
    total = float(m) if wb is None else float(coef.sum())
    out[0], out[2] = total, bad.size
    out[3:3 + min(bad.size, _NBAD)] = bad[:_NBAD] + offset
    out[_HEAD:] = r
    if bad.size == 0 and total > 0:
        rl = min(float(np.sqrt(r @ r)) / total, 1.0)
        if 1.0 - rl > 1e-2:      # W (1 - rbar^2) loses at most ~100 eps relatively
            out[1] = total * (1.0 - rl) * (1.0 + rl)
        else:                    # concentrated block: the deviations themselves
            d = xb / norms[:, None] - r / total
            out[1] = coef @ np.einsum("ij,ij->i", d, d)
    return out


def resultant_stats(xp, x, weights, name):
    """``(r, W, rbar, 1 - rbar)`` of the unit rows of dask ``x`` in one pass over the data.

    Per block: ``W_c``, ``r_c`` and ``SS_c``; on the host ``r = sum r_c`` and (when
    ``1 - rbar < 1e-3``) ``W (1 - rbar^2) = sum_c [SS_c + W_c ||r_c/W_c - r/W||^2]``, the
    parallel form of the NumPy path's second pass (no cancellation). ``r`` is NumPy.
    """
    x = row_chunks(x)
    n, p = x.shape
    width = _HEAD + p
    table = row_reduce("solvers.stats._vmf_dask:_resultant_block", x, weights, width=width)
    n_bad = table[:, 2].sum()
    if n_bad:
        bad = np.concatenate([row[3:3 + int(min(row[2], _NBAD))] for row in table])
        raise ValueError(_bad_rows_message(name, np.sort(bad), n_bad, n))
    w_c, ss_c, r_c = table[:, 0], table[:, 1], table[:, _HEAD:]
    total = float(w_c.sum())
    r = r_c.sum(axis=0)
    rbar = min(float(np.sqrt(r @ r)) / total, 1.0)
    rbar_c = 1.0 - rbar
    if rbar_c < 1e-3:
        ok = w_c > 0
        d = r_c[ok] / w_c[ok, None] - r / total
        ss = float(ss_c.sum() + w_c[ok] @ np.einsum("ij,ij->i", d, d))
        rbar_c = ss / (total * (1.0 + rbar))
    return r, total, rbar, rbar_c


def _cos_block(xb, *, offset, mu, name):
    t, norms = rowwise_cos_minus_one(np.ascontiguousarray(xb, dtype=np.float64), mu)
    bad = np.flatnonzero(~(np.isfinite(norms) & (norms > 0)))
    if bad.size:
        raise ValueError(_bad_rows_message(name, bad + offset, bad.size, "a block of "
                                           f"{xb.shape[0]} starting at row {offset}"))
    return t


def cos_minus_one(xp, x2, mu):
    """Lazy ``mu.x_i/||x_i|| - 1`` per row block (the Numba kernel); a bad row raises when the
    block is computed. Returns ``(t, None)``: there are no norms to check eagerly."""
    mu = np.ascontiguousarray(to_numpy(mu), dtype=np.float64)
    t = row_map("solvers.stats._vmf_dask:_cos_block", x2, mu=mu, name="x")
    return t, None


def _rows_block(gen, mu, w, s):
    return _host_normal_rows(gen, w.shape[0], mu.shape[0], mu, w, s)


def vmf_rows(xp, rng, mu, w, s):
    """vMF rows as a chunked dask array: Dask's automatic row chunks (``array.chunk-size``),
    one child generator of ``rng`` per chunk (so the draw depends on the seed and the
    chunking only), each chunk by the NumPy path."""
    import dask
    import dask.array as da
    from dask.array.core import normalize_chunks

    n, p = int(w.shape[0]), int(mu.shape[0])
    mu = np.ascontiguousarray(to_numpy(mu), dtype=np.float64)
    (rows, _) = normalize_chunks(("auto", -1), (n, p), dtype=np.float64)
    if hasattr(rng, "spawn"):
        gens = rng.spawn(len(rows))
    else:   # RandomState: one seed per chunk drawn from it
        gens = [np.random.default_rng(int(s_)) for s_ in rng.randint(0, 2**31 - 1, len(rows))]
    blocks, lo = [], 0
    for gen, m in zip(gens, rows):
        part = dask.delayed(_rows_block, pure=True)(gen, mu, w[lo:lo + m], s[lo:lo + m])
        blocks.append(da.from_delayed(part, (m, p), dtype=np.float64,
                                      meta=np.empty((0, 0))))
        lo += m
    if not blocks:
        return as_dask(np.empty((0, p)))
    return da.concatenate(blocks, axis=0)
