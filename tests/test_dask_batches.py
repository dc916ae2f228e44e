"""Dask (issue 16, items 3 and 4): mini-batches drawn by index from dask data without
materializing it (minimize_compositional(data=...), fit_unnormalized, FittedGaussianNoise),
and many right-hand sides solved per chunk of a leading batch axis (GeometricMultigrid.solve,
solve_kronecker_sum / KroneckerSumSolver.solve, PDESolution.solve_sources); NumPy weights
next to dask data in the vMF fits. Threaded scheduler here; the dask.distributed cases are in
tests/test_dask.py (its LocalCluster fixture). Skipped without dask."""

from __future__ import annotations

import threading
import warnings

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")

from solvers.linalg import KroneckerSumSolver, solve_kronecker_sum  # noqa: E402
from solvers.multigrid import GeometricMultigrid, poisson  # noqa: E402
from solvers.optimize import (  # noqa: E402
    ExponentialFamily,
    FittedGaussianNoise,
    GaussianNoise,
    fit_unnormalized,
    minimize_compositional,
)
from solvers.pde import PDEProblem, solve_pde  # noqa: E402
from solvers.stats import fit_vmf_mixture, vonmises_fisher  # noqa: E402

THREADS = {"scheduler": "threads", "num_workers": 2}


class RowReads:
    """A read-only (n, d) array for ``da.from_array`` that records how many rows every
    ``__getitem__`` returns (what a storage backend such as zarr would load)."""

    def __init__(self, a):
        self.a, self.shape, self.dtype, self.ndim = a, a.shape, a.dtype, a.ndim
        self.rows = []
        self._lock = threading.Lock()

    def __getitem__(self, key):
        out = self.a[key]
        with self._lock:
            self.rows.append(out.shape[0] if out.ndim else 1)
        return out

    def total(self):
        with self._lock:
            return sum(self.rows)


# --------------------------------------------------------------------------- item 3


MODEL = ExponentialFamily.gaussian_location(dim=1)


@pytest.mark.parametrize("method,adapt", [("meco", True), ("meco-storm", False),
                                          ("nce", False)])
def test_fit_unnormalized_reads_only_drawn_rows(method, adapt):
    n, chunk, batch = 40_000, 500, 8
    x = np.random.default_rng(0).normal(1.5, 1.0, size=(n, 1))
    reads = RowReads(x)
    xd = da.from_array(reads, chunks=(chunk, 1))
    per_step = []

    def record(intermediate_result):
        per_step.append(reads.total())

    opts = dict(noise=GaussianNoise(np.zeros(1)), method=method, batch_size=batch,
                noise_batch=64, maxiter=25, rng=3, adapt_noise=adapt)
    ref = fit_unnormalized(MODEL, None, np.zeros(1), x, **opts)
    with dask.config.set(**THREADS):
        res = fit_unnormalized(MODEL, None, np.zeros(1), xd, callback=record, **opts)
    assert isinstance(res.theta, np.ndarray) and res.nit == ref.nit == 25
    np.testing.assert_array_equal(np.stack(res.history["theta"]),
                                  np.stack(ref.history["theta"]))
    assert res.log_normalizer == ref.log_normalizer and res.fun == ref.fun
    # every step reads at most the chunks of its `batch` rows, never the data set (the first
    # also the chunk of the two rows the model is probed on)
    steps = np.diff(per_step)
    assert per_step[0] <= (batch + 1) * chunk and steps.max() <= batch * chunk < n // 5


@pytest.mark.parametrize("method", ["scma", "scst", "nasa", "sox"])
def test_compositional_data_rows_same_iterates(method):
    rng = np.random.default_rng(1)
    xi = rng.standard_normal((6000, 3))
    a = np.array([0.5, -0.3, 0.2])

    def inner(x, batch, groups=None):
        e = np.exp((a + batch) @ x)
        g = np.concatenate([[e.mean()], x])
        if groups is not None:     # sox: one identical row per sampled group
            return np.tile(g, (len(groups), 1)), lambda W: (
                W[:, 0].sum() * ((a + batch) * e[:, None]).mean(axis=0) + W[:, 1:].sum(0))
        return g, lambda w: w[0] * ((a + batch) * e[:, None]).mean(axis=0) + w[1:]

    def outer_grad(u, groups=None):
        if groups is not None:
            return np.concatenate([1.0 / u[:, :1], u[:, 1:]], axis=1)
        return np.concatenate([[1.0 / u[0]], u[1:]])

    opts = dict(method=method, lr=0.1, gamma=0.5, beta=0.5, batch_size=16, maxiter=30, rng=2,
                return_history=True)
    if method == "sox":
        opts.update(n_groups=4, group_batch=2)
    ref = minimize_compositional(inner, outer_grad, np.zeros(3), data=xi, **opts)
    # `data` draws the batches a sampler indexing the rows with the same generator would
    by_sampler = minimize_compositional(
        inner, outer_grad, np.zeros(3), sampler=lambda n, g: xi[g.integers(0, len(xi), n)],
        **opts)
    reads = RowReads(xi)
    with dask.config.set(**THREADS):
        res = minimize_compositional(inner, outer_grad, da.from_array(np.zeros(3)),
                                     data=da.from_array(reads, chunks=(100, 3)), **opts)
    assert isinstance(res.x, np.ndarray)
    np.testing.assert_array_equal(np.stack(res.history["x"]), np.stack(ref.history["x"]))
    np.testing.assert_array_equal(by_sampler.x, ref.x)
    assert res.n_samples == ref.n_samples
    draws = res.n_samples // 16              # each draw reads at most 16 chunks of 100 rows
    assert reads.total() <= draws * 16 * 100 < draws * len(xi) // 3


def test_dask_data_validation():
    x = np.random.default_rng(0).normal(size=(50, 1))
    x[[7, 31]] = np.nan
    noise = GaussianNoise(np.zeros(1))
    with dask.config.set(**THREADS):
        with pytest.raises(ValueError, match=r"`data` must contain only finite values: the "
                                             r"drawn rows \[(7, 31|7|31)\]"):
            fit_unnormalized(MODEL, None, np.zeros(1), da.from_array(x, chunks=10),
                             noise=noise, batch_size=64, maxiter=5, rng=0)
        strict = pytest.importorskip("array_api_strict")
        with pytest.raises(TypeError, match="`theta0` must be NumPy"):
            fit_unnormalized(MODEL, None, strict.zeros(1), da.from_array(x, chunks=10),
                             noise=noise)
    inner = lambda x, b: (x, lambda w: w)  # noqa: E731
    with pytest.raises(TypeError, match="exactly one of `sampler`"):
        minimize_compositional(inner, lambda u: u, np.zeros(1))
    with pytest.raises(TypeError, match="exactly one of `sampler`.*both"):
        minimize_compositional(inner, lambda u: u, np.zeros(1), data=x,
                               sampler=lambda n, g: x[:n])


def test_fitted_gaussian_noise_one_pass():
    x = np.random.default_rng(4).normal([3.0, -1.0], [2.0, 0.5], size=(5000, 2))
    reads = RowReads(x)
    with dask.config.set(**THREADS):
        q = FittedGaussianNoise(da.from_array(reads, chunks=(700, 2)), inflate=1.5)
    q0 = FittedGaussianNoise(x, inflate=1.5)
    assert isinstance(q.mean, np.ndarray) and isinstance(q.cov, np.ndarray)
    assert reads.total() == 5000                                 # one pass
    np.testing.assert_allclose(q.mean, q0.mean, rtol=1e-13)
    np.testing.assert_allclose(q.cov, q0.cov, rtol=1e-13)


# --------------------------------------------------------------------------- item 4


def test_multigrid_batch_equals_numpy_per_item(monkeypatch):
    from solvers.multigrid import _batch

    A = poisson((31, 31))
    ml = GeometricMultigrid(A)
    B = np.random.default_rng(0).standard_normal((7, 31, 31))
    Bd = da.from_array(B, chunks=(3, 16, 31))            # chunked along the grid too
    calls = []
    original = _batch.solve_items
    monkeypatch.setattr(_batch, "solve_items",
                        lambda *a, **k: calls.append(1) or original(*a, **k))
    with dask.config.set(**THREADS):
        X, infos = ml.solve(Bd, rtol=1e-10, return_info=True)
        assert isinstance(X, da.Array) and X.shape == B.shape and X.chunks[0] == (3, 3, 1)
        X, infos = dask.compute(X, infos)
        assert len(calls) == 3                            # one solve per chunk for both
        Xf = ml.solve(Bd.reshape(7, -1), x0=np.zeros((7, 961)), accel="cg").compute()
    for i in range(7):
        x, info = ml.solve(B[i], rtol=1e-10, return_info=True)
        np.testing.assert_array_equal(X[i], x)
        assert infos[i].nit == info.nit and infos[i].converged and "x" not in infos[i]
        np.testing.assert_array_equal(infos[i].residuals, info.residuals)
        np.testing.assert_array_equal(Xf[i], ml.solve(B[i].ravel(), accel="cg"))
    Xn, infos_n = ml.solve(B, rtol=1e-10, return_info=True)   # a NumPy batch: in memory
    np.testing.assert_array_equal(Xn, X)
    assert [r.nit for r in infos_n] == [r.nit for r in infos]
    with pytest.raises(ValueError, match="`callback` is not supported"):
        ml.solve(Bd, callback=lambda r: None)
    with pytest.raises(ValueError, match="`x0` must have the shape of the batch"):
        ml.solve(Bd, x0=np.zeros((7, 961)))


def test_kronecker_sum_batch_equals_numpy_per_item():
    rng = np.random.default_rng(2)
    T = 2 * np.eye(9) - np.eye(9, k=1) - np.eye(9, k=-1)
    S = rng.standard_normal((6, 6)) + 5 * np.eye(6)              # non-symmetric
    F = rng.standard_normal((10, 9, 6))
    solver = KroneckerSumSolver([T, S], shift=0.3)
    with dask.config.set(**THREADS):
        X = solve_kronecker_sum([T, S], da.from_array(F, chunks=(4, 5, 6)), shift=0.3)
        assert isinstance(X, da.Array) and X.dtype == np.float64
        X = X.compute()
        flat = solver.solve(da.from_array(F.reshape(10, -1), chunks=(3, -1))).compute()
        one = solve_kronecker_sum([da.from_array(T), S], da.from_array(F[4]), shift=0.3)
        one = one.compute()
    for i in range(10):
        np.testing.assert_array_equal(X[i], solver.solve(F[i]))
        np.testing.assert_array_equal(flat[i], solver.solve(F[i].ravel()))
    np.testing.assert_array_equal(one, X[4])
    np.testing.assert_array_equal(solver.solve(F), X)          # NumPy batch
    dask_factors = KroneckerSumSolver([da.from_array(T), da.from_array(S)], shift=0.3)
    assert isinstance(dask_factors.factors[0], np.ndarray)         # taken to the host
    np.testing.assert_array_equal(dask_factors.solve(F[3]), X[3])
    strict = pytest.importorskip("array_api_strict")
    with pytest.raises(TypeError, match="the factors must be NumPy"):
        KroneckerSumSolver([strict.asarray(T)]).solve(da.from_array(F[:, :, 0]))


def _source(k):
    return lambda x, y: np.sin(np.pi * k * x) * np.cos(3.0 * y) + k


@pytest.mark.parametrize("nodes", ["chebyshev", "uniform"])
def test_pde_solve_sources_equals_solve_pde(nodes):
    base = PDEProblem([(0, 1), (0, 1)], {(2, 0): 1.0, (0, 2): 1.0, (1, 0): 0.5}, _source(1),
                      lambda x, y: x * y)
    sol = solve_pde(base, (18, 18), nodes=nodes,
                    kernel="chebyshev" if nodes == "chebyshev" else "student_t_mixture")
    x, y = sol.grid.mesh()
    F = np.stack([np.broadcast_to(_source(k)(x, y), sol.grid.shape) for k in range(1, 6)])
    with dask.config.set(**THREADS):
        U, infos = sol.solve_sources(da.from_array(F, chunks=(2, 9, 18)), return_info=True)
        assert isinstance(U, da.Array) and U.shape == F.shape
        U, infos = dask.compute(U, infos)
    np.testing.assert_array_equal(U, sol.solve_sources(F))      # NumPy batch
    np.testing.assert_array_equal(U[0], sol.values)
    assert all(r.success for r in infos) and infos[0].residual_norm == sol.residual_norm
    for k in (2, 5):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            ref = solve_pde(PDEProblem(base.domain, base.operator, _source(k), base.boundary),
                            (18, 18), nodes=nodes, kernel=list(sol.kernel))
        np.testing.assert_allclose(U[k - 1], ref.values, rtol=0,
                                   atol=1e-13 * np.abs(ref.values).max())
    with pytest.raises(ValueError, match=r"`sources` must have shape \(k,\) \+ grid shape"):
        sol.solve_sources(F[0])


def test_pde_solve_sources_nonlinear():
    p = PDEProblem([(0, 1)], {(2,): 1.0}, lambda x: np.sin(np.pi * x), 0.0,
                   nonlinearity=lambda u: (u ** 3, 3 * u ** 2))
    sol = solve_pde(p, 30, nodes="chebyshev")
    (x,) = sol.grid.mesh()
    F = np.stack([a * np.sin(np.pi * x) for a in (1.0, 4.0, 20.0)])
    with dask.config.set(**THREADS):
        U, infos = dask.compute(*sol.solve_sources(da.from_array(F, chunks=1),
                                                   return_info=True))
    np.testing.assert_array_equal(U[0], sol.values)
    assert all(r.success for r in infos) and infos[2].nit >= infos[0].nit
    ref = solve_pde(PDEProblem(p.domain, p.operator, lambda x: 20.0 * np.sin(np.pi * x), 0.0,
                               nonlinearity=p.nonlinearity), 30, nodes="chebyshev")
    np.testing.assert_allclose(U[2], ref.values, rtol=0, atol=1e-13 * np.abs(ref.values).max())


# --------------------------------------------------------------------------- vMF weights


def test_vmf_numpy_weights_with_dask_x():
    mu = np.zeros(5)
    mu[0] = 1.0
    X = vonmises_fisher(mu, 20.0).rvs(900, rng=1)
    w = np.random.default_rng(2).uniform(size=900)
    with dask.config.set(**THREADS):
        Xd = da.from_array(X, chunks=(200, 5))
        mu_d, kappa_d = vonmises_fisher.fit(Xd, weights=w)
        res = fit_vmf_mixture(Xd, 2, weights=w, rng=0, maxiter=4, rtol=0.0)
    mu0, kappa0 = vonmises_fisher.fit(X, weights=w)
    np.testing.assert_allclose(mu_d, mu0, rtol=1e-13, atol=1e-15)
    assert kappa_d == pytest.approx(kappa0, rel=1e-12)
    ref = fit_vmf_mixture(X, 2, weights=w, rng=0, maxiter=4, rtol=0.0)
    np.testing.assert_allclose(res.kappas, ref.kappas, rtol=1e-10)
    # the other way round (dask weights, NumPy x) is refused, naming `weights`
    wd = da.from_array(w, chunks=300)
    with pytest.raises(TypeError, match="`weights` must come from the same array library"):
        vonmises_fisher.fit(X, weights=wd)
    with pytest.raises(TypeError, match="`weights` must come from the same array library"):
        fit_vmf_mixture(X, 2, weights=wd)
    with pytest.raises(ValueError, match=r"`weights` must have shape \(900,\)"):
        vonmises_fisher.fit(Xd, weights=w[:-1])
