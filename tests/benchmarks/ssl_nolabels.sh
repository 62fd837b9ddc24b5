#!/usr/bin/env bash
# "No labels anywhere" (issue 15): a self-supervised encoder learned by `labelscope pretrain` from
# the 60,000 Fashion-MNIST training images (no labels read), then the 60,000 analysed on its
# embeddings with 20% symmetric and 20% asymmetric injected noise (--method embedding), and the
# from-scratch `--method all` on the same data for comparison (set SCRATCH=1; ~10 min each on an
# idle 2-core machine). Usage: tests/benchmarks/ssl_nolabels.sh OUT_DIR [PRETRAIN_EPOCHS]
set -euo pipefail
out=${1:?usage: ssl_nolabels.sh OUT_DIR [PRETRAIN_EPOCHS]}
epochs=${2:-8}
bin=${LABELSCOPE:-$(dirname "$0")/../../build/app/labelscope}
mkdir -p "$out"
encoder="$out/fm_simclr.pt"
if [ ! -f "$encoder" ]; then
  /usr/bin/time -f "wall_s=%e peak_rss_kb=%M" "$bin" pretrain --data fashion-mnist --split train \
    --out "$encoder" --epochs "$epochs" --threads 1 --json > "$out/pretrain.json"
fi
for kind in symmetric asymmetric; do
  rm -f "$out/emb_$kind.lsproj"
  /usr/bin/time -f "wall_s=%e peak_rss_kb=%M" "$bin" analyze --data fashion-mnist --project "$out/emb_$kind.lsproj" \
    --inject-noise 0.2 --noise-kind "$kind" --seed 1 --backbone "$encoder" --no-layouts --no-health --json \
    > "$out/emb_$kind.json"
  if [ "${SCRATCH:-0}" = 1 ]; then
    rm -f "$out/scratch_$kind.lsproj"
    /usr/bin/time -f "wall_s=%e peak_rss_kb=%M" "$bin" analyze --data fashion-mnist --project "$out/scratch_$kind.lsproj" \
      --inject-noise 0.2 --noise-kind "$kind" --seed 1 --method all --no-layouts --no-health --json \
      > "$out/scratch_$kind.json"
  fi
done
