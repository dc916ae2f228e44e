"""Input validation shared by the von Mises-Fisher distribution and the mixture fit."""

from __future__ import annotations

import math
import numbers

import numpy as np

from solvers._array_api import array_namespace, same_namespace, to_numpy
from solvers._backend import backend_for

from ._vmf_numba import resultant_rows

__all__ = ["validate_mu", "validate_kappa", "validate_weights",
           "check_row_norms", "as_data_matrix", "as_real_float64", "namespace_of", "unit_rows_resultant", "MU_NORM_TOL"]

MU_NORM_TOL = 1e-6


def namespace_of(a):
    """``(a, xp)``: Python sequences and scalars become NumPy arrays, arrays keep their library."""
    if isinstance(a, (list, tuple, numbers.Number)):
        a = np.asarray(a)
    return a, array_namespace(a)


def validate_mu(mu):
    """``mu`` as a float64 unit vector of its own namespace (renormalized), with ``xp``."""
    mu, xp = namespace_of(mu)
    mu = as_real_float64(mu, xp, "mu", "mu")
    if mu.ndim != 1 or mu.shape[0] < 2:
        raise ValueError(f"`mu` must be a vector of length >= 2, got shape {tuple(mu.shape)}")
    nrm = float(xp.sqrt(xp.sum(mu * mu)))
    if not math.isfinite(nrm) or abs(nrm - 1.0) > MU_NORM_TOL:
        raise ValueError(f"`mu` must be a finite unit vector (|‖mu‖ - 1| <= {MU_NORM_TOL:g}), "
                         f"got norm {nrm!r}")
    return mu / nrm, xp


def validate_kappa(kappa):
    """``kappa`` as a finite Python float >= 0."""
    if getattr(kappa, "ndim", 0) != 0:
        raise ValueError(f"`kappa` must be a scalar, got shape {tuple(kappa.shape)}")
    try:
        k = float(to_numpy(kappa)) if hasattr(kappa, "shape") else float(kappa)
    except (TypeError, ValueError):
        raise TypeError(f"`kappa` must be a real scalar, got {type(kappa).__name__}") from None
    if isinstance(kappa, complex) or not math.isfinite(k) or k < 0:
        raise ValueError(f"`kappa` must be a finite number >= 0, got {kappa!r}")
    return k


def as_real_float64(a, xp, name, other):
    """``a`` as a float64 array of ``xp``; ``TypeError`` if it comes from another array
    library than ``other`` (the argument that fixed ``xp``) or is not real."""
    if hasattr(a, "shape"):
        axp = array_namespace(a)
        if not same_namespace(axp, xp):
            raise TypeError(f"`{name}` must come from the same array library as `{other}` "
                            f"(got {axp.__name__} for `{name}`, {xp.__name__} for `{other}`)")
    a = xp.asarray(a)
    if not xp.isdtype(a.dtype, ("integral", "real floating")):
        raise TypeError(f"`{name}` must be real, got dtype {a.dtype}")
    return a if a.dtype == xp.float64 else xp.astype(a, xp.float64)


def validate_weights(weights, n, xp):
    """Sample weights: ``None`` (unweighted, returned as ``None``) or a finite non-negative
    ``(n,)`` float64 array of ``xp`` with a positive sum (NumPy weights are accepted next to
    dask data; weights of another library raise ``TypeError`` naming ``weights``)."""
    if weights is None:
        return None
    # NumPy weights next to dask data (a backend with host parameters): checked on the host,
    # then handed over as an array of the data's library (split like the rows when used)
    host = (hasattr(weights, "shape") and backend_for(xp).host_parameters
            and same_namespace(array_namespace(weights), array_namespace(np.empty(0))))
    wxp = array_namespace(weights) if host else xp
    w = as_real_float64(weights, wxp, "weights", "x")
    if w.ndim != 1 or w.shape[0] != n:
        raise ValueError(f"`weights` must have shape ({n},), got {tuple(w.shape)}")
    if not bool(wxp.all(wxp.isfinite(w))) or bool(wxp.any(w < 0)):
        raise ValueError("`weights` must be finite and non-negative")
    if not float(wxp.sum(w)) > 0:
        raise ValueError("`weights` must have a positive sum")
    return backend_for(xp).asarray(w) if host else w


def check_row_norms(norms, name="x"):
    """Raise ``ValueError`` naming the rows whose norm is zero or non-finite."""
    host = np.asarray(to_numpy(norms))
    bad = np.flatnonzero(~(np.isfinite(host) & (host > 0)))
    if bad.size:
        shown = ", ".join(str(i) for i in bad[:10]) + (", ..." if bad.size > 10 else "")
        raise ValueError(f"`{name}` rows must be non-zero and finite; bad rows: [{shown}] "
                         f"({bad.size} of {host.size})")


def as_data_matrix(x, p=None, name="x"):
    """``x`` as a float64 ``(n, p)`` array of its namespace, with ``xp``."""
    x, xp = namespace_of(x)
    x = as_real_float64(x, xp, name, name)
    if x.ndim != 2 or x.shape[0] < 1 or x.shape[1] < 2:
        raise ValueError(f"`{name}` must be an (n, p) array with n >= 1 and p >= 2, got shape "
                         f"{tuple(x.shape)}")
    if p is not None and x.shape[1] != p:
        raise ValueError(f"`{name}` must have {p} columns, got shape {tuple(x.shape)}")
    return x, xp


def unit_rows_resultant(x, xp, weights=None, name="x"):
    """Resultant of the renormalized rows: ``r = sum_i w_i x_i/||x_i||`` and ``W = sum_i w_i``.

    Also returns ``rbar = ||r||/W`` and ``rbar_c = 1 - rbar``; when ``rbar_c < 1e-3`` the
    complement is recomputed from ``W (1 - rbar^2) = sum_i w_i ||x_i/||x_i|| - r/W||^2`` (a
    second pass) so it keeps its relative accuracy. Rows with zero or non-finite norm raise.
    """
    return backend_for(xp).kernel("stats.resultant_stats")(xp, x, weights, name)


def _resultant_stats(xp, x, weights, name):
    """:func:`unit_rows_resultant` on one array: one pass, a second when ``rbar -> 1``."""
    r, norms, total = backend_for(xp).kernel("stats.resultant")(xp, x, weights, name)
    rnorm = float(xp.sqrt(xp.sum(r * r)))
    rbar = min(rnorm / total, 1.0)
    rbar_c = 1.0 - rbar
    if rbar_c < 1e-3:
        mean = r / total
        dev = x / norms[:, None] - mean[None, :]
        ss = xp.sum(dev * dev, axis=1)
        ss = float(xp.sum(ss) if weights is None else xp.sum(weights * ss))
        rbar_c = ss / (total * (1.0 + rbar))
    return r, total, rbar, rbar_c


def _resultant_numba(xp, x, weights, name):
    """``(r, norms, total)`` of :func:`unit_rows_resultant` by one Numba pass."""
    n = x.shape[0]
    coef = np.ones(n) if weights is None else np.ascontiguousarray(weights, dtype=np.float64)
    r, norms = resultant_rows(np.ascontiguousarray(x), coef)
    check_row_norms(norms, name)
    return r, norms, float(n) if weights is None else float(np.sum(coef))


def _resultant_generic(xp, x, weights, name):
    norms = xp.sqrt(xp.sum(x * x, axis=1))
    check_row_norms(norms, name)
    coef = 1.0 / norms if weights is None else weights / norms
    return coef @ x, norms, float(x.shape[0]) if weights is None else float(xp.sum(weights))
