"""The geometric multigrid hierarchy: ``GeometricMultigrid`` and ``mg_solve``."""

from __future__ import annotations

import math
import numbers

import numpy as np

from .._array_api import from_numpy, namespace_from_name, namespace_name
from .._backend import backend_for, batch_item_shape
from .._result import CALLBACK, CONVERGED, MAXITER, NONFINITE, call_callback, make_result
from ._grid import from_padded, to_padded
from ._interpolation import operator_interpolation_weights
from ._batch import solve_batch
from ._line_smoothers import LineGaussSeidel
from ._semicoarsening import (STRONG_COUPLING, coarsened_mask, coupling_strength,
                              plan_coarsening, semi_galerkin_operator)
from ._smoothers import RedBlackGaussSeidel, make_smoother
from ._stencil import StencilOperator, galerkin_operator

__all__ = ["GeometricMultigrid", "MultigridLevel", "mg_solve"]

_CYCLES = ("V", "W", "F")
_MAX_COARSE_DIRECT = 5000


class MultigridLevel:
    """One level of the hierarchy: the operator ``A`` on its grid.

    ``weights`` holds the operator-dependent prolongation to this level from the next
    coarser one (host array, see :mod:`._interpolation`), ``None`` for d-linear.
    ``coarsening`` is how it coarsens to the next level (``"full"``, a tuple of the grid
    axes coarsened, or ``None`` on the coarsest level), ``strength`` the per-axis coupling
    strength of its stencil (maximum 1) and ``smoother`` the smoother used on it.
    """

    def __init__(self, A, weights=None):
        self.A = A
        self.grid_shape = A.grid_shape
        self.weights = weights
        self.coarsening = None
        self.strength = None
        self.smoother = None

    def __repr__(self):
        return f"MultigridLevel(grid_shape={self.grid_shape}, A={self.A!r})"


class _Context:
    """A hierarchy bound to one backend and dtype: bound stencils and the coarse inverse."""

    def __init__(self, ml, xp, dtype, like):
        self.xp = xp
        self.dtype = dtype
        self.bound = [lev.A._bind(xp, dtype, like) for lev in ml.levels]
        self.backend = self.bound[0].backend
        self.weights = [None if lev.weights is None else
                        self.backend.bind_weights(lev.weights, lev.A._layout, dtype, like)
                        for lev in ml.levels]
        coarse = ml.levels[-1].A
        inverse = np.linalg.inv(coarse.tosparse().toarray())
        self.coarse_inverse = xp.astype(from_numpy(inverse, xp, like=like), dtype)
        # semi-coarsened levels: the coarsened padded axes, and the transfer kernels
        self.masks = [None if lev.coarsening in ("full", None)
                      else coarsened_mask(lev.A._layout, lev.coarsening) for lev in ml.levels]
        kernels = backend_for(xp)
        self._semi_restrict = kernels.kernel("multigrid.semi_restrict")
        self._semi_prolong_add = kernels.kernel("multigrid.semi_prolong_add")

    def restrict(self, level, rf):
        """Restriction of a padded array from ``level`` to ``level + 1``."""
        fine, coarse = self.bound[level].layout, self.bound[level + 1].layout
        if self.masks[level] is None:
            return self.backend.restrict(rf, fine, coarse, self.weights[level])
        return self._semi_restrict(self.xp, rf, fine, coarse, self.masks[level])

    def residual_restrict(self, level, u, f):
        """The restricted residual ``R (f - A u)`` of ``level``."""
        bs, coarse = self.bound[level], self.bound[level + 1].layout
        if self.masks[level] is None:
            return self.backend.residual_restrict(bs, u, f, coarse, self.weights[level])
        return self._semi_restrict(self.xp, self.backend.residual(bs, u, f), bs.layout, coarse,
                                   self.masks[level])

    def prolong_add(self, level, uc, u):
        """``u + P uc`` from ``level + 1`` to ``level`` (may update ``u`` in place)."""
        fine, coarse = self.bound[level].layout, self.bound[level + 1].layout
        if self.masks[level] is None:
            return self.backend.prolong_add(uc, u, coarse, fine, self.weights[level])
        return self._semi_prolong_add(self.xp, uc, u, coarse, fine, self.masks[level])

    def coarse_solve(self, f):
        xp, layout = self.xp, self.bound[-1].layout
        rhs = xp.reshape(f[layout.interior], (-1,))
        return to_padded(xp, self.coarse_inverse @ rhs, layout)


class GeometricMultigrid:
    """Geometric multigrid hierarchy for a stencil operator on a structured grid.

    Vertex-centred coarsening (``n -> (n - 1) / 2`` on every axis), full-weighting
    restriction ``R``, d-linear prolongation ``P = 2**d R^T``, coarse operators by
    Galerkin products ``R A P`` or rediscretization, a dense direct solve on the coarsest
    grid, and V/W/F cycles, FMG and Krylov acceleration. The hierarchy is matrix-free; it
    works on NumPy (Numba kernels), CuPy (CUDA kernels) and any other array-API library
    (the generic slicing path).

    Parameters
    ----------
    A : StencilOperator
        The fine operator (from :func:`poisson`, :func:`diffusion` or a stencil).
    smoother : str, tuple or smoother object
        ``"auto"`` (default): per level, from its stencil's coupling strength (see
        ``coarsening``): zebra line Gauss–Seidel along the strongest axis where the level is
        anisotropic (some axis below half the strongest one's coupling) and either only one
        axis is strong or the level is fully coarsened; red-black Gauss–Seidel elsewhere (so
        an isotropic problem runs exactly the classical cycle). Or ``"rbgs"`` (red-black Gauss–Seidel), ``"jacobi"`` (weighted
        Jacobi), ``"chebyshev"``, ``"line"`` (:class:`LineGaussSeidel` on every level), a
        ``(name, {options})`` pair such as ``("line", {"axis": "alternating"})``, or a
        smoother instance.
    coarsening : {"auto", "full", "semi"}
        ``"full"`` coarsens every axis on every level. ``"semi"`` coarsens, on each level,
        only the axes whose coupling strength (read from that level's stencil, see
        :func:`~solvers.multigrid._semicoarsening.coupling_strength`) is at least half the
        strongest axis' (all axes for an isotropic stencil). ``"auto"`` (default) is
        ``"semi"``, except with ``coarse_operator="rediscretize"`` (``"full"``). The choice
        made on each level is shown by ``repr``.
    presmooth, postsmooth : int
        Smoothing sweeps before and after the coarse-grid correction.
    coarse_operator : {"galerkin", "rediscretize"}
        How coarse operators are formed. Rediscretization needs an operator built by
        :func:`poisson` or :func:`diffusion`.
    interpolation : {"auto", "linear", "operator"}
        d-linear prolongation (with full-weighting restriction), or operator-dependent
        ("black-box") prolongation built from each level's stencil, with ``R = 2**-d P^T``
        and Galerkin coarse operators (1-D and 2-D only): robust for jumping and rough
        coefficients, at the price of 8 weight arrays per level. ``"auto"`` (default) picks
        ``"operator"`` for a variable stencil on a 1-D or 2-D grid with Galerkin coarse
        operators, else ``"linear"`` (for a constant stencil the two coincide).
    max_levels : int, optional
        Maximum number of levels (default: as many as the grid allows).
    coarse_size : int
        Stop coarsening once a level has at most this many unknowns.

    Attributes
    ----------
    levels : list of MultigridLevel
        ``levels[0].A`` is ``A``; each level has ``A`` and ``grid_shape``.

    Raises
    ------
    ValueError
        If the coarsest reachable grid has more than 5000 unknowns: sizes must be of the form
        ``2**k * m - 1`` with small ``m`` (e.g. 63, 127, 1023) for the grid to coarsen.

    Notes
    -----
    With ``accel="cg"`` (and in :meth:`aspreconditioner`) the cycle is made symmetric:
    ``presmooth`` forward sweeps before and ``presmooth`` backward sweeps after the
    correction, with ``R = 2**-d P^T`` and symmetric coarse operators; the cycle is then a
    symmetric positive definite preconditioner for a symmetric positive definite ``A``.
    Reference: Briggs, Henson, McCormick, *A Multigrid Tutorial*, 2nd ed., SIAM 2000.

    Anisotropy. Each level reads its stencil's coupling strength per axis. Where it is
    grid-aligned and anisotropic (e.g. ``-(eps u_xx + u_yy)``, or ``diffusion`` with a
    per-axis coefficient), ``coarsening="auto"`` coarsens only the strongly coupled axes
    (semi-coarsening) until the couplings balance, and ``smoother="auto"`` solves along the
    strong axis by zebra line Gauss–Seidel when only one axis is strong; the V(2,1) factor
    stays below 0.06 for ``eps`` down to 1e-4 along any axis or pair of axes, independent of
    ``h`` (Trottenberg, Oosterlee, Schüller, *Multigrid*, 2001, §5.1). When to use algebraic
    multigrid instead: anisotropy that is not aligned with the grid (rotated), or whose
    direction varies in space, has no strong grid axis to coarsen or solve along. On the 45°
    case with ``eps = 1e-2`` (PyAMG's FD stencil, 255²) the defaults + CG take 19 iterations
    against 11 for PyAMG Ruge–Stüben + CG (alternating line Gauss–Seidel: 16); use PyAMG's
    Ruge–Stüben solver there (``benchmarks/multigrid_anisotropy.py`` measures both).

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.multigrid import GeometricMultigrid, poisson
    >>> A = poisson((63, 63))
    >>> ml = GeometricMultigrid(A)
    >>> len(ml.levels), ml.levels[-1].grid_shape
    (4, (7, 7))
    >>> b = np.ones((63, 63))
    >>> x, info = ml.solve(b, rtol=1e-10, return_info=True)
    >>> info.converged, info.nit <= 12, bool(info.convergence_factor < 0.1)
    (True, True, True)
    """

    def __init__(self, A, *, smoother="auto", presmooth=2, postsmooth=1,
                 coarse_operator="galerkin", interpolation="auto", max_levels=None,
                 coarse_size=100, coarsening="auto"):
        if not isinstance(A, StencilOperator):
            raise TypeError(f"`A` must be a StencilOperator (see poisson, diffusion), "
                            f"got {type(A).__name__}")
        self.smoother = "auto" if smoother == "auto" else make_smoother(
            smoother, {"line": LineGaussSeidel})
        if coarsening not in ("auto", "full", "semi"):
            raise ValueError(f"`coarsening` must be 'auto', 'full' or 'semi', got {coarsening!r}")
        if coarsening == "semi" and coarse_operator != "galerkin":
            raise ValueError("coarsening='semi' needs coarse_operator='galerkin'")
        for name, value in (("presmooth", presmooth), ("postsmooth", postsmooth)):
            if not (isinstance(value, numbers.Integral) and value >= 0):
                raise ValueError(f"`{name}` must be a non-negative integer, got {value!r}")
        if coarse_operator not in ("galerkin", "rediscretize"):
            raise ValueError("`coarse_operator` must be 'galerkin' or 'rediscretize', "
                             f"got {coarse_operator!r}")
        if interpolation not in ("auto", "linear", "operator"):
            raise ValueError("`interpolation` must be 'auto', 'linear' or 'operator', "
                             f"got {interpolation!r}")
        if interpolation == "auto":
            interpolation = ("operator" if not A.is_constant and A.ndim <= 2
                             and coarse_operator == "galerkin" else "linear")
        if interpolation == "operator" and coarse_operator != "galerkin":
            raise ValueError("interpolation='operator' needs coarse_operator='galerkin'")
        if interpolation == "operator" and A.ndim == 3:
            raise ValueError("interpolation='operator' is implemented for 1-D and 2-D grids "
                             "only; use interpolation='linear' in 3-D")
        if max_levels is not None and not (isinstance(max_levels, numbers.Integral)
                                           and max_levels >= 1):
            raise ValueError(f"`max_levels` must be a positive integer, got {max_levels!r}")
        if not (isinstance(coarse_size, numbers.Integral) and coarse_size >= 1):
            raise ValueError(f"`coarse_size` must be a positive integer, got {coarse_size!r}")
        if coarse_operator == "rediscretize" and A._rediscretize is None:
            raise ValueError("coarse_operator='rediscretize' needs an operator built by poisson "
                             "or diffusion; use 'galerkin' for a general stencil")
        self.presmooth, self.postsmooth = int(presmooth), int(postsmooth)
        self.coarse_operator = coarse_operator
        self.interpolation = interpolation
        self.coarsening = coarsening
        mode = "full" if coarsening == "full" or coarse_operator != "galerkin" else "semi"
        self.levels = [MultigridLevel(A)]
        max_levels = max_levels or 64
        while len(self.levels) < max_levels and self.levels[-1].A.shape[0] > coarse_size:
            level = self.levels[-1]
            fine = level.A
            level.coarsening = plan_coarsening(fine, mode)
            if level.coarsening is None:
                break
            if level.coarsening != "full":
                coarse = semi_galerkin_operator(fine, level.coarsening)
            elif interpolation == "operator":
                self.levels[-1].weights = operator_interpolation_weights(fine)
                coarse = galerkin_operator(fine, self.levels[-1].weights)
            elif coarse_operator == "galerkin":
                coarse = galerkin_operator(fine)
            else:
                coarse = fine._rediscretize()
            self.levels.append(MultigridLevel(coarse))
        for level in self.levels:
            A_l = level.A
            level.strength = coupling_strength(A_l._layout, A_l._offsets3, A_l._const,
                                               A_l._coef)
            level.smoother = self._level_smoother(level)
        n_coarse = self.levels[-1].A.shape[0]
        if n_coarse > _MAX_COARSE_DIRECT:
            raise ValueError(
                f"`A` is on grid {A.grid_shape}, which coarsens only to "
                f"{self.levels[-1].grid_shape} ({n_coarse} unknowns, more than "
                f"{_MAX_COARSE_DIRECT} for the direct coarse solve): every grid size must be "
                "odd down to a small grid, i.e. n = 2**k * m - 1 with small m (7, 15, 63, 127, "
                "1023, or 3 * 2**k - 1 ...)")
        self._contexts = {}

    def __getstate__(self):
        # the per-backend contexts are a cache (they hold namespaces): rebuilt after unpickling
        state = self.__dict__.copy()
        state["_contexts"] = {}
        return state

    def _level_smoother(self, level):
        """The automatic choice: line Gauss–Seidel along the one strongly coupled axis of an
        anisotropic level (or along the strongest one of a fully coarsened anisotropic
        level), red-black Gauss–Seidel elsewhere."""
        if self.smoother != "auto":
            return self.smoother
        active = [a for a, n in enumerate(level.grid_shape) if n > 1]
        strong = [a for a in active if level.strength[a] >= STRONG_COUPLING]
        if len(strong) < len(active) and (len(strong) == 1 or level.coarsening == "full"):
            return LineGaussSeidel()
        return RedBlackGaussSeidel()

    # -- backends ------------------------------------------------------------------------
    def _context(self, xp, dtype, like):
        bs = self.levels[0].A._bind(xp, dtype, like)
        key = (bs.backend.name, getattr(xp, "__name__", ""), str(dtype), str(bs.device))
        ctx = self._contexts.get(key)
        if ctx is None:
            ctx = _Context(self, xp, dtype, like)
            self._contexts[key] = ctx
        return ctx

    def _prepare(self, b, x0=None):
        A = self.levels[0].A
        xp, b, shape = A._check_vector(b, "b")
        if x0 is not None:
            _, x0, shape0 = A._check_vector(x0, "x0")
            if shape0 != shape:
                raise ValueError(f"`x0` must have the shape of `b` {shape}, got {shape0}")
            x0 = xp.astype(x0, b.dtype, copy=False)
        return xp, b, x0, shape, self._context(xp, b.dtype, b)

    # -- cycles --------------------------------------------------------------------------
    def _cycle(self, ctx, level, u, f, cycle, symmetric):
        """One cycle on ``level`` from ``u`` (padded; may be overwritten) for right side ``f``."""
        if level == len(self.levels) - 1:
            return ctx.coarse_solve(f)
        bs, be = ctx.bound[level], ctx.backend
        coarse = ctx.bound[level + 1]
        post = self.presmooth if symmetric else self.postsmooth
        smoother = self.levels[level].smoother
        u = smoother(bs, u, f, self.presmooth, True)
        fc = ctx.residual_restrict(level, u, f)
        uc = self._cycle(ctx, level + 1, be.zeros(coarse.layout, ctx.dtype, f), fc,
                         cycle, symmetric)
        if level + 1 < len(self.levels) - 1:  # the coarsest solve is exact: once is enough
            if cycle == "W":
                uc = self._cycle(ctx, level + 1, uc, fc, "W", symmetric)
            elif cycle == "F":
                uc = self._cycle(ctx, level + 1, uc, fc, "V", symmetric)
        u = ctx.prolong_add(level, uc, u)
        # the symmetric cycle post-smooths with the adjoint (reversed) sweep; standalone, the
        # forward order reduces residuals more (RB-GS V(1,1): 0.06 against 0.24 per cycle)
        return smoother(bs, u, f, post, not symmetric)

    def _check_cycle(self, cycle, accel=None):
        if cycle not in _CYCLES:
            raise ValueError(f"`cycle` must be one of {_CYCLES}, got {cycle!r}")
        if accel not in (None, "cg", "gmres"):
            raise ValueError(f"`accel` must be None, 'cg' or 'gmres', got {accel!r}")
        if accel == "cg" and cycle == "F":
            raise ValueError("the F-cycle is not symmetric, so it cannot precondition CG: use "
                             "cycle='V' or 'W' with accel='cg', or accel='gmres'")

    def _preconditioner(self, ctx, cycle, symmetric):
        return _CycleApply(self, ctx, cycle, symmetric)

    def solve(self, b, x0=None, *, rtol=1e-8, atol=0.0, maxiter=100, cycle="V", accel=None,
              callback=None, return_info=False):
        """Solve ``A x = b`` by multigrid cycles, optionally Krylov-accelerated.

        Parameters
        ----------
        b : array
            Right-hand side, flat ``(N,)`` or grid-shaped; finite. Or a stacked batch of
            right-hand sides, ``(k, N)`` or ``(k,) + grid_shape`` (a shape that is itself a
            right-hand side's is never taken as a batch): the items are solved
            independently with the same options. A dask array batch is solved lazily, one
            task per chunk of the leading axis (only that axis stays chunked), each item
            by the NumPy path with this hierarchy (pickled once per worker process).
        x0 : array, optional
            Initial guess (default zero), shaped like ``b`` (a batch for a batch).
        rtol, atol : float
            Stop when ``||b - A x|| <= max(rtol * ||b||, atol)`` (2-norms).
        maxiter : int
            Maximum number of cycles (Krylov iterations with ``accel``).
        cycle : {"V", "W", "F"}
        accel : {None, "cg", "gmres"}
            Use the cycle as preconditioner of :func:`solvers.linalg.cg` (symmetric cycle;
            needs a symmetric positive definite ``A``) or :func:`solvers.linalg.gmres`.
        callback : callable, optional
            ``callback(intermediate_result)`` after every cycle / Krylov iteration, with an
            ``OptimizeResult`` holding ``x`` (shaped like ``b``; None with
            ``accel="gmres"``, whose iterate is only formed at restarts), ``nit`` and
            ``residual`` (2-norm of ``b - A x``; the GMRES least-squares estimate with
            ``accel="gmres"``). Raising ``StopIteration`` stops the solve (status 99) and
            returns the last iterate (the initial guess with ``accel="gmres"``).
        return_info : bool
            Also return an ``OptimizeResult`` with ``x``, ``converged`` (= ``success``),
            ``status`` (the library's table, :mod:`solvers._result`: 0 converged,
            1 ``maxiter`` reached, 3 non-finite residual, 99 the callback raised
            ``StopIteration``), ``message``, ``nit``, ``residuals`` (residual 2-norms, the
            initial one first) and ``convergence_factor`` (geometric mean residual reduction
            per iteration).

        Returns
        -------
        x : array
            The approximate solution, same library, device and shape as ``b``; for a dask
            batch a lazy dask array, every item equal to the NumPy solve of that item.
        info : OptimizeResult
            Only with ``return_info=True``. For a batch, a list with one ``OptimizeResult``
            per item (the fields above without ``x``); for a dask batch a lazy object
            dask array of them, computed by the same tasks as ``x`` when both are computed
            together (``dask.compute(x, info)``). ``callback`` is not supported with a
            batch.

        Examples
        --------
        >>> import numpy as np
        >>> from solvers.multigrid import GeometricMultigrid, poisson
        >>> A = poisson((31, 31, 31))
        >>> ml = GeometricMultigrid(A)
        >>> b = np.ones(A.shape[0])
        >>> x, info = ml.solve(b, rtol=1e-8, accel="cg", return_info=True)
        >>> info.converged, bool(np.linalg.norm(b - A @ x) <= 1e-8 * np.linalg.norm(b))
        (True, True)

        Many right-hand sides as a dask array (one task per chunk of 4):

        >>> import dask, dask.array as da
        >>> B = da.from_array(np.random.default_rng(0).standard_normal((8, A.shape[0])),
        ...                   chunks=(4, -1))
        >>> X, infos = ml.solve(B, rtol=1e-8, accel="cg", return_info=True)
        >>> X, infos = dask.compute(X, infos)
        >>> X.shape, all(res.converged for res in infos)
        ((8, 29791), True)
        """
        self._check_cycle(cycle, accel)
        for name, value in (("rtol", rtol), ("atol", atol)):
            if not (isinstance(value, numbers.Real) and value >= 0 and math.isfinite(value)):
                raise ValueError(f"`{name}` must be a finite non-negative number, got {value!r}")
        if not (isinstance(maxiter, numbers.Integral) and maxiter >= 0):
            raise ValueError(f"`maxiter` must be a non-negative integer, got {maxiter!r}")
        if callback is not None and not callable(callback):
            raise TypeError("`callback` must be callable or None")
        A = self.levels[0].A
        item_shape = batch_item_shape(b, ((A.shape[0],), A.grid_shape))
        if item_shape is not None:
            options = dict(rtol=rtol, atol=atol, maxiter=maxiter, cycle=cycle, accel=accel)
            return solve_batch(self, b, x0, item_shape, options, callback=callback,
                               return_info=return_info)
        xp, b, x0, shape, ctx = self._prepare(b, x0)
        layout, be, bs = A._layout, ctx.backend, ctx.bound[0]
        bnorm = float(xp.linalg.vector_norm(b))
        tol = max(rtol * bnorm, atol)
        residuals = []
        record = return_info or callback is not None
        stopped = False
        if accel is None:
            f = to_padded(xp, b, layout)
            u = be.zeros(layout, ctx.dtype, b) if x0 is None else to_padded(xp, x0, layout)
            rnorm = float(xp.linalg.vector_norm(be.residual(bs, u, f)))
            residuals.append(rnorm)
            nit = 0
            while rnorm > tol and nit < maxiter:
                u = self._cycle(ctx, 0, u, f, cycle, False)
                rnorm = float(xp.linalg.vector_norm(be.residual(bs, u, f)))
                residuals.append(rnorm)
                nit += 1
                if not math.isfinite(rnorm):
                    break
                if callback is not None and call_callback(
                        callback, x=from_padded(xp, u, layout, shape), nit=nit, residual=rnorm):
                    stopped = True
                    break
            x = from_padded(xp, u, layout, shape)
            converged = rnorm <= tol and not stopped
        else:
            from ..linalg import cg, gmres

            def residual_norm(xk):
                return float(xp.linalg.vector_norm(b - A.matvec(xk)))

            start = b if x0 is None else x0
            residuals.append(residual_norm(start) if x0 is not None else bnorm)
            initial = xp.zeros_like(b) if x0 is None else x0
            last = [initial]
            iterations = [0]

            class _Stop(Exception):
                pass

            def counted(xk):
                # cg passes the iterate, gmres the estimate of its residual norm
                iterations[0] += 1
                xk_array = None if accel == "gmres" else xk
                if record:
                    residuals.append(float(xk) if xk_array is None else residual_norm(xk))
                if xk_array is not None:
                    last[0] = xk_array
                if call_callback(callback, x=xk_array, nit=iterations[0],
                                 residual=residuals[-1] if record else None):
                    raise _Stop

            M = self._preconditioner(ctx, cycle, symmetric=(accel == "cg"))
            krylov = cg if accel == "cg" else gmres
            if maxiter == 0:
                x, status = initial, 1
            else:
                try:
                    x, status = krylov(A.matvec, b, x0=x0, rtol=rtol, atol=atol,
                                       maxiter=maxiter, M=M, callback=counted)
                except _Stop:
                    x, status, stopped = last[0], None, True
            nit = iterations[0]
            converged = status == 0
        if not return_info:
            return x
        factor = ((residuals[-1] / residuals[0]) ** (1.0 / (len(residuals) - 1))
                  if len(residuals) > 1 and residuals[0] > 0 else 0.0)
        if stopped:
            status, message = CALLBACK, None
        elif converged:
            status, message = CONVERGED, "converged"
        elif not math.isfinite(residuals[-1]):
            status, message = NONFINITE, "the residual became non-finite"
        else:
            status = MAXITER
            message = f"iteration limit maxiter={maxiter} reached before the tolerance"
        info = make_result(status, message, x=x, converged=converged, nit=nit,
                           residuals=np.asarray(residuals), convergence_factor=factor)
        return x, info

    def fmg(self, b, *, cycle="V"):
        """Full multigrid: solve on the coarsest grid, then interpolate and cycle once per level.

        One pass reaches the discretization accuracy of a smooth problem at O(N) cost.

        Parameters
        ----------
        b : array
            Right-hand side, flat or grid-shaped.
        cycle : {"V", "W", "F"}
            The cycle run on each level after interpolation.

        Returns
        -------
        x : array
            Shaped like ``b``.

        Examples
        --------
        >>> import numpy as np
        >>> from solvers.multigrid import GeometricMultigrid, poisson
        >>> n = 63; t = np.arange(1, n + 1) / (n + 1)
        >>> exact = np.outer(np.sin(np.pi * t), np.sin(np.pi * t))
        >>> x = GeometricMultigrid(poisson((n, n))).fmg(2 * np.pi ** 2 * exact)
        >>> bool(np.abs(x - exact).max() < 1e-3)
        True
        """
        self._check_cycle(cycle)
        xp, b, _, shape, ctx = self._prepare(b)
        be = ctx.backend
        rhs = [to_padded(xp, b, self.levels[0].A._layout)]
        for level in range(len(self.levels) - 1):
            rhs.append(ctx.restrict(level, rhs[-1]))
        u = ctx.coarse_solve(rhs[-1])
        for level in range(len(self.levels) - 2, -1, -1):
            layout = ctx.bound[level].layout
            u = ctx.prolong_add(level, u, be.zeros(layout, ctx.dtype, b))
            u = self._cycle(ctx, level, u, rhs[level], cycle, False)
        return from_padded(xp, u, self.levels[0].A._layout, shape)

    def aspreconditioner(self, cycle="V", *, symmetric=True, xp=None):
        """One cycle from a zero guess as a ``LinearOperator`` (pyamg's convention).

        Parameters
        ----------
        cycle : {"V", "W", "F"}
        symmetric : bool
            Use the symmetric cycle (``presmooth`` sweeps before and after), as CG needs.
        xp : namespace, optional
            Array library of the vectors; default the operator's (NumPy for a constant
            stencil). NumPy gives a ``scipy.sparse.linalg.LinearOperator``, CuPy a
            ``cupyx.scipy.sparse.linalg.LinearOperator``.

        Examples
        --------
        >>> import numpy as np
        >>> from scipy.sparse.linalg import cg
        >>> from solvers.multigrid import GeometricMultigrid, poisson
        >>> A = poisson((31, 31)); M = GeometricMultigrid(A).aspreconditioner()
        >>> x, info = cg(A.tosparse(), np.ones(A.shape[0]), M=M, rtol=1e-10)
        >>> info
        0
        """
        self._check_cycle(cycle, "cg" if symmetric else None)
        A = self.levels[0].A
        if xp is None:
            xp = A._xp if A._xp is not None else _numpy_namespace()
        like = A._coef
        ctx = self._context(xp, A.dtype, like)
        apply = self._preconditioner(ctx, cycle, symmetric)
        return backend_for(xp).linear_operator(A.shape, A.dtype, apply,
                                               apply if symmetric else None)

    # -- reporting -----------------------------------------------------------------------
    def operator_complexity(self):
        """Total stored entries of all level operators over those of the fine operator."""
        return sum(lev.A.nnz for lev in self.levels) / self.levels[0].A.nnz

    def grid_complexity(self):
        """Total unknowns of all levels over the fine unknowns."""
        return sum(lev.A.shape[0] for lev in self.levels) / self.levels[0].A.shape[0]

    def __repr__(self):
        total = sum(lev.A.nnz for lev in self.levels)
        lines = [
            "GeometricMultigrid",
            f"Number of levels:     {len(self.levels)}",
            f"Operator complexity:  {self.operator_complexity():6.3f}",
            f"Grid complexity:      {self.grid_complexity():6.3f}",
            f"Smoother:             {self.smoother!r}, presmooth={self.presmooth}, "
            f"postsmooth={self.postsmooth}",
            f"Coarsening:           {self.coarsening}",
            f"Coarse operators:     {self.coarse_operator}, {self.interpolation} "
            "interpolation",
            "  level   grid shape          unknowns     nonzeros  stencil    coupling"
            "         coarsening   smoother",
        ]
        for i, lev in enumerate(self.levels):
            A = lev.A
            share = 100.0 * A.nnz / total
            coupling = "(" + ", ".join(f"{v:.2g}" for v in lev.strength) + ")"
            if lev.coarsening is None:
                coarsen, smoother = "-", "direct solve"
            else:
                coarsen = lev.coarsening if lev.coarsening == "full" else (
                    "semi, axes " + ",".join(str(a) for a in lev.coarsening))
                smoother = _smoother_label(lev)
            lines.append(f"  {i:5d}   {str(A.grid_shape):18s}{A.shape[0]:9d}  {A.nnz:11d} "
                         f"[{share:5.2f}%]  {len(A.offsets):2d}-point  {coupling:17s}"
                         f"{coarsen:13s}{smoother}")
        return "\n".join(lines)


def _smoother_label(level):
    smoother = level.smoother
    if isinstance(smoother, LineGaussSeidel):
        axis = smoother.axis
        if axis is None:
            axis = int(np.argmax(level.strength))
        return f"line Gauss-Seidel, axis {axis}"
    return smoother.name


def _numpy_namespace():
    from array_api_compat import numpy as np_compat

    return np_compat


_SETUP_OPTIONS = ("smoother", "presmooth", "postsmooth", "coarse_operator", "interpolation",
                  "max_levels", "coarse_size", "coarsening")


def mg_solve(A, b, **options):
    """Solve ``A x = b`` with geometric multigrid in one call.

    Parameters
    ----------
    A : StencilOperator
    b : array
        Flat or grid-shaped right-hand side.
    **options
        Options of :class:`GeometricMultigrid` (``smoother``, ``presmooth``,
        ``postsmooth``, ``coarse_operator``, ``interpolation``, ``max_levels``,
        ``coarse_size``) and of
        :meth:`GeometricMultigrid.solve` (``x0``, ``rtol``, ``atol``, ``maxiter``, ``cycle``,
        ``accel``, ``callback``).

    Returns
    -------
    x : array
        Shaped like ``b``.
    info : OptimizeResult
        ``converged``, ``nit``, ``residuals``, ``convergence_factor``, ``message``.

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.multigrid import mg_solve, poisson
    >>> x, info = mg_solve(poisson(127), np.ones(127), rtol=1e-10)
    >>> info.converged
    True
    """
    setup = {k: options.pop(k) for k in _SETUP_OPTIONS if k in options}
    options.pop("return_info", None)
    ml = GeometricMultigrid(A, **setup)
    return ml.solve(b, return_info=True, **options)


class _CycleApply:
    """One cycle from a zero guess, ``r -> M r``: a picklable callable (no closure), so that
    ``aspreconditioner()`` operators pickle with their hierarchy."""

    def __init__(self, hierarchy, ctx, cycle, symmetric):
        self.hierarchy, self.ctx, self.cycle, self.symmetric = hierarchy, ctx, cycle, symmetric

    def __getstate__(self):
        state = dict(self.__dict__)
        ctx = state.pop("ctx")
        state["ctx_args"] = (namespace_name(ctx.xp), ctx.dtype)
        return state

    def __setstate__(self, state):
        name, dtype = state.pop("ctx_args")
        self.__dict__.update(state)
        xp = namespace_from_name(name)
        A = self.hierarchy.levels[0].A
        self.ctx = self.hierarchy._context(xp, dtype, A._coef)

    def __call__(self, r):
        ctx, h = self.ctx, self.hierarchy
        layout = h.levels[0].A._layout
        xp, be = ctx.xp, ctx.backend
        f = to_padded(xp, xp.astype(r, ctx.dtype, copy=False), layout)
        u = h._cycle(ctx, 0, be.zeros(layout, ctx.dtype, r), f, self.cycle, self.symmetric)
        return from_padded(xp, u, layout, tuple(r.shape))
