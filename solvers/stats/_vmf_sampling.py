"""Sampling the von Mises-Fisher distribution: Wood's (1994) rejection sampler.

The component ``w = mu . x`` is drawn with Wood's algorithm, written so that ``1 - w`` is
formed without cancellation (it carries the information when ``kappa >> p``); the part
orthogonal to ``mu`` is a standard normal vector projected off ``mu`` and normalized.
Time and memory are O(n p): no p x p rotation is ever built.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from solvers._array_api import array_namespace, from_numpy
from solvers._backend import backend_for

from ._vmf_numba import assemble_samples

__all__ = ["check_rng", "sample_w", "sample_vmf"]

_MAX_REJECTION_ROUNDS = 1000
_BLOCK_SIZE = 1 << 22  # normals per block (one child generator each)
_MAX_THREADS = 8


def _is_cupy_generator(rng):
    return type(rng).__module__.split(".")[0] == "cupy"


def check_rng(rng):
    """Return a generator: a NumPy ``Generator``/``RandomState`` or a CuPy generator as given,
    else ``numpy.random.default_rng(rng)`` for ``None`` or an int."""
    if isinstance(rng, (np.random.Generator, np.random.RandomState)):
        return rng
    if _is_cupy_generator(rng):
        return rng
    if rng is None or isinstance(rng, (int, np.integer)):
        return np.random.default_rng(rng)
    raise TypeError("`rng` must be None, an int, a numpy.random.Generator "
                    f"(or RandomState) or a CuPy generator; got {type(rng).__name__}")


def sample_w(p, kappa, n, rng):
    """Draw ``w = mu . x`` and ``1 - w`` for ``n`` samples of vMF(p, kappa) (Wood 1994).

    With ``m = p - 1``, ``b = m / (2 kappa + sqrt(4 kappa^2 + m^2))``, ``x0 = (1-b)/(1+b)``:
    draw ``z ~ Beta(m/2, m/2)``, ``u ~ U(0, 1)``, set ``w = (1-(1+b)z)/(1-(1-b)z)`` and accept
    if ``kappa (w - x0) + m log((1 - x0 w)/(1 - x0^2)) >= log u``. Every difference is
    rewritten in terms of ``1 - x0 = 2b/(1+b)`` and ``1 - w = 2bz/(1-(1-b)z)``.
    Arrays of the generator's library (NumPy or CuPy) are returned.
    """
    m = float(p - 1)
    kappa = float(kappa)
    b = m / (2.0 * kappa + math.sqrt(4.0 * kappa * kappa + m * m))
    x0 = (1.0 - b) / (1.0 + b)
    one_m_x0 = 2.0 * b / (1.0 + b)
    log_one_m_x0sq = math.log(one_m_x0) + math.log1p(x0)
    probe = rng.random(1)
    xp = array_namespace(probe)
    w = xp.empty(n, dtype=xp.float64)
    omw = xp.empty(n, dtype=xp.float64)
    filled = 0
    for _ in range(_MAX_REJECTION_ROUNDS):
        need = n - filled
        if need <= 0:
            break
        draw = need + need // 4 + 8 if filled else need
        z = rng.beta(m / 2, m / 2, size=draw)
        u = rng.random(draw)
        den = 1.0 - (1.0 - b) * z
        w_c = (1.0 - (1.0 + b) * z) / den
        omw_c = 2.0 * b * z / den
        one_m_x0w = one_m_x0 + x0 * omw_c
        crit = kappa * (one_m_x0 - omw_c) + m * (xp.log(one_m_x0w) - log_one_m_x0sq)
        ok = crit >= xp.log(u)
        idx = xp.nonzero(ok)[0][:need]
        k = int(idx.shape[0])
        w[filled:filled + k] = w_c[idx]
        omw[filled:filled + k] = omw_c[idx]
        filled += k
    if filled < n:  # pragma: no cover - acceptance rate is >= ~0.5 for every (p, kappa)
        raise RuntimeError("vMF rejection sampler did not finish")
    return w, omw


def _assemble_generic(xp, g, mu, w, s):
    d = g @ mu
    g = g - d[:, None] * mu[None, :]
    nrm = xp.sqrt(xp.sum(g * g, axis=1))
    return w[:, None] * mu[None, :] + (s / nrm)[:, None] * g


def _n_threads():
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, _MAX_THREADS))


def _host_normal_rows(rng, n, p, mu=None, w=None, s=None):
    """``(n, p)`` standard normals on the host, drawn in fixed row blocks.

    Each block of about 2**22 numbers gets its own child generator (``rng.spawn``), so the
    blocks can be filled by several threads (NumPy releases the GIL while filling) and the
    result depends only on the seed, never on the number of threads. With ``mu, w, s``
    each block is also turned into vMF samples in place (:func:`assemble_samples`, a
    ``nogil`` Numba kernel) right after it is drawn, while it is still in cache.
    """
    out = np.empty((n, p))
    rows = max(1, _BLOCK_SIZE // p)
    starts = list(range(0, n, rows))
    children = None
    if len(starts) > 1 and hasattr(rng, "spawn"):
        children = rng.spawn(len(starts))

    def fill(b):
        lo = starts[b]
        hi = min(lo + rows, n)
        gen = children[b] if children is not None else rng
        if isinstance(gen, np.random.RandomState):   # no `out=` there
            out[lo:hi] = gen.standard_normal((hi - lo, p))
        else:
            gen.standard_normal(out=out[lo:hi])
        if mu is not None:
            assemble_samples(out[lo:hi], mu, w[lo:hi], s[lo:hi])

    threads = _n_threads() if children is not None else 1
    if threads > 1:
        with ThreadPoolExecutor(max_workers=min(threads, len(starts))) as pool:
            list(pool.map(fill, range(len(starts))))
    else:
        for b in range(len(starts)):
            fill(b)
    return out


def sample_vmf(mu, kappa, n, rng, xp):
    """``n`` samples of vMF(mu, kappa) as an ``(n, p)`` array of namespace ``xp``.

    ``mu`` is a unit vector of ``xp``. The draws happen in this order: ``w`` (Wood's
    sampler), then the ``(n, p)`` standard normals (:func:`_host_normal_rows`), so a NumPy
    seed gives the same samples on NumPy and on the generic path. On CuPy, a CuPy generator
    is used as given; a NumPy seed draws ``w`` on the host and seeds a CuPy generator for
    the normals.
    """
    rng = check_rng(rng)
    p = int(mu.shape[0])
    w, omw = sample_w(p, kappa, n, rng)
    if _is_cupy_generator(rng):
        wx = array_namespace(w)
        s = wx.sqrt(omw * (2.0 - omw))
        g = rng.standard_normal((n, p))
        return _assemble_generic(xp, g, mu, w, s)
    s = np.sqrt(omw * (2.0 - omw))
    return backend_for(xp).kernel("stats.vmf_rows")(xp, rng, mu, w, s)


def _rows_numba(xp, rng, mu, w, s):
    """NumPy: host normals assembled in place by the Numba kernel, threaded by blocks."""
    n, p = w.shape[0], int(mu.shape[0])
    return _host_normal_rows(rng, n, p, np.ascontiguousarray(mu, dtype=np.float64), w, s)


def _rows_cupy(xp, rng, mu, w, s):
    """CuPy: normals from a CuPy generator seeded by ``rng`` (one draw of the host stream)."""
    import cupy

    n, p = w.shape[0], int(mu.shape[0])
    seed = int(rng.integers(0, 2**63 - 1)) if hasattr(rng, "integers") else \
        int(rng.randint(0, 2**31 - 1))
    g = cupy.random.default_rng(seed).standard_normal((n, p))
    return _assemble_generic(xp, g, mu, from_numpy(w, xp, like=mu), from_numpy(s, xp, like=mu))


def _rows_generic(xp, rng, mu, w, s):
    """Any other library: the NumPy path's host normals, assembled with the standard."""
    n, p = w.shape[0], int(mu.shape[0])
    g = from_numpy(_host_normal_rows(rng, n, p), xp, like=mu)
    return _assemble_generic(xp, g, mu, from_numpy(w, xp, like=mu), from_numpy(s, xp, like=mu))
