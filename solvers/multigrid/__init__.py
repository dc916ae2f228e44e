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
    restrict_full_weighting   full-weighting restriction of a grid array
    prolong_linear         (bi/tri)linear interpolation of a grid array
Learnable multigrid operators (MgNO)
    MultigridOperator      linear map f -> u given by one V-cycle of parameter stencils (adjoint, vjp)
    fit_solver             learn a V-cycle's stencils for a stencil family over several grid sizes
    MgNO                   multigrid neural operator: layers gelu(W_mg u + W_1x1 u + b), fit/predict
    darcy_dataset          random Darcy-flow problems -div(a grad u) = 1 solved by multigrid
"""

from . import _register  # noqa: F401  (kernels into the backend registry)
from ._hierarchy import GeometricMultigrid, MultigridLevel, mg_solve
from ._smoothers import Chebyshev, Jacobi, RedBlackGaussSeidel
from ._stencil import StencilOperator, diffusion, galerkin_operator, poisson
from ._transfer import prolong_linear, restrict_full_weighting
from ._multigrid_operator import MultigridOperator
from ._fit_solver import fit_solver
from ._mgno import MgNO
from ._darcy import darcy_dataset

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
    "restrict_full_weighting",
    "prolong_linear",
    "MultigridOperator",
    "fit_solver",
    "MgNO",
    "darcy_dataset",
]
