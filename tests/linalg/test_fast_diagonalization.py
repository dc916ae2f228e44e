"""solve_kronecker_sum / KroneckerSumSolver against dense solves and scipy.linalg.solve_sylvester."""

import numpy as np
import pytest
from scipy.linalg import solve_sylvester

from solvers._array_api import to_numpy, xp_assert_close
from solvers.linalg import KroneckerSumSolver, solve_kronecker_sum


def _kron_sum_dense(factors, shift=0.0):
    sizes = [A.shape[0] for A in factors]
    N = int(np.prod(sizes))
    S = shift * np.eye(N)
    for j, A in enumerate(factors):
        term = np.ones((1, 1))
        for i, n in enumerate(sizes):
            term = np.kron(term, A if i == j else np.eye(n))
        S = S + term
    return S


def _spd(rng, n):
    B = rng.standard_normal((n, n))
    return B @ B.T / n + np.eye(n)


def _laplacian_1d(n):
    h = 1.0 / (n + 1)
    return (2 * np.eye(n) - np.eye(n, k=1) - np.eye(n, k=-1)) / h**2


@pytest.mark.parametrize("d", [1, 2, 3, 4])
def test_symmetric_matches_dense(xp, rng, d):
    sizes = [5, 4, 3, 2][:d]
    factors = [_spd(rng, n) for n in sizes]
    F = rng.standard_normal(sizes)
    expected = np.linalg.solve(_kron_sum_dense(factors, 0.5), F.ravel()).reshape(sizes)
    X = solve_kronecker_sum([xp.asarray(A) for A in factors], xp.asarray(F), shift=0.5)
    xp_assert_close(X, xp.asarray(expected), rtol=1e-11, atol=1e-12)
    Xf = solve_kronecker_sum([xp.asarray(A) for A in factors], xp.asarray(F.ravel()), shift=0.5)
    xp_assert_close(Xf, xp.asarray(expected.ravel()), rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize("n1, n2", [(6, 6), (7, 5), (30, 20)])
def test_sylvester_2d_against_scipy(xp, rng, n1, n2):
    A = rng.standard_normal((n1, n1)) + n1 * np.eye(n1)  # non-symmetric, diagonalizable
    B = rng.standard_normal((n2, n2)) + n2 * np.eye(n2)
    F = rng.standard_normal((n1, n2))
    expected = solve_sylvester(A, B.T, F)
    X = solve_kronecker_sum([xp.asarray(A), xp.asarray(B)], xp.asarray(F))
    xp_assert_close(X, xp.asarray(expected), rtol=1e-10, atol=1e-12)


def test_complex_eigenpairs_give_real_result(xp, rng):
    # a rotation-like block has eigenvalues 2 ± 1i
    A = np.array([[2.0, 1.0, 0.0], [-1.0, 2.0, 0.0], [0.0, 0.0, 3.0]])
    B = _spd(rng, 4)
    solver = KroneckerSumSolver([xp.asarray(A), xp.asarray(B)])
    assert np.iscomplexobj(to_numpy(solver.eigenvalues[0]))
    assert solver.symmetric == [False, True]
    F = rng.standard_normal((3, 4))
    X = solver.solve(xp.asarray(F))
    assert X.dtype == xp.float64
    xp_assert_close(X, xp.asarray(solve_sylvester(A, B.T, F)), rtol=1e-11, atol=1e-13)


def test_first_order_upwind_3d(rng):
    # advection-diffusion: non-symmetric factors in 3-D against a dense solve
    n = 6
    h = 1.0 / (n + 1)
    D1 = (np.eye(n) - np.eye(n, k=-1)) / h
    factors = [_laplacian_1d(n) + 3.0 * D1, _laplacian_1d(n), _laplacian_1d(n) - 2.0 * D1]
    F = rng.standard_normal((n, n, n))
    expected = np.linalg.solve(_kron_sum_dense(factors), F.ravel()).reshape(F.shape)
    np.testing.assert_allclose(solve_kronecker_sum(factors, F), expected, rtol=1e-9, atol=1e-12)


def test_poisson_manufactured_second_order():
    errs = []
    for n in (31, 63):
        x = np.linspace(0, 1, n + 2)[1:-1]
        T = _laplacian_1d(n)
        X, Y = np.meshgrid(x, x, indexing="ij")
        u = np.sin(np.pi * X) * np.sin(2 * np.pi * Y)
        f = 5 * np.pi**2 * u
        errs.append(np.max(np.abs(solve_kronecker_sum([T, T], f) - u)))
    assert errs[0] / errs[1] > 3.5  # O(h^2)


def test_matvec_inverts_solve(xp, rng):
    factors = [xp.asarray(_spd(rng, 4)), xp.asarray(rng.standard_normal((3, 3)) + 3 * np.eye(3))]
    solver = KroneckerSumSolver(factors, shift=1.0)
    F = xp.asarray(rng.standard_normal((4, 3)))
    xp_assert_close(solver.matvec(solver.solve(F)), F, rtol=1e-11, atol=1e-12)
    assert solver.condition_estimate >= 1.0


def test_not_diagonalizable_raises():
    J = np.array([[1.0, 1.0], [0.0, 1.0]])  # Jordan block
    with pytest.raises(ValueError, match=r"factors\[1\]` is not diagonalizable"):
        solve_kronecker_sum([np.eye(2), J], np.ones((2, 2)))


def test_singular_raises():
    T = np.array([[1.0, -1.0], [-1.0, 1.0]])  # Neumann Laplacian: zero eigenvalue
    with pytest.raises(np.linalg.LinAlgError, match="singular"):
        solve_kronecker_sum([T, T], np.ones((2, 2)))
    X = solve_kronecker_sum([T, T], np.ones((2, 2)), shift=1.0)
    np.testing.assert_allclose(X, np.ones((2, 2)))


@pytest.mark.parametrize(
    "factors, rhs, shift, exc, match",
    [
        ([np.ones((2, 3))], np.ones(2), 0.0, ValueError, "must be square"),
        ([np.eye(2), np.eye(3)], np.ones((3, 2)), 0.0, ValueError, r"`rhs` must have shape \(2, 3\)"),
        ([np.eye(2)], np.array([1.0, np.inf]), 0.0, ValueError, "`rhs` must contain only finite"),
        ([np.eye(2)], np.ones(2), np.nan, ValueError, "`shift` must be a finite scalar"),
        ([np.eye(2)], np.ones(2), np.ones(2), ValueError, "`shift`"),
    ],
)
def test_bad_input(factors, rhs, shift, exc, match):
    with pytest.raises(exc, match=match):
        solve_kronecker_sum(factors, rhs, shift)
