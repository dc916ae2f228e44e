"""solvers.stats vs scipy.stats.vonmises_fisher (SciPy 1.17): rvs, fit, logpdf; mixture EM.

Every time is the median of 3 runs (``median_time``). SciPy's ``rvs`` builds a p x p
rotation; at p = 8192 and 32768 it runs in a subprocess (``run_limited``) under a time limit
(60 s with ``--quick``, 600 s for all 3 runs otherwise) and an 8 GiB address-space limit, so the
table shows its median, "> T s (stopped)" or its memory error, measured in this run.
"""

import math
import time
import warnings

import numpy as np
from scipy import stats

from peer_cases import Row, Timing, median_time, run_limited
from solvers.stats import fit_vmf_mixture, vmf_log_normalizer, vonmises_fisher
from solvers.stats._vmf_kappa import mean_resultant_and_complement

SCIPY = "scipy.stats.vonmises_fisher"


def _mu(p):
    mu = np.zeros(p)
    mu[0] = 1.0
    return mu


def _w_error(x, mu, p, kappa):
    """|mean(mu.x) - A_p(kappa)| in units of its standard error (a statistical check)."""
    A, C = mean_resultant_and_complement(p, kappa)
    A = float(A)
    var_w = float(C) * (1 + A) - (p - 1) * A / kappa
    return abs(float(np.mean(x @ mu)) - A) / math.sqrt(var_w / x.shape[0])


def _scipy_rvs_limited(p, kappa, n, timeout_s, memory_gib=8):
    """SciPy's rvs in a subprocess: (time or NotTimed, mean(mu . x) of the last sample or None)."""
    setup = (f"import numpy as np\nfrom scipy import stats\nmu = np.zeros({p}); mu[0] = 1.0\n"
             f"dist = stats.vonmises_fisher(mu, {kappa!r})")
    statement = f"x = dist.rvs({n}, random_state=0)\nvalue = float(np.mean(x[:, 0]))\ndel x"
    return run_limited(setup, statement, repeat=3, timeout_s=timeout_s, memory_gib=memory_gib)


def _rvs_rows(quick):
    n = 2000
    # p = 512: both sides in this process
    p, kappa = 512, 256.0
    mu = _mu(p)
    ours_s, x1 = median_time(lambda: vonmises_fisher(mu, kappa).rvs(n, rng=0),
                             repeat=3, warmup=1)
    peer_s, x2 = median_time(lambda: stats.vonmises_fisher(mu, kappa).rvs(n, random_state=0),
                             repeat=3, warmup=1)
    yield Row(f"vMF rvs n={n}, p={p}, kappa=p/2", ours_s, SCIPY, peer_s,
              _w_error(x1, mu, p, kappa), _w_error(x2, mu, p, kappa),
              note="error: |mean(mu.x) - A_p| / SE")
    timeout_s = 60.0  # a lower bound "> 60 s (stopped)" is enough to place SciPy
    for p in (8192, 32768):
        mu = _mu(p)
        kappa = p / 2
        dist = vonmises_fisher(mu, kappa)
        ours_s, x = median_time(lambda: dist.rvs(n, rng=1), repeat=3, warmup=1)
        err = _w_error(x, mu, p, kappa)
        del x
        peer_s, mean_w = _scipy_rvs_limited(p, kappa, n, timeout_s)
        peer_err = "—"
        if mean_w is not None:
            A, C = mean_resultant_and_complement(p, kappa)
            var_w = float(C) * (1 + float(A)) - (p - 1) * float(A) / kappa
            peer_err = abs(mean_w - float(A)) / math.sqrt(var_w / n)
        yield Row(f"vMF rvs n={n}, p={p}, kappa=p/2", ours_s, SCIPY, peer_s, err, peer_err,
                  settings=f"SciPy in a subprocess, limits {timeout_s:g} s for 3 runs, 8 GiB",
                  note="error: |mean(mu.x) - A_p| / SE")


def _fit_rows(quick):
    cases = [(64, 50.0, 5000), (512, 300.0, 5000)]
    cases.append((2048, 1000.0, 10_000 if quick else 100_000))
    for p, kappa, n in cases:
        mu = _mu(p)
        x = vonmises_fisher(mu, kappa).rvs(n, rng=2)
        ours_s, (_, k1) = median_time(lambda: vonmises_fisher.fit(x), repeat=3, warmup=1,
                                      min_time=0.2)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            peer_s, (_, k2) = median_time(lambda: stats.vonmises_fisher.fit(x),
                                          repeat=3, warmup=1, min_time=0.2)
        del x
        yield Row(f"vMF fit n={n}, p={p}, kappa={kappa:g}", ours_s, SCIPY, peer_s,
                  abs(k1 / kappa - 1), abs(k2 / kappa - 1),
                  note=f"error: |kappa_hat/kappa - 1|; SciPy kappa_hat = {k2:.3g}")


def _logpdf_rows(quick):
    n = 20_000 if quick else 200_000
    for p, kappa in ((3, 10.0), (64, 50.0)):
        mu = _mu(p)
        x = vonmises_fisher(mu, kappa).rvs(n, rng=3)
        ours = vonmises_fisher(mu, kappa)
        peer = stats.vonmises_fisher(mu, kappa)
        ours_s, l1 = median_time(lambda: ours.logpdf(x), repeat=5, warmup=1, min_time=0.2)
        peer_s, l2 = median_time(lambda: peer.logpdf(x), repeat=5, warmup=1, min_time=0.2)
        # reference: log C_p in float64 (checked against mpmath in the tests) + kappa mu.x in
        # extended precision
        ref = vmf_log_normalizer(p, kappa) + kappa * (x.astype(np.longdouble) @ mu)
        scale = np.abs(ref).max()
        yield Row(f"vMF logpdf n={n}, p={p}, kappa={kappa:g}", ours_s, SCIPY, peer_s,
                  float(np.max(np.abs(l1 - ref)) / scale), float(np.max(np.abs(l2 - ref)) / scale),
                  note="error: max abs / max |logpdf|")


def _mixture_rows(quick):
    n, p, k = (20_000, 256, 10) if quick else (100_000, 256, 10)
    rng = np.random.default_rng(4)
    mus = rng.standard_normal((k, p))
    mus /= np.linalg.norm(mus, axis=1, keepdims=True)
    x = np.concatenate([vonmises_fisher(m, 100.0).rvs(n // k, rng=rng) for m in mus])
    stamps = []

    def run():
        stamps.clear()
        return fit_vmf_mixture(x, k, rng=0, maxiter=10, rtol=0.0,
                               callback=lambda r: stamps.append(time.perf_counter()))

    per_iteration = []
    for _ in range(3):
        res = run()
        if len(stamps) > 1:   # one E-step + M-step between consecutive callbacks
            per_iteration.append((stamps[-1] - stamps[0]) / (len(stamps) - 1))
    best = Timing.of(per_iteration) if per_iteration else math.nan
    yield Row(f"vMF mixture EM n={n}, p={p}, k={k}: seconds per iteration", best,
              "none (SciPy and scikit-learn have no vMF mixture)", float("nan"),
              note=f"{res.nit} iterations, final log-likelihood {res.log_likelihood:.6g}")


def rows(quick):
    yield from _rvs_rows(quick)
    yield from _fit_rows(quick)
    yield from _logpdf_rows(quick)
    yield from _mixture_rows(quick)
