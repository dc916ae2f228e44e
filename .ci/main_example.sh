#!/usr/bin/env bash
# Runs the README's main example in the folder given as $1 (CI smoke test).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUTDIR="${1:-.}"
cd "$OUTDIR"
python "$ROOT/examples/poisson_2d.py"
test -s poisson_2d.png
python "$ROOT/examples/kronecker_sylvester.py" --n 200 --out kronecker_sylvester.png
test -s kronecker_sylvester.png
