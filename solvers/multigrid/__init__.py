"""Geometric multigrid on structured grids: matrix-free operators, hierarchies, preconditioners.

Operators
    StencilOperator        matrix-free 3**d-point stencil operator (constant or variable), Dirichlet
    poisson                the negative Laplacian -Δ (3/5/7-point) on a 1-, 2- or 3-D grid
    diffusion              -div(a grad u) with a positive node- or cell-based coefficient
    galerkin_operator      the Galerkin coarse operator R A P of a stencil operator
Hierarchy and solvers
    GeometricMultigrid     V/W/F cycles, FMG, CG/GMRES acceleration, aspreconditioner
    MultigridLevel         one level of a hierarchy (its operator A and grid shape)
    mg_solve               solve A x = b with geometric multigrid in one call
Smoothers and transfers
    Jacobi                 weighted Jacobi smoother
    RedBlackGaussSeidel    red-black (multicolour) Gauss-Seidel smoother
    Chebyshev              Chebyshev polynomial smoother in D^{-1} A
    LineGaussSeidel        zebra / alternating-direction line Gauss-Seidel (anisotropic problems)
    restrict_full_weighting   full-weighting restriction of a grid array
    prolong_linear         (bi/tri)linear interpolation of a grid array

The learnable multigrid (MultigridOperator, fit_solver, MgNO, darcy_dataset) lives in
:mod:`solvers.mgno`.
"""

from . import _register  # noqa: F401  (kernels into the backend registry)
from ._hierarchy import GeometricMultigrid, MultigridLevel, mg_solve
from ._line_smoothers import LineGaussSeidel
from ._smoothers import Chebyshev, Jacobi, RedBlackGaussSeidel
from ._stencil import StencilOperator, diffusion, galerkin_operator, poisson
from ._transfer import prolong_linear, restrict_full_weighting

__all__ = [
    "StencilOperator",
    "poisson",
    "diffusion",
    "galerkin_operator",
    "GeometricMultigrid",
    "MultigridLevel",
    "mg_solve",
    "Jacobi",
    "RedBlackGaussSeidel",
    "Chebyshev",
    "LineGaussSeidel",
    "restrict_full_weighting",
    "prolong_linear",
]
