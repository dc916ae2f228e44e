"""Shared by the tests of solvers.special: the tolerance of the region-sorted NumPy kernels."""

import numpy as np
import pytest

from solvers.special._constants import D13_W, TEMME_MAX_X

EPS = np.finfo(float).eps
SORTED_BOUND = 8 * EPS   # the sorted kernels' vectorized log/expm1/sin vs libm's (<= 1 ulp)
# log K where Temme's series runs at 1/2 < x <= 2: the series cancels (its terms grow like
# I_mu while K_mu decays), so its value is ~15x as sensitive to the rounding of its inputs
# (pi mu / sin(pi mu), expm1, log): two implementations an ulp apart there differ by up to
# ~20 eps (measured <= 19 eps over 1e6 points; the reference itself is ~14 eps from mpmath)
TEMME_BOUND = 32 * EPS


def path_error(a, b):
    """|a - b| / max(1, |b|), 0 where both are NaN or the same infinity, inf where one is NaN."""
    both_nan = np.isnan(a) & np.isnan(b)
    same_inf = np.isinf(a) & (a == b)
    with np.errstate(invalid="ignore"):
        err = np.abs(a - b) / np.maximum(1.0, np.abs(b))
    return np.where(both_nan | same_inf, 0.0, np.where(np.isnan(err), np.inf, err))


def sorted_error(ours, ref, v, x, kind):
    """|ours - ref| in units of the sorted kernels' bound (<= 1 passes): one ulp of a log
    times its multiplier, i.e. relative to max(1, |ref|, |v log(x/v)|) (the conditioning of
    v*eta in the Debye branches), SORTED_BOUND, or TEMME_BOUND in Temme's band of log K
    (kind "log_kv")."""
    with np.errstate(all="ignore"):
        scale = np.abs(v) * np.abs(np.log(x / np.abs(v)))
        base = np.where(np.isfinite(ref), np.maximum(1.0, np.abs(ref)), 1.0)
        err = path_error(ours, ref) * base / np.maximum(
            base, np.where(np.isfinite(scale), scale, 1.0))
    bound = np.full(np.shape(v), SORTED_BOUND)
    if kind == "log_kv":
        bound[(np.abs(v) <= D13_W) & (x > 0.5) & (x <= TEMME_MAX_X)] = TEMME_BOUND
    return err / bound


@pytest.fixture
def sorted_tolerance():
    """``sorted_error`` (see there): the error of the sorted kernels in units of their bound."""
    return sorted_error


@pytest.fixture
def relative_path_error():
    """``path_error`` (see there): |a - b| / max(1, |b|) with NaN/inf handling."""
    return path_error
