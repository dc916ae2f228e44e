"""solve_pde: GP collocation on a Kronecker grid (Chebyshev or uniform nodes per axis)."""

from __future__ import annotations

import math
import numbers
import time
import warnings

import numpy as np

from .._array_api import to_numpy
from .._result import BREAKDOWN, call_callback, make_result
from ._chebyshev import chebyshev_resolves
from ._collocation import CollocationSystem
from ._grid import KroneckerGrid, _validate_shape
from ._init import KERNELS, data_wavelengths, fft_init, uniform_init
from ._interior import relative_residual, solve_system
from ._learn import learn_kernel
from ._problem import PDEProblem
from ._solution import PDESolution, residual_estimate
from .kernels import Chebyshev, _MixtureKernel

__all__ = ["solve_pde", "solve_collocation", "PDESolution"]

MIN_POINTS_PER_WAVELENGTH = 3.0
NODES = ("auto", "chebyshev", "uniform")
#: Relative jitter of the mixture kernels' Gram matrices: 1e-12 (measured on the GP-HM
#: benchmarks: 1e-15 to 1e-10 give the same errors, 1e-8 loses one to three digits).
DEFAULT_JITTER = 1e-12


def _validate_solve_args(problem, shape, kernel, n_components, init, learn, boundary, jitter,
                         nodes="auto"):
    if not isinstance(problem, PDEProblem):
        raise TypeError(f"`problem` must be a PDEProblem, got {type(problem).__name__}")
    shape = _validate_shape(shape, problem.ndim, minimum=3)
    if isinstance(kernel, str):
        if kernel not in KERNELS and kernel != "chebyshev":
            raise ValueError(f"`kernel` must be one of {sorted(KERNELS) + ['chebyshev']} or "
                             f"kernel objects, got {kernel!r}")
    else:
        ks = list(kernel) if isinstance(kernel, (list, tuple)) else [kernel] * problem.ndim
        if len(ks) != problem.ndim or not all(isinstance(k, (_MixtureKernel, Chebyshev))
                                              for k in ks):
            raise TypeError("`kernel` must be a name, a kernel from solvers.pde.kernels, or one "
                            f"such kernel per axis ({problem.ndim}), got {kernel!r}")
    if not isinstance(n_components, numbers.Integral) or n_components < 1:
        raise ValueError(f"`n_components` must be a positive integer, got {n_components!r}")
    if init not in ("fft", "uniform"):
        raise ValueError(f"`init` must be 'fft' or 'uniform', got {init!r}")
    if boundary != "hard":
        raise ValueError(f"`boundary` must be 'hard' (exact Dirichlet values), got {boundary!r}")
    if not (jitter == "auto" or (isinstance(jitter, numbers.Real) and jitter >= 0
                                 and math.isfinite(jitter))):
        raise ValueError(f"`jitter` must be 'auto' or a finite number >= 0, got {jitter!r}")
    kinds = _per_axis_nodes(nodes, problem.ndim)
    if len(kinds) != problem.ndim or not all(k in NODES for k in kinds):
        raise ValueError(f"`nodes` must be one of {NODES} or one per axis ({problem.ndim}), "
                         f"got {nodes!r}")
    return shape


def _build_kernels(kernel, kernel_params, n_components, init, problem, grid, F, H,
                   frequency_scale):
    d = problem.ndim
    if not isinstance(kernel, str):
        ks = list(kernel) if isinstance(kernel, (list, tuple)) else [kernel] * d
        if kernel_params is not None:
            ks = [k.with_params(p) for k, p in zip(ks, _per_axis(kernel_params, d))]
        return ks
    if kernel_params is not None:
        out = []
        for p in _per_axis(kernel_params, d):
            p = np.asarray(to_numpy(p), dtype=np.float64).reshape(-1)
            if p.size % 3:
                raise ValueError("`kernel_params` entries must have length 3Q "
                                 f"([log w, log s, mu]), got {p.size}")
            q = p.size // 3
            out.append(KERNELS[kernel](np.ones(q), np.zeros(q), np.ones(q)).with_params(p))
        return out
    if init == "uniform":
        if frequency_scale is None:
            frequency_scale = problem.reference.get("frequency_scale")
        if frequency_scale is None:  # half the Nyquist frequency of the coarsest axis
            frequency_scale = 0.25 / max(grid.spacing())
        return [uniform_init(kernel, n_components, frequency_scale) for _ in range(d)]
    return fft_init(kernel, n_components, grid, problem.operator, F, H)


def _per_axis(value, d):
    if isinstance(value, (list, tuple)) and len(value) == d and all(
            hasattr(v, "__len__") for v in value):
        return list(value)
    return [value] * d


def _check_resolution(kernels, grid):
    ppw = []
    for j, (k, h) in enumerate(zip(kernels, grid.spacing())):
        if isinstance(k, Chebyshev):
            ppw.append(None)
            continue
        f = k.max_frequency
        p = math.inf if f <= 0 else 1.0 / (f * h)
        ppw.append(p)
        if p < MIN_POINTS_PER_WAVELENGTH:
            warnings.warn(
                f"axis {j}: the grid has {p:.2f} points per shortest wavelength of the kernel "
                f"(frequency {f:.4g}, spacing {h:.4g}); below {MIN_POINTS_PER_WAVELENGTH:g} "
                "the collocation solution is usually wrong: refine the grid",
                RuntimeWarning, stacklevel=3)
    return ppw




def _wavelengths(kernels, grid):
    """Per axis, the number of wavelengths of the highest data frequency over the axis."""
    out = []
    for k, (lo, hi) in zip(kernels, grid.domain):
        mu = k.means if isinstance(k, _MixtureKernel) else np.zeros(1)
        out.append(float(np.max(mu)) * (hi - lo))
    return out


def _per_axis_nodes(nodes, d):
    return [nodes] * d if isinstance(nodes, str) else list(nodes)


def _auto_fft(nodes, kernel, kernel_params, init):
    """Whether the node choice reads the data (auto nodes, a kernel family, fft init)."""
    kinds = _per_axis_nodes(nodes, 1)
    return (isinstance(kernel, str) and kernel_params is None and init == "fft"
            and "auto" in kinds)


def _choose_nodes(nodes, kernel, kernel_params, init, kernels, shape, waves):
    kinds = _per_axis_nodes(nodes, len(shape))
    given = not isinstance(kernel, str) or kernel_params is not None
    out = []
    for j, kind in enumerate(kinds):
        if kind == "auto":
            if isinstance(kernel, str) and kernel == "chebyshev":
                kind = "chebyshev"
            elif isinstance(kernels[j], Chebyshev):
                kind = "chebyshev"
            elif given or init != "fft":
                kind = "uniform"
            else:  # below the Chebyshev rule both are tried (see solve_pde, nodes)
                kind = "chebyshev" if chebyshev_resolves(shape[j], waves[j]) else "either"
        out.append(kind)
    return tuple(out)


def solve_collocation(problem, grid, kernels, *, jitter=DEFAULT_JITTER, rtol=1e-10,
                      maxiter=None, callback=None):
    """Collocation solve with given per-axis kernels on a given grid.

    The building block of :func:`solve_pde` (which also chooses nodes and kernels): returns
    a :class:`PDESolution` with ``residual_norm`` and ``residual_estimate`` filled in.
    """
    t0 = time.perf_counter()
    F = problem.evaluate_source(grid)
    H = problem.evaluate_boundary(grid)
    system = CollocationSystem(kernels, grid, problem.operator, jitter)
    t1 = time.perf_counter()
    U, info, status, nit = solve_system(system, problem, F, H, rtol=rtol, maxiter=maxiter,
                                         callback=callback)
    t2 = time.perf_counter()
    rnorm = relative_residual(system, problem, U, F)
    if problem.nonlinearity is None and call_callback(callback, nit=1, residual_norm=rnorm,
                                                      x=U):
        status = 99
    if not math.isfinite(rnorm):
        status = BREAKDOWN
    est = residual_estimate(system, problem, U)
    info.update({"jitter": float(jitter), "gram_condition": system.gram_condition,
                 "backend": grid.xp.__name__,
                 "time_s": {"factorize": t1 - t0, "solve": t2 - t1,
                            "estimate": time.perf_counter() - t2}})
    nodes = tuple("chebyshev" if isinstance(k, Chebyshev) else "uniform" for k in kernels)
    return PDESolution(U, grid, kernels, problem, system, rnorm, info, status=status,
                       message=info.get("message"), nit=nit, residual_estimate=est,
                       nodes=nodes)


def _solve_on(problem, shape, kinds, kernels, xp, options):
    """Solve with the given node family per axis; returns ``(solution, ppw, learn result)``."""
    grid = _make_grid(problem, shape, kinds, xp)
    kernels = [Chebyshev(n - 1, dom) if kind == "chebyshev" else k
               for k, kind, n, dom in zip(kernels, kinds, shape, grid.domain)]
    eps, rtol = options["eps"], options["rtol"]
    mixture = [k for k in kernels if isinstance(k, _MixtureKernel)]
    ppw = _check_resolution(kernels, grid)
    learn_res = None
    if options["learn"] and len(mixture) == len(kernels):
        t0 = time.perf_counter()
        learned, learn_res = learn_kernel(problem, grid, kernels, learner=options["learner"],
                                          maxiter=options["maxiter"],
                                          max_time=options["max_time"],
                                          callback=options["callback"],
                                          progress=options["progress"], prune=options["prune"])
        learn_res.time_s = time.perf_counter() - t0
        sol0 = solve_collocation(problem, grid, kernels, jitter=eps, rtol=rtol)
        sol1 = solve_collocation(problem, grid, learned, jitter=eps, rtol=rtol)
        better = sol1.residual_estimate < sol0.residual_estimate
        sol = sol1 if better else sol0
        learn_res.selected = "learned" if better else "initial"
        learn_res.residual_estimates = (sol0.residual_estimate, sol1.residual_estimate)
        if better:
            ppw = _check_resolution(learned, grid)
    else:
        if options["learn"]:
            learn_res = make_result(6, "nothing to learn: Chebyshev axes (their GP mean does "
                                    "not depend on kernel parameters)", nit=0,
                                    selected="initial")
        sol = solve_collocation(problem, grid, kernels, jitter=eps, rtol=rtol,
                                maxiter=options["maxiter"], callback=options["callback"])
    return sol, ppw, learn_res


def _make_grid(problem, shape, kinds, xp):
    cheb = [j for j, k in enumerate(kinds) if k == "chebyshev"]
    if not cheb:
        return KroneckerGrid.uniform(problem.domain, shape, xp=xp)
    return KroneckerGrid.chebyshev(problem.domain, shape, axes=cheb, xp=xp)


def solve_pde(problem, shape, *, nodes="auto", kernel="student_t_mixture", n_components=30,
              kernel_params=None, init="fft", learn=False, boundary="hard", jitter="auto",
              xp=None, callback=None, progress=False, frequency_scale=None, rtol=1e-10,
              maxiter=None, learner="bilevel", max_time=None, prune=1e-6,
              error_estimate=False):
    r"""Solve a PDE on a box by Gaussian-process collocation on a Kronecker grid (GP-HM).

    The solution is modelled by a GP with product kernel ``prod_j k_j`` (per-axis spectral- or
    Student-t-mixture kernels). On a tensor grid its derivatives at the nodes are
    ``D_j^(r) = K_j^(r) K_j^{-1}`` applied along axis ``j``; the grid values are fixed on the
    boundary (hard Dirichlet data) and solve the collocation equations
    ``sum_alpha c_alpha (⊗_j D_j^(alpha_j)) U + g(U) = f`` at the interior nodes.

    Parameters
    ----------
    problem : PDEProblem
    shape : int or sequence of int
        Grid nodes per axis (>= 3; an int for every axis).
    nodes : {"auto", "chebyshev", "uniform"} or sequence of those
        Node family per axis. ``"chebyshev"``: Chebyshev–Gauss–Lobatto nodes with the
        polynomial kernel :class:`~solvers.pde.kernels.Chebyshev`, whose GP mean is the
        interpolating polynomial: spectral accuracy, converging under refinement to about
        1e-12 on smooth solutions, but it needs about ``pi`` nodes per wavelength plus 40.
        ``"uniform"``: GP-HM's uniform grid with the mixture kernel ``kernel``, read off the
        data: it still works from about 3 nodes per wavelength, where Chebyshev fails, but
        its accuracy stalls near 1e-6 and varies with ``n``. ``"auto"`` (default) takes
        Chebyshev on every axis whose estimated number of wavelengths ``W`` satisfies
        ``n >= pi W + 40`` (``W`` from a windowed periodogram of the source and boundary
        data, which errs high; where that does not settle it, from the frequencies the
        ``fft`` initialization finds); if some axis does not, it solves twice (those axes Chebyshev,
        then uniform) and keeps the solution with the smaller PDE residual at the midpoints
        of both grids (``info["node_selection"]``); with kernel objects,
        ``kernel_params`` or ``init="uniform"`` it keeps the uniform grid (the kernel given is
        used as given).
    kernel : {"spectral_mixture", "student_t_mixture", "chebyshev"} or kernel or sequence of kernels
        Kernel family (initialized by ``init`` or built from ``kernel_params``), or ready
        kernel objects (one for all axes, or one per axis). The default is the Student-t
        mixture (Matérn-5/2 envelope, GP-HM-StM): with a fixed kernel it is one to three
        digits more accurate than the spectral mixture on the GP-HM benchmarks, whose
        Gaussian envelopes make ``K_j`` numerically rank-deficient once a low-frequency
        component is present (measured: poisson1d-sin100 1.4e-7 vs 8e-5).
    n_components : int
        Largest number of mixture components per axis (``init="fft"`` uses only as many as it
        finds; ``init="uniform"`` uses exactly this many, like the reference's ``Q = 30``).
    kernel_params : array or sequence of arrays, optional
        Unconstrained parameters ``[log w, log s, mu]`` per axis (see
        :mod:`solvers.pde.kernels`); overrides ``init``.
    init : {"fft", "uniform"}
        ``"fft"``: per axis, frequencies at the spectral peaks of the source term and of the
        boundary data (found by greedy sinusoid extraction with a Hann window and refined to
        sub-bin accuracy), weights from their estimated solution power (source power divided by
        the squared operator symbol), widths ``0.1 / L`` (``L`` the axis length), plus a
        low-frequency component ``mu = 0`` of width ``0.3 / L`` (widths measured best
        over the GP-HM suite and smooth test problems).
        ``"uniform"``: the reference's ``n_components`` frequencies spread on ``[0, F]``
        (``F = frequency_scale``, else ``problem.reference["frequency_scale"]``, else a quarter
        of the grid's sampling rate), weights ``1/Q``.
    learn : bool
        Learn the mixture kernels' parameters before the final solve (GP-HM's kernel
        learning; see :func:`solvers.pde.gphm_objective` and ``learner``), then keep the
        learned kernels only if they lower the residual estimate at the cell midpoints (a
        criterion that needs no exact solution); otherwise the starting kernels are kept, so
        learning never makes that criterion worse. Chebyshev axes have nothing to learn (the
        GP mean on them does not depend on kernel parameters); when any axis is Chebyshev
        learning is skipped. With ``learn=True``, ``maxiter``, ``callback`` and
        ``progress`` apply to the learner, and ``info["learn"]`` (an ``OptimizeResult``)
        reports it (``status``, ``message``, ``nit``, ``nfev``, ``objective``, ``history``,
        ``pruned``, ``components``, ``time_s``, ``selected``: "learned" or "initial",
        ``residual_estimates``: initial and learned).
    boundary : {"hard"}
        Dirichlet values imposed exactly at the boundary nodes.
    jitter : "auto" or float
        Relative diagonal jitter of each ``K_j`` (times ``k_j(0)``). ``"auto"`` picks ``1e-12``
        (measured on the GP-HM benchmarks: 1e-12 to 1e-10 work, 1e-8 loses one to three
        digits).
    xp : namespace, optional
        Array library for the computation (default NumPy; CuPy runs every dense step on the
        device).
    callback : callable, optional
        ``callback(intermediate_result)`` (an ``OptimizeResult``) before each Newton step of
        a nonlinear problem (``nit``, ``residual``, ``x``) and once after a linear solve
        (``nit``, ``residual_norm``, ``x``). With ``learn=True``: after every learning
        iteration (``nit``, ``fun``, ``x``: the parameters, ``elapsed_s``). Raising
        ``StopIteration`` stops the iteration (status 99).
    progress : bool
        With ``learn=True``, show a tqdm progress bar of the learning iterations.
    frequency_scale : float, optional
        ``F`` for ``init="uniform"``.
    rtol : float
        Relative tolerance of GMRES and of the Newton iteration.
    maxiter : int, optional
        GMRES iterations (default ``10 * interior size`` capped at 2000) / Newton steps (50);
        with ``learn=True`` the learning iterations (default 30 for ``"bilevel"``, 2000
        for ``"joint_adam"``).
    learner : {"bilevel", "joint_adam"}
        ``"bilevel"``: the grid values are profiled out (the collocation solution for the
        current kernel, Newton for nonlinear problems) and the kernel parameters minimize the
        GP-HM objective at that solution, precisions profiled, by L-BFGS-B with exact
        gradients (adjoint of the collocation equations), inside a trust region around the
        initial kernel. ``"joint_adam"``: the reference's Adam (lr 0.01) on grid values,
        kernel parameters and log precisions jointly, from ``U = 0`` (for comparison; its
        grid values are in ``info["learn"]["values"]``).
    max_time : float, optional
        Time budget of the learner in seconds (status 2 when reached).
    error_estimate : bool
        Also solve on a finer grid (``round(1.2 n_j)`` nodes per axis, the same node family
        per axis, the same options; no learning) and store the relative L2 difference of the
        two GP means on a uniform ``300^d``-point grid (``100^d`` in three dimensions and
        more) as ``error_estimate`` (None otherwise): an estimate of this solution's error
        that needs no exact solution. It costs one more solve on the larger grid.
    prune : float or None
        Components whose weight falls below ``prune`` times the largest weight of their axis
        after learning are dropped (counted in ``info["learn"]["pruned"]``); ``None`` keeps
        all.

    Returns
    -------
    PDESolution
        An ``OptimizeResult`` (``success``, ``status``, ``message``, ``nit``) with the grid
        values, the GP mean (``evaluate``, ``derivative``, ``__call__``), ``residual_norm``
        and ``residual_estimate``.

    Raises
    ------
    ValueError
        A shape that does not match the domain or has fewer than 3 points per axis, a source
        or boundary with non-finite values, unknown options.
    TypeError
        A problem that is not a :class:`PDEProblem`, a wrong kernel.

    Warns
    -----
    RuntimeWarning
        When an axis has fewer than 3 nodes per shortest wavelength of its kernel (the GP-HM
        reference fails below that). With ``init="fft"`` the kernel is read off the sampled
        source, so a source that is itself under-resolved (aliased) is not detected.

    Notes
    -----
    On uniform axes the per-axis matrices ``K_j`` of the mixture kernels are numerically
    singular (condition 1e14-1e15 at the GP-HM sizes); the interior operator ``L_II`` built
    from them is non-normal, and its smallest singular value varies erratically with ``n``
    (measured 6e-3 ... 0.18 on u'' = f, u = sin(150 x), n = 420 ... 510, while its eigenvalues
    stay near 0.25): the error follows it, so refining a uniform grid does not reliably
    lower the error. Chebyshev axes have neither problem: their matrices are the closed-form
    spectral ones.

    The interior system is solved by fast diagonalization
    (:class:`solvers.linalg.KroneckerSumSolver`) when the operator has no mixed derivatives
    (a Kronecker sum: Poisson, Helmholtz, advection-diffusion with constant coefficients), by
    a dense LU solve in one dimension, and otherwise (mixed terms, or a Kronecker-sum factor
    that is not diagonalizable to working accuracy) by :func:`solvers.linalg.gmres`
    preconditioned with the fast-diagonalization solve of the operator's Kronecker-sum part.
    Nonlinear problems (``g(u)``) use Newton's method with the same inner solvers.

    Reference: S. Fang, M. Cooley, D. Long, S. Li, R. Kirby, S. Zhe, "Solving High Frequency
    and Multi-Scale PDEs with Gaussian Processes", ICLR 2024. The reference trains the kernel
    and the grid values jointly with 1e5-1e6 Adam steps; here the kernel is fixed and the grid
    values come from one linear solve.

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.pde import PDEProblem, solve_pde
    >>> p = PDEProblem([(0, 2 * np.pi)], {(2,): 1.0}, lambda x: -25 * np.sin(5 * x), 0.0,
    ...                exact=lambda x: np.sin(5 * x))
    >>> sol = solve_pde(p, 60)
    >>> sol.nodes, sol.success
    (('chebyshev',), True)
    >>> sol.relative_l2_error() < 1e-12
    True
    """
    shape = _validate_solve_args(problem, shape, kernel, n_components, init, learn, boundary,
                                 jitter, nodes)
    t_start = time.perf_counter()
    grid = KroneckerGrid.uniform(problem.domain, shape, xp=xp)
    xp = grid.xp
    t0 = time.perf_counter()
    kinds = None
    if isinstance(kernel, str) and kernel == "chebyshev":
        kernels = [None] * problem.ndim
        waves = [0.0] * problem.ndim
    else:
        F = problem.evaluate_source(grid)
        H = problem.evaluate_boundary(grid)
        if _auto_fft(nodes, kernel, kernel_params, init):
            # a periodogram first: where it already shows every auto axis resolved by
            # Chebyshev nodes, no mixture kernel is fitted (the tone extraction costs more
            # than the Chebyshev solve)
            waves = data_wavelengths(grid, problem.operator, F, H)
            if all(nd == "chebyshev" or (nd == "auto" and chebyshev_resolves(n, w))
                   for nd, n, w in zip(_per_axis_nodes(nodes, problem.ndim), shape, waves)):
                kernels, kinds = [None] * problem.ndim, ("chebyshev",) * problem.ndim
        if kinds is None:
            kernels = _build_kernels(kernel, kernel_params, n_components, init, problem, grid,
                                     F, H, frequency_scale)
            waves = _wavelengths(kernels, grid)
    if kinds is None:
        kinds = _choose_nodes(nodes, kernel, kernel_params, init, kernels, shape, waves)
    if kernels[0] is None and "uniform" in kinds:
        raise ValueError("`kernel='chebyshev'` needs Chebyshev nodes: use nodes='auto' or "
                         f"'chebyshev', got nodes={nodes!r}")
    t_init = time.perf_counter() - t0
    eps = DEFAULT_JITTER if jitter == "auto" else float(jitter)
    options = dict(eps=eps, rtol=rtol, maxiter=maxiter, callback=callback, learn=learn,
                   learner=learner, max_time=max_time, progress=progress, prune=prune)
    if "either" in kinds:
        # Chebyshev's rule says "not resolved": solve on both node families and keep the
        # solution with the smaller residual estimate between the nodes
        both = [tuple("chebyshev" if k == "either" else k for k in kinds),
                tuple("uniform" if k == "either" else k for k in kinds)]
        sols, caught = [], []
        for kk in both:
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always")
                sols.append(_solve_on(problem, shape, kk, kernels, xp, options))
            caught.append(w)
        # compare at the same points: the midpoints of both grids (the residual estimate of
        # each solution uses its own grid's midpoints, which differ between the families)
        common = [xp.sort(xp.unique_values(xp.concat([0.5 * (a[1:] + a[:-1]),
                                                      0.5 * (b[1:] + b[:-1])])))
                  for a, b in zip(sols[0][0].grid.axes, sols[1][0].grid.axes)]
        crit = [residual_estimate(r[0]._system, problem, r[0].values, common) for r in sols]
        best = min(range(2), key=lambda i: crit[i])
        sol, ppw, learn_res = sols[best]
        for w in caught[best]:  # the chosen solve's warnings only
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        sol.info["node_selection"] = {"candidates": both, "residual_estimates": crit}
        kinds = sol.nodes
    else:
        sol, ppw, learn_res = _solve_on(problem, shape, kinds, kernels, xp, options)
    info = sol.info
    info["time_s"]["init"] = t_init
    if learn_res is not None:
        info["learn"] = learn_res
        info["time_s"]["learn"] = float(learn_res.get("time_s", 0.0))
    info["time_s"]["total"] = time.perf_counter() - t_start
    info.update({"init": init if kernel_params is None else "params", "nodes": kinds,
                 "points_per_wavelength": ppw, "wavelengths": waves})
    if error_estimate:
        t0 = time.perf_counter()
        sol.error_estimate = _refined_difference(
            sol, problem, shape, kinds, kernel if kernel_params is None else sol.kernel,
            n_components=n_components, init=init, jitter=jitter, rtol=rtol, xp=xp,
            frequency_scale=frequency_scale)
        info["time_s"]["error_estimate"] = time.perf_counter() - t0
    return sol


def _refined_difference(sol, problem, shape, kinds, kernel, **options):
    """Relative L2 difference of ``sol`` and the solution on ``round(1.2 n)`` nodes."""
    finer = tuple(int(round(1.2 * n)) for n in shape)
    if isinstance(kernel, (list, tuple)) or not isinstance(kernel, str):
        ks = list(kernel) if isinstance(kernel, (list, tuple)) else [kernel] * problem.ndim
        if any(isinstance(k, Chebyshev) for k in ks):  # a Chebyshev kernel fixes its degree
            kernel = "student_t_mixture"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        other = solve_pde(problem, finer, nodes=list(kinds), kernel=kernel, **options)
    xp = sol.grid.xp
    n_test = 300 if problem.ndim <= 2 else 100
    test = KroneckerGrid.uniform(problem.domain, n_test, xp=xp)
    a = sol.evaluate(*test.axes)
    b = other.evaluate(*test.axes)
    scale = float(xp.sqrt(xp.sum(a ** 2)))
    diff = float(xp.sqrt(xp.sum((a - b) ** 2)))
    return diff / scale if scale > 0 else diff
