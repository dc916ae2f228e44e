"""Grid transfers on grid-shaped arrays: full-weighting restriction, d-linear interpolation."""

from __future__ import annotations

from .._array_api import array_namespace, as_float_array
from ._backends import get_backend
from ._grid import Layout, from_padded, to_padded, validate_grid_shape

__all__ = ["restrict_full_weighting", "prolong_linear"]


def _grid_array(x, name):
    xp = array_namespace(x)
    x = as_float_array(x, xp, name=name)
    validate_grid_shape(tuple(x.shape), name=f"{name}.shape")
    return xp, x


def restrict_full_weighting(x):
    """Full-weighting restriction ``R x`` of a grid array (vertex-centred, Dirichlet).

    The stencil is the tensor product of ``[1, 2, 1] / 4``; a grid of size ``n`` (odd,
    >= 3, per axis) goes to ``(n - 1) / 2``. ``R = 2**-d P^T`` with ``P`` =
    :func:`prolong_linear`.

    Parameters
    ----------
    x : array
        Grid-shaped array, 1 to 3 dimensions.

    Returns
    -------
    array
        The coarse grid array, same library.

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.multigrid import restrict_full_weighting
    >>> restrict_full_weighting(np.array([0., 4., 8., 4., 0.]))
    array([4., 4.])
    """
    xp, x = _grid_array(x, "x")
    fine = Layout(tuple(x.shape))
    if not fine.can_coarsen():
        raise ValueError(f"`x` has shape {tuple(x.shape)}, which cannot be coarsened: every "
                         "size must be odd and >= 3")
    coarse = fine.coarse()
    be = get_backend(xp)
    rc = be.restrict(to_padded(xp, x, fine), fine, coarse)
    return from_padded(xp, rc, coarse, coarse.grid_shape)


def prolong_linear(x):
    """(Bi/tri)linear interpolation ``P x`` from a coarse grid of size ``n`` to ``2 n + 1``.

    Parameters
    ----------
    x : array
        Coarse grid array, 1 to 3 dimensions; zero Dirichlet values are assumed around it.

    Returns
    -------
    array
        The fine grid array, same library.

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.multigrid import prolong_linear
    >>> prolong_linear(np.array([2., 4.]))
    array([1., 2., 3., 4., 2.])
    """
    xp, x = _grid_array(x, "x")
    coarse = Layout(tuple(x.shape))
    fine = Layout(tuple(2 * n + 1 for n in x.shape))
    be = get_backend(xp)
    uf = be.prolong_add(to_padded(xp, x, coarse), be.zeros(fine, x.dtype, x), coarse, fine)
    return from_padded(xp, uf, fine, fine.grid_shape)
