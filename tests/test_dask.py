"""Dask as a backend (issue 16): chunk-wise special functions, one-pass vMF fits, lazy logpdf
and rvs, on the threaded scheduler and on a dask.distributed LocalCluster of 2 processes.
Skipped without dask."""

from __future__ import annotations

import threading

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")

from solvers._array_api import array_namespace  # noqa: E402
from solvers._backend import backend_for  # noqa: E402
from solvers.special import iv_ratio, log_iv, log_kv  # noqa: E402
from solvers.stats import fit_vmf_mixture, vonmises_fisher  # noqa: E402

THREADS = {"scheduler": "threads", "num_workers": 2}


def _mu(p, j=0):
    mu = np.zeros(p)
    mu[j] = 1.0
    return mu


_CALLS = {"n": 0}
_LOCK = threading.Lock()


def _counted_block(block):
    with _LOCK:
        _CALLS["n"] += 1
    return block


def counted(x, rows):
    """``x`` as a dask array whose chunks count how often they are read."""
    out = da.from_array(x, chunks=(rows, -1)).map_blocks(_counted_block, dtype=x.dtype,
                                                         meta=np.empty((0, 0)))
    _CALLS["n"] = 0
    return out


def test_backend_is_registered():
    xp = array_namespace(da.ones(3))
    assert backend_for(xp).name == "dask"
    assert backend_for(xp).host_parameters


@pytest.mark.parametrize("fn,kw", [(log_iv, {}), (log_kv, {}), (iv_ratio, {}),
                                   (iv_ratio, {"complement": True})])
def test_special_chunkwise_bitwise_equal(fn, kw):
    rng = np.random.default_rng(0)
    v = rng.uniform(-5, 300, 2000)
    x = np.concatenate([rng.uniform(0, 5, 1000), 10 ** rng.uniform(-3, 5, 1000)])
    out = fn(da.from_array(v, chunks=300), da.from_array(x, chunks=700), **kw)
    assert isinstance(out, da.Array)                       # lazy
    with dask.config.set(**THREADS):
        got = out.compute()
    np.testing.assert_array_equal(got, fn(v, x, **kw))    # bitwise (NaNs where NumPy's)
    x32 = da.from_array(x.astype(np.float32), chunks=500)
    assert fn(2.5, x32, **kw).dtype == np.float32


def test_vmf_fit_one_pass_equals_numpy():
    X = vonmises_fisher(_mu(12), 25.0).rvs(6000, rng=1)
    w = np.random.default_rng(2).uniform(size=6000)
    with dask.config.set(**THREADS):
        Xd = counted(X, 1000)
        mu, kappa = vonmises_fisher.fit(Xd)
        assert _CALLS["n"] == 6                             # each chunk read once
        mu_w, kappa_w = vonmises_fisher.fit(Xd, weights=da.from_array(w, chunks=1500))
    mu0, kappa0 = vonmises_fisher.fit(X)
    assert isinstance(mu, np.ndarray)
    np.testing.assert_allclose(mu, mu0, rtol=1e-13, atol=1e-15)
    assert kappa == pytest.approx(kappa0, rel=1e-12)
    mu0, kappa0 = vonmises_fisher.fit(X, weights=w)
    np.testing.assert_allclose(mu_w, mu0, rtol=1e-13, atol=1e-15)
    assert kappa_w == pytest.approx(kappa0, rel=1e-12)


def test_vmf_fit_concentrated_and_bad_rows():
    X = vonmises_fisher(_mu(6), 1e7).rvs(4000, rng=3)        # 1 - rbar ~ 3e-7
    with dask.config.set(**THREADS):
        _, kappa = vonmises_fisher.fit(da.from_array(X, chunks=(700, 3)))
        assert kappa == pytest.approx(vonmises_fisher.fit(X)[1], rel=1e-10)
        X[[7, 3500]] = 0.0
        with pytest.raises(ValueError, match=r"bad rows: \[7, 3500\] \(2 of 4000\)"):
            vonmises_fisher.fit(da.from_array(X, chunks=(700, 6)))


def test_vmf_logpdf_lazy_and_rvs_reproducible():
    dist = vonmises_fisher(_mu(5), 10.0)
    X = dist.rvs(3000, rng=4)
    with dask.config.set(**THREADS):
        lp = dist.logpdf(da.from_array(X, chunks=(800, 5)))   # NumPy mu, dask x
        assert isinstance(lp, da.Array)
        np.testing.assert_array_equal(lp.compute(), dist.logpdf(X))
        ddist = vonmises_fisher(da.from_array(_mu(5)), 10.0)
        a, b = ddist.rvs(2000, rng=7), ddist.rvs(2000, rng=7)
        assert isinstance(a, da.Array) and a.shape == (2000, 5)
        a = a.compute()
        np.testing.assert_array_equal(a, b.compute())
        np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, rtol=1e-14)
        assert vonmises_fisher.fit(a)[1] == pytest.approx(10.0, rel=0.1)


def _three_clusters(n=600, p=6):
    rng = np.random.default_rng(0)
    return np.concatenate([vonmises_fisher(_mu(p, j), 40.0).rvs(n, rng=rng) for j in range(3)])


def test_mixture_one_pass_per_iteration_equals_numpy():
    X = _three_clusters()
    w = np.random.default_rng(5).uniform(0.5, 1.5, X.shape[0])
    ref = fit_vmf_mixture(X, 3, weights=w, rng=0, maxiter=6, rtol=0.0)
    with dask.config.set(**THREADS):
        Xd = counted(X, 300)
        res = fit_vmf_mixture(Xd, 3, weights=da.from_array(w, chunks=300), rng=0, maxiter=6,
                              rtol=0.0)
        # seeding reads the data once, initial statistics once, then one pass per E-step
        assert _CALLS["n"] == 6 * (2 + len(res.log_likelihood_history))
        gamma = res.responsibilities.compute()
    assert res.nit == ref.nit and res.status == ref.status
    assert isinstance(res.means, np.ndarray) and isinstance(res.responsibilities, da.Array)
    np.testing.assert_allclose(res.kappas, ref.kappas, rtol=1e-10)
    np.testing.assert_allclose(res.means, ref.means, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(res.weights, ref.weights, rtol=1e-10)
    np.testing.assert_allclose(res.log_likelihood, ref.log_likelihood, rtol=1e-12)
    np.testing.assert_allclose(gamma, ref.responsibilities, atol=1e-10)


@pytest.fixture(scope="module")
def cluster_client():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, memory_limit="1GiB") as cluster:
        with distributed.Client(cluster) as client:
            yield client


def test_local_cluster_two_processes(cluster_client):
    """The same results on 2 worker processes (the graphs pickle)."""
    X = _three_clusters(300, 5)
    Xd = da.from_array(X, chunks=(300, 5))
    mu, kappa = vonmises_fisher.fit(Xd)
    mu0, kappa0 = vonmises_fisher.fit(X)
    np.testing.assert_allclose(mu, mu0, rtol=1e-13, atol=1e-15)
    assert kappa == pytest.approx(kappa0, rel=1e-12)
    v = np.linspace(0.0, 40.0, 900)
    np.testing.assert_array_equal(log_iv(da.from_array(v, chunks=300), Xd[:, 0] * 50 + 51)
                                  .compute(), log_iv(v, X[:, 0] * 50 + 51))
    res = fit_vmf_mixture(Xd, 3, rng=0, maxiter=5, rtol=0.0)
    ref = fit_vmf_mixture(X, 3, rng=0, maxiter=5, rtol=0.0)
    np.testing.assert_allclose(res.kappas, ref.kappas, rtol=1e-10)
    dist = vonmises_fisher(mu0, kappa0)
    np.testing.assert_array_equal(dist.logpdf(Xd).compute(), dist.logpdf(X))


def test_local_cluster_batches_and_minibatches(cluster_client):
    """Issue 16 items 3 and 4 on 2 worker processes: the multigrid hierarchy, the
    fast-diagonalization solver and the PDE discretization enter the graph once and pickle
    to the workers; mini-batch rows are read on the workers (tests/test_dask_batches.py has
    the threaded cases)."""
    from solvers.linalg import solve_kronecker_sum
    from solvers.multigrid import GeometricMultigrid, poisson
    from solvers.optimize import ExponentialFamily, GaussianNoise, fit_unnormalized
    from solvers.pde import PDEProblem, solve_pde

    rng = np.random.default_rng(0)
    ml = GeometricMultigrid(poisson((15, 15)))
    B = rng.standard_normal((4, 15, 15))
    X, infos = dask.compute(*ml.solve(da.from_array(B, chunks=(2, 15, 15)), rtol=1e-10,
                                      return_info=True))
    for i in range(4):
        np.testing.assert_allclose(X[i], ml.solve(B[i], rtol=1e-10), rtol=1e-13, atol=0)
        assert infos[i].converged
    T = 2 * np.eye(6) - np.eye(6, k=1) - np.eye(6, k=-1)
    S = rng.standard_normal((5, 5)) + 4 * np.eye(5)
    F = rng.standard_normal((4, 6, 5))
    Xk = solve_kronecker_sum([T, S], da.from_array(F, chunks=(2, 6, 5))).compute()
    np.testing.assert_allclose(Xk, solve_kronecker_sum([T, S], F), rtol=1e-13, atol=1e-15)
    sol = solve_pde(PDEProblem([(0, 1), (0, 1)], {(2, 0): 1.0, (0, 2): 1.0}, 1.0, 0.0),
                    (12, 12), nodes="chebyshev")
    sources = rng.standard_normal((3, 12, 12))
    U = sol.solve_sources(da.from_array(sources, chunks=(2, 12, 12))).compute()
    np.testing.assert_allclose(U, sol.solve_sources(sources), rtol=1e-13, atol=1e-15)
    x = rng.normal(1.0, 1.0, size=(4000, 1))
    opts = dict(noise=GaussianNoise(np.zeros(1)), batch_size=16, maxiter=10, rng=0)
    model = ExponentialFamily.gaussian_location(dim=1)
    res = fit_unnormalized(model, None, np.zeros(1), da.from_array(x, chunks=(500, 1)), **opts)
    np.testing.assert_array_equal(res.theta, fit_unnormalized(model, None, np.zeros(1), x,
                                                              **opts).theta)
