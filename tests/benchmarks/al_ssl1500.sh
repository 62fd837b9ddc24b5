#!/usr/bin/env bash
# Active learning with a self-supervised encoder (issue 15 target: >= 90% test accuracy with
# <= 1,500 labels): al_fashion_medium.yaml cut to 500 stratified cold-start labels + 2 rounds of
# 500 margin picks, run from scratch (medium_cnn) and fine-tuned from ENCODER (an encoder from
# `labelscope pretrain`, trained on the training images without labels; the fine-tuned runs take
# its network, whichever --model made it), each optionally with FixMatch's consistency loss
# (FIXMATCH=1: lambda 1, mu 3, tau .95, >= 1,000 steps a round). One thread a run; RUNS runs
# side by side (default 2).
# Usage: tests/benchmarks/al_ssl1500.sh ENCODER.pt OUT_DIR [SEEDS...]   (default seeds: 1 2 3)
# VARIANTS="finetuned" runs only that column (default: "scratch finetuned"); FT_LR_SCALE sets
# train.fine_tune_lr_scale (default 0.1).
# Prints: variant seed test accuracy at 500 / 1,000 / 1,500 labels.
set -euo pipefail
encoder=$(realpath "${1:?usage: al_ssl1500.sh ENCODER.pt OUT_DIR [SEEDS...]}")
out=${2:?usage: al_ssl1500.sh ENCODER.pt OUT_DIR [SEEDS...]}
shift 2
seeds=("$@")
[ ${#seeds[@]} -gt 0 ] || seeds=(1 2 3)
here=$(cd "$(dirname "$0")" && pwd)
bin=${LABELSCOPE:-$here/../../build/app/labelscope}
mkdir -p "$out"
base=$(sed -e 's/^  iterations: 4$/  iterations: 2/' "$here/al_fashion_medium.yaml")
grep -q '^  iterations: 2$' <<<"$base" || { echo "al_fashion_medium.yaml has changed: no 'iterations: 4'" >&2; exit 1; }
if [ "${FIXMATCH:-0}" = 1 ]; then # the train section's keys go after its min_steps
  base=$(sed -e 's/^  min_steps: 200$/  min_steps: 1000\n  consistency_weight: 1.0\n  unlabelled_ratio: 3\n  consistency_threshold: 0.95/' <<<"$base")
fi
printf '%s\n' "$base" > "$out/scratch.yaml"
# Fine-tuned: the encoder's network and weights; its layers learn at FT_LR_SCALE x lr.
sed -e "s|^  device: cpu$|  device: cpu\n  backbone: $encoder\n  fine_tune: True|" \
    -e 's/^  model: medium_cnn$/  model: auto/' -e "s/^  min_steps: \(.*\)$/  min_steps: \1\n  fine_tune_lr_scale: ${FT_LR_SCALE:-0.1}/" \
    "$out/scratch.yaml" > "$out/finetuned.yaml"
read -ra variants <<<"${VARIANTS:-scratch finetuned}"
for variant in "${variants[@]}"; do
  [ -f "$out/$variant.yaml" ] || { echo "VARIANTS: '$variant' is not scratch or finetuned" >&2; exit 1; }
done
jobs=()
for seed in "${seeds[@]}"; do
  for variant in "${variants[@]}"; do
    "$bin" al-simulate --data fashion-mnist --config "$out/$variant.yaml" --seeds 1 --seed "$seed" --threads 1 \
      --out "$out/$variant-s$seed" --json > "$out/$variant-s$seed.json" 2> "$out/$variant-s$seed.err" &
    jobs+=($!)
    while [ "$(jobs -rp | wc -l)" -ge "${RUNS:-2}" ]; do sleep 5; done
  done
done
for job in "${jobs[@]}"; do
  wait "$job" || { echo "a run failed (exit $?): see $out/*.err" >&2; exit 1; }
done
python3 - "$out" "${variants[*]}" "${seeds[@]}" <<'PY'
import json, sys
out, variants, seeds = sys.argv[1], sys.argv[2].split(), sys.argv[3:]
for variant in variants:
    for seed in seeds:
        d = json.load(open(f"{out}/{variant}-s{seed}/curves.json"))
        rounds = d["curves"][0]["rounds"]
        print(variant, seed, " ".join(f"{r['labels']}:{r['test_accuracy']:.4f}" for r in rounds))
PY
