"""Validation of structured-grid shapes, shared by ``solvers.multigrid`` and ``solvers.mgno``."""

from __future__ import annotations

import operator

import numpy as np

__all__ = ["validate_grid_shape"]


def validate_grid_shape(grid_shape, name="grid_shape"):
    """Return ``grid_shape`` as a tuple of 1 to 3 positive ints, else raise."""
    if isinstance(grid_shape, (int, np.integer)):
        grid_shape = (grid_shape,)
    try:
        shape = tuple(operator.index(n) for n in grid_shape)
    except TypeError:
        raise TypeError(f"`{name}` must be an int or a tuple of ints, got {grid_shape!r}") from None
    if not 1 <= len(shape) <= 3:
        raise ValueError(f"`{name}` must have 1, 2 or 3 dimensions, got {shape}")
    if any(n < 1 for n in shape):
        raise ValueError(f"`{name}` must contain positive sizes, got {shape}")
    return shape
