"""Helpers shared by the stochastic compositional optimizers and ``fit_unnormalized``.

Random numbers, schedules, callbacks, progress bars and a few array-API reductions that the
standard does not provide (``logsumexp``, row scatter). Nothing here is public.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .._array_api import array_namespace, from_numpy, same_namespace, to_numpy
from .._backend import backend_for, is_lazy
from .._progress import progress_bar
from .._result import CALLBACK, CONVERGED, FINISHED, MAXITER, NONFINITE, call_callback

__all__ = [
    "RandomSource",
    "DataRows",
    "host_parameters",
    "as_schedule",
    "check_positive_int",
    "logsumexp",
    "scatter_rows",
    "iterate",
    "STATUS_MESSAGES",
]

#: Messages of ``minimize_compositional`` and ``fit_unnormalized`` for the codes of the
#: library's status table (:data:`solvers._result.STATUS`).
STATUS_MESSAGES = {
    FINISHED: "Finished: ran the requested number of iterations.",
    CONVERGED: "Converged: the gradient estimate fell below `gtol`.",
    MAXITER: "Maximum number of iterations reached before the gradient estimate fell below "
             "`gtol`.",
    NONFINITE: "Stopped: a non-finite value (overflow or NaN) appeared in the iterate or the "
               "estimates.",
    CALLBACK: "`callback` raised `StopIteration`.",
}


class RandomSource:
    """Random numbers for the namespace ``xp``.

    Integer draws (mini-batch indices) always come from a NumPy ``Generator`` on the host and are
    moved to ``xp``; normal draws come from CuPy's own generator for CuPy arrays, from NumPy
    otherwise (converted for other array-API libraries). So NumPy and ``array_api_strict`` runs with
    the same seed see the same numbers.
    """

    def __init__(self, rng, xp):
        if rng is not None and not isinstance(rng, (numbers.Integral, np.random.Generator)):
            if not backend_for(xp).owns_generator(rng):
                raise TypeError(f"`rng` must be None, an int or a numpy.random.Generator, "
                                f"got {type(rng).__name__}")
        self.xp = xp
        if isinstance(rng, np.random.Generator) or rng is None or isinstance(rng, numbers.Integral):
            self.host = np.random.default_rng(rng)
        else:  # a CuPy generator
            self.host = np.random.default_rng()
        # CuPy: a device generator (a spawned child of a NumPy Generator seeds it without
        # advancing the host stream; None or an int: the same seed); else None
        self.device = backend_for(xp).device_generator(rng)

    # the object handed to user callables (``noise.sample(n, rng)``, ``sampler(n, rng)``)
    @property
    def generator(self):
        return self.device if self.device is not None else self.host

    def integers(self, high, size):
        """``size`` integers in ``[0, high)`` as an ``xp`` array."""
        idx = self.host.integers(0, high, size=size)
        return from_numpy(idx, self.xp)

    def choice_without_replacement(self, high, size):
        idx = self.host.choice(high, size=size, replace=False)
        return from_numpy(idx, self.xp)

    def standard_normal(self, shape, dtype=None):
        return standard_normal(self.generator, shape, self.xp, dtype)


def take_rows_numpy(xp, data, idx):
    """``data[idx]`` along axis 0 for host integer indices (the ``numpy=`` kernel)."""
    return data[idx]


def take_rows_generic(xp, data, idx):
    """``data[idx]`` along axis 0, the indices moved to ``xp`` (the generic kernel)."""
    return xp.take(data, from_numpy(idx, xp), axis=0)


class DataRows:
    """A finite data set (rows along axis 0) from which mini-batches are drawn by index.

    In memory a batch is ``data[idx]`` in the data's library. A dask array (a backend with
    ``host_parameters``) is never materialized: the ``optimize.take_rows`` kernel reads only
    the chunks that hold the drawn rows and returns those rows as a NumPy array; with
    ``finite`` they are checked here (the data are not scanned up front).
    """

    def __init__(self, data, name="data", *, finite=False):
        self.xp = array_namespace(data)
        backend = backend_for(self.xp)
        self.lazy = backend.host_parameters
        n = data.shape[0] if data.ndim else 0
        if n != n:
            raise ValueError(f"`{name}` has unknown chunk sizes along its first axis; call "
                             f"`{name}.compute_chunk_sizes()` first")
        if data.ndim < 1 or n < 1:
            raise ValueError(f"`{name}` must have at least one row (shape (n, ...) with n >= 1), "
                             f"got shape {tuple(data.shape)}")
        self.data, self.n, self.name, self.finite = data, int(n), name, finite
        self._take = backend.kernel("optimize.take_rows")

    def take(self, idx):
        """Rows ``idx`` (host integers) of the data."""
        rows = self._take(self.xp, self.data, idx)
        if self.lazy and self.finite:
            ok = np.isfinite(rows).reshape(rows.shape[0], -1).all(axis=1)
            if not ok.all():
                bad = np.unique(np.asarray(idx)[~ok])
                raise ValueError(f"`{self.name}` must contain only finite values: the drawn "
                                 f"rows {bad[:10].tolist()} are not")
        return rows

    def draw(self, source, size):
        """``size`` rows drawn uniformly with replacement, indices from ``source.host``."""
        return self.take(source.host.integers(0, self.n, size=size))


def host_parameters(params, data, name):
    """The namespace of the parameters ``params`` next to lazy (dask) ``data``, with
    ``params`` as NumPy: the mini-batches reach the optimizer as NumPy arrays, so the
    parameters and the results are NumPy (dask parameters are small and computed)."""
    if is_lazy(params):
        params = to_numpy(params)
    xp = array_namespace(params)
    if not same_namespace(xp, array_namespace(np.empty(0))):
        raise TypeError(f"with dask `data` the mini-batches are NumPy arrays, so `{name}` must "
                        f"be NumPy too, got {xp.__name__}")
    return xp, params


def standard_normal(generator, shape, xp, dtype=None):
    """Standard normal array of ``shape`` in namespace ``xp`` drawn with ``generator``.

    ``generator`` is a NumPy or CuPy ``Generator``, an int seed or None.
    """
    return backend_for(xp).random_normal(generator, shape, dtype)


def as_schedule(value, name, *, low=0.0, high=math.inf, low_open=True):
    """Return ``t -> float`` for a constant or a callable parameter, validating constants."""
    if callable(value):
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be a real number or a callable t -> float, "
                        f"got {type(value).__name__}")
    v = float(value)
    bad_low = v <= low if low_open else v < low
    if not math.isfinite(v) or bad_low or v > high:
        lo = "(" if low_open else "["
        raise ValueError(f"`{name}` must lie in {lo}{low}, {high}], got {value!r}")
    return lambda t: v


def check_positive_int(value, name, *, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"`{name}` must be a positive integer, got {value!r}")
    return int(value)


def logsumexp(xp, a):
    """``log(sum(exp(a)))`` over a 1-D array, as a 0-d array; ``-inf`` for all ``-inf`` input."""
    m = xp.max(a)
    m_safe = xp.where(xp.isfinite(m), m, xp.zeros_like(m))
    return m_safe + xp.log(xp.sum(xp.exp(a - m_safe)))


def scatter_rows(xp, U, idx, rows):
    """Return a copy of ``U`` with ``U[idx] = rows`` (``idx`` distinct integers)."""
    return backend_for(xp).put(U, idx, rows)


class _NoBar:
    def update(self, n=1):
        pass

    def close(self):
        pass




def iterate(step, maxiter, *, errstate, callback, gtol, progress, desc):
    """The iteration driver shared by the stochastic methods.

    ``step(t) -> (v_norm, finite, fields)`` does iteration ``t`` (1-based) and returns the norm
    of the gradient estimate, whether everything stayed finite, and the fields handed to
    ``callback``. Returns ``(status, nit)`` with the codes of :data:`STATUS_MESSAGES`; floating-point
    warnings are silenced in ``errstate()`` (the backend's; overflow becomes status 3,
    NONFINITE).
    """
    bar = progress_bar(progress, maxiter, desc, leave=False) or _NoBar()
    errors = errstate()
    status, nit = (MAXITER if gtol is not None else FINISHED), 0
    try:
        with errors:
            for t in range(1, maxiter + 1):
                v_norm, finite, fields = step(t)
                nit = t
                bar.update()
                if not finite:
                    status = NONFINITE
                    break
                if call_callback(callback, **fields):
                    status = CALLBACK
                    break
                if gtol is not None and v_norm <= gtol:
                    status = CONVERGED
                    break
    finally:
        bar.close()
    return status, nit
