"""Numba kernels of the von Mises-Fisher tools (NumPy backend).

Each kernel has exactly one compiled signature (float64, C-contiguous), cached on disk.
The data kernels allow only re-association and contraction (``_SUM_FLAGS``) so that their
row sums vectorize (about 1.7x faster on the fit); NaN and inf keep IEEE semantics.
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = ["perron_tail", "resultant_rows", "assemble_samples", "rowwise_cos_minus_one"]

_SUM_FLAGS = {"reassoc", "contract"}
_CF_MAX_TERMS = 2000
_CF_TOL = 1.1102230246251565e-16  # 2**-53


@numba.vectorize(["float64(float64, float64)"], cache=True)
def perron_tail(v, x):
    """``f`` with ``I_v(x)/I_{v-1}(x) = x/(x+f)`` and ``1 - I_v/I_{v-1} = f/(x+f)``.

    Perron's continued fraction (Gautschi and Slavik 1978), evaluated with the
    modified Lentz algorithm::

        f = 2v + a_1/(b_1 + a_2/(b_2 + ...)),  a_k = -(2v+2k-1) x,  b_k = 2(v+x) + k.

    Valid for ``v >= 1`` and finite ``x >= 0``; NaN elsewhere. ``f`` lies in
    ``(v - 1/2, 2v]`` so both the ratio and its complement keep full relative accuracy.
    """
    if not (v >= 1.0) or not (x >= 0.0) or math.isinf(x):
        return math.nan
    if x == 0.0:
        return 2.0 * v
    tiny = 1e-300
    f = 2.0 * v
    c = f
    d = 0.0
    two_vx = 2.0 * (v + x)
    for k in range(1, _CF_MAX_TERMS + 1):
        a = -(2.0 * v + 2.0 * k - 1.0) * x
        b = two_vx + k
        d = b + a * d
        if d == 0.0:
            d = tiny
        c = b + a / c
        if c == 0.0:
            c = tiny
        d = 1.0 / d
        delta = c * d
        f *= delta
        if abs(delta - 1.0) <= _CF_TOL:
            break
    return f


@numba.njit(cache=True, fastmath=_SUM_FLAGS)
def resultant_rows(x, coef):
    """Row norms of ``x`` and ``sum_i coef_i x_i / ||x_i||`` in one pass over ``x``.

    Returns ``(r, norms)``; a zero or non-finite row gets norm 0 or NaN and is skipped
    in the sum (the caller raises on it).
    """
    n, p = x.shape
    r = np.zeros(p)
    norms = np.empty(n)
    for i in range(n):
        s = 0.0
        for j in range(p):
            s += x[i, j] * x[i, j]
        nrm = math.sqrt(s)
        norms[i] = nrm
        if not (nrm > 0.0) or math.isinf(nrm):
            continue
        c = coef[i] / nrm
        for j in range(p):
            r[j] += c * x[i, j]
    return r, norms


@numba.njit(cache=True, nogil=True, fastmath=_SUM_FLAGS)
def rowwise_cos_minus_one(x, mu):
    """``t_i = mu . x_i / ||x_i|| - 1`` and ``||x_i||`` for every row ``i`` of ``x``.

    ``t_i = -||x_i/||x_i|| - mu||^2 / 2`` for a unit ``mu``: no cancellation as
    ``x_i -> mu``, and an error in ``||x_i||`` changes ``t_i`` only relatively. A zero row
    gets NaN.
    """
    n, p = x.shape
    out = np.empty(n)
    norms = np.empty(n)
    for i in range(n):
        s = 0.0
        for j in range(p):
            s += x[i, j] * x[i, j]
        nrm = math.sqrt(s)
        norms[i] = nrm
        if not nrm > 0.0:
            out[i] = math.nan
            continue
        inv = 1.0 / nrm
        d = 0.0
        for j in range(p):
            e = x[i, j] * inv - mu[j]
            d += e * e
        out[i] = -0.5 * d
    return out, norms


@numba.njit(cache=True, nogil=True, fastmath=_SUM_FLAGS)
def assemble_samples(g, mu, w, s):
    """In place: row ``g_i`` becomes ``w_i mu + s_i (g_i - (g_i.mu) mu)/||g_i - (g_i.mu) mu||``.

    ``g`` holds standard normal rows, ``mu`` is a unit vector, ``s_i = sqrt(1 - w_i**2)``.
    O(p) work and no allocation per row.
    """
    n, p = g.shape
    for i in range(n):
        d = 0.0
        for j in range(p):
            d += g[i, j] * mu[j]
        ss = 0.0
        for j in range(p):
            t = g[i, j] - d * mu[j]
            g[i, j] = t
            ss += t * t
        scale = s[i] / math.sqrt(ss) if ss > 0.0 else 0.0
        wi = w[i]
        for j in range(p):
            g[i, j] = wi * mu[j] + scale * g[i, j]
    return g
