#!/usr/bin/env bash
# The main job: install, build, analyse Fashion-MNIST with 20% injected label noise. With a
# display the review window opens at once and runs the analysis itself (`analyze --open`:
# progress and Cancel in its status bar, the samples shown as soon as they are imported, the
# verdicts when the run is saved); without one the analysis runs headless and the script says how
# to open the project afterwards.
# Usage: scripts/demo.sh [extra 'labelscope analyze' options, e.g. --limit 10000]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build
project=${LABELSCOPE_PROJECT:-fashion-mnist-demo.lsproj}
rm -f "$project" "$project-wal" "$project-shm"
analyze=(build/app/labelscope analyze --data fashion-mnist --project "$project"
         --inject-noise 0.2 --noise-kind symmetric --seed 1 "$@")
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  exec "${analyze[@]}" --open
fi
"${analyze[@]}"
echo "No display here. Open the review window with:  build/app/labelscope open $project" >&2
echo "or, on this machine, under a virtual display:    xvfb-run -a build/app/labelscope open $project" >&2
