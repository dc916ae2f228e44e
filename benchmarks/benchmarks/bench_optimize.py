"""solvers.optimize: GNS-regularized Newton on L2 logistic regression, against scipy/sklearn.

Times are from w = 0 to ||g|| <= 1e-10, Hessian builds included. ``track_*`` record iteration
and Hessian-build counts (deterministic), and iteration counts on the paper's test problems.
"""

import warnings

import numpy as np

from solvers.optimize import LazyHessian, minimize_gns
from solvers.optimize._test_problems import logistic, power_residual, rosenbrock

GTOL = 1e-10


def _data(n, d, seed=0):
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=n, n_features=d, n_informative=d // 4,
                               random_state=seed)
    return X, y, 1.0 / n


def _gns(obj, variant, gtol=GTOL):
    x0 = np.zeros(obj.dim)
    if variant == "default":          # minimize_gns defaults given both oracles
        kw = dict(hess=obj.hess, hessp=obj.hessp)
    elif variant == "exact":          # a fresh Hessian every iteration (Algorithm 1)
        kw = dict(hess=obj.hess, hess_update_every=1)
    elif variant == "hessp":          # hessp only (Jacobi-preconditioned CG by default)
        kw = dict(hessp=obj.hessp)
    elif variant == "lazy-pcg":       # named alternative: CG preconditioned by a float32 lazy H
        kw = dict(hess_approx=obj.hessp_cg(
            preconditioner=obj.lazy_hessian(every=4, dtype=np.float32)))
    else:                             # "lazy": LazyHessian defaults (every 10, float64)
        kw = dict(hess_approx=LazyHessian(obj.hess))
    return minimize_gns(obj.fun_and_jac, x0, jac=True, gtol=gtol, maxiter=1000, **kw)


class LogisticGNS:
    """Our settings on tall (n >> d) and wider (n = 5 d) dense problems, default BLAS threads
    (the one-BLAS-pool rule: a thread-pool fight shows up here as slow Cholesky steps)."""

    params = ([(20000, 100), (4000, 800)], ["default", "exact", "lazy", "hessp", "lazy-pcg"])
    param_names = ["n_d", "variant"]

    def setup(self, n_d, variant):
        X, y, l2 = _data(*n_d)
        self.obj = logistic(X, y, l2=l2)

    def time_minimize(self, n_d, variant):
        _gns(self.obj, variant)

    def peakmem_minimize(self, n_d, variant):
        _gns(self.obj, variant)

    def track_iterations(self, n_d, variant):
        return _gns(self.obj, variant).nit

    def track_hessian_builds(self, n_d, variant):
        return _gns(self.obj, variant).nhev

    def track_gradient_norm(self, n_d, variant):
        return float(np.linalg.norm(_gns(self.obj, variant).jac))


class IllConditionedLogistic:
    """Issue 15: features scaled by 10**u, u ~ U[-3, 3] (Hessian condition ~1e10), to
    ||g|| <= 1e-8 ||g0||; scikit-learn's newton-cholesky needs 6-7 iterations here."""

    params = (["default", "lazy", "hessp"],)
    param_names = ["variant"]

    def setup(self, variant):
        X, y, _ = _data(20000, 120)
        X = np.hstack([X * 10.0 ** np.random.default_rng(0).uniform(-3, 3, 120),
                       np.ones((20000, 1))])
        self.obj = logistic(X, y, l2=1e-4)
        self.gtol = 1e-8 * float(np.linalg.norm(self.obj.jac(np.zeros(121))))

    def time_minimize(self, variant):
        _gns(self.obj, variant, self.gtol)

    def track_iterations(self, variant):
        return _gns(self.obj, variant, self.gtol).nit


class LogisticPeers:
    """The peers on the same data and tolerance (scipy gets the same oracle closures)."""

    params = ([(20000, 100), (4000, 800)],
              ["scipy-trust-exact", "scipy-newton-cg", "sklearn-newton-cholesky",
               "sklearn-newton-cg"])
    param_names = ["n_d", "peer"]

    def setup(self, n_d, peer):
        self.X, self.y, self.l2 = _data(*n_d)
        self.obj = logistic(self.X, self.y, l2=self.l2)

    def time_peer(self, n_d, peer):
        from scipy.optimize import minimize

        obj = self.obj
        x0 = np.zeros(obj.dim)
        if peer == "scipy-trust-exact":
            minimize(obj.fun_and_jac, x0, jac=True, hess=obj.hess, method="trust-exact",
                     options={"gtol": GTOL})
        elif peer == "scipy-newton-cg":
            minimize(obj.fun_and_jac, x0, jac=True, hessp=obj.hessp, method="Newton-CG",
                     options={"xtol": 1e-14})
        else:
            from sklearn.linear_model import LogisticRegression

            clf = LogisticRegression(C=1.0 / (self.l2 * self.X.shape[0]), fit_intercept=False,
                                     solver=peer.removeprefix("sklearn-"), tol=GTOL / 10,
                                     max_iter=1000)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                clf.fit(self.X, self.y)


class PaperProblems:
    """Iteration counts on the test problems of Semenov, Jaggi, Doikov (issue bounds)."""

    def setup(self):
        rs = np.random.RandomState(3124)
        self.A = rs.uniform(-1, 1, (100, 200))
        self.b = rs.uniform(-1, 1, 100)

    def track_rosenbrock_exact_iterations(self):
        obj = rosenbrock()
        return minimize_gns(obj.fun, np.array([-2.0, 2.0]), jac=obj.jac, hess=obj.hess,
                            f_target=1e-8, gtol=0.0).nit

    def track_power_residual_rank_one_fisher_iterations(self):
        obj = power_residual(self.A, self.b, p=4)
        B = self.A.T @ self.A + 1e-8 * np.eye(200)
        return minimize_gns(obj.fun_and_jac, np.ones(200), jac=True, hess_approx=obj.fisher(),
                            metric=B, f_target=1e-10, gtol=0.0, maxiter=200).nit

    def time_power_residual_rank_one_fisher(self):
        self.track_power_residual_rank_one_fisher_iterations()
