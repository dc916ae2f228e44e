"""Fuzzing the public API with hypothesis (issue 20): every input gets the documented result
or a ValueError/TypeError that names the argument -- never another exception, a crash or a
hang (each call runs under a time limit)."""

import threading

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FUZZ = settings(max_examples=25, deadline=None, derandomize=True,
                suppress_health_check=list(HealthCheck))
TIME_LIMIT_S = 20.0


def _call(fn, *args, names=(), **kwargs):
    """Run ``fn`` with a time limit; a ValueError/TypeError must name one of ``names``."""
    box = {}

    def target():
        try:
            box["value"] = fn(*args, **kwargs)
        except BaseException as exc:   # noqa: BLE001 - classified below
            box["error"] = exc

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(TIME_LIMIT_S)
    assert not t.is_alive(), f"{fn.__name__} did not return within {TIME_LIMIT_S} s"
    exc = box.get("error")
    if exc is None:
        return box["value"]
    assert isinstance(exc, (ValueError, TypeError)), f"{type(exc).__name__}: {exc}"
    if names:
        assert any(f"`{n}`" in str(exc) for n in names), str(exc)
    return exc


_SPECIAL = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-300, 1e300, -1.0, 0.5, 3.0, 1e5]
scalars = st.one_of(st.sampled_from(_SPECIAL), st.floats(allow_nan=True, allow_infinity=True),
                    st.integers(-10, 10 ** 6))


@st.composite
def odd_arrays(draw, min_dims=0, max_dims=2):
    """Arrays of awkward kinds: empty, 0-d, strided, big-endian, float16/32, int, bool,
    complex, object, lists and tuples."""
    shape = draw(st.lists(st.integers(0, 4), min_size=min_dims, max_size=max_dims))
    vals = np.array(draw(st.lists(scalars, min_size=int(np.prod(shape)),
                                  max_size=int(np.prod(shape)))), dtype=np.float64)
    a = vals.reshape(shape)
    kind = draw(st.sampled_from(["f8", "f4", "f2", ">f8", "i8", "bool", "c16", "object",
                                 "strided", "list", "tuple"]))
    with np.errstate(all="ignore"):
        if kind == "strided":
            return np.repeat(a, 2, axis=-1)[..., ::2] if a.ndim else a
        if kind == "list":
            return a.tolist()
        if kind == "tuple":
            return tuple(a.ravel().tolist())
        if kind in ("i8", "bool"):
            return np.nan_to_num(a, posinf=7, neginf=-7).clip(-1e6, 1e6).astype(kind)
        return a.astype(kind)


def _real_float_kinds(a):
    return np.asarray(a).dtype.kind in "biuf"


@FUZZ
@given(v=odd_arrays(), x=odd_arrays())
def test_special_functions(v, x):
    from solvers.special import iv_ratio, log_iv, log_kv

    for fn in (log_iv, log_kv, iv_ratio):
        out = _call(fn, v, x, names=("v", "x"))
        if isinstance(out, Exception):
            continue
        assert _real_float_kinds(v) and _real_float_kinds(x)
        assert np.asarray(out).shape == np.broadcast_shapes(np.shape(v), np.shape(x))


@FUZZ
@given(x=odd_arrays(1, 2), kappa=scalars, p=st.integers(2, 6))
def test_vmf(x, kappa, p):
    from solvers.stats import vonmises_fisher

    mu = np.zeros(p)
    mu[0] = 1.0
    dist = _call(vonmises_fisher, mu, kappa, names=("kappa",))
    if isinstance(dist, Exception):
        return
    _call(dist.logpdf, x, names=("x",))
    _call(vonmises_fisher.fit, x, names=("x",))
    _call(dist.rvs, 3, rng=0)


@FUZZ
@given(b=odd_arrays(1, 2), rtol=scalars, maxiter=st.integers(-2, 30))
def test_multigrid(b, rtol, maxiter):
    from solvers.multigrid import GeometricMultigrid, poisson

    M = GeometricMultigrid(poisson((7, 7)))
    _call(M.solve, b, rtol=rtol, maxiter=maxiter, names=("b", "rtol", "maxiter"))


@FUZZ
@given(shape=st.one_of(st.integers(-3, 9), st.lists(st.integers(-2, 9), max_size=4)))
def test_multigrid_builders(shape):
    from solvers.multigrid import poisson

    _call(poisson, shape, names=("shape",))


@FUZZ
@given(f=odd_arrays(1, 1), shift=scalars)
def test_linalg(f, shift):
    from solvers.linalg import KroneckerSumSolver, solve_kronecker_sum

    factors = [np.eye(2) * 2, np.eye(3) * 3]
    _call(solve_kronecker_sum, factors, f, shift, names=("rhs", "shift", "factors"))
    S = _call(KroneckerSumSolver, factors, shift=shift, names=("shift",))
    if not isinstance(S, Exception):
        _call(S.solve, f, names=("rhs",))


@FUZZ
@given(x0=odd_arrays(0, 1), gtol=scalars, maxiter=st.integers(-1, 20))
def test_minimize_gns(x0, gtol, maxiter):
    from scipy.optimize import rosen, rosen_der, rosen_hess

    from solvers.optimize import minimize_gns

    with np.errstate(all="ignore"):
        _call(minimize_gns, rosen, x0, jac=rosen_der, hess=rosen_hess, gtol=gtol,
              maxiter=maxiter, names=("x0", "gtol", "maxiter"))


def test_mixed_libraries_are_a_type_error():
    array_api_strict = pytest.importorskip("array_api_strict")
    from solvers.special import log_iv

    exc = _call(log_iv, np.ones(2), array_api_strict.asarray([1.0, 2.0]))
    assert isinstance(exc, TypeError)


def test_array_like_inputs_give_numpy():
    from solvers.special import log_iv
    from solvers.stats import vonmises_fisher

    out = log_iv([0.5, 3.0], (0.1, 2.0))
    assert isinstance(out, np.ndarray) and out.shape == (2,)
    np.testing.assert_array_equal(out, log_iv(np.array([0.5, 3.0]), np.array([0.1, 2.0])))
    assert isinstance(vonmises_fisher([1.0, 0.0, 0.0], 2.0).logpdf([[0.0, 1.0, 0.0]]),
                      np.ndarray)
