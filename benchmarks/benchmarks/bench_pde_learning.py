"""solvers.pde kernel learning: GP-HM objective, bilevel gradient, a short learning run."""

import warnings

import numpy as np

from solvers.pde import KroneckerGrid, PDEProblem, gphm_benchmarks, gphm_objective, solve_pde
from solvers.pde._learn import bilevel_objective
from solvers.pde.kernels import StudentTMixture


def _sin5():
    ex = lambda x: np.sin(5 * x)  # noqa: E731
    return PDEProblem([(0, 2 * np.pi)], {(2,): 1.0}, lambda x: -25 * np.sin(5 * x), ex,
                      exact=ex)


class Objective:
    """gphm_objective and the bilevel value + adjoint gradient on poisson1d-sin100.

    On the uniform grid with the FFT-initialized Student-t mixture (``nodes="uniform"``): at
    n = 400 the defaults choose Chebyshev nodes, whose polynomial kernel has nothing to learn.
    """

    params = ([100, 200, 400],)
    param_names = ["n"]
    timeout = 120

    def setup(self, n):
        self.p = gphm_benchmarks()["poisson1d-sin100"]
        self.grid = KroneckerGrid.uniform(self.p.domain, n)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            sol = solve_pde(self.p, n, nodes="uniform")  # mixture kernels: GP-HM's setting
        self.kernel, self.U = sol.kernel[0], sol.values
        self.fg, self.theta = bilevel_objective(self.p, self.grid, sol.kernel, jitter=1e-10)

    def time_gphm_objective(self, n):
        gphm_objective(self.p, self.grid, self.kernel, self.U)

    def time_bilevel_value_and_gradient(self, n):
        self.fg(self.theta)


class Learning:
    """Bilevel learning from a frequency 25% too low (sin 5x, 24 nodes)."""

    timeout = 120

    def setup(self):
        self.p = _sin5()
        self.k = StudentTMixture([0.01, 1.0], [0.0, 0.6], [0.16, 0.05])

    def time_learn_bilevel(self):
        solve_pde(self.p, 24, kernel=self.k, learn=True, maxiter=30)

    def track_error_ratio_after_learning(self):
        before = solve_pde(self.p, 24, kernel=self.k).relative_l2_error()
        after = solve_pde(self.p, 24, kernel=self.k, learn=True, maxiter=30)
        return after.relative_l2_error() / before

    track_error_ratio_after_learning.unit = "learned / initial rel. L2"
