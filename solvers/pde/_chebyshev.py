"""Chebyshev–Gauss–Lobatto nodes, spectral differentiation and barycentric interpolation.

These are the stable closed forms of the GP collocation matrices ``K^(r) K^{-1}`` and
``k^(r)(x, X) K^{-1}`` for the polynomial kernel :class:`solvers.pde.kernels.Chebyshev` on
its nodes: with ``n`` nodes and ``n`` Chebyshev polynomials the GP mean is the polynomial
interpolant, whatever the kernel's weights, so its derivatives are the spectral ones.

Formulas (computed on the host in float64):

- nodes ``x_k = (a+b)/2 - (b-a)/2 cos(pi k / N)``, ``k = 0..N`` (increasing), written with a
  sine so that they are symmetric to the last bit;
- barycentric weights ``w_k = (-1)^k delta_k`` (``delta = 1/2`` at the ends);
- ``D_ij = (w_j / w_i) / (x_i - x_j)`` with the differences from the trigonometric identity
  ``cos A - cos B = -2 sin((A+B)/2) sin((A-B)/2)`` (no cancellation), the diagonal by the
  negative-sum trick (rows of a differentiation matrix sum to zero);
- ``D2_ij = 2 D_ij (D_ii - 1/(x_i - x_j))`` (Welfert; Weideman & Reddy 2000), same diagonal
  trick;
- interpolation to ``y``: ``B_kj = (w_j / (y_k - x_j)) / sum_i w_i / (y_k - x_i)`` (the
  second barycentric formula, Berrut & Trefethen 2004), and ``d^r u(y) = B D^r U``.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["cgl_nodes", "is_cgl", "differentiation_matrices", "barycentric_matrix",
           "chebyshev_resolves"]

#: Nodes beyond ``pi`` per wavelength that Chebyshev collocation needs before it converges
#: (measured on u'' = f, u = sin(w x): errors below 1e-6 from pi W + 40 nodes, W wavelengths).
RESOLUTION_MARGIN = 40


def _angles(n):
    return np.pi * np.arange(n) / (n - 1)


def cgl_nodes(a, b, n):
    """``n`` Chebyshev–Gauss–Lobatto nodes on ``[a, b]``, increasing, exact end points."""
    n = int(n)
    if n < 2:
        raise ValueError(f"need at least 2 Chebyshev nodes, got {n}")
    k = np.arange(n)
    t = np.sin(np.pi * (2 * k - (n - 1)) / (2 * (n - 1)))  # = -cos(pi k / (n-1)), symmetric
    x = 0.5 * (a + b) + 0.5 * (b - a) * t
    x[0], x[-1] = a, b
    return x


def is_cgl(x):
    """Whether the increasing nodes ``x`` are the CGL nodes of their interval."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1 or x.shape[0] < 3:
        return False
    ref = cgl_nodes(float(x[0]), float(x[-1]), x.shape[0])
    return bool(np.allclose(x, ref, rtol=0.0, atol=1e-12 * (abs(x[-1] - x[0]) + 1.0)))


def _weights(n):
    w = (-1.0) ** np.arange(n)
    w[0] *= 0.5
    w[-1] *= 0.5
    return w


def differentiation_matrices(a, b, n, orders=(1, 2)):
    """``{r: D^(r)}`` for ``r`` in ``orders`` (1 and/or 2) on the ``n`` CGL nodes of ``[a, b]``."""
    th = _angles(n)
    # x_i - x_j on [-1, 1] with x = -cos(theta): 2 sin((th_i + th_j)/2) sin((th_i - th_j)/2)
    diff = 2.0 * np.sin(0.5 * (th[:, None] + th[None, :])) * np.sin(0.5 * (th[:, None]
                                                                          - th[None, :]))
    np.fill_diagonal(diff, 1.0)
    Z = 1.0 / diff
    np.fill_diagonal(Z, 0.0)
    w = _weights(n)
    D = (w[None, :] / w[:, None]) * Z
    np.fill_diagonal(D, 0.0)
    np.fill_diagonal(D, -D.sum(axis=1))
    scale = 2.0 / (b - a)
    out = {}
    if 1 in orders:
        out[1] = D * scale
    if 2 in orders:
        D2 = 2.0 * D * (np.diag(D)[:, None] - Z)
        np.fill_diagonal(D2, 0.0)
        np.fill_diagonal(D2, -D2.sum(axis=1))
        out[2] = D2 * scale * scale
    return out


def barycentric_matrix(y, a, b, n):
    """Interpolation matrix ``B`` (``len(y) x n``) from values on the CGL nodes to ``y``."""
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    x = cgl_nodes(a, b, n)
    w = _weights(n)
    d = y[:, None] - x[None, :]
    hit = d == 0.0
    d[hit] = 1.0
    C = w[None, :] / d
    B = C / C.sum(axis=1, keepdims=True)
    rows = np.flatnonzero(hit.any(axis=1))
    if rows.size:
        B[rows] = hit[rows].astype(np.float64)
    return B


def chebyshev_resolves(n, wavelengths, margin=RESOLUTION_MARGIN):
    """Whether ``n`` CGL nodes resolve ``wavelengths`` wavelengths over the interval.

    Chebyshev collocation needs about ``pi`` nodes per wavelength (its widest spacing, at the
    centre, is ``pi/2`` times the mean) plus ``margin`` nodes before it converges.
    """
    return n >= math.pi * float(wavelengths) + margin
