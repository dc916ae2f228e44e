"""solvers.optimize: second-order and compositional optimizers.

Gradient-normalized-smoothness (GNS) regularized Newton methods
-----------------------------------------------------------------
minimize_gns           Algorithm 1 of Semenov, Jaggi, Doikov: x+ = x - (H + lam B)^-1 g, adaptive gamma
gns                    minimize_gns as a custom method for scipy.optimize.minimize(method=gns)
minimize_gns_gradient  the GNS gradient method (H = 0): normalized gradient steps, adaptive length
minimize_super_newton  super-universal Newton: lam = M ||g||^alpha with adaptive M

Hessian approximations (objects passed as ``hess_approx``)
------------------------------------------------------------
HessianApproximation   protocol: update(x, f, g), solve(lam, g) -> (H + lam B)^-1 g
ExactHessian           Hessian rebuilt each iteration, Cholesky per trial
LazyHessian            Hessian rebuilt every m iterations or adaptively, cached factorization
FactorPreconditioner   a kept Cholesky factor as the preconditioner of HessianVectorCG
DiagonalHessian        diagonal approximation
GaussNewton            J^T W J of f = phi(r(x)), Woodbury when m < d
EmpiricalFisher        (1/n) sum of per-sample gradient outer products
RankOneFisher          alpha u u^T, Sherman-Morrison solve
LowRankPlusDiagonal    U U^T + diag(D), Woodbury solve
HessianVectorCG        matrix-free: hessp + CG with the inexact-Newton forcing term

Stochastic compositional optimization and unnormalized models
-------------------------------------------------------------
minimize_compositional  min_x f(E[g(x; xi)]): methods scgd, scma, scst, nasa, sox
fit_unnormalized        MLE of an unnormalized model: meco, meco-storm (compositional), nce
ExponentialFamily       log p~(x; theta) = theta . T(x) - A0(x); gaussian_location, rbf models
GaussianNoise           Gaussian noise q for fit_unnormalized (sample, logpdf, adapted)
FittedGaussianNoise     Gaussian noise fitted to the data

First-order steps
-----------------
Adam                    Adam with bias correction on arrays or lists of arrays (any namespace);
                        the optimizer of the learners in multigrid and pde
"""

from . import _register  # noqa: F401  (kernels into the backend registry)
from ._adam import Adam
from ._compositional import minimize_compositional
from ._gns import gns, minimize_gns, minimize_gns_gradient, minimize_super_newton
from ._hessian import (
    DiagonalHessian,
    EmpiricalFisher,
    ExactHessian,
    FactorPreconditioner,
    GaussNewton,
    HessianApproximation,
    HessianVectorCG,
    LazyHessian,
    LowRankPlusDiagonal,
    RankOneFisher,
)
from ._noise import FittedGaussianNoise, GaussianNoise
from ._unnormalized import fit_unnormalized
from ._unnormalized_models import ExponentialFamily

__all__ = [
    "minimize_gns",
    "gns",
    "minimize_gns_gradient",
    "minimize_super_newton",
    "HessianApproximation",
    "ExactHessian",
    "LazyHessian",
    "DiagonalHessian",
    "GaussNewton",
    "EmpiricalFisher",
    "RankOneFisher",
    "LowRankPlusDiagonal",
    "HessianVectorCG",
    "FactorPreconditioner",
    "minimize_compositional",
    "fit_unnormalized",
    "ExponentialFamily",
    "GaussianNoise",
    "FittedGaussianNoise",
    "Adam",
]
