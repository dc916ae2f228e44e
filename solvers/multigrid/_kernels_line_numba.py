"""Numba kernels for anisotropic problems: zebra line Gauss–Seidel and semi-coarsening transfers.

Same padded 3-D layout as :mod:`._kernels_numba` (problem axes last, one halo node on each
active axis). A line sweep solves, for every grid line of one colour along ``axis``, the
tridiagonal system of the line's own couplings for the correction ``T delta = f - A u`` and
adds ``omega * delta``; lines of one colour do not couple, so the in-place update equals a
simultaneous (block-Jacobi) one and the sweep is the same on every backend.

Tridiagonal factors (Thomas algorithm) are precomputed per line position: ``low`` (the
coupling to the previous node), ``cp`` (the eliminated upper coefficient) and ``inv``
(one over the pivot). They are indexed ``F[i * fm[0], j * fm[1], l * fm[2]]`` so that a
constant stencil stores them along the line axis only.

Semi-coarsening coarsens the axes with ``cm[a] = 1`` (``n -> (n - 1) / 2``, coarse ``I`` on
fine ``2 I``) and keeps the others (coarse ``I`` on fine ``I``); the transfers are d-linear
interpolation and full weighting along the coarsened axes, the identity along the others.
"""

from __future__ import annotations

import numba
import numpy as np

from ._kernels_numba import _row_accumulate

__all__ = ["line_sweep_last", "line_sweep_outer", "restrict_semi", "prolong_add_semi"]

_JIT = dict(cache=True, nogil=True, boundscheck=False)


@numba.njit(**_JIT)
def _line_colour(star, colour, p, q):
    """Whether the line at positions ``p``, ``q`` on the two other axes has ``colour``."""
    if star:
        return ((p + q) & 1) == colour
    return (p & 1) == ((colour >> 1) & 1) and (q & 1) == (colour & 1)


@numba.njit(**_JIT)
def line_sweep_last(coef, off, vary, u, f, lo, hi, colour, star, low, cp, inv, fm, omega):
    """Zebra line sweep, in place, over the lines along the last (contiguous) axis.

    Line ``(i, j)`` has colour ``(i + j) & 1`` (star stencils) or the parity pattern
    ``2 (i & 1) + (j & 1)`` (box stencils).
    """
    acc = np.zeros(u.shape[2], dtype=u.dtype)
    for i in range(lo[0], hi[0]):
        for j in range(lo[1], hi[1]):
            if not _line_colour(star, colour, i, j):
                continue
            acc[lo[2]:hi[2]] = f[i, j, lo[2]:hi[2]]
            _row_accumulate(coef, off, vary, u, i, j, lo[2], hi[2], 1, -1.0, acc)
            prev = 0.0
            for l in range(lo[2], hi[2]):
                prev = (acc[l] - low[i * fm[0], j * fm[1], l * fm[2]] * prev) \
                    * inv[i * fm[0], j * fm[1], l * fm[2]]
                acc[l] = prev
            nxt = 0.0
            urow = u[i, j]
            for l in range(hi[2] - 1, lo[2] - 1, -1):
                nxt = acc[l] - cp[i * fm[0], j * fm[1], l * fm[2]] * nxt
                urow[l] += omega * nxt


@numba.njit(**_JIT)
def line_sweep_outer(coef, off, vary, u, f, lo, hi, axis, colour, star, low, cp, inv, fm,
                     omega):
    """Zebra line sweep, in place, over the lines along ``axis`` (0 or 1).

    The lines of one plane (the other outer axis at ``q``) are solved together, the
    elimination running along ``axis`` and vectorized along the last axis. Line colour as
    in :func:`line_sweep_last`, from the positions on the other outer axis and the last axis.
    """
    other = 1 - axis
    work = np.zeros((u.shape[axis], u.shape[2]), dtype=u.dtype)
    for q in range(lo[other], hi[other]):
        if star:
            start = lo[2] + ((colour + q + lo[2]) & 1)
        else:
            if (q & 1) != ((colour >> 1) & 1):
                continue
            start = lo[2] + (((colour & 1) + lo[2]) & 1)
        for p in range(lo[axis], hi[axis]):
            i, j = (p, q) if axis == 0 else (q, p)
            row = work[p]
            for l in range(start, hi[2], 2):
                row[l] = f[i, j, l]
            _row_accumulate(coef, off, vary, u, i, j, start, hi[2], 2, -1.0, row)
            fi, fj = i * fm[0], j * fm[1]
            if p > lo[axis]:
                prev = work[p - 1]
                for l in range(start, hi[2], 2):
                    row[l] = (row[l] - low[fi, fj, l * fm[2]] * prev[l]) * inv[fi, fj, l * fm[2]]
            else:
                for l in range(start, hi[2], 2):
                    row[l] = row[l] * inv[fi, fj, l * fm[2]]
        for p in range(hi[axis] - 1, lo[axis] - 1, -1):
            i, j = (p, q) if axis == 0 else (q, p)
            row = work[p]
            fi, fj = i * fm[0], j * fm[1]
            if p < hi[axis] - 1:
                nxt = work[p + 1]
                for l in range(start, hi[2], 2):
                    row[l] -= cp[fi, fj, l * fm[2]] * nxt[l]
            urow = u[i, j]
            for l in range(start, hi[2], 2):
                urow[l] += omega * row[l]


@numba.njit(**_JIT)
def restrict_semi(rf, rc, loc, hic, cm, scale):
    """``rc = scale P^T rf`` on the coarse interior, coarsening the axes with ``cm = 1``."""
    s0, s1, s2 = 1 + cm[0], 1 + cm[1], 1 + cm[2]
    for I in range(loc[0], hic[0]):
        for J in range(loc[1], hic[1]):
            crow = rc[I, J]
            for L in range(loc[2], hic[2]):
                crow[L] = 0.0
            for a in range(-cm[0], cm[0] + 1):
                for b in range(-cm[1], cm[1] + 1):
                    w = scale * (0.5 if a != 0 else 1.0) * (0.5 if b != 0 else 1.0)
                    frow = rf[s0 * I + a, s1 * J + b]
                    if cm[2]:
                        for L in range(loc[2], hic[2]):
                            crow[L] += w * (0.5 * frow[2 * L - 1] + frow[2 * L]
                                            + 0.5 * frow[2 * L + 1])
                    else:
                        for L in range(loc[2], hic[2]):
                            crow[L] += w * frow[L]
    return rc


@numba.njit(**_JIT)
def prolong_add_semi(uc, uf, lof, hif, cm):
    """``uf += P uc``: d-linear along the axes with ``cm = 1``, the identity along the others."""
    for i in range(lof[0], hif[0]):
        a0 = i >> cm[0]
        b0 = (i + cm[0]) >> cm[0]
        for j in range(lof[1], hif[1]):
            a1 = j >> cm[1]
            b1 = (j + cm[1]) >> cm[1]
            ua, ub = uc[a0], uc[b0]
            frow = uf[i, j]
            if cm[2]:
                for l in range(lof[2], hif[2]):
                    a2 = l >> 1
                    b2 = (l + 1) >> 1
                    frow[l] += 0.125 * (ua[a1, a2] + ua[a1, b2] + ua[b1, a2] + ua[b1, b2]
                                        + ub[a1, a2] + ub[a1, b2] + ub[b1, a2] + ub[b1, b2])
            else:
                for l in range(lof[2], hif[2]):
                    frow[l] += 0.25 * (ua[a1, l] + ua[b1, l] + ub[a1, l] + ub[b1, l])
