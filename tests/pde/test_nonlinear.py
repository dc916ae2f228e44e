"""Damped Newton for nonlinear collocation: convergence from u = 0, line search, inner counts."""

import numpy as np
import pytest

from solvers.pde import KroneckerGrid, PDEProblem, gphm_benchmarks, solve_pde
from solvers.pde._collocation import CollocationSystem
from solvers.pde._interior import InteriorSolver
from solvers.pde._nonlinear import damped_newton
from solvers.pde._solve import _build_kernels
from solvers.pde.kernels import StudentTMixture


def _system(p, shape, kernels=None):
    g = KroneckerGrid.uniform(p.domain, shape)
    F, H = p.evaluate_source(g), p.evaluate_boundary(g)
    if kernels is None:
        kernels = _build_kernels("student_t_mixture", None, 30, "fft", p, g, F, H, None)
    s = CollocationSystem(kernels, g, p.operator, 1e-12)
    return g, InteriorSolver(s), F[s.interior] - s.boundary_contribution(H)


@pytest.mark.parametrize("name", ["allencahn1d-sin100", "allencahn1d-sin6cos100"])
def test_newton_from_zero_converges_on_the_suite(name):
    p = gphm_benchmarks()[name]
    g, s, rhs0 = _system(p, p.reference["shape"])
    V, info = damped_newton(s, p, rhs0, np.zeros_like(rhs0))
    assert info["success"] and info["newton_iterations"] <= 6
    exact = p.evaluate_exact(g)[s.block]
    assert np.abs(V - exact).max() <= 1e-5 * np.abs(exact).max()


def test_line_search_rescues_a_large_amplitude_start():
    """-u'' + u^3 + u = f (unique solution) with u = 30 sin 3x: the full Newton step from
    u = 0 increases the residual; the damped step converges to the solution."""
    amp = 30.0
    ex = lambda x: amp * np.sin(3 * x)  # noqa: E731
    p = PDEProblem([(0.0, 2.0)], {(2,): -1.0},
                   lambda x: 9 * amp * np.sin(3 * x) + ex(x) ** 3 + ex(x), ex, exact=ex,
                   nonlinearity=lambda u: (u ** 3 + u, 3 * u ** 2 + 1))
    k = StudentTMixture([0.5, 0.5], [0.0, 3 / (2 * np.pi)], [0.2, 0.1])
    g, s, rhs0 = _system(p, 40, [k])
    V, info = damped_newton(s, p, rhs0, np.zeros_like(rhs0))
    assert info["success"]
    assert info["step_lengths"][0] < 1.0
    res = info["newton_residuals"]
    assert all(b < a for a, b in zip(res, res[1:]))
    assert np.abs(V - ex(g.axes[0][1:-1])).max() <= 1e-3 * amp
    _, undamped = damped_newton(s, p, rhs0, np.zeros_like(rhs0), max_halvings=1)
    assert not undamped["success"]


def test_newton_2d_reports_inner_gmres_iterations():
    ex = lambda x, y: np.sin(3 * x) * np.cos(2 * y)  # noqa: E731
    p = PDEProblem([(0.0, 2.0)] * 2, {(2, 0): 1.0, (0, 2): 1.0},
                   lambda x, y: -13 * ex(x, y) + ex(x, y) ** 3 - ex(x, y), ex, exact=ex,
                   nonlinearity=lambda u: (u ** 3 - u, 3 * u ** 2 - 1))
    sol = solve_pde(p, 72)  # interior 70^2 > 4000 nodes: GMRES + fast diagonalization
    info = sol.info
    assert info["success"] and 1 <= info["newton_iterations"] <= 8
    assert len(info["inner_iterations"]) == info["newton_iterations"]
    assert all(n >= 1 for n in info["inner_iterations"])
    assert sol.relative_l2_error(n_test=50) < 1e-5  # measured 1.1e-6
