"""Every public object pickles and unpickles to an equivalent object (issue 20): the same
results, bit for bit, from the copy as from the original."""

import pickle

import numpy as np
import pytest


def _source(x, y):
    return np.sin(np.pi * x) * np.sin(2 * np.pi * y) + 0 * x * y


def _cases():
    from solvers import linalg, mgno, multigrid, optimize, pde, stats

    rng = np.random.default_rng(0)
    b = rng.standard_normal(15 * 15)
    pts = np.array([[0.3, 0.4], [0.7, 0.1]])
    mu = np.zeros(4)
    mu[0] = 1.0
    x4 = rng.standard_normal((5, 4))
    spd = [np.eye(3) * 2 + 0.1, np.eye(4) * 3 + 0.2]
    problem = pde.PDEProblem([(0, 1), (0, 1)], {(2, 0): 1, (0, 2): 1}, _source, 0.0)
    yield "vonmises_fisher_frozen", stats.vonmises_fisher(mu, 3.0), lambda d: d.logpdf(x4)
    yield "vonmises_fisher", stats.vonmises_fisher, lambda d: d.logpdf(x4, mu, 2.0)
    yield "fit_vmf_mixture result", stats.fit_vmf_mixture(x4 / np.linalg.norm(
        x4, axis=1)[:, None], 2, rng=0), lambda r: r.x if "x" in r else r.weights
    yield "poisson", multigrid.poisson((15, 15)), lambda A: A @ b
    yield "diffusion", multigrid.diffusion(1 + rng.random((17, 17))), lambda A: A @ b
    yield "galerkin_operator", multigrid.galerkin_operator(multigrid.poisson((31, 31))), \
        lambda A: A.T @ b
    yield "GeometricMultigrid", multigrid.GeometricMultigrid(multigrid.poisson((15, 15))), \
        lambda M: M.solve(b)
    yield "aspreconditioner", multigrid.GeometricMultigrid(
        multigrid.poisson((15, 15))).aspreconditioner(), lambda M: M @ b
    yield "GeometricMultigrid rediscretize", multigrid.GeometricMultigrid(
        multigrid.diffusion(1 + rng.random((17, 17))), coarse_operator="rediscretize"), \
        lambda M: M.solve(b)
    yield "MultigridLevel", multigrid.MultigridLevel(multigrid.poisson((7,))), \
        lambda lev: lev.A @ np.ones(7)
    for smoother in (multigrid.Jacobi(), multigrid.RedBlackGaussSeidel(),
                     multigrid.Chebyshev()):
        yield type(smoother).__name__, smoother, lambda s: multigrid.GeometricMultigrid(
            multigrid.poisson((15, 15)), smoother=s).solve(b)
    yield "MultigridOperator", mgno.MultigridOperator((15, 15), levels=2, rng=0), \
        lambda op: op(b.reshape(15, 15)) if callable(op) else op.apply(b)
    yield "MgNO", mgno.MgNO(1, 1, width=4, depth=1, levels=2, rng=0), \
        lambda m, u=rng.standard_normal((1, 1, 15, 15)): m.predict(u)
    yield "KroneckerOperator", linalg.KroneckerOperator(spd), lambda K: K.matvec(np.ones(12))
    yield "KroneckerSumSolver", linalg.KroneckerSumSolver(spd, shift=0.5), \
        lambda S: S.solve(np.ones(12))
    yield "ArrayLinearOperator", linalg.ArrayLinearOperator((2, 2), np.float64, np.negative), \
        lambda A: A @ np.ones(2)
    for name in ("SpectralMixture", "StudentTMixture"):
        yield name, getattr(pde, name)([1.0, 0.5], [0.0, 1.0], [1.0, 2.0]), \
            lambda k: k(np.linspace(0, 1, 5), np.linspace(0, 1, 5))
    yield "RBF", pde.RBF(0.3), lambda k: k(np.linspace(0, 1, 5), np.linspace(0, 1, 5))
    yield "Matern", pde.Matern(0.3, 1.5), lambda k: k(np.linspace(0, 1, 5), np.linspace(0, 1, 5))
    yield "KroneckerGrid", pde.KroneckerGrid([np.linspace(0, 1, 5), np.linspace(0, 1, 4)]), \
        lambda g: g.shape
    yield "PDEProblem", problem, lambda p: p.ndim if hasattr(p, "ndim") else repr(p)
    for nodes in ("uniform", "chebyshev"):
        yield f"PDESolution {nodes}", pde.solve_pde(problem, (12, 12), nodes=nodes), \
            lambda s: s(pts) if callable(s) else s.x
    yield "ExactHessian", optimize.ExactHessian(), repr
    yield "LazyHessian", optimize.LazyHessian(every=3), repr
    yield "Adam", optimize.Adam(0.1), lambda a: a.step(np.ones(3), np.ones(3))
    yield "GaussianNoise", optimize.GaussianNoise(np.zeros(2)), \
        lambda q: q.logpdf(np.ones((3, 2)))
    yield "FittedGaussianNoise", optimize.FittedGaussianNoise(rng.random((20, 2))), \
        lambda q: q.logpdf(np.ones((3, 2)))
    from scipy.optimize import rosen, rosen_der, rosen_hess
    yield "OptimizeResult (gns)", optimize.minimize_gns(rosen, np.array([-1.2, 1.0]),
                                                        jac=rosen_der, hess=rosen_hess), \
        lambda r: r.x


CASES = list(_cases())


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("name, obj, use", CASES, ids=[c[0] for c in CASES])
def test_round_trip(name, obj, use):
    copy = pickle.loads(pickle.dumps(obj))
    assert type(copy) is type(obj)
    want, got = use(obj), use(copy)
    if isinstance(want, np.ndarray) or hasattr(want, "shape"):
        assert np.array_equal(np.asarray(got), np.asarray(want), equal_nan=True)
    else:
        assert repr(got) == repr(want) if isinstance(want, str) else got == want or \
            all(np.array_equal(a, w) for a, w in zip(got, want))
