#!/usr/bin/env bash
# Benchmark: runs every libFuzzer target of tests/fuzz (ASan + UBSan) for SECONDS each, two at a
# time (FUZZ_JOBS), under nice, and prints per target: executions, corpus size, crashes.
# Usage: tests/benchmarks/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#   default 60 s; TARGET is idx, npy, labelfiles, manifest, imageheader or alconfig (default: all).
#   FUZZ_BUILD (default build-fuzz) is the build folder, FUZZ_OUT (default FUZZ_BUILD/run) keeps
#   each target's grown corpus (corpus/<target>), log (<target>.log) and crash inputs
#   (crashes/<target>/); a later run goes on from the grown corpus. Installs clang first
#   (scripts/setup-deps.sh fuzz). Figures go in tests/benchmarks/RESULTS.md by hand.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(idx npy labelfiles manifest imageheader alconfig)
build=${FUZZ_BUILD:-build-fuzz}
out=${FUZZ_OUT:-$build/run}
jobs=${FUZZ_JOBS:-2}

scripts/setup-deps.sh fuzz
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLABELSCOPE_FUZZ=ON \
  -DLABELSCOPE_BUILD_UI=OFF -DLABELSCOPE_BUILD_TESTS=OFF "${launcher[@]}" >/dev/null
nice cmake --build "$build" --target "${targets[@]/#/fuzz_}" -j"$(nproc)"

# Sanitizer options: see tests/fuzz/README.md. Leak checking stays on (libFuzzer's default).
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
run_one() {
  local t=$1
  mkdir -p "$out/corpus/$t" "$out/crashes/$t"
  # -timeout: an input running over 10 s is a hang; -malloc_limit_mb: one allocation over 1 GB
  # is a finding (the readers must bound what they allocate by the bytes present).
  nice "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -malloc_limit_mb=1024 -dict="tests/fuzz/dict/$t.dict" -print_final_stats=1 \
    -artifact_prefix="$out/crashes/$t/" "$out/corpus/$t" "tests/fuzz/corpus/$t" >"$out/$t.log" 2>&1 || true
}
start=$(date -u +%FT%TZ)
running=0
for t in "${targets[@]}"; do
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait
echo "fuzz.sh $seconds s per target, $jobs at a time, from $start to $(date -u +%FT%TZ)"
# crashes: crash-, leak-, timeout- and oom- inputs of this run's log ("Test unit written to");
# slow: inputs over libFuzzer's -report_slow_units (10 s), which are not failures.
printf '%-12s %12s %10s %8s %8s %6s\n' target executions exec/s corpus crashes slow
for t in "${targets[@]}"; do
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$t.log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$out/$t.log" | tail -n 1)
  corpus=$(find "$out/corpus/$t" -type f | wc -l)
  units=$(sed -n 's/.*Test unit written to //p' "$out/$t.log")
  crashes=0 slow=0
  if [ -n "$units" ]; then
    crashes=$(grep -cv '/slow-unit-' <<<"$units" || true)
    slow=$(grep -c '/slow-unit-' <<<"$units" || true)
  fi
  printf '%-12s %12s %10s %8s %8s %6s\n' "$t" "${execs:-?}" "${rate:-?}" "$corpus" "$crashes" "$slow"
  [ -z "$units" ] || sed 's/^/    /' <<<"$units"
done
