"""Issue 18: per-region speed of log_iv / log_kv / iv_ratio vs SciPy, one thread, one process.

Run on an idle machine:
    NUMBA_NUM_THREADS=1 OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/special_speed.py [n] [repeat]

n points (default 10^6) log-uniform v in [1e-3, 1e3], x in [1e-3, 1e4] (seed 2024),
split by region of the branch table. Each row times, interleaved (so load changes hit all
alike), the public function (region-sorted kernels), the scalar reference ufuncs (the
kernels before issue 18) and SciPy's log(ive)+x / log(kve)-x (ive/ive for iv_ratio); medians
of `repeat` runs. The last rows repeat the mix with float32 inputs.
"""

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from peer_cases.special import (  # noqa: E402
    REGIONS, _regions, _scipy_log_iv, _scipy_log_kv, _scipy_ratio,
)
from solvers.special import iv_ratio, log_iv, log_kv  # noqa: E402
from solvers.special._logbessel_numba import (  # noqa: E402
    iv_ratio_ufunc, log_iv_ufunc, log_kv_ufunc,
)


def _medians(fns, a, b, repeat):
    times = [[] for _ in fns]
    for _ in range(repeat):
        for t, f in zip(times, fns):
            t0 = time.perf_counter()
            f(a, b)
            t.append(time.perf_counter() - t0)
    return [float(np.median(t)) for t in times]


def main(n=1_000_000, repeat=5):
    rng = np.random.default_rng(2024)
    v = 10 ** rng.uniform(-3, 3, n)
    x = 10 ** rng.uniform(-3, 4, n)
    reg = _regions(v, x)
    print("| function | region | n | ours ms | reference ms | SciPy ms | SciPy/ours | SciPy/reference |")
    print("|---|---|---|---|---|---|---|---|")
    for name, fo, fr, fp in (("log_iv", log_iv, log_iv_ufunc, _scipy_log_iv),
                             ("log_kv", log_kv, log_kv_ufunc, _scipy_log_kv)):
        fo(v[:1000], x[:1000])
        fr(v[:10], x[:10])
        ratios = []
        for code, region in [(None, "mix")] + list(enumerate(REGIONS)):
            m = slice(None) if code is None else reg == code
            t = _medians((fo, fr, fp), v[m], x[m], repeat)
            if code is not None:
                ratios.append(t[2] / t[0])
            print(f"| {name} | {region} | {v[m].size} | {t[0]*1e3:.1f} | {t[1]*1e3:.1f} | "
                  f"{t[2]*1e3:.1f} | {t[2]/t[0]:.2f} | {t[2]/t[1]:.2f} |")
        print(f"| {name} | median over regions | | | | | {np.median(ratios):.2f} | |")
    vr = v + 0.5
    iv_ratio(vr[:10], x[:10])
    t = _medians((iv_ratio, iv_ratio_ufunc, _scipy_ratio), vr, x, repeat)
    print(f"| iv_ratio | mix | {n} | {t[0]*1e3:.1f} | {t[1]*1e3:.1f} | {t[2]*1e3:.1f} | "
          f"{t[2]/t[0]:.2f} | {t[2]/t[1]:.2f} |")
    # float32 inputs (ours: read as float32, computed in float64; SciPy's float32 loops)
    x32 = x.astype(np.float32)
    for name, fo, fr, fp, vv in (("log_iv", log_iv, log_iv_ufunc, _scipy_log_iv, v),
                                 ("log_kv", log_kv, log_kv_ufunc, _scipy_log_kv, v),
                                 ("iv_ratio", iv_ratio, iv_ratio_ufunc, _scipy_ratio, vr)):
        v32 = vv.astype(np.float32)
        fo(v32[:1000], x32[:1000])
        t = _medians((fo, fr, fp), v32, x32, repeat)
        print(f"| {name} | mix, float32 | {n} | {t[0]*1e3:.1f} | {t[1]*1e3:.1f} | "
              f"{t[2]*1e3:.1f} | {t[2]/t[0]:.2f} | {t[2]/t[1]:.2f} |")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
