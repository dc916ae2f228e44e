"""solvers on dask arrays (issue 16): one-pass vMF fit and chunk-wise log_iv (small sizes).

Skipped without dask.
"""

import numpy as np

try:
    import dask
    import dask.array as da
except ImportError:  # pragma: no cover
    dask = None

from solvers.special import log_iv
from solvers.stats import fit_vmf_mixture, vonmises_fisher


def _data(n, p, rows=20_000):
    def block(b):
        x = np.random.default_rng(b).standard_normal((rows, p))
        x[:, 0] += 2.0 * np.sqrt(p)
        return x

    parts = [da.from_delayed(dask.delayed(block, pure=True)(b), (rows, p), dtype=np.float64,
                             meta=np.empty((0, 0))) for b in range(n // rows)]
    return da.concatenate(parts, axis=0)


class DaskVMF:
    """vMF fit (one reduction) and one pass over the same lazily generated data."""

    params = [[200_000]]
    param_names = ["n"]
    timeout = 120

    def setup(self, n):
        if dask is None:
            raise NotImplementedError("dask is not installed")
        self.x = _data(n, 32)
        self.cfg = dask.config.set(scheduler="threads", num_workers=2)
        self.cfg.__enter__()
        vonmises_fisher.fit(self.x[:20_000])

    def teardown(self, n):
        self.cfg.__exit__(None, None, None)

    def time_fit(self, n):
        vonmises_fisher.fit(self.x)

    def time_one_pass(self, n):
        self.x.sum(axis=0).compute()

    def peakmem_fit(self, n):
        vonmises_fisher.fit(self.x)

    def time_mixture_3_iterations(self, n):
        fit_vmf_mixture(self.x, 2, maxiter=3, rtol=0.0, rng=0)


class DaskLogIv:
    """log_iv chunk-wise (the Numba kernel per chunk) on 4e6 lazy points."""

    timeout = 120

    def setup(self):
        if dask is None:
            raise NotImplementedError("dask is not installed")
        self.v = da.random.default_rng(0).uniform(0, 200, 4_000_000, chunks=1_000_000)
        self.x = da.random.default_rng(1).uniform(0, 500, 4_000_000, chunks=1_000_000)

    def time_log_iv(self):
        with dask.config.set(scheduler="threads", num_workers=2):
            log_iv(self.v, self.x).sum().compute()
