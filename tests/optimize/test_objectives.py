"""Objective oracles: derivatives against finite differences, backends, sparse input, errors."""

import numpy as np
import pytest
import scipy.sparse

from solvers._array_api import from_numpy, to_numpy, xp_assert_close
from solvers.optimize._test_problems import logistic, logsumexp, power_residual, rosenbrock, softmax


def _problems(rng):
    X = rng.standard_normal((40, 5))
    y_bin = (X[:, 0] + 0.5 * rng.standard_normal(40) > 0).astype(float)
    y_cls = rng.integers(0, 3, size=40)
    A = rng.uniform(-1, 1, (12, 5))
    b = rng.uniform(-1, 1, 12)
    return {
        "logistic": (lambda X=X: logistic(X, y_bin, l2=0.1), 5),
        "softmax": (lambda X=X: softmax(X, y_cls, l2=0.1), 15),
        "logsumexp": (lambda: logsumexp(A, b, mu=0.7, c=np.ones(5)), 5),
        "power_residual": (lambda: power_residual(A, b, p=4), 5),
        "rosenbrock": (lambda: rosenbrock(n=5), 5),
    }


NAMES = ["logistic", "softmax", "logsumexp", "power_residual", "rosenbrock"]


@pytest.mark.parametrize("name", NAMES)
def test_derivatives_match_finite_differences(name, rng):
    make, d = _problems(rng)[name]
    obj = make()
    x = 0.3 * rng.standard_normal(d)
    f, g = obj.fun_and_jac(x)
    assert f == pytest.approx(obj.fun(x), rel=1e-14)
    h = 1e-6
    E = np.eye(d)
    g_fd = np.array([(obj.fun(x + h * e) - obj.fun(x - h * e)) / (2 * h) for e in E])
    np.testing.assert_allclose(g, g_fd, rtol=1e-6, atol=1e-8)
    H = obj.hess(x)
    H_fd = np.array([(obj.jac(x + h * e) - obj.jac(x - h * e)) / (2 * h) for e in E])
    np.testing.assert_allclose(H, H_fd, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(H, H.T, rtol=1e-13, atol=1e-14)
    v = rng.standard_normal(d)
    np.testing.assert_allclose(obj.hessp(x, v), H @ v, rtol=1e-12, atol=1e-13)


def test_logistic_extra_oracles(rng):
    X = rng.standard_normal((30, 4))
    y = np.sign(rng.standard_normal(30))
    obj = logistic(X, y, l2=0.2)
    w = rng.standard_normal(4)
    np.testing.assert_allclose(obj.hess_diag(w), np.diag(obj.hess(w)), rtol=1e-13)
    G = obj.per_sample_grads(w)
    np.testing.assert_allclose(G.mean(axis=0) + 0.2 * w, obj.jac(w), rtol=1e-12, atol=1e-14)
    # labels {0, 1} and {-1, +1} describe the same problem
    obj01 = logistic(X, (y + 1) / 2, l2=0.2)
    assert obj01.fun(w) == pytest.approx(obj.fun(w), rel=1e-15)


def test_logistic_closed_form_at_zero(rng):
    X = rng.standard_normal((25, 3))
    y = np.sign(rng.standard_normal(25))
    obj = logistic(X, y, l2=0.5)
    assert obj.fun(np.zeros(3)) == pytest.approx(np.log(2.0), rel=1e-15)
    np.testing.assert_allclose(obj.hess(np.zeros(3)), X.T @ X / (4 * 25) + 0.5 * np.eye(3),
                               rtol=1e-13)


@pytest.mark.parametrize("name", ["logistic", "softmax"])
def test_sparse_matches_dense(name, rng):
    X = rng.standard_normal((50, 6)) * (rng.random((50, 6)) < 0.4)
    if name == "logistic":
        y = (rng.random(50) < 0.5).astype(float)
        dense, sparse, d = logistic(X, y, 0.1), logistic(scipy.sparse.csr_matrix(X), y, 0.1), 6
    else:
        y = rng.integers(0, 3, 50)
        dense, sparse, d = softmax(X, y, 0.1), softmax(scipy.sparse.csc_matrix(X), y, 0.1), 18
    w = rng.standard_normal(d)
    v = rng.standard_normal(d)
    f1, g1 = dense.fun_and_jac(w)
    f2, g2 = sparse.fun_and_jac(w)
    assert f2 == pytest.approx(f1, rel=1e-14)
    np.testing.assert_allclose(g2, g1, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(sparse.hess(w), dense.hess(w), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(sparse.hessp(w, v), dense.hessp(w, v), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", ["logistic", "softmax", "logsumexp", "power_residual"])
def test_backends_agree(name, xp, rng):
    X = rng.standard_normal((30, 4))
    y_bin = (rng.random(30) < 0.5).astype(float)
    y_cls = rng.integers(0, 3, 30)
    b = rng.standard_normal(30)

    def make(lib):
        conv = (lambda a: a) if lib is None else (lambda a: from_numpy(a, lib))
        if name == "logistic":
            return logistic(conv(X), conv(y_bin), 0.1), 4
        if name == "softmax":
            return softmax(conv(X), conv(y_cls), 0.1), 12
        if name == "logsumexp":
            return logsumexp(conv(X), conv(b), 0.5), 4
        return power_residual(conv(X), conv(b), 3), 4

    ref, d = make(None)
    obj, _ = make(xp)
    w_np = 0.2 * rng.standard_normal(d)
    w = from_numpy(w_np, xp)
    f, g = obj.fun_and_jac(w)
    f_ref, g_ref = ref.fun_and_jac(w_np)
    assert isinstance(f, float)
    assert f == pytest.approx(f_ref, rel=1e-13)
    xp_assert_close(g, from_numpy(g_ref, xp), rtol=1e-12)
    xp_assert_close(obj.hess(w), from_numpy(ref.hess(w_np), xp), rtol=1e-12, atol=1e-15)
    xp_assert_close(obj.hessp(w, w), from_numpy(ref.hessp(w_np, w_np), xp), rtol=1e-12,
                    atol=1e-15)


def test_rosenbrock_known_values():
    obj = rosenbrock()
    assert obj.fun(np.array([-2.0, 2.0])) == pytest.approx(9 + 100 * 4)
    np.testing.assert_allclose(obj.jac(np.array([1.0, 1.0])), 0.0, atol=0)
    # the exact Hessian is indefinite at (0, 1): the non-convex test case
    assert np.linalg.eigvalsh(obj.hess(np.array([0.0, 1.0]))).min() < 0
    from scipy.optimize import rosen, rosen_der, rosen_hess

    x = np.array([0.3, -0.7, 1.2, 0.1])
    obj4 = rosenbrock(n=4)
    assert obj4.fun(x) == pytest.approx(rosen(x), rel=1e-14)
    np.testing.assert_allclose(obj4.jac(x), rosen_der(x), rtol=1e-13)
    np.testing.assert_allclose(obj4.hess(x), rosen_hess(x), rtol=1e-13, atol=1e-13)


def test_natural_approximations_are_psd_bounds(rng):
    A = rng.uniform(-1, 1, (8, 4))
    obj = logsumexp(A, rng.uniform(-1, 1, 8), mu=0.5)
    x = rng.standard_normal(4)
    p = to_numpy(np.exp((A @ x - obj.b) / 0.5))
    p /= p.sum()
    W = A.T @ (p[:, None] * A) / 0.5
    # weighted Gauss-Newton bounds the Hessian from above
    assert np.linalg.eigvalsh(W - obj.hess(x)).min() > -1e-12
    pr = power_residual(A, rng.standard_normal(8), p=4)
    f, g = pr.fun_and_jac(x)
    fisher = (4 - 2) / (4 * f) * np.outer(g, g)
    u = A @ x - pr.b
    nu = np.linalg.norm(u)
    np.testing.assert_allclose(fisher, 2 * nu ** 0 * np.outer(A.T @ u, A.T @ u), rtol=1e-12)


def test_bad_input(rng):
    X = rng.standard_normal((10, 3))
    with pytest.raises(ValueError, match="`y`"):
        logistic(X, np.arange(10.0), 0.1)
    with pytest.raises(ValueError, match="`y`"):
        logistic(X, np.ones(9), 0.1)
    with pytest.raises(ValueError, match="`X`"):
        logistic(np.ones(10), np.ones(10), 0.1)
    with pytest.raises(ValueError, match="`l2`"):
        logistic(X, np.ones(10), -1.0)
    with pytest.raises(ValueError, match="`X`"):
        logistic(np.full((10, 3), np.nan), np.ones(10), 0.1)
    with pytest.raises(ValueError, match="`y`"):
        softmax(X, np.full(10, 0.5), 0.1)
    with pytest.raises(ValueError, match="`mu`"):
        logsumexp(X, np.ones(10), mu=0.0)
    with pytest.raises(ValueError, match="`p`"):
        power_residual(X, np.ones(10), p=1.5)
    with pytest.raises(ValueError, match="`n`"):
        rosenbrock(n=1)
