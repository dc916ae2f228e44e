"""solvers.optimize.Adam: the update formula, parameter groups and namespaces."""

import numpy as np
import pytest

from solvers.optimize import Adam


def _reference(params, grads, lr, b1=0.9, b2=0.999, eps=1e-8):
    m = np.zeros_like(params[0])
    v = np.zeros_like(params[0])
    p = params[0]
    out = []
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        p = p - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
        out.append(p)
    return out


def test_matches_the_formula_bitwise():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(5)
    grads = [rng.standard_normal(5) for _ in range(4)]
    ref = _reference([x], grads, 0.01)
    opt = Adam(lr=0.01)
    p = x
    for g, r in zip(grads, ref):
        p = opt.step(p, g)
        np.testing.assert_array_equal(p, r)
    assert opt.t == 4


def test_groups_are_independent_and_keep_structure():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal(3), rng.standard_normal((2, 2))
    ga, gb = rng.standard_normal(3), rng.standard_normal((2, 2))
    opt = Adam(lr=0.1)
    out = opt.step((a, b), (ga, gb))
    assert isinstance(out, tuple) and out[1].shape == (2, 2)
    np.testing.assert_array_equal(out[0], Adam(lr=0.1).step(a, ga))
    np.testing.assert_array_equal(out[1], Adam(lr=0.1).step(b, gb))
    assert isinstance(Adam().step([a], [ga]), list)
    with pytest.raises(ValueError, match="groups"):
        opt.step([a], [ga])
    with pytest.raises(ValueError, match="groups"):
        Adam().step([a, b], [ga])


def test_weight_decay_and_lr_schedule():
    x, g = np.array([1.0, 2.0]), np.array([0.5, -0.5])
    np.testing.assert_array_equal(Adam(lr=0.1, weight_decay=0.1).step(x, g),
                                  Adam(lr=0.1).step(x, g + 0.1 * x))
    opt = Adam(lr=0.1)
    opt.step(x, g)
    opt.lr = 0.0
    assert np.array_equal(opt.step(x, g), x)


def test_array_api_strict_namespace():
    xps = pytest.importorskip("array_api_strict")
    x = xps.asarray([1.0, -2.0], dtype=xps.float64)
    opt = Adam(lr=0.1)
    out = opt.step(x, 2 * x)
    x_np = np.asarray(x)
    np.testing.assert_array_equal(np.asarray(out), Adam(lr=0.1).step(x_np, 2 * x_np))
