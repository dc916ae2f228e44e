"""solvers.optimize vs scipy.optimize and scikit-learn: L2 logistic and softmax regression.

Logistic regression from w = 0 to ||g|| <= 1e-10 (tall: n = 200 000, d = 201; wide:
n = 10 000, d = 2000; ``--quick``: tall n = 20 000, wide n = 2500, d = 1000) and softmax regression on scikit-learn's digits to
||g|| <= 1e-8. The scipy peers get the same oracle closures (``fun_and_jac`` with ``jac=True``,
``hess``, ``hessp``); scikit-learn fits the same objective (``C = 1 / (l2 n)``, no separate
intercept: the intercept column is part of X and penalized like the other weights). The error
columns are the final gradient norm ||g||_2 of the objective, evaluated by the same oracle.
"""

from __future__ import annotations

import time
import warnings

import numpy as np

from . import Row, best_time

GTOL = 1e-10
SETTINGS = ("exact", "lazy-pcg", "hessp-cg")


def logistic_data(kind, quick):
    """The issue's tall / wide make_classification problems (smaller with ``quick``)."""
    from sklearn.datasets import make_classification

    if kind == "tall":
        n, d, informative, l2 = 200_000, 200, 50, 1e-4
    else:
        n, d, informative, l2 = 10_000, 2000, 200, 1e-3
    if quick:  # same shape ratio n / d, a tenth (tall) or a quarter (wide) of the work
        n, d, informative = (n // 10, d, informative) if kind == "tall" else (2500, 1000, 100)
    X, y = make_classification(n_samples=n, n_features=d, n_informative=informative,
                               random_state=0)
    if kind == "tall":
        X = np.hstack([X, np.ones((n, 1))])
    return X, y, l2


def _gnorm(obj, w):
    return float(np.linalg.norm(obj.jac(np.asarray(w, dtype=float))))


def ours(obj, setting, gtol):
    from solvers.optimize import minimize_gns

    d = obj.dim
    x0 = np.zeros(d)
    if setting == "exact":
        return minimize_gns(obj.fun_and_jac, x0, jac=True, hess=obj.hess, gtol=gtol)
    if setting == "lazy-pcg":  # CG on exact products, preconditioned by a stale float32 Hessian
        approx = obj.hessp_cg(preconditioner=obj.lazy_hessian(every=4, dtype=np.float32))
        return minimize_gns(obj.fun_and_jac, x0, jac=True, hess_approx=approx, gtol=gtol)
    if setting == "hessp-cg":  # matrix-free: CG on Hessian-vector products
        return minimize_gns(obj.fun_and_jac, x0, jac=True, hessp=obj.hessp, gtol=gtol)
    raise ValueError(setting)


def scipy_peer(obj, method, gtol):
    from scipy.optimize import minimize

    x0 = np.zeros(obj.dim)
    if method == "trust-exact":
        return minimize(obj.fun_and_jac, x0, jac=True, hess=obj.hess, method=method,
                        options={"gtol": gtol, "maxiter": 1000})
    if method == "trust-ncg":
        return minimize(obj.fun_and_jac, x0, jac=True, hessp=obj.hessp, method=method,
                        options={"gtol": gtol, "maxiter": 1000})
    if method == "Newton-CG":
        return minimize(obj.fun_and_jac, x0, jac=True, hessp=obj.hessp, method=method,
                        options={"xtol": 1e-14, "maxiter": 1000})
    return minimize(obj.fun_and_jac, x0, jac=True, method="L-BFGS-B",
                    options={"gtol": gtol / 10, "ftol": 0.0, "maxiter": 2000})


def sklearn_peer(X, y, l2, solver, gtol, multinomial=False):
    from sklearn.linear_model import LogisticRegression

    n = X.shape[0]
    clf = LogisticRegression(C=1.0 / (l2 * n), fit_intercept=False, solver=solver,
                             tol=gtol / 10, max_iter=2000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, y)
    if multinomial:
        return clf.coef_.T.reshape(-1)  # (d, K) row-major, our layout
    return clf.coef_.reshape(-1)


def _rows_for(case, obj, X, y, l2, gtol, multinomial=False):
    """Ours (best setting and the default) against every peer; one run each (slow problems)."""
    ours_runs = {}
    for setting in SETTINGS:
        t, res = best_time(lambda: ours(obj, setting, gtol), repeat=1)
        ours_runs[setting] = (t, _gnorm(obj, res.x), res)
    peers = []
    for method in ("trust-exact", "trust-ncg", "Newton-CG", "L-BFGS-B"):
        t, res = best_time(lambda: scipy_peer(obj, method, gtol), repeat=1)
        peers.append((f"scipy {method}", t, _gnorm(obj, res.x), f"{res.nit} it"))
    for solver in ("newton-cholesky", "newton-cg", "lbfgs"):
        t, w = best_time(lambda: sklearn_peer(X, y, l2, solver, gtol, multinomial), repeat=1)
        peers.append((f"sklearn {solver}", t, _gnorm(obj, w), ""))
    best = min(ours_runs, key=lambda k: ours_runs[k][0])
    t_ours, err_ours, res = ours_runs[best]
    for name, t, err, note in peers:
        yield Row(case, t_ours, name, t, err_ours, err,
                  note=f"ours: gns {best}, {res.nit} it, {res.nhev} H" + (
                      f"; peer {note}" if note else ""))
    # the default setting (exact Hessian + Cholesky) against the fastest peer that converged
    converged = [p for p in peers if p[2] <= gtol]
    if converged:
        name, t, err, note = min(converged, key=lambda p: p[1])
        t_def, err_def, res_def = ours_runs["exact"]
        yield Row(case, t_def, name, t, err_def, err,
                  note=f"ours: gns default (exact Hessian), {res_def.nit} it, {res_def.nhev} H")


def rows(quick: bool):
    from solvers.optimize._test_problems import logistic, softmax

    for kind in ("tall", "wide"):
        X, y, l2 = logistic_data(kind, quick)
        obj = logistic(X, y, l2=l2)
        n, d = X.shape
        yield from _rows_for(f"logistic {kind} n={n} d={d} to ||g||<=1e-10", obj, X, y, l2,
                             GTOL)

    from sklearn.datasets import load_digits
    from sklearn.preprocessing import StandardScaler

    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    l2 = 1.0 / X.shape[0]
    obj = softmax(X, y, l2=l2)
    yield from _rows_for("softmax digits 1797x64, 10 classes, to ||g||<=1e-8", obj, X, y, l2,
                         1e-8, multinomial=True)


if __name__ == "__main__":  # pragma: no cover
    t0 = time.perf_counter()
    for r in rows(quick=True):
        print(r)
    print(f"{time.perf_counter() - t0:.1f} s")
