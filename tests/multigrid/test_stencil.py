"""Stencil operators: poisson, diffusion, StencilOperator, Galerkin products, bad input."""

import numpy as np
import pytest
import scipy.sparse as sp

from solvers._array_api import from_numpy, xp_assert_close
from solvers.multigrid import (StencilOperator, diffusion, galerkin_operator, poisson,
                               prolong_linear, restrict_full_weighting)

SHAPES = [(15,), (7, 9), (5, 7, 3)]


def laplacian_1d(n, h):
    return sp.diags([-np.ones(n - 1), 2 * np.ones(n), -np.ones(n - 1)], [-1, 0, 1]) / h ** 2


def laplacian(shape):
    """Independent Kronecker-sum construction of -Δ (unit cube spacing)."""
    mats = [laplacian_1d(n, 1.0 / (n + 1)) for n in shape]
    eye = [sp.identity(n) for n in shape]
    total = None
    for axis in range(len(shape)):
        factors = [mats[a] if a == axis else eye[a] for a in range(len(shape))]
        term = factors[0]
        for fac in factors[1:]:
            term = sp.kron(term, fac)
        total = term if total is None else total + term
    return total.toarray()


def prolongation_1d(nc):
    P = np.zeros((2 * nc + 1, nc))
    for i in range(nc):
        P[2 * i: 2 * i + 3, i] = [0.5, 1.0, 0.5]
    return P


def prolongation(shape_c):
    P = prolongation_1d(shape_c[0])
    for n in shape_c[1:]:
        P = np.kron(P, prolongation_1d(n))
    return P


@pytest.mark.parametrize("shape", SHAPES)
def test_poisson_matches_kronecker_laplacian(shape, rng):
    A = poisson(shape)
    np.testing.assert_allclose(A.tosparse().toarray(), laplacian(shape), rtol=1e-13)
    x = rng.standard_normal(shape)
    y = A @ x
    assert y.shape == shape
    np.testing.assert_allclose(y.ravel(), laplacian(shape) @ x.ravel(), rtol=1e-12)
    np.testing.assert_allclose(A.matvec(x.ravel()), y.ravel(), rtol=1e-13)   # flat input
    np.testing.assert_allclose(A.diagonal(), np.diag(laplacian(shape)))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("location", ["node", "cell"])
def test_diffusion_is_symmetric_and_matches_sparse(shape, location, rng):
    extra = 2 if location == "node" else 1
    a = np.exp(rng.standard_normal(tuple(n + extra for n in shape)))
    A = diffusion(a, location=location)
    S = A.tosparse()
    assert abs(S - S.T).max() < 1e-12 * abs(S).max()
    x, y = rng.standard_normal(shape), rng.standard_normal(shape)
    np.testing.assert_allclose((A @ x).ravel(), S @ x.ravel(), rtol=1e-12)
    # adjointness <A x, y> = <x, A y>
    assert np.isclose(np.vdot(A @ x, y), np.vdot(x, A @ y), rtol=1e-12)
    # positive definite
    assert np.linalg.eigvalsh(S.toarray()).min() > 0


def test_diffusion_coefficient_placement():
    # 1-D, node-based: face = harmonic mean of the two nodes
    a = np.array([1.0, 3.0, 1.0])       # one interior node, h = 1/2
    A = diffusion(a)
    face = 2 * 1 * 3 / 4
    np.testing.assert_allclose(A.tosparse().toarray(), [[2 * face * 4]])
    # constant coefficient equals poisson (node and cell)
    for location, extra in (("node", 2), ("cell", 1)):
        D = diffusion(np.full((7 + extra, 5 + extra), 2.0), location=location)
        np.testing.assert_allclose(D.tosparse().toarray(),
                                   2 * poisson((7, 5)).tosparse().toarray(), rtol=1e-13)
    # 2-D cells: the x-face between nodes (1,1) and (2,1) is shared by cells (1,0), (1,1)
    c = np.ones((4, 4))
    c[1, 0], c[1, 1] = 3.0, 5.0
    D = diffusion(c, spacing=1.0, location="cell").tosparse().toarray()
    assert D[0, 3] == -4.0     # node (0,0) -> (1,0) in interior indices; mean of 3 and 5


def test_stencil_operator_constant_and_variable(rng):
    s = np.array([[0, -1, 0], [-2, 6, -1], [0, -2.0, 0]])
    A = StencilOperator(s, grid_shape=(6, 5))
    assert A.is_constant and len(A.offsets) == 5
    dense = A.tosparse().toarray()
    # row of an interior node (2, 2): index 12
    assert dense[12, 12] == 6 and dense[12, 7] == -1 and dense[12, 11] == -2
    assert dense[12, 13] == -1 and dense[12, 17] == -2
    var = rng.standard_normal((3, 3, 6, 5))
    var[1, 1] = 10.0
    V = StencilOperator(var)
    assert not V.is_constant and V.grid_shape == (6, 5)
    x = rng.standard_normal((6, 5))
    np.testing.assert_allclose((V @ x).ravel(), V.tosparse() @ x.ravel(), rtol=1e-12)
    # rmatvec / transpose of a non-symmetric variable stencil
    np.testing.assert_allclose(V.transpose().tosparse().toarray(), V.tosparse().toarray().T,
                               rtol=1e-13)
    np.testing.assert_allclose(V.rmatvec(x).ravel(), V.tosparse().T @ x.ravel(), rtol=1e-12)
    L = V.aslinearoperator()
    np.testing.assert_allclose(L.matvec(x.ravel()), V.tosparse() @ x.ravel(), rtol=1e-12)
    np.testing.assert_allclose(L.rmatvec(x.ravel()), V.tosparse().T @ x.ravel(), rtol=1e-12)


def test_nnz_counts_stored_entries():
    for A in (poisson((7, 5)), galerkin_operator(poisson((7, 7, 7)))):
        assert A.nnz == A.tosparse().nnz


def test_galerkin_5_point_becomes_9_point():
    A = poisson((15, 15))                      # h = 1/16, H = 1/8
    Ac = galerkin_operator(A)
    assert len(Ac.offsets) == 9 and Ac.is_constant
    H = 1.0 / 8
    expected = np.array([[-0.25, -0.5, -0.25], [-0.5, 3.0, -0.5], [-0.25, -0.5, -0.25]]) / H**2
    row = Ac.tosparse().toarray()[3 * 7 + 3].reshape(7, 7)[2:5, 2:5]
    np.testing.assert_allclose(row, expected, rtol=1e-13)
    # 3-D: the 7-point Laplacian becomes a 27-point stencil
    assert len(galerkin_operator(poisson((7, 7, 7))).offsets) == 27


@pytest.mark.parametrize("shape", [(7,), (7, 5), (5, 3, 7)])
def test_galerkin_equals_explicit_triple_product(shape, rng):
    a = np.exp(rng.standard_normal(tuple(n + 1 for n in shape)))
    A = diffusion(a, location="cell")
    shape_c = tuple((n - 1) // 2 for n in shape)
    P = prolongation(shape_c)
    R = P.T / 2 ** len(shape)
    np.testing.assert_allclose(galerkin_operator(A).tosparse().toarray(),
                               R @ A.tosparse().toarray() @ P, rtol=1e-12, atol=1e-12)
    B = poisson(shape)
    np.testing.assert_allclose(galerkin_operator(B).tosparse().toarray(),
                               R @ B.tosparse().toarray() @ P, rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("shape_c", [(4,), (3, 5), (2, 3, 4)])
def test_transfers_are_adjoint(shape_c, rng):
    shape_f = tuple(2 * n + 1 for n in shape_c)
    x, y = rng.standard_normal(shape_f), rng.standard_normal(shape_c)
    lhs = np.vdot(restrict_full_weighting(x), y)
    rhs = np.vdot(x, prolong_linear(y)) / 2 ** len(shape_c)
    assert np.isclose(lhs, rhs, rtol=1e-12)
    np.testing.assert_allclose(prolong_linear(y).ravel(), prolongation(shape_c) @ y.ravel(),
                               rtol=1e-13)


def test_prolongation_is_exact_on_linear_functions():
    t_c = np.arange(1, 8) / 8.0
    t_f = np.arange(1, 16) / 16.0
    f = lambda s, t: s + 2 * t + 3 * s * t     # bilinear, zero on no boundary: check interior
    coarse = f(*np.meshgrid(t_c, t_c, indexing="ij"))
    fine = prolong_linear(coarse)
    inner = f(*np.meshgrid(t_f, t_f, indexing="ij"))[1:-1, 1:-1]
    np.testing.assert_allclose(fine[1:-1, 1:-1], inner, rtol=1e-13)


def test_backends_agree_on_operators(xp, rng):
    a = np.exp(rng.standard_normal((9, 8)))
    x = rng.standard_normal((7, 6))
    for A_np, A_xp in ((diffusion(a), diffusion(from_numpy(a, xp))),
                       (poisson((7, 6)), poisson((7, 6)))):
        y = A_xp @ from_numpy(x, xp)
        xp_assert_close(y, from_numpy(A_np @ x, xp), rtol=1e-13)
        xp_assert_close(A_xp.rmatvec(from_numpy(x, xp)), from_numpy(A_np.rmatvec(x), xp),
                        rtol=1e-13)
    xc = from_numpy(x[:5, :5], xp)
    xp_assert_close(prolong_linear(xc), from_numpy(prolong_linear(x[:5, :5]), xp), rtol=1e-14)
    xf = from_numpy(x[:7, :5], xp)
    xp_assert_close(restrict_full_weighting(xf),
                    from_numpy(restrict_full_weighting(x[:7, :5]), xp), rtol=1e-14)
    G = galerkin_operator(diffusion(from_numpy(a[:9, :7], xp)))
    assert type(G._coef) is type(from_numpy(a, xp))


@pytest.mark.parametrize("bad, match", [
    (np.array([[1.0, 0.0, 1.0]] * 3), "positive"),
    (np.array([[1.0, -2.0, 1.0]] * 3), "positive"),
    (np.array([[1.0, np.nan, 1.0]] * 3), "finite"),
    (np.ones((2, 5)), "at least 3"),
    (np.ones((3, 3, 3, 2)), "1-, 2- or 3-D"),     # (3, 3, 3, 3): per-axis fields in 3-D
])
def test_diffusion_rejects_bad_coefficient(bad, match):
    with pytest.raises(ValueError, match=match) as exc:
        diffusion(bad)
    assert "coefficient" in str(exc.value)


def test_bad_input_names_the_argument():
    with pytest.raises(ValueError, match="location"):
        diffusion(np.ones((5, 5)), location="edge")
    with pytest.raises(ValueError, match="shape"):
        poisson((0, 4))
    with pytest.raises(ValueError, match="spacing"):
        poisson((5, 5), spacing=(1.0, -1.0))
    with pytest.raises(ValueError, match="stencil"):
        StencilOperator(np.ones((3, 4)), grid_shape=(5, 5))
    with pytest.raises(ValueError, match="centre"):
        StencilOperator(np.array([1.0, 0.0, 1.0]), grid_shape=(5,))
    A = poisson((5, 5))
    with pytest.raises(ValueError, match="`x` must have shape"):
        A @ np.ones(24)
    with pytest.raises(ValueError, match="`x` must contain only finite"):
        A @ np.full(25, np.nan)
    with pytest.raises(ValueError, match="cannot be coarsened"):
        galerkin_operator(poisson((6, 5)))
    with pytest.raises(ValueError, match="cannot be coarsened"):
        restrict_full_weighting(np.ones((4, 5)))


def test_poisson_per_axis_coefficients_match_kronecker_sum():
    import scipy.sparse as sp
    from solvers.multigrid import poisson

    shape, c = (5, 6), (0.1, 2.0)
    A = poisson(shape, coefficients=c).tosparse().toarray()
    blocks = []
    for n, ck in zip(shape, c):
        h = 1.0 / (n + 1)
        blocks.append(ck * sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(n, n)) / h ** 2)
    ref = sp.kron(blocks[0], sp.identity(shape[1])) + sp.kron(sp.identity(shape[0]), blocks[1])
    np.testing.assert_allclose(A, ref.toarray(), rtol=1e-13)
    assert np.array_equal(poisson(shape).tosparse().toarray(),
                          poisson(shape, coefficients=(1, 1)).tosparse().toarray())
    with pytest.raises(ValueError, match="coefficients"):
        poisson(shape, coefficients=(1.0,))
    with pytest.raises(ValueError, match="coefficients"):
        poisson(shape, coefficients=(1.0, -1.0))
    with pytest.raises(TypeError, match="coefficients"):
        poisson(shape, coefficients=3.0)
