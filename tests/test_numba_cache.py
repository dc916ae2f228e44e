"""Import and first call work when Numba cannot cache where it looks first (issue 20)."""

import os
import shutil
import subprocess
import sys

import pytest

SCRIPT = """
import sys, warnings
sys.path.insert(0, {root!r})
warnings.simplefilter("always")
with warnings.catch_warnings(record=True) as caught:
    import solvers
    from solvers.special import log_iv
    import solvers.stats, solvers.multigrid
    value = float(log_iv(1.0, 2.0))
assert solvers.__file__.startswith({root!r}), solvers.__file__
names = [w.category.__name__ for w in caught if "Numba" in w.category.__name__]
print(value, names)
"""
EXPECTED = "0.4641344735461596"


def _run(root, env, prefix=()):
    env = dict(os.environ, **env)
    out = subprocess.run([*prefix, sys.executable, "-c", SCRIPT.format(root=root)], env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.strip()


def _copy_package(tmp_path):
    import solvers

    root = tmp_path / "ro"
    shutil.copytree(os.path.dirname(solvers.__file__), root / "solvers",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (root / "home").mkdir()
    return root


def test_unwritable_numba_cache_dir_falls_back_and_warns_once(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = _run(root, {"NUMBA_CACHE_DIR": str(blocker / "cache")})
    assert out == f"{EXPECTED} ['NumbaCacheWarning']"


def test_writable_cache_gives_no_warning():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    assert _run(root, {}) == f"{EXPECTED} []"


@pytest.mark.skipif(not sys.platform.startswith("linux") or os.geteuid() != 0
                    or shutil.which("unshare") is None,
                    reason="needs root and unshare for a read-only bind mount")
def test_read_only_package_without_user_cache(tmp_path):
    root = _copy_package(tmp_path)
    mount = (f"mount --bind {root} {root} && mount -o remount,ro,bind {root} && exec \"$0\" "
             "\"$@\"")
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    if probe.returncode:
        pytest.skip("unshare -m not permitted here")
    out = _run(str(root), {"HOME": str(root / "home"), "XDG_CACHE_HOME": str(root / "home")},
               prefix=("unshare", "-m", "sh", "-c", mount))
    assert out == f"{EXPECTED} ['NumbaCacheWarning']"
