"""Learnable multigrid operators: a linear map f -> u given by one V-cycle of parameter stencils."""

from __future__ import annotations

import numbers

import numpy as np

from .._array_api import (
    PicklesNamespace,
    array_namespace,
    from_numpy,
    same_namespace,
    to_numpy,
)
from .._grid_shape import validate_grid_shape
from . import _stencil_conv as sc

__all__ = ["MultigridOperator"]


def _check_rng(rng):
    if rng is None or isinstance(rng, (numbers.Integral, np.random.Generator)):
        return np.random.default_rng(rng)
    raise TypeError(f"`rng` must be None, an int or a numpy.random.Generator, got {rng!r}")


def _constant_stencil(operator, grid_shape):
    """The ``(3,) * d`` stencil of a constant-coefficient operator (part 1's or an array)."""
    from ..multigrid import StencilOperator, poisson

    d = len(grid_shape)
    if operator is None:
        operator = poisson(grid_shape)
    if isinstance(operator, StencilOperator):
        if not operator.is_constant:
            raise ValueError("`operator` must have a constant stencil for init='classical'")
        if tuple(operator.grid_shape) != tuple(grid_shape):
            raise ValueError(f"`operator` is on grid {operator.grid_shape}, the operator on "
                             f"{tuple(grid_shape)}")
        stencil = np.zeros((3,) * d)
        for off, value in zip(operator.offsets, operator._const):
            stencil[tuple(o + 1 for o in off)] = value
        return stencil
    stencil = np.asarray(to_numpy(operator), dtype=np.float64)
    if stencil.shape != (3,) * d:
        raise ValueError(f"`operator` must be a StencilOperator or a stencil of shape {(3,) * d}, "
                         f"got shape {stencil.shape}")
    return stencil


def _galerkin_stencil(stencil, periodic):
    """Stencil of ``R A P`` (full weighting, d-linear) for a constant stencil ``A``."""
    xp = array_namespace(stencil)
    d = stencil.ndim
    R = _transfer_stencil(d, 0.25, 0.5).reshape(1, 1, -1)
    P = _transfer_stencil(d, 0.5, 1.0).reshape(1, 1, -1)
    fine = (16 if periodic else 15,) * d
    centre = (4 if periodic else 3,) * d
    e = np.zeros((1, 1) + sc.coarse_shape(fine, periodic))
    e[(0, 0) + centre] = 1.0
    column = sc.restrict(xp, R, sc.conv(xp, stencil.reshape(1, 1, -1),
                                        sc.prolong(xp, P, e, d, periodic, fine), d, periodic),
                         d, periodic)
    return column[(0, 0) + tuple(slice(c - 1, c + 2) for c in centre)].copy()


def _transfer_stencil(d, side, middle):
    w1 = np.array([side, middle, side])
    out = w1
    for _ in range(d - 1):
        out = np.multiply.outer(out, w1)
    return out


class MultigridOperator(PicklesNamespace):
    r"""A linear operator ``f -> u`` given by one V-cycle whose stencils are parameters.

    On each level ``l`` of a hierarchy of grids (each coarsening halves every axis) the cycle
    smooths, restricts the residual, recurses, prolongs and smooths again::

        u = S_0 f;  u <- u + S_k (f - A_k u)                 (pre steps k = 1 .. pre-1)
        f_c = R (f - A_r u);  u_c = cycle_{l+1}(f_c);  u <- u + P u_c
        u <- u + S_k (f - A_k u)                              (post steps)

    and on the coarsest level only smooths (``coarse_steps`` steps). Every ``S``, ``A``, ``R``
    and ``P`` is its own 3-point-wide stencil (3 in 1-D, 3x3 in 2-D, 3x3x3 in 3-D) mapping
    channels to channels, as in MgNO (He, Liu, Xu 2024): ``S`` maps the ``C_f`` channels of
    ``f`` to the ``C_u`` channels of ``u``, ``A`` back, ``R`` is a stride-2 convolution and
    ``P`` its transpose (a transposed convolution). The map is linear in ``f``; the
    parameters are all stencil weights, held as one flat vector.

    Parameters
    ----------
    grid_shape : int or tuple of int
        Grid size ``(n_1, ..., n_d)``, d = 1, 2, 3. Dirichlet: vertex-centred interior nodes,
        odd sizes ``n -> (n - 1) / 2`` (e.g. 63, 127); periodic: even sizes ``n -> n / 2``.
    levels : int
        Number of grids, the finest included (>= 1).
    channels : tuple of int
        ``(C_f, C_u)``: channels of the input ``f`` and of the output ``u``.
    pre, post : int
        Smoothing steps before and after the coarse-grid correction.
    coarse_steps : int, optional
        Smoothing steps on the coarsest grid; default ``max(pre + post, 1)``.
    init : {"classical", "random"}
        ``"classical"``: the geometric V-cycle of :class:`GeometricMultigrid` for
        ``operator`` — Jacobi ``S = omega / a_centre``, ``A`` the operator and its Galerkin
        coarse stencils, ``R`` full weighting, ``P`` d-linear interpolation, acting on every
        channel separately (needs ``C_f == C_u``). On a coarsest grid of one node the
        smoother is ``1 / a_centre``, the exact solve. ``"random"``: uniform weights in
        ``±1 / sqrt(fan_in)`` (PyTorch's convolution default, as MgNO).
    boundary : {"dirichlet", "periodic"}
        Zero halo or periodic wrap around for every stencil.
    operator : StencilOperator or array, optional
        Constant-coefficient operator of the classical init (a :class:`StencilOperator` or
        a ``(3,) * d`` stencil); default ``poisson(grid_shape)``.
    omega : float, optional
        Jacobi damping of the classical init; default ``2d / (2d + 1)`` as :class:`Jacobi`.
    rng : None, int or numpy.random.Generator
        Randomness of ``init="random"``.
    dtype : {float64, float32}
        Dtype of the parameters.

    Attributes
    ----------
    params : array
        All parameters in one flat vector (see :meth:`with_params`).
    n_params : int
    level_shapes : list of tuple
        Grid shape of each level.

    Notes
    -----
    ``adjoint`` applies the exact transpose (convolutions with flipped, channel-transposed
    stencils, in reverse order), and ``vjp`` the hand-derived reverse pass: the gradient of
    ``<g, W f>`` with respect to a stencil is the correlation of the stencil's forward input
    with the back-propagated cotangent, summed over batch and grid. Arrays are
    ``(batch, C, *grid)``, ``(C, *grid)``, or ``grid`` alone when the channel count is one.
    The NumPy path uses strided in-place updates for the transposed convolution; any other
    array-API library (array_api_strict, CuPy, torch) runs the functional generic path, which
    torch's autograd can differentiate.

    References
    ----------
    J. He, X. Liu, J. Xu, "MgNO: Efficient parameterization of linear operators via
    multigrid", ICLR 2024.

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.mgno import MultigridOperator
    >>> from solvers.multigrid import poisson
    >>> M = MultigridOperator((31, 31), levels=5, pre=1, post=1)
    >>> A = poisson((31, 31))
    >>> e = np.random.default_rng(0).standard_normal((31, 31))
    >>> for _ in range(10):
    ...     e = e - M(A @ e)                       # error propagation of the V(1,1) cycle
    >>> bool(np.linalg.norm(e) < 1e-3)
    True
    >>> M.n_params
    243
    """

    def __init__(self, grid_shape, *, levels, channels=(1, 1), pre=1, post=0, coarse_steps=None,
                 init="classical", boundary="dirichlet", operator=None, omega=None, rng=None,
                 dtype=np.float64):
        grid_shape = validate_grid_shape(grid_shape)
        if boundary not in ("dirichlet", "periodic"):
            raise ValueError(f"`boundary` must be 'dirichlet' or 'periodic', got {boundary!r}")
        for name, value, low in (("levels", levels, 1), ("pre", pre, 0), ("post", post, 0)):
            if not isinstance(value, numbers.Integral) or value < low:
                raise ValueError(f"`{name}` must be an integer >= {low}, got {value!r}")
        if coarse_steps is None:
            coarse_steps = max(pre + post, 1)
        if not isinstance(coarse_steps, numbers.Integral) or coarse_steps < 1:
            raise ValueError(f"`coarse_steps` must be an integer >= 1, got {coarse_steps!r}")
        try:
            c_f, c_u = (int(c) for c in channels)
        except (TypeError, ValueError):
            raise TypeError("`channels` must be a pair of ints (C_f, C_u), "
                            f"got {channels!r}") from None
        if c_f < 1 or c_u < 1:
            raise ValueError(f"`channels` must be positive, got {channels!r}")
        if init not in ("classical", "random"):
            raise ValueError(f"`init` must be 'classical' or 'random', got {init!r}")
        dtype = np.dtype(dtype)
        if dtype not in (np.float32, np.float64):
            raise ValueError(f"`dtype` must be float32 or float64, got {dtype}")
        periodic = boundary == "periodic"
        shapes = [grid_shape]
        for _ in range(levels - 1):
            fine = shapes[-1]
            ok = (all(n >= 2 and n % 2 == 0 for n in fine) if periodic
                  else all(n >= 3 and n % 2 == 1 for n in fine))
            if not ok:
                rule = "even sizes n -> n/2" if periodic else "odd sizes >= 3, n -> (n-1)/2"
                raise ValueError(f"`grid_shape` {grid_shape} cannot be coarsened {levels - 1} "
                                 f"times ({boundary} grids need {rule}; level {len(shapes) - 1} "
                                 f"is {fine})")
            shapes.append(sc.coarse_shape(fine, periodic))
        self.grid_shape = grid_shape
        self.ndim = len(grid_shape)
        self.levels = int(levels)
        self.channels = (c_f, c_u)
        self.pre, self.post, self.coarse_steps = int(pre), int(post), int(coarse_steps)
        self.boundary = boundary
        self.level_shapes = shapes
        self._periodic = periodic
        self._spec = self._build_spec()
        self.n_params = int(sum(np.prod(s) for _, s in self._spec))
        if init == "classical":
            flat = self._classical(operator, omega)
        else:
            flat = self._random(_check_rng(rng))
        self._set_params(flat.astype(dtype))

    # -- parameter layout ----------------------------------------------------------------
    def _build_spec(self):
        """List of ``(key, shape)``; keys ``(level, kind, step)``, kinds S, A, Ar, R, P."""
        c_f, c_u = self.channels
        k = 3 ** self.ndim
        spec = []
        for level in range(self.levels):
            last = level == self.levels - 1
            for step in range(self.coarse_steps if last else self.pre):
                if step > 0:
                    spec.append(((level, "A", step), (c_f, c_u, k)))
                spec.append(((level, "S", step), (c_u, c_f, k)))
            if last:
                continue
            if self.pre > 0:
                spec.append(((level, "Ar", 0), (c_f, c_u, k)))
            spec.append(((level, "R", 0), (c_f, c_f, k)))
            spec.append(((level, "P", 0), (c_u, c_u, k)))
            for step in range(self.pre, self.pre + self.post):
                spec.append(((level, "A", step), (c_f, c_u, k)))
                spec.append(((level, "S", step), (c_u, c_f, k)))
        return spec

    def param_slices(self):
        """Dictionary ``(level, kind, step) -> (slice into params, stencil shape)``.

        ``kind`` is ``"S"`` (smoother), ``"A"`` (operator of a smoothing step), ``"Ar"``
        (operator of the residual that is restricted), ``"R"`` (restriction) or ``"P"``
        (prolongation, stored as the restriction it is the transpose of); ``step`` counts
        smoothing steps on the level (0 for ``Ar``, ``R``, ``P``). Stencil shapes are
        ``(out_channels, in_channels, 3**d)``, offsets in C order of ``(-1, 0, 1)**d``.
        """
        out, start = {}, 0
        for key, shape in self._spec:
            size = int(np.prod(shape))
            out[key] = (slice(start, start + size), shape)
            start += size
        return out

    def _classical(self, operator, omega):
        c_f, c_u = self.channels
        if c_f != c_u:
            raise ValueError(f"init='classical' needs equal channels, got {self.channels}")
        d = self.ndim
        if omega is None:
            omega = 2 * d / (2 * d + 1)
        stencils = [_constant_stencil(operator, self.grid_shape)]
        for _ in range(1, self.levels):
            stencils.append(_galerkin_stencil(stencils[-1], self._periodic))
        eye = np.eye(c_f)
        R = _transfer_stencil(d, 0.25, 0.5).ravel()
        P = _transfer_stencil(d, 0.5, 1.0).ravel()
        flat = np.empty(self.n_params)
        for key, (sl, shape) in self.param_slices().items():
            level, kind, _ = key
            st = stencils[level].ravel()
            if kind in ("A", "Ar"):
                w = st
            elif kind == "S":
                centre = st[len(st) // 2]
                one_node = all(n == 1 for n in self.level_shapes[level]) and not self._periodic
                w = np.zeros_like(st)
                w[len(st) // 2] = (1.0 if one_node else omega) / centre
            elif kind == "R":
                w = R
            else:
                w = P
            flat[sl] = (eye[:, :, None] * w[None, None, :]).ravel()
        return flat

    def _random(self, rng):
        flat = np.empty(self.n_params)
        for sl, shape in self.param_slices().values():
            bound = 1.0 / np.sqrt(shape[1] * shape[2])
            flat[sl] = rng.uniform(-bound, bound, size=sl.stop - sl.start)
        return flat

    def _set_params(self, flat):
        self._params = flat
        self._xp = array_namespace(flat)
        self._cache = {}

    @property
    def params(self):
        """All stencil weights as one flat vector (a copy)."""
        return self._xp.asarray(self._params, copy=True)

    @property
    def dtype(self):
        return self._params.dtype

    def with_params(self, params):
        """A new operator of the same structure with the flat parameter vector ``params``.

        ``params`` may come from any array library (for instance a torch tensor that
        requires grad, to differentiate the generic path with torch's autograd).
        """
        xp = array_namespace(params)
        if params.ndim != 1 or params.shape[0] != self.n_params:
            raise ValueError(f"`params` must be a flat vector of length {self.n_params}, got "
                             f"shape {tuple(params.shape)}")
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new._set_params(params if xp.isdtype(params.dtype, "real floating")
                        else xp.astype(params, xp.float64))
        return new

    def _weights(self, xp):
        """Dictionary of stencil weights in namespace ``xp``."""
        name = getattr(xp, "__name__", str(id(xp)))
        if name in self._cache:
            return self._cache[name]
        params = self._params
        if not same_namespace(xp, self._xp):
            if not isinstance(params, np.ndarray):   # only host parameters move
                raise TypeError("the operator's parameters and the input come from different "
                                "array libraries")
            params = from_numpy(np.asarray(params), xp)
        weights = {key: xp.reshape(params[sl], shape)
                   for key, (sl, shape) in self.param_slices().items()}
        self._cache[name] = weights
        return weights

    # -- input handling ------------------------------------------------------------------
    def _as_batch(self, x, channels, name):
        xp = array_namespace(x)
        if not hasattr(x, "shape"):
            raise TypeError(f"`{name}` must be an array, got {type(x).__name__}")
        d = self.ndim
        lead = tuple(x.shape[:x.ndim - d])
        if tuple(x.shape[x.ndim - d:]) != self.grid_shape or len(lead) > 2:
            raise ValueError(f"`{name}` must have shape (batch, {channels}, *{self.grid_shape}), "
                             f"({channels}, *{self.grid_shape}) or {self.grid_shape} "
                             f"(one channel), got {tuple(x.shape)}")
        if len(lead) == 0:
            if channels != 1:
                raise ValueError(f"`{name}` has no channel axis but {channels} channels are "
                                 f"needed: shape ({channels}, *{self.grid_shape})")
            batch = xp.reshape(x, (1, 1) + self.grid_shape)
        elif len(lead) == 1:
            batch = xp.reshape(x, (1,) + tuple(x.shape))
        else:
            batch = x
        if batch.shape[1] != channels:
            raise ValueError(f"`{name}` must have {channels} channels, got shape {tuple(x.shape)}")
        if not xp.isdtype(batch.dtype, "real floating"):
            # the operator's dtype where its parameters live in the input's library
            batch = xp.astype(batch, self.dtype if same_namespace(xp, self._xp) else xp.float64)
        return xp, batch, lead

    @staticmethod
    def _unbatch(xp, y, lead):
        if len(lead) == 2:
            return y
        if len(lead) == 1:
            return y[0, ...]
        return y[0, 0, ...]

    # -- the cycle -----------------------------------------------------------------------
    def _forward(self, xp, W, level, f, tape):
        d, per = self.ndim, self._periodic
        last = level == self.levels - 1
        u = None
        record = {"pre": [], "post": []}

        def smooth(u, step, where):
            r = f if u is None else f - sc.conv(xp, W[(level, "A", step)], u, d, per)
            s = sc.conv(xp, W[(level, "S", step)], r, d, per)
            if tape is not None:
                record[where].append((step, u, r))
            return s if u is None else u + s

        for step in range(self.coarse_steps if last else self.pre):
            u = smooth(u, step, "pre")
        if not last:
            r = f if u is None else f - sc.conv(xp, W[(level, "Ar", 0)], u, d, per)
            fc = sc.restrict(xp, W[(level, "R", 0)], r, d, per)
            uc = self._forward(xp, W, level + 1, fc, tape)
            p = sc.prolong(xp, W[(level, "P", 0)], uc, d, per, self.level_shapes[level])
            if tape is not None:
                record.update(u_pre=u, r=r, uc=uc)
            u = p if u is None else u + p
            for step in range(self.pre, self.pre + self.post):
                u = smooth(u, step, "post")
        if tape is not None:
            tape[level] = record
        return u

    def _backward(self, xp, W, level, ubar, tape, grads):
        """Cotangent of the level's input ``f`` from that of its output; ``grads`` collects
        weight gradients when ``tape`` holds the forward values."""
        d, per = self.ndim, self._periodic
        last = level == self.levels - 1
        rec = tape[level] if tape is not None else None
        fbar = None

        def add(acc, v):
            return v if acc is None else acc + v

        def unsmooth(ubar, fbar, step, where, j):
            S = W[(level, "S", step)]
            rbar = sc.conv_adjoint(xp, S, ubar, d, per)
            if rec is not None:
                _, u_old, r = rec[where][j]
                grads[(level, "S", step)] = sc.conv_weight_grad(xp, r, ubar, d, per, S.shape)
            fbar = add(fbar, rbar)
            if step > 0 or where == "post":
                A = W[(level, "A", step)]
                ubar = ubar - sc.conv_adjoint(xp, A, rbar, d, per)
                if rec is not None:
                    grads[(level, "A", step)] = -sc.conv_weight_grad(xp, u_old, rbar, d, per,
                                                                     A.shape)
            return ubar, fbar

        if not last:
            steps = list(range(self.pre, self.pre + self.post))
            for j in reversed(range(len(steps))):
                ubar, fbar = unsmooth(ubar, fbar, steps[j], "post", j)
            P, R = W[(level, "P", 0)], W[(level, "R", 0)]
            ucbar = sc.restrict(xp, P, ubar, d, per)
            if rec is not None:
                grads[(level, "P", 0)] = sc.restrict_weight_grad(xp, ubar, rec["uc"], d, per,
                                                                 P.shape)
            fcbar = self._backward(xp, W, level + 1, ucbar, tape, grads)
            rbar = sc.prolong(xp, R, fcbar, d, per, self.level_shapes[level])
            if rec is not None:
                grads[(level, "R", 0)] = sc.restrict_weight_grad(xp, rec["r"], fcbar, d, per,
                                                                 R.shape)
            fbar = add(fbar, rbar)
            if self.pre > 0:
                Ar = W[(level, "Ar", 0)]
                ubar = ubar - sc.conv_adjoint(xp, Ar, rbar, d, per)
                if rec is not None:
                    grads[(level, "Ar", 0)] = -sc.conv_weight_grad(xp, rec["u_pre"], rbar, d,
                                                                   per, Ar.shape)
            n_pre = self.pre
        else:
            n_pre = self.coarse_steps
        for step in reversed(range(n_pre)):
            ubar, fbar = unsmooth(ubar, fbar, step, "pre", step)
        return fbar

    # -- public --------------------------------------------------------------------------
    def __call__(self, f):
        """Apply the operator: one V-cycle from a zero guess with right-hand side ``f``."""
        xp, batch, lead = self._as_batch(f, self.channels[0], "f")
        u = self._forward(xp, self._weights(xp), 0, batch, None)
        return self._unbatch(xp, u, lead)

    def adjoint(self, g):
        """Apply the exact transpose ``W^T`` to ``g`` (shaped like an output)."""
        xp, batch, lead = self._as_batch(g, self.channels[1], "g")
        fbar = self._backward(xp, self._weights(xp), 0, batch, None, None)
        return self._unbatch(xp, fbar, lead)

    def vjp(self, f, cotangent, *, input_grad=False):
        """Gradient of ``<cotangent, W(f)>`` with respect to the parameters.

        Parameters
        ----------
        f : array
            Input, shaped as for ``__call__`` (a batch is summed over).
        cotangent : array
            Shaped like ``W(f)``.
        input_grad : bool
            Also return the gradient with respect to ``f`` (that is ``W^T cotangent``).

        Returns
        -------
        grad : array
            Flat vector like :attr:`params`.
        f_grad : array
            Only with ``input_grad=True``.
        """
        xp, batch, lead = self._as_batch(f, self.channels[0], "f")
        _, gbatch, glead = self._as_batch(cotangent, self.channels[1], "cotangent")
        if len(glead) != len(lead) or gbatch.shape[0] != batch.shape[0]:
            raise ValueError(f"`cotangent` must be shaped like the output, got "
                             f"{tuple(cotangent.shape)} for input {tuple(f.shape)}")
        _, tape = self._forward_taped(xp, batch)
        grad, fbar = self._vjp_taped(xp, tape, gbatch)
        if input_grad:
            return grad, self._unbatch(xp, fbar, lead)
        return grad

    def _forward_taped(self, xp, batch):
        """Output for a ``(B, C_f, *grid)`` batch and the tape :meth:`_vjp_taped` needs."""
        tape = {}
        return self._forward(xp, self._weights(xp), 0, batch, tape), tape

    def _vjp_taped(self, xp, tape, gbatch):
        """Parameter gradient (flat) and input cotangent from a forward tape."""
        grads = {}
        fbar = self._backward(xp, self._weights(xp), 0, gbatch, tape, grads)
        return xp.concat([xp.reshape(grads[key], (-1,)) for key, _ in self._spec]), fbar

    def __repr__(self):
        return (f"MultigridOperator(grid_shape={self.grid_shape}, levels={self.levels}, "
                f"channels={self.channels}, pre={self.pre}, post={self.post}, "
                f"coarse_steps={self.coarse_steps}, boundary={self.boundary!r}, "
                f"n_params={self.n_params})")
