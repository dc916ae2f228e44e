"""PDE problems on boxes: constant-coefficient operator, optional nonlinearity, Dirichlet data."""

from __future__ import annotations

import numbers

from .._array_api import as_float_array
from ._grid import KroneckerGrid, _validate_domain

__all__ = ["PDEProblem"]

MAX_ORDER = 2


def _validate_operator(operator, ndim):
    if not isinstance(operator, dict) or not operator:
        raise TypeError("`operator` must be a non-empty dict mapping derivative multi-indices "
                        f"(tuples of {ndim} ints) to constant coefficients, got {operator!r}")
    out = {}
    for alpha, c in operator.items():
        if isinstance(alpha, numbers.Integral) and ndim == 1:
            alpha = (alpha,)
        if (not isinstance(alpha, tuple) or len(alpha) != ndim
                or not all(isinstance(a, numbers.Integral) and not isinstance(a, bool) and a >= 0
                           for a in alpha)):
            raise ValueError(f"`operator` keys must be tuples of {ndim} non-negative ints "
                             f"(one derivative order per axis), got {alpha!r}")
        if sum(alpha) > MAX_ORDER:
            raise ValueError(f"`operator` term {alpha} has derivative order {sum(alpha)}; "
                             f"orders above {MAX_ORDER} are not supported")
        if not isinstance(c, numbers.Real) or isinstance(c, bool):
            raise TypeError(f"`operator` coefficients must be real numbers, got {c!r} for {alpha}")
        c = float(c)
        if c != c or c in (float("inf"), float("-inf")):
            raise ValueError(f"`operator` coefficient for {alpha} must be finite, got {c}")
        alpha = tuple(int(a) for a in alpha)
        if c != 0.0:
            out[alpha] = out.get(alpha, 0.0) + c
    if not out:
        raise ValueError("`operator` has only zero coefficients")
    return out


class PDEProblem:
    r"""A PDE ``sum_alpha c_alpha d^alpha u + g(u) = f`` on a box with ``u = h`` on its boundary.

    Parameters
    ----------
    domain : sequence of (lo, hi)
        The box, one pair per axis.
    operator : dict
        Maps derivative multi-indices (tuples of ``d`` ints, total order <= 2) to constant
        real coefficients: ``{(2, 0): 1, (0, 2): 1}`` is the 2-D Laplacian,
        ``{(2, 0): 1, (0, 2): 1, (0, 0): k**2}`` Helmholtz, ``{(1, 0): beta, (0, 1): 1}``
        advection in ``(x, t)``. In 1-D plain ints are accepted as keys.
    source : callable or float
        ``f(*axes)``: takes one coordinate array per axis (broadcastable, shapes like
        ``numpy.ix_``) and returns values broadcastable to the grid; must use the array
        namespace of its inputs. A number means a constant.
    boundary : callable or float
        ``h(*axes)``, same convention; only its values on boundary nodes are used.
    nonlinearity : callable, optional
        ``u -> (g(u), g'(u))`` (elementwise), e.g. ``lambda u: (u**3 - u, 3*u**2 - 1)``
        for Allen-Cahn.
    exact : callable, optional
        Exact solution ``u(*axes)`` (same convention), used by error measures.
    name : str, optional
    reference : dict, optional
        Free-form metadata (reference grid, frequency scale, published numbers).

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.pde import PDEProblem, KroneckerGrid
    >>> p = PDEProblem([(0, np.pi)], {(2,): 1.0}, lambda x: -np.sin(x), 0.0,
    ...                exact=lambda x: np.sin(x))
    >>> p.ndim, p.is_kronecker_sum, p.max_order
    (1, True, 2)
    >>> p.evaluate_source(KroneckerGrid.uniform(p.domain, 5)).shape
    (5,)
    """

    def __init__(self, domain, operator, source, boundary, *, nonlinearity=None, exact=None,
                 name=None, reference=None):
        self.domain = _validate_domain(domain)
        self.ndim = len(self.domain)
        self.operator = _validate_operator(operator, self.ndim)
        for arg, val in (("source", source), ("boundary", boundary)):
            if not (callable(val) or isinstance(val, numbers.Real)):
                raise TypeError(f"`{arg}` must be a callable or a real number, got {val!r}")
        for arg, val in (("nonlinearity", nonlinearity), ("exact", exact)):
            if val is not None and not callable(val):
                raise TypeError(f"`{arg}` must be callable or None, got {val!r}")
        self.source = source
        self.boundary = boundary
        self.nonlinearity = nonlinearity
        self.exact = exact
        self.name = name if name is not None else "pde"
        self.reference = dict(reference) if reference else {}

    @property
    def max_order(self):
        """Largest total derivative order in the operator."""
        return max(sum(a) for a in self.operator)

    def axis_orders(self, axis):
        """Derivative orders (>= 1) that act on ``axis`` alone, or in mixed terms."""
        return sorted({a[axis] for a in self.operator if a[axis] > 0})

    @property
    def is_kronecker_sum(self):
        """True when no term mixes two axes (so the operator is a Kronecker sum)."""
        return all(sum(1 for v in a if v) <= 1 for a in self.operator)

    @property
    def is_linear(self):
        return self.nonlinearity is None

    def _field(self, fn, grid, arg):
        if not isinstance(grid, KroneckerGrid):
            raise TypeError(f"`grid` must be a KroneckerGrid, got {type(grid).__name__}")
        xp = grid.xp
        if callable(fn):
            vals = fn(*grid.mesh())
        else:
            vals = float(fn)
        vals = as_float_array(vals if hasattr(vals, "shape") else xp.asarray(vals), xp,
                              name=arg, allow_float32=False)
        try:
            vals = xp.broadcast_to(vals, grid.shape)
        except (ValueError, RuntimeError):
            raise ValueError(f"`{arg}` returned shape {tuple(vals.shape)}, not broadcastable to "
                             f"the grid shape {grid.shape}") from None
        if not bool(xp.all(xp.isfinite(vals))):
            raise ValueError(f"`{arg}` returned non-finite values (NaN or inf) on the grid")
        return vals

    def evaluate_source(self, grid):
        """``f`` on every node of ``grid`` (grid-shaped array)."""
        return self._field(self.source, grid, "source")

    def evaluate_boundary(self, grid):
        """``h`` on every node of ``grid`` (only boundary nodes are meaningful)."""
        return self._field(self.boundary, grid, "boundary")

    def evaluate_exact(self, grid):
        """The exact solution on ``grid`` (``ValueError`` if the problem has none)."""
        if self.exact is None:
            raise ValueError(f"problem {self.name!r} has no exact solution")
        return self._field(self.exact, grid, "exact")

    def __repr__(self):
        return (f"PDEProblem(name={self.name!r}, domain={self.domain}, "
                f"operator={self.operator}, nonlinear={not self.is_linear})")
