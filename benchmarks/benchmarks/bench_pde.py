"""solvers.pde: kernel matrices, GP collocation solves on the GP-HM benchmarks, accuracy tracks."""

import warnings

import numpy as np

from solvers.pde import StudentTMixture, SpectralMixture, gphm_benchmarks, solve_pde


def _solve(name, shape=None, nodes="auto"):
    p = gphm_benchmarks()[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return solve_pde(p, shape or p.reference["shape"], nodes=nodes)


class KernelMatrix:
    """Second-derivative kernel matrix k''(x_i, x_j) of a 10-component mixture."""

    params = (["spectral_mixture", "student_t_mixture"], [200, 400, 900])
    param_names = ["kernel", "n"]

    def setup(self, kernel, n):
        rng = np.random.default_rng(0)
        cls = SpectralMixture if kernel == "spectral_mixture" else StudentTMixture
        self.k = cls(rng.uniform(0.1, 1, 10), rng.uniform(0, 30, 10), rng.uniform(0.01, 1, 10))
        self.x = np.linspace(0, 2 * np.pi, n)

    def time_second_derivative(self, kernel, n):
        self.k(self.x, dx=2)


class SolveLinearBenchmark:
    """solve_pde at its defaults on the linear GP-HM benchmarks at the reference grids.

    (All of them run on Chebyshev nodes at these sizes; ``Refinement`` tracks the uniform
    grid too.)
    """

    params = (["poisson1d-sin100", "poisson1d-sin6cos100", "poisson1d-sin500-quadratic",
               "poisson2d-sin6cos20", "advection-sin200"],)
    param_names = ["case"]
    timeout = 300

    def time_solve(self, case):
        _solve(case)

    def peakmem_solve(self, case):
        _solve(case)

    def track_relative_l2_error(self, case):
        return _solve(case).relative_l2_error()

    track_relative_l2_error.unit = "relative L2"


class Poisson2DHighFrequency:
    """The headline case: 2-D Poisson sin(100x) sin(100y) on [0, 2pi]^2 (defaults: uniform
    nodes at 200 and 300 per axis, below Chebyshev's resolution pi W + 40 = 354; Chebyshev at
    400)."""

    params = ([200, 300, 400],)
    param_names = ["n"]
    timeout = 600

    def time_solve(self, n):
        _solve("poisson2d-sin100sin100", (n, n))

    def track_relative_l2_error(self, n):
        return _solve("poisson2d-sin100sin100", (n, n)).relative_l2_error()

    track_relative_l2_error.unit = "relative L2"


class Refinement:
    """Relative L2 error of poisson1d-sin100 (u'' = f, u = sin 100x on [0, 2pi]) under grid
    refinement, for the default node choice (Chebyshev at these sizes) and GP-HM's uniform
    grid with the Student-t mixture (issue 14: refining must not make the error worse)."""

    params = (["auto", "uniform"], [400, 800, 1600])
    param_names = ["nodes", "n"]
    timeout = 300

    def track_relative_l2_error(self, nodes, n):
        return _solve("poisson1d-sin100", (n,), nodes=nodes).relative_l2_error()

    track_relative_l2_error.unit = "relative L2"

    def track_residual_estimate(self, nodes, n):
        return _solve("poisson1d-sin100", (n,), nodes=nodes).residual_estimate

    track_residual_estimate.unit = "relative residual at cell midpoints"
