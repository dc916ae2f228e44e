"""CuPy kernels (CUDA ``RawKernel``) for stencils, smoothers and grid transfers.

Same padded 3-D layout and the same operations as the Numba backend (see
:mod:`._kernels_numba`): one thread per interior node; a colour sweep is one launch per
colour (red and black as separate launches). CuPy is imported only when this backend is
first used. Accumulation is in double precision for both float32 and float64 arrays.

Not run in this repository's CI (no GPU); the tests compare it with the generic path
when a GPU is present.
"""

from __future__ import annotations

import numpy as np

__all__ = ["CupyBackend"]

_SOURCE = r"""
#define INDEX_INTERIOR                                                              \
    long long t = (long long)blockDim.x * blockIdx.x + threadIdx.x;                 \
    long long total = (long long)n0 * n1 * n2;                                      \
    if (t >= total) return;                                                         \
    int c = (int)(t % n2); long long q = t / n2;                                    \
    int b = (int)(q % n1); int a = (int)(q / n1);                                   \
    int i = lo0 + a, j = lo1 + b, l = lo2 + c;                                      \
    long long p = ((long long)i * P1 + j) * P2 + l;

#define STENCIL_SUM(s)                                                              \
    double s = 0.0;                                                                 \
    for (int k = 0; k < K; ++k)                                                     \
        s += (double)coef[vary ? k * Ptot + p : k] * (double)u[p + doff[k]];

#define DIAG ((double)coef[vary ? kdiag * Ptot + p : kdiag])

extern "C" __global__ void mg_apply(
        const T* coef, const long long* doff, int K, int vary, long long Ptot,
        const T* u, const T* f, T* out, int P1, int P2,
        int lo0, int lo1, int lo2, int n0, int n1, int n2, int residual) {
    INDEX_INTERIOR
    STENCIL_SUM(s)
    out[p] = residual ? (T)((double)f[p] - s) : (T)s;
}

extern "C" __global__ void mg_jacobi(
        const T* coef, const long long* doff, int K, int kdiag, int vary, long long Ptot,
        const T* u, const T* f, T* out, int P1, int P2,
        int lo0, int lo1, int lo2, int n0, int n1, int n2, double omega) {
    INDEX_INTERIOR
    STENCIL_SUM(s)
    out[p] = (T)((double)u[p] + omega * ((double)f[p] - s) / DIAG);
}

extern "C" __global__ void mg_colour(
        const T* coef, const long long* doff, int K, int kdiag, int vary, long long Ptot,
        T* u, const T* f, int P1, int P2,
        int lo0, int lo1, int lo2, int n0, int n1, int n2,
        int colour, int star, double omega) {
    INDEX_INTERIOR
    if (star) {
        if (((i + j + l) & 1) != colour) return;
    } else {
        if ((i & 1) != ((colour >> 2) & 1) || (j & 1) != ((colour >> 1) & 1)
            || (l & 1) != (colour & 1)) return;
    }
    STENCIL_SUM(s)
    u[p] = (T)((double)u[p] + omega * ((double)f[p] - s) / DIAG);
}

extern "C" __global__ void mg_restrict(
        const T* rf, T* rc, int P1, int P2, int F1, int F2,
        int lo0, int lo1, int lo2, int n0, int n1, int n2,
        int act0, int act1, int act2, double scale) {
    INDEX_INTERIOR
    double s = 0.0;
    for (int x = -act0; x <= act0; ++x)
        for (int y = -act1; y <= act1; ++y)
            for (int z = -act2; z <= act2; ++z) {
                double w = (x ? 0.5 : 1.0) * (y ? 0.5 : 1.0) * (z ? 0.5 : 1.0);
                long long pf = ((long long)(2 * i + x) * F1 + (2 * j + y)) * F2 + (2 * l + z);
                s += w * (double)rf[pf];
            }
    rc[p] = (T)(scale * s);
}

extern "C" __global__ void mg_prolong_add(
        const T* uc, T* uf, int P1, int P2, int C1, int C2,
        int lo0, int lo1, int lo2, int n0, int n1, int n2) {
    INDEX_INTERIOR
    int ia[2] = {i >> 1, (i + 1) >> 1};
    int ja[2] = {j >> 1, (j + 1) >> 1};
    int la[2] = {l >> 1, (l + 1) >> 1};
    double s = 0.0;
    for (int x = 0; x < 2; ++x)
        for (int y = 0; y < 2; ++y)
            for (int z = 0; z < 2; ++z)
                s += (double)uc[((long long)ia[x] * C1 + ja[y]) * C2 + la[z]];
    uf[p] = (T)((double)uf[p] + 0.125 * s);
}

extern "C" __global__ void mg_prolong_add_weighted(
        const T* uc, T* uf, const T* W, long long Ptot, int P1, int P2, int C1, int C2,
        int lo0, int lo1, int lo2, int n0, int n1, int n2) {
    INDEX_INTERIOR
    int ia[2] = {i >> 1, (i + 1) >> 1};
    int ja[2] = {j >> 1, (j + 1) >> 1};
    int la[2] = {l >> 1, (l + 1) >> 1};
    double s = 0.0;
    for (int corner = 0; corner < 8; ++corner) {
        long long pc = ((long long)ia[(corner >> 2) & 1] * C1 + ja[(corner >> 1) & 1]) * C2
                       + la[corner & 1];
        s += (double)W[corner * Ptot + p] * (double)uc[pc];
    }
    uf[p] = (T)((double)uf[p] + s);
}

__device__ bool corner_matches(int delta, int bit) {
    return delta == 0 || (delta == -1 && bit == 1) || (delta == 1 && bit == 0);
}

extern "C" __global__ void mg_restrict_weighted(
        const T* rf, T* rc, const T* W, long long Ftot, int P1, int P2, int F1, int F2,
        int lo0, int lo1, int lo2, int n0, int n1, int n2,
        int act0, int act1, int act2, double scale) {
    INDEX_INTERIOR
    double s = 0.0;
    for (int x = -act0; x <= act0; ++x)
        for (int y = -act1; y <= act1; ++y)
            for (int z = -act2; z <= act2; ++z) {
                long long pf = ((long long)(2 * i + x) * F1 + (2 * j + y)) * F2 + (2 * l + z);
                double w = 0.0;
                for (int corner = 0; corner < 8; ++corner)
                    if (corner_matches(x, (corner >> 2) & 1)
                        && corner_matches(y, (corner >> 1) & 1)
                        && corner_matches(z, corner & 1))
                        w += (double)W[corner * Ftot + pf];
                s += w * (double)rf[pf];
            }
    rc[p] = (T)(scale * s);
}
"""

_KERNELS = {}
_BLOCK = 256


def _kernel(name, dtype):
    import cupy

    key = (name, np.dtype(dtype).name)
    if key not in _KERNELS:
        ctype = {"float64": "double", "float32": "float"}[key[1]]
        source = f"typedef {ctype} T;\n" + _SOURCE
        _KERNELS[key] = cupy.RawKernel(source, name)
    return _KERNELS[key]


def _launch(kernel, count, args):
    grid = ((int(count) + _BLOCK - 1) // _BLOCK,)
    kernel(grid, (_BLOCK,), args)


def _interior_args(layout):
    P = layout.padded
    return (np.int32(P[1]), np.int32(P[2]),
            *(np.int32(v) for v in layout.lo), *(np.int32(n) for n in layout.n3))


class CupyBackend:
    """CUDA kernels on CuPy arrays (see :mod:`._backends` for the interface)."""

    name = "cupy"

    def __init__(self, xp):
        self.xp = xp

    def bind(self, bs, coef, const):
        import cupy

        layout = bs.layout
        strides = (layout.padded[1] * layout.padded[2], layout.padded[2], 1)
        flat = [sum(o * s for o, s in zip(off, strides)) for off in bs.offsets]
        bs.doff = cupy.asarray(np.array(flat, dtype=np.int64))
        bs.ptot = np.int64(np.prod(layout.padded))
        if const is not None:
            bs.coef = cupy.asarray(np.asarray(const, dtype=bs.dtype))
            bs.inv_diag = 1.0 / float(const[bs.kdiag])
        else:
            padded = cupy.zeros((coef.shape[0],) + layout.padded, dtype=bs.dtype)
            padded[(slice(None),) + layout.interior] = cupy.asarray(coef)
            bs.coef = padded
            inv = cupy.zeros(layout.padded, dtype=bs.dtype)
            inv[layout.interior] = 1.0 / padded[(bs.kdiag,) + layout.interior]
            bs.inv_diag = inv

    def zeros(self, layout, dtype, like=None):
        import cupy

        return cupy.zeros(layout.padded, dtype=dtype)

    def _stencil_args(self, bs, with_diag):
        head = (bs.coef, bs.doff, np.int32(len(bs.offsets)))
        if with_diag:
            head += (np.int32(bs.kdiag),)
        return head + (np.int32(bs.vary), bs.ptot)

    def _apply(self, bs, u, f, residual):
        out = self.zeros(bs.layout, u.dtype)
        _launch(_kernel("mg_apply", u.dtype), bs.layout.size,
                self._stencil_args(bs, False) + (u, f, out) + _interior_args(bs.layout)
                + (np.int32(residual),))
        return out

    def apply(self, bs, u):
        return self._apply(bs, u, u, False)

    def residual(self, bs, u, f):
        return self._apply(bs, u, f, True)

    def jacobi(self, bs, u, f, omega):
        out = self.zeros(bs.layout, u.dtype)
        _launch(_kernel("mg_jacobi", u.dtype), bs.layout.size,
                self._stencil_args(bs, True) + (u, f, out) + _interior_args(bs.layout)
                + (np.float64(omega),))
        return out

    def colour_sweep(self, bs, u, f, colour, omega):
        _launch(_kernel("mg_colour", u.dtype), bs.layout.size,
                self._stencil_args(bs, True) + (u, f) + _interior_args(bs.layout)
                + (np.int32(colour), np.int32(bs.star), np.float64(omega)))
        return u

    def bind_weights(self, W, layout, dtype, like=None):
        import cupy

        return cupy.asarray(np.ascontiguousarray(W, dtype=dtype))

    def restrict(self, rf, fine, coarse, weights=None):
        rc = self.zeros(coarse, rf.dtype)
        scale = np.float64(0.5 ** fine.ndim)
        dims = (np.int32(coarse.padded[1]), np.int32(coarse.padded[2]),
                np.int32(fine.padded[1]), np.int32(fine.padded[2]),
                *(np.int32(v) for v in coarse.lo), *(np.int32(n) for n in coarse.n3),
                *(np.int32(a) for a in fine.act), scale)
        if weights is None:
            _launch(_kernel("mg_restrict", rf.dtype), coarse.size, (rf, rc) + dims)
        else:
            ftot = np.int64(np.prod(fine.padded))
            _launch(_kernel("mg_restrict_weighted", rf.dtype), coarse.size,
                    (rf, rc, weights, ftot) + dims)
        return rc

    def residual_restrict(self, bs, u, f, coarse, weights=None):
        return self.restrict(self.residual(bs, u, f), bs.layout, coarse, weights)

    def prolong_add(self, uc, uf, coarse, fine, weights=None):
        dims = (np.int32(fine.padded[1]), np.int32(fine.padded[2]),
                np.int32(coarse.padded[1]), np.int32(coarse.padded[2]),
                *(np.int32(v) for v in fine.lo), *(np.int32(n) for n in fine.n3))
        if weights is None:
            _launch(_kernel("mg_prolong_add", uf.dtype), fine.size, (uc, uf) + dims)
        else:
            ptot = np.int64(np.prod(fine.padded))
            _launch(_kernel("mg_prolong_add_weighted", uf.dtype), fine.size,
                    (uc, uf, weights, ptot) + dims)
        return uf
