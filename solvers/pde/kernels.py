"""One-dimensional stationary kernels with analytic derivatives, for GP collocation.

Every kernel is written in the signed lag ``tau = x - y`` and returns the matrix of
``d^dx/dx^dx d^dy/dy^dy k(x_i, y_j)`` for ``dx, dy`` in ``{0, 1, 2}``. Because
``k(x, y) = kappa(x - y)``, that matrix is ``(-1)**dy * kappa^(dx+dy)(tau)``; the
derivatives of ``kappa`` are written analytically (Leibniz rule for envelope x cosine,
Hermite polynomials for the Gaussian envelope, a polynomial recursion for the Matérn
envelope), never by differentiating ``|tau|``.

Kernels
-------
SpectralMixture
    ``k = sum_q w_q exp(-2 pi^2 s_q^2 tau^2) cos(2 pi mu_q tau)`` (Gaussian-mixture spectrum).
StudentTMixture
    ``k = sum_q w_q Matern_nu(tau; l_q = 1/(2 pi s_q)) cos(2 pi mu_q tau)`` (Student-t mixture
    spectrum with ``2 nu`` degrees of freedom).
RBF
    ``k = sigma^2 exp(-tau^2 / (2 l^2))``.
Matern
    ``k = sigma^2 Matern_nu(tau; l)``, ``nu`` in ``{1/2, 3/2, 5/2}``.
Chebyshev
    ``k = sum_{m=0}^{degree} T_m(t(x)) T_m(t(y))`` on an interval (a polynomial Mercer kernel,
    not stationary): on its ``degree + 1`` Chebyshev–Gauss–Lobatto nodes the GP mean is the
    polynomial interpolant, so GP collocation with it is Chebyshev spectral collocation.

All parameters are held in an unconstrained vector (``params``; ``with_params`` builds
a new kernel from one): ``[log w_1..Q, log s_1..Q, mu_1..Q]`` for the mixtures,
``[log sigma^2, log l]`` for RBF and Matern.
"""

from __future__ import annotations

import math

import numpy as np

from .._array_api import array_namespace, from_numpy, to_numpy

__all__ = ["SpectralMixture", "StudentTMixture", "RBF", "Matern", "Chebyshev"]

_NU_VALUES = (0.5, 1.5, 2.5)
# Matérn-nu envelope as P(z) exp(-z), z = a|tau|, a = sqrt(2 nu) / l: coefficients of P.
_MATERN_POLY = {0.5: [1.0], 1.5: [1.0, 1.0], 2.5: [1.0, 1.0, 1.0 / 3.0]}


def _matern_derivative_polys(nu, max_order=4):
    """Coefficients of P_k with d^k/dz^k [P_0(z) e^{-z}] = P_k(z) e^{-z}, k = 0..max_order."""
    polys = [np.array(_MATERN_POLY[nu])]
    for _ in range(max_order):
        p = polys[-1]
        dp = np.array([i * p[i] for i in range(1, len(p))] + [0.0])  # P' padded to len(p)
        polys.append(dp - p)
    return polys


def _poly_eval(xp, coeffs, z):
    out = xp.zeros_like(z) + float(coeffs[-1])
    for c in coeffs[-2::-1]:
        out = out * z + float(c)
    return out


def _check_nu(nu):
    try:
        nu = float(nu)
    except (TypeError, ValueError):
        raise TypeError(f"`nu` must be one of 1/2, 3/2, 5/2, got {nu!r}") from None
    if nu not in _NU_VALUES:
        raise ValueError(f"`nu` must be one of 1/2, 3/2, 5/2, got {nu!r}")
    return nu


def _as_param(value, name, *, positive):
    a = to_numpy(value) if hasattr(value, "shape") else np.asarray(value)
    if a.dtype.kind not in "biuf":
        raise TypeError(f"`{name}` must be real numbers, got dtype {a.dtype}")
    a = np.atleast_1d(np.asarray(a, dtype=np.float64))
    if a.ndim != 1:
        raise ValueError(f"`{name}` must be 1-D (one value per component), got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"`{name}` must be finite, got {a}")
    if positive and np.any(a <= 0):
        raise ValueError(f"`{name}` must be positive, got {a}")
    return a


def _check_points(x, name):
    if x.ndim != 1:
        raise ValueError(f"`{name}` must be a 1-D array of coordinates, got shape {tuple(x.shape)}")
    return x


class _MixtureKernel:
    """Sum of (envelope x cosine) components; the envelope is fixed by the subclass."""

    _nu = None  # None: Gaussian envelope; else Matérn-nu

    def __init__(self, weights, means, scales):
        w = _as_param(weights, "weights", positive=True)
        mu = _as_param(means, "means", positive=False)
        s = _as_param(scales, "scales", positive=True)
        if not (w.shape == mu.shape == s.shape):
            raise ValueError(
                "`weights`, `means` and `scales` must have the same length, got "
                f"{w.shape[0]}, {mu.shape[0]}, {s.shape[0]}")
        self._w, self._mu, self._s = w, np.abs(mu), s
        self._device_cache = {}

    # ------------------------------------------------------------------ parameters
    @property
    def weights(self):
        """Component weights ``w_q`` (NumPy array, shape ``(Q,)``)."""
        return self._w.copy()

    @property
    def means(self):
        """Component frequencies ``mu_q`` in cycles per unit length (shape ``(Q,)``)."""
        return self._mu.copy()

    @property
    def scales(self):
        """Component spectral widths ``s_q`` in cycles per unit length (shape ``(Q,)``)."""
        return self._s.copy()

    @property
    def n_components(self):
        """Number of mixture components ``Q``."""
        return self._w.shape[0]

    @property
    def variance(self):
        """``k(0) = sum_q w_q``."""
        return float(np.sum(self._w))

    @property
    def max_frequency(self):
        """Largest component frequency ``max_q mu_q + s_q`` (cycles per unit length)."""
        return float(np.max(self._mu + self._s))

    @property
    def params(self):
        """Unconstrained parameter vector ``[log w, log s, mu]`` (NumPy, shape ``(3Q,)``)."""
        return np.concatenate([np.log(self._w), np.log(self._s), self._mu])

    def with_params(self, params):
        """Return a kernel of the same kind built from an unconstrained vector (see ``params``)."""
        p = _as_param(params, "params", positive=False)
        q = self.n_components
        if p.shape[0] != 3 * q:
            raise ValueError(f"`params` must have length {3 * q}, got {p.shape[0]}")
        return self._from_mixture(np.exp(p[:q]), p[2 * q:], np.exp(p[q:2 * q]))

    def _from_mixture(self, w, mu, s):
        return type(self)(w, mu, s)

    def __repr__(self):
        return (f"{type(self).__name__}(n_components={self.n_components}, "
                f"max_frequency={self.max_frequency:.4g})")

    # ------------------------------------------------------------------ evaluation
    def _params_on(self, xp, like):
        key = (id(xp), str(getattr(like, "device", "cpu")))
        cached = self._device_cache.get(key)
        if cached is None:
            cached = tuple(from_numpy(a, xp, like=like) for a in (self._w, self._mu, self._s))
            self._device_cache = {key: cached}
        return cached

    def _envelope_derivatives(self, xp, tau, s_q, order):
        """``[G, G', ..., G^(order)]`` of one component's envelope at the lags ``tau``."""
        if self._nu is None:
            c = 2.0 * math.pi ** 2 * s_q * s_q
            G = xp.exp(-c * tau * tau)
            out = [G]
            t = tau
            if order >= 1:
                out.append(-2.0 * c * t * G)
            if order >= 2:
                out.append((4.0 * c * c * t * t - 2.0 * c) * G)
            if order >= 3:
                out.append((-8.0 * c ** 3 * t ** 3 + 12.0 * c * c * t) * G)
            if order >= 4:
                out.append((16.0 * c ** 4 * t ** 4 - 48.0 * c ** 3 * t * t + 12.0 * c * c) * G)
            return out
        a = math.sqrt(2.0 * self._nu) * 2.0 * math.pi * s_q
        z = a * xp.abs(tau)
        E = xp.exp(-z)
        sign = xp.sign(tau)
        out = []
        for k, coeffs in enumerate(self._polys[:order + 1]):
            term = _poly_eval(xp, coeffs, z) * E
            if k:
                term = term * a ** k
            if k % 2:
                term = term * sign
            out.append(term)
        return out

    @property
    def max_derivative_order(self):
        """Largest total order ``dx + dy`` for which the kernel is differentiable (4 here)."""
        if self._nu is None:
            return 4
        return int(round(2 * self._nu - 1))

    def __call__(self, x, y=None, dx=0, dy=0):
        """Kernel matrix ``d^dx_x d^dy_y k(x_i, y_j)``.

        Parameters
        ----------
        x : array, shape (m,)
            First coordinates (any array-API library).
        y : array, shape (n,), optional
            Second coordinates (defaults to ``x``).
        dx, dy : int in {0, 1, 2}
            Derivative orders in the first and second argument.

        Returns
        -------
        K : array, shape (m, n)
            In the namespace of ``x``, float64.
        """
        xp = array_namespace(x) if y is None else array_namespace(x, y)
        x = _check_points(xp.asarray(x, dtype=xp.float64), "x")
        y = x if y is None else _check_points(xp.asarray(y, dtype=xp.float64), "y")
        for name, d in (("dx", dx), ("dy", dy)):
            if not isinstance(d, (int, np.integer)) or isinstance(d, bool) or not 0 <= d <= 2:
                raise ValueError(f"`{name}` must be 0, 1 or 2, got {d!r}")
        n = int(dx) + int(dy)
        if n > self.max_derivative_order:
            raise ValueError(
                f"{type(self).__name__} with nu={self._nu} is differentiable to total order "
                f"{self.max_derivative_order} only; got dx={dx}, dy={dy}")
        tau = x[:, None] - y[None, :]
        w, mu, s = self._params_on(xp, x)
        K = None
        binom = [math.comb(n, k) for k in range(n + 1)]
        for q in range(self.n_components):
            G = self._envelope_derivatives(xp, tau, s[q], n)
            if bool(self._mu[q] == 0.0):
                term = G[n]
            else:
                m = 2.0 * math.pi * mu[q]
                C, S = xp.cos(m * tau), xp.sin(m * tau)
                # d^j/dtau^j cos(m tau) = m^j [cos, -sin, -cos, sin][j % 4]
                trig = (C, -S, -C, S)
                term = None
                for k in range(n + 1):
                    j = n - k
                    piece = G[k] * trig[j % 4]
                    coef = binom[k] * m ** j if j else float(binom[k])
                    piece = piece * coef
                    term = piece if term is None else term + piece
            term = w[q] * term
            K = term if K is None else K + term
        if dy % 2:
            K = -K
        return K

    def spectral_density(self, freqs):
        """Two-sided spectral density ``S(f)`` at frequencies ``freqs`` (cycles per unit length).

        ``k(tau) = int S(f) exp(2 pi i f tau) df``. NumPy in, NumPy out (for plots).
        """
        f = np.asarray(to_numpy(freqs), dtype=np.float64)[..., None]
        w, mu, s = self._w, self._mu, self._s
        if self._nu is None:
            def dens(c):
                return np.exp(-0.5 * ((f - c) / s) ** 2) / (math.sqrt(2 * math.pi) * s)
        else:
            dof = 2.0 * self._nu
            norm = math.gamma((dof + 1) / 2) / (math.gamma(dof / 2) * math.sqrt(dof * math.pi))

            def dens(c):
                return norm / s * (1 + ((f - c) / s) ** 2 / dof) ** (-(dof + 1) / 2)
        return np.sum(0.5 * w * (dens(mu) + dens(-mu)), axis=-1)


class SpectralMixture(_MixtureKernel):
    r"""Spectral-mixture kernel (Gaussian-mixture spectral density), GP-HM-GM.

    .. math:: k(\tau) = \sum_{q=1}^Q w_q \exp(-2\pi^2 s_q^2 \tau^2) \cos(2\pi\mu_q\tau)

    Parameters
    ----------
    weights : array_like, shape (Q,)
        Positive weights ``w_q``.
    means : array_like, shape (Q,)
        Frequencies ``mu_q`` in cycles per unit length (the sign is irrelevant; stored as ``|mu|``).
    scales : array_like, shape (Q,)
        Positive spectral standard deviations ``s_q`` (cycles per unit length); the
        component's length scale is ``1 / (2 pi s_q)``.

    Notes
    -----
    The spectral density is ``sum_q w_q [N(f; mu_q, s_q^2) + N(f; -mu_q, s_q^2)] / 2``
    (Wilson and Adams, 2013). The parameters map one to one onto
    ``gpytorch.kernels.SpectralMixtureKernel`` with one input dimension:
    ``mixture_weights = weights``, ``mixture_means = means``, ``mixture_scales = scales``.
    The GP-HM reference code's ``SE_Cos_1d`` with parameters ``(lw, ls, freq)`` is
    ``weights = exp(lw)``, ``means = freq``, ``scales = sqrt(exp(ls) / (2 pi^2))``.

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.pde.kernels import SpectralMixture
    >>> k = SpectralMixture([1.0], [2.0], [0.5])
    >>> x = np.array([0.0, 0.25])
    >>> np.round(k(x), 4)
    array([[ 1.    , -0.7346],
           [-0.7346,  1.    ]])
    >>> k(x, dx=1).shape
    (2, 2)
    """


class StudentTMixture(_MixtureKernel):
    r"""Student-t-mixture kernel (Matérn envelope times cosine), GP-HM-StM.

    .. math:: k(\tau) = \sum_{q=1}^Q w_q\, \mathrm{Matern}_\nu(\tau; \ell_q) \cos(2\pi\mu_q\tau),
              \qquad \ell_q = \frac{1}{2\pi s_q}

    Parameters
    ----------
    weights, means, scales : array_like, shape (Q,)
        As for :class:`SpectralMixture`; ``s_q`` is the scale of the Student-t spectral
        component (``2 nu`` degrees of freedom) in cycles per unit length.
    nu : {0.5, 1.5, 2.5}
        Smoothness of the Matérn envelope (the reference code uses 5/2). Derivatives of
        total order ``dx + dy`` up to ``2 nu - 1`` exist.

    Notes
    -----
    ``Matern_nu(tau; l) = P(a|tau|) exp(-a|tau|)`` with ``a = sqrt(2 nu) / l`` and
    ``P = 1, 1 + z, 1 + z + z^2/3`` for ``nu = 1/2, 3/2, 5/2``. The reference code's
    ``Matern52_Cos_1d`` with ``(lw, ls, freq)`` is ``weights = exp(lw)``,
    ``means = freq``, ``scales = exp(ls) / (2 pi)``, ``nu = 5/2``.

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.pde.kernels import StudentTMixture
    >>> k = StudentTMixture([0.5, 0.5], [0.0, 3.0], [0.2, 0.2])
    >>> x = np.linspace(0, 1, 3)
    >>> K2 = k(x, dx=2)
    >>> bool(np.allclose(K2, K2.T))
    True
    """

    def __init__(self, weights, means, scales, nu=2.5):
        super().__init__(weights, means, scales)
        self._nu = _check_nu(nu)
        self._polys = _matern_derivative_polys(self._nu)

    @property
    def nu(self):
        """Matérn smoothness ``nu``."""
        return self._nu

    def _from_mixture(self, w, mu, s):
        return type(self)(w, mu, s, nu=self._nu)


class RBF(SpectralMixture):
    r"""Squared-exponential kernel ``k = sigma^2 exp(-tau^2 / (2 l^2))``.

    Parameters
    ----------
    lengthscale : float
        ``l > 0``.
    variance : float
        ``sigma^2 > 0``.

    Notes
    -----
    A one-component :class:`SpectralMixture` with ``mu = 0`` and ``s = 1/(2 pi l)``.
    ``params`` is ``[log sigma^2, log l]``.

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.pde.kernels import RBF
    >>> k = RBF(lengthscale=0.5)
    >>> float(k(np.array([0.0]), np.array([0.5]))[0, 0])  # exp(-1/2)
    0.6065...
    >>> k.params
    array([ 0.        , -0.69314718])
    """

    def __init__(self, lengthscale=1.0, variance=1.0):
        ell = _as_param(lengthscale, "lengthscale", positive=True)
        var = _as_param(variance, "variance", positive=True)
        if ell.shape != (1,) or var.shape != (1,):
            raise ValueError("`lengthscale` and `variance` must be scalars")
        super().__init__(var, [0.0], 1.0 / (2 * math.pi * ell))

    @property
    def lengthscale(self):
        """Length scale ``l``."""
        return float(1.0 / (2 * math.pi * self._s[0]))

    @property
    def params(self):
        """``[log sigma^2, log l]``."""
        return np.array([math.log(self._w[0]), math.log(self.lengthscale)])

    def with_params(self, params):
        """Kernel from ``[log sigma^2, log l]``."""
        p = _as_param(params, "params", positive=False)
        if p.shape != (2,):
            raise ValueError(f"`params` must have length 2, got {p.shape[0]}")
        return self._from_scalar(math.exp(p[1]), math.exp(p[0]))

    def _from_scalar(self, ell, var):
        return type(self)(lengthscale=ell, variance=var)

    def __repr__(self):
        return (f"{type(self).__name__}(lengthscale={self.lengthscale:.4g}, "
                f"variance={self.variance:.4g})")


class Matern(StudentTMixture):
    r"""Matérn kernel ``k = sigma^2 Matern_nu(tau; l)``, ``nu`` in ``{1/2, 3/2, 5/2}``.

    Parameters
    ----------
    lengthscale : float
        ``l > 0``.
    nu : {0.5, 1.5, 2.5}
        Smoothness.
    variance : float
        ``sigma^2 > 0``.

    Notes
    -----
    A one-component :class:`StudentTMixture` with ``mu = 0``; ``params`` is
    ``[log sigma^2, log l]``.

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.pde.kernels import Matern
    >>> k = Matern(lengthscale=1.0, nu=1.5)
    >>> float(k(np.array([0.0]), np.array([1.0]))[0, 0])  # (1 + sqrt3) exp(-sqrt3)
    0.4833...
    """

    def __init__(self, lengthscale=1.0, nu=2.5, variance=1.0):
        ell = _as_param(lengthscale, "lengthscale", positive=True)
        var = _as_param(variance, "variance", positive=True)
        if ell.shape != (1,) or var.shape != (1,):
            raise ValueError("`lengthscale` and `variance` must be scalars")
        super().__init__(var, [0.0], 1.0 / (2 * math.pi * ell), nu=nu)

    lengthscale = RBF.lengthscale
    params = RBF.params
    with_params = RBF.with_params
    __repr__ = RBF.__repr__

    def _from_scalar(self, ell, var):
        return type(self)(lengthscale=ell, nu=self._nu, variance=var)



class Chebyshev:
    r"""Polynomial (Chebyshev) Mercer kernel on an interval.

    ``k(x, y) = sum_{m=0}^{degree} T_m(t(x)) T_m(t(y))`` with ``t`` the affine map of
    ``interval`` onto ``[-1, 1]``. A GP with this prior is a random polynomial of degree
    ``degree``; conditioned on its values at the ``degree + 1`` Chebyshev–Gauss–Lobatto (CGL)
    nodes of the interval, its mean is the interpolating polynomial and its derivative
    matrices ``K^(r) K^{-1}`` are Chebyshev spectral differentiation matrices. The collocation
    solver therefore uses their stable closed forms (``solvers/pde/_chebyshev.py``) instead of
    inverting ``K``, whose condition grows like ``2^degree`` on other nodes.

    Parameters
    ----------
    degree : int
        Polynomial degree (the kernel has rank ``degree + 1``).
    interval : (float, float)
        ``(a, b)`` with ``a < b``.

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.pde.kernels import Chebyshev
    >>> from solvers.pde._chebyshev import cgl_nodes, differentiation_matrices
    >>> k = Chebyshev(8, (0.0, 1.0))
    >>> x = cgl_nodes(0.0, 1.0, 9)
    >>> D2 = k(x, x, dx=2) @ np.linalg.inv(k(x))      # the GP's K'' K^{-1}
    >>> bool(np.allclose(D2, differentiation_matrices(0.0, 1.0, 9)[2], atol=1e-7))
    True
    """

    n_components = 1
    max_derivative_order = 4

    def __init__(self, degree, interval):
        import numbers
        if not isinstance(degree, numbers.Integral) or isinstance(degree, bool) or degree < 1:
            raise ValueError(f"`degree` must be an integer >= 1, got {degree!r}")
        try:
            a, b = (float(v) for v in interval)
        except (TypeError, ValueError):
            raise ValueError(f"`interval` must be a pair (a, b), got {interval!r}") from None
        if not (math.isfinite(a) and math.isfinite(b) and a < b):
            raise ValueError(f"`interval` must be finite with a < b, got {interval!r}")
        self.degree = int(degree)
        self.interval = (a, b)

    @property
    def variance(self):
        """``max_x k(x, x) = degree + 1`` (at the interval's ends)."""
        return float(self.degree + 1)

    @property
    def params(self):
        """No learnable parameters: the GP mean on the CGL nodes does not depend on any."""
        return np.zeros(0)

    def __repr__(self):
        return f"Chebyshev(degree={self.degree}, interval={self.interval})"

    def _basis(self, x, order):
        """``T_m^(order)(t(x))`` for ``m = 0..degree`` in x-units, shape ``(len(x), degree+1)``."""
        a, b = self.interval
        t = (2.0 * x - (a + b)) / (b - a)
        n = self.degree + 1
        T = [np.zeros((t.shape[0], n)) for _ in range(order + 1)]
        T[0][:, 0] = 1.0
        if n > 1:
            T[0][:, 1] = t
            if order >= 1:
                T[1][:, 1] = 1.0
        for m in range(1, n - 1):  # T_{m+1} = 2 t T_m - T_{m-1}, differentiated
            for r in range(order + 1):
                v = 2.0 * t * T[r][:, m] - T[r][:, m - 1]
                if r:
                    v = v + 2.0 * r * T[r - 1][:, m]
                T[r][:, m + 1] = v
        return T[order] * (2.0 / (b - a)) ** order

    def __call__(self, x, y=None, dx=0, dy=0):
        """Kernel matrix ``d^dx_x d^dy_y k(x_i, y_j)`` (host computation, result in x's library)."""
        xp = array_namespace(x) if y is None else array_namespace(x, y)
        xh = np.asarray(to_numpy(x), dtype=np.float64).reshape(-1)
        yh = xh if y is None else np.asarray(to_numpy(y), dtype=np.float64).reshape(-1)
        for name, d in (("dx", dx), ("dy", dy)):
            if not isinstance(d, (int, np.integer)) or isinstance(d, bool) or not 0 <= d <= 2:
                raise ValueError(f"`{name}` must be 0, 1 or 2, got {d!r}")
        K = self._basis(xh, int(dx)) @ self._basis(yh, int(dy)).T
        return from_numpy(K, xp, like=x)
