#!/bin/sh
# Active-learning benchmark: Fashion-MNIST, labels held back by the oracle, test accuracy on the
# 10,000 test images against labels used, the configured strategy beside random sampling on the
# same seeds. Figures go into tests/benchmarks/RESULTS.md ("Active learning").
#   tests/benchmarks/al_fashion.sh [SEEDS] [OUTDIR] [extra al-simulate options]
# AL_CONFIG=FILE picks the config (default al_fashion_medium.yaml, the best measured).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
seeds=${1:-3}
out=${2:-$root/build/al_fashion}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] && shift
uptime
"$root/build/app/labelscope" al-simulate --data fashion-mnist --config "${AL_CONFIG:-$here/al_fashion_medium.yaml}" \
    --seeds "$seeds" --compare --out "$out" "$@"
uptime
python3 - "$out/curves.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
for s in doc["summary"]:
    print(f'{s["strategy"]}/{s["diversity_sampling"]}:')
    for p in s["mean_curve"]:
        print(f'  {p["labels"]:6.0f} labels  mean test accuracy {p["mean_test_accuracy"]:.4f}  ({p["seeds"]} seeds)')
PY
