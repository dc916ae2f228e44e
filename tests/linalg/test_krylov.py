"""cg and gmres against scipy.sparse.linalg."""

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from solvers._array_api import to_numpy, xp_assert_close
from solvers.linalg import ArrayLinearOperator, cg, gmres


def _poisson_2d(n):
    T = sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(n, n))
    return (sp.kron(T, sp.eye(n)) + sp.kron(sp.eye(n), T)).tocsr()


def _spd_dense(rng, n, cond=100.0):
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return Q @ np.diag(np.geomspace(1.0, cond, n)) @ Q.T


@pytest.mark.parametrize("precond", [False, True])
def test_cg_iterates_match_scipy(rng, precond):
    A = _poisson_2d(12)
    b = rng.standard_normal(A.shape[0])
    M = sp.diags(1.0 / (A.diagonal() + rng.uniform(0, 1, A.shape[0]))) if precond else None
    ours, theirs = [], []
    x1, info1 = cg(A, b, rtol=1e-10, M=M, callback=lambda xk: ours.append(xk.copy()))
    x2, info2 = spla.cg(A, b, rtol=1e-10, M=M, callback=lambda xk: theirs.append(xk.copy()))
    assert info1 == info2 == 0
    assert len(ours) == len(theirs)
    for a, b_ in zip(ours, theirs):
        np.testing.assert_allclose(a, b_, rtol=0, atol=1e-10 * max(1.0, np.abs(b_).max()))
    np.testing.assert_allclose(x1, x2, rtol=1e-12, atol=1e-12)


def test_cg_with_x0_and_maxiter_matches_scipy(rng):
    A = _spd_dense(rng, 40, cond=1e4)
    b, x0 = rng.standard_normal(40), rng.standard_normal(40)
    x1, info1 = cg(A, b, x0=x0, maxiter=7)
    x2, info2 = spla.cg(A, b, x0=x0, maxiter=7)
    assert info1 == info2 == 7
    np.testing.assert_allclose(x1, x2, rtol=1e-10, atol=1e-12)


def test_cg_generic_backends(xp, rng):
    A_np = _spd_dense(rng, 30)
    b_np = rng.standard_normal(30)
    A, b = xp.asarray(A_np), xp.asarray(b_np)
    x, info = cg(A, b, rtol=1e-12)
    assert info == 0
    xp_assert_close(x, xp.asarray(np.linalg.solve(A_np, b_np)), rtol=1e-9)
    # callable operator and callable preconditioner, on grid-shaped vectors
    d = xp.asarray(np.diag(A_np))
    x2, info2 = cg(lambda v: A @ v, b, rtol=1e-12, M=lambda r: r / d)
    assert info2 == 0
    xp_assert_close(x2, x, rtol=1e-9)


def test_cg_grid_shaped_vectors(xp, rng):
    n = 10
    T = 2 * np.eye(n) - np.eye(n, k=1) - np.eye(n, k=-1)
    Txp = xp.asarray(T)

    def apply(U):
        return Txp @ U + U @ Txp

    F = rng.standard_normal((n, n))
    U, info = cg(apply, xp.asarray(F), rtol=1e-12)
    assert info == 0 and U.shape == (n, n)
    np.testing.assert_allclose(T @ to_numpy(U) + to_numpy(U) @ T, F, atol=1e-9)


@pytest.mark.parametrize("restart", [5, 20])
def test_gmres_matches_scipy_solution(xp, rng, restart):
    n = 60
    A_np = rng.standard_normal((n, n)) / np.sqrt(n) + 2 * np.eye(n)
    b_np = rng.standard_normal(n)
    x, info = gmres(xp.asarray(A_np), xp.asarray(b_np), rtol=1e-12, restart=restart)
    x_ref, info_ref = spla.gmres(A_np, b_np, rtol=1e-12, restart=restart)
    assert info == 0 and info_ref == 0
    xp_assert_close(x, xp.asarray(x_ref), rtol=1e-9)
    assert np.linalg.norm(A_np @ to_numpy(x) - b_np) <= 1e-12 * np.linalg.norm(b_np) * 1.0001


def test_gmres_preconditioned_nonsymmetric(rng):
    n = 20
    A = _poisson_2d(n) + sp.diags(rng.uniform(0, 2, n * n)) + 0.3 * sp.eye(n * n, k=1)
    b = rng.standard_normal(n * n)
    ilu = spla.spilu(A.tocsc())
    M = spla.LinearOperator(A.shape, ilu.solve)
    residuals = []
    x, info = gmres(A, b, rtol=1e-10, M=M, callback=residuals.append)
    assert info == 0
    assert np.linalg.norm(A @ x - b) <= 1e-10 * np.linalg.norm(b) * 1.0001
    x_plain, _ = gmres(A, b, rtol=1e-10, restart=50)
    assert len(residuals) < 30
    x_ref = spla.spsolve(A.tocsc(), b)
    assert np.linalg.norm(x - x_ref) <= 1e-8 * np.linalg.norm(x_ref)
    assert np.linalg.norm(x_plain - x_ref) <= 1e-8 * np.linalg.norm(x_ref)


def test_gmres_complex(rng):
    n = 15
    A = rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n)) + 6 * np.eye(n)
    b = rng.standard_normal(n) + 1j * rng.standard_normal(n)
    x, info = gmres(A, b, rtol=1e-12)
    assert info == 0
    np.testing.assert_allclose(A @ x, b, atol=1e-10)


def test_gmres_nonconvergence_reports_info(rng):
    A = _poisson_2d(20)
    b = rng.standard_normal(400)
    x, info = gmres(A, b, rtol=1e-12, restart=2, maxiter=3)
    assert info == 3
    assert np.all(np.isfinite(x))


def test_zero_rhs_returns_zero(xp):
    for solver in (cg, gmres):
        x, info = solver(xp.asarray(np.eye(3)), xp.zeros(3))
        assert info == 0
        xp_assert_close(x, xp.zeros(3))


def test_array_linear_operator_accepted(xp, rng):
    A_np = _spd_dense(rng, 10)
    A = xp.asarray(A_np)
    op = ArrayLinearOperator((10, 10), xp.float64, lambda v: A @ v)
    x, info = cg(op, xp.ones(10), rtol=1e-12)
    assert info == 0
    xp_assert_close(A @ x, xp.ones(10), rtol=1e-9)


@pytest.mark.parametrize("solver", [cg, gmres])
@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"b": np.array([1.0, np.nan, 0.0])}, ValueError, "`b` must contain only finite"),
        ({"x0": np.ones(2)}, ValueError, r"`x0` must have the shape of `b`"),
        ({"A": np.eye(4)}, ValueError, "`A` must be square with 3 columns"),
        ({"rtol": -1.0}, ValueError, "`rtol`"),
        ({"maxiter": 0}, ValueError, "`maxiter`"),
        ({"A": "matrix"}, TypeError, "`A` must be"),
        ({"M": 3.0}, TypeError, "`M` must be"),
    ],
)
def test_bad_input(solver, kwargs, exc, match):
    args = {"A": np.eye(3), "b": np.ones(3)}
    args.update(kwargs)
    A, b = args.pop("A"), args.pop("b")
    with pytest.raises(exc, match=match):
        solver(A, b, **args)
