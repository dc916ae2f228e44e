"""Shared fixtures: the ``xp`` fixture runs a test over every backend present."""

import importlib

import numpy as np
import pytest

from array_api_compat import numpy as np_compat

_BACKENDS = []
_BACKENDS.append(pytest.param(np_compat, id="numpy"))
try:
    import array_api_strict

    _BACKENDS.append(pytest.param(array_api_strict, id="array_api_strict"))
except ImportError:  # pragma: no cover
    _BACKENDS.append(pytest.param(None, id="array_api_strict",
                                  marks=pytest.mark.skip(reason="array_api_strict not installed")))


def _cupy_param():
    try:
        cp = importlib.import_module("cupy")
        cp.cuda.runtime.getDeviceCount()
        from array_api_compat import cupy as cp_compat

        return pytest.param(cp_compat, id="cupy")
    except Exception:  # ImportError, or no CUDA device
        return pytest.param(None, id="cupy", marks=pytest.mark.skip(reason="cupy/GPU not available"))


_BACKENDS.append(_cupy_param())


@pytest.fixture(params=_BACKENDS)
def xp(request):
    """Array namespace: numpy, array_api_strict, cupy (skipped when absent)."""
    return request.param


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


def pytest_collection_modifyitems(config, items):
    # keep long cases last so quick feedback comes first
    items.sort(key=lambda it: 1 if it.get_closest_marker("slow") else 0)
