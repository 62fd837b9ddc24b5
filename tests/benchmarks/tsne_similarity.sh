#!/bin/sh
# "Find similar" on 1,000,000 x 128 float32 embeddings (a mixture of 1,000 Gaussian clusters,
# numpy, seed 0): build time and per-query time of `labelscope similar` (IVF above 100,000 rows),
# and recall@10 of the IVF index against exact search on 20 of the rows. See RESULTS.md.
#   tests/benchmarks/tsne_similarity.sh [BUILD_DIR] [ROWS]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
rows=${2:-1000000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 - "$work/x.npy" "$rows" <<'PY'
import sys, numpy as np
rng = np.random.default_rng(0)
n = int(sys.argv[2]); c = rng.normal(0, 3, (1000, 128)).astype(np.float32)
x = c[rng.integers(0, 1000, n)] + rng.normal(0, 1, (n, 128)).astype(np.float32)
np.save(sys.argv[1], x)
PY
uptime
"$build/app/labelscope" similar --input "$work/x.npy" --queries 200 --k 10
uptime
