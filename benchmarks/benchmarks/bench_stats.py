"""solvers.stats: von Mises-Fisher rvs, fit, logpdf, the kappa solver and mixture EM."""

import time

import numpy as np

from solvers.stats import fit_vmf_mixture, vonmises_fisher
from solvers.stats._vmf_kappa import kappa_from_mean_resultant, mean_resultant_and_complement


def _mu(p):
    mu = np.zeros(p)
    mu[0] = 1.0
    return mu


def _cheap_directional_data(n, p, seed=0):
    """Rows concentrated around e_1 (Gaussian + offset; fit renormalizes), cheap to build."""
    x = np.random.default_rng(seed).standard_normal((n, p))
    x[:, 0] += 3.0 * np.sqrt(p)
    return x


class VMFRvs:
    """2000 samples by Wood's sampler + projected Gaussian (O(n p); SciPy builds p x p)."""

    params = [[512, 8192, 32768]]
    param_names = ["p"]
    timeout = 120

    def setup(self, p):
        self.dist = vonmises_fisher(_mu(p), p / 2)
        self.dist.rvs(2, rng=0)   # compile the kernels outside the timing

    def time_rvs(self, p):
        self.dist.rvs(2000, rng=1)

    def peakmem_rvs(self, p):
        self.dist.rvs(2000, rng=1)


class VMFFit:
    """Maximum likelihood (mean direction + exact kappa): one pass over the data."""

    params = [[64, 2048], [10_000, 100_000]]
    param_names = ["p", "n"]
    timeout = 120

    def setup(self, p, n):
        self.x = _cheap_directional_data(n, p)
        vonmises_fisher.fit(self.x[:10])

    def time_fit(self, p, n):
        vonmises_fisher.fit(self.x)


class VMFFitAccuracy:
    """|kappa_hat/kappa - 1| on 5000 samples where SciPy 1.17 returns kappa = 1e-8."""

    params = [[512, 2048, 8192]]
    param_names = ["p"]
    timeout = 120

    def setup(self, p):
        self.kappa = float(p)
        self.x = vonmises_fisher(_mu(p), self.kappa).rvs(5000, rng=2)

    def track_fit_kappa_rel_error(self, p):
        return abs(vonmises_fisher.fit(self.x)[1] / self.kappa - 1)

    track_fit_kappa_rel_error.unit = "relative error"


class VMFLogpdf:
    """logpdf of 1e5 points (SciPy's is the peer in peers.py)."""

    params = [[3, 64]]
    param_names = ["p"]

    def setup(self, p):
        self.dist = vonmises_fisher(_mu(p), 10.0)
        self.x = self.dist.rvs(100_000, rng=3)
        self.dist.logpdf(self.x[:2])

    def time_logpdf(self, p):
        self.dist.logpdf(self.x)


class KappaSolver:
    """The exact kappa solver over a batch of (p, R̄), and its accuracy (max relative error)."""

    params = [[2, 1000, 65536]]
    param_names = ["p"]

    def setup(self, p):
        self.kappa = np.logspace(-6, 7, 1000)
        self.A, self.C = mean_resultant_and_complement(p, self.kappa)
        kappa_from_mean_resultant(p, self.A[:2], self.C[:2])

    def time_kappa_solve(self, p):
        kappa_from_mean_resultant(p, self.A, self.C)

    def track_kappa_solver_max_rel_error(self, p):
        k = kappa_from_mean_resultant(p, self.A, self.C)
        return float(np.max(np.abs(k / self.kappa - 1)))

    track_kappa_solver_max_rel_error.unit = "relative error"


class VMFMixtureEM:
    """Soft EM for a k-component vMF mixture: seconds per iteration (E-step + M-step)."""

    params = [[20_000, 100_000]]
    param_names = ["n"]
    timeout = 180

    def setup(self, n):
        p, k = 256, 10
        rng = np.random.default_rng(4)
        mus = rng.standard_normal((k, p))
        self.mus = mus / np.linalg.norm(mus, axis=1, keepdims=True)
        self.x = np.concatenate([vonmises_fisher(m, 100.0).rvs(n // k, rng=rng)
                                 for m in self.mus])
        self.k = k

    def track_em_seconds_per_iteration(self, n):
        stamps = []
        fit_vmf_mixture(self.x, self.k, init=self.mus, maxiter=5, rtol=0.0,
                        callback=lambda r: stamps.append(time.perf_counter()))
        return (stamps[-1] - stamps[0]) / max(len(stamps) - 1, 1)

    track_em_seconds_per_iteration.unit = "s"
