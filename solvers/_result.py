"""The library's one iteration-result convention: status codes, results and callbacks.

Every iterative method of the library returns a :class:`scipy.optimize.OptimizeResult` made by
:func:`make_result`, with ``success``, ``status`` (a code of :data:`STATUS`), ``message`` and
``nit`` next to the method's own fields. Callbacks receive one ``intermediate_result``
(an ``OptimizeResult``) and stop the run by raising ``StopIteration`` (status 99), as in SciPy;
:func:`call_callback` does that bookkeeping.

Status codes (the same meaning in every subpackage):

====  =====================  ========  ====================================================
code  name                   success   meaning
====  =====================  ========  ====================================================
0     CONVERGED              yes       the tolerance (``rtol``/``atol``/``gtol``) was met
1     MAXITER                no        ``maxiter`` reached before the tolerance
2     MAX_TIME               no        the time budget ``max_time`` was reached
3     NONFINITE              no        a non-finite value appeared
4     BREAKDOWN              no        an inner solve or factorization failed
5     NO_PROGRESS            no        no acceptable step (line/trial search exhausted)
6     FINISHED               yes       a fixed budget of iterations ran (no tolerance asked)
7     TARGET                 yes       the objective reached its target or stopped decreasing
99    CALLBACK               no        ``callback`` raised ``StopIteration``
====  =====================  ========  ====================================================
"""

from __future__ import annotations

from scipy.optimize import OptimizeResult

__all__ = ["STATUS", "SUCCESS", "CONVERGED", "MAXITER", "MAX_TIME", "NONFINITE",
           "BREAKDOWN", "NO_PROGRESS", "FINISHED", "TARGET", "CALLBACK", "make_result",
           "call_callback", "OptimizeResult"]

CONVERGED, MAXITER, MAX_TIME, NONFINITE, BREAKDOWN, NO_PROGRESS, FINISHED, TARGET = range(8)
CALLBACK = 99

STATUS = {
    CONVERGED: "Converged: the requested tolerance was met.",
    MAXITER: "Maximum number of iterations reached before the tolerance was met.",
    MAX_TIME: "The time budget `max_time` was reached.",
    NONFINITE: "Stopped: a non-finite value (overflow or NaN) appeared.",
    BREAKDOWN: "An inner linear solve or factorization failed.",
    NO_PROGRESS: "No acceptable step could be found.",
    FINISHED: "Finished: ran the requested number of iterations.",
    TARGET: "The objective reached its target or stopped decreasing.",
    CALLBACK: "`callback` raised `StopIteration`.",
}

#: Status codes for which ``success`` is True.
SUCCESS = frozenset({CONVERGED, FINISHED, TARGET})


def make_result(status, message=None, **fields):
    """An ``OptimizeResult`` with ``success``, ``status`` and ``message`` filled from ``status``.

    Parameters
    ----------
    status : int
        A code of :data:`STATUS`.
    message : str, optional
        Overrides the table's message (say *why* when the method knows more).
    **fields
        The method's fields (``x``, ``nit``, ``fun``, ...).

    Examples
    --------
    >>> from solvers._result import make_result, MAXITER
    >>> r = make_result(MAXITER, nit=10)
    >>> r.success, r.status, r.nit
    (False, 1, 10)
    """
    if status not in STATUS:
        raise ValueError(f"unknown status code {status!r}; known: {sorted(STATUS)}")
    res = OptimizeResult(**fields)
    res.status = int(status)
    res.success = status in SUCCESS
    res.message = STATUS[status] if message is None else str(message)
    return res


def call_callback(callback, **fields):
    """Call ``callback(intermediate_result)``; return True when it raised ``StopIteration``.

    ``intermediate_result`` is an ``OptimizeResult`` holding ``fields``. Does nothing (and
    returns False) when ``callback`` is None.
    """
    if callback is None:
        return False
    try:
        callback(OptimizeResult(**fields))
    except StopIteration:
        return True
    return False
