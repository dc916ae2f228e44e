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
