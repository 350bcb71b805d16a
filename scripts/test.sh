#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a green test suite:
# set-up (packages, Kokkos), build, then the whole default ctest suite.
#   scripts/test.sh [extra ctest arguments]   (long tests: LIP_CMAKE_ARGS=-DLIP_LONG_TESTS=ON)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/env.sh"
bash "$here/setup.sh"
lip_select_openblas_core   # OpenBLAS is installed now
bash "$here/build.sh" Release
cd "$LIP_BUILD_DIR"
ctest --output-on-failure -j 2 "$@"
