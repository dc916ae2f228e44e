"""MgNO (multigrid neural operator) and the Darcy data generator."""

import numpy as np
import pytest
import scipy.sparse.linalg

from solvers._array_api import from_numpy, to_numpy
from solvers.mgno import MgNO, darcy_dataset
from solvers.mgno._darcy import _gaussian_field
from solvers.multigrid import diffusion


def _batch(rng, n=15, b=2, c=1):
    return rng.standard_normal((b, c, n, n)), rng.standard_normal((b, 1, n, n))


@pytest.mark.parametrize("loss", ["l2", "h1"])
def test_hand_written_gradient_matches_torch_autograd(loss, rng):
    pytest.importorskip("torch")
    net = MgNO(2, 1, width=3, depth=2, levels=3, rng=0)
    f, u = _batch(rng, c=2)
    value, grad = net.gradient(f, u, loss=loss)
    value_t, grad_t = net.gradient(f, u, loss=loss, autodiff="torch")
    assert value == pytest.approx(value_t, rel=1e-12)
    np.testing.assert_allclose(grad, grad_t, rtol=1e-9, atol=1e-12 * np.max(np.abs(grad_t)))


@pytest.mark.parametrize("loss", ["l2", "h1"])
def test_hand_written_gradient_matches_central_differences(loss, rng):
    net = MgNO(1, 1, width=3, depth=2, levels=2, pre=1, post=1, rng=1)
    f, u = _batch(rng, n=7)
    _, grad = net.gradient(f, u, loss=loss)
    p = net.params
    eps = 1e-6
    for _ in range(3):
        v = rng.standard_normal(p.shape)
        fd = (net.gradient(f, u, loss=loss, params=p + eps * v)[0]
              - net.gradient(f, u, loss=loss, params=p - eps * v)[0]) / (2 * eps)
        assert abs(fd - grad @ v) <= 1e-6 * abs(fd)


def test_predict_shapes_resolution_and_namespace(xp, rng):
    net = MgNO(1, 1, width=4, depth=2, levels=3, rng=0)
    for n in (15, 31):  # the parameters do not depend on the grid size
        assert net.predict(rng.standard_normal((3, n, n))).shape == (3, n, n)
    f = rng.standard_normal((2, 1, 15, 15))
    out = net.predict(from_numpy(f, xp))
    assert type(out) is type(from_numpy(f, xp))
    np.testing.assert_allclose(to_numpy(out), net.predict(f), rtol=1e-12)


def test_periodic_mgno_runs_and_is_translation_equivariant(rng):
    net = MgNO(1, 1, width=3, depth=2, levels=3, boundary="periodic", rng=0)
    f = rng.standard_normal((1, 16, 16))
    shifted = np.roll(f, (4, 8), axis=(1, 2))  # shifts by a multiple of 4 keep the hierarchy
    np.testing.assert_allclose(net.predict(shifted), np.roll(net.predict(f), (4, 8), axis=(1, 2)),
                               rtol=1e-10, atol=1e-12)


@pytest.fixture(scope="module")
def darcy_small():
    a, u = darcy_dataset(120, (15, 15), rng=0)
    net = MgNO(1, 1, width=8, depth=3, levels=3, rng=0, dtype=np.float32)
    untrained = net.score(a[100:], u[100:])
    res = net.fit(a[:100], u[:100], epochs=5, batch_size=8, lr=2e-3, f_test=a[100:],
                  u_test=u[100:], rng=0)
    return res, untrained, net.score(a[100:], u[100:])


def test_mgno_learns_darcy_small(darcy_small):
    res, untrained, error = darcy_small
    assert res.success and res.nit == 5
    # reduced test-time setting (15x15, 100 train, 5 epochs): measured 0.12 from ~1.0
    assert error <= 0.2
    assert error <= 0.25 * untrained
    assert error == pytest.approx(res.test_error, rel=1e-6)


@pytest.mark.xfail(reason="issue bound 5 % is for 64x64 / 1000 train: this test-time run "
                          "(15x15, 100 train, 5 epochs) measured 0.12; the issue's setting "
                          "(63x63, 1000/100, examples/mgno_darcy.py, 12 epochs, ~8 min CPU) "
                          "measured 0.027", strict=False)
def test_mgno_darcy_issue_bound(darcy_small):
    _, _, error = darcy_small
    assert error <= 0.05


def test_fit_status_callback_and_max_time():
    f = np.random.default_rng(0).standard_normal((4, 7, 7))
    net = MgNO(1, 1, width=2, depth=1, levels=2, rng=0)
    seen = []

    def stop_after_2(intermediate_result):
        seen.append(intermediate_result)
        if intermediate_result.nit >= 2:
            raise StopIteration

    res = net.fit(f, f, epochs=5, batch_size=2, rng=0, callback=stop_after_2)
    assert res.status == 99 and not res.success and res.nit == 2
    assert [r.epoch for r in seen] == [1, 2] and seen[-1].x.shape == net.params.shape
    res = net.fit(f, f, epochs=5, batch_size=2, rng=0, max_time=0.0)
    assert res.status == 2 and not res.success and res.nit == 1
    res = net.fit(f, f, epochs=1, batch_size=2, rng=0)
    assert res.status == 6 and res.success and res.nit == 1


def test_darcy_dataset_matches_sparse_direct_solve():
    a, u = darcy_dataset(2, (15, 15), contrast=10.0, rng=3)
    gen = np.random.default_rng(3)
    for i in range(2):
        field = _gaussian_field(gen, (17, 17), 2.0, 3.0)
        coef = np.where(field >= 0, 10.0, 1.0)
        np.testing.assert_array_equal(coef[1:-1, 1:-1], a[i])
        A = diffusion(coef, location="node").tosparse().tocsc()
        x = scipy.sparse.linalg.spsolve(A, np.ones(15 * 15)).reshape(15, 15)
        np.testing.assert_allclose(u[i], x, rtol=1e-8, atol=1e-12)
    assert set(np.unique(a)) <= {1.0, 10.0}
    a2, u2 = darcy_dataset(2, (15, 15), contrast=10.0, rng=3)
    np.testing.assert_array_equal(u, u2)


def test_bad_input():
    with pytest.raises(ValueError, match="`n`"):
        darcy_dataset(0, (15, 15))
    with pytest.raises(ValueError, match="`contrast`"):
        darcy_dataset(1, (15, 15), contrast=-1.0)
    with pytest.raises(ValueError, match="`width`"):
        MgNO(1, 1, width=0)
    net = MgNO(1, 1, width=2, depth=1, levels=2, rng=0)
    with pytest.raises(ValueError, match="same number of samples"):
        net.fit(np.ones((3, 7, 7)), np.ones((2, 7, 7)), epochs=1)
    with pytest.raises(ValueError, match="`loss`"):
        net.fit(np.ones((2, 7, 7)), np.ones((2, 7, 7)), epochs=1, loss="l1")
    with pytest.raises(ValueError, match="finite"):
        net.fit(np.full((2, 7, 7), np.nan), np.ones((2, 7, 7)), epochs=1)
    with pytest.raises(ValueError, match="`autodiff`"):
        net.gradient(np.ones((1, 1, 7, 7)), np.ones((1, 1, 7, 7)), autodiff="jax")
