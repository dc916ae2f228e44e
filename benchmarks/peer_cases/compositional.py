"""MECO (compositional MLE) against NCE, the baseline of Jiang et al. (ICML 2023).

No installed library implements MECO or NCE, so the peer is this library's NCE
(Gutmann-Hyvarinen, learned log-normalizer, nu = 1), run on the same data, noise and batches.

- Gaussian mean: data N(mu*, 1), noise N(0, 1) at the start, model exp(theta x - x^2/2),
  theta0 = 0, batches of 256 + 256; time (all seeds together) and median steps over 5
  seeds (3 with ``--quick``) until |theta - mu*| < 0.05 has held for 10 consecutive steps
  (at most 6000 steps; a first lucky hit of a too-large step does not count). Three
  configurations: MECO with ``adapt_noise=True``; NCE with the same noise adaptation; NCE
  with the fixed N(0, 1) noise. Error column: median |theta_end - mean(x)| (the MLE is the
  sample mean).
- 2-D ring: RBF exponential family (36 centres), noise = Gaussian fitted to the data (fixed,
  the same for both), 600 steps (300 with ``--quick``) of 256 + 256 samples; error column:
  test NLL of the average of the last 20 % iterates minus the test NLL of the exact MLE
  (grid quadrature + Newton).

Step sizes are tuned before any timing, for every configuration and case, on separate seeds
(tuning seeds 100-102; Gaussian mean: their data and sampling; ring: the sampling seeds and a
separate validation sample): a factor-2 grid around a starting value, widened until the best
point is interior (:func:`tune_lr`). The score is the total number of steps over the tuning
seeds, a failed seed counting its 6000 steps (Gaussian mean: what the timed row adds up, so
an unstable step that fails on one seed loses), or the median validation NLL (ring). The
chosen step and the grid are named in each row; the scores of every grid point go to stderr.
The timed runs then use the chosen steps on seeds 0-4 (ring: seed 1), median of 3 runs;
nothing is chosen after timing.
"""

from __future__ import annotations

import math
import sys

import numpy as np

from . import Row, median_time

MAXITER = 6000
STAY = 10          # the tolerance must hold for this many consecutive steps
TUNING_SEEDS = (100, 101, 102)
# (label, method, options, first step of the grid search)
GAUSSIAN_CONFIGS = (
    ("MECO, adaptive noise", "meco", {"adapt_noise": True}, 0.2),
    ("NCE, adaptive noise", "nce", {"adapt_noise": True}, 3.0),
    ("NCE, fixed noise N(0, 1)", "nce", {}, 3.0),
)


def _log(message):
    print(f"# tuning: {message}", file=sys.stderr, flush=True)


def tune_lr(score, lr0, *, factor=2.0, max_points=14):
    """Factor-``factor`` grid search of a step size, widened until the best point is interior.

    ``score(lr, cap) -> float`` (lower is better, ``inf`` for a failure); ``cap`` is the best
    score so far (``inf`` at first): a run may stop once it cannot beat it and return ``inf``.
    Returns ``(best_lr, grid)`` with ``grid`` a sorted list of ``(lr, score)``; the best is
    interior unless ``max_points`` was reached (then the row says "edge").
    """
    grid = {}

    def evaluate(lr):
        lr = float(f"{lr:.6g}")
        if lr not in grid:
            finite = [s for s in grid.values() if math.isfinite(s)]
            grid[lr] = score(lr, min(finite) if finite else math.inf)
        return lr

    for lr in (lr0, lr0 / factor, lr0 * factor):
        evaluate(lr)
    while len(grid) < max_points:
        lrs = sorted(grid)
        best = min(lrs, key=lambda k: (grid[k], k))
        if not math.isfinite(grid[best]):  # nothing worked yet: widen both ways
            evaluate(lrs[0] / factor)
            evaluate(lrs[-1] * factor)
        elif best == lrs[0]:
            evaluate(best / factor)
        elif best == lrs[-1]:
            evaluate(best * factor)
        else:
            break
    lrs = sorted(grid)
    best = min(lrs, key=lambda k: (grid[k], k))
    return best, [(k, grid[k]) for k in lrs]


def _grid_text(best, grid):
    lrs = [lr for lr, _ in grid]
    edge = "" if lrs[0] < best < lrs[-1] else ", at the edge"
    return f"{best:g} of {lrs[0]:g}..{lrs[-1]:g} x2{edge}"


def _gaussian_mean(mu, seeds, method, maxiter=MAXITER, budget=math.inf, **kw):
    """Steps until |theta - mu*| < 0.05 held for ``STAY`` consecutive steps, per seed.

    Returns ``(median steps (inf: not reached), median final error, total steps)``; the
    total counts a seed that never reached the tolerance with the steps it ran. With a finite
    ``budget`` (tuning) the seeds stop once the total exceeds it, and the total is ``inf``.
    """
    from solvers.optimize import ExponentialFamily, GaussianNoise, fit_unnormalized

    model = ExponentialFamily.gaussian_location(dim=1)
    iters, errors, total = [], [], 0
    for seed in seeds:
        x = np.random.default_rng(1000 + seed).normal(mu, 1.0, size=(10_000, 1))
        streak = 0

        def stop(intermediate_result):
            nonlocal streak
            streak = streak + 1 if abs(float(intermediate_result.theta[0]) - mu) < 0.05 else 0
            if streak >= STAY:
                raise StopIteration

        left = budget - total
        if left <= 0:
            return math.inf, math.inf, math.inf
        n = int(min(maxiter, left))
        res = fit_unnormalized(model, None, np.zeros(1), x, noise=GaussianNoise(np.zeros(1)),
                               method=method, maxiter=n, rng=seed, callback=stop, **kw)
        reached = res.status == 99
        if not reached and n < maxiter:   # stopped by the budget, not a failure
            return math.inf, math.inf, math.inf
        iters.append(res.nit if reached else np.inf)
        total += res.nit
        errors.append(abs(float(res.theta[0]) - float(x.mean())))
    return float(np.median(iters)), float(np.median(errors)), total


def _tune_gaussian(mu, method, options, lr0):
    def score(lr, cap):  # total steps over the tuning seeds (what the timed row adds up)
        return _gaussian_mean(mu, TUNING_SEEDS, method, budget=cap, lr=lr, **options)[2]

    best, grid = tune_lr(score, lr0)
    _log(f"Gaussian mean mu*={mu}, {method} {options}: total steps over seeds 100-102 by lr "
         + ", ".join(f"{lr:g}: {'>cap' if not math.isfinite(s) else f'{s:.0f}'}"
                     for lr, s in grid) + f" -> lr {best:g}")
    return best, grid


def _gaussian_rows(quick):
    seeds = range(3) if quick else range(5)
    _gaussian_mean(1, [0], "meco", maxiter=50)  # warm-up: imports and first-call overheads
    for mu in (2, 6) if quick else (2, 4, 6):
        tuned = [(label, method, options, *_tune_gaussian(mu, method, options, lr0))
                 for label, method, options, lr0 in GAUSSIAN_CONFIGS]     # before any timing
        timed = []
        for label, method, options, lr, grid in tuned:
            t, (it, err, _) = median_time(
                lambda: _gaussian_mean(mu, seeds, method, lr=lr, **options), repeat=3)
            timed.append((label, lr, grid, t, it, err))
        (_, lr_o, grid_o, t_o, it_o, err_o), *peers = timed
        for label, lr_p, grid_p, t_p, it_p, err_p in peers:
            yield Row(f"Gaussian mean mu*={mu}, to |theta-mu*|<0.05 for {STAY} steps", t_o,
                      f"{label} (ours)",
                      t_p, err_o, err_p,
                      settings=f"lr: MECO {_grid_text(lr_o, grid_o)}, "
                               f"NCE {_grid_text(lr_p, grid_p)}",
                      note=f"median steps {it_o:.0f} vs {it_p:.0f}, {len(seeds)} seeds")


def _ring(n, rng):
    angle = rng.uniform(0.0, 2.0 * np.pi, n)
    radius = 2.0 + 0.25 * rng.standard_normal(n)
    return np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)


def _density_rows(quick):
    from solvers.optimize import ExponentialFamily, FittedGaussianNoise, fit_unnormalized

    g = np.linspace(-3.5, 3.5, 6)
    centers = np.stack(np.meshgrid(g, g, indexing="ij"), axis=-1).reshape(-1, 2)
    model = ExponentialFamily.rbf(centers, width=0.9, base_scale=3.0)
    rng = np.random.default_rng(0)
    x, x_test = _ring(4000, rng), _ring(4000, rng)
    x_val = _ring(4000, np.random.default_rng(7))   # tuning only
    bounds = [(-8.0, 8.0)] * 2
    best = model.nll_grid(model.mle_grid(x, bounds, num=161).x, x_test, bounds, num=161)
    steps = 300 if quick else 600

    def fit(method, lr, seed):
        res = fit_unnormalized(model, None, np.zeros(36), x, noise=FittedGaussianNoise(x),
                               method=method, lr=lr, maxiter=steps, rng=seed)
        if not res.history["theta"]:
            return res, None
        return res, np.mean(res.history["theta"][-steps // 5:], axis=0)

    def score_for(method):
        def score(lr, cap):
            values = []
            for seed in TUNING_SEEDS:
                _, theta = fit(method, lr, seed)
                nll = math.inf if theta is None else model.nll_grid(theta, x_val, bounds, num=161)
                values.append(nll if math.isfinite(nll) else math.inf)
            return float(np.median(values))
        return score

    tuned = {}
    for method in ("meco", "nce"):                                      # before any timing
        lr, grid = tune_lr(score_for(method), 3.0)
        tuned[method] = (lr, grid)
        _log(f"2-D ring, {method}: median validation NLL by lr "
             + ", ".join(f"{k:g}: {s:.4f}" for k, s in grid) + f" -> lr {lr:g}")
    out = {}
    for method in ("meco", "nce"):
        lr = tuned[method][0]
        t, (_, theta) = median_time(lambda: fit(method, lr, 1), repeat=3)
        gap = math.nan if theta is None else model.nll_grid(theta, x_test, bounds, num=161) - best
        out[method] = (t, gap)
    yield Row(f"2-D ring density, {steps} steps", out["meco"][0],
              "NCE, same fixed fitted-Gaussian noise (ours)", out["nce"][0],
              out["meco"][1], out["nce"][1],
              settings=f"lr: MECO {_grid_text(*tuned['meco'])}, NCE {_grid_text(*tuned['nce'])}",
              note="error: test NLL - NLL of exact MLE")


def rows(quick: bool):
    yield from _gaussian_rows(quick)
    yield from _density_rows(quick)
