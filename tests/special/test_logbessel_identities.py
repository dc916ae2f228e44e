"""Identities as hypothesis properties, evaluated in the log domain (no mpmath needed)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from solvers.special import iv_ratio, log_iv, log_kv

EPS = np.finfo(float).eps


def log_uniform(lo, hi):
    return st.floats(np.log10(lo), np.log10(hi)).map(lambda e: float(10.0 ** e))


ORDERS = log_uniform(1.0, 1e4)
ARGS = log_uniform(1e-5, 1e5)


@settings(max_examples=300, deadline=None)
@given(v=ORDERS, x=ARGS)
def test_recurrence(v, x):
    """I_{v-1}(x) = I_{v+1}(x) + (2v/x) I_v(x): all terms positive, logaddexp is stable."""
    lhs = float(log_iv(v - 1.0, x))
    rhs = float(np.logaddexp(log_iv(v + 1.0, x), np.log(2.0 * v / x) + log_iv(v, x)))
    assert abs(lhs - rhs) <= 1e-13 * max(1.0, abs(lhs))


@settings(max_examples=300, deadline=None)
@given(v=log_uniform(1e-3, 1e4), x=ARGS)
def test_wronskian(v, x):
    """I_v K_{v+1} + I_{v+1} K_v = 1/x.

    Each product is a sum of two logs of size ~|log I|, so the achievable absolute
    accuracy is a few eps times (|log I_v| + |log K_v|) (the conditioning of the sum).
    """
    li0, li1 = float(log_iv(v, x)), float(log_iv(v + 1.0, x))
    lk0, lk1 = float(log_kv(v, x)), float(log_kv(v + 1.0, x))
    lhs = float(np.logaddexp(li0 + lk1, li1 + lk0))
    scale = 1.0 + abs(li0) + abs(lk1)
    assert abs(lhs + np.log(x)) <= 50 * EPS * scale


@settings(max_examples=300, deadline=None)
@given(x=log_uniform(1e-300, 1e300))
def test_half_integer_closed_forms(x):
    """I_{1/2}(x) = sqrt(2/(pi x)) sinh x and K_{1/2}(x) = sqrt(pi/(2x)) e^{-x}."""
    ref_i = 0.5 * np.log(2.0 / (np.pi * x)) + x + np.log(-np.expm1(-2.0 * x)) - np.log(2.0)
    ref_k = 0.5 * np.log(np.pi / (2.0 * x)) - x
    # the closed forms themselves are evaluated in float64: allow a few eps of their size
    for ours, ref in ((log_iv(0.5, x), ref_i), (log_kv(0.5, x), ref_k)):
        assert abs(float(ours) - ref) <= 4 * EPS * max(1.0, abs(ref), abs(np.log(x)))


@settings(max_examples=200, deadline=None)
@given(v=log_uniform(0.5, 1e5), x=log_uniform(1e-6, 1e7))
def test_ratio_recurrence(v, x):
    """1/R_v = 2v/x + R_{v+1}, with R_v = I_v / I_{v-1} (all terms positive)."""
    r0 = float(iv_ratio(v, x))
    r1 = float(iv_ratio(v + 1.0, x))
    assert abs(1.0 / r0 - (2.0 * v / x + r1)) <= 8 * EPS * (1.0 / r0)


@settings(max_examples=200, deadline=None)
@given(p=st.integers(2, 70000), kappa=log_uniform(1e-4, 1e6))
def test_ratio_is_log_iv_derivative(p, kappa):
    """d/dk log I_{p/2-1}(k) = A_p(k) + (p/2-1)/k; checked by a central difference."""
    nu = p / 2.0 - 1.0
    h = 1e-4 * kappa
    d = (float(log_iv(nu, kappa + h)) - float(log_iv(nu, kappa - h))) / (2 * h)
    exact = float(iv_ratio(p / 2.0, kappa)) + nu / kappa
    # O(h^2) truncation plus rounding of the logs divided by h
    tol = 1e-6 * abs(exact) + 1e-13 * (1.0 + abs(float(log_iv(nu, kappa)))) / h
    assert abs(d - exact) <= tol
