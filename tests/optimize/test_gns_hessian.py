"""Hessian approximations: each solve(lam, g) against a dense solve of (H + lam B) s = g."""

import numpy as np
import pytest

from solvers._array_api import from_numpy, to_numpy
from solvers.optimize import (
    DiagonalHessian,
    EmpiricalFisher,
    ExactHessian,
    GaussNewton,
    HessianVectorCG,
    LazyHessian,
    LowRankPlusDiagonal,
    RankOneFisher,
)
from solvers.optimize._gns_core import Problem

D = 7


def _metric(kind, rng):
    if kind == "identity":
        return None, np.eye(D)
    if kind == "diagonal":
        b = rng.uniform(0.5, 2.0, D)
        return b, np.diag(b)
    M = rng.standard_normal((D, D))
    B = M @ M.T + D * np.eye(D)
    return B, B


def _cases(rng):
    M = rng.standard_normal((D, D))
    H = M @ M.T / D
    U = rng.standard_normal((D, 3))
    J = rng.standard_normal((4, D))
    w = rng.uniform(0.1, 1.0, 4)
    G = rng.standard_normal((5, D))
    h = rng.uniform(0.1, 2.0, D)
    u = rng.standard_normal(D)
    return {
        "exact": (lambda: ExactHessian(lambda x: H), H),
        "lazy-eigh": (lambda: LazyHessian(lambda x: H, every=3, factorization="eigh"), H),
        "lazy-cholesky": (lambda: LazyHessian(lambda x: H, every=3, factorization="cholesky"),
                          H),
        "diagonal": (lambda: DiagonalHessian(lambda x: h), np.diag(h)),
        "diagonal-from-hess": (lambda: DiagonalHessian(), np.diag(np.diag(H))),
        "gauss-newton": (lambda: GaussNewton(lambda x: None, lambda x: J, lambda r: w),
                         J.T @ np.diag(w) @ J),
        "gauss-newton-identity": (lambda: GaussNewton(None, lambda x: J), J.T @ J),
        "gauss-newton-dense-w": (lambda: GaussNewton(None, lambda x: J,
                                                     lambda r: np.diag(w) + 0.1),
                                 J.T @ (np.diag(w) + 0.1) @ J),
        "empirical-fisher": (lambda: EmpiricalFisher(lambda x: G, diag=0.3),
                             G.T @ G / 5 + 0.3 * np.eye(D)),
        "rank-one": (lambda: RankOneFisher(2.5, vector=lambda x: u), 2.5 * np.outer(u, u)),
        "low-rank+diag": (lambda: LowRankPlusDiagonal(lambda x: U, diag=lambda x: h),
                          U @ U.T + np.diag(h)),
        "cg": (lambda: HessianVectorCG(lambda x, v: H @ v, rtol=1e-12), H),
        "pcg": (lambda: HessianVectorCG(lambda x, v: H @ v, rtol=1e-12,
                                        preconditioner=LazyHessian(lambda x: H + 0.1 * np.eye(D),
                                                                   every=100)), H),
    }


@pytest.mark.parametrize("metric_kind", ["identity", "diagonal", "dense"])
@pytest.mark.parametrize("name", ["exact", "lazy-eigh", "lazy-cholesky", "diagonal",
                                  "diagonal-from-hess", "gauss-newton", "gauss-newton-identity",
                                  "gauss-newton-dense-w", "empirical-fisher", "rank-one",
                                  "low-rank+diag", "cg", "pcg"])
def test_solve_matches_dense(name, metric_kind, rng):
    make, H = _cases(rng)[name]
    metric, B = _metric(metric_kind, rng)
    x = rng.standard_normal(D)
    problem = Problem(lambda x: 0.0, x, (), lambda x: x, lambda x: H, None, metric)
    approx = make()
    approx.bind(problem)
    g = rng.standard_normal(D)
    approx.update(x, 1.0, g)
    for lam in (0.05, 1.0, 30.0):
        s = approx.solve(lam, g)
        expected = np.linalg.solve(H + lam * B, g)
        np.testing.assert_allclose(s, expected, rtol=1e-8, atol=1e-10)


def test_indefinite_gives_none(rng):
    H = np.diag([1.0, -2.0, 3.0])
    problem = Problem(lambda x: 0.0, np.zeros(3), (), lambda x: x, lambda x: H, None, None)
    for approx in (ExactHessian(), LazyHessian(every=2, factorization="eigh"),
                   LazyHessian(every=2, factorization="cholesky"), DiagonalHessian(),
                   HessianVectorCG(rtol=1e-10)):
        approx.bind(problem)
        approx.update(np.zeros(3), 0.0, np.ones(3))
        assert approx.solve(1.0, np.ones(3)) is None, type(approx).__name__
        assert approx.solve(2.5, np.ones(3)) is not None, type(approx).__name__


def test_lazy_rebuild_period(rng):
    calls = []

    def hess(x):
        calls.append(1)
        return np.eye(3)

    approx = LazyHessian(hess, every=3)
    approx.bind(Problem(lambda x: 0.0, np.zeros(3), (), lambda x: x, None, None, None))
    built = [approx.update(np.zeros(3), 0.0, np.ones(3)) for _ in range(7)]
    assert built == [True, False, False, True, False, False, True] and len(calls) == 3


@pytest.mark.parametrize("name", ["exact", "lazy-eigh", "gauss-newton", "empirical-fisher",
                                  "rank-one", "low-rank+diag", "cg"])
def test_generic_backend(name, xp, rng):
    make_np, H = _cases(rng)[name]
    approx = make_np()
    # rebuild the callables so that they return arrays of the tested namespace
    conv = (lambda a: from_numpy(a, xp))
    for attr in ("hess", "factor", "diag", "hessp", "vector", "outer_hess"):
        fn = getattr(approx, attr, None)
        if callable(fn):
            setattr(approx, attr, (lambda f: (lambda *a: _conv_out(f(*[to_numpy(t) for t in a]),
                                                                   conv)))(fn))
    x = from_numpy(rng.standard_normal(D), xp)
    g = from_numpy(rng.standard_normal(D), xp)
    problem = Problem(lambda x: 0.0, x, (), lambda x: x, None, None, None)
    approx.bind(problem)
    approx.update(x, 1.0, g)
    s = approx.solve(0.7, g)
    assert type(s) is type(x)
    np.testing.assert_allclose(to_numpy(s), np.linalg.solve(H + 0.7 * np.eye(D), to_numpy(g)),
                               rtol=1e-8, atol=1e-10)


def _conv_out(value, conv):
    if isinstance(value, np.ndarray):
        return conv(value)
    return value


@pytest.mark.parametrize("factorization", ["eigh", "cholesky"])
@pytest.mark.parametrize("metric_kind", ["identity", "diagonal", "dense"])
def test_lazy_float32_precision(factorization, metric_kind, rng):
    M = rng.standard_normal((D, D))
    H = M @ M.T / D + 0.5 * np.eye(D)
    metric, B = _metric(metric_kind, rng)
    x = rng.standard_normal(D)
    problem = Problem(lambda x: 0.0, x, (), lambda x: x, None, None, metric)
    approx = LazyHessian(lambda x: H, every=2, factorization=factorization, dtype=np.float32)
    approx.bind(problem)
    g = rng.standard_normal(D)
    approx.update(x, 0.0, g)
    s = approx.solve(0.3, g)
    assert s.dtype == np.float64
    np.testing.assert_allclose(s, np.linalg.solve(H + 0.3 * B, g), rtol=1e-4, atol=1e-5)


def test_logistic_float32_preconditioner_keeps_accuracy(rng):
    from solvers.optimize import minimize_gns
    from solvers.optimize._test_problems import logistic

    X = rng.standard_normal((300, 20)) * np.logspace(0, 1, 20)
    y = (X[:, 0] + rng.standard_normal(300) > 0).astype(float)
    obj = logistic(X, y, l2=1e-3)
    H32 = obj.hess(np.zeros(20), dtype=np.float32)
    assert H32.dtype == np.float32
    np.testing.assert_allclose(H32, obj.hess(np.zeros(20)), rtol=1e-5, atol=1e-6)
    approx = obj.hessp_cg(preconditioner=obj.lazy_hessian(every=4, dtype=np.float32))
    res = minimize_gns(obj.fun_and_jac, obj.zeros(), jac=True, hess_approx=approx, gtol=1e-12)
    assert res.success and np.linalg.norm(res.jac) <= 1e-12 and res.nit <= 15


def _spd(d, cond, seed=0):
    rng = np.random.default_rng(seed)
    Q = np.linalg.qr(rng.standard_normal((d, d)))[0]
    return (Q * np.logspace(0, -np.log10(cond), d)) @ Q.T


@pytest.mark.parametrize("factorization", ["eigh", "cholesky"])
def test_lazy_auto_solves_exactly_for_every_lam(factorization):
    """every="auto": each trial lam is solved to rounding accuracy, with the cached
    eigendecomposition or with CG preconditioned by the previous lam's Cholesky factor."""
    from solvers.optimize._gns_core import Problem

    H = _spd(120, 1e6)
    H = (H + H.T) / 2
    approx = LazyHessian(lambda x: H, every="auto", factorization=factorization)
    problem = Problem(lambda x: 0.0, np.zeros(120), (), lambda x: np.zeros(120), None, None,
                      None)
    approx.bind(problem)
    g = np.random.default_rng(1).standard_normal(120)
    approx.update(np.zeros(120), 0.0, g)
    for lam in (1e-2, 3e-3, 1e-3, 1e-4, 1.0):
        s = approx.solve(lam, g)
        ref = np.linalg.solve(H + lam * np.eye(120), g)
        np.testing.assert_allclose(s, ref, rtol=1e-9, atol=1e-9 * np.abs(ref).max())
    if factorization == "cholesky":
        assert approx.ncg > 0     # some lam were solved by reusing a factor


def test_lazy_auto_rejects_bad_options():
    with pytest.raises(ValueError, match="every"):
        LazyHessian(every="sometimes")
    with pytest.raises(ValueError, match="reuse"):
        LazyHessian(every="auto", reuse=0.0)


def test_lazy_auto_rebuilds_on_refresh_only_when_stale():
    H = np.eye(3)
    approx = LazyHessian(lambda x: H, every="auto")
    from solvers.optimize._gns_core import Problem

    problem = Problem(lambda x: 0.0, np.zeros(3), (), lambda x: np.zeros(3), None, None, None)
    approx.bind(problem)
    g = np.ones(3)
    assert approx.update(np.zeros(3), 0.0, g) is True and not approx.stale
    assert approx.refresh(np.zeros(3), 0.0, g) is False      # fresh: nothing to rebuild
    assert approx.update(np.ones(3), 0.0, 0.1 * g) is False and approx.stale
    assert approx.refresh(np.ones(3), 0.0, 0.1 * g) is True and not approx.stale


def test_default_with_hess_and_hessp_above_500_uses_kept_factor_as_preconditioner():
    """d > 500 with both oracles: Newton-CG steps preconditioned by a kept Cholesky factor
    (FactorPreconditioner): few Hessian builds, the same minimizer as exact Newton steps."""
    from solvers.optimize import minimize_gns
    from solvers.optimize._test_problems import logistic

    rng = np.random.default_rng(0)
    n, d = 1500, 600
    X = rng.standard_normal((n, d)) * 10.0 ** rng.uniform(-1, 1, d)
    y = (X @ rng.standard_normal(d) + rng.standard_normal(n) > 0)
    obj = logistic(X, y, l2=1e-3)
    res = minimize_gns(obj.fun_and_jac, obj.zeros(), jac=True, hess=obj.hess,
                       hessp=obj.hessp, gtol=1e-10)
    assert res.status == 0 and np.linalg.norm(res.jac) <= 1e-10
    assert res.ncg > 0 and res.nhev < res.nit
    ref = minimize_gns(obj.fun_and_jac, obj.zeros(), jac=True, hess=obj.hess, gtol=1e-10,
                       hess_update_every=1)
    np.testing.assert_allclose(res.x, ref.x, rtol=1e-7, atol=1e-9)


def test_factor_preconditioner_rebuilds_after_slow_solves():
    from solvers.optimize import FactorPreconditioner

    with pytest.raises(ValueError, match="rebuild_after"):
        FactorPreconditioner(rebuild_after=0)
    pre = FactorPreconditioner(lambda x: np.eye(3), rebuild_after=5)
    from solvers.optimize._gns_core import Problem

    pre.bind(Problem(lambda x: 0.0, np.zeros(3), (), lambda x: np.zeros(3), None, None, None))
    assert pre.update(np.zeros(3), 0.0, np.ones(3)) is True
    assert pre.update(np.zeros(3), 0.0, np.ones(3)) is False
    np.testing.assert_allclose(pre.solve(1.0, np.ones(3)), 0.5 * np.ones(3))
    pre.report(6)
    assert pre.update(np.zeros(3), 0.0, np.ones(3)) is True
