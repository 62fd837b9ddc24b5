#!/usr/bin/env bash
# The main job: install, build, analyse Fashion-MNIST with 20% injected label noise in the
# background worker, then open the review window (or say how to open it without a display).
# Usage: scripts/demo.sh [extra 'labelscope analyze' options, e.g. --limit 10000]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build
project=${LABELSCOPE_PROJECT:-fashion-mnist-demo.lsproj}
rm -f "$project" "$project-wal" "$project-shm"
build/app/labelscope analyze --data fashion-mnist --project "$project" \
  --inject-noise 0.2 --noise-kind symmetric --seed 1 "$@"
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  exec build/app/labelscope open "$project"
else
  echo "No display here. Open the review window with:  build/app/labelscope open $project" >&2
  echo "or, on this machine, under a virtual display:    xvfb-run -a build/app/labelscope open $project" >&2
fi
