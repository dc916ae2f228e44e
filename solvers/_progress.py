"""The optional tqdm progress bar shared by the iterative methods (``progress=True``)."""

from __future__ import annotations

__all__ = ["progress_bar"]


def progress_bar(enabled, total, desc, *, leave=True):
    """A ``tqdm`` bar when ``enabled`` and tqdm is installed, else ``None``.

    Examples
    --------
    >>> from solvers._progress import progress_bar
    >>> progress_bar(False, 10, "demo") is None
    True
    """
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm is optional
        return None
    return tqdm(total=total, desc=desc, leave=leave)
