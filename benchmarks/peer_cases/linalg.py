"""solvers.linalg vs SciPy: fast diagonalization against the Bartels-Stewart Sylvester solver."""

import numpy as np
import scipy.linalg

from peer_cases import Row, median_time
from solvers.linalg import solve_kronecker_sum


def _laplacian_1d(n):
    h = 1.0 / (n + 1)
    return (2 * np.eye(n) - np.eye(n, k=1) - np.eye(n, k=-1)) / h**2


def rows(quick):
    sizes = [200, 400] if quick else [200, 400, 800]
    repeat = 3
    for n in sizes:
        x = np.linspace(0, 1, n + 2)[1:-1]
        X, Y = np.meshgrid(x, x, indexing="ij")
        T = _laplacian_1d(n)
        # manufactured discrete solution: F = T U + U T exactly, so errors are solver errors
        U = np.sin(3 * np.pi * X) * np.cos(2 * np.pi * Y) + X * Y
        F = T @ U + U @ T
        ours_s, U1 = median_time(lambda: solve_kronecker_sum([T, T], F), repeat=repeat)
        peer_s, U2 = median_time(lambda: scipy.linalg.solve_sylvester(T, T, F), repeat=repeat)
        scale = np.linalg.norm(U)
        yield Row(f"2-D Poisson Sylvester solve, n={n} ({n}x{n})", ours_s,
                  "scipy.linalg.solve_sylvester", peer_s,
                  np.linalg.norm(U1 - U) / scale, np.linalg.norm(U2 - U) / scale)
