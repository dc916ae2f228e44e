"""Kernel learning: the GP-HM objective (vs a dense assembly), its gradients (vs finite
differences), the bilevel and joint-Adam learners and their stopping/pruning interface."""

import math

import numpy as np
import pytest

from solvers.pde import KroneckerGrid, PDEProblem, gphm_objective, solve_pde
from solvers.pde._learn import bilevel_objective, prune_kernel
from solvers.pde._objective import ObjectiveEvaluator
from solvers.pde.kernels import SpectralMixture, StudentTMixture



def _problem(d, nonlinear=False, operator=None):
    if operator is None:
        operator = ({(2,): 1.0} if d == 1
                    else {(2, 0): 1.0, (0, 2): 0.7, (1, 0): 0.3, (1, 1): 0.2})
    src = (lambda x: np.sin(3 * x)) if d == 1 else (lambda x, y: np.sin(3 * x) * np.cos(2 * y))
    nl = (lambda u: (u ** 3 - u, 3 * u ** 2 - 1)) if nonlinear else None
    return PDEProblem([(0.0, 1.5)] * d, operator, src, 0.3, nonlinearity=nl)


def _dense_objective(problem, grid, kernels, U, jitter, lambda_b, precisions):
    """Independent dense evaluation of the reference's loss."""
    Ks, D = [], []
    for k, x in zip(kernels, grid.axes):
        K = k(x) + jitter * k.variance * np.eye(len(x))
        Ks.append(K)
        D.append({r: np.linalg.solve(K, k(x, x, dx=r).T).T for r in (1, 2)})
    C = Ks[0]
    for K in Ks[1:]:
        C = np.kron(C, K)
    u = U.reshape(-1)
    logdet = np.linalg.slogdet(C)[1]
    quad = u @ np.linalg.solve(C, u)
    L = 0.0
    for alpha, c in problem.operator.items():
        T = np.ones((1, 1))
        for j, r in enumerate(alpha):
            T = np.kron(T, D[j][r] if r else np.eye(grid.shape[j]))
        L = L + c * T
    f = np.broadcast_to(problem.evaluate_source(grid), grid.shape).reshape(-1)
    H = L @ u - f
    if problem.nonlinearity is not None:
        H = H + problem.nonlinearity(u)[0]
    g = problem.evaluate_boundary(grid)
    eb = []
    for j, n in enumerate(grid.shape):
        for idx in (0, n - 1):
            eb.append((np.take(U, idx, axis=j) - np.take(g, idx, axis=j)).reshape(-1))
    eb = np.concatenate(eb)
    nb, nc = eb.size, u.size
    if precisions is None:
        tb, tr = nb / (eb @ eb), nc / (H @ H)
    else:
        tb, tr = precisions
    return (0.5 * logdet + 0.5 * quad
            - lambda_b * (0.5 * nb * math.log(tb) - 0.5 * tb * (eb @ eb))
            - (0.5 * nc * math.log(tr) - 0.5 * tr * (H @ H)))


@pytest.mark.parametrize("d,nonlinear", [(1, False), (1, True), (2, False), (2, True)])
@pytest.mark.parametrize("precisions", [None, (3.0, 0.02)])
def test_objective_matches_dense_assembly(d, nonlinear, precisions):
    p = _problem(d, nonlinear)
    grid = KroneckerGrid.uniform(p.domain, (7,) if d == 1 else (6, 5))
    ks = [StudentTMixture([0.6, 0.4], [0.0, 1.3], [0.4, 0.3]),
          SpectralMixture([0.5, 0.5], [0.2, 0.9], [0.5, 0.4])][:d]
    U = np.random.default_rng(1).standard_normal(grid.shape)
    val = gphm_objective(p, grid, ks if d == 2 else ks[0], U, lambda_b=200.0,
                         precisions=precisions, jitter=1e-6)
    ref = _dense_objective(p, grid, ks, U, 1e-6, 200.0, precisions)
    assert val == pytest.approx(ref, rel=1e-8, abs=1e-8)


def test_profiled_precisions_minimize_the_objective():
    p = _problem(2)
    grid = KroneckerGrid.uniform(p.domain, (6, 6))
    k = StudentTMixture([1.0], [0.3], [0.4])
    U = np.random.default_rng(2).standard_normal(grid.shape)
    val, terms = gphm_objective(p, grid, k, U, return_terms=True, jitter=1e-6)
    tb, tr = terms["tau_b"], terms["tau_r"]
    at_opt = gphm_objective(p, grid, k, U, precisions=(tb, tr), jitter=1e-6)
    assert at_opt == pytest.approx(val, rel=1e-12)
    for fb, fr in [(1.5, 1.0), (1.0, 0.5), (0.7, 2.0)]:
        assert gphm_objective(p, grid, k, U, precisions=(tb * fb, tr * fr), jitter=1e-6) > val


def test_hard_boundary_drops_the_boundary_term():
    p = _problem(1)
    grid = KroneckerGrid.uniform(p.domain, 9)
    k = StudentTMixture([1.0], [0.3], [0.4])
    U = np.full(grid.shape, 0.3)
    _, soft = gphm_objective(p, grid, k, U, return_terms=True)
    hard, terms = gphm_objective(p, grid, k, U, boundary="hard", return_terms=True)
    assert soft["boundary"] == -math.inf  # exact boundary values: profiled term unbounded
    assert "boundary" not in terms and math.isfinite(hard)


def _fd(f, x, eps):
    out = np.empty_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = eps
        out[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return out


@pytest.mark.parametrize("cls", [StudentTMixture, SpectralMixture])
@pytest.mark.parametrize("d", [1, 2])
def test_objective_gradients_match_finite_differences(cls, d):
    rng = np.random.default_rng(0)
    p = _problem(d, nonlinear=d == 1)
    grid = KroneckerGrid.uniform(p.domain, (12,) if d == 1 else (9, 8))
    t = [cls([0.6, 0.4], [0.0, 1.3], [0.4, 0.3]) for _ in range(d)]
    ev = ObjectiveEvaluator(p, grid, t, jitter=1e-6)
    theta = np.concatenate([k.params for k in t]) + 0.1 * rng.standard_normal(6 * d)
    U = rng.standard_normal(grid.shape)

    def f(th, V=U):
        return ev.value(ev.system(th), V)[0]
    s = ev.system(theta)
    _, _, cache = ev.value(s, U)
    g_theta = ev.grad_theta(s, U, cache, cache["tau_r"] * cache["H"], theta=theta)
    fd = _fd(f, theta, 1e-6)
    np.testing.assert_allclose(g_theta, fd, rtol=1e-4, atol=1e-4 * np.abs(fd).max())
    gU = ev.grad_values(s, U, cache)
    V = rng.standard_normal(grid.shape)
    fdU = (f(theta, U + 1e-6 * V) - f(theta, U - 1e-6 * V)) / 2e-6
    assert float(np.sum(gU * V)) == pytest.approx(fdU, rel=1e-6)


@pytest.mark.parametrize("cls", [StudentTMixture, SpectralMixture])
@pytest.mark.parametrize("d,nonlinear", [(1, False), (1, True), (2, False), (2, True)])
def test_bilevel_gradient_matches_finite_differences(cls, d, nonlinear):
    """Implicit differentiation through the collocation solve (adjoint), incl. Newton."""
    rng = np.random.default_rng(0)
    op = {(2,): 1.0} if d == 1 else {(2, 0): 1.0, (0, 2): 0.7, (1, 0): 0.3}
    p = _problem(d, nonlinear, operator=op)
    grid = KroneckerGrid.uniform(p.domain, (12,) if d == 1 else (12, 10))
    t = [cls([0.6, 0.4], [0.0, 1.3], [0.4, 0.3]) for _ in range(d)]
    fg, theta = bilevel_objective(p, grid, t, jitter=1e-8)
    theta = theta + 0.1 * rng.standard_normal(theta.size)
    _, g = fg(theta)
    fd = _fd(lambda th: fg(th)[0], theta, 1e-6)
    np.testing.assert_allclose(g, fd, rtol=1e-4, atol=1e-4 * np.abs(fd).max())


def _sin5():
    ex = lambda x: np.sin(5 * x)  # noqa: E731
    return PDEProblem([(0, 2 * np.pi)], {(2,): 1.0}, lambda x: -25 * np.sin(5 * x), ex,
                      exact=ex)


def test_bilevel_learning_moves_a_misplaced_frequency():
    """Start 25% below the true frequency 5/(2 pi): learning must cut the error >= 10x."""
    p = _sin5()
    k = StudentTMixture([0.01, 1.0], [0.0, 0.6], [0.16, 0.05])
    before = solve_pde(p, 24, kernel=k)
    after = solve_pde(p, 24, kernel=k, learn=True, maxiter=30)
    mu = after.kernel[0].means.max()
    assert abs(mu - 5 / (2 * np.pi)) < abs(0.6 - 5 / (2 * np.pi)) / 2
    assert after.relative_l2_error() < 0.1 * before.relative_l2_error()
    info = after.info["learn"]
    assert info["objective"][1] < info["objective"][0]
    assert info["learner"] == "bilevel" and info["nit"] >= 1


def test_learning_interface_status_callback_progress():
    p = _sin5()
    k = StudentTMixture([0.01, 1.0], [0.0, 0.6], [0.16, 0.05])
    seen = []
    sol = solve_pde(p, 24, kernel=k, learn=True, maxiter=2, callback=seen.append,
                    progress=True)
    info = sol.info["learn"]
    assert [r["nit"] for r in seen] == list(range(1, len(seen) + 1))
    assert all({"fun", "x", "elapsed_s"} <= set(r) for r in seen)
    assert info["status"] in (0, 1, 5) and info["success"] == (info["status"] == 0)
    assert info["selected"] in ("learned", "initial")

    def stop(intermediate_result):
        raise StopIteration
    stopped = solve_pde(p, 24, kernel=k, learn=True, callback=stop)
    assert stopped.info["learn"]["status"] == 99 and stopped.info["learn"]["nit"] == 1
    timed = solve_pde(p, 24, kernel=k, learn=True, max_time=1e-9)
    assert timed.info["learn"]["status"] == 2 and timed.info["learn"]["nit"] <= 1
    assert "max_time" in timed.info["learn"]["message"]


def test_pruning_drops_negligible_components():
    k = StudentTMixture([1.0, 1e-9, 0.5], [0.0, 2.0, 1.0], [0.1, 0.1, 0.1])
    kept, n = prune_kernel(k, 1e-6)
    assert n == 1 and kept.n_components == 2
    np.testing.assert_array_equal(kept.means, [0.0, 1.0])
    assert prune_kernel(k, None) == (k, 0)
    p = _sin5()
    sol = solve_pde(p, 24, kernel=k, learn=True, maxiter=1, prune=1e-6)
    info = sol.info["learn"]
    assert sum(info["pruned"]) >= 1
    assert len(info["components"][0]) == sol.kernel[0].n_components
    assert all(len(c) == 3 for c in info["components"][0])


def test_joint_adam_decreases_the_objective():
    p = _sin5()
    k = StudentTMixture([0.01, 1.0], [0.0, 0.8], [0.16, 0.05])
    sol = solve_pde(p, 24, kernel=k, learn=True, learner="joint_adam", maxiter=40)
    info = sol.info["learn"]
    assert info["learner"] == "joint_adam" and info["nit"] == 40
    assert info["objective"][1] < info["objective"][0]
    assert info["values"].shape == (24,)


@pytest.mark.parametrize("kwargs,match", [
    ({"learner": "adam"}, "learner"),
    ({"maxiter": 0}, "maxiter"),
    ({"max_time": -1.0}, "max_time"),
    ({"prune": 2.0}, "prune"),
])
def test_learning_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        solve_pde(_sin5(), 24, learn=True, **kwargs)


def test_gphm_objective_bad_input():
    p = _sin5()
    g = KroneckerGrid.uniform(p.domain, 10)
    k = StudentTMixture([1.0], [0.5], [0.1])
    with pytest.raises(ValueError, match="values"):
        gphm_objective(p, g, k, np.zeros(9))
    with pytest.raises(ValueError, match="lambda_b"):
        gphm_objective(p, g, k, np.zeros(10), lambda_b=-1.0)
    with pytest.raises(ValueError, match="precisions"):
        gphm_objective(p, g, k, np.zeros(10), precisions=(1.0, 0.0))
    with pytest.raises(ValueError, match="boundary"):
        gphm_objective(p, g, k, np.zeros(10), boundary="none")
    with pytest.raises(TypeError, match="kernel"):
        gphm_objective(p, g, "rbf", np.zeros(10))
    with pytest.raises(TypeError, match="problem"):
        gphm_objective(None, g, k, np.zeros(10))


def test_objective_and_gradients_on_every_backend(xp):
    from solvers._array_api import from_numpy, to_numpy
    p = PDEProblem([(0.0, 1.5)] * 2, {(2, 0): 1.0, (0, 2): 0.7, (1, 0): 0.3}, 0.5, 0.3)
    k = StudentTMixture([0.6, 0.4], [0.0, 1.3], [0.4, 0.3])
    U = np.random.default_rng(0).standard_normal((6, 5))
    out = []
    for ns, V in ((None, U), (xp, from_numpy(U, xp))):
        g = KroneckerGrid.uniform(p.domain, (6, 5), xp=ns)
        ev = ObjectiveEvaluator(p, g, [k, k], jitter=1e-6)
        th = np.concatenate([k.params, k.params])
        s = ev.system(th)
        val, _, cache = ev.value(s, V)
        gth = ev.grad_theta(s, V, cache, cache["tau_r"] * cache["H"], theta=th)
        gU = ev.grad_values(s, V, cache)
        out.append((val, gth, to_numpy(gU)))
        if ns is not None:
            assert type(gU) is type(V)
    np.testing.assert_allclose(out[1][0], out[0][0], rtol=1e-10)
    np.testing.assert_allclose(out[1][1], out[0][1], rtol=1e-8)
    np.testing.assert_allclose(out[1][2], out[0][2], rtol=1e-8, atol=1e-10)
