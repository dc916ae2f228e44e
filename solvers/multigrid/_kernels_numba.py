"""Numba kernels (serial, except the large-grid colour sweep) for stencils, smoothers and transfers.

Every array here is a *padded* 3-D grid: a 1-, 2- or 3-D problem is embedded in three
dimensions, the problem's axes last; each active axis carries one halo node on either side
(the Dirichlet boundary, always zero) and an inactive axis has length 1 and no halo.
``lo`` and ``hi`` (int64 arrays of length 3) bound the interior, ``hi`` exclusive.

Stencils are lists of offsets ``off`` (int64, shape ``(K, 3)``) with coefficients
``coef`` of shape ``(K, P0, P1, P2)`` (varying, on the padded grid) or ``(K, 1, 1, 1)``
(constant; ``vary = 0`` folds every index to 0). A coarse node ``I`` sits on the fine
node ``2 I`` (padded indices), on every axis, active or not.

Prolongation of a node ``i`` averages the coarse nodes ``i >> 1`` and ``(i + 1) >> 1`` on
each axis (the two coincide on even ``i``), which is d-linear interpolation without
branches; full weighting is its transpose divided by ``2**d``.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["apply_stencil", "jacobi_sweep", "colour_sweep", "colour_sweep_parallel", "restrict_full_weighting",
           "residual_restrict", "prolong_add_linear", "prolong_add", "restrict_weighted",
           "galerkin_product"]

_JIT = dict(cache=True, nogil=True, boundscheck=False)


@numba.njit(**_JIT)
def _row_accumulate(coef, off, vary, u, i, j, start, stop, step, sign, acc):
    """``acc[l] += sign (A u)[i, j, l]`` for ``l`` in ``range(start, stop, step)``, ``step`` 1 or 2.

    The offset loop is outside the row loop, so the inner loop is an axpy along the row
    (the contiguous step-1 loop is kept separate so that it vectorizes).
    """
    for k in range(off.shape[0]):
        urow = u[i + off[k, 0], j + off[k, 1]]
        o = off[k, 2]
        if vary:
            crow = coef[k, i, j]
            if step == 1:
                for l in range(start, stop):
                    acc[l] += sign * crow[l] * urow[l + o]
            else:
                for l in range(start, stop, 2):
                    acc[l] += sign * crow[l] * urow[l + o]
        else:
            c = sign * coef[k, 0, 0, 0]
            if step == 1:
                for l in range(start, stop):
                    acc[l] += c * urow[l + o]
            else:
                for l in range(start, stop, 2):
                    acc[l] += c * urow[l + o]


@numba.njit(**_JIT)
def apply_stencil(coef, off, vary, u, f, out, lo, hi, residual):
    """``out = A u`` (``residual`` false) or ``out = f - A u`` on the interior."""
    for i in range(lo[0], hi[0]):
        for j in range(lo[1], hi[1]):
            orow = out[i, j]
            if residual:
                orow[lo[2]:hi[2]] = f[i, j, lo[2]:hi[2]]
            else:
                orow[lo[2]:hi[2]] = 0.0
            _row_accumulate(coef, off, vary, u, i, j, lo[2], hi[2], 1,
                            -1.0 if residual else 1.0, orow)


@numba.njit(**_JIT)
def jacobi_sweep(coef, off, kdiag, vary, u, f, out, lo, hi, omega):
    """``out = u + omega D^{-1} (f - A u)`` on the interior (``out`` is not ``u``)."""
    for i in range(lo[0], hi[0]):
        for j in range(lo[1], hi[1]):
            orow, urow = out[i, j], u[i, j]
            orow[lo[2]:hi[2]] = f[i, j, lo[2]:hi[2]]
            _row_accumulate(coef, off, vary, u, i, j, lo[2], hi[2], 1, -1.0, orow)
            if vary:
                drow = coef[kdiag, i, j]
                for l in range(lo[2], hi[2]):
                    orow[l] = urow[l] + omega * orow[l] / drow[l]
            else:
                w = omega / coef[kdiag, 0, 0, 0]
                for l in range(lo[2], hi[2]):
                    orow[l] = urow[l] + w * orow[l]


@numba.njit(**_JIT)
def _colour_rows(coef, off, kdiag, vary, u, f, lo, hi, colour, star, omega, i, j, acc):
    """Update the nodes of one colour on grid row ``(i, j)`` (see :func:`colour_sweep`)."""
    b1 = (colour >> 1) & 1
    b2 = colour & 1
    if not star and (j & 1) != b1:
        return
    if star:
        start = lo[2] + ((colour + i + j + lo[2]) & 1)
    else:
        start = lo[2] + ((b2 + lo[2]) & 1)
    urow, frow = u[i, j], f[i, j]
    for l in range(start, hi[2], 2):
        acc[l] = frow[l]
    _row_accumulate(coef, off, vary, u, i, j, start, hi[2], 2, -1.0, acc)
    if vary:
        drow = coef[kdiag, i, j]
        for l in range(start, hi[2], 2):
            urow[l] += omega * acc[l] / drow[l]
    else:
        w = omega / coef[kdiag, 0, 0, 0]
        for l in range(start, hi[2], 2):
            urow[l] += w * acc[l]


@numba.njit(**_JIT)
def colour_sweep(coef, off, kdiag, vary, u, f, lo, hi, colour, star, omega):
    """Gauss–Seidel (SOR with ``omega``) update, in place, of the nodes of one colour.

    ``star`` true: two colours, ``(i + j + l) % 2 == colour`` (red-black). Otherwise
    ``2**3`` colours, bit ``a`` of ``colour`` giving the parity on axis ``a`` (inactive
    axes have index 0 and bit 0). Nodes of one colour do not couple, so the in-place
    update equals a simultaneous one.
    """
    acc = np.empty(u.shape[2], dtype=u.dtype)
    b0 = (colour >> 2) & 1
    for i in range(lo[0], hi[0]):
        if not star and (i & 1) != b0:
            continue
        for j in range(lo[1], hi[1]):
            _colour_rows(coef, off, kdiag, vary, u, f, lo, hi, colour, star, omega, i, j, acc)


@numba.njit(cache=True, nogil=True, boundscheck=False, parallel=True)
def colour_sweep_parallel(coef, off, kdiag, vary, u, f, lo, hi, colour, star, omega):
    """:func:`colour_sweep` with the rows of each plane shared among threads.

    Nodes of one colour do not couple, so the result is identical to the serial sweep.
    Used on grids of at least 4096 padded nodes (``_backends``); measured on an idle 2-core machine,
    a full 2-D 1023² Poisson solve went from 0.166 s to 0.109 s and a 3-D 127³ one from
    0.42 s to 0.31 s; on small coarse grids the thread start-up would dominate.
    """
    b0 = (colour >> 2) & 1
    for i in range(lo[0], hi[0]):
        if not star and (i & 1) != b0:
            continue
        for j in numba.prange(lo[1], hi[1]):
            acc = np.empty(u.shape[2], dtype=u.dtype)
            _colour_rows(coef, off, kdiag, vary, u, f, lo, hi, colour, star, omega, i, j, acc)


@numba.njit(**_JIT)
def restrict_full_weighting(rf, rc, loc, hic, act):
    """Full weighting ``rc = 2**-d P^T rf`` on the coarse interior (``act``: active axes).

    Row by row: each coarse row collects the ``[1/2, 1, 1/2]``-weighted fine rows around it,
    each reduced along the (always active) last axis by ``[1/2, 1, 1/2]``.
    """
    scale = 1.0 / (2 ** (act[0] + act[1] + act[2]))
    for I in range(loc[0], hic[0]):
        for J in range(loc[1], hic[1]):
            crow = rc[I, J]
            for L in range(loc[2], hic[2]):
                crow[L] = 0.0
            for a in range(-act[0], act[0] + 1):
                for b in range(-act[1], act[1] + 1):
                    w = scale * (0.5 if a != 0 else 1.0) * (0.5 if b != 0 else 1.0)
                    frow = rf[2 * I + a, 2 * J + b]
                    for L in range(loc[2], hic[2]):
                        crow[L] += w * (0.5 * frow[2 * L - 1] + frow[2 * L]
                                        + 0.5 * frow[2 * L + 1])


@numba.njit(**_JIT)
def residual_restrict(coef, off, vary, u, f, rc, lo, hi, hic, act):
    """``rc = 2**-d P^T (f - A u)`` without storing the fine residual.

    Each fine residual row is computed once, reduced along the last axis by
    ``[1/2, 1, 1/2]`` and added to the (one or two per axis) coarse rows it belongs to;
    ``rc`` must be zero on entry. Saves the fine residual array and one pass over it.
    """
    scale = 1.0 / (2 ** (act[0] + act[1] + act[2]))
    acc = np.empty(u.shape[2], dtype=u.dtype)
    red = np.empty(rc.shape[2], dtype=rc.dtype)
    for i in range(lo[0], hi[0]):
        for j in range(lo[1], hi[1]):
            acc[lo[2]:hi[2]] = f[i, j, lo[2]:hi[2]]
            _row_accumulate(coef, off, vary, u, i, j, lo[2], hi[2], 1, -1.0, acc)
            for L in range(1, hic[2]):
                red[L] = 0.5 * acc[2 * L - 1] + acc[2 * L] + 0.5 * acc[2 * L + 1]
            # fine index i lies on coarse i/2 (even) or between (i-1)/2 and (i+1)/2 (odd)
            i0, ni = i >> 1, 1 + (i & 1)
            j0, nj = j >> 1, 1 + (j & 1)
            for I in range(i0, i0 + ni):
                if act[0] and (I == 0 or I == hic[0]):
                    continue
                for J in range(j0, j0 + nj):
                    if act[1] and (J == 0 or J == hic[1]):
                        continue
                    w = scale / (ni * nj)
                    crow = rc[I, J]
                    for L in range(1, hic[2]):
                        crow[L] += w * red[L]


@numba.njit(**_JIT)
def prolong_add_linear(uc, uf, lof, hif):
    """``uf += P uc`` with d-linear interpolation (:func:`prolong_add` with ``W = 1/8``,
    kept separate because it is twice as fast)."""
    for i in range(lof[0], hif[0]):
        a0 = i >> 1
        b0 = (i + 1) >> 1
        for j in range(lof[1], hif[1]):
            a1 = j >> 1
            b1 = (j + 1) >> 1
            for l in range(lof[2], hif[2]):
                a2 = l >> 1
                b2 = (l + 1) >> 1
                s = (uc[a0, a1, a2] + uc[a0, a1, b2] + uc[a0, b1, a2] + uc[a0, b1, b2]
                     + uc[b0, a1, a2] + uc[b0, a1, b2] + uc[b0, b1, a2] + uc[b0, b1, b2])
                uf[i, j, l] += 0.125 * s


@numba.njit(**_JIT)
def prolong_add(uc, uf, W, wvary, lof, hif):
    """``uf += P uc`` on the fine interior, ``P`` given by per-node corner weights ``W``.

    ``W[c, i, j, l]`` weighs the coarse corner ``c = 4 b0 + 2 b1 + b2`` of fine node
    ``(i, j, l)``: on each axis bit 0 is the coarse node ``i >> 1``, bit 1 ``(i + 1) >> 1``.
    d-linear interpolation is ``W = 1/8`` with ``wvary = 0`` (``W`` of shape ``(8, 1, 1, 1)``).
    """
    for i in range(lof[0], hif[0]):
        a0 = i >> 1
        b0 = (i + 1) >> 1
        wi = i * wvary
        for j in range(lof[1], hif[1]):
            a1 = j >> 1
            b1 = (j + 1) >> 1
            wj = j * wvary
            for l in range(lof[2], hif[2]):
                a2 = l >> 1
                b2 = (l + 1) >> 1
                wl = l * wvary
                uf[i, j, l] += (W[0, wi, wj, wl] * uc[a0, a1, a2]
                                + W[1, wi, wj, wl] * uc[a0, a1, b2]
                                + W[2, wi, wj, wl] * uc[a0, b1, a2]
                                + W[3, wi, wj, wl] * uc[a0, b1, b2]
                                + W[4, wi, wj, wl] * uc[b0, a1, a2]
                                + W[5, wi, wj, wl] * uc[b0, a1, b2]
                                + W[6, wi, wj, wl] * uc[b0, b1, a2]
                                + W[7, wi, wj, wl] * uc[b0, b1, b2])


@numba.njit(**_JIT)
def _corner_matches(delta, bit):
    """Fine node ``2 I + delta`` has coarse node ``I`` as its corner ``bit`` on that axis."""
    return delta == 0 or (delta == -1 and bit == 1) or (delta == 1 and bit == 0)


@numba.njit(**_JIT)
def _restriction_weight(W, wvary, i0, i1, i2, a, b, c, scale):
    """Weight of fine node ``2 I + (a, b, c)`` in ``R = scale P^T`` at coarse node ``I``."""
    w = 0.0
    for corner in range(8):
        if (_corner_matches(a, (corner >> 2) & 1) and _corner_matches(b, (corner >> 1) & 1)
                and _corner_matches(c, corner & 1)):
            w += W[corner, i0 * wvary, i1 * wvary, i2 * wvary]
    return scale * w


@numba.njit(**_JIT)
def restrict_weighted(rf, rc, W, lof, hif, scale):
    """``rc += scale P^T rf`` for the corner weights ``W``, scattered from the fine nodes.

    Coarse halo nodes receive contributions too: the caller zeroes the halo afterwards.
    """
    for i in range(lof[0], hif[0]):
        a0 = i >> 1
        b0 = (i + 1) >> 1
        for j in range(lof[1], hif[1]):
            a1 = j >> 1
            b1 = (j + 1) >> 1
            for l in range(lof[2], hif[2]):
                a2 = l >> 1
                b2 = (l + 1) >> 1
                v = scale * rf[i, j, l]
                rc[a0, a1, a2] += W[0, i, j, l] * v
                rc[a0, a1, b2] += W[1, i, j, l] * v
                rc[a0, b1, a2] += W[2, i, j, l] * v
                rc[a0, b1, b2] += W[3, i, j, l] * v
                rc[b0, a1, a2] += W[4, i, j, l] * v
                rc[b0, a1, b2] += W[5, i, j, l] * v
                rc[b0, b1, a2] += W[6, i, j, l] * v
                rc[b0, b1, b2] += W[7, i, j, l] * v


@numba.njit(**_JIT)
def galerkin_product(coef, off, vary, W, wvary, pf, act, out, loc, hic, pc):
    """Coefficients of ``R A P`` on the coarse grid, ``R = 2**-d P^T``.

    ``P`` is given by corner weights ``W`` as in :func:`prolong_add`
    (``wvary = 0`` and ``W`` of shape ``(8, 1, 1, 1)`` filled with 1/8: d-linear).
    ``out`` has shape ``(27, *pc)`` and is accumulated into; row
    ``9 (O0 + 1) + 3 (O1 + 1) + (O2 + 1)`` holds the coupling to the coarse offset ``O``.
    ``pf`` / ``pc`` are the padded fine / coarse shapes.
    """
    K = off.shape[0]
    scale = 1.0 / (2 ** (act[0] + act[1] + act[2]))
    for I0 in range(loc[0], hic[0]):
        for I1 in range(loc[1], hic[1]):
            for I2 in range(loc[2], hic[2]):
                for a in range(-act[0], act[0] + 1):
                    i0 = 2 * I0 + a
                    for b in range(-act[1], act[1] + 1):
                        i1 = 2 * I1 + b
                        for c in range(-act[2], act[2] + 1):
                            i2 = 2 * I2 + c
                            w = _restriction_weight(W, wvary, i0, i1, i2, a, b, c, scale)
                            for k in range(K):
                                j0 = i0 + off[k, 0]
                                j1 = i1 + off[k, 1]
                                j2 = i2 + off[k, 2]
                                if act[0] and (j0 == 0 or j0 == pf[0] - 1):
                                    continue
                                if act[1] and (j1 == 0 or j1 == pf[1] - 1):
                                    continue
                                if act[2] and (j2 == 0 or j2 == pf[2] - 1):
                                    continue
                                v = w * coef[k, i0 * vary, i1 * vary, i2 * vary]
                                for corner in range(8):
                                    J0 = (j0 + ((corner >> 2) & 1)) >> 1
                                    J1 = (j1 + ((corner >> 1) & 1)) >> 1
                                    J2 = (j2 + (corner & 1)) >> 1
                                    if act[0] and (J0 == 0 or J0 == pc[0] - 1):
                                        continue
                                    if act[1] and (J1 == 0 or J1 == pc[1] - 1):
                                        continue
                                    if act[2] and (J2 == 0 or J2 == pc[2] - 1):
                                        continue
                                    row = 9 * (J0 - I0 + 1) + 3 * (J1 - I1 + 1) + (J2 - I2 + 1)
                                    pw = W[corner, j0 * wvary, j1 * wvary, j2 * wvary]
                                    out[row, I0, I1, I2] += v * pw

