"""The backend layer (solvers._backend): lookup, kernel registry, linear algebra, random,
scatter helpers, pickling and registering a new backend."""

import pickle
import threading
import types

import numpy as np
import pytest

import solvers.multigrid  # noqa: F401  (each subpackage registers its kernels on import)
import solvers.optimize  # noqa: F401
import solvers.special  # noqa: F401
import solvers.stats  # noqa: F401
from solvers._array_api import from_numpy, to_numpy, xp_assert_close, xp_assert_equal
from solvers._backend import (
    Backend, GenericBackend, backend_for, register_backend, register_kernel, registered_kernels,
)


def test_one_cached_backend_per_namespace(xp):
    b = backend_for(xp)
    assert b is backend_for(xp)
    assert b.name in ("numpy", "cupy", "generic")
    with pytest.raises(AttributeError):
        b.name = "other"


def test_backend_pickles_by_name(xp):
    b = backend_for(xp)
    assert pickle.loads(pickle.dumps(b)) is b


def test_backend_lookup_is_thread_safe(xp):
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(backend_for(xp).kernel(
        "special.log_iv"))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(map(id, seen))) == 1


def test_kernel_lookup_picks_the_backend_implementation(xp):
    from solvers.special import _logbessel_generic, _logbessel_sorted

    b = backend_for(xp)
    kernel = b.kernel("special.log_iv")
    if b.name == "numpy":
        assert kernel is _logbessel_sorted.log_iv
    elif b.name == "generic":
        assert kernel is _logbessel_generic.log_iv
    # a kernel without an entry for this backend falls back to the generic one
    assert b.kernel("multigrid.to_padded") is not None


def test_registry_lists_every_subpackage():
    import importlib

    for sub in ("special", "multigrid", "mgno", "optimize", "stats"):
        importlib.import_module(f"solvers.{sub}")   # a subpackage registers on import
    names = registered_kernels()
    for prefix in ("special.", "multigrid.", "mgno.", "optimize.", "stats."):
        assert any(n.startswith(prefix) for n in names), prefix
    with pytest.raises(KeyError, match="no implementation"):
        backend_for(np).kernel("special.no_such_kernel")


def test_registering_a_backend_needs_no_subpackage_edit():
    """A new library (here a fake namespace over NumPy) is one register_backend call."""
    fake = types.ModuleType("fake_array_library")
    for name in ("asarray", "float64", "linalg", "matrix_transpose", "eye", "astype"):
        setattr(fake, name, getattr(np, name, None))

    class FakeBackend(GenericBackend):
        name = "fake"
        fallbacks = ("generic",)

    register_backend("fake", FakeBackend, lambda xp: xp is fake)
    register_kernel("test.double", generic=lambda xp, a: 2 * a,
                    fake="solvers._array_api:to_numpy")
    b = backend_for(fake)
    assert isinstance(b, FakeBackend)
    assert b.kernel("test.double") is to_numpy            # its own entry, imported lazily
    assert b.kernel("special.log_iv") is backend_for(types.ModuleType("another_library")).kernel("special.log_iv")


def test_linear_algebra_matches_numpy(xp):
    rng = np.random.default_rng(0)
    A = rng.standard_normal((5, 5))
    S = A @ A.T + 5 * np.eye(5)
    b = rng.standard_normal((5, 2))
    be = backend_for(xp)
    Sx, bx = from_numpy(S, xp), from_numpy(b, xp)
    L = be.cholesky(Sx)
    xp_assert_close(L @ xp.matrix_transpose(L), Sx, rtol=1e-13)
    xp_assert_close(be.cho_solve(L, bx), from_numpy(np.linalg.solve(S, b), xp), rtol=1e-12)
    xp_assert_close(be.solve_triangular(L, bx[:, 0]),
                    from_numpy(np.linalg.solve(to_numpy(L), b[:, 0]), xp), rtol=1e-12)
    xp_assert_close(be.solve(Sx, bx), from_numpy(np.linalg.solve(S, b), xp), rtol=1e-12)
    w, V = be.eigh(Sx)
    xp_assert_close(w, from_numpy(np.linalg.eigvalsh(S), xp), rtol=1e-12)
    w, V = be.eig(from_numpy(A, xp))
    np.testing.assert_allclose(to_numpy(from_numpy(A, xp) @ V), to_numpy(V * w[None, :]),
                               atol=1e-12)
    op = be.linear_operator((5, 5), Sx.dtype, lambda v: Sx @ v)
    xp_assert_close(op @ bx[:, 0], Sx @ bx[:, 0])


def test_random_and_scatter_helpers(xp):
    be = backend_for(xp)
    z = be.random_normal(np.random.default_rng(3), (4, 3))
    xp_assert_equal(z, from_numpy(np.random.default_rng(3).standard_normal((4, 3)), xp))
    u = be.random_uniform(np.random.default_rng(3), (7,), 2.0, 5.0)
    assert bool(xp.all((u >= 2.0) & (u < 5.0)))
    U = from_numpy(np.arange(12.0).reshape(4, 3), xp)
    idx = from_numpy(np.array([2, 0]), xp)
    rows = from_numpy(-np.ones((2, 3)), xp)
    expect = np.arange(12.0).reshape(4, 3)
    expect[[2, 0]] = -1.0
    xp_assert_equal(be.put(U, idx, rows), from_numpy(expect, xp))
    added = np.arange(12.0).reshape(4, 3)
    np.add.at(added, [1, 1], -1.0)
    idx = from_numpy(np.array([1, 1]), xp)
    xp_assert_equal(be.index_add(U, idx, rows), from_numpy(added, xp))
    M = from_numpy(np.zeros((3, 3)), xp)
    xp_assert_equal(be.add_diagonal(M, 2.0), from_numpy(2 * np.eye(3), xp))
    xp_assert_equal(M, from_numpy(np.zeros((3, 3)), xp))   # not modified


def test_base_class_is_the_generic_path():
    assert issubclass(GenericBackend, Backend)
    assert backend_for(types.ModuleType("another_library")).name == "generic"
