"""solve_pde: Kronecker collocation vs dense assembly, benchmark accuracy, convergence, API."""

import math
import warnings

import numpy as np
import pytest

from solvers._array_api import from_numpy, to_numpy, xp_assert_close
from solvers.pde import (Matern, PDEProblem, StudentTMixture, gphm_benchmarks, solve_pde)


def _dense_collocation(problem, sol, jitter):
    """Assemble the same collocation system densely, independently of the library's code."""
    grid, kernels = sol.grid, sol.kernel
    D = []
    for k, x in zip(kernels, grid.axes):
        x = to_numpy(x)
        K = k(x) + jitter * k.variance * np.eye(len(x))
        D.append({r: np.linalg.solve(K, k(x, x, dx=r).T).T for r in (1, 2)})
    L = 0.0
    for alpha, c in problem.operator.items():
        T = np.ones((1, 1))
        for j, r in enumerate(alpha):
            T = np.kron(T, D[j][r] if r else np.eye(grid.shape[j]))
        L = L + c * T
    inside = ~to_numpy(grid.boundary_mask()).reshape(-1)
    U = to_numpy(problem.evaluate_boundary(grid)).reshape(-1).copy()
    f = np.broadcast_to(to_numpy(problem.evaluate_source(grid)), grid.shape).reshape(-1)
    rhs = f[inside] - L[np.ix_(inside, ~inside)] @ U[~inside]
    U[inside] = np.linalg.solve(L[np.ix_(inside, inside)], rhs)
    return U.reshape(grid.shape)


def _smooth_problem(operator, d):
    rng = np.random.default_rng(3)
    a = rng.uniform(0.5, 1.5, d)

    def exact(*x):
        out = 1.0
        for j, xj in enumerate(x):
            out = out * np.sin(a[j] * xj + 0.3)
        return out

    def source(*x):  # sum_alpha c_alpha d^alpha of the product of sines
        total = 0.0
        for alpha, c in operator.items():
            term = c
            for j, (xj, r) in enumerate(zip(x, alpha)):
                ph = a[j] * xj + 0.3
                term = term * [np.sin(ph), a[j] * np.cos(ph), -a[j] ** 2 * np.sin(ph)][r]
            total = total + term
        return total
    return PDEProblem([(0.0, 2.0)] * d, operator, source, exact, exact=exact)


CASES = {
    "2d-kronecker-sum": ({(2, 0): 1.0, (0, 2): 0.5, (1, 0): 0.3, (0, 0): -1.0}, (9, 8)),
    "2d-mixed-gmres": ({(2, 0): 1.0, (0, 2): 1.0, (1, 1): 0.4}, (8, 9)),
    "3d-laplace": ({(2, 0, 0): 1.0, (0, 2, 0): 1.0, (0, 0, 2): 1.0}, (6, 7, 5)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_kronecker_collocation_matches_dense_assembly(case, monkeypatch):
    # small grids are solved densely: force the structured paths to compare them
    monkeypatch.setattr("solvers.pde._interior.DENSE_MAX", 0)
    operator, shape = CASES[case]
    p = _smooth_problem(operator, len(shape))
    k = StudentTMixture([0.7, 0.3], [0.0, 0.4], [0.3, 0.2])
    sol = solve_pde(p, shape, kernel=k, jitter=1e-8, rtol=1e-13)
    expected = "gmres" if "gmres" in case else "kronecker_sum"
    assert sol.info["solver"] == expected
    dense = _dense_collocation(p, sol, 1e-8)
    np.testing.assert_allclose(sol.values, dense, rtol=1e-8, atol=1e-9 * np.abs(dense).max())
    assert sol.relative_l2_error(n_test=20) < 0.2  # sanity: 5-9 nodes per axis, coarse


def test_backends_agree(xp):
    operator, shape = CASES["2d-kronecker-sum"]
    p = _smooth_problem(operator, 2)

    def on(fn):  # rewrite the callables for the namespace under test
        return lambda *x: from_numpy(np.asarray(fn(*[to_numpy(v) for v in x])), xp)

    pp = PDEProblem(p.domain, p.operator, on(p.source), on(p.boundary), exact=on(p.exact))
    k = Matern(lengthscale=0.8)
    ref = solve_pde(p, shape, kernel=k)
    got = solve_pde(pp, shape, kernel=k, xp=xp)
    xp_assert_close(got.values, from_numpy(ref.values, xp), rtol=1e-9, atol=1e-11)
    t = from_numpy(np.linspace(0.0, 2.0, 7), xp)
    xp_assert_close(got.derivative((1, 0), t, t),
                    from_numpy(ref.derivative((1, 0), to_numpy(t), to_numpy(t)), xp),
                    rtol=1e-8, atol=1e-10)


def test_solution_interface():
    p = gphm_benchmarks()["poisson1d-sin6cos100"]
    sol = solve_pde(p, 400)
    assert sol.info["solver"] == "dense" and sol.residual_norm < 1e-10
    x = sol.grid.axes[0]
    np.testing.assert_allclose(sol.values[[0, -1]], p.exact(x[[0, -1]]), atol=1e-14)
    t = np.linspace(0.3, 6.0, 50)
    np.testing.assert_allclose(sol(t[:, None]), sol.evaluate(t), rtol=1e-12, atol=1e-12)
    u2 = sol.derivative((2,), t)
    exact2 = p.source(t)
    assert np.linalg.norm(u2 - exact2) / np.linalg.norm(exact2) < 1e-4
    assert set(sol.info) >= {"time_s", "solver", "jitter", "gram_condition", "init"}


def test_points_call_matches_tensor_evaluation_2d():
    p = gphm_benchmarks()["poisson2d-sin6cos20"]
    sol = solve_pde(p, 40, kernel=Matern(0.5))
    tx, ty = np.linspace(0, 6, 5), np.linspace(0.1, 6.2, 4)
    pts = np.stack(np.meshgrid(tx, ty, indexing="ij"), axis=-1).reshape(-1, 2)
    np.testing.assert_allclose(sol(pts), sol.evaluate(tx, ty).reshape(-1), rtol=1e-11,
                               atol=1e-12)


def test_underresolved_grid_warns():
    p = gphm_benchmarks()["poisson1d-sin100"]
    k = StudentTMixture([1.0], [100 / (2 * np.pi)], [0.02])  # the true frequency, 60 nodes
    with pytest.warns(RuntimeWarning, match="points per shortest wavelength"):
        sol = solve_pde(p, 60, kernel=k)
    assert sol.info["points_per_wavelength"][0] < 3


def test_allen_cahn_newton():
    p = gphm_benchmarks()["allencahn1d-sin100"]
    sol = solve_pde(p, 400)
    assert sol.info["success"] and sol.info["newton_iterations"] <= 6
    assert sol.relative_l2_error() < 1e-5


def test_uniform_init_runs():
    p = gphm_benchmarks()["poisson1d-sin100"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # F = 30 is above 1/(3h)
        sol = solve_pde(p, 400, init="uniform", n_components=30)
    assert sol.kernel[0].n_components == 30
    assert np.isfinite(sol.relative_l2_error())


def test_kernel_params_round_trip():
    p = gphm_benchmarks()["poisson1d-sin100"]
    sol = solve_pde(p, 400, nodes="uniform")
    again = solve_pde(p, 400, kernel_params=[k.params for k in sol.kernel])
    np.testing.assert_allclose(again.kernel[0].params, sol.kernel[0].params, rtol=1e-14)
    # exp(log w) differs from w in the last bit; cond(K) ~ 1e14 turns that into ~1e-9
    np.testing.assert_allclose(again.values, sol.values, rtol=0, atol=1e-7)


# ----------------------------------------------------------------- benchmark accuracy (issue)

def _bench_error(name, **kw):
    p = gphm_benchmarks()[name]
    return solve_pde(p, p.reference["shape"], init="fft", **kw).relative_l2_error()


# The README's GP-HM table (defaults: Chebyshev nodes at every reference size) states
# <= 2e-10 relative L2 on every case; the GP-HM setting (nodes="uniform", Student-t mixture)
# keeps the bounds the reference's logs set.
def test_poisson1d_sin100_accuracy():
    assert _bench_error("poisson1d-sin100") <= 2e-10
    assert _bench_error("poisson1d-sin100", nodes="uniform") <= 4e-7


def test_poisson2d_sin6cos20_accuracy():
    assert _bench_error("poisson2d-sin6cos20") <= 2e-10
    assert _bench_error("poisson2d-sin6cos20", nodes="uniform") <= 1e-3


@pytest.mark.slow
def test_poisson1d_xsin200_accuracy():
    assert _bench_error("poisson1d-xsin200") <= 2e-10


@pytest.mark.slow
def test_poisson2d_sin100sin100_accuracy():
    assert _bench_error("poisson2d-sin100sin100") <= 2e-10
    assert _bench_error("poisson2d-sin100sin100", nodes="uniform") <= 6.9e-5


# ----------------------------------------------------------------- 3-D convergence

@pytest.mark.slow
def test_3d_poisson_converges():
    def exact(x, y, z):
        return np.sin(np.pi * x) * np.exp(y) * np.cos(2 * z)

    def source(x, y, z):
        return (1.0 - np.pi ** 2 - 4.0) * exact(x, y, z)

    p = PDEProblem([(0, 1)] * 3, {(2, 0, 0): 1.0, (0, 2, 0): 1.0, (0, 0, 2): 1.0}, source,
                   exact, exact=exact)
    k = Matern(lengthscale=0.5, nu=2.5)
    ns = [16, 32, 64]
    errs = [solve_pde(p, n, kernel=k).relative_l2_error(n_test=40) for n in ns]
    orders = [math.log2(errs[i] / errs[i + 1]) for i in range(len(ns) - 1)]
    assert min(orders) > 2.5, (errs, orders)  # measured ~3 (Matérn-5/2 collocation)
    assert errs[-1] < 1e-4


# On GP-HM's uniform grid the spectral mixture (fixed, unlearned kernel) misses two of the
# bounds, which is why the uniform axes default to the Student-t mixture.
@pytest.mark.xfail(reason="measured 2.8e-5: Gaussian envelopes make K_j numerically rank-"
                   "deficient next to the low-frequency component; StM reaches 2.5e-7",
                   strict=False)
def test_poisson1d_sin100_accuracy_spectral_mixture():
    assert _bench_error("poisson1d-sin100", kernel="spectral_mixture", nodes="uniform") <= 1e-6


@pytest.mark.slow
@pytest.mark.xfail(reason="measured 5.0e-4 with a fixed spectral-mixture kernel; StM 1.8e-5",
                   strict=False)
def test_poisson1d_xsin200_accuracy_spectral_mixture():
    assert _bench_error("poisson1d-xsin200", kernel="spectral_mixture",
                        nodes="uniform") <= 1e-4


def test_poisson2d_sin6cos20_accuracy_spectral_mixture():
    assert _bench_error("poisson2d-sin6cos20", kernel="spectral_mixture") <= 1e-3


def test_helmholtz_homogeneous_solution_is_found():
    # u'' + 49 u = 49 with u = 1 + sin(7x): sin(7x) is invisible in the source; init="fft"
    # seeds the resonance sqrt(c0/c2)/(2 pi) of the operator
    k = 7.0
    p = PDEProblem([(0.0, 3.0)], {(2,): 1.0, (0,): k * k}, k * k, lambda x: 1 + np.sin(k * x),
                   exact=lambda x: 1 + np.sin(k * x))
    sol = solve_pde(p, 80, nodes="uniform")
    assert np.isclose(sol.kernel[0].means, k / (2 * np.pi)).any()
    assert sol.relative_l2_error() < 1e-4
    # the resonance also enters the wavelength count that chooses Chebyshev nodes
    auto = solve_pde(p, 80)
    assert auto.nodes == ("chebyshev",)
    assert auto.info["wavelengths"][0] >= 3.0 * k / (2 * np.pi)
    assert auto.relative_l2_error() < 1e-12
