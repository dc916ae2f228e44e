"""The threaded colour sweep (large grids, NumPy) gives exactly the serial sweep's result."""

import numpy as np
import pytest

import solvers.multigrid._backends as backends
from solvers.multigrid import GeometricMultigrid, diffusion, poisson


def _solve(A, b, threshold, monkeypatch):
    monkeypatch.setattr(backends, "_PARALLEL_MIN_NODES", threshold)
    return GeometricMultigrid(A).solve(b, rtol=1e-10, return_info=True)


@pytest.mark.parametrize("shape", [(63, 63), (15, 15, 15)])
def test_parallel_equals_serial_poisson(shape, monkeypatch):
    b = np.random.default_rng(0).standard_normal(shape)
    A = poisson(shape)
    x_serial, info_serial = _solve(A, b, 10**12, monkeypatch)
    x_parallel, info_parallel = _solve(A, b, 0, monkeypatch)
    assert info_serial.nit == info_parallel.nit
    np.testing.assert_array_equal(x_parallel, x_serial)


def test_parallel_equals_serial_variable_coefficient(monkeypatch):
    n = 31
    t = np.linspace(0, 1, n + 2)  # node-based coefficient: boundary nodes included
    a = 1 + 0.9 * np.sin(2 * np.pi * t)[:, None] * np.sin(2 * np.pi * t)[None, :]
    A = diffusion(a)
    b = np.random.default_rng(1).standard_normal((n, n))
    x_serial, _ = _solve(A, b, 10**12, monkeypatch)
    x_parallel, _ = _solve(A, b, 0, monkeypatch)
    np.testing.assert_array_equal(x_parallel, x_serial)
