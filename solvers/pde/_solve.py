"""solve_pde: GP collocation with a fixed kernel on a Kronecker grid, and its solution object."""

from __future__ import annotations

import math
import numbers
import time
import warnings

import numpy as np

from .._array_api import to_numpy
from ..linalg import KroneckerSumSolver, gmres
from ._collocation import CollocationSystem, apply_along_axis
from ._grid import KroneckerGrid, _validate_shape
from ._init import KERNELS, fft_init, uniform_init
from ._problem import PDEProblem
from .kernels import _MixtureKernel

__all__ = ["solve_pde", "PDESolution"]

MIN_POINTS_PER_WAVELENGTH = 3.0


def _auto_jitter(kernels, grid):
    """Relative jitter chosen by ``jitter="auto"``: ``1e-12`` (see solve_pde Notes)."""
    return 1e-12


class PDESolution:
    """A GP collocation solution: grid values and the GP conditional mean everywhere.

    Attributes
    ----------
    values : array
        Solution at the grid nodes (grid-shaped, the problem's array library).
    grid : KroneckerGrid
    kernel : tuple of kernels
        The per-axis kernels used.
    problem : PDEProblem
    residual_norm : float
        Relative 2-norm of the collocation residual at the interior nodes,
        ``||L U + g(U) - f||_I / ||f||_I`` (``||L U||`` when ``f = 0``).
    info : dict
        ``time_s`` (dict of phase timings), ``solver`` ("kronecker_sum", "gmres" or
        "dense"), ``jitter``, ``gram_condition`` (per axis, of ``K_j + jitter k_j(0) I``),
        ``eigenvector_condition`` (of the fast-diagonalization factors), ``gmres_info``,
        ``points_per_wavelength`` (per axis), ``init``.
    """

    def __init__(self, values, grid, kernel, problem, system, residual_norm, info):
        self.values = values
        self.grid = grid
        self.kernel = tuple(kernel)
        self.problem = problem
        self.residual_norm = residual_norm
        self.info = info
        self._system = system

    def __repr__(self):
        return (f"PDESolution(problem={self.problem.name!r}, shape={self.grid.shape}, "
                f"solver={self.info.get('solver')!r}, residual_norm={self.residual_norm:.2e})")

    def _cross(self, j, x, order):
        """Interpolation (or differentiation) matrix ``k_j^(r)(x, X_j) (K_j + eps I)^{-1}``.

        Applied to the grid values directly, never to ``C^{-1} vec(U)``, whose size grows with
        the condition number of every axis in turn.
        """
        xp = self.grid.xp
        x = xp.asarray(x, dtype=xp.float64)
        if x.ndim != 1:
            raise ValueError(f"coordinates must be 1-D arrays, got shape {tuple(x.shape)}")
        return self._system.factors[j].solve_right(self.kernel[j](x, self.grid.axes[j], dx=order))

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


def _validate_solve_args(problem, shape, kernel, n_components, init, learn, boundary, jitter):
    if not isinstance(problem, PDEProblem):
        raise TypeError(f"`problem` must be a PDEProblem, got {type(problem).__name__}")
    shape = _validate_shape(shape, problem.ndim, minimum=3)
    if isinstance(kernel, str):
        if kernel not in KERNELS:
            raise ValueError(f"`kernel` must be one of {sorted(KERNELS)} or kernel objects, "
                             f"got {kernel!r}")
    else:
        ks = list(kernel) if isinstance(kernel, (list, tuple)) else [kernel] * problem.ndim
        if len(ks) != problem.ndim or not all(isinstance(k, _MixtureKernel) for k in ks):
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


def solve_pde(problem, shape, *, kernel="student_t_mixture", n_components=30,
              kernel_params=None, init="fft", learn=False, boundary="hard", jitter="auto",
              xp=None, callback=None, progress=False, frequency_scale=None, rtol=1e-10,
              maxiter=None, learner="bilevel", max_time=None, prune=1e-6):
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
        Grid nodes per axis (>= 3; an int for every axis). The grid is uniform.
    kernel : {"spectral_mixture", "student_t_mixture"} or kernel or sequence of kernels
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
        Learn the kernel parameters before the final solve (GP-HM's kernel learning; see
        :func:`solvers.pde.gphm_objective` and ``learner``). With ``learn=True``,
        ``maxiter``, ``callback`` and ``progress`` apply to the learner, and
        ``info["learn"]`` reports it (``status``, ``message``, ``nit``, ``nfev``,
        ``objective``, ``history``, ``pruned``, ``components``, ``time_s``).
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
        Called as ``callback(info)`` after each Newton step of a nonlinear problem and once at
        the end of a linear solve. With ``learn=True``: called as
        ``callback(intermediate_result)`` after every learning iteration with a dict
        (``nit``, ``objective``, ``x``: the parameters, ``elapsed_s``); returning ``True``
        stops the learner (status 3).
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
    prune : float or None
        Components whose weight falls below ``prune`` times the largest weight of their axis
        after learning are dropped (counted in ``info["learn"]["pruned"]``); ``None`` keeps
        all.

    Returns
    -------
    PDESolution

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
    >>> sol.relative_l2_error() < 1e-5
    True
    """
    shape = _validate_solve_args(problem, shape, kernel, n_components, init, learn, boundary,
                                 jitter)
    t_start = time.perf_counter()
    times = {}
    grid = KroneckerGrid.uniform(problem.domain, shape, xp=xp)
    xp = grid.xp
    F = problem.evaluate_source(grid)
    H = problem.evaluate_boundary(grid)
    t0 = time.perf_counter()
    kernels = _build_kernels(kernel, kernel_params, n_components, init, problem, grid, F, H,
                             frequency_scale)
    times["init"] = time.perf_counter() - t0
    learn_info = None
    if learn:
        from ._learn import learn_kernel  # kernel learning (part 2)
        t0 = time.perf_counter()
        kernels, learn_info = learn_kernel(problem, grid, kernels, learner=learner,
                                           maxiter=maxiter, max_time=max_time,
                                           callback=callback, progress=progress, prune=prune)
        times["learn"] = time.perf_counter() - t0
        callback, maxiter = None, None
    ppw = _check_resolution(kernels, grid)
    eps = _auto_jitter(kernels, grid) if jitter == "auto" else float(jitter)
    t0 = time.perf_counter()
    system = CollocationSystem(kernels, grid, problem.operator, eps)
    times["factorize"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    U, solve_info = _solve_interior(system, problem, F, H, rtol=rtol, maxiter=maxiter,
                                    callback=callback)
    times["solve"] = time.perf_counter() - t0
    R = _residual(system, problem, U, F)
    denom = float(xp.sqrt(xp.sum(F[system.interior] ** 2)))
    rnorm = float(xp.sqrt(xp.sum(R ** 2)))
    if denom > 0:
        rnorm /= denom
    times["total"] = time.perf_counter() - t_start
    info = {"time_s": times, "jitter": eps, "init": init if kernel_params is None else "params",
            "gram_condition": [f.condition for f in system.factors],
            "points_per_wavelength": ppw, "backend": xp.__name__}
    info.update(solve_info)
    if learn_info is not None:
        info["learn"] = learn_info
    if callback is not None and problem.is_linear:
        callback(dict(info))
    return PDESolution(U, grid, kernels, problem, system, rnorm, info)


def _residual(system, problem, U, F):
    R = system.apply(U)[system.interior] - F[system.interior]
    if problem.nonlinearity is not None:
        R = R + problem.nonlinearity(U[system.interior])[0]
    return R


def _pad_zero(xp, A, fill):
    """Pad every axis of ``A`` with one ``fill`` entry on each side (array-API concat)."""
    for j in range(A.ndim):
        edge = xp.full(tuple(1 if k == j else s for k, s in enumerate(A.shape)), fill,
                       dtype=A.dtype)
        A = xp.concat([edge, A, edge], axis=j)
    return A


def _set_interior(xp, H, UI):
    """Grid array equal to ``H`` on the boundary and ``UI`` inside."""
    inside = _pad_zero(xp, xp.ones(tuple(UI.shape), dtype=xp.bool), False)
    return xp.where(inside, _pad_zero(xp, UI, 0.0), H)


class _InteriorOperator:
    def __init__(self, system, diag=None):
        self.system, self.diag = system, diag

    def matvec(self, V):
        out = self.system.apply_interior(V)
        if self.diag is not None:
            out = out + self.diag * V
        return out


def _linear_solve(system, rhs, diag, *, rtol, maxiter, state):
    """Solve ``(L_II + diag) V = rhs`` for interior-shaped ``V``; fills ``state`` with details."""
    xp = system.xp
    shape = tuple(rhs.shape)
    m = math.prod(shape)
    if system.grid.ndim == 1 and diag is None or (system.grid.ndim == 1 and m <= 4000):
        A = system.interior_dense()
        if diag is not None:
            A = A + xp.eye(m, dtype=A.dtype) * xp.reshape(diag, (1, -1))
        state["solver"] = "dense"
        return xp.reshape(xp.linalg.solve(A, xp.reshape(rhs, (m, 1))), shape)
    precond = state.get("preconditioner")
    if precond is None and "preconditioner_error" not in state:
        factors, shift = system.kronecker_sum_factors()
        if diag is not None:
            shift = shift + float(xp.mean(diag))
        try:
            precond = KroneckerSumSolver(factors, shift=shift)
            state["preconditioner"] = precond
            state["eigenvector_condition"] = list(precond.condition_numbers)
        except (ValueError, np.linalg.LinAlgError) as exc:
            state["preconditioner_error"] = str(exc)
            precond = None
    x0 = None
    if system.is_kronecker_sum and diag is None and precond is not None:
        state["solver"] = "kronecker_sum"
        V = precond.solve(rhs)
        # iterative refinement against the true operator guards against an ill-conditioned
        # eigenbasis; fall through to preconditioned GMRES if it does not settle
        rn = _rel_residual(system, V, rhs)
        for _ in range(3):
            if rn <= rtol:
                break
            V = V + precond.solve(rhs - system.apply_interior(V))
            rn = _rel_residual(system, V, rhs)
        state["refined_residual"] = rn
        if rn <= rtol:
            return V
        x0 = V
    op = _InteriorOperator(system, diag)
    M = None if precond is None else precond.solve
    if maxiter is None:
        maxiter = min(10 * m, 2000)
    V, it = gmres(op, rhs, x0=x0, rtol=rtol, restart=50, maxiter=maxiter, M=M)
    state["solver"] = "gmres" if x0 is None else "kronecker_sum+gmres"
    state["gmres_info"] = int(it)
    return V


def _rel_residual(system, V, rhs):
    xp = system.xp
    r = rhs - system.apply_interior(V)
    scale = float(xp.sqrt(xp.sum(rhs ** 2)))
    return float(xp.sqrt(xp.sum(r ** 2))) / (scale if scale > 0 else 1.0)


def _solve_interior(system, problem, F, H, *, rtol, maxiter, callback):
    xp = system.xp
    I = system.interior
    rhs0 = F[I] - system.boundary_contribution(H)
    state = {}
    if problem.nonlinearity is None:
        V = _linear_solve(system, rhs0, None, rtol=rtol, maxiter=maxiter, state=state)
        return _set_interior(xp, H, V), _public(state)
    # damped Newton on (L_II + diag g'(V)) dV = -(L_II V + g(V) - rhs0), from the linear
    # solution; the Kronecker-sum preconditioner of the linear part is kept for every step
    from ._nonlinear import damped_newton
    V = _linear_solve(system, rhs0, None, rtol=rtol, maxiter=maxiter, state=state)
    V, out = damped_newton(system, problem, rhs0, V, rtol=rtol,
                           maxiter=50 if maxiter is None else int(maxiter), callback=callback,
                           state=state)
    return _set_interior(xp, H, V), _public(out)


def _public(state):
    return {k: v for k, v in state.items() if k != "preconditioner"}
