"""The prepared GPU check (benchmarks/gpu_check.py) runs on the CPU: its --cpu-dry-run."""

import importlib.util
import json
import math
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "gpu_check.py"
BENCHMARK_NAMES = ["log_iv(v, x)", "log_kv(v, x)", "iv_ratio(v, x)", "multigrid 2-D Poisson",
                   "multigrid 3-D Poisson", "GP PDE solve", "vMF fit", "GNS wide logistic"]


def _load():
    spec = importlib.util.spec_from_file_location("gpu_check", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _make_wheel(folder):
    """A minimal pure-Python wheel, to exercise --wheels offline."""
    name = "gpu_check_probe-0.1-py3-none-any.whl"
    info = "gpu_check_probe-0.1.dist-info"
    with zipfile.ZipFile(folder / name, "w") as z:
        z.writestr("gpu_check_probe.py", "VALUE = 19\n")
        z.writestr(f"{info}/METADATA",
                   "Metadata-Version: 2.1\nName: gpu-check-probe\nVersion: 0.1\n")
        z.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\n"
                                    "Root-Is-Purelib: true\nTag: py3-none-any\n")
        z.writestr(f"{info}/RECORD", "")
    return name


def _table_rows(text, header_start):
    """Data rows (lists of cells) of the markdown table whose header begins with header_start."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header_start))
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.replace("\\|", "/").strip("|").split("|")]
        rows.append(cells)
    return rows


def _number(cell):
    return float(cell.split()[0].rstrip("x"))


@pytest.mark.slow
def test_cpu_dry_run_writes_full_report(tmp_path):
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    wheel = _make_wheel(wheels)
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), str(out), "--cpu-dry-run", "--quick",
         "--tests", "tests/test_array_api.py", "--wheels", str(wheels), "--time-budget", "300"],
        cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = (out / "gpu_report.md").read_text()
    for section in ("# GPU check", "## Device and versions", "## Tests", "## Benchmarks",
                    "### Against cupyx.scipy.special", "## Goals"):
        assert section in text
    assert wheel in text
    assert "numpy" in text and "numba" in text and "scipy" in text

    # tests: the subset ran, per-file counts, CuPy cases skipped without a GPU
    files = _table_rows(text, "| test file |")
    assert [r[0] for r in files] == ["tests/test_array_api.py"]
    passed, failed, errors, skipped = map(int, files[0][1:])
    assert passed > 0 and failed == 0 and errors == 0 and skipped > 0

    # one row per benchmark, each with finite numbers
    rows = _table_rows(text, "| benchmark |")
    assert len(rows) == len(BENCHMARK_NAMES)
    for name, r in zip(BENCHMARK_NAMES, rows):
        assert r[0].startswith(name), (name, r)
        gpu_s, cpu_s, speedup, diff = (_number(c) for c in r[2:6])
        assert all(math.isfinite(v) and v >= 0 for v in (gpu_s, cpu_s, speedup, diff)), r
        assert gpu_s > 0 and cpu_s > 0
        assert r[6] == "yes", r  # NumPy against NumPy: within tolerance
    peers = _table_rows(text, "| ours | peer |")
    assert len(peers) == 3
    for r in peers:
        assert all(math.isfinite(_number(c)) for c in r[3:7]), r

    results = json.loads((out / "gpu_results.json").read_text())
    assert results["dry_run"] is True
    assert [b["status"] for b in results["benchmarks"]] == ["ok"] * len(BENCHMARK_NAMES)
    assert (out / "junit.xml").exists() and (out / "pytest.log").exists()


def test_time_budget_skips_and_errors_are_reported(tmp_path, monkeypatch):
    gc = _load()

    def broken(ctx):
        raise RuntimeError("boom")

    monkeypatch.setattr(gc, "BENCHMARKS", [("broken", broken), ("later", broken)])
    ctx = gc.Context(None, None, gc.SIZES["dry_quick"], gc.Clock(1000.0), True)

    class _Nop:
        def free_all(self):
            pass

    ctx.gpu = _Nop()
    rows = gc.run_benchmarks(ctx, None, 1.0)
    assert [r["status"] for r in rows] == ["error", "error"]
    assert "boom" in rows[0]["error"]
    ctx.clock = gc.Clock(0.0)
    rows = gc.run_benchmarks(ctx, None, 1.0)
    assert [r["status"] for r in rows] == ["skipped", "skipped"]
    goals = gc.evaluate_goals(None, rows, [], True)
    assert goals[0][1] is None and goals[1][1] is False and goals[2][1] is False


def test_parse_junit_counts_cupy_cases(tmp_path):
    gc = _load()
    xml = tmp_path / "j.xml"
    xml.write_text(
        '<testsuites><testsuite>'
        '<testcase file="tests/a.py" classname="tests.a" name="test_x[numpy]"/>'
        '<testcase file="tests/a.py" classname="tests.a" name="test_x[cupy]">'
        '<failure message="AssertionError: bad">trace</failure></testcase>'
        '<testcase file="tests/a.py" classname="tests.a" name="test_y[cupy-float32]">'
        '<skipped message="no GPU"/></testcase>'
        '<testcase file="tests/b.py" classname="tests.b" name="test_cupyish[numpy]"/>'
        '<testcase classname="tests.c" name="test_z"><error message="E"/></testcase>'
        '</testsuite></testsuites>')
    res = gc.parse_junit(xml)
    assert res["files"]["tests/a.py"] == dict(passed=1, failed=1, error=0, skipped=1)
    assert res["files"]["tests/b.py"]["passed"] == 1
    assert res["files"]["tests/c.py"]["error"] == 1
    assert res["cupy"] == dict(passed=0, failed=1, error=0, skipped=1)
    assert any("test_x[cupy]" in f and "bad" in f for f in res["failures"])


def test_helpers():
    gc = _load()

    def f(a, *, maxiter=1, rng=None, max_time=None):
        return maxiter, rng, max_time

    def g(a, *, max_iter=1, random_state=None, time_limit=None):
        return max_iter, random_state, time_limit

    for fn in (f, g):
        assert gc.call(fn, 0, maxiter=5, rng=7, max_time=2.0) == (5, 7, 2.0)
        assert gc.call(fn, 0, max_iter=5, random_state=7, time_limit=2.0) == (5, 7, 2.0)
    import numpy as np

    a = np.array([1.0, np.inf, np.nan, 0.0])
    assert gc.max_rel_diff(a, a.copy()) == 0.0
    assert gc.max_rel_diff([1.0 + 1e-15], [1.0]) == pytest.approx(1e-15, rel=0.2)
    assert gc.max_rel_diff([1e-3 + 1e-16], [1e-3], floor=1.0) == pytest.approx(1e-16, rel=0.2)
    assert gc.max_rel_diff([np.nan], [1.0]) == math.inf
    assert gc.normwise_rel_diff([2.0, 1.0], [2.0, 1.0 + 2e-12]) == pytest.approx(1e-12, rel=1e-3)
    assert gc.cell("a|b\nc") == "a\\|b c"
