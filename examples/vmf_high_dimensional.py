"""von Mises-Fisher fits in high dimensions (solvers.stats), next to SciPy.

Draws features on S^{8191} from vMF(mu, kappa), fits a single vMF (exact maximum likelihood)
and prints the recovered kappa next to SciPy 1.17's ``vonmises_fisher.fit`` on the same data
(which returns kappa = 1e-8 for p >= 80). Then draws 5 groups of features around 5 random
directions on S^{8191}, fits a 5-component vMF mixture by EM (k-means++ and random
initializations) and prints the recovered components. Saves a PNG: kappa_hat / kappa across dimensions (ours and SciPy) and the
log-likelihood per EM iteration.

Run:  python examples/vmf_high_dimensional.py [--n 2000] [--out vmf_high_dimensional.png]
"""

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
from scipy import stats

from solvers.stats import fit_vmf_mixture, vonmises_fisher


def random_direction(p, rng):
    v = rng.standard_normal(p)
    return v / np.linalg.norm(v)


def scipy_fit_kappa(x):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return float(stats.vonmises_fisher.fit(x)[1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="samples per fit")
    parser.add_argument("--out", default="vmf_high_dimensional.png", help="PNG path")
    args = parser.parse_args()
    rng = np.random.default_rng(0)

    # 1. a single vMF on S^{8191}
    p, kappa = 8192, 5000.0
    mu = random_direction(p, rng)
    t0 = time.perf_counter()
    x = vonmises_fisher(mu, kappa).rvs(args.n, rng=rng)
    t_rvs = time.perf_counter() - t0
    t0 = time.perf_counter()
    mu_hat, kappa_hat = vonmises_fisher.fit(x)
    t_fit = time.perf_counter() - t0
    print(f"p = {p}, n = {args.n}, true kappa = {kappa:g}")
    print(f"  rvs {t_rvs:.2f} s, fit {t_fit:.3f} s")
    print(f"  solvers.stats: kappa_hat = {kappa_hat:.2f} (rel. error {abs(kappa_hat / kappa - 1):.2e}),"
          f" mu.mu_hat = {mu @ mu_hat:.5f}")
    print(f"  scipy.stats:   kappa_hat = {scipy_fit_kappa(x):.3g}")
    del x

    # 2. kappa_hat / kappa across dimensions, kappa = p/2 (A_p(kappa) ~ 0.4)
    dims = [3, 16, 64, 256, 1024, 4096, 8192]
    ours, theirs = [], []
    for d in dims:
        k = d / 2
        xd = vonmises_fisher(random_direction(d, rng), k).rvs(args.n, rng=rng)
        ours.append(vonmises_fisher.fit(xd)[1] / k)
        theirs.append(scipy_fit_kappa(xd) / k)
        print(f"  p = {d:5d}, kappa = {k:7g}: ours kappa_hat/kappa = {ours[-1]:.4f}, "
              f"SciPy {theirs[-1]:.3g}")

    # 3. a 5-component mixture on S^{8191}
    k_true = np.array([2000.0, 3000.0, 4000.0, 6000.0, 8000.0])
    sizes = np.array([300, 400, 500, 600, 700]) * max(1, args.n // 2000)
    mus = np.stack([random_direction(p, rng) for _ in k_true])
    xm = np.concatenate([vonmises_fisher(m, k).rvs(s, rng=rng)
                         for m, k, s in zip(mus, k_true, sizes)])
    labels = np.repeat(np.arange(5), sizes)
    t0 = time.perf_counter()
    res = fit_vmf_mixture(xm, 5, rng=1)
    t_em = time.perf_counter() - t0
    match = np.argmax(res.means @ mus.T, axis=0)
    from sklearn.metrics import adjusted_rand_score  # optional, only for the printout

    print(f"mixture: n = {xm.shape[0]}, p = {p}, {res.nit} EM iterations in {t_em:.2f} s, "
          f"converged = {res.converged}, ARI = {adjusted_rand_score(labels, res.labels):.3f}")
    res_rand = fit_vmf_mixture(xm, 5, init="random", rng=2)
    print(f"  from 5 random data points instead: {res_rand.nit} EM iterations, "
          f"ARI = {adjusted_rand_score(labels, res_rand.labels):.3f}, log-likelihood "
          f"{res_rand.log_likelihood:.6g} vs {res.log_likelihood:.6g} (k-means++)")
    for j in range(5):
        i = match[j]
        print(f"  component {j}: true kappa {k_true[j]:6g}, fitted {res.kappas[i]:8.1f}; "
              f"weight {sizes[j] / sizes.sum():.3f} vs {res.weights[i]:.3f}; "
              f"mu.mu_hat = {mus[j] @ res.means[i]:.4f}")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True)
    axes[0].semilogx(dims, ours, "o-", label="solvers.stats")
    axes[0].semilogx(dims, np.clip(theirs, 1e-12, None), "s--", label="SciPy 1.17")
    axes[0].set_yscale("log")
    axes[0].axhline(1.0, color="gray", lw=0.8)
    axes[0].set_xlabel("dimension p")
    axes[0].set_ylabel("kappa_hat / kappa")
    axes[0].set_title(f"vMF fit, kappa = p/2, n = {args.n}")
    axes[0].legend()
    for r, name in ((res, "k-means++ init"), (res_rand, "random init")):
        h = r.log_likelihood_history
        axes[1].plot(np.arange(len(h)), h, "o-", label=name)
    axes[1].legend()
    axes[1].set_xlabel("EM iteration")
    axes[1].set_ylabel("log-likelihood")
    axes[1].set_title(f"5-component vMF mixture on S^{p - 1}")
    out = Path(args.out).resolve()
    fig.savefig(out, dpi=110)
    print(f"saved {out}")


if __name__ == "__main__":
    main()
