"""2-D density estimation with an unnormalized exponential-family model: MECO against NCE.

The model is an energy on 36 fixed Gaussian RBF features (centres on a 6 x 6 grid over
[-3.5, 3.5]^2, width 0.9) with a Gaussian base measure (scale 3), so it is normalizable for
every theta. Data: a ring (radius 2 +- 0.25) and a 4-component Gaussian mixture, 4000 training
and 4000 test points each. Noise: the Gaussian fitted to the data. Both methods get the same
budget (600 steps of 256 data + 256 noise samples) and the same step (3); theta is the average
of the last 20 % of the iterates. The test NLL is exact: log Z(theta) by grid quadrature, and the
reference is the exact MLE (Newton on the grid NLL).

Prints a table and saves ``density_2d.png``: data, MECO density, NCE density and the exact-MLE
density for the ring (top) and the mixture (bottom).

Usage::

    python examples/density_2d.py [--quick] [--out density_2d.png]

``--quick``: 300 steps.
"""

import argparse
import time

import numpy as np

from solvers.optimize import ExponentialFamily, FittedGaussianNoise, fit_unnormalized

BOUNDS = [(-8.0, 8.0)] * 2
NUM = 161


def ring(n, rng):
    angle = rng.uniform(0.0, 2.0 * np.pi, n)
    radius = 2.0 + 0.25 * rng.standard_normal(n)
    return np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)


def mixture(n, rng):
    centers = np.array([[2.0, 2.0], [-2.0, 2.0], [2.0, -2.0], [-2.0, -2.0]])
    return centers[rng.integers(0, 4, n)] + 0.5 * rng.standard_normal((n, 2))


def rbf_model():
    g = np.linspace(-3.5, 3.5, 6)
    centers = np.stack(np.meshgrid(g, g, indexing="ij"), axis=-1).reshape(-1, 2)
    return ExponentialFamily.rbf(centers, width=0.9, base_scale=3.0)


def fit(model, x, method, steps):
    t0 = time.perf_counter()
    res = fit_unnormalized(model, None, np.zeros(36), x, noise=FittedGaussianNoise(x),
                           method=method, lr=3.0, maxiter=steps, rng=1)
    secs = time.perf_counter() - t0
    theta = np.mean(res.history["theta"][-steps // 5:], axis=0)
    ess = float(np.median(res.history["ess"])) if method != "nce" else float("nan")
    return theta, secs, ess


def density_image(model, theta, n=121, half=4.5):
    g = np.linspace(-half, half, n)
    pts = np.stack(np.meshgrid(g, g, indexing="xy"), axis=-1).reshape(-1, 2)
    log_p = model.log_p_tilde(pts, theta) - float(model.log_normalizer_grid(theta, BOUNDS, NUM))
    return np.exp(log_p).reshape(n, n)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default="density_2d.png")
    args = parser.parse_args(argv)
    steps = 300 if args.quick else 600
    model = rbf_model()

    results = {}
    print(f"test NLL (exact, grid quadrature) after {steps} steps of 256 + 256 samples\n")
    print("| data | method | test NLL | gap to exact MLE | time (s) | median ESS (of 256) |")
    print("|---|---|---:|---:|---:|---:|")
    for name, sample in (("ring", ring), ("mixture", mixture)):
        rng = np.random.default_rng(0)
        x, x_test = sample(4000, rng), sample(4000, rng)
        t0 = time.perf_counter()
        mle = model.mle_grid(x, BOUNDS, num=NUM).x
        t_mle = time.perf_counter() - t0
        best = model.nll_grid(mle, x_test, BOUNDS, NUM)
        thetas = {"exact MLE": mle}
        print(f"| {name} | exact MLE (Newton on the grid NLL) | {best:.4f} | 0 | {t_mle:.2f} | — |")
        for method in ("meco", "nce"):
            theta, secs, ess = fit(model, x, method, steps)
            nll = model.nll_grid(theta, x_test, BOUNDS, NUM)
            ess_s = "—" if np.isnan(ess) else f"{ess:.0f}"
            print(f"| {name} | {method} | {nll:.4f} | {nll - best:.4f} | {secs:.2f} | {ess_s} |")
            thetas[method] = theta
        results[name] = (x, thetas)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 4, figsize=(15, 7.5))
    extent = (-4.5, 4.5, -4.5, 4.5)
    for row, (name, (x, thetas)) in zip(axes, results.items()):
        row[0].scatter(x[:, 0], x[:, 1], s=1, alpha=0.4)
        row[0].set(xlim=extent[:2], ylim=extent[2:], title=f"{name}: data", aspect="equal")
        for ax, label in zip(row[1:], ("meco", "nce", "exact MLE")):
            ax.imshow(density_image(model, thetas[label]), origin="lower", extent=extent,
                      cmap="viridis")
            ax.set(title=f"{name}: {label}")
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(f"\nsaved {args.out}")


if __name__ == "__main__":
    main()
