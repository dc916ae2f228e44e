"""solvers on dask arrays (issue 16): out-of-core vMF fit, strong scaling, elementwise functions.

Rows (threaded scheduler; the data are generated lazily block by block, never held whole):

* vMF fit of an n x p float32 data set (full mode: 8e6 x 128, 3.9 GB) larger than the
  memory limit set here (512 MB; the peak traced memory is reported against it) against the time of one pass over
  the same data (``X.sum(axis=0)``): the issue's goal is fit <= 1.5 x one pass.
* The same fit on 1 and on 2 worker threads (strong scaling).
* ``log_iv`` chunk-wise on lazily generated points against the NumPy call on the same number
  of points in memory.
Skipped (no rows) without dask.
"""

from __future__ import annotations

import tracemalloc

import numpy as np

from peer_cases import Row, median_time

_ROWS = 50_000   # rows per chunk


def _block(block_id, p, dtype):
    """One chunk of directional data around e_1, from its own seed (nothing is stored)."""
    rng = np.random.default_rng(block_id)
    x = rng.standard_normal((_ROWS, p), dtype=np.float32)
    x[:, 0] += 2.0 * np.sqrt(p)
    return x.astype(dtype, copy=False)


def lazy_data(n, p, dtype=np.float32):
    import dask
    import dask.array as da

    nb = n // _ROWS
    parts = [da.from_delayed(dask.delayed(_block, pure=True)(b, p, dtype), (_ROWS, p),
                             dtype=dtype, meta=np.empty((0, 0), dtype=dtype))
             for b in range(nb)]
    return da.concatenate(parts, axis=0)


def _peak(fn):
    tracemalloc.start()
    try:
        out = fn()
        return out, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def rows(quick):
    try:
        import dask
    except ImportError:
        return
    from solvers.special import log_iv
    from solvers.stats import vonmises_fisher

    n, p = (400_000, 64) if quick else (8_000_000, 128)
    X = lazy_data(n, p)
    data_mb = n * p * 4 / 2**20
    limit_mb = 512                  # the memory limit we set (the full-size data are 3.9 GB)
    with dask.config.set(scheduler="threads", num_workers=2):
        fit = lambda: vonmises_fisher.fit(X)            # noqa: E731
        one_pass = lambda: X.sum(axis=0).compute()       # noqa: E731
        fit_s, (mu, kappa) = median_time(fit, repeat=3, warmup=1)
        pass_s, _ = median_time(one_pass, repeat=3)
        _, peak = _peak(fit)
    peak_mb = peak / 2**20
    yield Row(f"vMF fit, dask {n}x{p} float32 ({data_mb:.0f} MB, lazy)", fit_s,
              "one pass over the data (X.sum)", pass_s, note=(
                  f"peak traced memory {peak_mb:.0f} MB vs limit {limit_mb:.0f} MB "
                  f"({'within' if peak_mb <= limit_mb else 'OVER'}); kappa {kappa:.6g}"),
              settings=f"threads x2, chunks {_ROWS} rows")
    times = {}
    for workers in (1, 2):
        with dask.config.set(scheduler="threads", num_workers=workers):
            times[workers], _ = median_time(fit, repeat=3)
    yield Row(f"vMF fit, dask {n}x{p}: 2 threads vs 1 (strong scaling)", times[2],
              "same fit on 1 thread", times[1], settings="threaded scheduler")

    m = 1_000_000 if quick else 100_000_000
    import dask.array as da

    chunk = 2_000_000
    v = da.random.default_rng(0).uniform(0.0, 200.0, m, chunks=chunk)
    x = da.random.default_rng(1).uniform(0.0, 500.0, m, chunks=chunk)
    with dask.config.set(scheduler="threads", num_workers=2):
        ours_s, total = median_time(lambda: float(log_iv(v, x).sum().compute()), repeat=3,
                                    warmup=1)
        m_np = min(m, 20_000_000)
        vn, xn = v[:m_np].compute(), x[:m_np].compute()
        np_s, _ = median_time(lambda: log_iv(vn, xn), repeat=3, warmup=1)
    yield Row(f"log_iv chunk-wise on dask, {m:.0e} lazy points", ours_s,
              f"NumPy log_iv on {m_np:.0e} points in memory", np_s,
              note="ratio < 1 expected when the dask side has more points"
              if m_np < m else "", settings=f"chunks {chunk}, threads x2")
