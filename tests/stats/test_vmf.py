"""The von Mises-Fisher distribution: against SciPy, closed forms, statistical tests of rvs,
maximum-likelihood fits with Fisher-information bounds, validation, and backends."""

import math

import numpy as np
import pytest
from scipy import integrate, stats

from solvers._array_api import to_numpy, xp_assert_close
from solvers.stats import vonmises_fisher, vonmises_fisher_frozen
from solvers.stats._vmf_kappa import mean_resultant_and_complement, mean_resultant_derivative


def _unit(p, seed=0):
    v = np.random.default_rng(seed).standard_normal(p)
    return v / np.linalg.norm(v)


# --------------------------------------------------------------------------- against SciPy

@pytest.mark.parametrize("p", [2, 3, 5, 64])
@pytest.mark.parametrize("kappa", [0.1, 1.0, 10.0, 200.0])
def test_logpdf_pdf_entropy_match_scipy(xp, p, kappa):
    mu = _unit(p, p)
    ref = stats.vonmises_fisher(mu, kappa)
    x = ref.rvs(50, random_state=1)
    dist = vonmises_fisher(xp.asarray(mu), kappa)
    xp_assert_close(dist.logpdf(xp.asarray(x)), xp.asarray(ref.logpdf(x)), rtol=1e-10, atol=1e-12)
    xp_assert_close(dist.pdf(xp.asarray(x)), xp.asarray(ref.pdf(x)), rtol=1e-10)
    assert dist.entropy() == pytest.approx(ref.entropy(), rel=1e-10, abs=1e-12)
    # unfrozen forms agree with the frozen one
    xp_assert_close(vonmises_fisher.logpdf(xp.asarray(x), xp.asarray(mu), kappa),
                    dist.logpdf(xp.asarray(x)), rtol=1e-15)
    assert vonmises_fisher.entropy(xp.asarray(mu), kappa) == dist.entropy()


@pytest.mark.parametrize("p", [3, 10, 64])
@pytest.mark.parametrize("kappa", [0.5, 5.0, 50.0])
def test_fit_matches_scipy(xp, p, kappa):
    x = stats.vonmises_fisher(_unit(p), kappa).rvs(500, random_state=2)
    mu_ref, kappa_ref = stats.vonmises_fisher.fit(x)
    mu_hat, kappa_hat = vonmises_fisher.fit(xp.asarray(x))
    assert kappa_hat == pytest.approx(kappa_ref, rel=1e-10)
    xp_assert_close(mu_hat, xp.asarray(mu_ref), rtol=1e-10, atol=1e-13)


def test_scipy_fails_where_we_do_not():
    """SciPy 1.17's fit returns kappa = 1e-8 for p >= 80; ours recovers kappa."""
    p, kappa = 512, 300.0
    x = vonmises_fisher(np.eye(1, p)[0], kappa).rvs(2000, rng=3)
    with np.errstate(all="ignore"):
        _, k_scipy = stats.vonmises_fisher.fit(x)
    _, k_ours = vonmises_fisher.fit(x)
    assert abs(k_ours / kappa - 1) < 0.05
    if k_scipy > 1e-6:  # pragma: no cover - SciPy fixed
        pytest.skip("SciPy's fit works here now")


# --------------------------------------------------------------------------- closed forms

def test_density_integrates_to_one():
    for p, kappa in [(3, 0.0), (3, 7.0), (5, 40.0), (12, 300.0)]:
        dist = vonmises_fisher(np.eye(1, p)[0], kappa)
        log_c = dist.logpdf(np.eye(1, p)[0]) - kappa
        # integral over the sphere = |S^{p-2}| * int_{-1}^{1} exp(kappa w)(1-w^2)^{(p-3)/2} dw
        log_area = math.log(2) + (p - 1) / 2 * math.log(math.pi) - math.lgamma((p - 1) / 2)
        val, _ = integrate.quad(lambda w: math.exp(kappa * (w - 1) + (p - 3) / 2 * math.log1p(-w * w)
                                                  if abs(w) < 1 else -math.inf), -1, 1,
                                epsabs=0, epsrel=1e-13, limit=200)
        total = log_c + kappa + log_area + math.log(val)
        assert abs(total) < 1e-11


def test_mean_and_mean_resultant_length(xp):
    mu = _unit(7)
    dist = vonmises_fisher(xp.asarray(mu), 3.0)
    A = dist.mean_resultant_length()
    A_ref = mean_resultant_and_complement(7, 3.0)[0]
    assert A == pytest.approx(float(A_ref), rel=1e-15)
    xp_assert_close(dist.mean(), xp.asarray(A * mu), rtol=1e-15)
    assert vonmises_fisher.mean_resultant_length(xp.asarray(mu), 3.0) == A


def test_logpdf_shapes_and_renormalization(xp):
    mu = np.eye(1, 4)[0]
    dist = vonmises_fisher(xp.asarray(mu), 2.0)
    x = np.random.default_rng(0).standard_normal((2, 3, 4))
    u = x / np.linalg.norm(x, axis=-1, keepdims=True)
    out = dist.logpdf(xp.asarray(3.0 * x))
    assert tuple(out.shape) == (2, 3)
    xp_assert_close(out, dist.logpdf(xp.asarray(u)), rtol=1e-14)
    single = dist.logpdf(xp.asarray(u[0, 0]))
    assert tuple(np.shape(single)) == ()


# --------------------------------------------------------------------------- validation

def test_validation_errors():
    mu = np.eye(1, 3)[0]
    with pytest.raises(ValueError, match="`mu`"):
        vonmises_fisher(2 * mu, 1.0)
    with pytest.raises(ValueError, match="`mu`"):
        vonmises_fisher(np.array([1.0]), 1.0)
    with pytest.raises(ValueError, match="`mu`"):
        vonmises_fisher(np.ones((2, 2)) / 2, 1.0)
    with pytest.raises(ValueError, match="`kappa`"):
        vonmises_fisher(mu, -1.0)
    with pytest.raises(ValueError, match="`kappa`"):
        vonmises_fisher(mu, math.inf)
    with pytest.raises(TypeError, match="`kappa`"):
        vonmises_fisher(mu, "a")
    dist = vonmises_fisher(mu, 1.0)
    with pytest.raises(ValueError, match=r"bad rows: \[1\]"):
        dist.logpdf(np.array([[1.0, 0, 0], [0, 0, 0]]))
    with pytest.raises(ValueError, match=r"bad rows: \[0, 2\]"):
        vonmises_fisher.fit(np.array([[np.nan, 0, 0], [0, 1.0, 0], [np.inf, 0, 0]]))
    with pytest.raises(ValueError, match="shape"):
        dist.logpdf(np.ones((3, 4)))
    with pytest.raises(ValueError, match="`weights`"):
        vonmises_fisher.fit(np.eye(3), weights=np.array([1.0, -1.0, 1.0]))
    with pytest.raises(ValueError, match="`weights`"):
        vonmises_fisher.fit(np.eye(3), weights=np.ones(2))
    with pytest.raises(ValueError, match="`x`"):
        vonmises_fisher.fit(np.ones(3))
    with pytest.raises(TypeError, match="`rng`"):
        dist.rvs(2, rng="seed")


def test_fit_edge_cases():
    # zero mean resultant: kappa = 0 and an arbitrary unit mu (e_1)
    mu, kappa = vonmises_fisher.fit(np.array([[1.0, 0.0], [-1.0, 0.0]]))
    assert kappa == 0.0 and np.array_equal(mu, [1.0, 0.0])
    # identical rows: R̄ = 1, kappa = inf
    mu, kappa = vonmises_fisher.fit(np.tile([0.0, 2.0, 0.0], (4, 1)))
    assert kappa == math.inf and np.allclose(mu, [0, 1, 0])
    # weights act like repetitions
    x = vonmises_fisher(np.eye(1, 5)[0], 4.0).rvs(30, rng=0)
    reps = np.arange(30) % 3 + 1
    mu_w, k_w = vonmises_fisher.fit(x, weights=reps.astype(float))
    mu_r, k_r = vonmises_fisher.fit(np.repeat(x, reps, axis=0))
    assert k_w == pytest.approx(k_r, rel=1e-12)
    np.testing.assert_allclose(mu_w, mu_r, rtol=1e-12)


# --------------------------------------------------------------------------- rvs

def test_rvs_shapes_and_backends(xp):
    mu = _unit(6)
    dist = vonmises_fisher(xp.asarray(mu), 5.0)
    assert tuple(dist.rvs(rng=0).shape) == (6,)
    assert tuple(dist.rvs(4, rng=0).shape) == (4, 6)
    assert tuple(dist.rvs((2, 3), rng=0).shape) == (2, 3, 6)
    x = dist.rvs(200, rng=np.random.default_rng(5))
    xp_assert_close(xp.sum(x * x, axis=1), xp.ones(200, dtype=xp.float64), rtol=1e-14)
    # the same seed gives the same samples on every backend
    ref = vonmises_fisher(mu, 5.0).rvs(200, rng=np.random.default_rng(5))
    np.testing.assert_allclose(to_numpy(x), ref, rtol=1e-12, atol=1e-14)
    assert np.array_equal(to_numpy(dist.rvs(3, rng=7)), to_numpy(dist.rvs(3, rng=7)))


def _w_marginal_cdf(p, kappa):
    """CDF of w = mu.x, density ~ exp(kappa w) (1-w^2)^((p-3)/2), in t = 1 - w (cumulative
    Simpson on a fine grid, in the log domain), as a function of w."""
    a = (p - 3) / 2
    tmax = 2.0 if kappa < 50 else min(2.0, (p + 60) / kappa + 60 / kappa)
    t = np.linspace(0, tmax, 400001)[1:]
    with np.errstate(divide="ignore"):
        logd = -kappa * t + a * (np.log(t) + np.log(2 - t)) if a else -kappa * t
    dens = np.exp(logd - logd.max())
    cum = integrate.cumulative_simpson(dens, x=t, initial=0.0)
    cum /= cum[-1]

    def cdf(w):
        return 1.0 - np.interp(1.0 - w, t, cum)
    return cdf


@pytest.mark.parametrize("p", [3, 50])
@pytest.mark.parametrize("kappa", [0.0, 1.0, 20.0, 1000.0])
def test_rvs_marginal_ks_and_mean(p, kappa):
    n = 4000
    mu = _unit(p, 11)
    x = vonmises_fisher(mu, kappa).rvs(n, rng=100 + p)
    w = x @ mu
    if p == 3 and kappa > 0:   # exact on S^2: P(W <= w) = (e^{k(w-1)} - e^{-2k}) / (1 - e^{-2k})
        def cdf(w):
            return (np.exp(kappa * (w - 1)) - np.exp(-2 * kappa)) / -np.expm1(-2 * kappa)
    else:
        cdf = _w_marginal_cdf(p, kappa)
    assert stats.kstest(w, cdf).pvalue > 1e-3
    # sample mean of w vs A_p(kappa), within 4 standard errors (Var w = A_p'(kappa))
    A, _ = mean_resultant_and_complement(p, kappa)
    se = math.sqrt(float(mean_resultant_derivative(p, kappa)) / n)
    assert abs(w.mean() - float(A)) <= 4 * se
    # the orthogonal part is isotropic: its mean direction is zero within 4 SE per coordinate
    perp = x - np.outer(w, mu)
    perp /= np.linalg.norm(perp, axis=1, keepdims=True)
    assert np.all(np.abs(perp.mean(axis=0)) <= 4 * math.sqrt(1.0 / ((p - 1) * n)) + 1e-12)


@pytest.mark.parametrize("p, kappa", [(2, 1e7), (3, 1e9), (65536, 1e7), (65536, 1e-6)])
def test_rvs_extreme_kappa(p, kappa):
    """Large kappa: 1 - w keeps its accuracy (mean of 1 - w vs 1 - A_p)."""
    mu = np.eye(1, p)[0]
    n = 400 if p > 1000 else 4000
    x = vonmises_fisher(mu, kappa).rvs(n, rng=0)
    assert np.all(np.isfinite(x))
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1.0, rtol=1e-14)
    # 1 - w = ||x - mu||^2 / 2, accurate even when tiny
    omw = 0.5 * np.sum((x - mu) ** 2, axis=1)
    A, C = mean_resultant_and_complement(p, kappa)
    sd = math.sqrt(float(mean_resultant_derivative(p, kappa)) / n)
    assert abs(omw.mean() - float(C)) <= 4 * sd + 1e-3 * float(C) * (kappa > 1e6 and p > 3)


# --------------------------------------------------------------------------- fit on samples

FIT_CASES = [(p, f) for p in (3, 64, 512, 2048) for f in (0.1, 1.0, 10.0)]
FIT_CASES_SLOW = [(p, f) for p in (8192, 32768) for f in (0.1, 1.0, 10.0)]


def _check_fit(p, factor, n=5000):
    kappa = factor * p
    mu = _unit(p, p + 1)
    x = vonmises_fisher(mu, kappa).rvs(n, rng=p + int(10 * factor))
    mu_hat, k_hat = vonmises_fisher.fit(x)
    del x
    A, _ = mean_resultant_and_complement(p, kappa)
    A, dA = float(A), float(mean_resultant_derivative(p, kappa))
    se = 1.0 / math.sqrt(n * dA)            # Fisher information of kappa: n A_p'(kappa)
    assert abs(k_hat / kappa - 1) <= max(0.02, 4 * se / kappa)
    # tangent-space error of mu_hat: ||d||^2 ~ chi^2_{p-1} / (n kappa A), 1 - mu.mu_hat ~ ||d||^2/2
    bound = (p - 1 + 6 * math.sqrt(2 * (p - 1))) / (2 * n * kappa * A)
    assert 1 - float(mu @ mu_hat) <= bound


@pytest.mark.parametrize("p, factor", FIT_CASES)
def test_fit_on_samples(p, factor):
    _check_fit(p, factor)


@pytest.mark.slow
@pytest.mark.parametrize("p, factor", FIT_CASES_SLOW)
def test_fit_on_samples_high_dim(p, factor):
    _check_fit(p, factor)


def test_frozen_class_attributes():
    d = vonmises_fisher(np.eye(1, 4)[0], 2)
    assert isinstance(d, vonmises_fisher_frozen)
    assert d.dim == 4 and d.kappa == 2.0


# --------------------------------------------------------------------------- properties

from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=25, deadline=None)
@given(p=st.integers(2, 12), kappa=st.floats(0.0, 1e4), seed=st.integers(0, 2**31 - 1))
def test_rotation_invariance(p, kappa, seed):
    """logpdf(Qx; Q mu) = logpdf(x; mu) and fit(X Q^T) = (Q mu_hat, kappa_hat)."""
    rng = np.random.default_rng(seed)
    Q = np.linalg.qr(rng.standard_normal((p, p)))[0]
    mu = _unit(p, seed % 1000)
    x = vonmises_fisher(mu, kappa).rvs(64, rng=rng)
    a = vonmises_fisher(mu, kappa).logpdf(x)
    b = vonmises_fisher(Q @ mu, kappa).logpdf(x @ Q.T)
    np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12 * (1 + kappa))
    mu1, k1 = vonmises_fisher.fit(x)
    mu2, k2 = vonmises_fisher.fit(x @ Q.T)
    assert k2 == pytest.approx(k1, rel=1e-9)
    np.testing.assert_allclose(mu2, Q @ mu1, atol=1e-9)


def test_fit_weights_and_rvs_random_states(xp):
    x = vonmises_fisher(np.eye(1, 4)[0], 6.0).rvs(50, rng=np.random.RandomState(1))
    w = np.linspace(0.5, 2.0, 50)
    mu_ref, k_ref = vonmises_fisher.fit(x, weights=w)
    mu, k = vonmises_fisher.fit(xp.asarray(x), weights=xp.asarray(w))
    assert k == pytest.approx(k_ref, rel=1e-13)
    xp_assert_close(mu, xp.asarray(mu_ref), rtol=1e-13)
    assert tuple(vonmises_fisher(xp.asarray(np.eye(1, 4)[0]), 1.0).rvs(0).shape) == (0, 4)


def test_sequences_are_accepted():
    d = vonmises_fisher([1.0, 0.0, 0.0], 2)
    np.testing.assert_allclose(d.logpdf([[0.0, 1.0, 0.0]]), d.logpdf(np.array([[0.0, 1.0, 0.0]])))
    mu, kappa = vonmises_fisher.fit([[1.0, 0.0], [0.8, 0.6]])
    assert isinstance(mu, np.ndarray) and kappa > 0
