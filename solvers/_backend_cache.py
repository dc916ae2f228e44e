"""Numba's on-disk kernel cache: fall back to a writable folder, warn once (issue 20).

The Numba kernels are compiled with ``cache=True``. Numba keeps the cache next to the
sources (``__pycache__``), else in ``NUMBA_CACHE_DIR`` when set, else in a user-wide
folder; when none is writable (a read-only install with no writable home) it raises
``RuntimeError`` at import, and an unwritable ``NUMBA_CACHE_DIR`` is passed over silently.
:func:`ensure_numba_cache` runs once when ``solvers`` is imported, before any kernel module:
it asks Numba's own cache locators whether every kernel folder of the package can be cached,
and if not points Numba at a writable folder under the system temporary directory and warns
once (``NumbaCacheWarning``). If even that is unwritable, compiled kernels are not cached
(each process compiles them again, ~4 s for the special functions) but import still works.
"""

from __future__ import annotations

import os
import tempfile
import warnings

__all__ = ["NumbaCacheWarning", "ensure_numba_cache"]

_DONE = False


class NumbaCacheWarning(RuntimeWarning):
    """Numba's kernel cache could not be kept where Numba looks first."""


def _probe():  # a function for Numba's locators to look at (only its line number is used)
    pass


def _kernel_folders():
    here = os.path.dirname(os.path.abspath(__file__))
    for name in sorted(os.listdir(here)):
        init = os.path.join(here, name, "__init__.py")
        if os.path.isfile(init):
            yield init


def _cache_impl():
    from numba.core import caching

    # public name since Numba 0.62, private before
    return getattr(caching, "CacheImpl", None) or getattr(caching, "_CacheImpl")


def _locator(py_file):
    """The class name of the locator Numba would use for ``py_file``, or ``None``."""
    for cls in _cache_impl()._locator_classes:
        try:
            if cls.from_function(_probe, py_file) is not None:
                return cls.__name__
        except Exception:   # a locator that cannot handle the probe: Numba would skip it too
            continue
    return None


def _writable(path):
    try:
        os.makedirs(path, exist_ok=True)
        tempfile.TemporaryFile(dir=path).close()
        return True
    except OSError:
        return False


def ensure_numba_cache():
    """Make sure Numba has a writable cache folder for this package (idempotent)."""
    global _DONE
    if _DONE:
        return
    _DONE = True
    try:
        from numba.core import config
    except ImportError:   # pragma: no cover - numba is a dependency
        return
    user_dir = config.CACHE_DIR
    if user_dir and _writable(user_dir):
        return
    found = [_locator(f) for f in _kernel_folders()]
    if not user_dir and all(found):
        return
    fallback = os.path.join(tempfile.gettempdir(), f"solvers-numba-cache-{os.getuid()}"
                            if hasattr(os, "getuid") else "solvers-numba-cache")
    if user_dir:
        reason = f"NUMBA_CACHE_DIR={user_dir!r} is not writable"
    else:
        reason = ("the package folder is read-only and there is no writable user cache "
                  "folder")
    if _writable(fallback):
        config.CACHE_DIR = fallback
        where = f"compiled kernels are cached in {fallback!r} instead"
    else:
        # nothing writable: a locator that never stores, so that import still works
        config.CACHE_DIR = ""
        _install_no_cache_locator()
        where = "compiled kernels are not cached (each process compiles them again)"
    warnings.warn(f"solvers: {reason}; {where}", NumbaCacheWarning, stacklevel=3)


def _install_no_cache_locator():
    from numba.core.caching import _CacheLocator

    impl = _cache_impl()

    class _NoCacheLocator(_CacheLocator):
        """Always available; saves to a fresh private temporary folder if it can, else
        Numba's save fails and is ignored (Numba only warns on failed cache writes)."""

        def __init__(self, py_func, py_file):
            self._py_file = py_file
            self._lineno = py_func.__code__.co_firstlineno

        def ensure_cache_path(self):
            pass

        def get_cache_path(self):
            return os.path.join(os.sep, "nonexistent-solvers-numba-cache")

        def get_source_stamp(self):
            return None

        def get_disambiguator(self):
            return str(self._lineno)

        @classmethod
        def from_function(cls, py_func, py_file):
            return cls(py_func, py_file)

    impl._locator_classes = list(impl._locator_classes) + [_NoCacheLocator]
