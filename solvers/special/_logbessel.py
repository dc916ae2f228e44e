"""Public log-Bessel functions: ``log_iv``, ``log_kv``, ``iv_ratio``.

Dispatch (the backend layer's kernel registry, entries in ``_register``): NumPy
inputs go to the region-sorted, vectorized Numba kernels (``_logbessel_sorted``; special
points to the scalar reference kernels of ``_logbessel_numba``), CuPy inputs to a CuPy
``ElementwiseKernel`` (``_logbessel_cupy``, imported lazily), dask arrays to the NumPy
kernels chunk by chunk, anything else to the generic array-API path
(``_logbessel_generic``). float32 inputs take the ``special.<name>_float32`` kernels:
computed in float64, rounded once to float32 (on NumPy without float64 copies of the
inputs).
"""

from __future__ import annotations

import numpy as np

from .._array_api import array_namespace
from .._backend import backend_for

__all__ = ["log_iv", "log_kv", "iv_ratio"]


def _validate(v, x):
    """Common namespace, working arrays broadcast together, single-precision flag.

    The working arrays are float64, except in single precision (every genuine array input
    float32; Python scalars do not promote): there the float32 arrays are passed on as they
    are (Python scalars as float64), for the ``<name>_float32`` kernels.
    """
    xp = array_namespace(v, x)
    arrays = []
    from_array = []
    for name, a in (("v", v), ("x", x)):
        from_array.append(hasattr(a, "dtype"))
        if not hasattr(a, "dtype") or isinstance(a, np.generic):
            try:
                a = xp.asarray(a)
            except (TypeError, ValueError) as exc:
                raise TypeError(
                    f"`{name}` must be real array-like, got {type(a).__name__}") from exc
        if not xp.isdtype(a.dtype, ("bool", "integral", "real floating")):
            raise TypeError(f"`{name}` must be real (integer or floating), got dtype {a.dtype}")
        arrays.append(a)
    single = any(from_array) and all(
        a.dtype == xp.float32 for a, f in zip(arrays, from_array) if f)
    arrays = [a if a.dtype == xp.float64 or (single and f) else xp.astype(a, xp.float64)
              for a, f in zip(arrays, from_array)]
    try:
        v, x = xp.broadcast_arrays(*arrays)
    except ValueError as exc:
        raise ValueError(f"`v` and `x` cannot be broadcast together: shapes "
                         f"{tuple(arrays[0].shape)} and {tuple(arrays[1].shape)}") from exc
    return xp, v, x, single


def _dispatch(name, v, x, **kwargs):
    """The backend's kernel ``special.<name>`` (float64 in and out), or in single precision
    ``special.<name>_float32`` (float32 out: the NumPy kernel reads the float32 inputs as
    they are and computes in float64; other backends convert to float64 and back,
    ``_float32_via_float64``)."""
    xp, v, x, single = _validate(v, x)
    kernel = backend_for(xp).kernel(f"special.{name}_float32" if single else f"special.{name}")
    return kernel(xp, v, x, **kwargs)


def _float32_via_float64(name, xp, v, x, **kwargs):
    """The ``generic=`` entry of ``special.<name>_float32``: the namespace's float64 kernel
    on float64 copies of the inputs, rounded to float32."""
    kernel = backend_for(xp).kernel(f"special.{name}")
    out = kernel(xp, xp.astype(v, xp.float64), xp.astype(x, xp.float64), **kwargs)
    return xp.astype(out, xp.float32)


def log_iv(v, x):
    r"""Natural logarithm of the modified Bessel function of the first kind, log I_v(x).

    Computed directly in the log domain, so it neither overflows (SciPy's
    ``iv(0, 1e3)`` is ``inf``) nor underflows (``ive(1000, 10)`` is ``0``): the
    result is finite wherever log I_v(x) is.

    Parameters
    ----------
    v : array_like
        Order (real). Broadcast against `x` like a ufunc.
    x : array_like
        Argument, ``x >= 0``.

    Returns
    -------
    out : array
        log I_v(x), of the inputs' array library and device. float64 for
        float64 or integer inputs, float32 when the array inputs are float32
        (computed in float64 internally from the float32 values, rounded once).

    Notes
    -----
    Domain rules (ufunc style, no exceptions):

    - ``x = 0``: 0 for ``v = 0``, ``-inf`` for ``v > 0`` and negative integer v;
      for negative non-integer v, I_v(x) -> +-inf with the sign of Gamma(1 + v):
      ``+inf`` where that is positive, NaN otherwise.
    - ``v < 0``: ``I_{-n} = I_n`` for integer n; otherwise
      ``I_{-v} = I_v + (2/pi) sin(v pi) K_v`` (DLMF 10.27.2), and NaN where that
      value is negative (its log is not real).
    - ``x < 0``, NaN in either input or infinite `v`: NaN. ``x = +inf``: ``+inf``.

    Algorithm: the region table of Plesner, Sorensen and Hauberg (2024) —
    Hankel's large-argument expansion with 3 or 20 terms, the uniform (Debye)
    large-order expansion with 4, 6, 9 or 13 terms, the power series otherwise
    — with tighter guards on the large-argument branches
    (``v**2 < 0.002 x`` and ``v**2 < 2 x``), everything in the log domain. The
    Debye polynomials are generated in exact rational arithmetic by
    ``solvers/special/_generate_debye.py``. Near x/v = 0.66274..., where
    eta(x/v) of the Debye expansion vanishes and ``v*eta`` is a difference of
    large terms, eta comes from its Taylor series about that zero with x/v
    carried in double-double, so the result stays accurate for large orders
    there (the plain formula loses ~eps*v absolutely). Error against mpmath
    (50 digits): ``|err| / max(1, |log I|) <= 5e-14`` on v in [0, 1e5],
    x in [1e-10, 1e6] (see ``tests/special``).

    References
    ----------
    A. Plesner, H. H. B. Sorensen, S. Hauberg, "Accurate computation of the
    logarithm of modified Bessel functions on GPUs", ICS 2024, arXiv:2409.08729.
    NIST DLMF 10.25.2, 10.40.1, 10.41.3.

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.special import log_iv
    >>> log_iv(0.0, np.array([1.0, 1e3, 1e5]))   # I_0(1e5) overflows in float64
    array([2.35914359e-01, 9.95627309e+02, 9.99933246e+04])
    >>> float(log_iv(1000.0, 10.0))               # ive(1000, 10) underflows
    -4302.66529...
    >>> float(log_iv(-2.0, 3.0)) == float(log_iv(2.0, 3.0))
    True
    """
    return _dispatch("log_iv", v, x)


def log_kv(v, x):
    r"""Natural logarithm of the modified Bessel function of the second kind, log K_v(x).

    Parameters
    ----------
    v : array_like
        Order (real; ``K_{-v} = K_v``). Broadcast against `x` like a ufunc.
    x : array_like
        Argument, ``x >= 0``.

    Returns
    -------
    out : array
        log K_v(x), of the inputs' array library and device; float64, or
        float32 for float32 inputs (computed in float64).

    Notes
    -----
    Domain rules: ``x = 0`` gives ``+inf``; ``x = +inf`` gives ``-inf``;
    ``x < 0``, NaN or infinite `v` give NaN; negative orders use
    ``K_{-v} = K_v``.

    Algorithm: the same region table as :func:`log_iv` with the K forms of
    the Hankel and Debye expansions; in the small-order, small-argument region
    (v <= 12.7, x <= 30) Temme's series (x <= 2) or Steed's continued
    fraction (x > 2) give log K_mu and K_{mu+1}/K_mu for ``|mu| <= 1/2``, and the
    forward recurrence, run on x^i K_{mu+i}/K_mu, reaches order v without
    forming K itself (so ``x = 1e-300`` does not overflow). The Temme
    coefficients come from the Taylor series of 1/Gamma(1 + mu), free of
    cancellation. Error against mpmath: ``|err| / max(1, |log K|) <= 5e-14``
    on v in [0, 1e5], x in [1e-10, 1e6].

    References
    ----------
    N. M. Temme, "On the numerical evaluation of the modified Bessel function
    of the third kind", J. Comput. Phys. 19 (1975). A. Plesner et al., ICS 2024.

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.special import log_kv
    >>> log_kv(0.5, np.array([1.0, 1e3]))   # closed form 0.5*log(pi/(2x)) - x
    array([-7.74208647e-01, -1.00322809e+03])
    >>> float(log_kv(2.0, 1e-300))          # K_2(1e-300) overflows in float64
    1382.24420...
    """
    return _dispatch("log_kv", v, x)


def iv_ratio(v, x, *, complement=False):
    r"""Ratio of modified Bessel functions I_v(x) / I_{v-1}(x) (or one minus it).

    For the von Mises-Fisher distribution on the sphere S^{p-1}, the mean
    resultant length is ``A_p(kappa) = iv_ratio(p/2, kappa)``.

    Parameters
    ----------
    v : array_like
        Order, ``v >= 1/2``. Broadcast against `x` like a ufunc.
    x : array_like
        Argument, ``x >= 0``.
    complement : bool, optional
        If True return ``1 - I_v(x)/I_{v-1}(x)``, computed without
        cancellation (accurate as the ratio approaches 1, i.e. for x >> v)
        for ``v >= 0.6`` (relative error ~1e-16; ``v = 1/2`` is exact). For
        ``1/2 < v < 0.6`` and large x it loses relative accuracy like
        ``eps / (2v - 1)`` (the continued fraction's leading terms cancel;
        e.g. 1.4e-14 at v = 0.51).

    Returns
    -------
    out : array
        The ratio (in [0, 1)), of the inputs' array library and device;
        float64, or float32 for float32 inputs.

    Notes
    -----
    Domain rules: ``x = 0`` gives 0 (complement 1); ``x = +inf`` gives 1
    (complement 0); ``v < 1/2``, ``x < 0`` or NaN give NaN.

    Algorithm: Perron's continued fraction, rescaled by a power of two and
    summed in series form (Gautschi and Slavik 1978) with Kahan compensation,
    to relative accuracy ~1e-16 (at most 1000 terms, usually < 50); ``v = 1/2``
    uses ``tanh``. It never forms ``exp(log_iv - log_iv)``, which would lose
    up to 1e-11 relative accuracy at large orders.

    References
    ----------
    W. Gautschi, J. Slavik, "On the computation of modified Bessel function
    ratios", Math. Comp. 32 (1978) 865-875.

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.special import iv_ratio
    >>> iv_ratio(0.5, np.array([0.0, 1.0]))          # I_{1/2}/I_{-1/2} = tanh
    array([0.        , 0.76159416])
    >>> float(iv_ratio(1024.0, 1.0))                 # vMF A_p for p = 2048, kappa = 1
    0.000488281...
    >>> float(iv_ratio(1.5, 1e8, complement=True))   # 1 - A_3(1e8) ~ 1/kappa
    1e-08
    """
    if not isinstance(complement, (bool, np.bool_)):
        raise TypeError(f"`complement` must be a bool, got {type(complement).__name__}")
    return _dispatch("iv_ratio", v, x, complement=bool(complement))
