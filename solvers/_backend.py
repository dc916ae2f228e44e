"""The backend layer: what the library needs from an array namespace, in one place.

DESIGN
------
``backend_for(xp)`` maps an array namespace to a small immutable :class:`Backend` (one per
namespace, cached). Subpackages never ask "is this NumPy?"; they ask the backend for

* linear algebra: ``cholesky``, ``cho_solve``, ``solve_triangular``, ``solve``, ``eigh``,
  ``eig`` (on the host where the standard has none, the result moved back to the device) and
  ``linear_operator`` (SciPy's LinearOperator for NumPy, cupyx's for CuPy, else
  :class:`ArrayLinearOperator`);
* random numbers drawn from a ``numpy.random.Generator`` into the namespace and device
  (``random_normal``, ``random_uniform``; ``device_generator`` for a generator native to the
  device where the library has one);
* functional scatter/gather helpers (``add_diagonal``, ``put``, ``index_add``, ``asarray``)
  where NumPy would assign items in place and the standard cannot;
* kernels, by name, from the registry: ``backend_for(xp).kernel("special.log_iv")``;
* ``map_batch``: a stacked batch of independent problems (many right-hand sides) solved
  item by item in memory, or lazily per chunk of the leading axis on dask.

Kernel registry. Each subpackage registers its implementations once (in its ``_register.py``,
imported by its ``__init__``)::

    register_kernel("special.log_iv",
                    numpy="solvers.special._logbessel_numba:log_iv",
                    cupy="solvers.special._logbessel_cupy:log_iv",
                    generic="solvers.special._logbessel_generic:log_iv")

An implementation is a callable or a ``"module:attribute"`` string imported on first use (so
CuPy kernels are never imported at module import time). All implementations of one kernel
share one signature, fixed by the subpackage. A lookup tries the backend's own name, then its
``fallbacks`` in order (every backend ends with ``"generic"``): a CuPy lookup of a kernel with
no CuPy entry gets the generic array-API implementation.

Adding a backend (dask arrays next)
-----------------------------------
1. Subclass :class:`Backend` (usually :class:`GenericBackend`), set ``name`` and
   ``fallbacks`` and override only what the library does better than the array-API standard
   (a dask backend would set ``fallbacks = ("generic",)`` and override ``cholesky``/``solve``
   with ``dask.array.linalg``).
2. ``register_backend("dask", DaskBackend, matches=lambda xp: ...)`` with a predicate on the
   namespace (import the library lazily inside it or test ``xp.__name__``).
3. Optionally register per-kernel entries under the new name, e.g. a wrapper that maps the
   NumPy kernel over chunks (``dask=lambda *a: map_blocks(numpy_kernel, *a)``).
No subpackage is edited.

Thread safety and pickling: backends hold the namespace and nothing mutable; the kernel cache
only ever gains entries (under a lock). A backend pickles by name (the namespace's module
name), never by module object.
"""

from __future__ import annotations

import contextlib
import importlib
import numbers
import threading

import numpy as np

from . import _array_api as _aa

__all__ = [
    "Backend",
    "NumpyBackend",
    "CupyBackend",
    "GenericBackend",
    "ArrayLinearOperator",
    "backend_for",
    "register_backend",
    "register_kernel",
    "registered_kernels",
    "batch_item_shape",
    "is_lazy",
]

_LOCK = threading.Lock()
_KERNELS: dict = {}          # kernel name -> {backend name: callable or "module:attr"}
_RESOLVED: dict = {}         # (kernel name, backend name) -> callable (grow-only cache)
_BACKEND_TYPES: list = []    # (name, class, predicate) tried in order; generic last
_BACKENDS: dict = {}         # namespace -> Backend (grow-only cache)


# --------------------------------------------------------------------------- kernel registry


def register_kernel(name, **implementations):
    """Register implementations of kernel ``name`` by backend name.

    Parameters
    ----------
    name : str
        Dotted kernel name, ``"<subpackage>.<kernel>"``.
    **implementations : callable or str
        ``numpy=``, ``cupy=``, ``generic=`` (or any registered backend name): a callable or a
        ``"module:attribute"`` string imported lazily. Registering again replaces entries.
    """
    with _LOCK:
        entry = dict(_KERNELS.get(name, {}))
        entry.update(implementations)
        _KERNELS[name] = entry
        for key in implementations:
            _RESOLVED.pop((name, key), None)


def registered_kernels():
    """Sorted names of the registered kernels."""
    return sorted(_KERNELS)


def _resolve(name, key):
    impl = _RESOLVED.get((name, key))
    if impl is not None:
        return impl
    spec = _KERNELS.get(name, {}).get(key)
    if spec is None:
        return None
    if isinstance(spec, str):
        module, _, attr = spec.partition(":")
        impl = getattr(importlib.import_module(module), attr)
    else:
        impl = spec
    with _LOCK:
        _RESOLVED[(name, key)] = impl
    return impl


def _ensure_registered(name):
    """Import the subpackage that registers ``name`` (``"special.log_iv"`` -> solvers.special)."""
    if name not in _KERNELS and "." in name:
        importlib.import_module("solvers." + name.split(".", 1)[0])


# --------------------------------------------------------------------------- LinearOperator


class ArrayLinearOperator:
    """A minimal LinearOperator for any array-API library.

    Parameters
    ----------
    shape : tuple of int
        ``(m, n)``.
    dtype : dtype
    matvec : callable
        ``x -> A @ x`` on 1-D arrays.
    rmatvec : callable, optional
        ``x -> A^H @ x``.

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.linalg import ArrayLinearOperator
    >>> A = ArrayLinearOperator((2, 2), np.float64, lambda x: 2 * x)
    >>> A @ np.ones(2)
    array([2., 2.])
    """

    def __init__(self, shape, dtype, matvec, rmatvec=None):
        self.shape = tuple(shape)
        self.dtype = dtype
        self._matvec = matvec
        self._rmatvec = rmatvec

    def matvec(self, x):
        return self._matvec(x)

    def rmatvec(self, x):
        if self._rmatvec is None:
            raise NotImplementedError("rmatvec is not defined for this operator")
        return self._rmatvec(x)

    def __matmul__(self, x):
        return self._matvec(x)

    __call__ = matvec

    def __repr__(self):
        return f"<{self.shape[0]}x{self.shape[1]} ArrayLinearOperator with dtype={self.dtype}>"


# --------------------------------------------------------------------------- backends


def _backend_from_name(name, module_name):
    """Unpickle a backend: re-import its namespace and look the backend up again."""
    backend = backend_for(importlib.import_module(module_name))
    if backend.name != name:
        raise RuntimeError(f"namespace {module_name} now maps to backend {backend.name!r}, "
                           f"not {name!r}")
    return backend


class Backend:
    """What the library needs from one array namespace (see the module docstring).

    The base class is the generic array-API implementation; subclasses override what their
    library does better. Instances are immutable: ``xp`` and class attributes only.
    """

    name = "generic"
    fallbacks = ()
    # True where small parameters may be NumPy next to data of this library (dask)
    host_parameters = False

    def __init__(self, xp):
        object.__setattr__(self, "xp", xp)

    def __setattr__(self, key, value):
        raise AttributeError("Backend objects are immutable")

    def __reduce__(self):
        return (_backend_from_name, (self.name, self.xp.__name__))

    def __repr__(self):
        return f"<Backend {self.name!r} for {self.xp.__name__}>"

    # -- kernels ---------------------------------------------------------------------------
    def kernel(self, name):
        """The implementation of kernel ``name`` for this backend (see the module docstring)."""
        _ensure_registered(name)
        for key in (self.name,) + self.fallbacks:
            impl = _resolve(name, key)
            if impl is not None:
                return impl
        raise KeyError(f"no implementation of kernel {name!r} for backend {self.name!r} "
                       f"(registered: {sorted(_KERNELS.get(name, {}))})")

    # -- conversion ------------------------------------------------------------------------
    def asarray(self, a, like=None):
        """Array ``a`` of NumPy or of this library as an array of this namespace (on the
        device of ``like`` if given)."""
        return _aa.from_numpy(_aa.to_numpy(a), self.xp, like=like)

    def errstate(self):
        """Context that silences floating-point warnings of this library (where it has any)."""
        return contextlib.nullcontext()

    def scalar_result(self, out):
        """A 0-d result as the library returns scalars (NumPy: a NumPy scalar, like SciPy;
        elsewhere the 0-d array itself)."""
        return out

    # -- batches of independent problems -----------------------------------------------------
    def map_batch(self, fn, shared, batch, *aligned, item_shape, dtype, info=False, **kwargs):
        """Solve a stacked batch of independent problems (leading axis = batch).

        ``fn(shared, block, *aligned_blocks, info=info, **kwargs)`` solves the items of
        ``block`` (and of the arrays ``aligned`` with the same leading axis) and returns
        ``(solutions, infos)``: an array ``(m,) + item_shape`` and a list of ``m``
        per-item results (``None`` when ``info`` is false). In memory it is called once on
        the whole batch; the dask backend calls it lazily on every chunk of the leading
        axis. Returns ``solutions``, or ``(solutions, infos)`` with ``info``.
        """
        out, infos = fn(shared, batch, *aligned, info=info, **kwargs)
        return (out, infos) if info else out

    # -- linear algebra --------------------------------------------------------------------
    def cholesky(self, a, *, overwrite_a=False):
        """Lower Cholesky factor of the symmetric positive definite ``a`` (raises
        ``ValueError``/``ArithmeticError`` subclasses, or returns non-finite entries, when
        ``a`` is not positive definite)."""
        return self.xp.linalg.cholesky(a)

    def solve_triangular(self, a, b, *, lower=True, trans=False):
        """Solve ``a x = b`` (``a^T x = b`` with ``trans``) for triangular ``a``; ``b`` 1-D
        or 2-D."""
        xp = self.xp
        m = xp.matrix_transpose(a) if trans else a
        vector = b.ndim == 1
        x = xp.linalg.solve(m, b[:, None] if vector else b)
        return x[:, 0] if vector else x

    def cho_solve(self, L, b):
        """Solve ``L L^T x = b`` for a lower Cholesky factor ``L`` (``b`` 1-D or 2-D)."""
        y = self.solve_triangular(L, b, lower=True)
        return self.solve_triangular(L, y, lower=True, trans=True)

    def solve(self, a, b):
        """Solve ``a x = b`` (general square ``a``)."""
        return self.xp.linalg.solve(a, b)

    def eigh(self, a):
        """Eigenvalues (ascending) and eigenvectors of the symmetric ``a``."""
        return self.xp.linalg.eigh(a)

    def eig(self, a):
        """Eigenvalues and right eigenvectors of a general square ``a`` (computed with NumPy
        on the host where the library has no ``eig``; complex results on ``a``'s device)."""
        w, v = np.linalg.eig(_aa.to_numpy(a))
        return (_aa.from_numpy(w, self.xp, like=a), _aa.from_numpy(v, self.xp, like=a))

    def linear_operator(self, shape, dtype, matvec, rmatvec=None):
        """The LinearOperator of this library acting by ``matvec`` (and ``rmatvec``)."""
        return ArrayLinearOperator(shape, dtype, matvec, rmatvec)

    # -- random numbers --------------------------------------------------------------------
    def device_generator(self, rng):
        """A generator native to this library's device seeded from the NumPy Generator
        ``rng`` (without advancing it), or ``None`` where the host generator serves."""
        return None

    def owns_generator(self, rng):
        """True if ``rng`` is a random generator of this library other than NumPy's."""
        return False

    def random_normal(self, rng, shape, dtype=None, like=None):
        """Standard normal draws of ``shape`` from ``rng`` (a NumPy Generator, an int seed or
        ``None``, or this library's own generator) as an array of this namespace."""
        if rng is None or isinstance(rng, numbers.Integral):
            rng = np.random.default_rng(rng)
        return self._cast(self.asarray(rng.standard_normal(shape), like=like), dtype)

    def random_uniform(self, rng, shape, low=0.0, high=1.0, dtype=None, like=None):
        """Uniform draws on ``[low, high)`` (see :meth:`random_normal`)."""
        if rng is None or isinstance(rng, numbers.Integral):
            rng = np.random.default_rng(rng)
        return self._cast(self.asarray(rng.uniform(low, high, shape), like=like), dtype)

    def _cast(self, out, dtype):
        if dtype is not None and out.dtype != dtype:
            out = self.xp.astype(out, dtype)
        return out

    # -- scatter / gather ------------------------------------------------------------------
    def add_diagonal(self, A, shift, *, overwrite=False):
        """``A + diag(shift)`` (``shift`` a scalar or a 1-D array); ``A`` is modified only
        where ``overwrite`` and the library allows it."""
        xp = self.xp
        eye = xp.eye(A.shape[0], dtype=A.dtype, device=_aa.device(A))
        if isinstance(shift, (int, float)):
            return A + shift * eye
        return A + eye * shift[None, :]

    def put(self, x, idx, values):
        """Copy of ``x`` with ``x[idx] = values`` along axis 0 (``idx`` distinct integers)."""
        xp = self.xp
        onehot = xp.astype(xp.arange(x.shape[0])[None, :] == idx[:, None], x.dtype)
        keep = 1.0 - xp.sum(onehot, axis=0)
        return x * keep[:, None] + onehot.T @ values if x.ndim == 2 else \
            x * keep + onehot.T @ values

    def index_add(self, x, idx, values):
        """Copy of ``x`` with ``values`` added at rows ``idx`` along axis 0 (repeated indices
        accumulate)."""
        xp = self.xp
        onehot = xp.astype(xp.arange(x.shape[0])[None, :] == idx[:, None], x.dtype)
        return x + onehot.T @ values


class GenericBackend(Backend):
    """Any array-API library: the standard's functions only (the reference path)."""

    name = "generic"
    fallbacks = ()


_SCIPY_BLAS = []             # [threadpoolctl controller of SciPy's own BLAS, or None], lazily
_SCIPY_BLAS_USERS = [0, None]  # [active scoped calls, SciPy's thread count before the first]


def _scipy_blas_controller():
    """threadpoolctl's controller of the BLAS that SciPy loads when it is not NumPy's own
    (wheels ship one OpenBLAS each); ``None`` when they share one or threadpoolctl is absent."""
    if not _SCIPY_BLAS:
        ctl = None
        try:
            import os

            import scipy
            import scipy.linalg  # noqa: F401  (loads SciPy's BLAS)
            from threadpoolctl import ThreadpoolController

            libs = ThreadpoolController().select(user_api="blas")
            scipy_root = os.path.realpath(os.path.dirname(scipy.__file__))  # and scipy.libs
            own = [lib.filepath for lib in libs.lib_controllers
                   if os.path.realpath(lib.filepath).startswith(scipy_root)]
            if own and len(own) < len(libs.lib_controllers):
                ctl = libs.select(filepath=own)
        except Exception:  # threadpoolctl missing or unable to inspect: leave threads alone
            ctl = None
        with _LOCK:
            if not _SCIPY_BLAS:
                _SCIPY_BLAS.append(ctl)
    return _SCIPY_BLAS[0]


@contextlib.contextmanager
def _scipy_blas_one_thread():
    """Run SciPy's BLAS on one thread inside the block (thread-safe, nestable).

    NumPy and SciPy wheels each ship an OpenBLAS with its own thread pool; a threaded SciPy
    LAPACK call right after a NumPy product waits on NumPy's still-spinning threads (measured on
    2 cores: a 151 x 2000 triangular solve 64 ms instead of 27 ms, a 151 x 151 Cholesky up to
    800 ms instead of 0.3 ms). Level-2 calls (one right-hand side) are single-threaded anyway.
    """
    ctl = _scipy_blas_controller()
    if ctl is None:
        yield
        return
    with _LOCK:
        if _SCIPY_BLAS_USERS[0] == 0:
            _SCIPY_BLAS_USERS[1] = [lib.num_threads for lib in ctl.lib_controllers]
            for lib in ctl.lib_controllers:
                lib.set_num_threads(1)
        _SCIPY_BLAS_USERS[0] += 1
    try:
        yield
    finally:
        with _LOCK:
            _SCIPY_BLAS_USERS[0] -= 1
            if _SCIPY_BLAS_USERS[0] == 0:
                for lib, n in zip(ctl.lib_controllers, _SCIPY_BLAS_USERS[1]):
                    lib.set_num_threads(n)


class NumpyBackend(Backend):
    """NumPy: NumPy's LAPACK where it has the routine, SciPy's (on one thread) for triangular
    solves, SciPy's LinearOperator, Numba kernels.

    One BLAS thread pool per hot loop: ``cholesky``, ``eigh`` and ``solve`` use ``numpy.linalg``
    (the OpenBLAS of the products next to them); the triangular solves NumPy lacks call SciPy
    with SciPy's OpenBLAS limited to one thread for matrix right-hand sides (threadpoolctl).
    """

    name = "numpy"
    fallbacks = ("generic",)

    def asarray(self, a, like=None):
        return np.asarray(_aa.to_numpy(a))

    def errstate(self):
        return np.errstate(all="ignore")

    def scalar_result(self, out):
        return out[()] if out.ndim == 0 else out

    def cholesky(self, a, *, overwrite_a=False):
        return np.linalg.cholesky(a)

    def solve_triangular(self, a, b, *, lower=True, trans=False):
        from scipy.linalg import solve_triangular

        if not a.flags.f_contiguous and a.flags.c_contiguous:
            # LAPACK reads Fortran order: the transpose is a view, a copy of `a` is not
            a, lower, trans = a.T, not lower, not trans
        if np.ndim(b) == 1:
            return solve_triangular(a, b, lower=lower, trans="T" if trans else "N",
                                    check_finite=False)
        with _scipy_blas_one_thread():
            return solve_triangular(a, b, lower=lower, trans="T" if trans else "N",
                                    check_finite=False)

    def cho_solve(self, L, b):
        import scipy.linalg

        # NumPy's factor is C-ordered: hand LAPACK its transpose (the upper factor, a
        # Fortran-ordered view) instead of letting SciPy copy d^2 entries per solve
        factor = (L, True) if L.flags.f_contiguous else (L.T, False)
        if np.ndim(b) == 1:
            return scipy.linalg.cho_solve(factor, b, check_finite=False)
        with _scipy_blas_one_thread():
            return scipy.linalg.cho_solve(factor, b, check_finite=False)

    def eigh(self, a):
        return np.linalg.eigh(a)

    def eig(self, a):
        return np.linalg.eig(a)

    def linear_operator(self, shape, dtype, matvec, rmatvec=None):
        from scipy.sparse.linalg import LinearOperator

        return LinearOperator(shape, matvec=matvec, rmatvec=rmatvec, dtype=dtype)

    def add_diagonal(self, A, shift, *, overwrite=False):
        M = A if overwrite else np.array(A, copy=True)
        M.flat[:: A.shape[0] + 1] += shift
        return M

    def put(self, x, idx, values):
        out = np.array(x, copy=True)
        out[idx] = values
        return out

    def index_add(self, x, idx, values):
        out = np.array(x, copy=True)
        np.add.at(out, idx, values)
        return out


class CupyBackend(Backend):
    """CuPy: cupy.linalg, cupyx.scipy (imported lazily), CuPy kernels."""

    name = "cupy"
    fallbacks = ("generic",)

    def asarray(self, a, like=None):
        return self.xp.asarray(a)

    def solve_triangular(self, a, b, *, lower=True, trans=False):
        from cupyx.scipy.linalg import solve_triangular

        return solve_triangular(a, b, lower=lower, trans="T" if trans else "N")

    def linear_operator(self, shape, dtype, matvec, rmatvec=None):
        from cupyx.scipy.sparse.linalg import LinearOperator

        return LinearOperator(shape, matvec=matvec, rmatvec=rmatvec, dtype=dtype)

    def device_generator(self, rng):
        import cupy

        if self.owns_generator(rng):
            return rng
        if isinstance(rng, np.random.Generator):
            # a spawned child seeds the device generator without advancing the host stream
            return cupy.random.default_rng(int(rng.spawn(1)[0].integers(2**62)))
        return cupy.random.default_rng(rng)   # None or an int: the same seed

    def owns_generator(self, rng):
        return type(rng).__module__.startswith("cupy")

    def random_normal(self, rng, shape, dtype=None, like=None):
        if self.owns_generator(rng):
            return self._cast(rng.standard_normal(shape), dtype)
        return super().random_normal(rng, shape, dtype, like)

    def random_uniform(self, rng, shape, low=0.0, high=1.0, dtype=None, like=None):
        if self.owns_generator(rng):
            return self._cast(rng.uniform(low, high, shape), dtype)
        return super().random_uniform(rng, shape, low, high, dtype, like)

    def add_diagonal(self, A, shift, *, overwrite=False):
        M = A if overwrite else A.copy()
        idx = self.xp.arange(A.shape[0])
        M[idx, idx] += shift
        return M

    def put(self, x, idx, values):
        out = self.xp.asarray(x, copy=True)
        out[idx] = values
        return out

    def index_add(self, x, idx, values):
        import cupyx

        out = x.copy()
        cupyx.scatter_add(out, idx, values)
        return out


def is_lazy(a):
    """True for an array whose backend keeps small parameters on the host (dask): such data
    are read chunk by chunk, and the parameters next to them are NumPy."""
    return hasattr(a, "shape") and backend_for(_aa.array_namespace(a)).host_parameters


def batch_item_shape(a, item_shapes):
    """The item shape when the array (or array-like) ``a`` is a stacked batch (one extra
    leading axis) of one of ``item_shapes``, else ``None``. An array shaped like an item is
    never a batch."""
    shape = tuple(-1 if s != s else int(s)                      # NaN: a dask size unknown
                  for s in getattr(a, "shape", None) or np.shape(a))
    items = [tuple(int(s) for s in item) for item in item_shapes]
    if shape in items or len(shape) < 2:
        return None
    return shape[1:] if shape[1:] in items else None


def register_backend(name, cls, matches):
    """Make ``backend_for`` return ``cls(xp)`` for namespaces where ``matches(xp)`` is true.

    Tried in registration order before the generic catch-all; ``cls.name`` must be ``name``.
    """
    if cls.name != name:
        raise ValueError(f"backend class {cls.__name__} has name {cls.name!r}, not {name!r}")
    with _LOCK:
        _BACKEND_TYPES[:] = [t for t in _BACKEND_TYPES if t[0] != name] + [(name, cls, matches)]
        _BACKENDS.clear()


register_backend("numpy", NumpyBackend, _aa.is_numpy_namespace)
register_backend("cupy", CupyBackend, _aa.is_cupy_namespace)


def backend_for(xp):
    """The :class:`Backend` of namespace ``xp`` (one cached instance per namespace)."""
    backend = _BACKENDS.get(xp)
    if backend is not None:
        return backend
    for _, cls, matches in _BACKEND_TYPES:
        if matches(xp):
            break
    else:
        cls = GenericBackend
    backend = cls(xp)
    with _LOCK:
        backend = _BACKENDS.setdefault(xp, backend)
    return backend
