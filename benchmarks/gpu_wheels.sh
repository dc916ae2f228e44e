#!/usr/bin/env bash
# Download, as wheels, the dependencies that the GPU machine may lack (it has no package index):
# array-api-compat (needed by the package), array-api-strict (a test backend) and pyamg (one
# multigrid test; skipped without it). NumPy, SciPy, Numba, CuPy and pytest come from the machine.
#
# Run here, on a machine with PyPI, in the repository root or anywhere in it:
#     bash benchmarks/gpu_wheels.sh [DEST]        # DEST defaults to .whl (git-ignored by this script)
# then, on the GPU machine (the device tool: carry [".whl"]):
#     PYTHONUNBUFFERED=1 python3 benchmarks/gpu_check.py "$OUT" --wheels .whl
#
# Versions: those installed in the current environment where present (so the GPU run tests what
# was tested here), else the newest. GPU_PYTHON_VERSION (default 3.12) is the GPU machine's Python.
set -euo pipefail
cd "$(dirname "$0")/.."
DEST="${1:-.whl}"
PYV="${GPU_PYTHON_VERSION:-3.12}"
PY="${PYTHON:-python3}"
mkdir -p "$DEST"

# keep the wheel folder out of git; it travels to the GPU machine as a carried path
if exclude="$(git rev-parse --git-path info/exclude 2>/dev/null)"; then
    mkdir -p "$(dirname "$exclude")"
    grep -qxF "/${DEST#./}/" "$exclude" 2>/dev/null || echo "/${DEST#./}/" >>"$exclude"
fi

spec() {  # NAME -> NAME==VERSION when installed here, else NAME
    local v
    v="$("$PY" -c "import importlib.metadata as m; print(m.version('$1'))" 2>/dev/null || true)"
    if [ -n "$v" ]; then echo "$1==$v"; else echo "$1"; fi
}

platforms=()
for p in manylinux_2_28_x86_64 manylinux_2_27_x86_64 manylinux_2_24_x86_64 \
         manylinux_2_17_x86_64 manylinux2014_x86_64 manylinux1_x86_64; do
    platforms+=(--platform "$p")
done
download() {
    "$PY" -m pip download -q --no-deps --only-binary=:all: --python-version "$PYV" \
        --implementation cp "${platforms[@]}" -d "$DEST" "$@"
}

# required: the package imports array_api_compat; the test suite imports array_api_strict
download "$(spec array-api-compat)" "$(spec array-api-strict)"
# optional (compiled): pyamg for the test that compares against it
download "$(spec pyamg)" || echo "gpu_wheels.sh: no pyamg wheel for Python $PYV (its test is skipped)" >&2

ls -l "$DEST"
du -sh "$DEST"
