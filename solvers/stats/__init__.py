"""solvers.stats: the von Mises-Fisher distribution and its mixtures, from 2 to 65536 dimensions.

vonmises_fisher     the von Mises-Fisher distribution (logpdf, pdf, rvs, entropy, mean, fit), frozen or not
vonmises_fisher_frozen  the class of a frozen distribution, ``vonmises_fisher(mu, kappa)``
vmf_log_normalizer  log C_p(kappa), the log normalizing constant, finite for every p >= 2 and kappa >= 0
fit_vmf_mixture     soft-EM fit of a mixture of vMF distributions (movMF)

Everything accepts arrays from any array-API library (NumPy with Numba kernels, CuPy, or the
generic path) and returns the same library. Built on :mod:`solvers.special` (``log_iv``,
``iv_ratio``).
"""

from . import _register  # noqa: F401  (kernels into the backend registry)
from ._vmf import vmf_log_normalizer, vonmises_fisher, vonmises_fisher_frozen
from ._vmf_mixture import fit_vmf_mixture

__all__ = ["vonmises_fisher", "vonmises_fisher_frozen", "vmf_log_normalizer", "fit_vmf_mixture"]
