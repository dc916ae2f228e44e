"""Kernels: analytic derivatives vs finite differences, symmetries, independent references."""

import math

import numpy as np
import pytest

from solvers._array_api import from_numpy, xp_assert_close
from solvers.pde.kernels import RBF, Matern, SpectralMixture, StudentTMixture

KERNELS = {
    "sm": SpectralMixture([1.0, 0.4], [2.0, 0.3], [0.3, 1.1]),
    "stm52": StudentTMixture([1.0, 0.4], [2.0, 0.3], [0.3, 1.1]),
    "stm32": StudentTMixture([0.7, 0.2], [1.5, 0.0], [0.4, 0.8], nu=1.5),
    "rbf": RBF(lengthscale=0.3, variance=2.0),
    "matern52": Matern(lengthscale=0.4, nu=2.5),
    "matern32": Matern(lengthscale=0.4, nu=1.5),
}


def _points(rng, m):
    return np.sort(rng.uniform(-1.0, 1.0, m))


@pytest.mark.parametrize("name", sorted(KERNELS))
def test_derivatives_match_finite_differences(name, rng):
    k = KERNELS[name]
    x, y = _points(rng, 7), _points(rng, 6) + 1e-3  # no coincident points: Matérn kinks
    h = 1e-5
    checked = 0
    for dx in range(3):
        for dy in range(3):
            if dx + dy + 1 > k.max_derivative_order:
                continue
            if dx < 2:
                fd = (k(x + h, y, dx, dy) - k(x - h, y, dx, dy)) / (2 * h)
                exact = k(x, y, dx + 1, dy)
                np.testing.assert_allclose(fd, exact, atol=1e-5 * np.abs(exact).max())
                checked += 1
            if dy < 2:
                fd = (k(x, y + h, dx, dy) - k(x, y - h, dx, dy)) / (2 * h)
                exact = k(x, y, dx, dy + 1)
                np.testing.assert_allclose(fd, exact, atol=1e-5 * np.abs(exact).max())
                checked += 1
    assert checked >= 2


@pytest.mark.parametrize("name", sorted(KERNELS))
def test_derivative_symmetries(name, rng):
    k = KERNELS[name]
    x = _points(rng, 9)
    K1 = k(x, dx=1)
    np.testing.assert_allclose(K1, -K1.T, atol=1e-13 * np.abs(K1).max())
    np.testing.assert_allclose(np.diag(K1), 0.0, atol=1e-12)
    np.testing.assert_allclose(k(x, dy=1), -K1, rtol=1e-13)
    if k.max_derivative_order >= 2:
        K2 = k(x, dx=2)
        np.testing.assert_allclose(K2, K2.T, rtol=1e-12, atol=1e-12 * np.abs(K2).max())
        np.testing.assert_allclose(k(x, dx=1, dy=1), -K2, rtol=1e-12)
        # -k'' is a covariance (of u'): positive semi-definite
        assert np.linalg.eigvalsh(-K2).min() > -1e-8 * np.abs(K2).max()


def test_second_derivative_at_zero_lag_is_minus_spectral_moment():
    # k''(0) = -sum w (4 pi^2) (mu^2 + s^2) for the spectral mixture (Gaussian moments)
    w, mu, s = np.array([1.0, 0.5]), np.array([3.0, 0.5]), np.array([0.2, 0.7])
    k = SpectralMixture(w, mu, s)
    val = k(np.array([0.3]), dx=2)[0, 0]
    assert val == pytest.approx(-np.sum(w * 4 * math.pi ** 2 * (mu ** 2 + s ** 2)), rel=1e-12)


def test_rbf_and_matern_match_scikit_learn(rng):
    skk = pytest.importorskip("sklearn.gaussian_process.kernels")
    x = rng.uniform(0, 3, 8)
    np.testing.assert_allclose(RBF(0.7, variance=1.0)(x), skk.RBF(0.7)(x[:, None]), rtol=1e-12)
    for nu in (0.5, 1.5, 2.5):
        np.testing.assert_allclose(Matern(0.7, nu=nu)(x), skk.Matern(0.7, nu=nu)(x[:, None]),
                                   rtol=1e-12)


def test_spectral_mixture_matches_gpytorch(rng):
    torch = pytest.importorskip("torch")
    gpytorch = pytest.importorskip("gpytorch")
    w, mu, s = np.array([0.6, 1.3, 0.2]), np.array([0.4, 2.5, 7.0]), np.array([0.3, 0.1, 1.2])
    ref = gpytorch.kernels.SpectralMixtureKernel(num_mixtures=3, ard_num_dims=1).double()
    ref.mixture_weights = torch.tensor(w)
    ref.mixture_means = torch.tensor(mu).reshape(3, 1, 1)
    ref.mixture_scales = torch.tensor(s).reshape(3, 1, 1)
    x, y = rng.uniform(-2, 2, 11), rng.uniform(-2, 2, 7)
    with torch.no_grad():
        K_ref = ref(torch.tensor(x)[:, None], torch.tensor(y)[:, None]).to_dense().numpy()
    np.testing.assert_allclose(SpectralMixture(w, mu, s)(x, y), K_ref, rtol=1e-10, atol=1e-13)


def test_spectral_density_integrates_to_variance():
    k = StudentTMixture([0.3, 0.7], [1.0, 4.0], [0.5, 0.2])
    f = np.linspace(-400, 400, 800001)
    total = np.sum(k.spectral_density(f)) * (f[1] - f[0])
    assert total == pytest.approx(k.variance, rel=2e-3)


@pytest.mark.parametrize("name", sorted(KERNELS))
def test_params_round_trip(name):
    k = KERNELS[name]
    k2 = k.with_params(k.params)
    assert type(k2) is type(k)
    np.testing.assert_allclose(k2.params, k.params, rtol=1e-14)
    x = np.linspace(0, 1, 5)
    np.testing.assert_allclose(k2(x, dx=1), k(x, dx=1), rtol=1e-13, atol=1e-14)


def test_mixture_params_layout():
    k = SpectralMixture([2.0, 3.0], [0.5, 1.5], [0.1, 0.2])
    np.testing.assert_allclose(k.params, np.r_[np.log([2.0, 3.0]), np.log([0.1, 0.2]), 0.5, 1.5])


@pytest.mark.parametrize("name", ["sm", "stm52"])
def test_backends_agree(xp, name):
    k = KERNELS[name]
    x = np.linspace(-1, 1, 6)
    for dx, dy in [(0, 0), (1, 0), (2, 0), (1, 1), (2, 2)]:
        got = k(from_numpy(x, xp), dx=dx, dy=dy)
        xp_assert_close(got, from_numpy(k(x, dx=dx, dy=dy), xp), rtol=1e-13, atol=1e-13)


def test_bad_input():
    with pytest.raises(ValueError, match="weights"):
        SpectralMixture([-1.0], [1.0], [1.0])
    with pytest.raises(ValueError, match="same length"):
        SpectralMixture([1.0, 2.0], [1.0], [1.0])
    with pytest.raises(ValueError, match="nu"):
        StudentTMixture([1.0], [1.0], [1.0], nu=2.0)
    with pytest.raises(ValueError, match="dx"):
        RBF()(np.zeros(3), dx=3)
    with pytest.raises(ValueError, match="differentiable"):
        Matern(nu=0.5)(np.zeros(3), dx=1)
    with pytest.raises(ValueError, match="1-D"):
        RBF()(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="params"):
        SpectralMixture([1.0], [1.0], [1.0]).with_params(np.zeros(4))
