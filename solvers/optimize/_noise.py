"""Noise distributions for fitting unnormalized models: Gaussian and fitted Gaussian.

A noise object has ``dim``, ``sample(n, rng) -> (n, dim)`` and ``logpdf(y) -> (n,)``; the
Gaussian ones also have ``adapted(samples, log_weights, rate)``, used by
``fit_unnormalized(..., adapt_noise=True)`` to move the noise toward the current model.
"""

from __future__ import annotations

import math

import numpy as np

from .._array_api import PicklesNamespace, array_namespace, as_float_array
from .._backend import backend_for
from ._compositional_common import logsumexp, standard_normal

__all__ = ["GaussianNoise", "FittedGaussianNoise"]


class GaussianNoise(PicklesNamespace):
    r"""Multivariate normal noise :math:`q = N(\text{mean}, \text{cov})`.

    Parameters
    ----------
    mean : array_like, shape (d,)
        Mean; its array library is the one of the samples.
    cov : float or array_like, optional
        Covariance: a scalar variance (isotropic), a vector of variances (diagonal) or a
        symmetric positive definite ``(d, d)`` matrix. Default 1 (identity).

    Attributes
    ----------
    dim : int
        Dimension ``d``.
    mean, cov : array
        Mean ``(d,)`` and covariance ``(d, d)``.

    Raises
    ------
    ValueError
        For a non-finite mean, a covariance of the wrong shape or one that is not positive
        definite.

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.optimize import GaussianNoise
    >>> q = GaussianNoise(np.zeros(2), 4.0)
    >>> y = q.sample(3, np.random.default_rng(0))
    >>> y.shape
    (3, 2)
    >>> float(q.logpdf(np.zeros((1, 2)))[0])  # -log(2 pi) - log(4)
    -3.2241...
    """

    def __init__(self, mean, cov=1.0):
        xp = array_namespace(mean, cov if hasattr(cov, "shape") else None)
        mean = as_float_array(mean, xp, name="mean", allow_float32=False, finite=True)
        if mean.ndim == 0:
            mean = xp.reshape(mean, (1,))
        if mean.ndim != 1:
            raise ValueError(f"`mean` must be 1-D, got shape {tuple(mean.shape)}")
        d = mean.shape[0]
        cov = as_float_array(cov, xp, name="cov", allow_float32=False, finite=True)
        if cov.ndim == 0:
            cov = cov * xp.eye(d, dtype=mean.dtype)
        elif cov.ndim == 1:
            if cov.shape[0] != d:
                raise ValueError(f"`cov` of variances must have shape ({d},), got "
                                 f"{tuple(cov.shape)}")
            cov = xp.eye(d, dtype=mean.dtype) * cov[None, :]
        elif tuple(cov.shape) != (d, d):
            raise ValueError(f"`cov` must be a scalar, a ({d},) vector or a ({d}, {d}) matrix, "
                             f"got shape {tuple(cov.shape)}")
        cov = 0.5 * (cov + cov.T)
        try:
            chol = xp.linalg.cholesky(cov)
        except Exception as exc:  # numpy.linalg.LinAlgError and the other libraries' errors
            raise ValueError("`cov` must be symmetric positive definite") from exc
        diag = _diagonal(xp, chol)
        if not bool(xp.all(xp.isfinite(diag))) or not bool(xp.all(diag > 0)):
            raise ValueError("`cov` must be symmetric positive definite")
        self._xp = xp
        self.mean = mean
        self.cov = cov
        self._chol = chol
        self._half_logdet = float(xp.sum(xp.log(diag)))
        self.dim = d

    def __repr__(self):
        return f"{type(self).__name__}(dim={self.dim})"

    def sample(self, n, rng=None):
        """Draw ``n`` samples, shape ``(n, d)``, with ``rng`` (NumPy or CuPy generator, seed)."""
        z = standard_normal(rng, (int(n), self.dim), self._xp, self.mean.dtype)
        return self.mean[None, :] + z @ self._chol.T

    def logpdf(self, y):
        """Log density at the rows of ``y`` (shape ``(n, d)``), shape ``(n,)``."""
        xp = self._xp
        r = y - self.mean[None, :]
        # solve L w = r^T by the triangular system (no triangular solve in the standard)
        w = _solve_lower(xp, self._chol, r.T)
        return (-0.5 * xp.sum(w * w, axis=0) - self._half_logdet
                - 0.5 * self.dim * math.log(2.0 * math.pi))

    def adapted(self, samples, log_weights, rate, *, min_ess=2.0):
        r"""A new Gaussian moved toward the self-normalized weighted moments of ``samples``.

        ``mean' = (1 - rate) mean + rate m_w``; the covariance moves by ``rate * ESS / n`` toward
        the weighted covariance (so a few dominant weights cannot collapse it). Nothing changes
        when the effective sample size is below ``min_ess``.
        """
        xp = self._xp
        n = samples.shape[0]
        lse = logsumexp(xp, log_weights)
        w = xp.exp(log_weights - lse)
        ess = float(xp.exp(2.0 * lse - logsumexp(xp, 2.0 * log_weights)))
        if not math.isfinite(ess) or ess < min_ess:
            return self
        m = xp.sum(w[:, None] * samples, axis=0)
        r = samples - m[None, :]
        c = (w[:, None] * r).T @ r
        rho_cov = rate * ess / n
        mean = (1.0 - rate) * self.mean + rate * m
        cov = (1.0 - rho_cov) * self.cov + rho_cov * c
        return GaussianNoise(mean, cov)


class FittedGaussianNoise(GaussianNoise):
    r"""Gaussian noise fitted to data: the sample mean and (inflated) covariance.

    Parameters
    ----------
    data : array_like, shape (n, d) or (n,)
        Data; a 1-D array is one-dimensional data. A dask array takes one pass over its
        row blocks (per-block means and scatter, merged on the host); the mean and
        covariance are then NumPy.
    inflate : float
        Factor on the covariance (``> 1`` gives heavier coverage of the tails, which keeps the
        importance weights :math:`\tilde p / q` bounded when the model is wider than the data).
    ridge : float
        Added to the diagonal of the covariance, relative to its mean variance.

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.optimize import FittedGaussianNoise
    >>> x = np.random.default_rng(0).normal(3.0, 2.0, size=(5000, 1))
    >>> q = FittedGaussianNoise(x)
    >>> round(float(q.mean[0]), 1), round(float(q.cov[0, 0]), 1)
    (3.0, 4.0)
    """

    def __init__(self, data, inflate=1.0, ridge=1e-6):
        xp = array_namespace(data)
        lazy = backend_for(xp).host_parameters   # dask: one chunked pass, NumPy moments
        data = as_float_array(data, xp, name="data", allow_float32=False, finite=not lazy)
        if data.ndim == 1:
            data = data[:, None]
        if data.ndim != 2 or not data.shape[0] >= 2:
            raise ValueError(f"`data` must have shape (n, d) with n >= 2, got {tuple(data.shape)}")
        if not (inflate > 0 and ridge >= 0):
            raise ValueError(f"`inflate` must be > 0 and `ridge` >= 0, got {inflate!r}, {ridge!r}")
        n, d = data.shape
        if lazy:
            xp, mean, cov = _host_moments(data)
        else:
            mean = xp.mean(data, axis=0)
            r = data - mean[None, :]
            cov = (r.T @ r) / (n - 1)
        scale = float(xp.sum(_diagonal(xp, cov))) / d
        cov = inflate * cov + (ridge * max(scale, 1e-300)) * xp.eye(d, dtype=cov.dtype)
        super().__init__(mean, cov)


def _moments_block(xb, *, offset):
    """Row count, non-finite count, mean and centred scatter of one row block."""
    d = xb.shape[1]
    out = np.zeros(2 + d + d * d)
    out[0] = xb.shape[0]
    out[1] = np.count_nonzero(~np.isfinite(xb))
    if xb.shape[0] and not out[1]:
        mean = xb.mean(axis=0)
        r = xb - mean
        out[2:2 + d] = mean
        out[2 + d:] = (r.T @ r).ravel()
    return out


def _host_moments(data):
    """``(numpy namespace, mean, cov)`` of a dask ``(n, d)`` array in one pass: per row
    block its mean and centred scatter, merged on the host (Chan et al.'s pairwise update,
    no cancellation)."""
    from .._backend_dask import row_reduce

    n, d = data.shape
    table = row_reduce(_moments_block, data, width=2 + d + d * d)
    if table[:, 1].sum():
        raise ValueError("`data` must contain only finite values (found NaN or inf)")
    counts, means = table[:, 0], table[:, 2:2 + d]
    mean = counts @ means / n
    dev = means - mean
    scatter = table[:, 2 + d:].sum(axis=0).reshape(d, d) + (counts[:, None] * dev).T @ dev
    return array_namespace(mean), mean, scatter / (n - 1)


def _solve_lower(xp, L, B):
    """Solve ``L X = B`` for lower-triangular ``L`` by forward substitution on rows."""
    d = L.shape[0]
    if d == 1:
        return B / L[0, 0]
    return backend_for(xp).kernel("optimize.solve_lower")(xp, L, B)


def _solve_lower_lapack(xp, L, B):
    """LAPACK's triangular solve (SciPy for NumPy, cupyx for CuPy)."""
    return backend_for(xp).solve_triangular(L, B, lower=True)


def _solve_lower_rows(xp, L, B):
    """Forward substitution on rows (any trailing shape of ``B``; the generic path)."""
    d = L.shape[0]
    rows = []
    for i in range(d):
        acc = B[i, ...]
        for j in range(i):
            acc = acc - L[i, j] * rows[j]
        rows.append(acc / L[i, i])
    return xp.stack(rows, axis=0)


def _diagonal(xp, a):
    return xp.linalg.diagonal(a) if hasattr(xp.linalg, "diagonal") else xp.diagonal(a)
