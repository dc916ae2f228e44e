"""Exponential-family unnormalized models, log p~(x; theta) = theta . T(x) - A0(x)."""

from __future__ import annotations

import math

from .._array_api import array_namespace, as_float_array, to_numpy
from ._compositional_common import logsumexp

__all__ = ["ExponentialFamily"]


class ExponentialFamily:
    r"""Unnormalized exponential-family model :math:`\log\tilde p(x;\theta) = \theta^\top T(x) -
    A_0(x)`.

    The gradient in :math:`\theta` is :math:`T(x)`, so fitting needs no automatic
    differentiation. Pass the instance as the model of
    :func:`~solvers.optimize.fit_unnormalized` (``fit_unnormalized(model, None, theta0, ...)``)
    or its two methods as the pair of callables.

    Parameters
    ----------
    statistic : callable
        ``statistic(x) -> (n, p)``: the sufficient statistics of the rows of ``x`` (``(n, d)``).
    base_energy : callable, optional
        ``base_energy(x) -> (n,)``: :math:`A_0`; zero when omitted.
    dim : int, optional
        Dimension ``d`` of the data (checked against the data when given).

    Examples
    --------
    The location family of :math:`N(\theta, 1)`:

    >>> import numpy as np
    >>> from solvers.optimize import ExponentialFamily
    >>> model = ExponentialFamily.gaussian_location(dim=1)
    >>> theta = np.array([2.0])
    >>> float(model.log_normalizer_grid(theta, [(-10.0, 14.0)], num=401))  # log sqrt(2 pi) + 2
    2.9189...
    """

    def __init__(self, statistic, base_energy=None, *, dim=None):
        if not callable(statistic):
            raise TypeError(f"`statistic` must be callable, got {type(statistic).__name__}")
        if base_energy is not None and not callable(base_energy):
            raise TypeError(f"`base_energy` must be callable or None, "
                            f"got {type(base_energy).__name__}")
        if dim is not None and (not isinstance(dim, int) or dim < 1):
            raise ValueError(f"`dim` must be a positive integer or None, got {dim!r}")
        self.statistic = statistic
        self.base_energy = base_energy
        self.dim = dim

    def __repr__(self):
        return f"ExponentialFamily(dim={self.dim})"

    def log_p_tilde(self, x, theta):
        """Unnormalized log density at the rows of ``x``, shape ``(n,)``."""
        out = self.statistic(x) @ theta
        if self.base_energy is not None:
            out = out - self.base_energy(x)
        return out

    def grad_log_p_tilde(self, x, theta):
        """Gradient in ``theta`` at the rows of ``x``: ``T(x)``, shape ``(n, p)``."""
        return self.statistic(x)

    def log_normalizer_grid(self, theta, bounds, num=201):
        r""":math:`\log Z(\theta)` by the rectangle rule on a tensor grid (``d <= 3``).

        Accurate when the density is negligible outside ``bounds`` (a list of ``(low, high)``
        per dimension); the rule is then spectrally accurate for smooth densities.
        """
        xp = array_namespace(theta)
        grid = self.grid(bounds, num, xp)
        lp = self.log_p_tilde(grid, theta)
        cell = math.prod((hi - lo) / (num - 1) for lo, hi in bounds)
        return logsumexp(xp, lp) + math.log(cell)

    def nll_grid(self, theta, data, bounds, num=201):
        r"""Exact negative log-likelihood :math:`-\overline{\log\tilde p(x)} + \log Z(\theta)`
        of the rows of ``data``, with :math:`Z` by :meth:`log_normalizer_grid` (a float)."""
        xp = array_namespace(theta, data)
        return (float(-xp.mean(self.log_p_tilde(data, theta)))
                + float(self.log_normalizer_grid(theta, bounds, num)))

    def mle_grid(self, data, bounds, num=201, theta0=None, gtol=1e-9):
        r"""Reference maximum-likelihood estimate by deterministic optimization of the exact NLL.

        SciPy's ``trust-exact`` Newton method (on the host, in NumPy) on :meth:`nll_grid` with
        its exact gradient :math:`\mathbb{E}_{p_\theta}[T] - \overline{T(x)}` and Hessian
        :math:`\mathrm{Cov}_{p_\theta}[T]` (expectations by the same grid; the NLL is convex).
        Meant as the reference of tests and benchmarks in ``d <= 3``.

        Returns
        -------
        res : scipy.optimize.OptimizeResult
            From :func:`scipy.optimize.minimize`; ``res.x`` is the NumPy MLE, ``res.fun`` the
            NLL.
        """
        import numpy as np
        from scipy.optimize import minimize

        data = np.asarray(to_numpy(data), dtype=float)
        if data.ndim == 1:
            data = data[:, None]
        grid = to_numpy(self.grid(bounds, num))
        t_data = np.asarray(to_numpy(self.statistic(data))).mean(axis=0)
        t_grid = np.asarray(to_numpy(self.statistic(grid)))
        base = 0.0 if self.base_energy is None else np.asarray(to_numpy(self.base_energy(grid)))
        base_data = (0.0 if self.base_energy is None
                     else float(np.mean(to_numpy(self.base_energy(data)))))
        log_cell = math.log(math.prod((hi - lo) / (num - 1) for lo, hi in bounds))

        def moments(theta):
            lp = t_grid @ theta - base
            m = lp.max()
            w = np.exp(lp - m)
            log_z = m + math.log(w.sum()) + log_cell
            w /= w.sum()
            mean = w @ t_grid
            return log_z, w, mean

        def fun_and_grad(theta):
            log_z, _, mean = moments(theta)
            return -(t_data @ theta - base_data) + log_z, mean - t_data

        def hess(theta):  # the covariance of T under p_theta: the NLL is convex
            _, w, mean = moments(theta)
            r = t_grid - mean
            return (w[:, None] * r).T @ r

        x0 = np.zeros(t_grid.shape[1]) if theta0 is None else np.asarray(to_numpy(theta0), float)
        return minimize(fun_and_grad, x0, jac=True, hess=hess, method="trust-exact",
                        options={"gtol": gtol, "maxiter": 500})

    def grid(self, bounds, num, xp=None):
        """The ``num ** d`` points of the tensor grid over ``bounds``, shape ``(num ** d, d)``."""
        d = len(bounds)
        if self.dim is not None and d != self.dim:
            raise ValueError(f"`bounds` must have {self.dim} (low, high) pairs, got {d}")
        if not 1 <= d <= 3:
            raise ValueError(f"grid quadrature supports 1 to 3 dimensions, got {d}")
        if xp is None:
            from array_api_compat import numpy as xp
        axes = [xp.linspace(float(lo), float(hi), num, dtype=xp.float64) for lo, hi in bounds]
        mesh = xp.meshgrid(*axes, indexing="ij")
        return xp.stack([xp.reshape(m, (-1,)) for m in mesh], axis=1)

    @classmethod
    def gaussian_location(cls, dim=1, scale=1.0):
        r"""The family :math:`N(\theta, \text{scale}^2 I)`: :math:`T(x) = x/s^2`,
        :math:`A_0(x) = \|x\|^2/(2 s^2)`."""
        s2 = float(scale) ** 2
        if not s2 > 0:
            raise ValueError(f"`scale` must be positive, got {scale!r}")
        return cls(lambda x: x / s2,
                   lambda x: _array_sum_sq(x) / (2.0 * s2), dim=dim)

    @classmethod
    def rbf(cls, centers, width, base_scale):
        r"""Energy on fixed Gaussian radial basis features with a Gaussian base measure.

        :math:`T_k(x) = \exp(-\|x - c_k\|^2 / (2 w^2))`, :math:`A_0(x) = \|x\|^2 / (2 s^2)`:
        the features are bounded, so the model is normalizable for every :math:`\theta`.

        Parameters
        ----------
        centers : array_like, shape (p, d)
            RBF centres (their array library is the one the model computes in).
        width : float
            RBF width :math:`w`.
        base_scale : float
            Scale :math:`s` of the Gaussian base measure.
        """
        xp = array_namespace(centers)
        centers = as_float_array(centers, xp, name="centers", finite=True)
        if centers.ndim != 2:
            raise ValueError(f"`centers` must have shape (p, d), got {tuple(centers.shape)}")
        if not (width > 0 and base_scale > 0):
            raise ValueError(f"`width` and `base_scale` must be positive, got {width!r}, "
                             f"{base_scale!r}")
        inv2w2 = 1.0 / (2.0 * float(width) ** 2)
        inv2s2 = 1.0 / (2.0 * float(base_scale) ** 2)
        c_sq = _array_sum_sq(centers)

        def statistic(x):
            d2 = _array_sum_sq(x)[:, None] - 2.0 * (x @ centers.T) + c_sq[None, :]
            return xp.exp(-inv2w2 * d2)

        return cls(statistic, lambda x: inv2s2 * _array_sum_sq(x), dim=int(centers.shape[1]))


def _array_sum_sq(x):
    xp = array_namespace(x)
    return xp.sum(x * x, axis=1)
