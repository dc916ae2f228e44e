"""solvers.optimize: stochastic compositional optimizers and unnormalized-model fitting.

Gaussian mean (data N(mu*, 1), noise N(0, 1), batches 256 + 256, theta0 = 0): time and
iterations until |theta - mu*| < 0.05 for meco (fixed and adapted noise), meco-storm and nce.
Closed-form compositional problem F(x) = log E[exp((a + xi)^T x)] + ||x||^2 / 2: time of 500
steps and the final ||grad F|| per method. ``track_*`` values are deterministic (seeded).
"""

import numpy as np

from solvers.optimize import (
    ExponentialFamily,
    GaussianNoise,
    fit_unnormalized,
    minimize_compositional,
)

_SETTINGS = {
    "meco": dict(method="meco", lr=0.2, gamma=0.2),
    "meco-adapt": dict(method="meco", adapt_noise=True),
    "meco-storm-adapt": dict(method="meco-storm", adapt_noise=True, beta=0.5, gamma=0.5),
    "nce": dict(method="nce"),  # step chosen per mu* below
}
_NCE_LR = {2: 3.0, 6: 10.0}  # best of {1, 3, 10} (see benchmarks/peer_cases/compositional.py)


class GaussianMean:
    params = (list(_SETTINGS), [2, 6])
    param_names = ["method", "mu"]
    timeout = 120

    def setup(self, method, mu):
        self.x = np.random.default_rng(1000).normal(mu, 1.0, size=(10_000, 1))
        self.model = ExponentialFamily.gaussian_location(dim=1)
        self.kw = dict(_SETTINGS[method])
        if method == "nce":
            self.kw["lr"] = _NCE_LR[mu]

    def _run(self, mu):
        def stop(intermediate_result):
            if abs(float(intermediate_result.theta[0]) - mu) < 0.05:
                raise StopIteration

        return fit_unnormalized(self.model, None, np.zeros(1), self.x,
                                noise=GaussianNoise(np.zeros(1)), maxiter=4000, rng=0,
                                callback=stop, **self.kw)

    def time_to_tolerance(self, method, mu):
        self._run(mu)

    def track_iterations_to_tolerance(self, method, mu):
        res = self._run(mu)
        return res.nit if res.status == 99 else float("nan")

    track_iterations_to_tolerance.unit = "iterations"


class ClosedFormCompositional:
    params = [["scgd", "scma", "scst", "nasa"]]
    param_names = ["method"]

    def setup(self, method):
        d = 5
        a = np.linspace(-1.0, 1.0, d) * 0.8
        self.a = a

        def inner(x, xi):
            e = np.exp((a + xi) @ x)
            g = np.concatenate([[e.mean()], x])
            return g, lambda w: w[0] * ((a + xi) * e[:, None]).mean(axis=0) + w[1:]

        self.args = (inner, lambda u: np.concatenate([[1.0 / u[0]], u[1:]]), np.zeros(d))
        self.kw = dict(sampler=lambda n, rng: rng.standard_normal((n, d)), batch_size=64,
                       maxiter=500, rng=0, lr_schedule=lambda t: 1.0 / (t + 2.0),
                       gamma=lambda t: min(1.0, t ** (-2 / 3)),
                       beta=lambda t: min(1.0, t ** (-2 / 3)))

    def time_500_steps(self, method):
        minimize_compositional(*self.args, method=method, **self.kw)

    def track_grad_norm_500_steps(self, method):
        res = minimize_compositional(*self.args, method=method, **self.kw)
        return float(np.linalg.norm(self.a + 2.0 * res.x))

    track_grad_norm_500_steps.unit = "||grad F||"

    def peakmem_500_steps(self, method):
        minimize_compositional(*self.args, method=method, **self.kw)
