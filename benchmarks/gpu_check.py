#!/usr/bin/env python3
"""The prepared GPU check (issue 19): the test suite with CuPy, GPU-vs-CPU benchmarks, one report.

On a machine with an NVIDIA GPU, CuPy, NumPy, SciPy, Numba and pytest this script, within about
ten minutes,

1. runs the whole pytest suite with CuPy enabled (the ``xp`` fixture of ``tests/conftest.py``
   adds the ``cupy`` backend whenever CuPy imports and sees a device) and counts passed / failed /
   skipped tests per test file, CuPy-parametrized tests separately;
2. times each benchmark on the GPU (CuPy arrays, synchronized, median of a few runs after a
   warm-up) and the same call on the CPU (NumPy + Numba, ``--cpu-threads`` threads, default 2 as
   on CI), with the speed-up and the largest relative difference of the two results:

   - ``log_iv``, ``log_kv``, ``iv_ratio`` (``solvers.special``) on 1e8 points, and next to them
     ``cupyx.scipy.special``'s exponentially scaled order-0/1 functions (it has no real-order
     ``ive``/``kve``): ``log(i0e(x)) + x``, ``log(k0e(x)) - x``, ``i1e(x) / i0e(x)``;
   - geometric multigrid (``GeometricMultigrid(poisson(shape)).solve``) on 4095^2 and 255^3;
   - a GP collocation PDE solve (``solve_pde``, GP-HM's ``poisson2d-sin6cos20``) on 1000^2;
   - a von Mises-Fisher fit (``vonmises_fisher.fit``) with p = 65536, n = 1e5 (n is reduced,
     and the report says so, when the data and its temporaries do not fit in GPU memory);
   - GNS (``minimize_gns``, exact Hessian) on a wide logistic regression (d > n);

3. writes ``OUTDIR/gpu_report.md`` (device, versions, tests per file, benchmark tables, which
   goals hold), ``OUTDIR/gpu_results.json`` (the same numbers) and, when tests ran,
   ``OUTDIR/pytest.log`` and ``OUTDIR/junit.xml``.

Every benchmark runs in its own try/except, and a global ``--time-budget`` skips what is left once
it is spent. ``--cpu-dry-run`` exercises everything except the CuPy calls: NumPy stands in for
CuPy (and SciPy for cupyx) at small sizes, and only ``tests/test_array_api.py`` runs (see
``tests/test_gpu_check.py``).

Usage
-----
On a machine with a package index (once; pure-Python dependencies the GPU machine may lack)::

    bash benchmarks/gpu_wheels.sh            # -> .whl/ (git-ignored; carry it to the GPU machine)

On the GPU machine, in the repository root::

    PYTHONUNBUFFERED=1 python3 benchmarks/gpu_check.py "$OUT" --wheels .whl

On any machine, without a GPU::

    python benchmarks/gpu_check.py /tmp/gpu_dry --cpu-dry-run [--quick] [--skip-tests]
"""

from __future__ import annotations

import argparse
import datetime as _dt
import glob
import inspect
import json
import math
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# Tolerances of the goals.
TOL_SOLVER = 1e-12      # results equal the NumPy path to 1e-12 relative
TOL_ELEMENTWISE = 1e-15  # ... and 1e-15 for elementwise functions (same formula)

# Problem sizes: the (full), --quick on a GPU, and the CPU dry run (NumPy for CuPy).
SIZES = {
    "full": dict(special_n=10**8, mg2=4095, mg3=255, pde=1000, vmf_p=65536, vmf_n=100_000,
                 gns_n=2000, gns_d=5000),
    "quick": dict(special_n=10**7, mg2=1023, mg3=127, pde=400, vmf_p=65536, vmf_n=10_000,
                  gns_n=1000, gns_d=2000),
    "dry": dict(special_n=200_000, mg2=255, mg3=31, pde=120, vmf_p=512, vmf_n=2000,
                gns_n=200, gns_d=400),
    "dry_quick": dict(special_n=20_000, mg2=63, mg3=15, pde=100, vmf_p=128, vmf_n=500,
                      gns_n=60, gns_d=120),
}


# --------------------------------------------------------------------------- arguments


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir", help="folder for gpu_report.md (created)")
    ap.add_argument("--cpu-dry-run", action="store_true",
                    help="no CuPy: NumPy stands in for CuPy at small sizes, a tiny test subset")
    ap.add_argument("--quick", action="store_true", help="smaller sizes")
    ap.add_argument("--wheels", metavar="DIR",
                    help="install the wheels in DIR first (pip --no-index --find-links DIR)")
    ap.add_argument("--skip-tests", action="store_true", help="do not run pytest")
    ap.add_argument("--tests", nargs="*", metavar="PATH",
                    help="pytest paths (default: the whole suite; tests/test_array_api.py in "
                         "the dry run)")
    ap.add_argument("--test-workers", default="auto",
                    help="pytest-xdist workers: an int, 0 for none, or 'auto' (up to 8 when "
                         "pytest-xdist is installed and this is not a dry run)")
    ap.add_argument("--test-timeout", type=float, default=None,
                    help="seconds for the test run (default: 55%% of the time budget)")
    ap.add_argument("--time-budget", type=float, default=540.0,
                    help="seconds for the whole check; benchmarks that would start later are "
                         "skipped (default 540)")
    ap.add_argument("--cpu-threads", type=int, default=2,
                    help="threads of the CPU reference (Numba, BLAS); default 2 (CI's cores)")
    ap.add_argument("--only", nargs="*", metavar="NAME",
                    help="run only the benchmarks whose name contains one of these")
    return ap.parse_args(argv)


def limit_threads(n):
    """Thread limits for NumPy's BLAS and Numba; must run before they are imported."""
    if n and n > 0:
        for var in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                    "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
            os.environ[var] = str(n)


def install_wheels(folder):
    """``pip install --no-index --find-links folder`` into a fresh target put first on the path.

    ``--no-deps``: NumPy, SciPy, Numba and CuPy come from the machine; only what is missing
    travels as wheels. Returns ``(site_dir, [wheel names])``.
    """
    folder = Path(folder).resolve()
    wheels = sorted(glob.glob(str(folder / "*.whl")))
    if not wheels:
        raise SystemExit(f"--wheels {folder}: no *.whl files there "
                         "(run benchmarks/gpu_wheels.sh on a machine with a package index)")
    wheels, skipped = _compatible_wheels(wheels)
    for w in skipped:
        print(f"[gpu_check] skipping {Path(w).name}: not for this Python/platform", flush=True)
    site = tempfile.mkdtemp(prefix="gpu_check_site_")
    cmd = [sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps",
           "--no-compile", "--no-cache-dir", "--disable-pip-version-check",
           "--find-links", str(folder), "--target", site, *wheels]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"installing the wheels failed ({proc.returncode}):\n"
                         f"{proc.stdout}\n{proc.stderr}")
    sys.path.insert(0, site)
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [site] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])
    return site, [Path(w).name for w in wheels]


def _compatible_wheels(wheels):
    """Split wheel files into those this interpreter can install and the rest."""
    try:
        from packaging.tags import sys_tags
        from packaging.utils import parse_wheel_filename
    except ImportError:  # pragma: no cover - packaging ships with pip's environments
        return wheels, []
    supported = set(sys_tags())
    ok, skipped = [], []
    for w in wheels:
        try:
            tags = parse_wheel_filename(Path(w).name)[3]
        except Exception:  # noqa: BLE001 - let pip report a malformed name
            ok.append(w)
            continue
        (ok if tags & supported else skipped).append(w)
    return ok, skipped


def ensure_repo_importable():
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    parts = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if str(REPO) not in parts:
        os.environ["PYTHONPATH"] = os.pathsep.join(parts + [str(REPO)])


# --------------------------------------------------------------------------- backends


class Backend:
    """An array library to run a benchmark on: CuPy on the GPU, or NumPy (CPU / stand-in)."""

    def __init__(self, name, xp, *, gpu, peer_special=None, peer_name=""):
        self.name, self.xp, self.gpu = name, xp, gpu
        self.peer_special, self.peer_name = peer_special, peer_name

    def asarray(self, a):
        return self.xp.asarray(a)

    def to_host(self, a):
        import numpy as np

        if self.gpu:
            return self.xp.asnumpy(a)
        return np.asarray(a)

    def sync(self):
        if self.gpu:
            self.xp.cuda.Device().synchronize()

    def free_all(self):
        if self.gpu:
            self.xp.get_default_memory_pool().free_all_blocks()
            self.xp.get_default_pinned_memory_pool().free_all_blocks()

    def free_memory(self):
        """Free bytes on the device (GPU) or available host memory (CPU)."""
        if self.gpu:
            self.free_all()
            return int(self.xp.cuda.runtime.memGetInfo()[0])
        return host_available_memory()


def host_available_memory():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 8 * 2**30


def make_backends(dry_run):
    import numpy as np
    import scipy.special

    cpu = Backend("numpy", np, gpu=False, peer_special=scipy.special, peer_name="scipy.special")
    if dry_run:
        gpu = Backend("numpy (stand-in for cupy)", np, gpu=False, peer_special=scipy.special,
                      peer_name="scipy.special (stand-in for cupyx.scipy.special)")
    else:
        try:
            import cupy
            import cupyx.scipy.special

            cupy.cuda.runtime.getDeviceCount()
        except Exception as exc:  # noqa: BLE001
            raise SystemExit(f"gpu_check: CuPy or a CUDA device is not available "
                             f"({type(exc).__name__}: {exc}); use --cpu-dry-run without a GPU")

        gpu = Backend("cupy", cupy, gpu=True, peer_special=cupyx.scipy.special,
                      peer_name="cupyx.scipy.special")
    return gpu, cpu


# --------------------------------------------------------------------------- helpers

_ALIASES = [("maxiter", "max_iter"), ("rng", "random_state", "seed"),
            ("max_time", "time_limit")]


def call(fn, *args, **kwargs):
    """``fn(*args, **kwargs)``, renaming keywords to the alias ``fn`` accepts (maxiter/max_iter,
    rng/random_state/seed, max_time/time_limit): the package's keywords are being renamed."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return fn(*args, **kwargs)
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return fn(*args, **kwargs)
    fixed = {}
    for key, value in kwargs.items():
        name = key
        if key not in params:
            for group in _ALIASES:
                if key in group:
                    name = next((g for g in group if g in params), key)
                    break
        fixed[name] = value
    return fn(*args, **fixed)


def max_rel_diff(a, b, floor=0.0):
    """Elementwise ``max |a - b| / max(|b|, floor)`` (0 where both hold the same inf/nan)."""
    import numpy as np

    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    if np.all(same):
        return 0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        d = np.abs(a - b) / np.maximum(np.abs(b), floor if floor > 0 else np.finfo(float).tiny)
    d = np.where(same, 0.0, d)
    d = np.where(np.isnan(d), np.inf, d)
    return float(np.max(d))


def normwise_rel_diff(a, b):
    """``max |a - b| / max |b|`` (infinity norms) of two arrays or scalars."""
    import numpy as np

    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    scale = float(np.max(np.abs(b))) if b.size else 0.0
    diff = float(np.max(np.abs(a - b))) if b.size else 0.0
    if not math.isfinite(diff):
        return math.inf
    return diff / scale if scale > 0 else diff


class Clock:
    def __init__(self, budget):
        self.t0 = time.perf_counter()
        self.budget = float(budget)

    def elapsed(self):
        return time.perf_counter() - self.t0

    def left(self):
        return self.budget - self.elapsed()


def measure(fn, backend, clock, *, warmup=1, repeats=3, slow=2.0):
    """Median wall time of ``fn()`` (synchronized) after ``warmup`` calls; fewer runs when slow
    or when the time budget is short. Returns ``(median_s, runs, last_result)``."""
    out = None
    for _ in range(warmup):
        out = fn()
        backend.sync()
    times = []
    for _ in range(max(1, repeats)):
        backend.sync()
        t = time.perf_counter()
        out = fn()
        backend.sync()
        times.append(time.perf_counter() - t)
        if times[-1] > slow or clock.left() < 3 * times[-1]:
            break
    return statistics.median(times), len(times), out


def row(name, size, kind, *, gpu_s=None, gpu_runs=0, cpu_s=None, cpu_runs=0, rel_diff=None,
        note="", status="ok", error=None):
    tol = TOL_ELEMENTWISE if kind == "elementwise" else TOL_SOLVER
    speedup = (cpu_s / gpu_s) if (gpu_s and cpu_s) else None
    return dict(name=name, size=size, kind=kind, gpu_s=gpu_s, gpu_runs=gpu_runs, cpu_s=cpu_s,
                cpu_runs=cpu_runs, speedup=speedup, rel_diff=rel_diff, tol=tol, note=note,
                status=status, error=error)


# --------------------------------------------------------------------------- benchmarks


class Context:
    def __init__(self, gpu, cpu, sizes, clock, dry_run):
        self.gpu, self.cpu, self.sizes, self.clock, self.dry_run = gpu, cpu, sizes, clock, dry_run
        self.cache = {}
        self.peer_rows = []

    def special_inputs(self):
        import numpy as np

        if "special" not in self.cache:
            n = self.sizes["special_n"]
            rng = np.random.default_rng(19)
            v = rng.uniform(0.5, 200.0, n)
            x = 10.0 ** rng.uniform(-3.0, 4.0, n)
            self.cache["special"] = (v, x)
        return self.cache["special"]


def _bench_special(ctx, fname):
    import solvers.special as sp

    f = getattr(sp, fname)
    v, x = ctx.special_inputs()
    n = v.size
    floor = 1.0 if fname.startswith("log_") else 0.0
    gpu, cpu = ctx.gpu, ctx.cpu
    # compile / load kernels on a few points first
    f(gpu.asarray(v[:1000]), gpu.asarray(x[:1000]))
    f(v[:1000], x[:1000])
    vg, xg = gpu.asarray(v), gpu.asarray(x)
    g_s, g_runs, out_g = measure(lambda: f(vg, xg), gpu, ctx.clock)
    out_g = gpu.to_host(out_g)
    c_s, c_runs, out_c = measure(lambda: f(v, x), cpu, ctx.clock, warmup=0)
    rel = max_rel_diff(out_g, out_c, floor)
    measure_txt = "|d|/max(|ref|,1)" if floor else "|d|/|ref|"
    result = row(f"{fname}(v, x)", f"{n:.0e} points", "elementwise", gpu_s=g_s, gpu_runs=g_runs,
                 cpu_s=c_s, cpu_runs=c_runs, rel_diff=rel,
                 note=f"v~U(0.5,200), x~logU(1e-3,1e4); elementwise {measure_txt}")
    del vg, xg, out_g, out_c
    gpu.free_all()
    try:
        ctx.peer_rows.append(_peer_special(ctx, fname, f, x))
    except Exception as exc:  # the peer row is optional
        ctx.peer_rows.append(dict(name=fname, status="error",
                                  error=f"{type(exc).__name__}: {exc}"))
    gpu.free_all()
    return result


def _peer_special(ctx, fname, f, x):
    """Ours at order 0 (1 for the ratio) against the peer's exponentially scaled functions."""
    gpu = ctx.gpu
    ps = gpu.peer_special
    xp = gpu.xp
    xg = gpu.asarray(x)
    if fname == "log_iv":
        order, expr = 0.0, "log(i0e(x)) + x"
        peer = lambda: xp.log(ps.i0e(xg)) + xg  # noqa: E731
    elif fname == "log_kv":
        order, expr = 0.0, "log(k0e(x)) - x"
        peer = lambda: xp.log(ps.k0e(xg)) - xg  # noqa: E731
    else:
        order, expr = 1.0, "i1e(x) / i0e(x)"
        peer = lambda: ps.i1e(xg) / ps.i0e(xg)  # noqa: E731
    ours = lambda: f(order, xg)  # noqa: E731
    o_s, _, out_o = measure(ours, gpu, ctx.clock)
    p_s, _, out_p = measure(peer, gpu, ctx.clock)
    floor = 1.0 if fname.startswith("log_") else 0.0
    rel = max_rel_diff(gpu.to_host(out_o), gpu.to_host(out_p), floor)
    return dict(name=f"{fname}({order:g}, x)", peer=f"{gpu.peer_name}: {expr}",
                size=f"{x.size:.0e} points", ours_s=o_s, peer_s=p_s,
                ratio=(p_s / o_s) if o_s else None, rel_diff=rel, status="ok", error=None)


def bench_log_iv(ctx):
    return _bench_special(ctx, "log_iv")


def bench_log_kv(ctx):
    return _bench_special(ctx, "log_kv")


def bench_iv_ratio(ctx):
    try:
        return _bench_special(ctx, "iv_ratio")
    finally:
        ctx.cache.pop("special", None)  # the last user of the inputs: free host memory


def _bench_multigrid(ctx, shape):
    import numpy as np
    from solvers.multigrid import GeometricMultigrid, poisson

    gpu, cpu = ctx.gpu, ctx.cpu
    ml = GeometricMultigrid(poisson(shape))
    b = np.random.default_rng(4095).standard_normal(shape)
    opts = dict(rtol=1e-10, maxiter=50)
    small = tuple(15 for _ in shape)
    ml_small = GeometricMultigrid(poisson(small))
    bs = np.ones(small)
    call(ml_small.solve, gpu.asarray(bs), **opts)  # kernels compiled / loaded
    call(ml_small.solve, bs, **opts)
    bg = gpu.asarray(b)
    g_s, g_runs, (xg, info_g) = measure(
        lambda: call(ml.solve, bg, return_info=True, **opts), gpu, ctx.clock)
    xg = gpu.to_host(xg)
    c_s, c_runs, (xc, info_c) = measure(
        lambda: call(ml.solve, b, return_info=True, **opts), cpu, ctx.clock, warmup=0)
    rel = normwise_rel_diff(xg, xc)
    size = "x".join(map(str, shape))
    del bg
    gpu.free_all()
    return row(f"multigrid {len(shape)}-D Poisson", size, "solver", gpu_s=g_s, gpu_runs=g_runs,
               cpu_s=c_s, cpu_runs=c_runs, rel_diff=rel,
               note=f"V(2,1) RB-GS, rtol 1e-10: {info_g.nit} cycles GPU, {info_c.nit} CPU")


def bench_multigrid_2d(ctx):
    n = ctx.sizes["mg2"]
    return _bench_multigrid(ctx, (n, n))


def bench_multigrid_3d(ctx):
    n = ctx.sizes["mg3"]
    return _bench_multigrid(ctx, (n, n, n))


def bench_pde(ctx):
    import warnings

    from solvers.pde import gphm_benchmarks, solve_pde

    gpu, cpu = ctx.gpu, ctx.cpu
    name = "poisson2d-sin6cos20"
    problem = gphm_benchmarks()[name]
    n = ctx.sizes["pde"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # points per wavelength on the warm-up
        call(solve_pde, problem, (48, 48), xp=gpu.xp)
        call(solve_pde, problem, (48, 48), xp=cpu.xp)
    g_s, g_runs, sol_g = measure(lambda: call(solve_pde, problem, (n, n), xp=gpu.xp), gpu,
                                 ctx.clock)
    c_s, c_runs, sol_c = measure(lambda: call(solve_pde, problem, (n, n), xp=cpu.xp), cpu,
                                 ctx.clock, warmup=0)
    ug = gpu.to_host(sol_g.values)
    rel = normwise_rel_diff(ug, cpu.to_host(sol_c.values))
    try:
        err = f"; rel. L2 error vs exact: GPU {float(sol_g.relative_l2_error()):.2e}, " \
              f"CPU {float(sol_c.relative_l2_error()):.2e}"
    except Exception:  # noqa: BLE001 - informative only
        err = ""
    solver = sol_c.info.get("solver", "?") if isinstance(sol_c.info, dict) else "?"
    nodes = getattr(sol_c, "nodes", None)
    if nodes is not None:
        solver += f", nodes {'/'.join(map(str, nodes)) if isinstance(nodes, tuple) else nodes}"
    del sol_g
    gpu.free_all()
    return row("GP PDE solve (solve_pde)", f"{n}x{n}", "solver", gpu_s=g_s, gpu_runs=g_runs,
               cpu_s=c_s, cpu_runs=c_runs, rel_diff=rel,
               note=f"GP-HM {name}, Student-t mixture, solver {solver}{err}")


def bench_vmf(ctx):
    import numpy as np
    from solvers.stats import vonmises_fisher

    gpu, cpu = ctx.gpu, ctx.cpu
    p, n_req = ctx.sizes["vmf_p"], ctx.sizes["vmf_n"]
    row_bytes = 8 * p
    # GPU: the data, x * x in the generic path and slack; host: the data copy and slack
    n_gpu = int(0.8 * gpu.free_memory() / (2.5 * row_bytes)) if gpu.gpu else n_req
    n_host = int(0.5 * host_available_memory() / (1.5 * row_bytes))
    n = max(2, min(n_req, n_gpu, n_host))
    note = f"rows = mean direction * sqrt(p) + N(0, I); n = {n}"
    if n < n_req:
        limit = "GPU memory" if n == n_gpu else "host memory"
        note += f" (reduced from {n_req}: {limit})"
    fit = vonmises_fisher.fit
    small_h = np.random.default_rng(0).standard_normal((64, p)) + 1.0
    fit(gpu.asarray(small_h))
    fit(small_h)
    mu = np.zeros(p)
    mu[0] = 1.0
    if gpu.gpu:
        xp = gpu.xp
        xg = xp.random.default_rng(65536).standard_normal((n, p))
        xg[:, 0] += math.sqrt(p)
        gpu.sync()
        xh = gpu.to_host(xg)
    else:
        xh = np.random.default_rng(65536).standard_normal((n, p))
        xh[:, 0] += math.sqrt(p)
        xg = gpu.asarray(xh)
    g_s, g_runs, (mu_g, k_g) = measure(lambda: fit(xg), gpu, ctx.clock)
    mu_g = gpu.to_host(mu_g)
    del xg
    gpu.free_all()
    c_s, c_runs, (mu_c, k_c) = measure(lambda: fit(xh), cpu, ctx.clock, warmup=0)
    del xh
    rel = max(normwise_rel_diff(mu_g, mu_c), normwise_rel_diff(float(k_g), float(k_c)))
    return row("vMF fit (vonmises_fisher.fit)", f"p={p}, n={n}", "solver", gpu_s=g_s,
               gpu_runs=g_runs, cpu_s=c_s, cpu_runs=c_runs, rel_diff=rel,
               note=f"{note}; kappa {float(k_c):.6g}; diff = max over mu, kappa")


def bench_gns(ctx):
    import numpy as np
    from solvers.optimize import minimize_gns
    from solvers.optimize._test_problems import logistic

    gpu, cpu = ctx.gpu, ctx.cpu
    n, d = ctx.sizes["gns_n"], ctx.sizes["gns_d"]
    rng = np.random.default_rng(2506)
    X = rng.standard_normal((n, d)) / math.sqrt(d)
    w_true = rng.standard_normal(d)
    y = (X @ w_true + 0.5 * rng.standard_normal(n) > 0).astype(np.float64)
    l2 = 1e-3
    opts = dict(gtol=1e-10, maxiter=50)

    def solve(be, Xb, yb):
        obj = logistic(Xb, yb, l2=l2)
        return call(minimize_gns, obj.fun_and_jac, obj.zeros(), jac=True, hess=obj.hess, **opts)

    solve(gpu, gpu.asarray(X[:20, :30]), gpu.asarray(y[:20]))
    solve(cpu, X[:20, :30], y[:20])
    Xg, yg = gpu.asarray(X), gpu.asarray(y)
    g_s, g_runs, res_g = measure(lambda: solve(gpu, Xg, yg), gpu, ctx.clock)
    c_s, c_runs, res_c = measure(lambda: solve(cpu, X, y), cpu, ctx.clock, warmup=0)
    rel = normwise_rel_diff(gpu.to_host(res_g.x), cpu.to_host(res_c.x))
    del Xg, yg, res_g
    gpu.free_all()
    return row("GNS wide logistic (minimize_gns)", f"n={n}, d={d}", "solver", gpu_s=g_s,
               gpu_runs=g_runs, cpu_s=c_s, cpu_runs=c_runs, rel_diff=rel,
               note=f"exact Hessian, l2={l2:g}, gtol 1e-10: {res_c.nit} iterations, "
                    f"status {res_c.status}")


BENCHMARKS = [
    ("log_iv", bench_log_iv),
    ("log_kv", bench_log_kv),
    ("iv_ratio", bench_iv_ratio),
    ("multigrid_2d", bench_multigrid_2d),
    ("multigrid_3d", bench_multigrid_3d),
    ("pde_2d", bench_pde),
    ("vmf_fit", bench_vmf),
    ("gns_logistic", bench_gns),
]

# rough share of a full GPU run's benchmark time, to skip before starting what cannot finish
_MIN_SECONDS = {"dry": 1.0, "quick": 5.0, "full": 15.0}


def run_benchmarks(ctx, only=None, min_seconds=1.0):
    rows = []
    for key, fn in BENCHMARKS:
        if only and not any(o in key for o in only):
            continue
        if ctx.clock.left() < min_seconds:
            r = row(key, "", "solver", status="skipped",
                    note=f"time budget spent ({ctx.clock.elapsed():.0f} s elapsed)")
            r["key"] = key
            rows.append(r)
            print(f"[gpu_check] {key}: skipped (time budget)", flush=True)
            continue
        t = time.perf_counter()
        print(f"[gpu_check] {key} ...", flush=True)
        try:
            r = fn(ctx)
        except Exception as exc:  # one failure must not lose the report
            tb = traceback.format_exc(limit=6)
            r = row(key, "", "solver", status="error", error=f"{type(exc).__name__}: {exc}",
                    note=tb.strip().splitlines()[-1] if tb else "")
            r["traceback"] = tb
        r["key"] = key
        r["wall_s"] = time.perf_counter() - t
        print(f"[gpu_check] {key}: {r['status']} in {r['wall_s']:.1f} s "
              f"(GPU {fmt_s(r['gpu_s'])}, CPU {fmt_s(r['cpu_s'])}, diff {fmt_e(r['rel_diff'])})"
              + (f" {r['error']}" if r["error"] else ""), flush=True)
        rows.append(r)
        ctx.gpu.free_all()
    return rows


# --------------------------------------------------------------------------- tests


def _xdist_available():
    try:
        import xdist  # noqa: F401

        return True
    except ImportError:
        return False


def run_tests(outdir, paths, workers, timeout):
    """Run pytest with a JUnit XML report; SIGINT at the timeout (pytest still writes the XML)."""
    junit = outdir / "junit.xml"
    log = outdir / "pytest.log"
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rfE",
           f"--junitxml={junit}", "-o", "junit_family=xunit1", *paths]
    if workers:
        cmd[3:3] = ["-n", str(workers)]
    t0 = time.perf_counter()
    timed_out = False
    with open(log, "w") as fh:
        fh.write("$ " + " ".join(cmd) + "\n")
        fh.flush()
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=fh, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            os.killpg(proc.pid, signal.SIGINT)
            try:
                rc = proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                rc = proc.wait()
    summary = dict(command=" ".join(cmd), returncode=rc, timed_out=timed_out,
                   wall_s=time.perf_counter() - t0, log=log.name)
    summary.update(parse_junit(junit))
    summary["tail"] = log.read_text(errors="replace").splitlines()[-15:]
    return summary



def parse_junit(path):
    """Per-file and CuPy-only counts (passed/failed/error/skipped) from a JUnit XML file."""
    files, cupy = {}, dict(passed=0, failed=0, error=0, skipped=0)
    failures = []
    if not Path(path).exists():
        return dict(files=files, cupy=cupy, failures=failures, junit=None)
    root = ET.parse(path).getroot()
    for case in root.iter("testcase"):
        fname = case.get("file") or (case.get("classname") or "?").replace(".", "/") + ".py"
        name = case.get("name", "")
        outcome = "passed"
        message = ""
        for tag in ("failure", "error", "skipped"):
            el = case.find(tag)
            if el is not None:
                outcome = {"failure": "failed"}.get(tag, tag)
                message = (el.get("message") or el.text or "").strip().splitlines()
                message = message[0][:200] if message else ""
                break
        counts = files.setdefault(fname, dict(passed=0, failed=0, error=0, skipped=0))
        counts[outcome] += 1
        if "[" in name and re.search(r"(^|[\[\-_])cupy([\]\-_]|$)", name.split("[", 1)[1]):
            cupy[outcome] += 1
        if outcome in ("failed", "error"):
            failures.append(f"{fname}::{name}: {message}")
    return dict(files=dict(sorted(files.items())), cupy=cupy, failures=failures,
                junit=Path(path).name)


# --------------------------------------------------------------------------- report


def cell(text):
    """Text safe inside a markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def fmt_s(x):
    if x is None:
        return "—"
    return f"{x:.3g}" if x < 100 else f"{x:.0f}"


def fmt_e(x):
    if x is None:
        return "—"
    if x == 0:
        return "0"
    return f"{x:.1e}"


def versions(gpu_backend, dry_run):
    import numba
    import numpy
    import scipy

    info = {
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "numba": numba.__version__,
    }
    for mod in ("array_api_compat", "array_api_strict", "pytest", "solvers"):
        try:
            info[mod] = __import__(mod).__version__
        except Exception:  # noqa: BLE001
            info[mod] = "not importable"
    if dry_run:
        info["gpu"] = "none: --cpu-dry-run (NumPy stands in for CuPy, SciPy for cupyx)"
        info["cupy"] = "not used (dry run)"
    else:
        cp = gpu_backend.xp
        props = cp.cuda.runtime.getDeviceProperties(0)
        name = props.get("name", b"?")
        info["gpu"] = name.decode() if isinstance(name, bytes) else str(name)
        info["gpu_memory_gib"] = round(props.get("totalGlobalMem", 0) / 2**30, 1)
        info["gpu_count"] = cp.cuda.runtime.getDeviceCount()
        info["cuda_driver"] = _cuda_version(cp.cuda.runtime.driverGetVersion())
        info["cuda_runtime"] = _cuda_version(cp.cuda.runtime.runtimeGetVersion())
        info["cupy"] = cp.__version__
    return info


def _cuda_version(v):
    return f"{v // 1000}.{(v % 1000) // 10}"


def _cpu_model():
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from peer_cases import cpu_model  # the one copy, shared with peers.py
    return cpu_model()


def evaluate_goals(tests, rows, peer_rows, dry_run):
    goals = []
    if tests is None:
        goals.append(("every CuPy test passes", None, "tests not run (--skip-tests)"))
    else:
        c = tests["cupy"]
        bad = sum(v["failed"] + v["error"] for v in tests["files"].values())
        ok = (c["passed"] > 0 and c["failed"] == 0 and c["error"] == 0 and c["skipped"] == 0
              and not tests["timed_out"])
        detail = (f"CuPy tests: {c['passed']} passed, {c['failed']} failed, {c['error']} errors, "
                  f"{c['skipped']} skipped; all tests: {bad} failed or errors"
                  + ("; the test run hit its timeout" if tests["timed_out"] else ""))
        if dry_run:
            detail += " (dry run: CuPy absent, its tests are skipped)"
        goals.append(("every CuPy test passes", ok, detail))
    done = [r for r in rows if r["status"] == "ok"]
    missing = [r["key"] for r in rows if r["status"] != "ok"]
    acc = [r for r in done if r["rel_diff"] is not None and r["rel_diff"] > r["tol"]]
    acc_ok = not acc and not missing and bool(done)
    goals.append(("GPU results equal the NumPy path (1e-12 relative; 1e-15 elementwise)", acc_ok,
                  ("exceeded: " + ", ".join(f"{r['name']} {fmt_e(r['rel_diff'])}" for r in acc)
                   if acc else "all measured benchmarks within tolerance")
                  + (f"; not measured: {', '.join(missing)}" if missing else "")))
    slow = [r for r in done if not (r["speedup"] and r["speedup"] > 1)]
    goals.append(("GPU faster than the CPU on every benchmark", not slow and not missing
                  and bool(done),
                  ("slower or equal: " + ", ".join(f"{r['name']} {r['speedup'] or 0:.2f}x"
                                                   for r in slow)
                   if slow else "every measured benchmark faster")
                  + (f"; not measured: {', '.join(missing)}" if missing else "")))
    return goals


def write_report(outdir, args, info, tests, rows, peer_rows, goals, sizes_name, wheels, elapsed):
    mark = {True: "holds", False: "**does not hold**", None: "not evaluated"}
    L = []
    title = "GPU check" + (" — CPU dry run (no GPU; NumPy stands in for CuPy)"
                           if args.cpu_dry_run else "")
    L += [f"# {title}", ""]
    L += [f"Generated by `benchmarks/gpu_check.py` on {info['date']} in {elapsed:.0f} s "
          f"(time budget {args.time_budget:.0f} s); sizes: `{sizes_name}`.", ""]
    if args.cpu_dry_run:
        L += ["This is a dry run: every timing and difference below compares NumPy with NumPy at "
              "small sizes. It checks that the check itself runs, not the GPU.", ""]
    L += ["## Device and versions", ""]
    L += ["| item | value |", "| --- | --- |"]
    keys = ["gpu", "gpu_memory_gib", "gpu_count", "cuda_driver", "cuda_runtime", "cupy", "numpy",
            "scipy", "numba", "array_api_compat", "array_api_strict", "pytest", "solvers",
            "python", "cpu", "cpu_count", "platform"]
    for k in keys:
        if k in info:
            L.append(f"| {k} | {cell(info[k])} |")
    L.append(f"| CPU reference threads | {args.cpu_threads} (NUMBA_NUM_THREADS, OMP/BLAS) |")
    L.append(f"| wheels installed | {', '.join(wheels) if wheels else 'none'} |")
    L.append("")

    L += ["## Tests", ""]
    if tests is None:
        L += ["Not run (`--skip-tests`).", ""]
    else:
        c = tests["cupy"]
        L += [f"`{tests['command']}` — exit code {tests['returncode']}, "
              f"{tests['wall_s']:.0f} s" + (", **stopped at its timeout**"
                                             if tests["timed_out"] else "") + ".", "",
              f"CuPy-parametrized tests: {c['passed']} passed, {c['failed']} failed, "
              f"{c['error']} errors, {c['skipped']} skipped.", ""]
        L += ["| test file | passed | failed | errors | skipped |",
              "| --- | ---: | ---: | ---: | ---: |"]
        for f, v in tests["files"].items():
            L.append(f"| {f} | {v['passed']} | {v['failed']} | {v['error']} | {v['skipped']} |")
        if not tests["files"]:
            L.append("| (no JUnit results: see pytest.log) | | | | |")
        L.append("")
        if tests["failures"]:
            L += ["Failures and errors (first 60):", ""]
            L += [f"- `{f}`" for f in tests["failures"][:60]]
            L.append("")

    L += ["## Benchmarks", ""]
    L += ["GPU and CPU times in seconds: median of the timed runs (runs in brackets) after a "
          "warm-up, the GPU synchronized. Difference: GPU result against the CPU result, "
          "normwise `max|d| / max|ref|` for solvers, elementwise for special functions. "
          f"Tolerance: {TOL_SOLVER:g} (solvers), {TOL_ELEMENTWISE:g} (elementwise).", ""]
    L += ["| benchmark | size | GPU s | CPU s | speed-up | max rel. diff | within tol. | notes |",
          "| --- | --- | ---: | ---: | ---: | ---: | --- | --- |"]
    for r in rows:
        if r["status"] == "ok":
            within = "yes" if r["rel_diff"] is not None and r["rel_diff"] <= r["tol"] else "no"
            L.append(f"| {r['name']} | {r['size']} | {fmt_s(r['gpu_s'])} ({r['gpu_runs']}) | "
                     f"{fmt_s(r['cpu_s'])} ({r['cpu_runs']}) | "
                     f"{r['speedup']:.2f}x | {fmt_e(r['rel_diff'])} | {within} | "
                     f"{cell(r['note'])} |")
        else:
            what = r["error"] or r["note"]
            L.append(f"| {r['name']} | {r['size']} | — | — | — | — | — | "
                     f"{r['status']}: {cell(what)} |")
    L.append("")
    L += ["### Against cupyx.scipy.special", "",
          "cupyx.scipy.special has no real-order `ive`/`kve`, so ours runs at the order of the "
          "peer's exponentially scaled functions, on the same `x`, both on the GPU.", ""]
    L += ["| ours | peer | size | ours s | peer s | peer / ours | max rel. diff |",
          "| --- | --- | --- | ---: | ---: | ---: | ---: |"]
    for p in peer_rows:
        if p.get("status") == "ok":
            L.append(f"| {p['name']} | {cell(p['peer'])} | {p['size']} | {fmt_s(p['ours_s'])} | "
                     f"{fmt_s(p['peer_s'])} | {p['ratio']:.2f} | {fmt_e(p['rel_diff'])} |")
        else:
            L.append(f"| {p['name']} | — | — | — | — | — | "
                     f"error: {cell(p.get('error'))} |")
    L.append("")
    errors = [r for r in rows if r.get("traceback")]
    if errors:
        L += ["### Benchmark errors", ""]
        for r in errors:
            L += [f"`{r['key']}`:", "", "```", r["traceback"].rstrip(), "```", ""]

    L += ["## Goals", ""]
    L += ["| goal | status | detail |", "| --- | --- | --- |"]
    for name, ok, detail in goals:
        L.append(f"| {name} | {mark[ok]} | {cell(detail)} |")
    L.append("")
    text = "\n".join(L)
    (outdir / "gpu_report.md").write_text(text)
    return text


# --------------------------------------------------------------------------- main


def main(argv=None):
    args = parse_args(argv)
    clock = Clock(args.time_budget)
    outdir = Path(args.outdir).resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    limit_threads(args.cpu_threads)
    wheels = []
    if args.wheels:
        site, wheels = install_wheels(args.wheels)
        print(f"[gpu_check] installed {len(wheels)} wheels into {site}", flush=True)
    ensure_repo_importable()

    gpu, cpu = make_backends(args.cpu_dry_run)
    info = versions(gpu, args.cpu_dry_run)
    print(f"[gpu_check] device: {info['gpu']}", flush=True)

    tests = None
    if not args.skip_tests:
        paths = args.tests if args.tests is not None else (
            ["tests/test_array_api.py"] if args.cpu_dry_run else [])
        if args.test_workers == "auto":
            workers = (min(8, max(1, (os.cpu_count() or 2) // 2))
                       if (not args.cpu_dry_run and _xdist_available()) else 0)
        else:
            workers = int(args.test_workers)
        timeout = args.test_timeout or 0.55 * args.time_budget
        print(f"[gpu_check] pytest {' '.join(paths) or '(whole suite)'} "
              f"(workers {workers}, timeout {timeout:.0f} s) ...", flush=True)
        tests = run_tests(outdir, paths, workers, timeout)
        c = tests["cupy"]
        print(f"[gpu_check] pytest exit {tests['returncode']} in {tests['wall_s']:.0f} s; "
              f"cupy tests {c['passed']} passed, {c['failed']} failed, {c['skipped']} skipped",
              flush=True)

    if args.cpu_dry_run:
        sizes_name = "dry_quick" if args.quick else "dry"
    else:
        sizes_name = "quick" if args.quick else "full"
    ctx = Context(gpu, cpu, SIZES[sizes_name], clock, args.cpu_dry_run)
    key = "dry" if args.cpu_dry_run else sizes_name
    rows = run_benchmarks(ctx, args.only, _MIN_SECONDS[key])
    goals = evaluate_goals(tests, rows, ctx.peer_rows, args.cpu_dry_run)
    elapsed = clock.elapsed()
    write_report(outdir, args, info, tests, rows, ctx.peer_rows, goals, sizes_name, wheels,
                 elapsed)
    results = dict(info=info, sizes=SIZES[sizes_name], sizes_name=sizes_name,
                   dry_run=args.cpu_dry_run, tests=tests, benchmarks=rows,
                   peers=ctx.peer_rows, goals=[dict(goal=g, holds=ok, detail=d)
                                               for g, ok, d in goals],
                   elapsed_s=elapsed)
    (outdir / "gpu_results.json").write_text(json.dumps(results, indent=1, default=str))
    print(f"[gpu_check] report: {outdir / 'gpu_report.md'} ({elapsed:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
