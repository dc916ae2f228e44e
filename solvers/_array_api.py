"""The one module that knows about array backends.

Every public function of the library dispatches in the same way::

    xp = array_namespace(x, y)
    if is_numpy_namespace(xp):   # Numba kernel (fast CPU path)
        ...
    elif is_cupy_namespace(xp):  # CuPy kernel, imported lazily
        ...
    else:                        # generic path written with the array-API standard
        ...

CuPy is never imported at module import time.
"""

from __future__ import annotations

import importlib
import math
import numbers
import types

import numpy as np
import array_api_compat
from array_api_compat import numpy as _np_compat

__all__ = [
    "array_namespace",
    "is_numpy_namespace",
    "is_cupy_namespace",
    "is_array_api_strict_namespace",
    "same_namespace",
    "namespace_name",
    "namespace_from_name",
    "PicklesNamespace",
    "device",
    "to_device",
    "to_numpy",
    "from_numpy",
    "result_float_dtype",
    "as_float_array",
    "xp_assert_close",
    "xp_assert_equal",
]

_SCALAR_TYPES = (numbers.Number, np.generic)
_NUMPY_FAST_TYPES = (np.ndarray, numbers.Number, np.generic)  # ndarray subclasses included
# array_like inputs as SciPy takes them: like Python scalars they do not constrain the
# namespace (alone they mean NumPy; next to a CuPy array, CuPy) and are converted by asarray
_SEQUENCE_TYPES = (list, tuple)


def array_namespace(*arrays):
    """Return the array-API namespace shared by ``arrays``.

    NumPy arrays, NumPy scalars, Python scalars and ``None`` take a fast path
    that returns ``array_api_compat.numpy`` without calling into
    array-api-compat. Anything else is delegated to
    :func:`array_api_compat.array_namespace`.

    Parameters
    ----------
    *arrays : array_like or scalar or None
        The inputs. Python scalars, lists, tuples and ``None`` do not constrain the
        namespace (alone they give NumPy, as in SciPy); callers convert them with
        ``xp.asarray``.

    Returns
    -------
    xp : module
        The namespace (``array_api_compat.numpy`` for NumPy inputs or when
        every input is a scalar).

    Raises
    ------
    TypeError
        If the inputs come from more than one array library; the message names them.

    Examples
    --------
    >>> import numpy as np
    >>> from solvers._array_api import array_namespace, is_numpy_namespace
    >>> is_numpy_namespace(array_namespace(np.ones(3), 2.0))
    True
    """
    for a in arrays:
        if (a is not None and type(a) is not np.ndarray
                and not isinstance(a, _NUMPY_FAST_TYPES + _SEQUENCE_TYPES)):
            break  # a non-NumPy array: let array-api-compat decide
    else:
        return _np_compat
    arrays_in = [a for a in arrays
                 if a is not None and not isinstance(a, (numbers.Number,) + _SEQUENCE_TYPES)]
    try:
        return array_api_compat.array_namespace(*arrays_in)
    except TypeError as exc:
        libraries = sorted({_library_name(a) for a in arrays_in})
        if len(libraries) > 1:
            raise TypeError(
                "arrays from different array libraries cannot be mixed: got "
                + " and ".join(libraries)
            ) from exc
        raise


def _library_name(a):
    module = type(a).__module__.split(".")[0]
    return module


def namespace_name(xp):
    """The importable module name of namespace ``xp`` (``None`` stays ``None``): what
    objects store instead of the module so that they pickle."""
    return None if xp is None else xp.__name__


def namespace_from_name(name):
    """The namespace stored by :func:`namespace_name` (imported again; ``None`` stays)."""
    if name is None:
        return None
    return importlib.import_module(name)


class _NamespaceName(str):
    """A namespace's module name inside a pickled state (see :class:`PicklesNamespace`)."""

    __slots__ = ()


class PicklesNamespace:
    """Mixin for objects that keep their array namespace in an attribute (``_xp``, ``xp``):
    every module-valued attribute pickles as its module name (:func:`namespace_name`) and is
    imported again on unpickling; the module itself is never pickled.
    """

    __slots__ = ()

    def __getstate__(self):
        state = self.__dict__.copy()
        for key, value in state.items():
            if isinstance(value, types.ModuleType):
                state[key] = _NamespaceName(namespace_name(value))
        return state

    def __setstate__(self, state):
        state = {key: namespace_from_name(str(value)) if isinstance(value, _NamespaceName)
                 else value for key, value in state.items()}
        self.__dict__.update(state)


def is_numpy_namespace(xp):
    """True if ``xp`` is NumPy (plain or the array-api-compat wrapper)."""
    return xp is _np_compat or array_api_compat.is_numpy_namespace(xp)


def is_cupy_namespace(xp):
    """True if ``xp`` is CuPy (plain or the array-api-compat wrapper)."""
    return array_api_compat.is_cupy_namespace(xp)


def is_array_api_strict_namespace(xp):
    """True if ``xp`` is ``array_api_strict``."""
    return array_api_compat.is_array_api_strict_namespace(xp)


def same_namespace(xp, other):
    """True if namespaces ``xp`` and ``other`` belong to the same array library."""
    return xp is other or (is_numpy_namespace(xp) and is_numpy_namespace(other))


def device(x):
    """Device of array ``x`` (``"cpu"`` for NumPy arrays)."""
    return array_api_compat.device(x)


def to_device(x, device, /, *, stream=None):
    """Copy ``x`` to ``device`` (portable ``x.to_device``)."""
    return array_api_compat.to_device(x, device, stream=stream)


def to_numpy(x):
    """Return a NumPy array with the values of ``x`` (a host copy for device arrays).

    Meant for tests, plotting and small host-side computations, never for hot paths.
    """
    if isinstance(x, np.ndarray):
        return x
    if isinstance(x, _SCALAR_TYPES):
        return np.asarray(x)
    if array_api_compat.is_cupy_array(x):
        return x.get()
    if array_api_compat.is_torch_array(x):
        return x.detach().cpu().numpy()
    try:
        return np.from_dlpack(x)
    except (TypeError, RuntimeError, BufferError, AttributeError):
        return np.asarray(x)


def from_numpy(a, xp, *, like=None):
    """Move NumPy array ``a`` into namespace ``xp`` (on the device of ``like`` if given)."""
    if is_numpy_namespace(xp):
        return np.asarray(a)
    if like is not None:
        return xp.asarray(a, device=device(like))
    return xp.asarray(a)


def result_float_dtype(xp, *arrays, allow_float32=True):
    """Floating dtype for a computation on ``arrays`` (the float-dtype policy).

    Integers and booleans promote to float64; float32 stays float32 when
    ``allow_float32`` is true (else float64); complex inputs give complex128
    (complex64 with ``allow_float32``). Python scalars do not affect the result.
    """
    is_complex = False
    all_single = True
    seen = False
    for a in arrays:
        if a is None or isinstance(a, numbers.Number):
            if isinstance(a, complex):
                is_complex = True
            continue
        seen = True
        dt = a.dtype
        if xp.isdtype(dt, "complex floating"):
            is_complex = True
            if dt != xp.complex64:
                all_single = False
        elif xp.isdtype(dt, "real floating"):
            if dt != xp.float32:
                all_single = False
        else:
            all_single = False
    single = allow_float32 and seen and all_single
    if is_complex:
        return xp.complex64 if single else xp.complex128
    return xp.float32 if single else xp.float64


def as_float_array(x, xp=None, *, name="x", allow_float32=True, allow_complex=False,
                   finite=False):
    """Convert ``x`` to a floating array of namespace ``xp`` following the dtype policy.

    Parameters
    ----------
    x : array_like
        Input (array of any array-API library, nested sequence or scalar).
    xp : namespace, optional
        Target namespace; inferred from ``x`` when omitted.
    name : str
        Argument name used in error messages.
    allow_float32 : bool
        Keep float32 input as float32.
    allow_complex : bool
        Accept complex input (else ``TypeError``).
    finite : bool
        Raise ``ValueError`` if any entry is NaN or infinite.
    """
    if xp is None:
        xp = array_namespace(x)
    if not hasattr(x, "dtype") or isinstance(x, np.generic):
        x = xp.asarray(x)
    if xp.isdtype(x.dtype, "complex floating") and not allow_complex:
        raise TypeError(f"`{name}` must be real, got dtype {x.dtype}")
    if not xp.isdtype(x.dtype, ("bool", "integral", "real floating", "complex floating")):
        raise TypeError(f"`{name}` must be numeric, got dtype {x.dtype}")
    dtype = result_float_dtype(xp, x, allow_float32=allow_float32)
    if x.dtype != dtype:
        x = xp.astype(x, dtype)
    if finite and not bool(xp.all(xp.isfinite(x))):
        raise ValueError(f"`{name}` must contain only finite values (found NaN or inf)")
    return x


# --------------------------------------------------------------------------- testing helpers


def _check_meta(actual, desired, check_namespace, check_dtype, check_shape):
    xp_a = array_namespace(actual)
    if check_namespace:
        xp_d = array_namespace(desired)
        same = (xp_a is xp_d) or (is_numpy_namespace(xp_a) and is_numpy_namespace(xp_d))
        assert same, f"namespaces differ: actual {xp_a.__name__}, desired {xp_d.__name__}"
    if check_dtype:
        da, dd = getattr(actual, "dtype", None), getattr(desired, "dtype", None)
        assert str(da) == str(dd), f"dtypes differ: actual {da}, desired {dd}"
    if check_shape:
        sa, sd = tuple(getattr(actual, "shape", ())), tuple(getattr(desired, "shape", ()))
        assert sa == sd, f"shapes differ: actual {sa}, desired {sd}"


def _default_rtol(actual):
    dt = to_numpy(actual).dtype
    if np.issubdtype(dt, np.inexact):
        return 4 * math.sqrt(np.finfo(dt).eps)
    return 0.0


def xp_assert_close(actual, desired, *, rtol=None, atol=0.0, check_namespace=True,
                    check_dtype=True, check_shape=True, equal_nan=True, err_msg=""):
    """Assert ``actual`` and ``desired`` have the same namespace, dtype and shape, then close values.

    The default ``rtol`` is ``4 * sqrt(eps)`` of ``actual``'s dtype.
    """
    _check_meta(actual, desired, check_namespace, check_dtype, check_shape)
    a, d = to_numpy(actual), to_numpy(desired)
    if rtol is None:
        rtol = _default_rtol(actual)
    np.testing.assert_allclose(a, d, rtol=rtol, atol=atol, equal_nan=equal_nan, err_msg=err_msg)


def xp_assert_equal(actual, desired, *, check_namespace=True, check_dtype=True,
                    check_shape=True, err_msg=""):
    """Assert same namespace, dtype, shape and exactly equal values."""
    _check_meta(actual, desired, check_namespace, check_dtype, check_shape)
    np.testing.assert_array_equal(to_numpy(actual), to_numpy(desired), err_msg=err_msg)
