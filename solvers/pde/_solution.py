"""PDESolution: the result of a GP collocation solve, and its off-grid residual estimate."""

from __future__ import annotations

import numbers

from .._result import OptimizeResult, make_result
from ._collocation import apply_along_axis
from ._grid import KroneckerGrid
from ._problem import PDEProblem
from ._sources import solve_sources

__all__ = ["PDESolution", "residual_estimate"]


def _midpoints(xp, x):
    return 0.5 * (x[1:] + x[:-1])


def residual_estimate(system, problem, U, points=None):
    """Relative PDE residual of the GP mean at the cell midpoints (no exact solution needed).

    ``||sum_alpha c_alpha d^alpha u + g(u) - f||_2 / max(||f||_2, max_alpha ||c_alpha
    d^alpha u||_2)`` over the tensor grid of midpoints between consecutive nodes: the points
    farthest from where the equation is imposed. ``points`` (one 1-D array per axis) replaces
    the midpoints, to compare solutions on different grids at the same points.
    """
    xp = system.xp
    grid = system.grid
    mids = [_midpoints(xp, x) for x in grid.axes] if points is None else list(points)
    cache = {}

    def deriv(alpha):
        if alpha not in cache:
            T = U
            for j, r in enumerate(alpha):
                T = apply_along_axis(xp, system.cross(j, mids[j], r), T, j)
            cache[alpha] = T
        return cache[alpha]

    R, scale = None, 0.0
    for alpha, c in problem.operator.items():
        term = c * deriv(alpha)
        scale = max(scale, float(xp.sqrt(xp.sum(term ** 2))))
        R = term if R is None else R + term
    if problem.nonlinearity is not None:
        R = R + problem.nonlinearity(deriv((0,) * grid.ndim))[0]
    F = problem.evaluate_source(KroneckerGrid(list(mids)))
    R = R - F
    scale = max(scale, float(xp.sqrt(xp.sum(F ** 2))))
    return float(xp.sqrt(xp.sum(R ** 2))) / (scale if scale > 0 else 1.0)


class PDESolution(OptimizeResult):
    """A GP collocation solution: grid values and the GP conditional mean everywhere.

    An :class:`scipy.optimize.OptimizeResult` (``success``, ``status``, ``message``, ``nit``:
    Newton steps for a nonlinear problem, 1 for a linear solve) with the fields below and
    methods to evaluate the solution.

    Attributes
    ----------
    values, x : array
        Solution at the grid nodes (grid-shaped, the problem's array library).
    grid : KroneckerGrid
    kernel : tuple of kernels
        The per-axis kernels used.
    nodes : tuple of str
        ``"chebyshev"`` or ``"uniform"`` per axis.
    problem : PDEProblem
    residual_norm : float
        Relative 2-norm of the collocation residual at the interior nodes,
        ``||L U + g(U) - f||_I / ||f||_I`` (``||L U||`` when ``f = 0``): how well the discrete
        equations were solved.
    residual_estimate : float
        Relative PDE residual of the GP mean at the cell midpoints (see
        :func:`~solvers.pde._solution.residual_estimate`): how well the *PDE* is solved
        between the nodes, computable without an exact solution. It is the criterion that
        compares solutions of one problem (learned vs initial kernel, Chebyshev vs uniform
        nodes), not an error bound: across the GP-HM suite it lies between 0.005 and 3000
        times the true relative L2 error (below it where the error is rounding, above it
        where the error is of high frequency). For an error estimate use
        ``solve_pde(..., error_estimate=True)``.
    error_estimate : float or None
        With ``solve_pde(..., error_estimate=True)``: the relative L2 difference between
        this GP mean and the one from a solve on ``round(1.2 n)`` nodes per axis (same node
        families and options), an estimate of the error that needs no exact solution (how
        well it tracks the true error is measured in ``tests/pde/test_refinement.py``).
    info : dict
        ``time_s`` (phase timings), ``solver`` ("kronecker_sum", "gmres", "dense", ...),
        ``matvecs``, ``jitter``, ``gram_condition`` (per axis, of ``K_j + jitter k_j(0) I``;
        None on Chebyshev axes), ``eigenvector_condition`` (of the fast-diagonalization
        factors), ``points_per_wavelength`` (per axis), ``wavelengths`` (per axis, from the
        data), ``init``, and ``learn`` (an ``OptimizeResult``) after ``learn=True``.
    """

    def __init__(self, values, grid, kernel, problem, system, residual_norm, info, *,
                 status=0, message=None, nit=1, residual_estimate=None, nodes=None):
        super().__init__()
        self.update(make_result(status, message))
        self.nit = int(nit)
        self["values"] = values
        self.x = values  # SciPy's name for the solution
        self.grid = grid
        self.kernel = tuple(kernel)
        self.nodes = tuple(nodes) if nodes is not None else ("uniform",) * grid.ndim
        self.problem = problem
        self.residual_norm = residual_norm
        self.residual_estimate = residual_estimate
        self.error_estimate = None
        self.info = info
        self._system = system

    @property
    def values(self):
        """Grid values of the solution (shadows ``dict.values``; the same array as ``x``)."""
        return self["values"]

    def __repr__(self):
        return (f"PDESolution(problem={self.problem.name!r}, shape={self.grid.shape}, "
                f"nodes={self.nodes}, solver={self.info.get('solver')!r}, "
                f"success={self.success}, residual_norm={self.residual_norm:.2e}, "
                f"residual_estimate={self.residual_estimate})")

    def __dir__(self):
        return sorted(set(dir(type(self))) | {k for k in self.keys() if not k.startswith("_")})

    def _cross(self, j, x, order):
        xp = self.grid.xp
        x = xp.asarray(x, dtype=xp.float64)
        if x.ndim != 1:
            raise ValueError(f"coordinates must be 1-D arrays, got shape {tuple(x.shape)}")
        return self._system.cross(j, x, order)

    def evaluate(self, *axes):
        """GP mean on the tensor grid ``axes[0] x ... x axes[d-1]`` (by per-axis cross-kernels)."""
        return self.derivative((0,) * self.grid.ndim, *axes)

    def derivative(self, alpha, *axes):
        """Derivative ``d^alpha u`` of the GP mean on the tensor grid spanned by ``axes``.

        Parameters
        ----------
        alpha : tuple of int
            Orders per axis, each 0, 1 or 2.
        *axes : 1-D arrays
            Coordinates per axis.
        """
        alpha = _check_alpha(alpha, self.grid.ndim)
        if len(axes) != self.grid.ndim:
            raise ValueError(f"expected {self.grid.ndim} coordinate arrays, got {len(axes)}")
        xp = self.grid.xp
        U = self.values
        for j, (x, r) in enumerate(zip(axes, alpha)):
            U = apply_along_axis(xp, self._cross(j, x, r), U, j)
        return U

    def __call__(self, points):
        """GP conditional mean at arbitrary points, ``points`` of shape ``(m, d)`` -> ``(m,)``."""
        xp = self.grid.xp
        d = self.grid.ndim
        P = xp.asarray(points, dtype=xp.float64)
        if P.ndim == 1 and d == 1:
            P = xp.reshape(P, (-1, 1))
        if P.ndim != 2 or P.shape[1] != d:
            raise ValueError(f"`points` must have shape (m, {d}), got {tuple(P.shape)}")
        m = int(P.shape[0])
        T = apply_along_axis(xp, self._cross(0, P[:, 0], 0), self.values, 0)  # (m, n2, ...)
        for j in range(1, d):
            Kc = self._cross(j, P[:, j], 0)  # (m, n_j)
            T = xp.reshape(T, (m, int(Kc.shape[1]), -1))
            T = xp.sum(T * Kc[:, :, None], axis=1)
        return xp.reshape(T, (m,))

    def solve_sources(self, sources, *, rtol=1e-10, maxiter=None, return_info=False):
        """Solve the same PDE for a batch of other source terms on this solution's grid.

        ``solve_pde`` picks the nodes and kernels from the problem's data and factorizes the
        collocation system; this reuses all of it (same grid, kernels, boundary values and
        nonlinearity) for the sources ``f_1, ..., f_k`` given by their values at the nodes
        of :attr:`grid` (only the interior values are used). Each item is solved as
        ``solve_pde`` solves the problem (fast diagonalization, dense LU or GMRES; Newton
        for a nonlinear problem).

        Parameters
        ----------
        sources : array, shape (k,) + grid.shape
            Source values at the nodes, stacked along a leading batch axis: an array of the
            grid's library, or a dask array. A dask array is solved lazily, one task per
            chunk of the leading axis (only that axis stays chunked), each item by the NumPy
            path, with this discretization and its factorization pickled once per worker
            process.
        rtol : float
            Relative tolerance of the iterative solvers (GMRES, Newton).
        maxiter : int, optional
            GMRES iterations / Newton steps (the defaults of :func:`solve_pde`).
        return_info : bool
            Also return one ``OptimizeResult`` per item (``status``, ``success``,
            ``message``, ``nit``, ``residual_norm``, ``info``: the solver's details).

        Returns
        -------
        values : array, shape (k,) + grid.shape
            Grid values of the solutions (boundary values from the problem); for dask
            ``sources`` a lazy dask array. Item ``i`` equals the grid values of
            ``solve_pde`` on the problem with source ``f_i`` with this solution's nodes and
            kernels.
        infos : list of OptimizeResult
            With ``return_info=True``; for dask ``sources`` a lazy object dask array of
            them, computed by the same tasks as ``values`` when both are computed together
            (``dask.compute(values, infos)``).

        Examples
        --------
        >>> import numpy as np, dask.array as da
        >>> from solvers.pde import PDEProblem, solve_pde
        >>> p = PDEProblem([(0, 1), (0, 1)], {(2, 0): 1.0, (0, 2): 1.0}, 1.0, 0.0)
        >>> sol = solve_pde(p, (20, 20), nodes="chebyshev")
        >>> x, y = sol.grid.mesh()
        >>> F = np.stack([np.sin(np.pi * k * x) * np.sin(np.pi * y) for k in (1, 2, 3, 4)])
        >>> U = sol.solve_sources(da.from_array(F, chunks=(2, 20, 20)))
        >>> exact = -F[2] / ((3 ** 2 + 1) * np.pi ** 2)
        >>> U.shape, bool(np.abs(U[2].compute() - exact).max() < 1e-12)
        ((4, 20, 20), True)
        """
        return solve_sources(self, sources, rtol=rtol, maxiter=maxiter,
                             return_info=return_info)

    def relative_l2_error(self, exact=None, n_test=300):
        """Relative L2 error on a uniform ``n_test**d`` grid over the domain.

        Parameters
        ----------
        exact : callable, optional
            ``u(*axes)`` (broadcastable axes, as ``PDEProblem.exact``); default the problem's.
        n_test : int
            Test points per axis (the reference uses 300).
        """
        exact = self.problem.exact if exact is None else exact
        if exact is None:
            raise ValueError("no exact solution: pass `exact` or give the problem one")
        if not isinstance(n_test, numbers.Integral) or n_test < 2:
            raise ValueError(f"`n_test` must be an integer >= 2, got {n_test!r}")
        test = KroneckerGrid.uniform(self.grid.domain, int(n_test), xp=self.grid.xp)
        pred = self.evaluate(*test.axes)
        ref = PDEProblem(self.grid.domain, {(0,) * self.grid.ndim: 1.0}, 0.0, 0.0,
                         exact=exact).evaluate_exact(test)
        xp = self.grid.xp
        return float(xp.sqrt(xp.sum((pred - ref) ** 2) / xp.sum(ref ** 2)))


def _check_alpha(alpha, d):
    if isinstance(alpha, numbers.Integral) and d == 1:
        alpha = (alpha,)
    alpha = tuple(alpha)
    if len(alpha) != d or not all(isinstance(a, numbers.Integral) and 0 <= a <= 2 for a in alpha):
        raise ValueError(f"`alpha` must be {d} derivative orders in {{0, 1, 2}}, got {alpha!r}")
    return tuple(int(a) for a in alpha)
