"""solvers.linalg: Kronecker products, fast diagonalization, backend dispatch overhead."""

import numpy as np
import scipy.linalg

from solvers._array_api import array_namespace
from solvers.linalg import kron_matvec, solve_kronecker_sum


def _laplacian_1d(n):
    h = 1.0 / (n + 1)
    return (2 * np.eye(n) - np.eye(n, k=1) - np.eye(n, k=-1)) / h**2


def _factors(d, n):
    rng = np.random.default_rng(0)
    return [rng.standard_normal((n, n)) for _ in range(d)], rng.standard_normal(n**d)


class KronMatvec:
    """(A_1 ⊗ ... ⊗ A_d) x by mode products."""

    params = ([2, 3], [16, 32, 64])
    param_names = ["d", "n"]

    def setup(self, d, n):
        self.factors, self.x = _factors(d, n)

    def time_kron_matvec(self, d, n):
        kron_matvec(self.factors, self.x)

    def peakmem_kron_matvec(self, d, n):
        kron_matvec(self.factors, self.x)


class DenseKronMatvec:
    """The same product with the dense Kronecker matrix (only where it fits: N <= 4096)."""

    params = ([2, 3], [16, 32, 64])
    param_names = ["d", "n"]

    def setup(self, d, n):
        if n**d > 4096:
            raise NotImplementedError("dense Kronecker matrix too large")  # asv: skipped
        self.factors, self.x = _factors(d, n)
        dense = self.factors[0]
        for A in self.factors[1:]:
            dense = np.kron(dense, A)
        self.dense = dense

    def time_dense_matvec(self, d, n):
        self.dense @ self.x


class SolveKroneckerSum:
    """2-D Poisson by fast diagonalization against scipy.linalg.solve_sylvester."""

    params = [[100, 200, 400, 800]]
    param_names = ["n"]

    def setup(self, n):
        self.T = _laplacian_1d(n)
        self.F = np.random.default_rng(0).standard_normal((n, n))

    def time_solve_kronecker_sum(self, n):
        solve_kronecker_sum([self.T, self.T], self.F)

    def time_scipy_solve_sylvester(self, n):
        scipy.linalg.solve_sylvester(self.T, self.T, self.F)

    def peakmem_solve_kronecker_sum(self, n):
        solve_kronecker_sum([self.T, self.T], self.F)

    def track_relative_residual(self, n):
        X = solve_kronecker_sum([self.T, self.T], self.F)
        R = self.T @ X + X @ self.T - self.F
        return float(np.linalg.norm(R) / np.linalg.norm(self.F))

    track_relative_residual.unit = "relative residual"


class SolveKroneckerSum3D:
    params = [[32, 64]]
    param_names = ["n"]

    def setup(self, n):
        self.T = _laplacian_1d(n)
        self.F = np.random.default_rng(0).standard_normal((n, n, n))

    def time_solve_kronecker_sum_3d(self, n):
        solve_kronecker_sum([self.T, self.T, self.T], self.F)


class ArrayNamespace:
    """Dispatch overhead on small NumPy inputs (goal < 1 µs)."""

    def setup(self):
        self.x = np.ones(3)
        self.y = np.ones(3)

    def time_array_namespace_one(self):
        array_namespace(self.x)

    def time_array_namespace_two_and_scalar(self):
        array_namespace(self.x, self.y, 2.0)
