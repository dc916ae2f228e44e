"""vMF logpdf/pdf in the scaled form kappa (mu.x - 1) + (log C_p(kappa) + kappa) (issue 20).

Reference: 50-digit mpmath on the same float inputs (``mu`` and ``x`` normalized in mpmath).
"""

import mpmath
import numpy as np
import pytest

from solvers.stats import vonmises_fisher

mpmath.mp.dps = 50


def _reference(x, mu, kappa):
    """``(logpdf, log C + kappa, kappa (mu.x/|mu||x| - 1))`` in 50 digits."""
    p = len(mu)
    k, nu = mpmath.mpf(float(kappa)), mpmath.mpf(p) / 2 - 1
    log_c = (nu * mpmath.log(k) - mpmath.mpf(p) / 2 * mpmath.log(2 * mpmath.pi)
             - mpmath.log(mpmath.besseli(nu, k)))
    xs = [mpmath.mpf(float(v)) for v in x]
    ms = [mpmath.mpf(float(v)) for v in mu]
    cos = mpmath.fsum(a * b for a, b in zip(xs, ms)) / mpmath.sqrt(
        mpmath.fsum(a * a for a in xs) * mpmath.fsum(b * b for b in ms))
    return log_c + k * cos, log_c + k, k * (cos - 1)


def _cases():
    rng = np.random.default_rng(20)
    for p in (2, 3, 5, 10, 100, 1000):
        for kappa in (50.0, 2000.0, 1e5, 1e7):
            mu = np.zeros(p)
            mu[0] = 1.0
            for c in (np.sqrt(0.8), 0.999, 0.5, -0.3):
                x = np.zeros(p)
                x[0], x[1] = c, np.sqrt(1 - c * c)
                yield p, kappa, mu, x
            mu = rng.standard_normal(p)
            mu /= np.linalg.norm(mu)
            x = mu + 0.3 * rng.standard_normal(p) / np.sqrt(p)
            x /= np.linalg.norm(x)
            yield p, kappa, mu, x


CASES = list(_cases())


def test_issue_example_to_the_last_digit():
    # p = 5, kappa = 2000, mu.x = sqrt(0.8): the plain sum gave -199.6190670888609
    x = np.array([np.sqrt(0.8), np.sqrt(0.2), 0.0, 0.0, 0.0])
    got = float(vonmises_fisher(np.eye(5)[0], 2000.0).logpdf(x))
    ref = float(_reference(x, np.eye(5)[0], 2000.0)[0])
    assert abs(got - ref) <= 1e-15 * abs(ref)


@pytest.mark.parametrize("p, kappa, mu, x", CASES,
                         ids=[f"p{c[0]}-k{c[1]:g}-{i}" for i, c in enumerate(CASES)])
def test_logpdf_against_mpmath(p, kappa, mu, x):
    got = float(vonmises_fisher(mu, kappa).logpdf(x))
    ref, log_c_plus_kappa, kt = _reference(x, mu, kappa)
    scale = abs(log_c_plus_kappa) + abs(kt)     # the sizes of the two terms added
    err = abs(got - float(ref))
    if abs(ref) >= scale / 4:                   # away from zero: no cancellation between them
        assert err <= 1e-15 * abs(float(ref))
    else:                                       # the sum cancels: accurate to the terms' size
        assert err <= 1e-15 * float(scale)


@pytest.mark.parametrize("p, kappa", [(3, 2000.0), (5, 1e5), (2, 1e7), (10, 50.0), (20, 3e3)])
def test_pdf_near_the_mode_against_mpmath(p, kappa):
    # pdf = exp(logpdf) has relative error |logpdf| x (its absolute error): checked where
    # |logpdf| is moderate (small p; large p overflows pdf), near the mode
    mu = np.zeros(p)
    mu[0] = 1.0
    dist = vonmises_fisher(mu, kappa)
    for s in (0.0, 0.5, 2.0):
        c = 1.0 - s / kappa
        x = np.zeros(p)
        x[0], x[1] = c, np.sqrt((1 - c) * (1 + c))
        ref = mpmath.exp(_reference(x, mu, kappa)[0])
        got = float(dist.pdf(x))
        assert abs(got - float(ref)) <= 1e-14 * float(ref), (s, got, ref)


def test_generic_path_matches_numba_path():
    array_api_strict = pytest.importorskip("array_api_strict")
    rng = np.random.default_rng(3)
    mu = rng.standard_normal(7)
    mu /= np.linalg.norm(mu)
    x = mu + 0.01 * rng.standard_normal((50, 7))
    ref = vonmises_fisher(mu, 3e4).logpdf(x)
    got = vonmises_fisher(array_api_strict.asarray(mu), 3e4).logpdf(array_api_strict.asarray(x))
    np.testing.assert_allclose(np.asarray(got), ref, rtol=2e-15)
