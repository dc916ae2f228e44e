"""solvers.pde (public names are added by its issue)."""

__all__ = []
