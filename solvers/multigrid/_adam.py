"""A minimal Adam optimizer on flat parameter vectors (any array-API namespace)."""

from __future__ import annotations

from .._progress import progress_bar  # re-exported for the learners of this subpackage

__all__ = ["Adam", "progress_bar"]


class Adam:
    """Adam (Kingma & Ba 2015) with bias correction; ``step(params, grad)`` returns new params.

    ``lr`` may be changed between steps (schedules).
    """

    def __init__(self, xp, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        self.xp = xp
        self.lr = lr
        self.beta1, self.beta2 = betas
        self.eps = eps
        self.weight_decay = weight_decay
        self.m = xp.zeros_like(params)
        self.v = xp.zeros_like(params)
        self.t = 0

    def step(self, params, grad):
        xp = self.xp
        if self.weight_decay:
            grad = grad + self.weight_decay * params
        self.t += 1
        self.m = self.beta1 * self.m + (1 - self.beta1) * grad
        self.v = self.beta2 * self.v + (1 - self.beta2) * grad * grad
        mhat = self.m / (1 - self.beta1 ** self.t)
        vhat = self.v / (1 - self.beta2 ** self.t)
        return params - self.lr * mhat / (xp.sqrt(vhat) + self.eps)


