"""Mixtures of vMF distributions fitted by EM."""

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from solvers._array_api import to_numpy
from solvers.stats import fit_vmf_mixture, vonmises_fisher


def _three_clusters(p, n_per, kappa, seed):
    rng = np.random.default_rng(seed)
    mus = np.linalg.qr(rng.standard_normal((p, 3)))[0].T     # orthonormal: well separated
    x = np.concatenate([vonmises_fisher(m, kappa).rvs(n, rng=rng)
                        for m, n in zip(mus, n_per)])
    labels = np.repeat(np.arange(3), n_per)
    return x, labels, mus


@pytest.mark.parametrize("p, kappa", [(3, 30.0), (256, 600.0)])
def test_mixture_recovers_three_components(xp, p, kappa):
    x, labels, mus = _three_clusters(p, [400, 300, 500], kappa, seed=p)
    res = fit_vmf_mixture(xp.asarray(x), 3, rng=1)
    assert res.converged and res.status == 0
    assert adjusted_rand_score(labels, to_numpy(res.labels)) >= 0.95
    hist = res.log_likelihood_history
    assert np.all(np.diff(hist) >= -1e-10 * np.abs(hist[1:]))         # EM never decreases
    assert res.log_likelihood == hist[-1]
    # parameters: each true mean matched by a fitted one, kappas within 15%, weights ~ sizes
    means = to_numpy(res.means)
    match = np.argmax(means @ mus.T, axis=0)
    assert sorted(match) == [0, 1, 2]
    assert np.all(np.sum(means[match] * mus, axis=1) > 0.95)
    np.testing.assert_allclose(to_numpy(res.kappas)[match], kappa, rtol=0.15)
    np.testing.assert_allclose(to_numpy(res.weights)[match], np.array([400, 300, 500]) / 1200,
                               atol=0.02)
    gamma = to_numpy(res.responsibilities)
    assert gamma.shape == (1200, 3)
    np.testing.assert_allclose(gamma.sum(axis=1), 1.0, rtol=1e-12)


def test_mixture_backends_agree(xp):
    x, _, _ = _three_clusters(5, [60, 60, 60], 20.0, seed=4)
    ref = fit_vmf_mixture(x, 3, rng=3)
    res = fit_vmf_mixture(xp.asarray(x), 3, rng=3)
    np.testing.assert_allclose(to_numpy(res.kappas), to_numpy(ref.kappas), rtol=1e-10)
    np.testing.assert_allclose(to_numpy(res.means), to_numpy(ref.means), rtol=1e-10, atol=1e-12)
    assert res.nit == ref.nit


def test_mixture_weights_act_like_repetitions():
    x, _, _ = _three_clusters(4, [40, 40, 40], 15.0, seed=5)
    reps = np.arange(120) % 3 + 1
    init = x[[0, 40, 80]]
    a = fit_vmf_mixture(x, 3, weights=reps.astype(float), init=init, rtol=1e-13)
    b = fit_vmf_mixture(np.repeat(x, reps, axis=0), 3, init=init, rtol=1e-13)
    np.testing.assert_allclose(a.kappas, b.kappas, rtol=1e-8)
    np.testing.assert_allclose(a.weights, b.weights, rtol=1e-8)
    assert a.log_likelihood == pytest.approx(b.log_likelihood, rel=1e-10)


def test_single_component_equals_fit():
    x = vonmises_fisher(np.eye(1, 6)[0], 8.0).rvs(300, rng=0)
    res = fit_vmf_mixture(x, 1)
    mu, kappa = vonmises_fisher.fit(x)
    assert res.kappas[0] == pytest.approx(kappa, rel=1e-12)
    np.testing.assert_allclose(res.means[0], mu, rtol=1e-12)
    assert res.log_likelihood == pytest.approx(np.sum(vonmises_fisher(mu, kappa).logpdf(x)),
                                               rel=1e-12)


def test_empty_component_is_reseeded():
    rng = np.random.default_rng(6)
    e = np.eye(3)
    x = np.concatenate([vonmises_fisher(e[0], 500.0).rvs(100, rng=rng),
                        vonmises_fisher(e[1], 500.0).rvs(100, rng=rng)])
    res = fit_vmf_mixture(x, 3, init=np.array([e[0], e[1], -e[0]]), maxiter=50)
    assert res.n_reseeded >= 1
    assert np.all(np.isfinite(res.kappas)) and np.all(res.weights > 0)
    assert res.weights.sum() == pytest.approx(1.0)
    assert np.isfinite(res.log_likelihood)


def test_n_init_keeps_the_best():
    x, _, _ = _three_clusters(3, [100, 100, 100], 10.0, seed=7)
    one = fit_vmf_mixture(x, 3, init="random", rng=0)
    best = fit_vmf_mixture(x, 3, init="random", n_init=4, rng=0)
    assert best.log_likelihood >= one.log_likelihood - 1e-9 * abs(one.log_likelihood)


def test_callback_and_maxiter():
    x, _, _ = _three_clusters(3, [50, 50, 50], 10.0, seed=8)
    seen = []
    res = fit_vmf_mixture(x, 3, rng=0, callback=lambda r: seen.append(r.log_likelihood))
    assert seen == list(res.log_likelihood_history)

    def stop(r):
        if r.nit == 2:
            raise StopIteration
    res = fit_vmf_mixture(x, 3, rng=0, callback=stop)
    assert res.status == 99 and not res.success and res.nit == 2
    res = fit_vmf_mixture(x, 3, rng=0, maxiter=1, rtol=0.0)
    assert res.status == 1 and res.nit == 1 and not res.converged and not res.success


def test_mixture_validation():
    x = np.eye(3)
    with pytest.raises(ValueError, match="`n_components`"):
        fit_vmf_mixture(x, 0)
    with pytest.raises(ValueError, match="`n_components`"):
        fit_vmf_mixture(x, 4)
    with pytest.raises(ValueError, match="`init`"):
        fit_vmf_mixture(x, 2, init="kmeans")
    with pytest.raises(ValueError, match="`init`"):
        fit_vmf_mixture(x, 2, init=np.ones((3, 3)))
    with pytest.raises(ValueError, match="`rtol`"):
        fit_vmf_mixture(x, 2, rtol=-1.0)
    with pytest.raises(ValueError, match="`n_init`"):
        fit_vmf_mixture(x, 2, n_init=0)
    with pytest.raises(ValueError, match=r"bad rows: \[1\]"):
        fit_vmf_mixture(np.array([[1.0, 0], [0, 0], [0, 1.0]]), 2)
    with pytest.raises(ValueError, match="`weights`"):
        fit_vmf_mixture(x, 2, weights=np.array([1.0, 1.0, np.nan]))
    with pytest.raises(TypeError, match="`callback`"):
        fit_vmf_mixture(x, 2, callback=3)


def test_kmeanspp_subset_path_and_degenerate_data(xp, monkeypatch):
    import solvers.stats._vmf_mixture as mix

    monkeypatch.setattr(mix, "_KMPP_SUBSET", 50)      # exercise the subsampled potentials
    x, labels, _ = _three_clusters(3, [80, 80, 80], 200.0, seed=9)
    res = fit_vmf_mixture(xp.asarray(x), 3, rng=2)
    assert adjusted_rand_score(labels, to_numpy(res.labels)) >= 0.95
    # symmetric data (zero resultant) and identical rows do not crash
    sym = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
    res = fit_vmf_mixture(xp.asarray(sym), 1, maxiter=3)
    assert np.isfinite(res.log_likelihood)
    res = fit_vmf_mixture(xp.asarray(np.tile([0.6, 0.8], (5, 1))), 2, maxiter=3)
    assert np.all(np.isfinite(to_numpy(res.kappas)))
