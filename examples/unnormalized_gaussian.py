"""Gaussian-mean estimation with an unnormalized model: MECO against NCE.

Data N(mu*, 1) for mu* = 1..6, noise q = N(0, 1), model p~(x; theta) = exp(theta x - x^2/2)
(its MLE is the sample mean), theta0 = 0, batches of 256 data + 256 noise samples, 5 seeds.
Counts iterations until ``|theta - mu*| < 0.05`` for

- meco (fixed noise; step 0.2, gamma 0.2),
- meco with ``adapt_noise=True`` (defaults),
- meco-storm with ``adapt_noise=True`` (beta = gamma = 0.5),
- nce (step: the best of 1, 3, 10 per mu*),

prints a table (median iterations, seeds that did not reach the tolerance, median effective
sample size of the importance weights over the run) and saves ``unnormalized_gaussian.png``:
``|theta - mu*|`` against iterations at mu* = 6 and the MECO (negative log-likelihood) and NCE loss
landscapes over theta for mu* = 2 and 6, each scaled to [0, 1].

Usage::

    python examples/unnormalized_gaussian.py [--quick] [--out unnormalized_gaussian.png]

``--quick``: 3 seeds, mu* in {2, 4, 6}, NCE only with step 10 (about 20 s).
"""

import argparse
import math
import time

import numpy as np

from solvers.optimize import ExponentialFamily, GaussianNoise, fit_unnormalized

MODEL = ExponentialFamily.gaussian_location(dim=1)
TOL = 0.05
METHODS = {
    "meco": dict(method="meco", lr=0.2, gamma=0.2),
    "meco + adapt_noise": dict(method="meco", adapt_noise=True),
    "meco-storm + adapt_noise": dict(method="meco-storm", adapt_noise=True, beta=0.5, gamma=0.5),
}


def run(mu, seed, cap, **kw):
    x = np.random.default_rng(1000 + seed).normal(mu, 1.0, size=(10_000, 1))

    def stop(intermediate_result):
        if abs(float(intermediate_result.theta[0]) - mu) < TOL:
            raise StopIteration

    res = fit_unnormalized(MODEL, None, np.zeros(1), x, noise=GaussianNoise(np.zeros(1)),
                           maxiter=cap, rng=seed, callback=stop, **kw)
    iters = res.nit if res.status == 99 else math.inf
    return iters, float(np.median(res.history["ess"])) if res.history["ess"] else math.nan


def sweep(mus, seeds, nce_steps, cap):
    rows = []
    for mu in mus:
        settings = dict(METHODS)
        for lr in nce_steps:
            settings[f"nce (step {lr:g})"] = dict(method="nce", lr=lr)
        results = {}
        for name, kw in settings.items():
            t0 = time.perf_counter()
            out = [run(mu, s, cap, **kw) for s in seeds]
            results[name] = ([o[0] for o in out], [o[1] for o in out],
                             time.perf_counter() - t0)
        nce_names = [n for n in results if n.startswith("nce")]
        best_nce = min(nce_names, key=lambda n: np.median(results[n][0]))
        for name, (its, ess, secs) in results.items():
            if name.startswith("nce") and name != best_nce:
                continue
            rows.append((mu, name, float(np.median(its)), sum(not math.isfinite(i) for i in its),
                         float(np.median(ess)), secs))
    return rows


def landscapes(mu, thetas):
    """MECO objective (exact NLL) and NCE loss (c = log Z(theta), nu = 1) over theta."""
    y = np.linspace(-12.0, mu + 12.0, 40001)
    dy = y[1] - y[0]
    p_data = np.exp(-0.5 * (y - mu) ** 2) / math.sqrt(2 * math.pi)
    log_q = -0.5 * y ** 2 - 0.5 * math.log(2 * math.pi)
    nll, nce = [], []
    for th in thetas:
        log_pm = -0.5 * (y - th) ** 2 - 0.5 * math.log(2 * math.pi)  # normalized model
        nll.append(0.5 * (th - mu) ** 2)  # NLL up to a constant
        g = log_pm - log_q
        log_h = -np.logaddexp(0.0, -g)
        log_1mh = -np.logaddexp(0.0, g)
        nce.append(-(np.sum(p_data * log_h) + np.sum(np.exp(log_q) * log_1mh)) * dy)
    scale = lambda v: (np.asarray(v) - np.min(v)) / (np.max(v) - np.min(v))  # noqa: E731
    return scale(nll), scale(nce)


def traces(mu, seed, nce_lr, steps):
    x = np.random.default_rng(1000 + seed).normal(mu, 1.0, size=(10_000, 1))
    out = {}
    for name, kw in list(METHODS.items()) + [(f"nce (step {nce_lr:g})",
                                              dict(method="nce", lr=nce_lr))]:
        res = fit_unnormalized(MODEL, None, np.zeros(1), x, noise=GaussianNoise(np.zeros(1)),
                               maxiter=steps, rng=seed, **kw)
        out[name] = np.abs(np.array([float(t[0]) for t in res.history["theta"]]) - mu)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default="unnormalized_gaussian.png")
    args = parser.parse_args(argv)
    mus = [2, 4, 6] if args.quick else list(range(1, 7))
    seeds = range(3) if args.quick else range(5)
    nce_steps = [10.0] if args.quick else [1.0, 3.0, 10.0]
    rows = sweep(mus, seeds, nce_steps, cap=3000)

    print(f"iterations to |theta - mu*| < {TOL} ({len(seeds)} seeds, cap 3000; "
          "'stalled' = seeds that did not get there)\n")
    print("| mu* | method | median iterations | stalled | median ESS (of 256) | time (s) |")
    print("|---:|---|---:|---:|---:|---:|")
    for mu, name, med, stalled, ess, secs in rows:
        ess_s = "—" if math.isnan(ess) else f"{ess:.0f}"
        print(f"| {mu} | {name} | {med:.0f} | {stalled}/{len(seeds)} | {ess_s} | {secs:.2f} |")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    for name, err in traces(6.0, 0, 10.0, 400 if args.quick else 2500).items():
        axes[0].semilogy(np.arange(1, err.size + 1), np.maximum(err, 1e-4), label=name)
    axes[0].axhline(TOL, color="k", lw=0.8, ls=":")
    axes[0].set(xlabel="iteration", ylabel="|theta - mu*|", title="mu* = 6, seed 0")
    axes[0].set_xscale("log")
    axes[0].legend(fontsize=8)
    thetas = np.linspace(-2.0, 10.0, 241)
    for ax, mu in zip(axes[1:], (2.0, 6.0)):
        nll, nce = landscapes(mu, thetas)
        ax.plot(thetas, nll, label="MECO objective (NLL)")
        ax.plot(thetas, nce, label="NCE loss")
        ax.axvline(mu, color="k", lw=0.8, ls=":")
        ax.set(xlabel="theta", ylabel="loss, scaled to [0, 1]", title=f"landscape, mu* = {mu:g}")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(f"\nsaved {args.out}")


if __name__ == "__main__":
    main()
