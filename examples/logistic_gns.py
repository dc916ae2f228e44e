"""L2-regularized logistic regression with gradient-regularized Newton (GNS) and its peers.

Fits the issue's tall problem (make_classification, n = 200 000, d = 200 + intercept,
l2 = 1e-4) from w = 0 to ||g|| <= 1e-10 with three GNS settings fixed beforehand (the defaults
given both oracles, a fresh Hessian every iteration, and hessp only: matrix-free CG) and with
scipy.optimize / scikit-learn,
prints a table (time, iterations, Hessian builds, final ||g||) and saves ``logistic_gns.png``:
||g|| against wall time for each method.

Usage::

    python examples/logistic_gns.py [--quick] [--out logistic_gns.png]

``--quick`` uses n = 20 000.
"""

import argparse
import time
import warnings

import numpy as np
from scipy.optimize import minimize
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

from solvers.optimize import minimize_gns
from solvers.optimize._test_problems import logistic

GTOL = 1e-10


def run_ours(obj, variant):
    x0 = np.zeros(obj.dim)
    kw = {
        "default": dict(hess=obj.hess, hessp=obj.hessp),
        "exact": dict(hess=obj.hess, hess_update_every=1),
        "hessp-cg": dict(hessp=obj.hessp),
    }[variant]
    t0 = time.perf_counter()
    res = minimize_gns(obj.fun_and_jac, x0, jac=True, gtol=GTOL, return_history=True, **kw)
    elapsed = time.perf_counter() - t0
    h = res.history
    return elapsed, res.nit, res.nhev, float(np.linalg.norm(res.jac)), h["time"], h["gnorm"]


def run_scipy(obj, method):
    x0 = np.zeros(obj.dim)
    trace = []
    t0 = time.perf_counter()

    def record(intermediate_result):
        trace.append((time.perf_counter() - t0, intermediate_result.x.copy()))

    options = {"gtol": GTOL, "maxiter": 1000}
    kw = {}
    if method == "trust-exact":
        kw["hess"] = obj.hess
    elif method in ("trust-ncg", "Newton-CG"):
        kw["hessp"] = obj.hessp
    if method == "Newton-CG":
        options = {"xtol": 1e-14, "maxiter": 1000}
    if method == "L-BFGS-B":
        options = {"gtol": GTOL / 10, "ftol": 0.0, "maxiter": 2000}
    res = minimize(obj.fun_and_jac, x0, jac=True, method=method, callback=record,
                   options=options, **kw)
    elapsed = time.perf_counter() - t0
    times = np.array([0.0] + [t for t, _ in trace])
    gnorms = np.array([np.linalg.norm(obj.jac(x0))]
                      + [np.linalg.norm(obj.jac(x)) for _, x in trace])
    return elapsed, res.nit, "-", float(np.linalg.norm(obj.jac(res.x))), times, gnorms


def run_sklearn(obj, X, y, l2, solver):
    clf = LogisticRegression(C=1.0 / (l2 * X.shape[0]), fit_intercept=False, solver=solver,
                             tol=GTOL / 10, max_iter=2000)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, y)
    elapsed = time.perf_counter() - t0
    g = float(np.linalg.norm(obj.jac(clf.coef_.ravel())))
    g0 = float(np.linalg.norm(obj.jac(np.zeros(obj.dim))))
    return elapsed, int(np.max(clf.n_iter_)), "-", g, np.array([0.0, elapsed]), np.array([g0, g])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default="logistic_gns.png")
    args = parser.parse_args()
    n = 20_000 if args.quick else 200_000
    X, y = make_classification(n_samples=n, n_features=200, n_informative=50, random_state=0)
    X = np.hstack([X, np.ones((n, 1))])
    l2 = 1e-4
    obj = logistic(X, y, l2=l2)

    results = {}
    for variant in ("default", "exact", "hessp-cg"):
        results[f"GNS {variant}"] = run_ours(obj, variant)
    for method in ("trust-exact", "trust-ncg", "Newton-CG", "L-BFGS-B"):
        results[f"scipy {method}"] = run_scipy(obj, method)
    for solver in ("newton-cholesky", "newton-cg", "lbfgs"):
        results[f"sklearn {solver}"] = run_sklearn(obj, X, y, l2, solver)

    print(f"logistic regression n={n}, d={X.shape[1]}, l2={l2}, target ||g|| <= {GTOL:g}")
    print(f"| {'method':<24} | time (s) | iterations | Hessians | final ||g|| |")
    print("|---|---:|---:|---:|---:|")
    for name, (t, nit, nhev, g, _, _) in results.items():
        print(f"| {name:<24} | {t:8.2f} | {nit:10} | {nhev!s:>8} | {g:11.1e} |")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, (_, _, _, _, times, gnorms) in results.items():
        style = "-o" if name.startswith("GNS") else "--."
        ax.semilogy(times, np.maximum(gnorms, 1e-16), style, label=name, ms=3)
    ax.axhline(GTOL, color="gray", lw=0.8)
    ax.set_xlabel("wall time (s)")
    ax.set_ylabel("||grad f||")
    ax.set_title(f"L2 logistic regression, n={n}, d={X.shape[1]}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
