"""CuPy path of ``log_iv``, ``log_kv`` and ``iv_ratio``: one ``ElementwiseKernel`` each.

The CUDA device functions below are a line-by-line transcription of the Numba
scalar routines in ``_logbessel_numba`` (same branches, constants, loop caps and
stopping rules); the coefficient tables are rendered from ``_coefficients``.
CuPy is imported only when a kernel is first needed.
"""

from __future__ import annotations

import functools
import math

from ._coefficients import (
    DEBYE_U, ETA_TAYLOR, ETA_TAYLOR_RADIUS, ETA_Z0_HI, ETA_Z0_LO, RGAMMA_TAYLOR,
)
from . import _constants as C


def _c_array(name, rows):
    if isinstance(rows[0], (tuple, list)):
        body = ",\n".join("  {" + ", ".join(repr(float(c)) for c in row) + "}" for row in rows)
        return f"__device__ const double {name}[{len(rows)}][{len(rows[0])}] = {{\n{body}\n}};\n"
    body = ", ".join(repr(float(c)) for c in rows)
    return f"__device__ const double {name}[{len(rows)}] = {{{body}}};\n"


_DEVICE_CODE = r"""

__device__ inline double slv_inf() { return __longlong_as_double(0x7ff0000000000000LL); }
__device__ inline double slv_nan() { return __longlong_as_double(0x7ff8000000000000LL); }

__device__ int slv_region(double v, double x) {
    if (x > SLV_H3_X && v < SLV_H3_V) return SLV_HANKEL3;
    if (v > SLV_H3_V2 && v * v < SLV_H3_C * x && SLV_H3_A * log(x) + SLV_H3_B > log(v))
        return SLV_HANKEL3;
    if (x > SLV_H20_X && v < SLV_H20_V) return SLV_HANKEL20;
    if (x > SLV_H20_X2 && v > 0.0 && v * v < SLV_H20_C * x
        && SLV_H20_A * log(x) + SLV_H20_B > log(v))
        return SLV_HANKEL20;
SLV_DEBYE_ROWS
    return SLV_SMALL;
}

__device__ double slv_hankel(double v, double x, int nterms, double sign) {
    double mu = 4.0 * v * v, step = sign / (8.0 * x), c = 1.0, s = 1.0;
    for (int k = 1; k <= nterms; ++k) {
        double odd = 2.0 * k - 1.0;
        c *= (mu - odd * odd) * step * SLV_INV_K[k];
        s += c;
        if (fabs(c) < 0.25 * SLV_EPS) break;
    }
    if (sign < 0.0) return log(s / (SLV_SQRT_2PI * sqrt(x)));
    return log(s * SLV_SQRT_PI_2 / sqrt(x));
}

__device__ double slv_product_error(double a, double b, double p) {
    double c = SLV_SPLIT * a, ah = c - (c - a), al = a - ah;
    c = SLV_SPLIT * b;
    double bh = c - (c - b), bl = b - bh;
    return ((ah * bh - p) + ah * bl + al * bh) + al * bl;
}

__device__ double slv_v_eta(double v, double x, double z, double r) {
    double w_hi = z - SLV_ETA_Z0_HI;
    if (fabs(w_hi) < SLV_ETA_TAYLOR_RADIUS && v < 1e290) {
        double p = z * v;
        double z_lo = ((x - p) - slv_product_error(z, v, p)) / v;
        double w = w_hi + (z_lo - SLV_ETA_Z0_LO), eta = 0.0;
        for (int k = SLV_N_ETA - 1; k >= 0; --k) eta = eta * w + SLV_ETA[k];
        return v * (eta * w);
    }
    if (z > 1e-280) return v * (r + log(z / (1.0 + r)));
    return v * (r + (log(x) - log(v)) - log1p(r));
}

/* returns v*eta; writes rest: log I = v*eta + rest (sign +1), log K = rest - v*eta (sign -1) */
__device__ double slv_debye(double v, double x, int nterms, double sign, double* rest) {
    double z = x / v;
    double r = z < 1e150 ? sqrt(1.0 + z * z) : z;
    double w0 = 1.0 / (r * v), t = v * w0, t2 = t * t, w = sign * w0, s = 0.0;
    for (int k = nterms; k >= 1; --k) {
        double p = 0.0;
        for (int j = k; j >= 0; --j) p = p * t2 + SLV_DEBYE_U[k - 1][j];
        s = (s + p) * w;
    }
    double scale = sign > 0.0 ? 1.0 / SLV_SQRT_2PI : SLV_SQRT_PI_2;
    *rest = log((1.0 + s) * scale * sqrt(w0));
    return slv_v_eta(v, x, z, r);
}

__device__ int slv_debye_terms(int reg) {
    return reg == 3 ? 4 : (reg == 4 ? 6 : (reg == 5 ? 9 : 13));
}

__device__ void slv_rgamma_parts(double mu, double* even, double* odd) {
    double mu2 = mu * mu, e = 0.0, o = 0.0;
    for (int k = SLV_N_RG - 1; k >= 0; --k) {
        if (k % 2 == 0) e = e * mu2 + SLV_RGAMMA[k];
        else o = o * mu2 + SLV_RGAMMA[k];
    }
    *even = e;
    *odd = o;
}

__device__ double slv_log_series_prefactor(double v, double x, double s) {
    int n = (int)floor(v + 0.5);
    double mu = v - n, even, odd;
    slv_rgamma_parts(mu, &even, &odd);
    double h = 0.5 * x, hp = 1.0, q = 1.0;
    for (int i = 1; i <= n; ++i) {
        hp *= h;
        q *= mu + i;
    }
    if (h >= 1e-20) return mu * log(h) + log(hp * (even + mu * odd) * s / q);
    return v * log(h) + log((even + mu * odd) * s / q);
}

__device__ double slv_log_iv_series(double v, double x) {
    double q = 0.25 * x * x, r = 1.0, s = 1.0;
    for (int k = 1; k < SLV_MAX_SERIES; ++k) {
        r *= q / (k * (k + v));
        s += r;
        if (r < 0.5 * SLV_EPS * s) break;
    }
    return slv_log_series_prefactor(v, x, s);
}

__device__ double slv_log_iv_pos(double v, double x) {
    int reg = slv_region(v, x);
    if (reg == 0) return slv_log_iv_series(v, x);
    if (reg <= 2) return x + slv_hankel(v, x, reg == 1 ? 3 : 20, -1.0);
    double rest;
    double veta = slv_debye(v, x, slv_debye_terms(reg), 1.0, &rest);
    return veta + rest;
}

/* Temme's series, x <= 2, |mu| <= 1/2: returns K_mu, writes x K_{mu+1}/K_mu */
__device__ double slv_temme(double mu, double x, double* sigma) {
    double even, odd;
    slv_rgamma_parts(mu, &even, &odd);
    double gampl = even + mu * odd, gammi = even - mu * odd, gam1 = -odd, gam2 = even;
    double x2 = 0.5 * x, pimu = SLV_PI * mu;
    double fact = fabs(pimu) < 1e-9 ? 1.0 : pimu / sin(pimu);
    double d = -log(x2), e = mu * d;
    double ae = fabs(e), em = expm1(ae), ea = 1.0 + em;
    double fact2 = ae == 0.0 ? 1.0 : 0.5 * em * (1.0 + 1.0 / ea) / ae;
    double ff = fact * (gam1 * 0.5 * (ea + 1.0 / ea) + gam2 * fact2 * d);
    double s = ff;
    double ee = e >= 0.0 ? ea : 1.0 / ea;
    double p = 0.5 * ee / gampl, q = 0.5 / (ee * gammi), c = 1.0, dd = x2 * x2, s1 = p;
    for (int i = 1; i < SLV_MAX_SERIES; ++i) {
        double fi = (double)i;
        ff = (fi * ff + p + q) / (fi * fi - mu * mu);
        c *= dd / fi;
        p /= fi - mu;
        q /= fi + mu;
        double term = c * ff;
        s += term;
        s1 += c * (p - fi * ff);
        if (fabs(term) < 0.5 * SLV_EPS * fabs(s)) break;
    }
    *sigma = 2.0 * s1 / s;
    return s;
}

/* Steed's CF2, x > 2, |mu| <= 1/2: returns K_mu e^x, writes x K_{mu+1}/K_mu */
__device__ double slv_steed(double mu, double x, double* sigma) {
    double b = 2.0 * (1.0 + x), d = 1.0 / b, h = d, delh = d, q1 = 0.0, q2 = 1.0;
    double a1 = 0.25 - mu * mu, q = a1, c = a1, a = -a1, s = 1.0 + q * delh;
    for (int i = 2; i < SLV_MAX_STEED; ++i) {
        a -= 2.0 * (i - 1);
        c = -a * c / i;
        double qnew = (q1 - b * q2) / a;
        q1 = q2;
        q2 = qnew;
        q += c * qnew;
        b += 2.0;
        d = 1.0 / (b + a * d);
        delh = (b * d - 1.0) * delh;
        h += delh;
        double dels = q * delh;
        s += dels;
        if (fabs(dels) < 0.5 * SLV_EPS * fabs(s)) break;
    }
    h = a1 * h;
    *sigma = mu + x + 0.5 - h;
    return SLV_SQRT_PI_2 / (sqrt(x) * s);
}

__device__ double slv_log_kv_small(double v, double x) {
    int n = (int)floor(v + 0.5);
    double mu = v - n, sigma, lin, expo;  /* K_mu = lin * e^expo */
    if (mu == -0.5) {  /* K_{-1/2}(x) = K_{1/2}(x) = sqrt(pi/(2x)) e^{-x} */
        lin = SLV_SQRT_PI_2 / sqrt(x);
        expo = -x;
        sigma = x;
    } else if (x <= SLV_TEMME_MAX_X) {
        lin = slv_temme(mu, x, &sigma);
        expo = 0.0;
    } else {
        lin = slv_steed(mu, x, &sigma);
        expo = -x;
    }
    double x2 = x * x, p_prev = 1.0, p = 1.0, xn = 1.0;
    if (n > 0) {
        p = sigma;
        xn = x;
    }
    for (int i = 1; i < n; ++i) {
        double p_new = 2.0 * (mu + i) * p + x2 * p_prev;
        p_prev = p;
        p = p_new;
        xn *= x;
    }
    if (x >= 1e-20) return expo + log(lin * p / xn);
    return expo + log(lin) + log(p) - n * log(x);
}

__device__ double slv_log_kv_pos(double v, double x) {
    int reg = slv_region(v, x);
    if (reg == 0) return slv_log_kv_small(v, x);
    if (reg <= 2) return slv_hankel(v, x, reg == 1 ? 3 : 20, 1.0) - x;
    double rest;
    double veta = slv_debye(v, x, slv_debye_terms(reg), -1.0, &rest);
    return rest - veta;
}

__device__ double slv_sinpi(double a) {
    double r = a - 2.0 * floor(0.5 * a);
    if (r <= 0.5) return sin(SLV_PI * r);
    if (r <= 1.5) return sin(SLV_PI * (1.0 - r));
    return -sin(SLV_PI * (2.0 - r));
}

__device__ double slv_log_iv(double v, double x) {
    if (isnan(v) || isnan(x) || x < 0.0) return slv_nan();
    double a = fabs(v);
    if (isinf(a)) return slv_nan();
    bool integer = a == floor(a);
    if (x == 0.0) {
        if (v == 0.0) return 0.0;
        if (v > 0.0 || integer) return -slv_inf();
        return fmod(floor(a), 2.0) == 0.0 ? slv_inf() : slv_nan();
    }
    if (isinf(x)) return slv_inf();
    double li = slv_log_iv_pos(a, x);
    if (v >= 0.0 || integer) return li;
    double s = slv_sinpi(a);
    double lk = SLV_LOG_2_PI + log(fabs(s)) + slv_log_kv_pos(a, x);
    if (s > 0.0) return fmax(li, lk) + log1p(exp(-fabs(li - lk)));
    if (lk > li) return slv_nan();
    if (lk == li) return -slv_inf();
    return li + log1p(-exp(lk - li));
}

__device__ double slv_log_kv(double v, double x) {
    if (isnan(v) || isnan(x) || x < 0.0) return slv_nan();
    double a = fabs(v);
    if (isinf(a)) return slv_nan();
    if (x == 0.0) return slv_inf();
    if (isinf(x)) return -slv_inf();
    return slv_log_kv_pos(a, x);
}

__device__ double slv_iv_ratio(double v, double x, bool complement) {
    if (isnan(v) || isnan(x) || v < 0.5 || x < 0.0) return slv_nan();
    if (x == 0.0 || isinf(v)) return complement ? 1.0 : 0.0;
    if (isinf(x)) return complement ? 0.0 : 1.0;
    if (v == 0.5) {
        if (complement) {
            double e = exp(-2.0 * x);
            return 2.0 * e / (1.0 + e);
        }
        return tanh(x);
    }
    int ex;
    frexp(fmax(v, x), &ex);
    double c = ldexp(1.0, 2 - ex), vc = v * c, xc = x * c;
    double b_prev = 2.0 * (vc + xc) + c;
    double term = -(2.0 * vc + c) * xc / b_prev;
    double u = 1.0, s = 2.0 * vc, comp = 0.0;
    for (int k = 2; k < SLV_MAX_PERRON; ++k) {
        double y = term - comp;
        double tot = s + y;
        comp = (tot - s) - y;
        s = tot;
        double a = -(2.0 * vc + (2.0 * k - 1.0) * c) * xc;
        double b = 2.0 * (vc + xc) + k * c;
        u = 1.0 / (1.0 + a * u / (b * b_prev));
        term *= u - 1.0;
        b_prev = b;
        if (fabs(term) < 0.5 * SLV_EPS * fabs(s)) break;
    }
    s += term - comp;
    return complement ? s / (xc + s) : xc / (xc + s);
}
"""

_OPERATIONS = {
    ("log_iv", False): "y = slv_log_iv(v, x)",
    ("log_kv", False): "y = slv_log_kv(v, x)",
    ("iv_ratio", False): "y = slv_iv_ratio(v, x, false)",
    ("iv_ratio", True): "y = slv_iv_ratio(v, x, true)",
}


def preamble():
    """The CUDA source shared by the kernels (also used by the tests to check the text).

    Constants, the branch table and the coefficient tables are generated from ``_constants``
    and ``_coefficients``; the device functions are transcribed from ``_logbessel_numba``
    and checked against it bit for bit (``tests/special/test_logbessel_paths.py``).
    """
    constants = {"EPS": C.EPS, "PI": math.pi, "LOG_2_PI": C.LOG_2_PI,
                 "SQRT_2PI": C.SQRT_2PI, "SQRT_PI_2": C.SQRT_PI_2, "SPLIT": C.SPLIT,
                 "TEMME_MAX_X": C.TEMME_MAX_X, "ETA_Z0_HI": ETA_Z0_HI, "ETA_Z0_LO": ETA_Z0_LO,
                 "ETA_TAYLOR_RADIUS": ETA_TAYLOR_RADIUS}
    # the branch table's thresholds (see ``_constants``)
    constants.update({k: getattr(C, k) for k in dir(C) if k.startswith(("H3_", "H20_"))})
    header = "".join(f"#define SLV_{k} ({float(c)!r})\n" for k, c in constants.items())
    codes = ("SMALL", "HANKEL3", "HANKEL20", "DEBYE4", "DEBYE6", "DEBYE9", "DEBYE13")
    header += "".join(f"#define SLV_{k} {getattr(C, k)}\n" for k in codes)
    header += (
        f"#define SLV_MAX_SERIES {C.MAX_SERIES}\n#define SLV_MAX_STEED {C.MAX_STEED}\n"
        f"#define SLV_MAX_PERRON {C.MAX_PERRON}\n#define SLV_N_RG {len(RGAMMA_TAYLOR)}\n"
        f"#define SLV_N_ETA {len(ETA_TAYLOR)}\n"
    )
    debye_rows = "".join(f"    if ((x > {X!r} && v > {V!r}) || v > {W!r}) return {code};\n"
                         for code, X, V, W in C.DEBYE_ROWS)
    return (header + _c_array("SLV_DEBYE_U", DEBYE_U) + _c_array("SLV_RGAMMA", RGAMMA_TAYLOR)
            + _c_array("SLV_ETA", ETA_TAYLOR) + _c_array("SLV_INV_K", list(C.INV_K))
            + _DEVICE_CODE.replace("SLV_DEBYE_ROWS\n", debye_rows))


@functools.lru_cache(maxsize=None)
def _kernel(name, complement):
    import cupy as cp

    return cp.ElementwiseKernel(
        "float64 v, float64 x", "float64 y", _OPERATIONS[(name, complement)],
        f"solvers_special_{name}{'_c' if complement else ''}", preamble=preamble(),
        options=("--fmad=false",))  # no FMA contraction: same rounding as the CPU paths


def evaluate(name, v, x, complement=False):
    """Evaluate ``name`` on float64 CuPy arrays ``v``, ``x`` (already broadcast)."""
    import cupy as cp

    kernel = _kernel(name, bool(complement))
    return kernel(cp.asarray(v), cp.asarray(x))


# ``special.<name>`` kernels of the backend layer: ``(xp, v, x) -> out`` on broadcast float64
def log_iv(xp, v, x):
    return evaluate("log_iv", v, x)


def log_kv(xp, v, x):
    return evaluate("log_kv", v, x)


def iv_ratio(xp, v, x, complement=False):
    return evaluate("iv_ratio", v, x, complement=complement)
