"""The GP-HM benchmark table targets (issue: "The table"), with the library's defaults.

Every case runs ``solve_pde(problem, reference_grid)`` with the default kernel and
initialization (no per-case tuning beyond the grid size) and checks the relative L2 error on
the reference's 300-point (300^2) test grid against the issue's target. The targets of
poisson1d-sin100, poisson2d-sin6cos20, poisson1d-xsin200 and poisson2d-sin100sin100 are
tested in ``test_solve.py`` (part 1); they are repeated here only where this file records a
different measurement (xsin200, below its target: xfail).
"""

import numpy as np
import pytest

from solvers.pde import PDEProblem, gphm_benchmarks, solve_inflow, solve_pde

CASES = gphm_benchmarks()

# case -> (issue target, slow)
TARGETS = {
    "poisson1d-sin6cos100": (1.5e-6, False),
    "poisson1d-mix": (1e-4, True),
    "poisson1d-sin500-quadratic": (1e-4, False),
    "allencahn1d-sin100": (7.7e-7, False),
    "allencahn1d-sin6cos100": (4.2e-6, False),
    "allencahn2d-mix": (2.6e-3, True),
    "advection-sin200": (1.4e-4, False),
}


def _solve(name, **kw):
    p = CASES[name]
    return solve_pde(p, p.reference["shape"], **kw)


@pytest.mark.parametrize("name", [n for n, (_, slow) in TARGETS.items() if not slow])
def test_table_target(name):
    sol = _solve(name)
    assert sol.relative_l2_error() <= TARGETS[name][0]


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n, (_, slow) in TARGETS.items() if slow])
def test_table_target_slow(name):
    sol = _solve(name)
    assert sol.relative_l2_error() <= TARGETS[name][0]
    if not CASES[name].is_linear:
        assert sol.info["success"] and sol.info["newton_iterations"] <= 10


@pytest.mark.slow
@pytest.mark.xfail(reason="measured 1.8e-5 (fixed FFT kernel) and 1.1e-5 to 1.7e-5 after "
                          "bilevel L-BFGS learning (this test: 20 s budget): the learning "
                          "objective does not widen the 0.1/L component to the ~0.5/L that "
                          "reaches 8.9e-7 (measured with a hand-set kernel)",
                   strict=False)
def test_table_target_xsin200_learned():
    sol = _solve("poisson1d-xsin200", learn=True, maxiter=10, max_time=20.0)
    assert sol.relative_l2_error() <= 9.0e-7


def test_allen_cahn_newton_reports_iterations():
    sol = _solve("allencahn1d-sin100")
    assert sol.info["success"]
    assert 1 <= sol.info["newton_iterations"] <= 10
    assert sol.residual_norm < 1e-8


@pytest.mark.slow
def test_advection_initial_value_variant():
    """Data only at the inflow x = 0 and at t = 0 (the reference needs t = 1 too).

    No issue target: the bound is one order above the measured 7.1e-5 (200^2 grid); the
    reference's logs show 0.9956 for its own initial-value-only run.
    """
    p = CASES["advection-sin200"]
    sol = solve_inflow(p, p.reference["shape"], [(0, 0), (1, 0)])
    assert sorted(sol.info["unknown_faces"]) == [(0, 1), (1, 1)]
    assert sol.relative_l2_error() <= 1e-3


def test_robust_sin150_same_defaults():
    ex = lambda x: np.sin(150 * x)  # noqa: E731
    p = PDEProblem([(0, 2 * np.pi)], {(2,): 1.0}, lambda x: -150 ** 2 * np.sin(150 * x), ex,
                   exact=ex)
    sol = solve_pde(p, 600)  # 4 nodes per wavelength, like the reference's sin(100x) at 400
    assert sol.relative_l2_error() <= 1e-4


def test_robust_sin40_sin60_same_defaults():
    ex = lambda x, y: np.sin(40 * x) * np.sin(60 * y)  # noqa: E731
    p = PDEProblem([(0, 2 * np.pi)] * 2, {(2, 0): 1.0, (0, 2): 1.0},
                   lambda x, y: -5200.0 * np.sin(40 * x) * np.sin(60 * y), ex, exact=ex)
    sol = solve_pde(p, 240)  # 4 nodes per shortest wavelength
    assert sol.relative_l2_error() <= 6.5e-5
