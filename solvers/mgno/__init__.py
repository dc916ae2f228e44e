"""Learnable multigrid: V-cycles with trained stencils and the multigrid neural operator.

MultigridOperator      linear map f -> u given by one V-cycle of parameter stencils (adjoint, vjp)
fit_solver             learn a V-cycle's stencils for a stencil family over several grid sizes
MgNO                   multigrid neural operator: layers gelu(W_mg u + W_1x1 u + b), fit/predict
darcy_dataset          random Darcy-flow problems -div(a grad u) = 1 solved by geometric multigrid

Built on :mod:`solvers.multigrid` (stencil operators, ``mg_solve``) and the Adam of
:mod:`solvers.optimize`; its stencil convolutions are kernels of the backend layer.
"""

from . import _register  # noqa: F401  (kernels into the backend registry)
from ._darcy import darcy_dataset
from ._fit_solver import fit_solver
from ._mgno import MgNO
from ._multigrid_operator import MultigridOperator

__all__ = ["MultigridOperator", "fit_solver", "MgNO", "darcy_dataset"]
