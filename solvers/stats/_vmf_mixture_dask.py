"""The mixture EM on a dask array: one pass over the data per EM iteration.

:class:`DaskData` has the data interface of ``_vmf_mixture._Data`` (the ``stats.em_data``
kernel for dask): each pass runs the NumPy path (``_Data``, ``_e_step``, ``suff_stats``) on
every row block and gathers the per-block statistics ``[ll, nk (k), resultants (k p), the k
worst-explained rows]`` once; the host adds them up and updates the parameters, which stay
NumPy. Responsibilities and labels of the result are lazy dask arrays.
"""

from __future__ import annotations

import numpy as np

from solvers._array_api import array_namespace, to_numpy
from solvers._backend_dask import row_chunks, row_map, row_reduce

from ._vmf_dask import _bad_rows_message
from ._vmf_mixture import _KMPP_SUBSET, _Data, _e_step, _Step

__all__ = ["DaskData"]

_SEED_BYTES = 64 << 20   # k-means++ seeds on at most this much of the data, in memory
_NP = array_namespace(np.empty(0))


def _block_data(xb, wb, offset):
    xb = np.asarray(xb, dtype=np.float64)
    try:
        return _Data(xb, _NP, None if wb is None else np.asarray(wb, dtype=np.float64))
    except ValueError:
        norms = np.sqrt(np.einsum("ij,ij->i", xb, xb))
        bad = np.flatnonzero(~(np.isfinite(norms) & (norms > 0)))
        raise ValueError(_bad_rows_message("x", bad + offset, bad.size,
                                           f"a block of {xb.shape[0]} starting at row "
                                           f"{offset}")) from None


def _initial_block(xb, wb, *, offset, centers):
    d = _block_data(xb, wb, offset)
    (nk1, r1), (nk, r) = d.initial_stats(centers)
    return np.concatenate([nk1, r1.ravel(), nk, r.ravel()])


def _em_block(xb, wb, *, offset, means, kappas, log_weights):
    d = _block_data(xb, wb, offset)
    k = means.shape[0]
    ll, gamma, ll_i = _e_step(d, means, kappas, log_weights)
    nk, r = d.suff_stats(gamma)
    worst = np.argsort(ll_i)[:k]
    vals = np.full(k, np.inf)
    idx = np.full(k, -1.0)
    vals[:worst.size], idx[:worst.size] = ll_i[worst], worst + offset
    return np.concatenate([[ll], nk, r.ravel(), vals, idx])


def _gamma_block(xb, wb, *, offset, means, kappas, log_weights):
    return _e_step(_block_data(xb, wb, offset), means, kappas, log_weights)[1]


class DaskData:
    """Row blocks of a dask ``(n, p)`` array (and weights) for the mixture EM."""

    def __init__(self, xp, x, w):
        self.x, self.w = row_chunks(x), w
        self.n, self.p = x.shape
        self.xp = _NP       # the parameters live on the host
        self.w_host = np.ones(self.n) if w is None else \
            np.asarray(to_numpy(w), dtype=np.float64)
        self.total = float(self.n) if w is None else float(self.w_host.sum())

    def unit_row(self, i):
        row = np.asarray(to_numpy(self.x[i, :]), dtype=np.float64)
        return row / np.sqrt(row @ row)

    def seeding_data(self, rng):
        """The rows in memory (all of them when they fit in ``_SEED_BYTES``, else a random
        subset of that size) for the k-means++ seeding."""
        rows = max(4 * _KMPP_SUBSET, _SEED_BYTES // (8 * self.p))
        idx = None if self.n <= rows else \
            np.sort(rng.choice(self.n, size=rows, replace=False))
        xs = np.asarray(to_numpy(self.x if idx is None else self.x[idx]), dtype=np.float64)
        ws = None if self.w is None else self.w_host if idx is None else self.w_host[idx]
        return _block_data(xs, ws, 0)

    def initial_stats(self, centers):
        centers = np.asarray(to_numpy(centers), dtype=np.float64)
        k, p = centers.shape
        t = row_reduce("solvers.stats._vmf_mixture_dask:_initial_block", self.x, self.w,
                       width=1 + p + k + k * p, centers=centers).sum(axis=0)
        return (t[:1], t[1:1 + p].reshape(1, p)), \
            (t[1 + p:1 + p + k], t[1 + p + k:].reshape(k, p))

    def e_step(self, means, kappas, log_weights):
        means = np.asarray(to_numpy(means), dtype=np.float64)
        k, p = means.shape
        t = row_reduce("solvers.stats._vmf_mixture_dask:_em_block", self.x, self.w,
                       width=1 + k + k * p + 2 * k, means=means, kappas=kappas,
                       log_weights=log_weights)
        ll = float(t[:, 0].sum())
        nk = t[:, 1:1 + k].sum(axis=0)
        res = t[:, 1 + k:1 + k + k * p].sum(axis=0).reshape(k, p)
        vals = t[:, 1 + k + k * p:1 + 2 * k + k * p].ravel()
        idx = t[:, 1 + 2 * k + k * p:].ravel()
        order = np.argsort(vals, kind="stable")
        worst = idx[order][idx[order] >= 0].astype(np.int64)[:k]
        return ll, _Step(lambda: (nk, res), lambda: worst)

    def outputs(self, means, kappas, log_weights, step):
        means = np.asarray(to_numpy(means), dtype=np.float64)
        gamma = row_map("solvers.stats._vmf_mixture_dask:_gamma_block", self.x, self.w,
                        ncols=means.shape[0], means=means, kappas=kappas,
                        log_weights=log_weights)
        return gamma, gamma.argmax(axis=1)
