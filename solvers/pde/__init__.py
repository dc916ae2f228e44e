"""Gaussian-process PDE solvers on Kronecker grids (GP-HM, Fang et al., ICLR 2024).

Kernels (module ``solvers.pde.kernels``)
    SpectralMixture   Gaussian-mixture spectrum x cosine kernel, analytic derivatives
    StudentTMixture   Matérn envelope x cosine (Student-t mixture spectrum)
    RBF               squared-exponential kernel
    Matern            Matérn kernel, nu in {1/2, 3/2, 5/2}
    Chebyshev         polynomial kernel: on Chebyshev nodes, GP collocation = spectral collocation
Problems and grids
    KroneckerGrid     tensor grid on a box (uniform and Chebyshev constructors, indices)
    PDEProblem        constant-coefficient operator + nonlinearity + Dirichlet data on a box
    gphm_benchmarks   the eleven GP-HM benchmark problems with exact solutions
Solver
    solve_pde         GP collocation: Chebyshev nodes where the data are resolved, else
                      GP-HM's uniform grid with mixture kernels (fast diagonalization / GMRES)
    PDESolution       OptimizeResult: grid values, GP mean and derivatives anywhere, errors,
                      residual estimate between the nodes, diagnostics
Kernel learning (``solve_pde(..., learn=True)``)
    gphm_objective    the GP-HM training loss (Kronecker log-det, quadratic form, likelihoods)
    solve_inflow      collocation with data on some faces only (inflow + initial time)
"""

from . import kernels
from ._advection import solve_inflow
from ._benchmarks import gphm_benchmarks
from ._grid import KroneckerGrid
from ._objective import gphm_objective
from ._problem import PDEProblem
from ._solution import PDESolution
from ._solve import solve_pde
from .kernels import RBF, Chebyshev, Matern, SpectralMixture, StudentTMixture

__all__ = [
    "kernels",
    "SpectralMixture",
    "StudentTMixture",
    "RBF",
    "Matern",
    "Chebyshev",
    "KroneckerGrid",
    "PDEProblem",
    "gphm_benchmarks",
    "solve_pde",
    "PDESolution",
    "gphm_objective",
    "solve_inflow",
]
