"""KroneckerGrid, PDEProblem and the GP-HM benchmark definitions."""

import numpy as np
import pytest

from solvers._array_api import from_numpy, xp_assert_equal
from solvers.pde import KroneckerGrid, PDEProblem, gphm_benchmarks, solve_pde


def test_uniform_grid_layout():
    g = KroneckerGrid.uniform([(0, 1), (-1, 1), (0, 3)], (3, 4, 5))
    assert g.shape == (3, 4, 5) and g.ndim == 3 and g.size == 60
    P = g.points()
    assert P.shape == (60, 3)
    np.testing.assert_allclose(P[1], [0.0, -1.0, 0.75])  # last axis varies fastest
    mask = g.boundary_mask()
    assert mask.shape == g.shape and int(mask.sum()) == 60 - 1 * 2 * 3
    np.testing.assert_array_equal(g.interior_indices(2), [1, 2, 3])
    np.testing.assert_array_equal(g.boundary_indices(0), [0, 2])
    assert g.domain == ((0.0, 1.0), (-1.0, 1.0), (0.0, 3.0))


def test_grid_backends(xp):
    g = KroneckerGrid.uniform([(0, 1), (0, 2)], (4, 3), xp=xp)
    ref = KroneckerGrid.uniform([(0, 1), (0, 2)], (4, 3))
    xp_assert_equal(g.boundary_mask(), from_numpy(ref.boundary_mask(), xp))
    xp_assert_equal(g.points(), from_numpy(ref.points(), xp))


def test_grid_bad_input():
    with pytest.raises(ValueError, match="increasing"):
        KroneckerGrid([np.array([0.0, 2.0, 1.0])])
    with pytest.raises(ValueError, match="domain"):
        KroneckerGrid.uniform([(1, 0)], 5)
    with pytest.raises(ValueError, match="shape"):
        KroneckerGrid.uniform([(0, 1)], (5, 5))


@pytest.mark.parametrize("name", sorted(gphm_benchmarks()))
def test_benchmark_sources_match_exact_solutions(name):
    """The analytic source equals the operator applied to the exact solution (by FD)."""
    p = gphm_benchmarks()[name]
    assert p.exact is not None and p.reference["shape"]
    rng = np.random.default_rng(1)
    d = p.ndim
    lo = np.array([a for a, _ in p.domain])
    hi = np.array([b for _, b in p.domain])
    pts = lo + (hi - lo) * rng.uniform(0.1, 0.9, (20, d))
    h = 1e-4

    def u(q):
        return np.asarray(p.exact(*[q[:, j] for j in range(d)]), dtype=float)

    lhs = np.zeros(len(pts))
    size = np.zeros(len(pts))  # magnitude of the terms, for the tolerance
    for alpha, c in p.operator.items():
        j = [i for i, r in enumerate(alpha) if r]
        e = np.zeros(d)
        if not j:
            lhs += c * u(pts)
            size += np.abs(c * u(pts))
            continue
        e[j[0]] = h
        r = alpha[j[0]]
        if r == 1:
            term = c * (u(pts + e) - u(pts - e)) / (2 * h)
        else:
            term = c * (u(pts + e) - 2 * u(pts) + u(pts - e)) / h ** 2
        lhs += term
        size += np.abs(term)
    if p.nonlinearity is not None:
        lhs += p.nonlinearity(u(pts))[0]
    f = np.broadcast_to(np.asarray(p.source(*[pts[:, j] for j in range(d)]) if callable(p.source)
                                   else p.source, dtype=float), lhs.shape)
    np.testing.assert_allclose(lhs, f, atol=2e-3 * (size.max() + 1.0))


def test_benchmark_suite_contents():
    cases = gphm_benchmarks()
    assert len(cases) == 11
    assert cases["advection-sin200"].operator == {(1, 0): 200.0, (0, 1): 1.0}
    assert not cases["allencahn2d-mix"].is_linear
    assert cases["poisson1d-xsin200"].reference["shape"] == (900,)


def _poisson1d(source=lambda x: -np.sin(x)):
    return PDEProblem([(0, np.pi)], {(2,): 1.0}, source, 0.0, exact=np.sin)


def test_problem_bad_input():
    with pytest.raises(ValueError, match="operator"):
        PDEProblem([(0, 1)], {(3,): 1.0}, 0.0, 0.0)
    with pytest.raises(ValueError, match="operator"):
        PDEProblem([(0, 1), (0, 1)], {(2, 1): 1.0}, 0.0, 0.0)
    with pytest.raises(ValueError, match="operator"):
        PDEProblem([(0, 1), (0, 1)], {(2,): 1.0}, 0.0, 0.0)
    with pytest.raises(TypeError, match="source"):
        PDEProblem([(0, 1)], {(2,): 1.0}, "f", 0.0)
    with pytest.raises(ValueError, match="domain"):
        PDEProblem([(0, 0)], {(2,): 1.0}, 0.0, 0.0)


def test_solve_bad_input():
    p = _poisson1d()
    with pytest.raises(ValueError, match="shape"):
        solve_pde(p, (10, 10))  # domain has one axis
    with pytest.raises(ValueError, match="shape"):
        solve_pde(p, 2)  # fewer than 3 points
    with pytest.raises(ValueError, match="source"):
        solve_pde(_poisson1d(lambda x: np.log(x - 1.0)), 10)  # NaN source
    with pytest.raises(ValueError, match="init"):
        solve_pde(p, 10, init="random")
    with pytest.raises(ValueError, match="kernel"):
        solve_pde(p, 10, kernel="laplace")
    with pytest.raises(ValueError, match="boundary"):
        solve_pde(p, 10, boundary="soft")
    with pytest.raises(TypeError, match="problem"):
        solve_pde({"operator": 1}, 10)
