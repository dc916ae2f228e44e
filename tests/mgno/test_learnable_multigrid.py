"""MultigridOperator (learnable V-cycle) and fit_solver."""

import numpy as np
import pytest

from solvers._array_api import from_numpy, to_numpy, xp_assert_close
from solvers.mgno import MultigridOperator, fit_solver
from solvers.multigrid import GeometricMultigrid, StencilOperator, poisson


def _random_operator(d, n, levels, channels, boundary, seed=1, pre=2, post=1):
    return MultigridOperator((n,) * d, levels=levels, channels=channels, pre=pre, post=post,
                             init="random", boundary=boundary, rng=seed)


# -- init="classical" is part 1's geometric V-cycle --------------------------------------------
@pytest.mark.parametrize("d, n, levels", [(1, 31, 5), (2, 31, 5), (3, 15, 4)])
@pytest.mark.parametrize("pre, post", [(1, 0), (1, 1), (2, 1)])
def test_classical_equals_geometric_vcycle(d, n, levels, pre, post, rng):
    shape = (n,) * d
    A = poisson(shape)
    M = MultigridOperator(shape, levels=levels, pre=pre, post=post, init="classical", operator=A)
    # Part 1's V-cycle with the same options: Jacobi (default omega), Galerkin coarse operators,
    # full weighting / d-linear transfers, and coarsening down to one node, whose direct solve
    # the classical init reproduces with the smoother 1 / a_centre.
    gmg = GeometricMultigrid(A, smoother="jacobi", presmooth=pre, postsmooth=post,
                             coarse_operator="galerkin", coarse_size=1, max_levels=levels)
    assert len(gmg.levels) == levels
    ref = gmg.aspreconditioner(symmetric=False)
    for _ in range(2):
        f = rng.standard_normal(shape)
        expected = ref.matvec(f.ravel()).reshape(shape)
        assert np.max(np.abs(M(f) - expected)) <= 1e-13 * np.max(np.abs(expected))


def test_classical_equals_geometric_vcycle_anisotropic_stencil(rng):
    stencil = np.array([[-0.25, -2.0, -0.25], [-1.0, 7.0, -1.0], [-0.25, -2.0, -0.25]])
    A = StencilOperator(stencil, grid_shape=(31, 31))
    M = MultigridOperator((31, 31), levels=5, pre=2, post=2, operator=A)
    ref = GeometricMultigrid(A, smoother=("jacobi", {"omega": 0.8}), presmooth=2, postsmooth=2,
                             coarse_size=1).aspreconditioner(symmetric=False)
    f = rng.standard_normal((31, 31))
    expected = ref.matvec(f.ravel()).reshape(31, 31)
    assert np.max(np.abs(M(f) - expected)) <= 1e-13 * np.max(np.abs(expected))


def test_classical_cycle_converges_h_independently(rng):
    factors = []
    for n, levels in ((31, 5), (127, 7)):
        M = MultigridOperator((n, n), levels=levels, pre=1, post=1)
        A = poisson((n, n))
        e = rng.standard_normal((n, n))
        norms = []
        for _ in range(12):
            e = e - M(A @ e)
            norms.append(np.linalg.norm(e))
        factors.append((norms[-1] / norms[5]) ** (1 / 6))
    assert max(factors) < 0.4  # omega-Jacobi V(1,1): 0.34 (notes, section 2.2)
    assert abs(factors[0] - factors[1]) < 0.05


# -- backends ---------------------------------------------------------------------------------
@pytest.mark.parametrize("boundary", ["dirichlet", "periodic"])
def test_generic_path_matches_numpy(xp, boundary, rng):
    n = 15 if boundary == "dirichlet" else 16
    M = _random_operator(2, n, 3, (2, 3), boundary)
    f = rng.standard_normal((2, 2, n, n))
    g = rng.standard_normal((2, 3, n, n))
    fx, gx = from_numpy(f, xp), from_numpy(g, xp)
    xp_assert_close(M(fx), from_numpy(M(f), xp), rtol=1e-12, atol=1e-12)
    xp_assert_close(M.adjoint(gx), from_numpy(M.adjoint(g), xp), rtol=1e-12, atol=1e-12)
    grad, f_grad = M.vjp(fx, gx, input_grad=True)
    xp_assert_close(grad, from_numpy(M.vjp(f, g), xp), rtol=1e-12, atol=1e-10)
    xp_assert_close(f_grad, M.adjoint(gx), rtol=1e-12, atol=1e-12)


def test_shapes_and_params_roundtrip(rng):
    M = MultigridOperator((15, 15), levels=3)
    f = rng.standard_normal((15, 15))
    assert M(f).shape == (15, 15)
    assert M(f[None]).shape == (1, 15, 15)
    assert M(f[None, None]).shape == (1, 1, 15, 15)
    p = M.params
    assert p.shape == (M.n_params,)
    M2 = M.with_params(2.0 * p)
    assert np.shares_memory(M2.params, p) is False
    blocks = M.param_slices()
    assert sum(sl.stop - sl.start for sl, _ in blocks.values()) == M.n_params
    # scaling every smoother by 2 is not linear in general; scaling all params changes output
    assert not np.allclose(M2(f), M(f))


# -- adjoint and vjp --------------------------------------------------------------------------
@pytest.mark.parametrize("d, n, boundary", [(1, 31, "dirichlet"), (2, 15, "dirichlet"),
                                            (3, 7, "dirichlet"), (1, 32, "periodic"),
                                            (2, 16, "periodic"), (3, 8, "periodic")])
@pytest.mark.parametrize("channels", [(1, 1), (2, 3)])
def test_adjoint_identity(d, n, boundary, channels, rng):
    M = _random_operator(d, n, 3 if n > 8 else 2, channels, boundary, seed=d)
    f = rng.standard_normal((3, channels[0]) + (n,) * d)
    g = rng.standard_normal((3, channels[1]) + (n,) * d)
    lhs = np.sum(M(f) * g)
    rhs = np.sum(f * M.adjoint(g))
    assert abs(lhs - rhs) <= 1e-12 * np.linalg.norm(M(f)) * np.linalg.norm(g)


def test_adjoint_of_classical_symmetric_cycle_is_itself(rng):
    # V(1,1) with Jacobi smoothing and R = 2^-d P^T is a symmetric operator
    M = MultigridOperator((15, 15), levels=4, pre=1, post=1)
    f = rng.standard_normal((15, 15))
    np.testing.assert_allclose(M.adjoint(f), M(f), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("d, n, boundary, pre, post", [(2, 15, "dirichlet", 2, 1),
                                                       (1, 15, "dirichlet", 0, 1),
                                                       (2, 8, "periodic", 1, 0),
                                                       (3, 7, "dirichlet", 1, 1)])
def test_vjp_matches_central_differences(d, n, boundary, pre, post, rng):
    M = _random_operator(d, n, 3 if n > 8 else 2, (2, 2), boundary, pre=pre, post=post)
    f = rng.standard_normal((2, 2) + (n,) * d)
    g = rng.standard_normal((2, 2) + (n,) * d)
    grad, f_grad = M.vjp(f, g, input_grad=True)
    p = M.params
    eps = 1e-5
    for _ in range(3):
        v = rng.standard_normal(p.shape)
        plus = np.sum(M.with_params(p + eps * v)(f) * g)
        minus = np.sum(M.with_params(p - eps * v)(f) * g)
        fd = (plus - minus) / (2 * eps)
        assert abs(fd - grad @ v) <= 1e-6 * abs(fd)
    np.testing.assert_allclose(f_grad, M.adjoint(g), rtol=1e-12, atol=1e-12)


def test_vjp_matches_torch_autograd(rng):
    torch = pytest.importorskip("torch")
    M = _random_operator(2, 15, 3, (2, 3), "dirichlet")
    f = rng.standard_normal((2, 2, 15, 15))
    g = rng.standard_normal((2, 3, 15, 15))
    tp = torch.tensor(M.params, requires_grad=True)
    out = M.with_params(tp)(torch.from_numpy(f))
    torch.sum(out * torch.from_numpy(g)).backward()
    np.testing.assert_allclose(M.vjp(f, g), tp.grad.numpy(), rtol=1e-10, atol=1e-12)


# -- validation -------------------------------------------------------------------------------
def test_bad_input():
    with pytest.raises(ValueError, match="cannot be coarsened"):
        MultigridOperator((16, 16), levels=3)
    with pytest.raises(ValueError, match="cannot be coarsened"):
        MultigridOperator((15, 15), levels=3, boundary="periodic")
    with pytest.raises(ValueError, match="equal channels"):
        MultigridOperator((15, 15), levels=2, channels=(1, 2))
    with pytest.raises(ValueError, match="`boundary`"):
        MultigridOperator((15, 15), levels=2, boundary="neumann")
    with pytest.raises(ValueError, match="`levels`"):
        MultigridOperator((15, 15), levels=0)
    with pytest.raises(ValueError, match="`init`"):
        MultigridOperator((15, 15), levels=2, init="zeros")
    with pytest.raises(ValueError, match="stencil of shape"):
        MultigridOperator((15, 15), levels=2, operator=np.ones(3))
    M = MultigridOperator((15, 15), levels=2)
    with pytest.raises(ValueError, match="`f` must have shape"):
        M(np.ones((15, 16)))
    with pytest.raises(ValueError, match="1 channels"):
        M(np.ones((2, 15, 15)))
    with pytest.raises(ValueError, match="flat vector of length"):
        M.with_params(np.ones(3))
    with pytest.raises(TypeError, match="`rng`"):
        MultigridOperator((15, 15), levels=2, init="random", rng="seed")


# -- fit_solver -------------------------------------------------------------------------------
def test_fit_solver_gradient_matches_central_differences(rng):
    import array_api_compat.numpy as xp
    from solvers.mgno._fit_solver import _SharedStencils, _loss_and_grad

    shared = _SharedStencils(poisson, 2, 1, 1, 3, (31, 31))
    theta = shared.theta0 + 0.01 * rng.standard_normal(shared.size)
    z = rng.standard_normal((3, 1, 15, 15))
    _, grad = _loss_and_grad(xp, shared, theta, (15, 15), z, 2)
    v = rng.standard_normal(shared.size)
    eps = 1e-6
    fd = (_loss_and_grad(xp, shared, theta + eps * v, (15, 15), z, 2)[0]
          - _loss_and_grad(xp, shared, theta - eps * v, (15, 15), z, 2)[0]) / (2 * eps)
    assert abs(fd - grad @ v) <= 1e-6 * abs(fd)


def test_fit_solver_shared_parameters_reproduce_classical_cycle(rng):
    # the shared slots start from the classical stencils of the largest training size, so
    # that size gets exactly the classical cycle back (other sizes share the deepest slot
    # across levels whose Galerkin stencils differ slightly)
    res = fit_solver(poisson, sizes=[15], steps=0, rng=0)
    f = rng.standard_normal((15, 15))
    ref = MultigridOperator((15, 15), levels=4, pre=1, post=1)
    np.testing.assert_allclose(res.operator((15, 15))(f), ref(f), rtol=1e-12, atol=1e-15)
    assert res.rho[(15, 15)] == pytest.approx(res.rho_classical[(15, 15)], rel=1e-10)


@pytest.mark.slow
def test_fit_solver_poisson_h_independence_gate():
    res = fit_solver(poisson, sizes=[31, 63], test_sizes=[127, 255], steps=100, rng=0)
    assert res.success
    for n in (31, 63):  # better on the trained sizes
        assert res.rho[(n, n)] < res.rho_classical[(n, n)]
    for n in (127, 255):  # and no worse on sizes not trained on
        assert res.rho[(n, n)] <= res.rho_classical[(n, n)]
    # measured: learned 0.047 / 0.045 / 0.045 / 0.049 vs classical V(1,1) 0.34 at all sizes
    assert max(res.rho.values()) < 0.5 * min(res.rho_classical.values())


def test_fit_solver_callback_stops_and_validation():
    def stop_at_3(intermediate_result):
        if intermediate_result.nit >= 3:
            raise StopIteration

    res = fit_solver(poisson, sizes=[7], steps=50, callback=stop_at_3, rng=0)
    assert res.nit == 3 and res.status == 99 and not res.success
    assert res.loss_history.shape == (3,)
    full = fit_solver(poisson, sizes=[7], steps=2, rng=0)
    assert full.status == 6 and full.success and full.nit == 2
    with pytest.raises(TypeError, match="`operator_A`"):
        fit_solver(poisson((7, 7)), sizes=[7])
    with pytest.raises(ValueError, match="`objective`"):
        fit_solver(poisson, sizes=[7], objective="frobenius")
    with pytest.raises(ValueError, match="`sizes`"):
        fit_solver(poisson, sizes=[])
    with pytest.raises(ValueError, match="`steps`"):
        fit_solver(poisson, sizes=[7], steps=-1)


def test_to_numpy_roundtrip_of_params_on_strict(xp):
    M = MultigridOperator((7,), levels=2)
    p = from_numpy(M.params, xp)
    M2 = M.with_params(p)
    f = from_numpy(np.ones(7), xp)
    np.testing.assert_allclose(to_numpy(M2(f)), M(np.ones(7)), rtol=1e-13)
