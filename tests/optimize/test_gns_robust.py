"""minimize_gns at its defaults on ill-conditioned problems (issue 15), the float32 fall-back of
LazyHessian, the one-BLAS-pool rule of the NumPy backend, and the paper's iterates unchanged."""

import numpy as np
import pytest
from scipy.optimize import rosen, rosen_der, rosen_hess

from solvers._backend import _scipy_blas_controller, backend_for
from solvers.optimize import HessianVectorCG, LazyHessian, minimize_gns
from solvers.optimize._test_problems import logistic, rosenbrock


class Quadratic:
    """``x^T A x / 2 - b^T x`` with eigenvalues logspace(0, -log10 cond), x* of unit size."""

    def __init__(self, cond, d=40, seed=0, rotate=True, xscale=1.0):
        rng = np.random.default_rng(seed)
        mu = np.logspace(0, -np.log10(cond), d)
        Q = np.linalg.qr(rng.standard_normal((d, d)))[0] if rotate else np.eye(d)
        A = (Q * mu) @ Q.T
        self.A = (A + A.T) / 2
        self.b = self.A @ (xscale * rng.standard_normal(d) / np.sqrt(d))
        self.x0 = np.zeros(d)

    def fun(self, x):
        return 0.5 * x @ self.A @ x - self.b @ x

    def jac(self, x):
        return self.A @ x - self.b

    def hess(self, x):
        return self.A

    def hessp(self, x, v):
        return self.A @ v


class ScaledRosenbrock:
    """``rosen(D x)`` in 10 dimensions, ``D = 10**linspace(-s/2, s/2)`` (Hessian condition
    ~1e4 at s = 1 up to ~1e11 at s = 4)."""

    def __init__(self, s, d=10):
        self.D = 10.0 ** np.linspace(-s / 2, s / 2, d)
        self.x0 = np.tile([-1.2, 1.0], d // 2) / self.D

    def fun(self, x):
        return rosen(self.D * x)

    def jac(self, x):
        return self.D * rosen_der(self.D * x)

    def hess(self, x):
        return self.D[:, None] * rosen_hess(self.D * x) * self.D[None, :]


def ill_logistic(seed, n=3000, d=30, span=3.0):
    """make_classification with feature j scaled by 10**u_j, u_j ~ U[-span, span], an
    intercept column, l2 = 1e-4 (Hessian condition ~1e10 and more)."""
    from sklearn.datasets import make_classification

    rng = np.random.default_rng(seed)
    X, y = make_classification(n_samples=n, n_features=d, n_informative=d // 3,
                               random_state=seed)
    X = np.hstack([X * 10.0 ** rng.uniform(-span, span, d), np.ones((n, 1))])
    obj = logistic(X, y, l2=1e-4)
    obj.x0 = np.zeros(d + 1)
    return obj


def newton_line_search(fun, jac, hess, x0, gtol, maxiter=500):
    """Reference: Newton with a scale-invariant Hessian modification (H + tau diag|H| until
    Cholesky succeeds) and Armijo backtracking from the full step; returns the iterations."""
    x, f, g = x0.copy(), fun(x0), jac(x0)
    for it in range(maxiter):
        if np.linalg.norm(g) <= gtol:
            return it
        H = hess(x)
        D = np.diag(np.maximum(np.abs(np.diag(H)), 1e-300))
        tau = 0.0
        while True:
            try:
                L = np.linalg.cholesky(H + tau * D)
                break
            except np.linalg.LinAlgError:
                tau = max(2 * tau, 1e-3)
        p = -np.linalg.solve(L.T, np.linalg.solve(L, g))
        t = 1.0
        while fun(x + t * p) > f + 1e-4 * t * (g @ p) and t > 1e-12:
            t /= 2
        x = x + t * p
        f, g = fun(x), jac(x)
    raise AssertionError("the reference Newton method did not converge")


def _family():
    for cond in (1e4, 1e6, 1e8, 1e10, 1e12):
        yield f"quadratic-rotated-{cond:.0e}", Quadratic(cond)
        yield f"quadratic-diagonal-{cond:.0e}", Quadratic(cond, rotate=False, seed=1)
        yield f"quadratic-far-{cond:.0e}", Quadratic(cond, seed=2, xscale=1e3)
    for s in (1, 2, 3, 4):
        yield f"rosenbrock-scaled-{s}", ScaledRosenbrock(s)
    for seed in (0, 1, 2):
        yield f"logistic-ill-{seed}", ill_logistic(seed)


FAMILY = dict(_family())


def _family_lazy():
    """Problems with d >= 64, where the default hess_update_every="auto" keeps matrices."""
    for seed in (0, 1, 2):
        yield f"logistic-ill-d120-{seed}", ill_logistic(seed, n=4000, d=120)
    for cond in (1e4, 1e8, 1e12):
        yield f"quadratic-far-d80-{cond:.0e}", Quadratic(cond, d=80, seed=2, xscale=1e3)
    yield "rosenbrock-scaled-d64", ScaledRosenbrock(3, d=64)


FAMILY_LAZY = dict(_family_lazy())


def _defaults_against_newton(p):
    """Run the defaults to ||g|| <= 1e-8 ||g0||; check convergence and the bound of at most
    2 x (Newton with a line search) + 5 iterations. Returns the result, Newton's count, gtol."""
    gtol = 1e-8 * np.linalg.norm(p.jac(p.x0))
    n_newton = newton_line_search(p.fun, p.jac, p.hess, p.x0, gtol)
    res = minimize_gns(p.fun, p.x0, jac=p.jac, hess=p.hess, gtol=gtol)
    assert res.status == 0 and np.linalg.norm(res.jac) <= gtol
    assert res.nit <= 2 * n_newton + 5, (res.nit, n_newton)
    return res, n_newton, gtol


@pytest.mark.parametrize("name", list(FAMILY))
def test_defaults_within_twice_newton_line_search(name):
    """Issue 15: at most 2 x (Newton with a line search) + 5 iterations, to ||g|| <= 1e-8 ||g0||."""
    _defaults_against_newton(FAMILY[name])


@pytest.mark.parametrize("name", list(FAMILY_LAZY))
def test_lazy_default_within_twice_newton_line_search(name):
    """The same bound where the default reuses Hessians (d >= 64); on the logistic problems it
    builds fewer Hessians than Newton with a line search needs iterations."""
    p = FAMILY_LAZY[name]
    res, n_newton, gtol = _defaults_against_newton(p)
    if name.startswith("logistic"):
        assert res.nhev < n_newton, (res.nhev, n_newton)
    exact = minimize_gns(p.fun, p.x0, jac=p.jac, hess=p.hess, gtol=gtol, hess_update_every=1)
    assert res.fun == pytest.approx(exact.fun, rel=1e-10, abs=1e-12)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("setting", ["lazy", "hessp"])
def test_lazy_and_hessp_defaults_converge_on_ill_conditioned_logistic(seed, setting):
    """Issue 15: LazyHessian() and hessp-only defaults within 300 iterations."""
    obj = ill_logistic(seed)
    gtol = 1e-8 * np.linalg.norm(obj.jac(obj.x0))
    kw = {"lazy": dict(hess_approx=LazyHessian(obj.hess)), "hessp": dict(hessp=obj.hessp)}
    res = minimize_gns(obj.fun_and_jac, obj.x0, jac=True, gtol=gtol, maxiter=300,
                       **kw[setting])
    assert res.status == 0 and np.linalg.norm(res.jac) <= gtol
    assert res.nit <= 300
    ref = minimize_gns(obj.fun_and_jac, obj.x0, jac=True, hess=obj.hess, gtol=gtol)
    assert res.fun == pytest.approx(ref.fun, rel=1e-10)


@pytest.mark.parametrize("cond", [1e10, 1e12])
@pytest.mark.parametrize("factorization", ["eigh", "cholesky"])
def test_float32_preconditioner_falls_back_to_float64(cond, factorization):
    p = Quadratic(cond, d=60, seed=3)
    gtol = 1e-8 * np.linalg.norm(p.jac(p.x0))
    pre = LazyHessian(p.hess, every=4, dtype=np.float32, factorization=factorization)
    res = minimize_gns(p.fun, p.x0, jac=p.jac, gtol=gtol, maxiter=100,
                       hess_approx=HessianVectorCG(p.hessp, preconditioner=pre))
    assert res.status == 0 and np.linalg.norm(res.jac) <= gtol
    assert pre.fell_back
    # as few iterations and CG steps as the float64 preconditioner
    assert res.nit <= 6 and res.ncg <= 2 * res.nit


def test_float32_kept_when_it_resolves_the_spectrum():
    p = Quadratic(1e2, d=30)
    pre = LazyHessian(p.hess, every=4, dtype=np.float32)
    res = minimize_gns(p.fun, p.x0, jac=p.jac, gtol=1e-10,
                       hess_approx=HessianVectorCG(p.hessp, preconditioner=pre))
    assert res.success and not pre.fell_back


def test_paper_setting_iterates_unchanged():
    """metric=None, gamma_growth=2.0 is Algorithm 1 as before issue 15 (numbers recorded from
    the previous implementation)."""
    obj = rosenbrock()
    res = minimize_gns(obj.fun, np.array([-2.0, 2.0]), jac=obj.jac, hess=obj.hess,
                       f_target=1e-8, gtol=0.0, return_history=True, metric=None,
                       gamma_growth=2.0)
    assert (res.nit, res.nlinsolve) == (51, 105)
    np.testing.assert_allclose(res.history["f"][[1, 10, 25, -1]],
                               [8.7403028250564503e+01, 4.2949235318246304e+00,
                                4.0685068227458748e-01, 2.4360764170501593e-09], rtol=1e-9)


def test_auto_metric_is_scale_invariant():
    """The default metric B = |diag H(x0)| makes the iterates invariant to x -> D x."""
    counts = {s: minimize_gns(p.fun, p.x0, jac=p.jac, hess=p.hess,
                              gtol=1e-8 * np.linalg.norm(p.jac(p.x0))).nit
              for s, p in ((s, ScaledRosenbrock(s)) for s in (0, 2, 4))}
    assert len(set(counts.values())) == 1, counts


def test_bad_gamma_growth_and_metric():
    obj = rosenbrock()
    with pytest.raises(ValueError, match="gamma_growth"):
        minimize_gns(obj.fun, np.zeros(2), jac=obj.jac, hess=obj.hess, gamma_growth=0.5)
    with pytest.raises(ValueError, match="metric"):
        minimize_gns(obj.fun, np.zeros(2), jac=obj.jac, hess=obj.hess, metric="jacobi")


# --------------------------------------------------------------------------- one BLAS pool


def test_numpy_backend_factorizations_call_no_scipy_lapack(monkeypatch):
    import scipy.linalg

    def forbidden(*args, **kwargs):
        raise AssertionError("SciPy LAPACK called next to NumPy products")

    for name in ("cholesky", "eigh", "cho_factor", "solve"):
        monkeypatch.setattr(scipy.linalg, name, forbidden)
    b = backend_for(np)
    A = np.random.default_rng(0).standard_normal((50, 50))
    A = A @ A.T + 50 * np.eye(50)
    L = b.cholesky(A)
    np.testing.assert_allclose(L @ L.T, A, rtol=1e-12)
    w, V = b.eigh(A)
    np.testing.assert_allclose((V * w) @ V.T, A, rtol=1e-10, atol=1e-10)
    obj = logistic(*_small_logistic_data(), l2=1e-3)
    res = minimize_gns(obj.fun_and_jac, obj.zeros(), jac=True, hess=obj.hess, gtol=1e-10)
    assert res.success


def _small_logistic_data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 8))
    return X, (X[:, 0] + rng.standard_normal(300) > 0)


def test_scipy_triangular_solves_with_matrix_rhs_run_on_one_thread(monkeypatch):
    ctl = _scipy_blas_controller()
    if ctl is None:
        pytest.skip("NumPy and SciPy share one BLAS here (or threadpoolctl is absent)")
    import scipy.linalg

    seen = []
    original = scipy.linalg.cho_solve

    def spy(*args, **kwargs):
        seen.append([lib.num_threads for lib in ctl.lib_controllers])
        return original(*args, **kwargs)

    monkeypatch.setattr(scipy.linalg, "cho_solve", spy)
    before = [lib.num_threads for lib in ctl.lib_controllers]
    A = np.eye(20) * 4.0
    L = backend_for(np).cholesky(A)
    X = backend_for(np).cho_solve(L, np.ones((20, 3)))
    np.testing.assert_allclose(X, 0.25)
    assert seen == [[1] * len(before)]
    assert [lib.num_threads for lib in ctl.lib_controllers] == before   # restored
