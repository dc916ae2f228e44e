"""Linear algebra shared by ``solvers.pde`` and ``solvers.multigrid``.

Kronecker algebra
    kron_matvec            apply A_1 ⊗ ... ⊗ A_d by mode products, never forming it
    KroneckerOperator      the Kronecker product as an operator (matvec, rmatvec, solve, logdet, eigh)
Fast diagonalization
    solve_kronecker_sum    solve (Σ_j I ⊗ A_j ⊗ I + shift) X = F factor-wise
    KroneckerSumSolver     the same, diagonalized once and reused
Krylov solvers (array-API, any backend)
    cg                     conjugate gradients, iterates identical to SciPy's
    gmres                  restarted, right-preconditioned GMRES
    ArrayLinearOperator    a minimal LinearOperator for non-NumPy libraries
"""

from ._fast_diagonalization import KroneckerSumSolver, solve_kronecker_sum
from ._kronecker import KroneckerOperator, kron_matvec
from ._krylov import cg, gmres
from ._linear_operator import ArrayLinearOperator

__all__ = [
    "kron_matvec",
    "KroneckerOperator",
    "solve_kronecker_sum",
    "KroneckerSumSolver",
    "cg",
    "gmres",
    "ArrayLinearOperator",
]
