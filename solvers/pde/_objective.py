"""The GP-HM training objective on a Kronecker grid, its value and its analytic gradients.

The reference (Fang et al., ICLR 2024, ``model_GP_solver_*d.py::loss``) minimizes

    -L = 1/2 log|C| + 1/2 vec(U)^T C^{-1} vec(U)
         - lambda_b (N_b/2 log tau_1 - tau_1/2 ||u_b - g||^2)
         - (N_c/2 log tau_2 - tau_2/2 ||H||^2),

with ``C = K_1 ⊗ ... ⊗ K_d`` (per-axis Gram matrices plus jitter), ``u_b`` the grid values on
the faces of the box (each face of each axis, so edges are counted once per face as in the
reference), ``H = L U + g(U) - f`` the PDE residual at *every* node, ``N_c`` the number of
nodes. With the precisions profiled out (``tau* = N / ||r||^2``) the likelihood terms become
``N/2 log(||r||^2 / N) + N/2``.

Gradients with respect to the kernel parameters ``[log w, log s, mu]`` of every axis are
analytic: the derivative of ``D_j = K_j^(r) K_j^{-1}`` is
``dK^(r) K^{-1} - D dK K^{-1}``, so every contraction ``<W, d(L U)>`` collapses to per-axis
``n_j x n_j`` matrices; on a uniform grid ``K_j`` is Toeplitz and the parameter derivatives of
the kernel are only evaluated at the ``2 n_j - 1`` distinct lags.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .._array_api import array_namespace
from ._collocation import CollocationSystem, apply_along_axis
from ._grid import KroneckerGrid
from ._problem import PDEProblem
from .kernels import _MixtureKernel

__all__ = ["gphm_objective", "ObjectiveEvaluator"]

DEFAULT_JITTER = 1e-12


# ----------------------------------------------------------------------------- kernel grads
def _diagonal_sums(xp, W):
    """``s[l] = sum_a W[a, a - l + n - 1]`` for lags ``a - b = l - (n - 1)``, ``l = 0..2n-2``."""
    n = int(W.shape[0])
    Wf = xp.flip(W, axis=1)  # Wf[a, c] = W[a, n-1-c]; a + c = (a - b) + n - 1
    pad = xp.concat([Wf, xp.zeros((n, n), dtype=W.dtype)], axis=1)  # (n, 2n)
    flat = xp.reshape(pad, (-1,))[: n * (2 * n - 1)]
    skew = xp.reshape(flat, (n, 2 * n - 1))  # row a, column a + c
    return xp.sum(skew, axis=0)


def _lags(xp, x):
    """``(tau, contract)``: the lags at which the kernel must be evaluated, and a reducer.

    On a uniform axis the Gram matrices are Toeplitz: ``tau`` holds the ``2n - 1`` distinct
    lags and ``contract(W)`` the matching diagonal sums. Otherwise ``tau`` is the full lag
    matrix and ``contract`` the identity.
    """
    n = int(x.shape[0])
    h = (x[-1] - x[0]) / (n - 1)
    uniform = bool(xp.max(xp.abs(x[1:] - x[:-1] - h)) <= 1e-12 * abs(float(h)) * n)
    if uniform:
        tau = (xp.arange(2 * n - 1, dtype=xp.float64) - (n - 1)) * h
        return tau, lambda W: _diagonal_sums(xp, W)
    return x[:, None] - x[None, :], lambda W: W


def kernel_param_grad(kernel, params, x, weights):
    """``g[p] = sum_r <d K^(r) / d params[p], weights[r]>`` for a mixture kernel on nodes ``x``.

    ``K^(r)[a, b] = d^r/dx^r k(x_a, x_b)`` (derivative in the first argument), ``params`` the
    unconstrained ``[log w, log s, mu]`` (the sign of ``mu`` is kept, so the gradient is that
    of the parametrization itself). Returns a NumPy vector of length ``3Q``.
    """
    xp = array_namespace(x)
    q = kernel.n_components
    params = np.asarray(params, dtype=np.float64)
    tau, contract = _lags(xp, x)
    red = {r: contract(W) for r, W in weights.items()}
    nmax = max(red)
    g = np.zeros(3 * q)
    for i in range(q):
        w, s = math.exp(float(params[i])), math.exp(float(params[q + i]))
        m = 2 * math.pi * float(params[2 * q + i])
        G = kernel._envelope_derivatives(xp, tau, s, nmax + 1)
        C, S = xp.cos(m * tau), xp.sin(m * tau)
        trig = (C, -S, -C, S)  # d^j/d(m tau)^j cos
        for r, Wr in red.items():
            T = Ts = Tm = 0.0
            for k in range(r + 1):
                j = r - k
                b = float(math.comb(r, k))
                tj = trig[j % 4] * (m ** j)
                T = T + b * G[k] * tj
                Ts = Ts + b * (k * G[k] + tau * G[k + 1]) * tj
                dm = (m ** j) * tau * trig[(j + 1) % 4]
                if j:
                    dm = dm + j * m ** (j - 1) * trig[j % 4]
                Tm = Tm + b * G[k] * dm
            g[i] += w * float(xp.sum(T * Wr))
            g[q + i] += w * float(xp.sum(Ts * Wr))
            g[2 * q + i] += 2 * math.pi * w * float(xp.sum(Tm * Wr))
    return g


# ----------------------------------------------------------------------------- helpers
def _unfold(xp, U, j):
    """Mode-``j`` unfolding ``(n_j, rest)`` of ``U``."""
    return xp.reshape(xp.moveaxis(U, j, 0), (int(U.shape[j]), -1))


def _faces(xp, U):
    """The reference's boundary vector: both faces of every axis, concatenated."""
    parts = []
    for j, n in enumerate(U.shape):
        for idx in (0, n - 1):
            parts.append(xp.reshape(xp.take(U, xp.asarray([idx]), axis=j), (-1,)))
    return xp.concat(parts)


def _faces_adjoint(xp, v, shape):
    """Transpose of :func:`_faces`: scatter-add a face vector back onto the grid."""
    out = xp.zeros(shape, dtype=v.dtype)
    start = 0
    d = len(shape)
    for j, n in enumerate(shape):
        face_shape = tuple(1 if k == j else s for k, s in enumerate(shape))
        size = math.prod(face_shape)
        for idx in (0, n - 1):
            piece = xp.reshape(v[start:start + size], face_shape)
            start += size
            sel = xp.reshape(xp.arange(n) == idx, tuple(-1 if k == j else 1 for k in range(d)))
            out = out + xp.where(sel, piece, xp.zeros_like(piece))
    return out


def _per_axis_kernels(kernel, d):
    ks = list(kernel) if isinstance(kernel, (list, tuple)) else [kernel] * d
    if len(ks) != d or not all(isinstance(k, _MixtureKernel) for k in ks):
        raise TypeError("`kernel` must be a mixture kernel from solvers.pde.kernels or one "
                        f"per axis ({d}), got {kernel!r}")
    return ks


class ObjectiveEvaluator:
    """Value and gradients of the GP-HM objective for one problem on one grid.

    Parameters
    ----------
    problem : PDEProblem
    grid : KroneckerGrid
    templates : sequence of mixture kernels
        One per axis; only their type (and ``nu``) and number of components matter.
    lambda_b : float
        Weight of the boundary likelihood.
    jitter : float
        Relative jitter of every ``K_j``.
    boundary : {"soft", "hard"}
        ``"hard"`` drops the boundary likelihood (boundary values imposed exactly).
    """

    def __init__(self, problem, grid, templates, *, lambda_b=200.0, jitter=DEFAULT_JITTER,
                 boundary="soft"):
        self.problem, self.grid = problem, grid
        self.templates = list(templates)
        self.lambda_b = float(lambda_b)
        self.jitter = float(jitter)
        self.boundary = boundary
        self.xp = grid.xp
        self.F = problem.evaluate_source(grid)
        self.H = problem.evaluate_boundary(grid)
        self.g_b = _faces(self.xp, self.H)
        self.sizes = [3 * k.n_components for k in self.templates]

    # -------------------------------------------------------------- parameters <-> kernels
    def split(self, theta):
        out, start = [], 0
        for s in self.sizes:
            out.append(np.asarray(theta[start:start + s], dtype=np.float64))
            start += s
        return out

    def kernels(self, theta):
        return [k.with_params(p) for k, p in zip(self.templates, self.split(theta))]

    def system(self, theta):
        return CollocationSystem(self.kernels(theta), self.grid, self.problem.operator,
                                 self.jitter)

    # -------------------------------------------------------------- value
    def residual(self, system, U):
        H = system.apply(U) - self.F
        if self.problem.nonlinearity is not None:
            H = H + self.problem.nonlinearity(U)[0]
        return H

    def value(self, system, U, precisions=None):
        """``(value, terms)`` of ``-L`` at grid values ``U`` (``precisions`` None: profiled)."""
        xp = self.xp
        M = self.grid.size
        logdet = 0.0
        for F, n in zip(system.factors, self.grid.shape):
            logdet += (M / n) * float(xp.sum(xp.log(F.eigenvalues)))
        alpha = system.gram_solve(U)
        quad = float(xp.sum(U * alpha))
        H = self.residual(system, U)
        r2 = float(xp.sum(H * H))
        eb = _faces(xp, U) - self.g_b
        b2 = float(xp.sum(eb * eb))
        nb, nc = int(eb.shape[0]), M
        terms = {"logdet": 0.5 * logdet, "quadratic": 0.5 * quad}
        if precisions is None:
            tau_b = nb / b2 if b2 > 0 else math.inf
            tau_r = nc / r2 if r2 > 0 else math.inf
            terms["residual"] = 0.5 * nc * math.log(r2 / nc) + 0.5 * nc if r2 > 0 else -math.inf
            if self.boundary == "soft":
                terms["boundary"] = (self.lambda_b * (0.5 * nb * math.log(b2 / nb) + 0.5 * nb)
                                     if b2 > 0 else -math.inf)
        else:
            tau_b, tau_r = (float(t) for t in precisions)
            terms["residual"] = -(0.5 * nc * math.log(tau_r) - 0.5 * tau_r * r2)
            if self.boundary == "soft":
                terms["boundary"] = -self.lambda_b * (0.5 * nb * math.log(tau_b)
                                                      - 0.5 * tau_b * b2)
        terms["tau_b"], terms["tau_r"] = tau_b, tau_r
        total = sum(v for k, v in terms.items() if not k.startswith("tau"))
        cache = {"alpha": alpha, "H": H, "eb": eb, "r2": r2, "b2": b2, "tau_b": tau_b,
                 "tau_r": tau_r}
        return total, terms, cache

    # -------------------------------------------------------------- gradients
    def grad_values(self, system, U, cache):
        """``d(-L)/dU`` (grid-shaped) at fixed kernel and precisions (the profiled ones)."""
        xp = self.xp
        H = cache["H"]
        JH = self.apply_transpose(system, H, restrict=False)
        if self.problem.nonlinearity is not None:
            JH = JH + self.problem.nonlinearity(U)[1] * H
        gU = cache["alpha"] + cache["tau_r"] * JH
        if self.boundary == "soft":
            gU = gU + self.lambda_b * cache["tau_b"] * _faces_adjoint(
                xp, cache["eb"], tuple(U.shape))
        return gU

    def apply_transpose(self, system, W, *, restrict):
        """``L^T W`` on the full grid, or ``L_II^T W`` for interior-shaped ``W``."""
        return system._apply(W, system.interior if restrict else None, transpose=True)

    def grad_theta(self, system, U, cache, W, *, theta=None, prior=True):
        """``d(-L)/dtheta`` at fixed ``U`` where the operator enters as ``<W, L U>``.

        ``W`` is grid-shaped (``tau_r H`` for the residual term, minus the adjoint for the
        bilevel reduction). ``prior`` adds the log-determinant and quadratic terms. ``theta``
        (the unconstrained parameters the kernels were built from) keeps the sign of ``mu``.
        """
        params = (self.split(theta) if theta is not None
                  else [k.params for k in system.kernels])
        xp = self.xp
        M = self.grid.size
        grads = []
        for j, (k, F, x) in enumerate(zip(system.kernels, system.factors, self.grid.axes)):
            n = int(x.shape[0])
            Kinv = F.solve(xp.eye(n, dtype=xp.float64))
            Wts = {}  # order r -> weight on d K^(r)
            Bk = xp.zeros((n, n), dtype=xp.float64)  # weight on d(K + eps var I)
            for alpha, c in system.operator.items():
                r = alpha[j]
                if not r:
                    continue
                T = U
                for i, ri in enumerate(alpha):
                    if i != j and ri:
                        T = apply_along_axis(xp, system.diff[i][ri], T, i)
                P = c * xp.matmul(_unfold(xp, W, j), xp.matrix_transpose(_unfold(xp, T, j)))
                A = xp.matmul(P, Kinv)
                Wts[r] = A if r not in Wts else Wts[r] + A
                Bk = Bk - xp.matmul(xp.matrix_transpose(system.diff[j][r]), A)
            if prior:
                beta = F.solve(_unfold(xp, U, j))
                Bk = Bk + (0.5 * M / n) * Kinv - 0.5 * xp.matmul(
                    _unfold(xp, cache["alpha"], j), xp.matrix_transpose(beta))
            Wts[0] = Bk if 0 not in Wts else Wts[0] + Bk
            p = params[j]
            g = kernel_param_grad(k, p, x, Wts)
            q = k.n_components
            # jitter eps * var * I with var = sum w: d/dlog w_q = eps w_q I
            g[:q] += self.jitter * np.exp(p[:q]) * float(xp.sum(xp.linalg.diagonal(Bk)))
            grads.append(g)
        return np.concatenate(grads)


def _validate_objective_args(problem, grid, values, lambda_b, precisions, boundary, jitter):
    if not isinstance(problem, PDEProblem):
        raise TypeError(f"`problem` must be a PDEProblem, got {type(problem).__name__}")
    if not isinstance(grid, KroneckerGrid):
        raise TypeError(f"`grid` must be a KroneckerGrid, got {type(grid).__name__}")
    if grid.ndim != problem.ndim:
        raise ValueError(f"`grid` has {grid.ndim} axes but the problem has {problem.ndim}")
    if tuple(values.shape) != grid.shape:
        raise ValueError(f"`values` must have the grid shape {grid.shape}, got "
                         f"{tuple(values.shape)}")
    if not (isinstance(lambda_b, numbers.Real) and lambda_b > 0 and math.isfinite(lambda_b)):
        raise ValueError(f"`lambda_b` must be a positive finite number, got {lambda_b!r}")
    if precisions is not None:
        try:
            tb, tr = (float(t) for t in precisions)
        except (TypeError, ValueError):
            raise ValueError("`precisions` must be None or a pair (tau_b, tau_r), got "
                             f"{precisions!r}") from None
        if not (tb > 0 and tr > 0 and math.isfinite(tb) and math.isfinite(tr)):
            raise ValueError(f"`precisions` must be positive and finite, got {precisions!r}")
    if boundary not in ("soft", "hard"):
        raise ValueError(f"`boundary` must be 'soft' or 'hard', got {boundary!r}")
    if not (isinstance(jitter, numbers.Real) and jitter >= 0 and math.isfinite(jitter)):
        raise ValueError(f"`jitter` must be a finite number >= 0, got {jitter!r}")


def gphm_objective(problem, grid, kernel, values, *, lambda_b=200.0, precisions=None,
                   boundary="soft", jitter=DEFAULT_JITTER, return_terms=False):
    r"""The GP-HM training loss ``-L(U, theta, tau_1, tau_2)`` (Fang et al., ICLR 2024).

    .. math::

        -L = \tfrac12 \log|C| + \tfrac12 \mathrm{vec}(U)^T C^{-1} \mathrm{vec}(U)
             - \lambda_b\Big(\tfrac{N_b}{2}\log\tau_1 - \tfrac{\tau_1}{2}\|u_b - g\|^2\Big)
             - \Big(\tfrac{N_c}{2}\log\tau_2 - \tfrac{\tau_2}{2}\|H\|^2\Big)

    with ``C = ⊗_j (K_j + jitter k_j(0) I)``, ``u_b`` the values on both faces of every axis
    (``N_b = 2`` in 1-D, ``4 n`` on an ``n x n`` grid, corners twice, as the reference),
    ``H = L U + g(U) - f`` the PDE residual at all ``N_c`` grid nodes computed with the GP
    differentiation matrices ``K_j^(r) K_j^{-1}``. Constants are dropped as in the reference
    code.

    Parameters
    ----------
    problem : PDEProblem
    grid : KroneckerGrid
    kernel : mixture kernel or sequence of them
        One kernel for every axis or one per axis (:mod:`solvers.pde.kernels`).
    values : array
        Grid values ``U`` (grid-shaped).
    lambda_b : float
        Boundary weight (the reference: 200; 500 for advection).
    precisions : (tau_1, tau_2), optional
        Fixed likelihood precisions. Default: profiled out at their optimum
        ``tau* = N / ||r||^2``, which turns each likelihood term into
        ``N/2 log(||r||^2 / N) + N/2``.
    boundary : {"soft", "hard"}
        ``"hard"`` leaves out the boundary likelihood (for values that satisfy the boundary
        data exactly, where its profiled value is ``-inf``).
    jitter : float
        Relative jitter of every ``K_j``.
    return_terms : bool
        Also return a dict with the separate terms (``logdet``, ``quadratic``, ``boundary``,
        ``residual``) and the precisions used (``tau_b``, ``tau_r``).

    Returns
    -------
    value : float
    terms : dict
        Only with ``return_terms=True``.

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.pde import PDEProblem, KroneckerGrid, gphm_objective
    >>> from solvers.pde.kernels import StudentTMixture
    >>> p = PDEProblem([(0, 1)], {(2,): 1.0}, lambda x: -np.pi**2 * np.sin(np.pi * x), 0.0,
    ...                exact=lambda x: np.sin(np.pi * x))
    >>> g = KroneckerGrid.uniform(p.domain, 20)
    >>> k = StudentTMixture([1.0], [0.0], [0.5])
    >>> U = p.evaluate_exact(g)
    >>> value, terms = gphm_objective(p, g, k, U, return_terms=True)
    >>> sorted(terms)
    ['boundary', 'logdet', 'quadratic', 'residual', 'tau_b', 'tau_r']
    >>> bool(np.isclose(value, terms['logdet'] + terms['quadratic'] + terms['boundary']
    ...                 + terms['residual']))
    True
    """
    values = grid.xp.asarray(values) if isinstance(grid, KroneckerGrid) else values
    _validate_objective_args(problem, grid, values, lambda_b, precisions, boundary, jitter)
    ks = _per_axis_kernels(kernel, grid.ndim)
    ev = ObjectiveEvaluator(problem, grid, ks, lambda_b=lambda_b, jitter=jitter,
                            boundary=boundary)
    system = CollocationSystem(ks, grid, problem.operator, ev.jitter)
    total, terms, _ = ev.value(system, values, precisions)
    return (total, terms) if return_terms else total
