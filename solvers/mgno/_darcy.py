"""Darcy-flow data sets made with the geometric multigrid solver (no download)."""

from __future__ import annotations

import numbers

import numpy as np
import scipy.fft

from .._grid_shape import validate_grid_shape
from ._multigrid_operator import _check_rng

__all__ = ["darcy_dataset"]


def _gaussian_field(rng, shape, alpha, tau):
    """A Gaussian random field with covariance ``(-Δ + tau^2)^-alpha`` (Neumann, cosine basis)."""
    k2 = np.zeros(shape)
    for axis, n in enumerate(shape):
        k = np.arange(n).reshape([-1 if a == axis else 1 for a in range(len(shape))])
        k2 = k2 + (np.pi * k) ** 2
    amplitude = (k2 + tau ** 2) ** (-alpha / 2)
    amplitude.flat[0] = 0.0  # zero mean: the threshold at 0 splits the domain
    return scipy.fft.idctn(amplitude * rng.standard_normal(shape), norm="ortho")


def darcy_dataset(n, shape, *, contrast=4.0, alpha=2.0, tau=3.0, rtol=1e-10, rng=None):
    r"""Random Darcy-flow problems ``-div(a grad u) = 1`` on the unit square/cube, by multigrid.

    The coefficient is piecewise constant, ``a = contrast`` where a Gaussian random field
    with covariance ``(-Δ + tau^2)^-alpha`` is non-negative and ``a = 1`` elsewhere (the
    setting of the FNO/MgNO Darcy benchmarks, whose values 12 and 3 have contrast 4). Each
    problem is discretized by :func:`diffusion` (node coefficients, harmonic face means,
    zero Dirichlet boundary) and solved by :func:`mg_solve` with CG acceleration.

    Parameters
    ----------
    n : int
        Number of samples.
    shape : int or tuple of int
        Interior grid ``(n_1, ..., n_d)``; sizes ``2**k - 1`` (e.g. 31, 63, 127) coarsen
        fully. The coefficient field is sampled on the grid including the boundary nodes.
    contrast : float
        Ratio of the two coefficient values (> 0).
    alpha, tau : float
        Smoothness and length scale of the random field.
    rtol : float
        Relative residual of the solves.
    rng : None, int or numpy.random.Generator

    Returns
    -------
    a : ndarray, shape ``(n, *shape)``
        The coefficient at the interior nodes (the network input).
    u : ndarray, shape ``(n, *shape)``
        The solutions at the interior nodes.

    Raises
    ------
    RuntimeError
        If a solve does not converge (it names the sample).

    Examples
    --------
    >>> from solvers.mgno import darcy_dataset
    >>> a, u = darcy_dataset(2, (15, 15), rng=0)
    >>> a.shape, u.shape
    ((2, 15, 15), (2, 15, 15))
    >>> bool(u.min() > 0)
    True
    """
    from ..multigrid import diffusion, mg_solve

    if not isinstance(n, numbers.Integral) or n < 1:
        raise ValueError(f"`n` must be a positive integer, got {n!r}")
    shape = validate_grid_shape(shape, "shape")
    if not (isinstance(contrast, numbers.Real) and np.isfinite(contrast) and contrast > 0):
        raise ValueError(f"`contrast` must be a positive number, got {contrast!r}")
    gen = _check_rng(rng)
    full = tuple(s + 2 for s in shape)
    interior = tuple(slice(1, -1) for _ in shape)
    rhs = np.ones(shape)
    a_out = np.empty((n,) + shape)
    u_out = np.empty((n,) + shape)
    for i in range(n):
        field = _gaussian_field(gen, full, alpha, tau)
        a = np.where(field >= 0, float(contrast), 1.0)
        u, info = mg_solve(diffusion(a, location="node"), rhs, accel="cg", rtol=rtol,
                           coarse_size=1)
        if not info.converged:
            raise RuntimeError(f"the multigrid solve of sample {i} did not converge: "
                               f"{info.message}")
        a_out[i] = a[interior]
        u_out[i] = u
    return a_out, u_out
