#!/bin/sh
# t-SNE of Fashion-MNIST (pixels -> PCA 100) with `labelscope tsne`, 60,000 rows timed, then a
# 10,000-row head-to-head with scikit-learn's TSNE (Debian python3-sklearn). Figures go to
# stdout; see tests/benchmarks/RESULTS.md.
#   tests/benchmarks/tsne_fashion.sh [BUILD_DIR] [extra tsne_fashion.py options]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
[ $# -gt 0 ] && shift
if ! /usr/bin/python3 -c 'import sklearn' 2>/dev/null; then
  echo "needs python3-sklearn: sudo apt-get install python3-sklearn" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
uptime
/usr/bin/python3 "$here/tsne_fashion.py" "$build/app/labelscope" "$work" "$@"
