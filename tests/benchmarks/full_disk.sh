#!/usr/bin/env bash
# Full disk (issue 14): every `labelscope` command that writes something, run so that its write
# fails. Each must exit non-zero with a named error ("labelscope COMMAND: ..." naming the file;
# the project store saying the disk is full, not "not a Labelscope project"), leave no 0-byte or
# partial output file, and leave every project intact (PRAGMA integrity_check = ok once space is
# back, and its samples, runs and active-learning rounds unchanged).
#
#   tests/benchmarks/full_disk.sh [BINARY]         (default build/app/labelscope)
#
# As root the "disk" is a 512 KiB tmpfs mounted for the run, filled with a filler file to leave 0
# or a few KiB; without the right to mount, `ulimit -f` (SIGXFSZ ignored, so writes fail with
# EFBIG) stands in for it (DISK_MODE=ulimit forces it), and the script says so. CASE_TIMEOUT=120
# seconds a case; KEEP=1 keeps the work folder. Exit 1 when any case fails.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(realpath "${1:-build/app/labelscope}")
[[ -x $BIN ]] || { echo "full_disk.sh: $BIN: not an executable" >&2; exit 2; }
T=${CASE_TIMEOUT:-120}
WORK=$(mktemp -d /tmp/full-disk.XXXXXX)
FIX=$WORK/fix D=$WORK/disk MODE=tmpfs
N=0 FAILED=0
FAILS=()

cleanup() {
    mountpoint -q "$D" 2>/dev/null && umount "$D"
    [[ ${KEEP:-0} == 1 ]] && echo "work folder kept: $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT

# ------------------------------------------------------------------ the disk
mount_disk() {
    mkdir -p "$D"
    if [[ ${DISK_MODE:-tmpfs} == tmpfs ]] && mount -t tmpfs -o size=512k tmpfs "$D" 2>/dev/null; then
        MODE=tmpfs
    else
        MODE='ulimit'
        echo "note: cannot mount a tmpfs; the full disk is simulated with ulimit -f (writes fail with EFBIG)" >&2
    fi
}

# fill_disk KIB: leave about KIB KiB free (tmpfs), or set the file size limit (ulimit mode).
LIMIT_KB=unlimited
fill_disk() {
    rm -f "$D/.filler"
    if [[ $MODE == tmpfs ]]; then
        local avail
        avail=$(df --output=avail -k "$D" | tail -1)
        if (($1 == 0)); then
            dd if=/dev/zero of="$D/.filler" bs=4k 2>/dev/null
        elif ((avail > $1)); then
            dd if=/dev/zero of="$D/.filler" bs=1k count=$((avail - $1)) 2>/dev/null
        fi
    else
        LIMIT_KB=$1 # per file: a smaller output still fits
    fi
    sync
}
free_disk() { rm -f "$D/.filler"; LIMIT_KB=unlimited; }

# ------------------------------------------------------------------ one case
# disk_case NAME NEEDLE KIND KIB ARGS... : fills the disk to leave KIB KiB, runs ARGS. KIND: file
# (the output file must not exist afterwards), dir:PATH (no file may appear under PATH),
# project:PATH (must stay intact and unchanged, or not be created).
disk_case() {
    local name=$1 needle=$2 kind=$3 left=$4
    shift 4
    N=$((N + 1))
    local log=$WORK/logs/$N
    mkdir -p "$WORK/logs"
    local before t0 t1 rc secs why=() counts=''
    before=$(cd "$D" && find . -path ./.filler -prune -o -print | sort)
    [[ $kind == project:* && -e ${kind#project:} ]] && counts=$(project_counts "${kind#project:}")
    fill_disk "$left"
    t0=$(date +%s.%N)
    # stderr through a pipe: a log file would fall under the ulimit -f of the fallback too
    (cd "$WORK" && ulimit -f "$LIMIT_KB" && trap '' XFSZ && exec timeout -k 5 "$T" "$BIN" "$@" \
        </dev/null 2>&1 >/dev/null) | cat >"$log.err"
    rc=${PIPESTATUS[0]}
    t1=$(date +%s.%N)
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
    free_disk
    local after new
    after=$(cd "$D" && find . -path ./.filler -prune -o -print | sort)
    new=$(comm -13 <(echo "$before") <(echo "$after") | grep -v -- '-wal$\|-shm$' | tr '\n' ' ')
    if [[ $rc == 124 || $rc == 137 ]]; then
        why+=("hang")
    elif ((rc > 128 && rc != 130)) || grep -aqE 'terminate called|Segmentation fault|Aborted|frame #[0-9]' "$log.err"; then
        why+=("crash")
    elif [[ $rc == 0 ]]; then
        why+=("exit 0")
    fi
    grep -aE '^labelscope( [a-z-]+)?: ' "$log.err" | grep -aqF -- "$needle" || why+=("no named error naming $needle")
    case $kind in
    file) [[ -z $new ]] || why+=("left: $new") ;;
    dir:*) [[ -z $(find "${kind#dir:}" -type f 2>/dev/null) ]] || why+=("left: $(cd "$D" && find . -type f ! -name .filler | tr '\n' ' ')") ;;
    project:*)
        local p=${kind#project:} now
        grep -aqF 'not a Labelscope project' "$log.err" && why+=("says 'not a Labelscope project'")
        [[ $MODE == tmpfs ]] && ! grep -aqiE 'full|no space' "$log.err" && why+=("does not say the disk is full")
        if [[ -e $p ]]; then
            now=$(project_counts "$p")
            [[ $(integrity "$p") == ok ]] || why+=("integrity_check: $(integrity "$p")")
            [[ -z $counts || $now == "$counts" ]] || why+=("project changed: $counts -> $now")
            [[ -s $p ]] || why+=("0-byte project")
        fi
        [[ -z $counts ]] && [[ -e $p ]] && why+=("left a new project ($(stat -c %s "$p") bytes, $(project_counts "$p"))")
        ;;
    esac
    local verdict=ok
    ((${#why[@]})) && verdict="FAIL (${why[*]})" && FAILED=$((FAILED + 1))
    printf '%-58s %4s %6s  %s\n' "${name:0:58}" "$rc" "$secs" "$verdict"
    # The error as the user sees it, the work folder shortened: the table of RESULTS.md.
    printf '    | %s\n' "$(grep -aE '^labelscope( [a-z-]+)?: ' "$log.err" | head -1 | sed "s#$WORK#WORK#g" | cut -c1-220)"
    if [[ $verdict != ok ]]; then
        FAILS+=("$name: $verdict
    $(printf '%q ' labelscope "$@")
$(grep -av '^\[' "$log.err" | head -4 | cut -c1-300 | sed 's/^/    | /')")
    fi
    [[ $kind == dir:* ]] && rm -rf "${kind#dir:}"
    rm -rf "$D"/out*
}

integrity() {
    python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("PRAGMA integrity_check").fetchone()[0])' "$1" 2>&1 | tail -1
}
project_counts() { # samples / runs / rounds / meta rows, or the error
    python3 - "$1" <<'EOF' 2>&1 | tail -1
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print('/'.join(str(db.execute(f'SELECT count(*) FROM {t}').fetchone()[0]) for t in ('samples', 'runs', 'al_rounds', 'meta')))
EOF
}

# ------------------------------------------------------------------ setup
setup() {
    echo "generating inputs in $WORK ..." >&2
    nice python3 "$HERE/bad_inputs_gen.py" "$FIX" idx manifest >/dev/null || exit 2
    IDX=$FIX/idx/good
    python3 - "$FIX" "$HERE" <<'EOF' || exit 2
import random, struct, sys
sys.path.insert(0, sys.argv[2])
import bad_inputs_gen as g
fix = sys.argv[1]
n, k = 20000, 10
r = random.Random(3)
g.write(f'{fix}/labels.npy', g.npy((n,), '<i8', struct.pack(f'<{n}q', *[r.randrange(k) for _ in range(n)])))
g.write(f'{fix}/probs.npy', g.npy((n, k), '<f4', g.f32(g.probs(n, k))))
g.write(f'{fix}/idx-labels.npy', g.npy((100,), '<i8', struct.pack('<100q', *[i % 3 for i in range(100)])))
g.write(f'{fix}/idx-probs.npy', g.npy((100, 3), '<f8', struct.pack('<300d', *g.probs(100, 3))))
g.write(f'{fix}/x.npy', g.npy((2000, 10), '<f4', g.f32([r.gauss(0, 1) for _ in range(20000)])))
open(f'{fix}/fast.yaml', 'w').write('model:\n  model: small_cnn\n  device: cpu\ntrain:\n  epochs: 1\n  min_steps: 0\n'
                                    '  batch_size: 32\n  augment: False\nactive_learner:\n  iterations: 1\n'
                                    '  num_labelled: 5\n  initial_labelled: 20\n')
EOF
    cp -r "$IDX" "$FIX/idx/moved" # the same data in another folder: project set-data
    Q=(--epochs 1 --no-layouts --method data-parameters --threads 1)
    nice "$BIN" analyze --data "$IDX" --project "$FIX/p.lsproj" --limit 100 "${Q[@]}" >/dev/null 2>&1 \
        && nice "$BIN" analyze --data "$FIX/manifest/unlabelled/manifest.csv" --project "$FIX/alp.lsproj" "${Q[@]}" >/dev/null 2>&1 \
        || { echo "full_disk.sh: cannot make the base projects with $BIN" >&2; exit 2; }
    mount_disk
}

# ------------------------------------------------------------------ the writers
output_cases() {
    local fi=(find-issues --labels "$FIX/labels.npy" --pred-probs "$FIX/probs.npy") # 20,000 samples
    local small=(find-issues --labels "$FIX/idx-labels.npy" --pred-probs "$FIX/idx-probs.npy") # 100
    local ts=(tsne --input "$FIX/x.npy" --iterations 50 --threads 1)
    local als=(al-simulate --data "$IDX" --config "$FIX/fast.yaml" --limit 100 --threads 1)
    local ce=(clean-eval --data "$IDX" --limit 100 --epochs 1 --seeds 1 --inject-noise 0.2 --threads 1)
    local x
    for x in npy csv; do
        disk_case "find-issues --out .$x, small, 0 KiB free" out.$x file 0 "${small[@]}" --out "$D/out.$x"
        disk_case "find-issues --out .$x, large, 0 KiB free" out.$x file 0 "${fi[@]}" --out "$D/out.$x"
        disk_case "find-issues --out .$x, large, 8 KiB free" out.$x file 8 "${fi[@]}" --out "$D/out.$x"
        disk_case "find-issues --out .$x ranked, 8 KiB free" out.$x file 8 "${fi[@]}" --rank-by normalized_margin --out "$D/out.$x"
    done
    disk_case "tsne --out, 0 KiB free" out.npy file 0 "${ts[@]}" --out "$D/out.npy"
    disk_case "tsne --out (16 KB), 8 KiB free" out.npy file 8 "${ts[@]}" --out "$D/out.npy"
    disk_case "al-simulate --out new folder, 0 KiB free" out "dir:$D/out" 0 "${als[@]}" --out "$D/out"
    free_disk
    mkdir -p "$D/out-dir"
    disk_case "al-simulate --out existing folder, 0 KiB free" curves "dir:$D/out-dir" 0 "${als[@]}" --out "$D/out-dir"
    disk_case "clean-eval --out, 0 KiB free" out.json file 0 "${ce[@]}" --out "$D/out.json"
}

project_cases() {
    local an=(analyze --data "$IDX" --limit 100 --epochs 1 --no-layouts --method data-parameters --threads 1)
    local left
    for left in 0 16 64; do
        disk_case "analyze --project new, ${left} KiB free" new.lsproj "project:$D/new.lsproj" $left "${an[@]}" --project "$D/new.lsproj"
        rm -f "$D"/new.lsproj*
    done
    for left in 0 16 64; do
        rm -f "$D"/*.lsproj*; cp "$FIX/p.lsproj" "$D/p.lsproj"
        disk_case "analyze an existing project again, ${left} KiB free" p.lsproj "project:$D/p.lsproj" $left "${an[@]}" --project "$D/p.lsproj"
    done
    for left in 0 16; do
        rm -f "$D"/*.lsproj*; cp "$FIX/p.lsproj" "$D/p.lsproj"
        disk_case "clean-eval --project, ${left} KiB free" p.lsproj "project:$D/p.lsproj" $left clean-eval --data "$IDX" \
            --limit 100 --epochs 1 --seeds 1 --inject-noise 0.2 --threads 1 --project "$D/p.lsproj"
    done
    for left in 0 16; do
        rm -f "$D"/*.lsproj*; cp "$FIX/alp.lsproj" "$D/alp.lsproj"
        disk_case "al-round, ${left} KiB free" alp.lsproj "project:$D/alp.lsproj" $left al-round --project "$D/alp.lsproj" \
            --config "$FIX/fast.yaml" --threads 1
    done
    for left in 0 16; do
        rm -f "$D"/*.lsproj*; cp "$FIX/p.lsproj" "$D/p.lsproj"
        disk_case "project set-data, ${left} KiB free" p.lsproj "project:$D/p.lsproj" $left project set-data \
            --project "$D/p.lsproj" --data "$FIX/idx/moved"
    done
    rm -f "$D"/*.lsproj*
}

setup
echo "disk: $MODE"
printf '%-58s %4s %6s  %s\n' case exit s verdict
output_cases
project_cases
echo
echo "full disk ($MODE): $N cases, $FAILED failed"
if ((${#FAILS[@]})); then
    echo
    printf '%s\n' "${FAILS[@]}"
fi
((FAILED == 0))
