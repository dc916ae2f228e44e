"""Kernel initialization for GP collocation: spectral peaks of the data, or a uniform spread."""

from __future__ import annotations

import math

import numpy as np

from .._array_api import to_numpy
from .kernels import SpectralMixture, StudentTMixture

__all__ = ["fft_init", "uniform_init", "data_wavelengths", "KERNELS"]

KERNELS = {"spectral_mixture": SpectralMixture, "student_t_mixture": StudentTMixture}


def _make(kernel, weights, means, scales):
    cls = KERNELS[kernel]
    return cls(np.asarray(weights), np.asarray(means), np.asarray(scales))


def uniform_init(kernel, n_components, frequency_scale):
    """The GP-HM reference initialization for one axis.

    ``Q`` frequencies ``linspace(0, F, Q)``, weights ``1/Q`` and the reference's
    ``log-ls = 0`` (an inverse length scale of 1: ``s = 1/(pi sqrt 2)`` for the spectral
    mixture, ``s = 1/(2 pi)`` for the Student-t mixture).
    """
    q = int(n_components)
    means = np.linspace(0.0, float(frequency_scale), q)
    s = 1.0 / (math.pi * math.sqrt(2.0)) if kernel == "spectral_mixture" else 1.0 / (2 * math.pi)
    return _make(kernel, np.full(q, 1.0 / q), means, np.full(q, s))


def _dtft_power(x, Y, w, f):
    """``sum_cols |sum_x w(x) Y(x, col) exp(-2 pi i f x)|^2``."""
    phase = 2 * np.pi * f * x
    return float(np.sum(((w * np.cos(phase)) @ Y) ** 2) + np.sum(((w * np.sin(phase)) @ Y) ** 2))


def _ls_energy(x, Y, f):
    """Energy of the least-squares projection of the columns of ``Y`` on cos/sin at ``f``."""
    B = np.stack([np.cos(2 * np.pi * f * x), np.sin(2 * np.pi * f * x)], axis=1)
    Q, _ = np.linalg.qr(B)
    return float(np.sum((Q.T @ Y) ** 2))


def _golden_max(fun, a, b, iters=40):
    g = (math.sqrt(5.0) - 1.0) / 2.0
    c, d = b - g * (b - a), a + g * (b - a)
    fc, fd = fun(c), fun(d)
    for _ in range(iters):
        if fc > fd:
            b, d, fd = d, c, fc
            c = b - g * (b - a)
            fc = fun(c)
        else:
            a, c, fc = c, d, fd
            d = a + g * (b - a)
            fd = fun(d)
    return 0.5 * (a + b)


def extract_tones(x, Y, max_tones, *, rel_tol=1e-10, pad=8):
    """Greedy sinusoid extraction (CLEAN): the frequencies that explain the columns of ``Y``.

    Each step takes the peak of the Hann-windowed, zero-padded periodogram (summed over
    the columns), refines it by golden-section search of the windowed DTFT power, fits a
    cosine and a sine of that frequency to every column by least squares and subtracts them.
    Stops after ``max_tones``, when the residual energy is below ``rel_tol`` of the start, or
    when a tone's power is below ``rel_tol`` times the first one's.

    Returns
    -------
    freqs, powers : ndarray
        Frequencies (cycles per unit of ``x``) and mean squared amplitudes per column.
    """
    x = np.asarray(x, dtype=np.float64)
    Y = np.array(Y, dtype=np.float64).reshape(x.shape[0], -1)
    n = x.shape[0]
    length = x[-1] - x[0]
    h = length / (n - 1)
    w = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / (n - 1))
    n_fft = pad * n
    fgrid = np.fft.rfftfreq(n_fft, d=h)
    total = float(np.sum(Y * Y))
    freqs, powers = [], []
    if total == 0.0:
        return np.array(freqs), np.array(powers)
    resid = Y.copy()
    for _ in range(max_tones):
        spec = np.sum(np.abs(np.fft.rfft(w[:, None] * resid, n=n_fft, axis=0)) ** 2, axis=1)
        k = int(np.argmax(spec))
        df = fgrid[1]
        lo, hi = max(fgrid[k] - df, 0.0), fgrid[k] + df
        f = _golden_max(lambda t: _dtft_power(x, resid, w, t), lo, hi)
        # the window biases the peak when a tone has few cycles; the least-squares fit of
        # one sinusoid is unbiased for a pure tone: polish the frequency on its energy
        f = _golden_max(lambda t: _ls_energy(x, resid, t), max(f - 0.5 * df, 0.0), f + 0.5 * df)
        if f < 0.25 / length:
            f = 0.0
        B = np.stack([np.cos(2 * np.pi * f * x), np.sin(2 * np.pi * f * x)], axis=1)
        if f == 0.0:
            B = B[:, :1]
        Q, R = np.linalg.qr(B)
        proj = Q.T @ resid
        coef = np.linalg.solve(R, proj)
        resid = resid - Q @ proj
        power = float(np.sum(coef * coef)) / resid.shape[1]
        freqs.append(f)
        powers.append(power)
        if float(np.sum(resid * resid)) <= rel_tol * total or power <= rel_tol * powers[0]:
            break
    return np.array(freqs), np.array(powers)


def _axis_symbol(operator, axis, f):
    """``|c_0 + sum_r c_(r e_axis) (2 pi i f)^r|``: the operator seen along one axis."""
    val = 0.0 + 0.0j
    for alpha, c in operator.items():
        others = [r for k, r in enumerate(alpha) if k != axis]
        if any(others):
            continue
        val += c * (2j * np.pi * f) ** alpha[axis]
    return abs(val)


def _resonances(operator, axis):
    """Real frequencies where the axis symbol ``c_0 + c_2 (2 pi i f)^2`` vanishes (Helmholtz)."""
    c0 = sum(c for a, c in operator.items() if not any(a))
    c1 = sum(c for a, c in operator.items() if a[axis] == 1 and sum(a) == 1)
    c2 = sum(c for a, c in operator.items() if a[axis] == 2 and sum(a) == 2)
    if c1 == 0.0 and c2 != 0.0 and c0 / c2 > 0.0:
        return np.array([math.sqrt(c0 / c2) / (2 * math.pi)])
    return np.array([])


def _axis_data(A, axis):
    """Columns along ``axis`` of grid-shaped ``A`` (host array, shape ``(n_axis, rest)``)."""
    return np.moveaxis(A, axis, 0).reshape(A.shape[axis], -1)


def _boundary_faces(H, axis):
    """Boundary data along ``axis``: the fibres of ``H`` on faces of the other axes."""
    cols = []
    for k in range(H.ndim):
        if k == axis:
            continue
        for idx in (0, H.shape[k] - 1):
            face = np.take(H, idx, axis=k)  # drops axis k
            ax = axis if axis < k else axis - 1
            cols.append(_axis_data(face, ax))
    return np.concatenate(cols, axis=1) if cols else None


def fft_init(kernel, n_components, grid, operator, source, boundary, *, width=0.1,
             low_width=0.3, low_weight_floor=1e-3, prune=1e-10):
    """Per-axis kernels seeded at the spectral peaks of the source and the boundary data.

    Along each axis: tones of the source (their power divided by the squared operator symbol
    along that axis, an estimate of the solution's power) and of the boundary data on the
    faces of the other axes, and the resonance ``sqrt(c_0 / c_2) / (2 pi)`` of a Helmholtz-type
    axis operator (its homogeneous solutions do not show in the source), at most
    ``n_components - 1`` of them; a low-frequency component
    (``mu = 0``) collects everything below a quarter cycle over the domain. Widths are
    ``width / L`` (``L`` the axis length: the envelope of a component decays over several
    domain lengths), the low-frequency component's ``low_width / L`` (a sequence gives
    several low-frequency components). Weights are the
    estimated powers, normalized to sum to 1, floored at ``low_weight_floor`` for the
    low-frequency component; tones weaker than ``prune`` times the strongest are dropped.
    """
    F = to_numpy(source)
    H = to_numpy(boundary)
    kernels = []
    max_tones = max(int(n_components) - 1, 1)
    for j, x in enumerate(grid.axes):
        xh = to_numpy(x)
        length = float(xh[-1] - xh[0])
        f1, p1 = extract_tones(xh, _axis_data(F, j), max_tones)
        if f1.size:
            sym = np.array([_axis_symbol(operator, j, f) for f in f1])
            floor = _axis_symbol(operator, j, 1.0 / length)
            p1 = p1 / np.maximum(sym, floor) ** 2
        faces = _boundary_faces(H, j)
        if faces is not None:
            f2, p2 = extract_tones(xh, faces, max_tones)
        else:
            f2, p2 = np.array([]), np.array([])
        f3 = _resonances(operator, j)
        freqs = np.concatenate([f1, f2, f3])
        # homogeneous solutions are invisible in the source: give them the strongest weight
        p3 = np.full(f3.shape, max([float(np.max(p1, initial=0.0)),
                                    float(np.max(p2, initial=0.0)), 1e-300]))
        pows = np.concatenate([p1, p2, p3])
        low = float(np.sum(pows[freqs == 0.0])) if freqs.size else 0.0
        keep = freqs > 0.0
        freqs, pows = freqs[keep], pows[keep]
        # merge tones closer than a tenth of the frequency resolution 1/L
        order = np.argsort(-pows)
        means, weights = [], []
        for i in order:
            if any(abs(freqs[i] - m) < 0.1 / length for m in means):
                continue
            if len(means) >= max_tones:
                break
            means.append(freqs[i])
            weights.append(pows[i])
        total = float(np.sum(weights)) + low
        # components far below the strongest one only cost time
        keep = [i for i, wt in enumerate(weights) if wt >= prune * max(weights + [low])]
        means = [means[i] for i in keep]
        weights = [weights[i] for i in keep]
        if total <= 0.0:
            total = 1.0
        weights = [wt / total for wt in weights]
        low_w = max(low / total, low_weight_floor)
        lows = np.atleast_1d(np.asarray(low_width, dtype=float))
        means = [0.0] * lows.size + means
        weights = [low_w / lows.size] * lows.size + weights
        scales = list(lows / length) + [width / length] * (len(means) - lows.size)
        w = np.array(weights)
        kernels.append(_make(kernel, w / w.sum(), means, scales))
    return kernels


def data_wavelengths(grid, operator, source, boundary, *, rel_power=1e-10, beta=14.0, pad=4):
    """Per axis, an upper estimate of the wavelengths of the data over the axis, by periodogram.

    The cheap test that decides the node family before any kernel is fitted: along each axis
    the Kaiser-windowed (``beta``: sidelobes near -135 dB), zero-padded power spectrum of the
    source and of the boundary data on the faces of the other axes, summed over the fibres;
    the highest frequency whose power reaches ``rel_power`` of the peak (the threshold of
    :func:`fft_init`'s tones), plus the window's main-lobe half-width, plus the resonance of a
    Helmholtz-type axis operator, times the axis length. It errs high (by about 5 wavelengths),
    which only makes Chebyshev nodes less likely.
    """
    F = to_numpy(source)
    H = to_numpy(boundary)
    out = []
    for j, x in enumerate(grid.axes):
        xh = to_numpy(x)
        n = xh.shape[0]
        length = float(xh[-1] - xh[0])
        h = length / (n - 1)
        cols = [_axis_data(np.broadcast_to(F, grid.shape), j)]
        faces = _boundary_faces(H, j)
        if faces is not None:
            cols.append(faces)
        Y = np.concatenate(cols, axis=1)
        w = np.kaiser(n, beta)
        spec = np.sum(np.abs(np.fft.rfft(w[:, None] * Y, n=pad * n, axis=0)) ** 2, axis=1)
        f = np.fft.rfftfreq(pad * n, d=h)
        peak = float(np.max(spec))
        fmax = 0.0
        if peak > 0.0:
            above = np.flatnonzero(spec >= rel_power * peak)
            lobe = math.sqrt(beta ** 2 + math.pi ** 2) / math.pi / length  # half-width (cycles)
            fmax = float(f[above[-1]]) + lobe
        res = _resonances(operator, j)
        if res.size:
            fmax = max(fmax, float(np.max(res)))
        out.append(fmax * length)
    return out
