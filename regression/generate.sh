#!/usr/bin/env bash
# Regenerates the regression reference files regression/*.h5 from the independent PyTorch
# reference (regression/reference/). Needs Debian's python3-torch, python3-h5py and python3-numpy:
#   apt-get install -y python3-torch python3-h5py python3-numpy
# The default test run does NOT need this: the C++ tests read the committed .h5 files.
# Usage: regression/generate.sh [--only mlp gpt_tiny gpt_policy gpt_shakespeare constraints newton_schulz]
# Review the diff of the regenerated files (h5diff, docs/REGRESSION.md) like code.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python=${PYTHON:-/usr/bin/python3}
if ! "$python" -c "import torch, h5py, numpy" 2>/dev/null; then
  echo "generate.sh: $python cannot import torch, h5py and numpy" >&2
  echo "HINT: apt-get install -y python3-torch python3-h5py python3-numpy (or set PYTHON=...)" >&2
  exit 1
fi
exec "$python" "$here/reference/generate_references.py" --out "$here" "$@"
