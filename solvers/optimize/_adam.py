"""Adam, the library's one first-order stochastic optimizer step (any array-API namespace)."""

from __future__ import annotations

from .._array_api import array_namespace

__all__ = ["Adam"]


class Adam:
    r"""Adam (Kingma & Ba 2015) with bias correction, as a stateful step.

    ``step(params, grads)`` returns the new parameters; ``params`` and ``grads`` are one array
    or a list/tuple of arrays (parameter groups, each of any array-API namespace and shape,
    for instance a NumPy vector next to a CuPy grid); the result has the same structure.
    The moment estimates are created on the first step, with the namespace of each group.

    Parameters
    ----------
    lr : float
        Learning rate; may be changed between steps (schedules) through the attribute ``lr``.
    betas : (float, float)
        Decay rates of the first and second moment estimates.
    eps : float
        Added to the square root of the second moment.
    weight_decay : float
        L2 penalty: ``grad + weight_decay * params`` (off when 0).

    Attributes
    ----------
    t : int
        Steps taken.
    m, v : array or list of arrays
        Moment estimates (``None`` before the first step).

    Notes
    -----
    For every group, with ``t`` the step count::

        m = b1 m + (1 - b1) g,     v = b2 v + (1 - b2) g g,
        p = p - lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps).

    The arithmetic runs in the dtype of the arrays passed (float64 in the library's learners).
    Stopping, schedules and callbacks belong to the caller's loop.

    References
    ----------
    D. P. Kingma, J. Ba, "Adam: A method for stochastic optimization", ICLR 2015.

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.optimize import Adam
    >>> opt = Adam(lr=0.1)
    >>> x = np.array([1.0, -2.0])
    >>> for _ in range(200):
    ...     x = opt.step(x, 2 * x)          # gradient of |x|^2
    >>> bool(np.linalg.norm(x) < 1e-2), opt.t
    (True, 200)
    """

    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        self.lr = lr
        self.beta1, self.beta2 = betas
        self.eps = eps
        self.weight_decay = weight_decay
        self.m = None
        self.v = None
        self.t = 0

    def step(self, params, grads):
        """One Adam step; returns the new ``params`` (same structure: array or list/tuple)."""
        single = not isinstance(params, (list, tuple))
        ps = [params] if single else list(params)
        gs = [grads] if single else list(grads)
        if len(ps) != len(gs):
            raise ValueError(f"`params` has {len(ps)} groups but `grads` has {len(gs)}")
        if self.m is None:
            self._m = [array_namespace(p).zeros_like(p) for p in ps]
            self._v = [array_namespace(p).zeros_like(p) for p in ps]
        elif len(ps) != len(self._m):
            raise ValueError(f"`params` has {len(ps)} groups; this Adam was started with "
                             f"{len(self._m)}")
        b1, b2 = self.beta1, self.beta2
        self.t += 1
        c1, c2 = 1 - b1 ** self.t, 1 - b2 ** self.t
        out = []
        for i, (p, g) in enumerate(zip(ps, gs)):
            xp = array_namespace(p)
            if self.weight_decay:
                g = g + self.weight_decay * p
            self._m[i] = b1 * self._m[i] + (1 - b1) * g
            self._v[i] = b2 * self._v[i] + (1 - b2) * g * g
            out.append(p - self.lr * (self._m[i] / c1) / (xp.sqrt(self._v[i] / c2) + self.eps))
        self.m = self._m[0] if single else self._m
        self.v = self._v[0] if single else self._v
        if single:
            return out[0]
        return type(params)(out) if isinstance(params, tuple) else out
