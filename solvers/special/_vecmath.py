"""Branch-free ``log`` and ``expm1`` for Numba loops that LLVM vectorizes.

Numba lowers ``math.log`` / ``math.expm1`` to calls of the scalar libm routines, and a
call in a loop body keeps LLVM from vectorizing the loop (Numba's SVML path needs an
SVML-patched llvmlite, which the PyPI wheels are not). The routines here are straight-line
arithmetic on the IEEE bit patterns (reinterpreted with an LLVM ``bitcast`` intrinsic), so a
points loop that calls them (they are inlined) is vectorized as a whole: the region-sorted
kernels of ``_logbessel_sorted`` take every logarithm this way, in the same loop as the
arithmetic around it, instead of writing the arguments to an array for NumPy's ``np.log``.

Both are derived here, not transcribed:

``vlog(x)``, for finite normal ``x > 0``: ``x = 2^k m`` with ``m`` in ``[sqrt(1/2), sqrt(2))``,
``f = m - 1`` (exact), ``s = f / (2 + f)``, and ``log(1 + f) = 2 atanh(s) = 2s + s R(s^2)``
with ``R(z) = sum_{j>=1} 2 z^j / (2j + 1)``, written as ``f - (f^2/2 - s (f^2/2 + R))`` so
the leading terms are exact; ``|s| <= 0.1716``, ``z <= 0.02944``, and the Taylor series of R
cut after ``LOG_TERMS = 10`` terms leaves a relative truncation error below
``z^11 / 23 < 1e-18``. ``f^2/2`` is formed exactly as a double-double and the two large
additions (``f - f^2/2`` and ``k LN2_HI + ...``, with LN2_HI holding 32 significant bits so
that ``k LN2_HI`` is exact) are compensated, so the result is rounded once more than
correctly: < 0.6 ulp (the rest from the rounding of ``s`` near ``|f| = 0.41``; 0.5 ulp at
most elsewhere). NumPy's SIMD log: 0.5 ulp.

``vexpm1(y)``, for ``0 <= y <= 700``: ``y = k log 2 + r`` with ``k = round(y / log 2)`` for
``y >= 1`` (then ``0.30 < r <= log(2)/2`` or ``|r| <= log(2)/2`` with ``2^k >= 4``: no
cancellation in ``2^k expm1(r) + (2^k - 1)``) and ``k = 0``, ``r = y`` (exact) below;
``expm1(r) = r sum_{j>=0} r^j / (j + 1)!`` cut after ``EXP_TERMS = 18`` terms (truncation
< 1e-17 relative for ``|r| < 1``). Measured: <= 1.5 ulp.

Callers guarantee the domains (the sorted kernels send zeros, subnormals, infinities and
NaN to the scalar reference kernels before these run).

Numba's on-disk cache keys a function on its own source file only: after editing this
module (or ``_logbessel_numba``), delete ``__pycache__/_logbessel_sorted*.nb[ic]`` so that the
sorted kernels, which inline these routines, are recompiled.
"""

from __future__ import annotations

from decimal import Decimal, getcontext
from fractions import Fraction
from math import factorial

from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

getcontext().prec = 50
_LN2 = Decimal("0.69314718055994530941723212145817656807550013436026")
LN2_HI = float(int(_LN2 * 2**32) / Decimal(2**32))      # 32 significant bits
LN2_LO = float(_LN2 - Decimal(LN2_HI))
INV_LN2 = float(1 / _LN2)
SQRT2 = float(Decimal(2).sqrt())
LOG_TERMS = 10
LOG_R = tuple(float(Fraction(2, 2 * j + 1)) for j in range(1, LOG_TERMS + 1))
EXP_TERMS = 18
EXPM1_C = tuple(float(Fraction(1, factorial(j + 1))) for j in range(EXP_TERMS))

_EXP_BITS = 0x7FF0000000000000
_MANTISSA = 0x000FFFFFFFFFFFFF
_ONE_BITS = 0x3FF0000000000000
_HIGH26 = -(1 << 27)                # keeps sign, exponent and the leading 25 mantissa bits

(_R1, _R2, _R3, _R4, _R5, _R6, _R7, _R8, _R9, _R10) = LOG_R
(_E0, _E1, _E2, _E3, _E4, _E5, _E6, _E7, _E8, _E9, _E10, _E11, _E12, _E13, _E14, _E15, _E16,
 _E17) = EXPM1_C


@intrinsic
def as_int64(typingctx, x):
    """The bit pattern of a float64 as an int64 (LLVM bitcast; vectorizes)."""
    if x != types.float64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


@intrinsic
def as_float64(typingctx, i):
    """The float64 with the bit pattern of an int64 (LLVM bitcast; vectorizes)."""
    if i != types.int64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


@njit(cache=True, error_model="numpy", inline="always")
def exponent(x):
    """floor(log2(x)) for finite normal x > 0, as a float."""
    return float((as_int64(x) >> 52) - 1023)


@njit(cache=True, error_model="numpy", inline="always")
def pow2(k):
    """2.0**k for integer-valued float k in [-1022, 1023] (exact)."""
    return as_float64((int(k) + 1023) << 52)


@njit(cache=True, error_model="numpy", inline="always")
def vlog(x):
    """Natural logarithm of a finite normal x > 0, branch-free, nearly correctly rounded
    (< 0.6 ulp; it agrees with libm's log on all but ~0.1-1% of arguments)."""
    b = as_int64(x)
    k = float((b >> 52) - 1023)
    m = as_float64((b & _MANTISSA) | _ONE_BITS)          # in [1, 2)
    big = m > SQRT2
    m = 0.5 * m if big else m
    k = k + 1.0 if big else k
    f = m - 1.0                                          # exact, |f| < 0.415
    s = f / (2.0 + f)
    z = s * s
    r = z * (_R1 + z * (_R2 + z * (_R3 + z * (_R4 + z * (_R5 + z * (
        _R6 + z * (_R7 + z * (_R8 + z * (_R9 + z * _R10)))))))))
    # log(1 + f) = f - f^2/2 + s (f^2/2 + r): f^2/2 = hh + hl exactly (f = fh + fl, fh with
    # 26 significant bits), f - hh = t + e exactly (Fast2Sum, |f| >= |hh|), then
    # k LN2_HI + t = u + e2 exactly; the small terms are added once, at the end.
    fh = as_float64(as_int64(f) & _HIGH26)
    fl = f - fh
    hh = 0.5 * fh * fh
    hl = fl * (fh + 0.5 * fl)
    hfsq = hh + hl
    t = f - hh
    e = (f - t) - hh
    c = k * LN2_HI
    u = c + t
    e2 = (c - u) + t if abs(c) >= abs(t) else (t - u) + c
    return u + (((s * (hfsq + r) - hl) + e) + (e2 + k * LN2_LO))


@njit(cache=True, error_model="numpy", inline="always")
def vexpm1(y):
    """exp(y) - 1 for 0 <= y <= 700 (<= 1.5 ulp), branch-free."""
    k = float(int(y * INV_LN2 + 0.5))                   # y >= 0: truncation rounds
    k = k if y >= 1.0 else 0.0                          # no cancellation in 2^k e + 2^k - 1
    r = (y - k * LN2_HI) - k * LN2_LO
    p = _E17
    p = p * r + _E16
    p = p * r + _E15
    p = p * r + _E14
    p = p * r + _E13
    p = p * r + _E12
    p = p * r + _E11
    p = p * r + _E10
    p = p * r + _E9
    p = p * r + _E8
    p = p * r + _E7
    p = p * r + _E6
    p = p * r + _E5
    p = p * r + _E4
    p = p * r + _E3
    p = p * r + _E2
    p = p * r + _E1
    p = p * r + _E0
    em = r * p
    t = pow2(k)
    return t * em + (t - 1.0)
