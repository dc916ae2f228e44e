"""solvers.mgno learnable operators: MgNO forward/backward time per sample vs grid size,
parameter counts, and the cost of one learnable V-cycle (apply, adjoint, vjp)."""

import numpy as np

from solvers.mgno import MgNO, MultigridOperator


class MgNOSample:
    """One sample through a 4-layer, width-12 MgNO: forward and forward+backward (float32).

    Time should grow linearly in the number of grid points N = n**2.
    """

    params = ([15, 31, 63, 127],)
    param_names = ["n"]

    def setup(self, n):
        levels = min(5, int(np.log2(n + 1)))
        self.net = MgNO(1, 1, width=12, depth=4, levels=levels, rng=0, dtype=np.float32)
        rng = np.random.default_rng(0)
        self.f = rng.standard_normal((1, 1, n, n)).astype(np.float32)
        self.u = rng.standard_normal((1, 1, n, n)).astype(np.float32)

    def time_forward(self, n):
        self.net.predict(self.f)

    def time_forward_backward(self, n):
        self.net.gradient(self.f, self.u)

    def track_time_per_point_us(self, n):
        import time

        self.net.gradient(self.f, self.u)
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            self.net.gradient(self.f, self.u)
            best = min(best, time.perf_counter() - t0)
        return 1e6 * best / n**2

    track_time_per_point_us.unit = "microseconds per grid point"


class MgNOParameters:
    """Parameter counts (independent of the grid size)."""

    params = ([8, 16, 24], [4, 6])
    param_names = ["width", "levels"]

    def track_n_params(self, width, levels):
        return MgNO(1, 1, width=width, depth=4, levels=levels, rng=0).n_params

    track_n_params.unit = "parameters"


class LearnableVCycle:
    """One single-channel learnable V(1,1) cycle on an n x n grid (down to one node)."""

    params = ([63, 127, 255],)
    param_names = ["n"]

    def setup(self, n):
        self.M = MultigridOperator((n, n), levels=int(np.log2(n + 1)), pre=1, post=1)
        rng = np.random.default_rng(0)
        self.f = rng.standard_normal((n, n))
        self.g = rng.standard_normal((n, n))

    def time_apply(self, n):
        self.M(self.f)

    def time_adjoint(self, n):
        self.M.adjoint(self.g)

    def time_vjp(self, n):
        self.M.vjp(self.f, self.g)
