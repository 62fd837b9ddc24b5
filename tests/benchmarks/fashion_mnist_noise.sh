#!/usr/bin/env bash
# Benchmark: the full 60,000-image Fashion-MNIST train split with injected label noise, on this
# machine's CPU. Prints wall time, peak memory (RSS) and the detection figures of each case.
# Usage: tests/benchmarks/fashion_mnist_noise.sh [BUILD_DIR] [CASE...]
#   CASE is KIND:RATE, default: symmetric:0.2 symmetric:0.4 asymmetric:0.2
#   ANALYZE_ARGS (environment) is added to each analyze command, e.g.
#   ANALYZE_ARGS="--method data-parameters --model medium_cnn" (default: none, i.e. --method all).
# Figures go in tests/benchmarks/RESULTS.md by hand, with this command.
set -euo pipefail
build=${1:-build}
shift || true
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(symmetric:0.2 symmetric:0.4 asymmetric:0.2)
out=$(mktemp -d)
for c in "${cases[@]}"; do
  kind=${c%%:*}
  rate=${c##*:}
  project="$out/fmnist-$kind-$rate.lsproj"
  /usr/bin/time -f "wall_s=%e peak_rss_kb=%M" -o "$out/time.txt" \
    "$build/app/labelscope" analyze --data fashion-mnist --project "$project" \
      --inject-noise "$rate" --noise-kind "$kind" --seed 1 ${ANALYZE_ARGS:-} --json >"$out/result.json" 2>"$out/log.txt"
  echo "== $kind $rate: $(cat "$out/time.txt")"
  tail -n 1 "$out/result.json"
  # Debian's python3 with python3-numpy (apt-get install python3-numpy) compares the signals.
  if /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
    /usr/bin/python3 "$(dirname "$0")/signals.py" "$project"
  fi
done
echo "projects kept in $out"
