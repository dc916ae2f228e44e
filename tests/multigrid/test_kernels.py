"""The Numba kernels agree with the generic array-API kernels (the reference), op by op."""

import numpy as np
import pytest
from array_api_compat import numpy as np_compat

from solvers._array_api import from_numpy, to_numpy, xp_assert_close
from solvers.multigrid import StencilOperator, diffusion, galerkin_operator, poisson
from solvers.multigrid._backends import BoundStencil, NumbaBackend, get_backend
from solvers.multigrid._grid import pad_interior
from solvers.multigrid._kernels_xp import XPBackend


def operators(rng):
    """Constant/variable, star/box stencils in 1-D, 2-D and 3-D."""
    a2 = np.exp(rng.standard_normal((9, 11)))
    a3 = np.exp(rng.standard_normal((6, 8, 6)))
    a1 = np.exp(rng.standard_normal(9))
    ops = [poisson((7,)), poisson((7, 9)), poisson((3, 5, 7)), diffusion(a1),
           diffusion(a2), diffusion(a3, location="cell"),
           galerkin_operator(diffusion(a2)), galerkin_operator(poisson((5, 7, 5)))]
    nonsym = rng.standard_normal((3, 3, 7, 5))
    nonsym[1, 1] = 9.0
    ops.append(StencilOperator(nonsym))
    return ops


def padded_random(layout, rng):
    return pad_interior(np_compat, rng.standard_normal(layout.n3), layout)


@pytest.mark.parametrize("index", range(9))
def test_numba_matches_generic(index, rng):
    A = operators(rng)[index]
    layout = A._layout
    u, f = padded_random(layout, rng), padded_random(layout, rng)
    reference = XPBackend(np_compat)
    bs_nb = BoundStencil(NumbaBackend(), layout, A._offsets3, A._const, A._coef,
                         np.dtype(np.float64), None)
    bs_xp = BoundStencil(reference, layout, A._offsets3, A._const, A._coef,
                         np.dtype(np.float64), None)
    assert bs_nb.colours == bs_xp.colours
    np.testing.assert_allclose(bs_nb.backend.apply(bs_nb, u), reference.apply(bs_xp, u),
                               rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(bs_nb.backend.residual(bs_nb, u, f),
                               reference.residual(bs_xp, u, f), rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(bs_nb.backend.jacobi(bs_nb, u, f, 0.7),
                               reference.jacobi(bs_xp, u, f, 0.7), rtol=1e-13, atol=1e-13)
    for colour in bs_nb.colours:
        expected = reference.colour_sweep(bs_xp, u, f, colour, 1.1)
        got = bs_nb.backend.colour_sweep(bs_nb, u.copy(), f, colour, 1.1)
        np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-13)
        # exactly the nodes of that colour changed
        assert 0 < np.count_nonzero(got != u) < layout.size
    if layout.can_coarsen():
        coarse = layout.coarse()
        np.testing.assert_allclose(bs_nb.backend.restrict(f, layout, coarse),
                                   reference.restrict(f, layout, coarse), rtol=1e-13,
                                   atol=1e-13)
        np.testing.assert_allclose(bs_nb.backend.residual_restrict(bs_nb, u, f, coarse),
                                   reference.residual_restrict(bs_xp, u, f, coarse),
                                   rtol=1e-12, atol=1e-12)
        uc = padded_random(coarse, rng)
        np.testing.assert_allclose(bs_nb.backend.prolong_add(uc, u.copy(), coarse, layout),
                                   reference.prolong_add(uc, u, coarse, layout), rtol=1e-13,
                                   atol=1e-13)


def test_colours_cover_every_node_once(rng):
    for A in operators(rng):
        bs = A._bind(np_compat, np.dtype(np.float64))
        u = np.zeros(A._layout.padded)
        f = pad_interior(np_compat, np.ones(A._layout.n3), A._layout)
        # with the operator replaced by its diagonal part, one sweep of every colour
        # must set each node exactly once: count visits by a unit diagonal stencil
        D = StencilOperator(np.pad(np.ones((1,) * A.ndim), 1), grid_shape=A.grid_shape)
        bd = D._bind(np_compat, np.dtype(np.float64))
        bd.colours = bs.colours
        bd.star = bs.star
        for colour in bs.colours:
            u = bd.backend.colour_sweep(bd, u, f, colour, 1.0)
        np.testing.assert_array_equal(u[A._layout.interior], 1.0)


def test_get_backend_dispatch():
    import array_api_strict

    assert get_backend(np_compat).name == "numba"
    assert get_backend(array_api_strict).name == "xp"


def test_float32_kernels(rng):
    A = poisson((15, 15))
    x = rng.standard_normal((15, 15)).astype(np.float32)
    y = A @ x
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, (A @ x.astype(np.float64)), rtol=1e-5)


def test_generic_path_on_xp(xp, rng):
    A = diffusion(from_numpy(np.exp(rng.standard_normal((9, 9))), xp))
    x = from_numpy(rng.standard_normal((7, 7)), xp)
    expected = A.tosparse() @ to_numpy(x).ravel()
    xp_assert_close(xp.reshape(A @ x, (-1,)), from_numpy(expected, xp), rtol=1e-12)


def _explicit_prolongation(backend, W, fine, coarse):
    P = np.zeros((fine.size, coarse.size))
    for k in range(coarse.size):
        e = np.zeros(coarse.size)
        e[k] = 1.0
        uc = pad_interior(np_compat, e.reshape(coarse.n3), coarse)
        P[:, k] = backend.prolong_add(uc, np.zeros(fine.padded), coarse, fine,
                                      W)[fine.interior].ravel()
    return P


@pytest.mark.parametrize("shape", [(15,), (7, 9)])
def test_operator_dependent_transfers(shape, rng):
    from solvers.multigrid._interpolation import operator_interpolation_weights

    a = np.exp(3 * rng.standard_normal(tuple(n + 1 for n in shape)))
    A = diffusion(a, location="cell")
    fine = A._layout
    coarse = fine.coarse()
    W = operator_interpolation_weights(A)
    nb, ref = NumbaBackend(), XPBackend(np_compat)
    uc = pad_interior(np_compat, rng.standard_normal(coarse.n3), coarse)
    rf = pad_interior(np_compat, rng.standard_normal(fine.n3), fine)
    pf = nb.prolong_add(uc, np.zeros(fine.padded), coarse, fine, W)
    np.testing.assert_allclose(pf, ref.prolong_add(uc, np.zeros(fine.padded), coarse, fine, W),
                               rtol=1e-13, atol=1e-14)
    rc = nb.restrict(rf, fine, coarse, W)
    np.testing.assert_allclose(rc, ref.restrict(rf, fine, coarse, W), rtol=1e-13, atol=1e-14)
    # R = 2**-d P^T, and the Galerkin kernel forms R A P
    assert np.isclose(np.vdot(rc, uc), 0.5 ** len(shape) * np.vdot(rf, pf), rtol=1e-12)
    P = _explicit_prolongation(nb, W, fine, coarse)
    expected = 0.5 ** len(shape) * P.T @ A.tosparse().toarray() @ P
    np.testing.assert_allclose(galerkin_operator(A, W).tosparse().toarray(), expected,
                               rtol=1e-12, atol=1e-12 * np.abs(expected).max())
    # weights sum to one (constants are interpolated exactly) away from the boundary
    total = W.sum(axis=0)[fine.interior]
    inner = (slice(None),) * (3 - len(shape)) + (slice(2, -2),) * len(shape)
    np.testing.assert_allclose(total[inner], 1.0, rtol=1e-12)
    if len(shape) == 1:  # 1-D: the interpolant solves the homogeneous equation at F-nodes
        assert np.abs((A.tosparse() @ P)[0::2]).max() < 1e-9 * np.abs(A.tosparse()).max()


@pytest.mark.parametrize("shape", [(15,), (7, 9)])
def test_operator_interpolation_of_laplacian_is_linear(shape):
    from solvers.multigrid._interpolation import operator_interpolation_weights

    A = poisson(shape)
    fine = A._layout
    nb = NumbaBackend()
    P_op = _explicit_prolongation(nb, operator_interpolation_weights(A), fine, fine.coarse())
    P_lin = _explicit_prolongation(nb, None, fine, fine.coarse())
    np.testing.assert_allclose(P_op, P_lin, rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("index", range(9))
def test_cupy_kernels_match_generic(index, rng):
    """The CUDA kernels against the generic path on CuPy arrays (runs only with a GPU)."""
    try:
        import cupy
        from array_api_compat import cupy as cp_compat

        cupy.cuda.runtime.getDeviceCount()
    except Exception:
        pytest.skip("cupy/GPU not available")
    from solvers.multigrid._interpolation import operator_interpolation_weights
    from solvers.multigrid._kernels_cupy import CupyBackend

    A = operators(rng)[index]
    layout = A._layout
    coef = None if A._coef is None else cupy.asarray(A._coef)
    u = cupy.asarray(padded_random(layout, rng))
    f = cupy.asarray(padded_random(layout, rng))
    gpu, reference = CupyBackend(cp_compat), XPBackend(cp_compat)
    bs_gpu = BoundStencil(gpu, layout, A._offsets3, A._const, coef, np.dtype(np.float64), None)
    bs_ref = BoundStencil(reference, layout, A._offsets3, A._const, coef,
                          np.dtype(np.float64), None)

    def close(a, b):
        np.testing.assert_allclose(cupy.asnumpy(a), cupy.asnumpy(b), rtol=1e-12, atol=1e-12)

    close(gpu.apply(bs_gpu, u), reference.apply(bs_ref, u))
    close(gpu.residual(bs_gpu, u, f), reference.residual(bs_ref, u, f))
    close(gpu.jacobi(bs_gpu, u, f, 0.7), reference.jacobi(bs_ref, u, f, 0.7))
    for colour in bs_gpu.colours:
        close(gpu.colour_sweep(bs_gpu, u.copy(), f, colour, 1.1),
              reference.colour_sweep(bs_ref, u, f, colour, 1.1))
    if layout.can_coarsen():
        coarse = layout.coarse()
        uc = cupy.asarray(padded_random(coarse, rng))
        close(gpu.restrict(f, layout, coarse), reference.restrict(f, layout, coarse))
        close(gpu.prolong_add(uc, u.copy(), coarse, layout),
              reference.prolong_add(uc, u, coarse, layout))
        if layout.ndim < 3:
            W = operator_interpolation_weights(A)
            wg = gpu.bind_weights(W, layout, np.float64)
            wr = reference.bind_weights(W, layout, np.float64, like=u)
            close(gpu.restrict(f, layout, coarse, wg), reference.restrict(f, layout, coarse, wr))
            close(gpu.prolong_add(uc, u.copy(), coarse, layout, wg),
                  reference.prolong_add(uc, u, coarse, layout, wr))
