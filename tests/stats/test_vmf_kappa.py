"""A_p(kappa), its complement, the exact kappa solver and the log normalizer."""

import math

import mpmath as mp
import numpy as np
import pytest
from scipy.special._ufuncs import _iv_ratio, _iv_ratio_c  # SciPy's private xsf ratio (reference)

from solvers.special import iv_ratio
from solvers.stats import vmf_log_normalizer
from solvers.stats._vmf_kappa import (
    kappa_from_mean_resultant,
    log_normalizer,
    mean_resultant_and_complement,
    mean_resultant_derivative,
)
from solvers.stats._vmf_numba import perron_tail

P_GRID = [2, 3, 10, 100, 1000, 10_000, 65536]
KAPPA_GRID = np.logspace(-6, 7, 53)


def test_perron_complement_matches_xsf_and_mpmath():
    v = np.array([1.0, 1.5, 2.0, 5.0, 32.0, 500.0, 4096.0, 32768.0])[:, None]
    x = np.logspace(-8, 9, 120)[None, :]
    f = perron_tail(v, x)
    comp = f / (x + f)
    ratio = x / (x + f)
    np.testing.assert_allclose(comp, _iv_ratio_c(v, x), rtol=1e-14)
    np.testing.assert_allclose(ratio, _iv_ratio(v, x), rtol=1e-14)
    mp.mp.dps = 40
    for vv, xx in [(1, 10.6), (1, 0.3), (4096, 5000.0), (32768, 1e-6), (2.5, 150.0)]:
        ref = 1 - mp.besseli(vv, xx) / mp.besseli(vv - 1, xx)
        ff = perron_tail(vv, xx)
        assert abs(ff / (xx + ff) - float(ref)) <= 4e-15 * float(ref)


def test_perron_tail_domain():
    assert math.isnan(perron_tail(0.5, 1.0))
    assert math.isnan(perron_tail(2.0, -1.0))
    assert perron_tail(3.0, 0.0) == 6.0


@pytest.mark.parametrize("p", P_GRID)
def test_mean_resultant_and_complement(p):
    A, C = mean_resultant_and_complement(p, KAPPA_GRID)
    np.testing.assert_allclose(A + C, 1.0, rtol=0, atol=2.3e-16)
    small = A <= 0.5
    np.testing.assert_array_equal(A[small], iv_ratio(p / 2, KAPPA_GRID[small]))
    # independent reference: SciPy's private xsf ratio and its complement
    np.testing.assert_allclose(A, _iv_ratio(p / 2, KAPPA_GRID), rtol=1e-14)
    np.testing.assert_allclose(C, _iv_ratio_c(p / 2, KAPPA_GRID), rtol=1e-13)
    assert np.all(np.diff(A) > 0)


@pytest.mark.parametrize("p", [2, 3, 64, 2048])
def test_derivative_by_finite_differences(p):
    kap = np.logspace(-2, 4, 13)
    h = 1e-5 * kap
    A_plus, _ = mean_resultant_and_complement(p, kap + h)
    A_minus, _ = mean_resultant_and_complement(p, kap - h)
    fd = (A_plus - A_minus) / (2 * h)
    np.testing.assert_allclose(mean_resultant_derivative(p, kap), fd, rtol=1e-6)
    # d log C_p / d kappa = -A_p
    lc = (log_normalizer(p, kap + h) - log_normalizer(p, kap - h)) / (2 * h)
    A, _ = mean_resultant_and_complement(p, kap)
    rounding = 4e-16 * np.abs(log_normalizer(p, kap)) / h   # of the difference quotient
    assert np.all(np.abs(-lc - A) <= 1e-6 * A + rounding)
    assert mean_resultant_derivative(p, 0.0) == 1.0 / p


@pytest.mark.parametrize("p", P_GRID)
def test_kappa_solver_recovers_kappa(p):
    """R̄ = A_p(kappa) built with iv_ratio (its complement where R̄ > 1/2): kappa to 1e-12."""
    A, C = mean_resultant_and_complement(p, KAPPA_GRID)
    kap, n_iter, ok = kappa_from_mean_resultant(p, A, C, return_info=True)
    assert ok.all()
    assert n_iter.max() <= 10
    np.testing.assert_allclose(kap, KAPPA_GRID, rtol=1e-12)


@pytest.mark.parametrize("p", P_GRID)
def test_kappa_solver_plain_rbar(p):
    """Given only R̄ as a double, kappa is recovered to the conditioning of the problem:
    |dkappa/kappa| <= A/(kappa A') * |dR̄/R̄| with |dR̄/R̄| ~ 1.1e-16 (1e-12 where that allows)."""
    A = iv_ratio(p / 2, KAPPA_GRID)
    kap = kappa_from_mean_resultant(p, A)
    cond = A / (KAPPA_GRID * mean_resultant_derivative(p, KAPPA_GRID))
    tol = np.maximum(1e-12, 8 * 1.1e-16 * cond)
    assert np.all(np.abs(kap / KAPPA_GRID - 1) <= tol)
    assert np.all(tol[A <= 0.5] == 1e-12)


def test_kappa_solver_edges():
    assert kappa_from_mean_resultant(5, 0.0) == 0.0
    assert kappa_from_mean_resultant(5, 1.0, 0.0) == math.inf
    kap = kappa_from_mean_resultant(65536, 1e-300)
    assert np.isfinite(kap) and kap > 0
    np.testing.assert_allclose(kap, 65536 * 1e-300, rtol=1e-12)   # A_p ~ kappa/p
    kap = kappa_from_mean_resultant(3, 1 - 1e-15, 1e-15)           # 1 - A_3 ~ 1/kappa
    np.testing.assert_allclose(kap, 1e15, rtol=1e-12)
    out = kappa_from_mean_resultant(np.array([2, 3]), np.array([[0.1], [0.9]]))
    assert out.shape == (2, 2)


@pytest.mark.parametrize("p", [2, 3, 5, 10, 64])
def test_log_normalizer_vs_scipy(p):
    from scipy.stats import vonmises_fisher as svmf

    kap = np.array([1e-3, 0.1, 1.0, 3.0, 10.0, 50.0, 300.0])
    mu = np.eye(1, p)[0]
    ref = np.array([svmf(mu, k).logpdf(mu) - k for k in kap])   # log C_p = logpdf(mu) - kappa
    np.testing.assert_allclose(vmf_log_normalizer(p, kap), ref, rtol=1e-12)


def test_log_normalizer_closed_form_and_limits(xp):
    kap = xp.asarray([0.0, 1e-8, 0.5, 2.0, 2.4, 2.5, 30.0, 1e4])
    out = vmf_log_normalizer(3, kap)
    k = np.asarray([0.0, 1e-8, 0.5, 2.0, 2.4, 2.5, 30.0, 1e4])
    with np.errstate(divide="ignore", invalid="ignore"):
        ref = np.log(k) - np.log(2 * np.pi) - k - np.log1p(-np.exp(-2 * k))   # log(k/(4 pi sinh k))
    ref[0] = -np.log(4 * np.pi)
    ref[1] = -np.log(4 * np.pi) - 1e-16 / 6
    assert type(out) is type(kap)
    np.testing.assert_allclose(np.asarray(out), ref, rtol=1e-14)
    # kappa = 0: log of the inverse sphere area, for any p
    for p in (2, 7, 65536):
        area = math.log(2) + (p / 2) * math.log(math.pi) - math.lgamma(p / 2)
        assert vmf_log_normalizer(p, 0.0) == pytest.approx(-area, rel=1e-15)
    assert vmf_log_normalizer(10, math.inf) == -math.inf


@pytest.mark.parametrize("p", [8, 100, 4096, 65536])
def test_log_normalizer_branch_switch_is_continuous(p):
    """The series branch and the log_iv branch agree around kappa^2 = 2p."""
    kb = math.sqrt(2 * p)
    kap = np.array([0.9 * kb, kb * (1 - 1e-12), kb * (1 + 1e-12), 1.1 * kb])
    p_arr = np.full(4, float(p))
    a = vmf_log_normalizer(p_arr, kap)
    from solvers.special import log_iv
    nu = p / 2 - 1
    direct = nu * np.log(kap) - p / 2 * np.log(2 * np.pi) - log_iv(nu + 0 * kap, kap)
    np.testing.assert_allclose(a, direct, rtol=1e-13)


def test_log_normalizer_large_p_against_mpmath():
    mp.mp.dps = 30
    for p, k in [(2048, 500.0), (512, 300.0), (8192, 5000.0)]:
        nu = p / 2 - 1
        ref = nu * mp.log(k) - p / 2 * mp.log(2 * mp.pi) - mp.log(
            mp.besseli(nu, k, maxprec=20000, maxterms=10**6))
        got = vmf_log_normalizer(p, k)
        assert np.isfinite(got)
        assert abs(got - float(ref)) <= 1e-13 * abs(float(ref))


def test_log_normalizer_validation():
    with pytest.raises(ValueError, match="`p`"):
        vmf_log_normalizer(1, 1.0)
    with pytest.raises(ValueError, match="`kappa`"):
        vmf_log_normalizer(3, -1.0)
    with pytest.raises(ValueError, match="`kappa`"):
        vmf_log_normalizer(3, np.array([1.0, np.nan]))


def test_log_normalizer_broadcasts_over_p():
    out = vmf_log_normalizer(np.array([2, 3, 4096]), 1.0)
    assert out.shape == (3,)
    np.testing.assert_allclose(out, [vmf_log_normalizer(p, 1.0) for p in (2, 3, 4096)], rtol=1e-15)
