"""solvers.multigrid: setup, cycles and solves on the Poisson problem; convergence tracking."""

import time
import tracemalloc

import numpy as np

from solvers.multigrid import GeometricMultigrid, diffusion, poisson

def _shape(dim, n):
    return (n, n) if dim == "2d" else (n, n, n)


class PoissonSolve:
    """Setup, one V(2,1) cycle and a full solve to rtol 1e-8 (random right-hand side)."""

    params = [["2d-255", "2d-1023", "3d-63", "3d-127"], ["V", "V+cg"]]
    param_names = ["problem", "method"]
    timeout = 120

    def setup(self, problem, method):
        dim, n = problem.split("-")
        self.shape = _shape(dim, int(n))
        self.A = poisson(self.shape)
        self.b = np.random.default_rng(0).standard_normal(self.shape)
        self.accel = "cg" if method == "V+cg" else None
        self.ml = GeometricMultigrid(self.A)
        self.ml.solve(self.b, maxiter=1)            # compile / warm the kernels

    def time_setup(self, problem, method):
        GeometricMultigrid(self.A)

    def time_cycle(self, problem, method):
        self.ml.solve(self.b, maxiter=1, rtol=0.0, accel=self.accel)

    def time_setup_and_solve(self, problem, method):
        GeometricMultigrid(self.A).solve(self.b, rtol=1e-8, accel=self.accel)

    def peakmem_setup_and_solve(self, problem, method):
        GeometricMultigrid(self.A).solve(self.b, rtol=1e-8, accel=self.accel)

    def track_iterations(self, problem, method):
        return self.ml.solve(self.b, rtol=1e-8, accel=self.accel, return_info=True)[1].nit

    track_iterations.unit = "iterations"

    def track_peak_memory_in_fine_arrays(self, problem, method):
        """Peak NumPy allocation during setup + solve, in fine-grid float64 arrays."""
        tracemalloc.start()
        GeometricMultigrid(self.A).solve(self.b, rtol=1e-8, accel=self.accel)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak / (8 * self.A.shape[0])

    track_peak_memory_in_fine_arrays.unit = "fine-grid arrays"


class CycleCost:
    """One V(2,1) cycle measured in residual evaluations of the fine grid (about 10 ideal)."""

    params = [["2d-1023", "3d-127"]]
    param_names = ["problem"]
    timeout = 120

    def setup(self, problem):
        dim, n = problem.split("-")
        shape = _shape(dim, int(n))
        self.A = poisson(shape)
        self.b = np.random.default_rng(0).standard_normal(shape)
        self.ml = GeometricMultigrid(self.A)
        self.ml.solve(self.b, maxiter=1)

    def _best(self, fn, repeat=5):
        best = np.inf
        for _ in range(repeat):
            t0 = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - t0)
        return best

    def track_cycle_in_matvecs(self, problem):
        cycle = self._best(lambda: self.ml.solve(self.b, maxiter=1, rtol=0.0))
        matvec = self._best(lambda: self.A @ self.b)
        return cycle / matvec

    track_cycle_in_matvecs.unit = "matvecs"


class ConvergenceFactor:
    """Residual reduction per cycle (cycles 6-15, random initial error): accuracy regressions."""

    params = [["2d", "3d"], ["rbgs", "jacobi", "chebyshev"], ["V", "W", "F"]]
    param_names = ["dim", "smoother", "cycle"]

    def setup(self, dim, smoother, cycle):
        self.shape = _shape(dim, 63 if dim == "2d" else 31)
        self.ml = GeometricMultigrid(poisson(self.shape), smoother=smoother)
        self.x0 = np.random.default_rng(0).standard_normal(self.shape)

    def track_convergence_factor(self, dim, smoother, cycle):
        _, info = self.ml.solve(np.zeros(self.shape), self.x0, rtol=0.0, maxiter=15,
                                cycle=cycle, return_info=True)
        r = info.residuals
        return float((r[15] / r[5]) ** 0.1)

    track_convergence_factor.unit = "residual reduction per cycle"


class JumpingCoefficients:
    """CG iterations to 1e-8 with the symmetric V-cycle, 2-D 255^2, (high-contrast) coefficients."""

    params = [["smooth", "inclusion", "checkerboard"], ["linear", "operator"]]
    param_names = ["coefficient", "interpolation"]

    def setup(self, coefficient, interpolation):
        n = 255
        t = (np.arange(n + 1) + 0.5) / (n + 1)
        X, Y = np.meshgrid(t, t, indexing="ij")
        if coefficient == "smooth":
            a = 1 + 0.9 * np.sin(2 * np.pi * X) * np.sin(2 * np.pi * Y)
        elif coefficient == "inclusion":
            a = np.where((X > 1 / 3) & (X < 2 / 3) & (Y > 1 / 3) & (Y < 2 / 3), 1e3, 1.0)
        else:
            a = np.where((np.floor(4 * X) + np.floor(4 * Y)) % 2 == 0, 1.0, 1e4)
        self.A = diffusion(a, location="cell")
        self.b = np.random.default_rng(0).standard_normal((n, n))

    def track_cg_iterations(self, coefficient, interpolation):
        ml = GeometricMultigrid(self.A, interpolation=interpolation)
        return ml.solve(self.b, rtol=1e-8, accel="cg", return_info=True)[1].nit

    track_cg_iterations.unit = "iterations"

    def time_setup_and_solve(self, coefficient, interpolation):
        GeometricMultigrid(self.A, interpolation=interpolation).solve(self.b, rtol=1e-8,
                                                                      accel="cg")


def _anisotropic(shape, eps, weak):
    """The constant stencil of ``-sum_k c_k u_kk`` with ``c_k = eps`` on the ``weak`` axes."""
    from solvers.multigrid import poisson

    return poisson(shape, spacing=1.0,
                   coefficients=[eps if a in weak else 1.0 for a in range(len(shape))])


_WEAK = {"first": (0,), "last": (-1,), "first-two": (0, 1)}


class AnisotropicSolve:
    """Grid-aligned anisotropy: defaults + CG to rtol 1e-8 against PyAMG Ruge-Stuben + CG.

    Issue 21's goals: iterations <= 2 x PyAMG's + 2 and time no more than PyAMG's, for eps
    down to 1e-4 along either axis (2-D) or one/two axes (3-D).
    """

    params = [["2d-255", "2d-1023", "3d-63", "3d-127"], ["first", "last", "first-two"],
              [1e-1, 1e-2, 1e-4], ["ours", "pyamg-rs"]]
    param_names = ["problem", "weak axes", "eps", "solver"]
    timeout = 300

    def setup(self, problem, weak, eps, solver):
        dim, n = problem.split("-")
        if dim == "2d" and weak == "first-two":
            raise NotImplementedError("2-D has one weak axis")
        self.shape = _shape(dim, int(n))
        axes = tuple(a % len(self.shape) for a in _WEAK[weak])
        self.A = _anisotropic(self.shape, eps, axes)
        self.b = np.random.default_rng(0).standard_normal(self.shape)
        if solver == "pyamg-rs":
            try:
                import pyamg
            except ImportError:
                raise NotImplementedError("pyamg is not installed") from None
            self.S, self.bf, self.pyamg = self.A.tosparse(), self.b.ravel(), pyamg
        else:
            GeometricMultigrid(self.A).solve(self.b, maxiter=1)

    def _run(self, solver):
        if solver == "ours":
            return GeometricMultigrid(self.A).solve(self.b, rtol=1e-8, accel="cg",
                                                    return_info=True)[1].nit
        residuals = []
        self.pyamg.ruge_stuben_solver(self.S).solve(self.bf, tol=1e-8, accel="cg",
                                                    residuals=residuals)
        return len(residuals) - 1

    def time_setup_and_solve(self, problem, weak, eps, solver):
        self._run(solver)

    def track_iterations(self, problem, weak, eps, solver):
        return self._run(solver)

    track_iterations.unit = "iterations"


class AnisotropicConvergenceFactor:
    """Stationary V(2,1) factor of the defaults on the anisotropic family (h-independence)."""

    params = [["2d-127", "2d-511", "3d-31", "3d-63"], ["first", "last", "first-two"],
              [1e-1, 1e-2, 1e-4]]
    param_names = ["problem", "weak axes", "eps"]
    timeout = 120

    def setup(self, problem, weak, eps):
        dim, n = problem.split("-")
        if dim == "2d" and weak == "first-two":
            raise NotImplementedError("2-D has one weak axis")
        self.shape = _shape(dim, int(n))
        axes = tuple(a % len(self.shape) for a in _WEAK[weak])
        self.ml = GeometricMultigrid(_anisotropic(self.shape, eps, axes))
        self.x0 = np.random.default_rng(0).standard_normal(self.shape)

    def track_convergence_factor(self, problem, weak, eps):
        _, info = self.ml.solve(np.zeros(self.shape), self.x0, rtol=0.0, maxiter=8,
                                return_info=True)
        r = info.residuals
        return float((r[8] / r[2]) ** (1 / 6))

    track_convergence_factor.unit = "residual reduction per cycle"


class RotatedAnisotropy:
    """45-degree anisotropy eps = 1e-2 (PyAMG's FD stencil), 255^2: where AMG is the tool."""

    params = [["ours", "ours-alternating-line", "pyamg-rs", "pyamg-sa"]]
    param_names = ["solver"]
    timeout = 300

    def setup(self, solver):
        try:
            import pyamg
            from pyamg.gallery import diffusion_stencil_2d
        except ImportError:
            raise NotImplementedError("pyamg is not installed") from None
        from solvers.multigrid import StencilOperator

        stencil = diffusion_stencil_2d(epsilon=1e-2, theta=np.pi / 4, type="FD")
        self.A = StencilOperator(stencil, grid_shape=(255, 255))
        self.b = np.random.default_rng(0).standard_normal((255, 255))
        self.S, self.pyamg = self.A.tosparse(), pyamg
        self.options = ({"smoother": ("line", {"axis": "alternating"})}
                        if solver == "ours-alternating-line" else {})
        if solver.startswith("ours"):
            GeometricMultigrid(self.A, **self.options).solve(self.b, maxiter=1)

    def _run(self, solver):
        if solver.startswith("ours"):
            ml = GeometricMultigrid(self.A, **self.options)
            return ml.solve(self.b, rtol=1e-8, accel="cg", maxiter=500, return_info=True)[1].nit
        build = (self.pyamg.ruge_stuben_solver if solver == "pyamg-rs"
                 else self.pyamg.smoothed_aggregation_solver)
        residuals = []
        build(self.S).solve(self.b.ravel(), tol=1e-8, accel="cg", maxiter=500,
                            residuals=residuals)
        return len(residuals) - 1

    def time_setup_and_solve(self, solver):
        self._run(solver)

    def track_iterations(self, solver):
        return self._run(solver)

    track_iterations.unit = "iterations"
