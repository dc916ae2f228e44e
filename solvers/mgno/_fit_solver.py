"""Learning multigrid solvers: V-cycle stencils fitted to a stencil family over several grid sizes."""

from __future__ import annotations

import numbers

import numpy as np

from .._progress import progress_bar
from .._result import CALLBACK, FINISHED, NONFINITE, call_callback, make_result
from ..optimize import Adam
from .._grid_shape import validate_grid_shape
from ._multigrid_operator import (MultigridOperator, _check_rng, _constant_stencil,
                                  _galerkin_stencil)
from . import _stencil_conv as sc

__all__ = ["fit_solver"]


def _levels_to_bottom(shape):
    """Number of grids of a vertex-centred hierarchy down to the coarsest reachable grid."""
    levels = 1
    while all(n >= 3 and n % 2 == 1 for n in shape):
        shape = tuple((n - 1) // 2 for n in shape)
        levels += 1
    return levels


class _SharedStencils:
    """Maps one shared parameter vector to the V-cycle of any grid size (and back).

    Level ``l`` of a hierarchy uses slot ``min(l, n_slots - 1)``; the coarsest level has a slot
    of its own. Stencils are stored normalized by the centre ``s_l`` of the level's classical
    (Galerkin) operator: ``A = s_l * theta_A`` and ``S = theta_S / s_l``, so that one slot
    serves every ``h`` (for second-order operators ``s_l`` scales like ``h_l^-2``).
    """

    def __init__(self, family, ndim, pre, post, n_slots, template_shape):
        self.family, self.ndim = family, ndim
        self.pre, self.post, self.n_slots = pre, post, n_slots
        self._ops = {}
        tmpl = MultigridOperator((3,) * ndim, levels=2, pre=pre, post=post, init="random", rng=0)
        blocks = tmpl.param_slices()
        self.level_keys = [(k[1], k[2]) for k in blocks if k[0] == 0]
        self.coarse_keys = [(k[1], k[2]) for k in blocks if k[0] == 1]
        self.slot_index = {}
        start = 0
        for slot in list(range(n_slots)) + ["coarse"]:
            for kind, step in (self.coarse_keys if slot == "coarse" else self.level_keys):
                size = blocks[(0 if slot != "coarse" else 1, kind, step)][0]
                size = size.stop - size.start
                self.slot_index[(slot, kind, step)] = slice(start, start + size)
                start += size
        self.size = start
        self.theta0 = self._classical_theta(template_shape)

    def operator(self, shape):
        """Classical operator of grid ``shape`` with its scale factors and slot map."""
        if shape not in self._ops:
            A = self.family(shape)
            levels = _levels_to_bottom(shape)
            op = MultigridOperator(shape, levels=levels, pre=self.pre, post=self.post,
                                   init="classical", operator=A)
            stencil = _constant_stencil(A, shape)
            centre, st = [], stencil
            for level in range(levels):
                centre.append(float(st[(1,) * self.ndim]))
                st = _galerkin_stencil(st, False)
            rows = []
            for (level, kind, step), (sl, _) in op.param_slices().items():
                slot = "coarse" if level == levels - 1 else min(level, self.n_slots - 1)
                s = centre[level]
                factor = s if kind in ("A", "Ar") else (1.0 / s if kind == "S" else 1.0)
                rows.append((sl, self.slot_index[(slot, kind, step)], factor))
            self._ops[shape] = (op, rows, stencil)
        return self._ops[shape]

    def _classical_theta(self, shape):
        op, rows, _ = self.operator(shape)
        theta = np.zeros(self.size)
        params = op.params
        for sl, tsl, factor in rows:  # later (coarser) levels overwrite the shared slot
            theta[tsl] = params[sl] / factor
        return theta

    def gather(self, theta, shape):
        op, rows, _ = self.operator(shape)
        params = np.empty(op.n_params)
        for sl, tsl, factor in rows:
            params[sl] = theta[tsl] * factor
        return op.with_params(params)

    def scatter(self, grad, shape):
        _, rows, _ = self.operator(shape)
        out = np.zeros(self.size)
        for sl, tsl, factor in rows:
            out[tsl] += grad[sl] * factor
        return out


def _error_step(xp, M, stencil, e):
    """``e - M A e`` for a batch ``e`` of shape (B, 1, *grid), with ``A e`` returned."""
    Ae = sc.conv(xp, stencil, e, M.ndim, False)
    return e - M(Ae), Ae


def _loss_and_grad(xp, shared, theta, shape, z, power):
    """Mean over the batch of ``log(|E^k z| / |z|) / k`` and its gradient in ``theta``."""
    M = shared.gather(theta, shape)
    _, _, stencil = shared.operator(shape)
    w = stencil.reshape(1, 1, -1)
    errors, products = [z], []
    for _ in range(power):
        e, Ae = _error_step(xp, M, w, errors[-1])
        errors.append(e)
        products.append(Ae)
    axes = tuple(range(1, z.ndim))
    norm_k = np.sqrt(np.sum(errors[-1] ** 2, axis=axes))
    norm_0 = np.sqrt(np.sum(z ** 2, axis=axes))
    batch = z.shape[0]
    loss = float(np.mean(np.log(norm_k / norm_0)) / power)
    ebar = errors[-1] / (norm_k ** 2 * batch * power).reshape((-1,) + (1,) * (z.ndim - 1))
    grad = np.zeros(M.n_params)
    for j in reversed(range(power)):
        g, mbar = M.vjp(products[j], ebar, input_grad=True)
        grad -= g
        ebar = ebar - sc.conv_adjoint(xp, w, mbar, M.ndim, False)
    return loss, shared.scatter(grad, shape)


def convergence_factor(M, stencil, rng, cycles=15, first=6):
    """Geometric-mean error reduction of ``e <- e - M A e`` over cycles ``first..cycles``."""
    import array_api_compat.numpy as xp

    e = rng.standard_normal((1, 1) + M.grid_shape)
    w = stencil.reshape(1, 1, -1)
    norms = []
    for _ in range(cycles):
        e, _ = _error_step(xp, M, w, e)
        n = float(np.linalg.norm(e))
        norms.append(n)
        if n == 0 or not np.isfinite(n):
            return 0.0 if n == 0 else float("inf")
        e = e / n
    return float(np.exp(np.mean(np.log(norms[first - 1:]))))


def fit_solver(operator_A, *, sizes, objective="spectral_radius", test_sizes=(), ndim=2, pre=1,
               post=1, shared_levels=3, power=2, batch_size=8, steps=200, lr=3e-3, rng=None,
               callback=None, progress=False):
    r"""Learn the stencils of a multigrid V-cycle for a family of stencil operators.

    Minimizes a stochastic estimate of the error-propagator norm
    ``mean_z log(|(I - M A)^k z| / |z|) / k`` over random ``z`` and over a mix of grid sizes
    (summed), with Adam, where ``M`` is a :class:`MultigridOperator` started from the
    classical V-cycle. One parameter vector serves every grid size: level ``l`` of a
    hierarchy uses the stencils of slot ``min(l, shared_levels - 1)`` and the coarsest level
    a slot of its own; operator and smoother stencils are stored normalized by the centre of
    the level's Galerkin operator (``h``-scaling). Gradients come from the hand-written
    :meth:`MultigridOperator.vjp`.

    Parameters
    ----------
    operator_A : callable
        ``operator_A(grid_shape)`` returns the constant-coefficient :class:`StencilOperator`
        of the family on that grid (for instance :func:`poisson`).
    sizes : sequence of int or tuple
        Training grid sizes (an int ``n`` means ``(n,) * ndim``). Sizes ``2**k - 1`` coarsen
        down to one node, where the classical V-cycle solves exactly.
    objective : {"spectral_radius"}
        The stochastic spectral-radius objective above (the only one implemented).
    test_sizes : sequence of int or tuple
        Further sizes to report the convergence factor on (not trained on).
    ndim : int
        Dimension for integer sizes.
    pre, post : int
        Jacobi-like smoothing steps of the V-cycle.
    shared_levels : int
        Number of level slots (see above).
    power : int
        ``k``, the power of the error propagator in the objective.
    batch_size, steps, lr : int, int, float
        Random vectors per size and step, Adam steps and learning rate.
    rng : None, int or numpy.random.Generator
    callback : callable, optional
        ``callback(intermediate_result)`` after each step, with an ``OptimizeResult`` holding
        ``nit``, ``fun`` and ``x``; raising ``StopIteration`` stops the fit (status 99).
    progress : bool
        Show a tqdm bar (when tqdm is installed).

    Returns
    -------
    res : scipy.optimize.OptimizeResult
        ``x`` (the shared parameters), ``fun`` (final objective), ``nit``, ``success``,
        ``status`` (the library's table, :mod:`solvers._result`: 6 all ``steps`` run,
        3 non-finite objective or gradient, 99 the callback raised ``StopIteration``),
        ``message``, ``loss_history``, ``rho`` and ``rho_classical`` (dicts grid
        shape -> convergence factor of the learned and of the classical cycle, geometric mean
        of the error reduction over cycles 6-15, on ``sizes`` and ``test_sizes``), and
        ``operator(grid_shape)`` returning the learned :class:`MultigridOperator` for any
        grid of the family.

    Notes
    -----
    Training runs on NumPy. Learned stencils can overfit the grid size and its boundary
    layer; training over several sizes with shared level slots and checking ``rho`` on a size
    not trained on (an ``h``-independence gate) guards against that. Related work:
    Katrutsa, Daulbaev, Oseledets, "Deep multigrid" (2017); Greenfeld et al., "Learning to
    optimize multigrid PDE solvers" (ICML 2019).

    Examples
    --------
    >>> from solvers.mgno import fit_solver
    >>> from solvers.multigrid import poisson
    >>> res = fit_solver(poisson, sizes=[15], test_sizes=[31], steps=20, rng=0)
    >>> bool(res.rho[(15, 15)] < res.rho_classical[(15, 15)])
    True
    """
    from ..multigrid import StencilOperator

    if not callable(operator_A) or isinstance(operator_A, StencilOperator):
        raise TypeError("`operator_A` must be a callable grid_shape -> StencilOperator, e.g. "
                        f"solvers.multigrid.poisson; got {type(operator_A).__name__}")
    if objective != "spectral_radius":
        raise ValueError(f"`objective` must be 'spectral_radius', got {objective!r}")
    for name, value, low in (("shared_levels", shared_levels, 1), ("power", power, 1),
                             ("batch_size", batch_size, 1), ("steps", steps, 0),
                             ("pre", pre, 1), ("post", post, 0)):
        if not isinstance(value, numbers.Integral) or value < low:
            raise ValueError(f"`{name}` must be an integer >= {low}, got {value!r}")
    if not (isinstance(lr, numbers.Real) and lr > 0):
        raise ValueError(f"`lr` must be positive, got {lr!r}")

    def shapes(seq, name):
        out = []
        for s in seq:
            shape = (int(s),) * ndim if isinstance(s, numbers.Integral) else validate_grid_shape(s)
            out.append(validate_grid_shape(shape, name))
        return out

    train = shapes(sizes, "sizes")
    if not train:
        raise ValueError("`sizes` must name at least one grid size")
    test = shapes(test_sizes, "test_sizes")
    if len({len(s) for s in train + test}) != 1:
        raise ValueError("all `sizes` and `test_sizes` must have the same dimension")
    gen = _check_rng(rng)
    import array_api_compat.numpy as xp

    shared = _SharedStencils(operator_A, len(train[0]), pre, post, shared_levels,
                             max(train, key=lambda s: np.prod(s)))
    theta = shared.theta0.copy()
    opt = Adam(lr=lr)
    history = []
    bar = progress_bar(progress, steps, "fit_solver")
    status, message = FINISHED, None
    nit = 0
    for nit in range(1, steps + 1):
        total, grad = 0.0, np.zeros_like(theta)
        for shape in train:
            z = gen.standard_normal((batch_size, 1) + shape)
            loss, g = _loss_and_grad(xp, shared, theta, shape, z, power)
            total += loss
            grad += g
        if not np.isfinite(total) or not np.all(np.isfinite(grad)):
            status, message = NONFINITE, f"non-finite objective at step {nit}; stopped"
            break
        theta = opt.step(theta, grad)
        history.append(total / len(train))
        if bar is not None:
            bar.update(1)
        if call_callback(callback, nit=nit, fun=history[-1], x=theta.copy()):
            status, message = CALLBACK, f"`callback` raised StopIteration at step {nit}"
            break
    if bar is not None:
        bar.close()
    rho, rho_classical = {}, {}
    for shape in train + test:
        _, _, stencil = shared.operator(shape)
        classical = shared.operator(shape)[0]
        rho[shape] = convergence_factor(shared.gather(theta, shape), stencil,
                                        np.random.default_rng(1))
        rho_classical[shape] = convergence_factor(classical, stencil, np.random.default_rng(1))
    return make_result(status, message, x=theta, fun=history[-1] if history else float("nan"),
                       nit=nit, loss_history=np.array(history), rho=rho,
                       rho_classical=rho_classical,
                       operator=lambda grid_shape: shared.gather(theta, tuple(grid_shape)))
