#!/usr/bin/env bash
# Installs what Labelscope needs on Debian 12, all from Debian's archive (runs apt-get update
# first when something is missing). Used by setup.sh and .ci/run. PostgreSQL and Qt's QPSQL
# driver: shared projects (issue 18); the tests start a throwaway cluster of their own
# (scripts/pg-test-cluster.sh), not the one the package sets up.
# Usage: scripts/setup-deps.sh [fuzz|ci]   (fuzz: also clang with libFuzzer, for tests/fuzz;
#        ci: also ccache, which .ci/run uses to compile core once for its two builds)
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config zlib1g-dev
  qt6-base-dev qt6-charts-dev libqt6opengl6-dev libxkbcommon-dev libqt6sql6-sqlite
  libtorch-dev libfaiss-dev libopencv-dev libopenblas0-openmp
  libfftw3-dev libyaml-cpp-dev libheif-dev
  dataset-fashion-mnist xvfb xauth
  postgresql libqt6sql6-psql openssl
)
if [ "${1:-}" = fuzz ]; then
  # clang 14 with libFuzzer and the sanitizer runtimes; LLVM's OpenMP for find_package(OpenMP).
  packages+=(clang libclang-rt-14-dev libomp-14-dev)
fi
if [ "${1:-}" = ci ]; then
  packages+=(ccache)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "Installing: ${missing[*]}" >&2
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
fi

# LibTorch uses whatever libblas.so.3 points at; the reference BLAS is ~35x slower than OpenBLAS.
if ! readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 | grep -q openblas; then
  echo "warning: libblas.so.3 is not OpenBLAS; training will be slow (see update-alternatives --config libblas.so.3-x86_64-linux-gnu)" >&2
fi

