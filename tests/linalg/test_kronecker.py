"""kron_matvec and KroneckerOperator against dense numpy.kron."""

import numpy as np
import pytest

from solvers._array_api import to_numpy, xp_assert_close
from solvers.linalg import KroneckerOperator, kron_matvec


def _factors(rng, shapes):
    return [rng.standard_normal(s) for s in shapes]


def _dense(factors):
    K = factors[0]
    for A in factors[1:]:
        K = np.kron(K, A)
    return K


SHAPES = [
    [(3, 3)],
    [(4, 2)],
    [(3, 3), (4, 4)],
    [(2, 5), (4, 3)],
    [(3, 2), (2, 4), (5, 3)],
    [(2, 2), (3, 2), (2, 3), (3, 3)],
]


@pytest.mark.parametrize("shapes", SHAPES, ids=lambda s: "x".join(f"{a}{b}" for a, b in s))
def test_kron_matvec_matches_dense(xp, rng, shapes):
    factors = _factors(rng, shapes)
    n = [s[1] for s in shapes]
    x = rng.standard_normal(int(np.prod(n)))
    expected = _dense(factors) @ x
    fx = [xp.asarray(A) for A in factors]
    y_flat = kron_matvec(fx, xp.asarray(x))
    xp_assert_close(y_flat, xp.asarray(expected), rtol=1e-13, atol=1e-13)
    y_grid = kron_matvec(fx, xp.asarray(x.reshape(n)))
    xp_assert_close(y_grid, xp.asarray(expected.reshape([s[0] for s in shapes])),
                    rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("shapes", SHAPES[2:], ids=lambda s: "x".join(f"{a}{b}" for a, b in s))
def test_operator_rmatvec_is_adjoint(xp, rng, shapes):
    factors = [xp.asarray(A) for A in _factors(rng, shapes)]
    K = KroneckerOperator(factors)
    x = xp.asarray(rng.standard_normal(K.shape[1]))
    y = xp.asarray(rng.standard_normal(K.shape[0]))
    lhs = float(xp.sum(K.matvec(x) * y))
    rhs = float(xp.sum(x * K.rmatvec(y)))
    assert abs(lhs - rhs) <= 1e-12 * max(1.0, abs(lhs))
    xp_assert_close(K @ x, xp.asarray(_dense([to_numpy(A) for A in factors]) @ to_numpy(x)),
                    rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("d", [1, 2, 3, 4])
def test_operator_solve_logdet_eigh(xp, rng, d):
    sizes = [3, 4, 2, 3][:d]
    mats = []
    for n in sizes:
        B = rng.standard_normal((n, n))
        mats.append(B @ B.T + n * np.eye(n))
    K = KroneckerOperator([xp.asarray(A) for A in mats])
    dense = _dense(mats)
    b = rng.standard_normal(dense.shape[0])
    xp_assert_close(K.solve(xp.asarray(b)), xp.asarray(np.linalg.solve(dense, b)), rtol=1e-11)
    xp_assert_close(K.solve(xp.asarray(b.reshape(sizes))),
                    xp.asarray(np.linalg.solve(dense, b).reshape(sizes)), rtol=1e-11)
    assert abs(float(K.logdet()) - np.linalg.slogdet(dense)[1]) < 1e-10 * abs(np.linalg.slogdet(dense)[1])
    ws, V = K.eigh()
    w_all = ws[0]
    for w in ws[1:]:
        w_all = xp.reshape(w_all[:, None] * w[None, :], (-1,))
    np.testing.assert_allclose(np.sort(to_numpy(w_all)), np.linalg.eigvalsh(dense), rtol=1e-11)
    # V diag(w) V^T reproduces the operator
    x = xp.asarray(rng.standard_normal(dense.shape[0]))
    y = V.matvec(w_all * V.rmatvec(x))
    xp_assert_close(y, K.matvec(x), rtol=1e-11, atol=1e-11)
    np.testing.assert_allclose(to_numpy(K.todense()), dense, rtol=1e-14)


def test_aslinearoperator_numpy(rng):
    from scipy.sparse.linalg import LinearOperator

    A, B = rng.standard_normal((3, 3)), rng.standard_normal((2, 2))
    L = KroneckerOperator([A, B]).aslinearoperator()
    assert isinstance(L, LinearOperator)
    x = rng.standard_normal(6)
    np.testing.assert_allclose(L @ x, np.kron(A, B) @ x, rtol=1e-13)
    np.testing.assert_allclose(L.rmatvec(x), np.kron(A, B).T @ x, rtol=1e-13)


def test_aslinearoperator_generic():
    import array_api_strict as xps

    from solvers.linalg import ArrayLinearOperator

    A = xps.asarray([[1.0, 2.0], [3.0, 4.0]])
    L = KroneckerOperator([A, A]).aslinearoperator()
    assert isinstance(L, ArrayLinearOperator)
    y = L @ xps.ones(4)
    np.testing.assert_allclose(to_numpy(y), np.kron([[1, 2], [3, 4]], [[1, 2], [3, 4]]) @ np.ones(4))


def test_integer_input_promotes_to_float64():
    y = kron_matvec([np.eye(2, dtype=np.int64)], np.array([1, 2]))
    assert y.dtype == np.float64


def test_float32_stays_float32(rng):
    A = rng.standard_normal((3, 3)).astype(np.float32)
    y = kron_matvec([A, A], np.ones(9, dtype=np.float32))
    assert y.dtype == np.float32


@pytest.mark.parametrize(
    "factors, x, match",
    [
        ([np.ones(3)], np.ones(3), r"factors\[0\]` must be 2-D"),
        ([np.ones((2, 2))], np.ones(3), r"`x` must have shape \(2,\)"),
        ([np.ones((2, 2)), np.ones((3, 3))], np.ones((3, 2)), r"`x` must have shape \(2, 3\)"),
        ([np.ones((2, 2)), np.ones((3, 3))], np.ones((2, 3, 1)), r"`x` must have shape"),
        ([np.array([[1.0, np.nan], [0.0, 1.0]])], np.ones(2), r"factors\[0\]` must contain only finite"),
        ([], np.ones(2), "at least one"),
    ],
)
def test_bad_input(factors, x, match):
    with pytest.raises(ValueError, match=match):
        kron_matvec(factors, x)


def test_bad_factor_container():
    with pytest.raises(TypeError, match="factors"):
        kron_matvec(np.eye(2), np.ones(2))


def test_solve_needs_square():
    with pytest.raises(ValueError, match="square"):
        KroneckerOperator([np.ones((2, 3))]).solve(np.ones(2))
