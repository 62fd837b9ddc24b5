#!/usr/bin/env bash
# The bad-input benchmark of issue 14: several hundred bad or hostile inputs against the
# `labelscope` command, each in a fresh folder with a timeout, each with an expectation:
#   refuse  exit 1 or 2 and a named error: a stderr line "labelscope[ COMMAND]: ..." naming the
#           offending file or option (NEEDLE; "a|b" = either);
#   skip    exit 0 and a "skipped: ..." line naming it (corrupt images inside a dataset);
#   accept  exit 0;  either  exit 0, or a named refusal (no defined answer, but no crash).
# Verdicts: ok, CRASH (signal: exit > 128 other than 130, or "terminate called", "Aborted",
# "Segmentation fault", a C++ backtrace "frame #" in stderr), HANG (timeout), UNNAMED (failed
# without a named error), WRONG (another outcome than expected, or a 0-byte file left behind).
#
#   tests/benchmarks/bad_inputs.sh [BINARY]        (default build/app/labelscope)
#   env: CASE_TIMEOUT=60 (seconds a case), CASE_MEMORY_KB=8388608 (ulimit -v a case),
#        CASES=REGEX (only matching case names),
#        KEEP=1 (keep the work folder with every case's folder and stderr)
# Needs python3 (standard library only), timeout, mkfifo, mknod; as root a read-only tmpfs is
# mounted for the read-only cases (skipped when mounting is not permitted). Exit 1 on any crash,
# hang, unnamed error or wrong outcome. Full-disk cases: tests/benchmarks/full_disk.sh.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(realpath "${1:-build/app/labelscope}")
[[ -x $BIN ]] || { echo "bad_inputs.sh: $BIN: not an executable" >&2; exit 2; }
T=${CASE_TIMEOUT:-60}
MEM_KB=${CASE_MEMORY_KB:-8388608} # address space a case: a runaway allocation fails instead of swapping
WORK=$(mktemp -d /tmp/bad-inputs.XXXXXX)
FIX=$WORK/fix RO=$WORK/ro RO_OK=0 MKNOD_OK=0
N=0 CRASH=0 HANG=0 UNNAMED=0 WRONG=0 SKIPPED_CASES=0
PREP=''
FAILS=()

cleanup() {
    mountpoint -q "$RO" 2>/dev/null && umount "$RO"
    [[ ${KEEP:-0} == 1 ]] && echo "work folder kept: $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT

# ------------------------------------------------------------------ running one case
# run_case NAME EXPECT NEEDLE ARGS... : in a fresh folder (cwd), after `eval "$PREP"` there;
# with MUST=REGEX the named error must also match REGEX (case-insensitive).
run_case() {
    local name=$1 expect=$2 needle=$3
    shift 3
    local prep=$PREP must=${MUST:-}
    PREP='' MUST=''
    [[ -n ${CASES:-} && ! $name =~ $CASES ]] && return
    N=$((N + 1))
    local id dir log
    id=$(printf %03d "$N")
    dir=$WORK/cases/$id log=$WORK/logs/$id
    mkdir -p "$dir" "$WORK/logs"
    (cd "$dir" && eval "$prep") >"$log.prep" 2>&1
    touch "$WORK/logs/$id.mark"
    local t0 t1 rc
    t0=$(date +%s.%N)
    (cd "$dir" && ulimit -v "$MEM_KB" && exec timeout -k 5 "$T" "$BIN" "$@" </dev/null >"$log.out" 2>"$log.err")
    rc=$?
    t1=$(date +%s.%N)
    local secs
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
    local named=0 skipped=0 alt verdict=ok why=''
    IFS='|' read -ra alts <<<"$needle"
    for alt in "${alts[@]}"; do
        grep -aE '^labelscope( [a-z-]+)?: ' "$log.err" | grep -aqF -- "$alt" && named=1
        grep -aE '^skipped: ' "$log.err" | grep -aqF -- "$alt" && skipped=1
    done
    if [[ $rc == 124 || ( $rc == 137 && ${secs%.*} -ge $T ) ]]; then
        verdict=HANG
    elif { [[ $rc -gt 128 && $rc != 130 ]]; } \
        || grep -aqE 'terminate called|Segmentation fault|Aborted|frame #[0-9]|core dumped|AddressSanitizer' "$log.err"; then
        verdict=CRASH
    elif [[ $rc != 0 && $named == 0 ]]; then
        verdict=UNNAMED
    else
        case $expect in
        refuse) [[ $rc != 0 ]] || { verdict=WRONG why='accepted'; } ;;
        skip) [[ $rc != 0 ]] && { verdict=WRONG why='refused'; } || [[ $skipped == 1 ]] || { verdict=WRONG why='not listed as skipped'; } ;;
        accept) [[ $rc == 0 ]] || { verdict=WRONG why='refused'; } ;;
        either) ;;
        esac
    fi
    if [[ $verdict == ok && -n $must ]] && ! grep -aE '^labelscope( [a-z-]+)?: ' "$log.err" | grep -aqiE -- "$must"; then
        verdict=WRONG why="the error does not say: $must"
    fi
    # A refused command must not leave an empty file behind (a project, an output).
    if [[ $verdict == ok && $rc != 0 ]] && [[ -n $(find "$dir" -newer "$WORK/logs/$id.mark" -type f -size 0 2>/dev/null) ]]; then
        verdict=WRONG why="left $(find "$dir" -newer "$WORK/logs/$id.mark" -type f -size 0 -printf '%P ')(0 bytes)"
    fi
    case $verdict in
    CRASH) CRASH=$((CRASH + 1)) ;; HANG) HANG=$((HANG + 1)) ;;
    UNNAMED) UNNAMED=$((UNNAMED + 1)) ;; WRONG) WRONG=$((WRONG + 1)) ;;
    esac
    printf '%-58s %-7s %4s %6s  %s\n' "${name:0:58}" "$expect" "$rc" "$secs" "$verdict${why:+ ($why)}"
    if [[ $verdict != ok ]]; then
        local cmd
        cmd=$(printf '%q ' labelscope "$@")
        FAILS+=("$id $name: $verdict${why:+ ($why)}, exit $rc
    (cd case folder${prep:+; ${prep:0:300}}) ${cmd:0:600}
$(grep -av '^\[' "$log.err" | head -4 | cut -c1-300 | sed 's/^/    | /')")
    fi
}

# Values for options: each of these must be refused by a numeric option.
BAD_NUMBERS=(nan inf -inf -7 1e999 99999999999999999999 abc '')

# Common argument sets: fast settings so that a wrongly accepted value still finishes quickly.
setup_args() {
    IDX=$FIX/idx/good
    AN=(analyze --limit 100 --epochs 1 --no-layouts --method data-parameters --threads 1 --project p.lsproj)
    FI=(find-issues --labels "$FIX/npy/labels/good.npy" --pred-probs "$FIX/npy/probs/good.npy" --out out.csv)
    TS=(tsne --input "$FIX/npy/tsne/good.npy" --out y.npy --iterations 50 --threads 1)
    SI=(similar --input "$FIX/npy/similar/good.npy" --rows 0)
    ALS=(al-simulate --data "$IDX" --config "$FIX/fast.yaml" --limit 100 --threads 1)
    ALR=(al-round --project alp.lsproj --config "$FIX/fast.yaml" --threads 1)
    CE=(clean-eval --data "$IDX" --limit 100 --epochs 1 --seeds 1 --inject-noise 0.2 --threads 1)
    AB=(al-bench --pool 2000 --dim 16 --classes 10 --labelled 100 --batch 10 --mc 2 --threads 1)
    CP_ALP="cp '$FIX/al.lsproj' alp.lsproj"
    CP_P="cp '$FIX/base.lsproj' p.lsproj"
}

# The fast active-learning config with KEY=VALUE overrides (dotted keys, e.g. train.epochs=.nan).
# shellcheck disable=SC2120 # called with arguments from PREP strings
render_yaml() {
    declare -A v=([model.model]=small_cnn [model.device]=cpu [train.optimizer.config.lr]=0.05
        [train.epochs]=1 [train.min_steps]=0 [train.batch_size]=32 [train.augment]=False
        [active_learner.iterations]=1 [active_learner.num_labelled]=5 [active_learner.initial_labelled]=20)
    local kv k sec
    for kv in "$@"; do v[${kv%%=*}]=${kv#*=}; done
    for sec in model data train active_learner; do
        echo "$sec:"
        for k in "${!v[@]}"; do
            case $k in $sec.optimizer.*) ;; $sec.*) echo "  ${k#"$sec".}: ${v[$k]}" ;; esac
        done
        if [[ $sec == train ]]; then
            echo "  optimizer:"
            [[ -n ${v[train.optimizer.name]:-} ]] && echo "    name: ${v[train.optimizer.name]}"
            echo "    config:"
            for k in "${!v[@]}"; do [[ $k == train.optimizer.config.* ]] && echo "      ${k##*.}: ${v[$k]}"; done
        fi
    done
}

setup() {
    echo "generating inputs in $WORK ..." >&2
    nice python3 "$HERE/bad_inputs_gen.py" "$FIX" || exit 2
    render_yaml >"$FIX/fast.yaml"
    setup_args
    local q=(--epochs 1 --no-layouts --method data-parameters --threads 1)
    nice "$BIN" analyze --data "$IDX" --project "$FIX/base.lsproj" --limit 100 "${q[@]}" >/dev/null 2>&1 \
        && nice "$BIN" analyze --data "$FIX/manifest/unlabelled/manifest.csv" --project "$FIX/al.lsproj" "${q[@]}" >/dev/null 2>&1 \
        || { echo "bad_inputs.sh: cannot make the base projects with $BIN" >&2; exit 2; }
    python3 - "$FIX" <<'EOF'
import shutil, sqlite3, sys
fix = sys.argv[1]
def derive(name, sql):
    p = f'{fix}/project/{name}.lsproj'
    shutil.copy(f'{fix}/base.lsproj', p)
    db = sqlite3.connect(p); db.executescript(sql); db.commit(); db.close()
derive('dropped-table', 'DROP TABLE samples;')
derive('dropped-meta', 'DROP TABLE meta;')
derive('version-999', 'PRAGMA user_version = 999;')
derive('version-0', 'PRAGMA user_version = 0;')
derive('missing-data', "UPDATE meta SET value = '/nonexistent/data-moved' WHERE key = 'data_spec';")
data = open(f'{fix}/base.lsproj', 'rb').read()
open(f'{fix}/project/truncated.lsproj', 'wb').write(data[:len(data) // 2])
open(f'{fix}/project/header-only.lsproj', 'wb').write(data[:100])
mid = len(data) // 2
open(f'{fix}/project/corrupt-page.lsproj', 'wb').write(data[:mid] + b'\xa5' * 8192 + data[mid + 8192:])
shutil.copy(f'{fix}/al.lsproj', f'{fix}/project/al-missing-data.lsproj')
db = sqlite3.connect(f'{fix}/project/al-missing-data.lsproj')
db.execute("UPDATE meta SET value = '/nonexistent/data-moved' WHERE key = 'data_spec'"); db.commit(); db.close()
EOF
    mkdir -p "$RO"
    if mount -t tmpfs -o size=4m tmpfs "$RO" 2>/dev/null; then
        cp "$FIX/base.lsproj" "$RO/p.lsproj" && cp "$FIX/al.lsproj" "$RO/alp.lsproj" && mkdir "$RO/dir"
        mount -o remount,ro "$RO" && RO_OK=1
    fi
    [[ $RO_OK == 1 ]] || echo "note: no read-only mount (not root?): the read-only cases are left out" >&2
    # Device nodes are made per case (the same as /dev/zero and /dev/full): a command that wrongly
    # replaces its output with a regular file must not replace the system's /dev/full.
    mknod "$WORK/node" c 1 7 2>/dev/null && MKNOD_OK=1 \
        || echo "note: mknod failed: the device inputs are links to /dev/zero, the /dev/full outputs are left out" >&2
}

# A special file named NAME in the case folder: fifo, sock, dev, dir, missing, loop.
special_prep() { # KIND NAME -> a PREP string
    case $1 in
    fifo) echo "mkfifo '$2'" ;;
    sock) echo "python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' '$2'" ;;
    dev) ((MKNOD_OK)) && echo "mknod '$2' c 1 5" || echo "ln -s /dev/zero '$2'" ;; # a fresh node: a bug may replace it
    dir) echo "mkdir '$2'" ;;
    missing) echo ":" ;;
    loop) echo "ln -s '$2' '$2'" ;;
    esac
}

# ------------------------------------------------------------------ the kinds of input
idx_cases() {
    local v gz expect needle all=("${AN[@]}" --limit -1) # the whole file: 120 + 40 images
    run_case "idx: good plain" accept x "${AN[@]}" --data "$IDX"
    run_case "idx: good gzipped" accept x "${AN[@]}" --data "$FIX/idx/goodgz"
    run_case "idx: fashion-mnist" accept x "${AN[@]}" --data fashion-mnist
    run_case "idx: images file given directly" accept x "${AN[@]}" --data "$IDX/train-images-idx3-ubyte"
    run_case "idx: bad file given directly" refuse train-images "${AN[@]}" --data "$FIX/idx/huge-dims/train-images-idx3-ubyte"
    for v in empty short header-only trunc-half trunc-1 magic-zero magic-labels magic-float magic-random ndims-4 \
        ndims-255 huge-count huge-dims u32-max zero-dims zero-count one-by-one one-row trailing; do
        for gz in '' .gz; do
            expect=refuse needle=train-images
            case $v in zero-count) needle="$v" ;; one-by-one | one-row | trailing) expect=either ;; esac
            run_case "idx: images $v$gz" "$expect" "$needle" "${all[@]}" --data "$FIX/idx/$v$gz"
        done
    done
    for v in labels-fewer labels-magic labels-trunc labels-huge-count labels-empty labels-range; do
        expect=refuse
        [[ $v == labels-range ]] && expect=either
        run_case "idx: $v" "$expect" "train-labels|train-images" "${all[@]}" --data "$FIX/idx/$v"
    done
    for v in gz-corrupt gz-trunc gz-bad-crc gz-lying-header gz-bomb-lying; do
        run_case "idx: $v" refuse train-images "${all[@]}" --data "$FIX/idx/$v"
    done
    # --limit 100 reads the first 100 images only: what lies beyond may go unnoticed.
    for v in trunc-1.gz gz-bad-crc gz-bomb-lying; do
        run_case "idx: $v, --limit 100" either train-images "${AN[@]}" --data "$FIX/idx/$v"
    done
    run_case "idx: gz-bomb-honest (1 GiB, --limit 100)" accept x "${AN[@]}" --data "$FIX/idx/gz-bomb-honest"
    run_case "idx: gz-two-members" accept x "${all[@]}" --data "$FIX/idx/gz-two-members"
    run_case "idx: gz-not-gzip (plain data named .gz)" accept x "${all[@]}" --data "$FIX/idx/gz-not-gzip"
    run_case "idx: gz-trailing-junk" either train-images "${all[@]}" --data "$FIX/idx/gz-trailing-junk"
    PREP="cp -r '$IDX' d && mkfifo d/classes.txt" run_case "idx: classes.txt is a FIFO" refuse classes.txt "${AN[@]}" --data d
    PREP="cp -r '$IDX' d && rm d/train-labels-idx1-ubyte && mkfifo d/train-labels-idx1-ubyte" \
        run_case "idx: labels file is a FIFO" refuse train-labels "${AN[@]}" --data d
    PREP="cp -r '$IDX' d && rm d/train-images-idx3-ubyte && mkfifo d/train-images-idx3-ubyte" \
        run_case "idx: images file is a FIFO" refuse train-images "${AN[@]}" --data d
}

npy_cases() {
    local role v expect args
    for role in labels probs tsne similar; do
        for v in bad-magic version-3 version-0 hdrlen-huge hdr-not-dict hdr-garbage hdr-no-shape big-endian complex \
            object unicode half structured fortran shape-huge shape-neg shape-3d shape-0d rows-0 truncated \
            header-only empty magic-only version-2 hdr-trailing-comma; do
            expect=refuse
            [[ $v == version-2 ]] && expect=accept
            [[ $v == hdr-trailing-comma ]] && expect=either
            local x=$FIX/npy/$role/$v.npy
            case $role in
            labels) args=(find-issues --labels "$x" --pred-probs "$FIX/npy/probs/good.npy" --out out.csv) ;;
            probs) args=(find-issues --labels "$FIX/npy/labels/good.npy" --pred-probs "$x" --out out.npy) ;;
            tsne) args=(tsne --input "$x" --out y.npy --iterations 50 --threads 1) ;;
            similar) args=(similar --input "$x" --rows 0) ;;
            esac
            run_case "npy $role: $v" "$expect" "$v.npy" "${args[@]}"
        done
    done
    for v in nan:refuse inf:refuse negative:refuse above-one:refuse unnormalised:either wide-2x60000:refuse k-1:either \
        int:refuse one-d:refuse fewer-rows:refuse float32:accept; do
        run_case "npy probs: ${v%:*}" "${v#*:}" "${v%:*}.npy" find-issues --labels "$FIX/npy/labels/good.npy" \
            --pred-probs "$FIX/npy/probs/${v%:*}.npy" --out out.csv
    done
    for v in float:refuse negative:refuse k-5000:refuse beyond-k:refuse u64-max:refuse bool:either uint8:accept \
        column:accept two-columns:refuse one-class:either; do
        run_case "npy labels: ${v%:*}" "${v#*:}" "${v%:*}.npy" find-issues --labels "$FIX/npy/labels/${v%:*}.npy" \
            --pred-probs "$FIX/npy/probs/good.npy" --out out.npy
    done
    for v in wide-50x20000:either int:refuse nan:refuse inf:refuse one-row:either two-rows:either one-column:accept \
        constant:either huge-values:either one-d:refuse; do
        run_case "npy tsne: ${v%:*}" "${v#*:}" "${v%:*}.npy" tsne --input "$FIX/npy/tsne/${v%:*}.npy" --out y.npy \
            --iterations 50 --threads 1
    done
    run_case "npy tsne: wide-50x20000 --perplexity 5" accept x tsne --input "$FIX/npy/tsne/wide-50x20000.npy" \
        --out y.npy --perplexity 5 --iterations 50 --threads 1
    for v in int:refuse nan:either one-row:either one-d:refuse; do
        run_case "npy similar: ${v%:*}" "${v#*:}" "${v%:*}.npy" similar --input "$FIX/npy/similar/${v%:*}.npy" --rows 0
    done
}

csv_label_cases() {
    local v
    for v in good:accept header:accept bom:accept crlf:accept ragged:accept non-number:refuse nan:refuse \
        negative:refuse huge:refuse fraction:refuse blank-line:either empty:refuse header-only:refuse nul:refuse \
        long-line:refuse k-5000:refuse latin1:refuse; do
        run_case "csv labels: ${v%:*}" "${v#*:}" "${v%:*}.csv" find-issues --labels "$FIX/csv/labels/${v%:*}.csv" \
            --pred-probs "$FIX/npy/probs/good.npy" --out out.csv
    done
    for v in good:accept header:accept bom:accept crlf:accept ragged:refuse non-number:refuse nan:refuse inf:refuse \
        negative:refuse huge:refuse empty:refuse header-only:refuse semicolons:refuse transposed:refuse \
        duplicate-rows:accept fewer-rows:refuse latin1:refuse; do
        run_case "csv pred_probs: ${v%:*}" "${v#*:}" "${v%:*}.csv" find-issues --labels "$FIX/npy/labels/good.npy" \
            --pred-probs "$FIX/csv/probs/${v%:*}.csv" --out out.npy
    done
    run_case "csv: labels and pred_probs both CSV" accept x find-issues --labels "$FIX/csv/labels/crlf.csv" \
        --pred-probs "$FIX/csv/probs/bom.csv" --out out.csv
}

manifest_cases() {
    local v m=$FIX/manifest
    for v in good:accept header:accept unlabelled:accept numeric-labels:accept nan-label:accept quoted:accept \
        bom:accept crlf:accept; do
        run_case "manifest: ${v%:*}" "${v#*:}" x "${AN[@]}" --data "$m/${v%:*}/manifest.csv"
    done
    for v in 'ragged-short:line 17' 'ragged-long:line 17' 'empty-path:line 17' unknown-split:validation \
        missing-file:nope.png escaping:passwd absolute-dev:/dev/zero 'duplicate:duplicate of line 1' \
        conflicting:differs duplicate-dot:duplicate conflicting-split:differs 'long-path:line 17' 'nul:line 17' \
        'classes-mismatch:"c"' 'latin1:not valid UTF-8' 'latin1-label:not valid UTF-8'; do
        run_case "manifest: ${v%%:*}" skip "${v#*:}" "${AN[@]}" --data "$m/${v%%:*}/manifest.csv"
    done
    for v in unclosed-quote header-only all-bad one-class empty classes-txt-empty too-many-classes; do
        run_case "manifest: $v" refuse "manifest.csv" "${AN[@]}" --data "$m/$v/manifest.csv"
    done
    run_case "manifest: classes.txt with 5000 names" refuse classes.txt "${AN[@]}" --data "$m/classes-txt-too-many/manifest.csv"
    local good="cp '$m/good/manifest.csv' m.csv && sed -i 's#\.\./img#$m/img#' m.csv"
    PREP="$good && mkfifo classes.txt" run_case "manifest: classes.txt is a FIFO" refuse classes.txt "${AN[@]}" --data m.csv
    PREP="$good && mkdir classes.txt" run_case "manifest: classes.txt is a folder" refuse classes.txt "${AN[@]}" --data m.csv
    PREP="$good && mkfifo f.png && echo f.png,a >>m.csv" run_case "manifest: row names a FIFO" skip f.png "${AN[@]}" --data m.csv
    PREP="$good && ln -s l.png l.png && echo l.png,a >>m.csv" run_case "manifest: row names a link loop" skip l.png "${AN[@]}" --data m.csv
    PREP="$good && mkdir d.png && echo d.png,a >>m.csv" run_case "manifest: row names a folder" skip d.png "${AN[@]}" --data m.csv
    PREP="$good && $(special_prep sock s.png) && echo s.png,a >>m.csv" run_case "manifest: row names a socket" skip s.png "${AN[@]}" --data m.csv
    PREP="$good && echo '$FIX/images/random.png,c' >>m.csv" \
        run_case "manifest: class whose only image is corrupt" skip random.png "${AN[@]}" --data m.csv
    PREP="mkdir m.csv" run_case "manifest: a folder named .csv" refuse m.csv "${AN[@]}" --data m.csv
}

folder_cases() {
    local f expect base="cp -r '$FIX/folder/base' root"
    for f in "$FIX"/images/*; do
        f=${f##*/}
        case $f in one-pixel.png | sixteen-bit.png | alpha.png | grey-alpha.png | palette.png | rgb.png | wide.png | big.png | \
            good.jpg | good.bmp | neg-height.bmp | good.ppm | good.pgm | good.tif) expect=accept ;; *) expect=skip ;; esac
        PREP="$base && cp '$FIX/images/$f' root/a/" run_case "folder: image $f" "$expect" "$f" "${AN[@]}" --data root
    done
    PREP="$base && cp root/a/a0.png root/a/\$'\\xff\\xfe'.png" run_case "folder: non-UTF-8 file name" skip '\xff' "${AN[@]}" --data root
    PREP="$base && mkdir root/\$'c\\xff' && cp root/a/a0.png root/\$'c\\xff'/" run_case "folder: non-UTF-8 class name" skip '\xff' "${AN[@]}" --data root
    PREP="$base && ln -s loop.png root/a/loop.png" run_case "folder: symbolic link loop" skip loop.png "${AN[@]}" --data root
    PREP="$base && ln -s nowhere.png root/a/broken.png" run_case "folder: broken link" skip broken.png "${AN[@]}" --data root
    PREP="$base && ln -s ../b root/a/linkdir" run_case "folder: link to a folder" skip linkdir "${AN[@]}" --data root
    PREP="$base && ln -s .. root/a/up" run_case "folder: link to the parent folder" skip up "${AN[@]}" --data root
    PREP="$base && mkfifo root/a/fifo.png" run_case "folder: FIFO" skip fifo.png "${AN[@]}" --data root
    PREP="$base && $(special_prep sock root/a/sock.png)" run_case "folder: socket" skip sock.png "${AN[@]}" --data root
    PREP="$base && $(special_prep dev root/a/zero.png)" run_case "folder: device" skip zero.png "${AN[@]}" --data root
    PREP="$base && mkdir root/c && cp '$FIX/images/random.png' root/c/only.png" \
        run_case "folder: class whose only image is corrupt" skip only.png "${AN[@]}" --data root
    PREP="$base && mkdir root/c && mkfifo root/c/only.png" run_case "folder: class whose only image is a FIFO" skip only.png "${AN[@]}" --data root
    PREP="$base && mkdir root/empty" run_case "folder: empty class folder" accept x "${AN[@]}" --data root
    PREP="$base && cp root/a/a0.png root/a/.hidden.png && cp root/a/a0.png root/a/notes.txt" \
        run_case "folder: hidden file and non-image" accept x "${AN[@]}" --data root
    PREP="$base && cp root/a/a0.png root/loose.png" run_case "folder: image in the root (unlabelled)" accept x "${AN[@]}" --data root
    PREP="$base && mkdir -p root/a/\$(printf 'd/%.0s' {1..60}) && cp root/a/a0.png root/a/\$(printf 'd/%.0s' {1..60})" \
        run_case "folder: image 60 folders deep" accept x "${AN[@]}" --data root
    run_case "folder: 4097 classes" refuse many-classes "${AN[@]}" --data "$FIX/folder/many-classes"
    PREP="mkdir root" run_case "folder: empty root" refuse root "${AN[@]}" --data root
    PREP="$base && rm -r root/b" run_case "folder: one class" refuse root "${AN[@]}" --data root
    PREP="mkdir -p root/a root/b" run_case "folder: empty class folders only" refuse root "${AN[@]}" --data root
    PREP="ln -s root root" run_case "folder: root is a link loop" refuse root "${AN[@]}" --data root
}

yaml_cases() {
    local key vals v name
    local -A range=([model.num_classes]='1 5000' [train.optimizer.config.lr]='0 11' [train.optimizer.config.momentum]=1
        [train.optimizer.config.weight_decay]=1.5 [train.batch_size]='0 70000' [train.epochs]='0 100001'
        [train.min_steps]=100000001 [train.pseudo_label_threshold]=1.5 [train.pseudo_label_max]=2147483648
        [train.ema_decay]=1 [train.mc_samples]='0 1001' [active_learner.iterations]='0 100001'
        [active_learner.num_labelled]='0 2147483648' [active_learner.limit]=0 [active_learner.initial_labelled]=2147483648
        [active_learner.clusters]='0 100001' [active_learner.budget]=2147483648 [active_learner.target_accuracy]=1.5
        [active_learner.plateau_rounds]=100001 [active_learner.plateau_delta]=1.5 [active_learner.seed]=18446744073709551616)
    for key in $(printf '%s\n' "${!range[@]}" | sort); do
        for v in .nan .inf -.inf -2 1e30 abc '[1, 2]' '{a: 1}' ${range[$key]}; do
            PREP="render_yaml '$key=$v' >c.yaml" \
                run_case "yaml al-simulate: $key: $v" refuse "$key" "${ALS[@]}" --config c.yaml
        done
        PREP="$CP_ALP; render_yaml '$key=.nan' >c.yaml" \
            run_case "yaml al-round: $key: .nan" refuse "$key" "${ALR[@]}" --config c.yaml
    done
    local -a other=( # NAME|EXPECT|NEEDLE|KEY=VALUE[;KEY=VALUE]
        'unknown key|refuse|colour|train.colour=red' 'unknown key in model|refuse|colour|model.colour=red'
        'model.model unknown|refuse|c.yaml|model.model=vgg' 'model.device unknown|refuse|c.yaml|model.device=tpu'
        'strategy unknown|refuse|strategy|active_learner.strategy=psychic'
        'diversity unknown|refuse|diversity_sampling|active_learner.diversity_sampling=psychic'
        'cold_start unknown|refuse|cold_start|active_learner.cold_start=psychic'
        'pseudo_label_scope unknown|refuse|pseudo_label_scope|train.pseudo_label_scope=all'
        'data.dataset tfds|refuse|tfds|data.dataset=tfds' 'data.classes mismatch|refuse|data.classes|data.classes=[x, y]'
        'bald with mc_samples 1|refuse|mc_samples|active_learner.strategy=bald;train.mc_samples=1'
        'boolean not a boolean|refuse|train.augment|train.augment=maybe'
        'boolean as a list|refuse|train.augment|train.augment=[True]'
        'strategy as a list|refuse|strategy|active_learner.strategy=[bald]'
        'optimizer unknown|refuse|RMSprop|train.optimizer.name=RMSprop'
        'loss_fn BCELoss (warning)|accept|x|train.loss_fn={name: BCELoss}'
        'data.path missing folder|refuse|/nonexistent|data.path=/nonexistent/x'
    )
    local kvs
    for v in "${other[@]}"; do
        IFS='|' read -r name expect key vals <<<"$v"
        IFS=';' read -ra kvs <<<"$vals"
        # shellcheck disable=SC2046 # no --data when the config names the data
        PREP="render_yaml $(printf "'%s' " "${kvs[@]}") >c.yaml" \
            run_case "yaml: $name" "$expect" "$key" al-simulate --config c.yaml --limit 100 --threads 1 \
            $([[ $name == data.path* ]] || echo --data "$IDX")
    done
    local -a texts=( # NAME|TEXT (printf format)
        'unknown section|extras:\n  x: 1' 'section is a scalar|train: 5' 'flow never closed|train: [1, 2' 'bad indentation|train:\n  epochs: 1\n    min_steps: 2'
        'tab indentation|train:\n\tepochs: 1' 'unterminated quote|model:\n  model: "small_cnn'
        'top level is a list|- a\n- b' 'top level is a scalar|hello' 'binary garbage|\x00\x01\x02\xff\xfe\x80'
        'non-UTF-8 value|model:\n  model: \xe9t\xe9' 'two documents|model:\n  device: cpu\ntrain:\n  epochs: 1\n  min_steps: 0\nactive_learner:\n  iterations: 1\n  initial_labelled: 20\n  num_labelled: 5\n---\nmodel:\n  device: cuda'
        'duplicate keys|model:\n  device: cpu\n  device: cpu\ntrain:\n  epochs: 1\n  min_steps: 0\nactive_learner:\n  iterations: 1\n  initial_labelled: 20\n  num_labelled: 5' 'anchor alias as scalar|a: &x [1, 2]\nmodel:\n  model: *x'
        'undefined alias|model:\n  model: *nothing'
    )
    for v in "${texts[@]}"; do
        expect=refuse
        [[ ${v%%|*} == 'two documents' || ${v%%|*} == 'duplicate keys' ]] && expect=either
        PREP="printf '%b\n' '${v#*|}' >c.yaml" run_case "yaml: ${v%%|*}" "$expect" c.yaml "${ALS[@]}" --config c.yaml
    done
    run_case "yaml: 100,000 nested flow sequences" refuse nested.yaml "${ALS[@]}" --config "$FIX/yaml/nested.yaml"
    run_case "yaml: 10 MB scalar" refuse big-scalar.yaml "${ALS[@]}" --config "$FIX/yaml/big-scalar.yaml"
    run_case "yaml: billion laughs" refuse laughs.yaml "${ALS[@]}" --config "$FIX/yaml/laughs.yaml"
    run_case "yaml: alias of a list as a number" refuse "train.epochs|model.model" "${ALS[@]}" --config "$FIX/yaml/laughs-known.yaml"
    PREP="$CP_ALP; : >c.yaml" run_case "yaml al-round: empty file (defaults)" accept x al-round --project alp.lsproj --config c.yaml --threads 1
    PREP="$CP_ALP; printf '# only a comment\n' >c.yaml" run_case "yaml al-round: comments only" accept x al-round --project alp.lsproj --config c.yaml --threads 1
}

special_cases() {
    local kind
    for kind in fifo sock dev dir missing loop; do
        PREP=$(special_prep $kind x.csv) run_case "special $kind: analyze --data" refuse x.csv "${AN[@]}" --data x.csv
        PREP=$(special_prep $kind x.npy) run_case "special $kind: find-issues --labels" refuse x.npy "${FI[@]}" --labels x.npy
        PREP=$(special_prep $kind x.npy) run_case "special $kind: find-issues --pred-probs" refuse x.npy "${FI[@]}" --pred-probs x.npy
        PREP=$(special_prep $kind x.npy) run_case "special $kind: tsne --input" refuse x.npy "${TS[@]}" --input x.npy
        PREP=$(special_prep $kind x.npy) run_case "special $kind: similar --input" refuse x.npy "${SI[@]}" --input x.npy
        PREP=$(special_prep $kind x.yaml) run_case "special $kind: al-simulate --config" refuse x.yaml "${ALS[@]}" --config x.yaml
        PREP="$CP_ALP; $(special_prep $kind x.yaml)" run_case "special $kind: al-round --config" refuse x.yaml "${ALR[@]}" --config x.yaml
        PREP=$(special_prep $kind x.lsproj) run_case "special $kind: al-round --project" refuse x.lsproj "${ALR[@]}" --project x.lsproj
        PREP=$(special_prep $kind x.csv) run_case "special $kind: clean-eval --data" refuse x.csv "${CE[@]}" --data x.csv
        [[ $kind == missing ]] && continue # a missing project is created (analyze) or refused below
        PREP=$(special_prep $kind x.lsproj) run_case "special $kind: analyze --project" refuse x.lsproj "${AN[@]}" --data "$IDX" --project x.lsproj
        PREP=$(special_prep $kind x.lsproj) run_case "special $kind: clean-eval --project" refuse x.lsproj "${CE[@]}" --project x.lsproj
    done
    run_case "special missing: clean-eval --project" refuse x.lsproj "${CE[@]}" --project x.lsproj
    for f in /dev/zero /dev/full /dev/null; do
        run_case "special $f: analyze --data" refuse "$f" "${AN[@]}" --data "$f"
        run_case "special $f: find-issues --labels" refuse "$f" "${FI[@]}" --labels "$f"
        run_case "special $f: tsne --input" refuse "$f" "${TS[@]}" --input "$f"
        run_case "special $f: al-simulate --config" refuse "$f" "${ALS[@]}" --config "$f"
    done
}

project_cases() {
    local v p=$FIX/project
    for v in text random other-sqlite truncated header-only corrupt-page dropped-table dropped-meta version-999 version-0; do
        PREP="cp '$p/$v.lsproj' x.lsproj" run_case "project $v: analyze" refuse x.lsproj "${AN[@]}" --data "$IDX" --project x.lsproj
        PREP="cp '$p/$v.lsproj' x.lsproj" run_case "project $v: al-round" refuse x.lsproj "${ALR[@]}" --project x.lsproj
        PREP="cp '$p/$v.lsproj' x.lsproj" run_case "project $v: clean-eval" refuse x.lsproj "${CE[@]}" --project x.lsproj
    done
    PREP="cp '$p/empty.lsproj' x.lsproj" run_case "project 0-byte: analyze" either x.lsproj "${AN[@]}" --data "$IDX" --project x.lsproj
    PREP="cp '$p/empty.lsproj' x.lsproj" run_case "project 0-byte: al-round" refuse x.lsproj "${ALR[@]}" --project x.lsproj
    PREP="cp '$p/missing-data.lsproj' x.lsproj" run_case "project data moved: analyze again" refuse /nonexistent "${AN[@]}" --project x.lsproj
    PREP="cp '$p/al-missing-data.lsproj' x.lsproj" run_case "project data moved: al-round" refuse /nonexistent "${ALR[@]}" --project x.lsproj
    PREP="$CP_P" run_case "project: analyze again (no --data)" accept x "${AN[@]}"
    PREP="$CP_P" run_case "project: analyze with other --data" refuse p.lsproj "${AN[@]}" --data "$FIX/idx/goodgz"
    PREP="$CP_P" run_case "project: al-round, nothing unlabelled" refuse p.lsproj "${ALR[@]}" --project p.lsproj
    PREP="$CP_ALP" run_case "project: al-round (good)" accept x "${ALR[@]}"
    run_case "project: analyze without --data, new file" refuse "new.lsproj|--data" "${AN[@]}" --project new.lsproj
    run_case "project: al-round, no such file" refuse none.lsproj "${ALR[@]}" --project none.lsproj
    run_case "project: in a missing folder" refuse missing/x.lsproj "${AN[@]}" --data "$IDX" --project missing/x.lsproj
    if [[ $RO_OK == 1 ]]; then # the store must say why it cannot write
        MUST='read-only|read only' run_case "read-only: analyze a read-only project" refuse "$RO/p.lsproj" "${AN[@]}" --data "$IDX" --project "$RO/p.lsproj"
        MUST='read-only|read only' run_case "read-only: analyze a new project in a read-only folder" refuse "$RO/new.lsproj" "${AN[@]}" --data "$IDX" --project "$RO/new.lsproj"
        MUST='read-only|read only' run_case "read-only: al-round on a read-only project" refuse "$RO/alp.lsproj" "${ALR[@]}" --project "$RO/alp.lsproj"
        MUST='read-only|read only' run_case "read-only: clean-eval --project read-only" refuse "$RO/p.lsproj" "${CE[@]}" --project "$RO/p.lsproj"
    else
        SKIPPED_CASES=$((SKIPPED_CASES + 4))
    fi
}

# `labelscope project` (info, set-data): every damaged project, bad actions and bad data.
project_command_cases() {
    local v p=$FIX/project
    for v in text random other-sqlite truncated header-only corrupt-page dropped-table dropped-meta version-999 version-0 empty; do
        PREP="cp '$p/$v.lsproj' x.lsproj" run_case "project $v: project info" refuse x.lsproj project info --project x.lsproj
        PREP="cp '$p/$v.lsproj' x.lsproj" run_case "project $v: project set-data" refuse x.lsproj project set-data --project x.lsproj --data "$IDX"
    done
    local kind
    for kind in fifo sock dev dir missing loop; do
        PREP=$(special_prep $kind x.lsproj) run_case "special $kind: project info --project" refuse x.lsproj project info --project x.lsproj
        PREP="$CP_P; $(special_prep $kind d)" run_case "special $kind: project set-data --data" refuse "d" project set-data --project p.lsproj --data d
    done
    PREP="$CP_P" run_case "project info (good)" accept x project info --project p.lsproj --json
    PREP="cp '$p/missing-data.lsproj' x.lsproj" run_case "project info, data moved" accept x project info --project x.lsproj
    PREP="cp '$p/missing-data.lsproj' x.lsproj && cp -r '$IDX' moved" run_case "project set-data, data moved (good)" accept x project set-data --project x.lsproj --data moved
    PREP="$CP_P" run_case "project set-data, other data" refuse p.lsproj project set-data --project p.lsproj --data "$FIX/manifest/good/manifest.csv"
    PREP="$CP_P" run_case "project set-data, same images gzipped" refuse p.lsproj project set-data --project p.lsproj --data "$FIX/idx/goodgz"
    PREP="$CP_P" run_case "project set-data, a truncated copy" refuse "train-images" project set-data --project p.lsproj --data "$FIX/idx/trunc-half"
    PREP="$CP_P" run_case "project set-data without --data" refuse "--data" project set-data --project p.lsproj
    PREP="$CP_P" run_case "project: unknown action" refuse "compact" project compact --project p.lsproj
    PREP="$CP_P" run_case "project: no action" refuse "ACTION|action" project --project p.lsproj
    PREP="$CP_P" run_case "project: two actions" refuse "set-data" project info set-data --project p.lsproj
    run_case "project: no --project" refuse "--project" project info
    if [[ $RO_OK == 1 ]]; then
        run_case "read-only: project info on a read-only project" accept x project info --project "$RO/p.lsproj"
        MUST='read-only|read only' run_case "read-only: project set-data on a read-only project" refuse "$RO/p.lsproj" \
            project set-data --project "$RO/p.lsproj" --data "$IDX"
    else
        SKIPPED_CASES=$((SKIPPED_CASES + 2))
    fi
}

output_cases() {
    PREP="mkdir out.npy" run_case "out: find-issues --out a folder" refuse out.npy "${FI[@]}" --out out.npy
    run_case "out: find-issues --out in a missing folder" refuse missing/out.csv "${FI[@]}" --out missing/out.csv
    run_case "out: find-issues --out .txt" refuse "--out" "${FI[@]}" --out out.txt
    run_case "out: find-issues --out empty" refuse "--out" "${FI[@]}" --out ''
    PREP="mkdir y.npy" run_case "out: tsne --out a folder" refuse y.npy "${TS[@]}" --out y.npy
    run_case "out: tsne --out in a missing folder" refuse missing/y.npy "${TS[@]}" --out missing/y.npy
    PREP="touch afile" run_case "out: al-simulate --out a file" refuse afile "${ALS[@]}" --out afile
    run_case "out: al-simulate --out missing folders (created)" accept x "${ALS[@]}" --out a/b/c
    PREP="mkdir -p d/curves.csv" run_case "out: al-simulate --out, curves.csv a folder" refuse curves.csv "${ALS[@]}" --out d
    PREP="mkdir out.json" run_case "out: clean-eval --out a folder" refuse out.json "${CE[@]}" --out out.json
    run_case "out: clean-eval --out in a missing folder" refuse missing/out.json "${CE[@]}" --out missing/out.json
    if ((MKNOD_OK)); then # "full": a node like /dev/full in the case folder
        local f
        for f in full.npy full.csv; do
            PREP="mknod $f c 1 7" run_case "out: find-issues --out /dev/full as $f" refuse $f "${FI[@]}" --out $f
            PREP="mknod full c 1 7 && ln -s full $f" run_case "out: find-issues --out link to /dev/full, $f" refuse $f "${FI[@]}" --out $f
        done
        PREP="mknod full.npy c 1 7" run_case "out: tsne --out /dev/full" refuse full.npy "${TS[@]}" --out full.npy
        PREP="mknod full c 1 7 && ln -s full full.npy" run_case "out: tsne --out link to /dev/full" refuse full.npy "${TS[@]}" --out full.npy
        PREP="mknod full c 1 7" run_case "out: al-simulate --out /dev/full" refuse full "${ALS[@]}" --out full
        PREP="mknod full c 1 7" run_case "out: clean-eval --out /dev/full" refuse full "${CE[@]}" --out full
        PREP="mknod full c 1 7" run_case "out: analyze --project /dev/full" refuse full "${AN[@]}" --data "$IDX" --project full
    fi
    if [[ $RO_OK == 1 ]]; then
        local ro='read-only|read only'
        MUST=$ro run_case "read-only: find-issues --out" refuse "$RO/out.npy" "${FI[@]}" --out "$RO/out.npy"
        MUST=$ro run_case "read-only: tsne --out" refuse "$RO/y.npy" "${TS[@]}" --out "$RO/y.npy"
        MUST=$ro run_case "read-only: al-simulate --out new folder" refuse "$RO/new" "${ALS[@]}" --out "$RO/new"
        MUST=$ro run_case "read-only: al-simulate --out existing folder" refuse "$RO/dir" "${ALS[@]}" --out "$RO/dir"
        MUST=$ro run_case "read-only: clean-eval --out" refuse "$RO/out.json" "${CE[@]}" --out "$RO/out.json"
    fi
}

# Every numeric option of every command with every bad number, every enumerated option with
# unknown names. The bad value comes last, after the fast settings (the last value counts).
cli_cases() {
    local o v
    cli_numbers() { # LABEL OPTIONS... -- ARGS...
        local label=$1 opts=() args=()
        shift
        while [[ $1 != -- ]]; do opts+=("$1"); shift; done
        shift
        args=("$@")
        for o in "${opts[@]}"; do
            for v in "${BAD_NUMBERS[@]}"; do
                PREP=$CP_ALP run_case "cli $label --$o=$v" refuse "--$o" "${args[@]}" "--$o=$v"
            done
        done
    }
    cli_numbers analyze inject-noise seed epochs limit threads folds fold-workers -- "${AN[@]}" --data "$IDX"
    cli_numbers find-issues frac-noise min-examples-per-class -- "${FI[@]}"
    cli_numbers clean-eval inject-noise seeds limit epochs threads -- "${CE[@]}"
    cli_numbers tsne perplexity iterations seed threads -- "${TS[@]}"
    cli_numbers similar k flat-limit queries -- "${SI[@]}"
    cli_numbers al-simulate seeds seed limit threads -- "${ALS[@]}"
    cli_numbers al-round batch threads -- "${ALR[@]}"
    cli_numbers al-bench pool dim classes labelled batch mc threads -- "${AB[@]}"
    for v in nan -1 200 abc 0.5; do run_case "cli similar --rows=$v" refuse "--rows|row" "${SI[@]}" "--rows=$v"; done
    run_case "cli similar --rows=,," refuse "--rows|row" "${SI[@]}" "--rows=,,"
    run_case "cli al-bench pool too large" refuse "--pool" "${AB[@]}" --pool 10000000 --dim 4096
    run_case "cli clean-eval --inject-noise=0.2,nan" refuse "--inject-noise" "${CE[@]}" "--inject-noise=0.2,nan"
    run_case "cli clean-eval --inject-noise=1" refuse "--inject-noise" "${CE[@]}" "--inject-noise=1"
    run_case "cli analyze --folds=1" refuse "--folds" "${AN[@]}" --data "$IDX" "--folds=1"
    run_case "cli analyze --limit=0" either "--limit|good" "${AN[@]}" --data "$IDX" "--limit=0"
    for v in bogus nan; do
        for o in noise-kind device model precision method filter-by; do
            run_case "cli analyze --$o='$v'" refuse "--$o" "${AN[@]}" --data "$IDX" "--$o=$v"
        done
        for o in filter-by rank-by; do run_case "cli find-issues --$o='$v'" refuse "--$o" "${FI[@]}" "--$o=$v"; done
        for o in noise-kind method device; do run_case "cli clean-eval --$o='$v'" refuse "--$o" "${CE[@]}" "--$o=$v"; done
        run_case "cli tsne --device='$v'" refuse "--device" "${TS[@]}" "--device=$v"
        for o in strategy diversity compare-with; do
            run_case "cli al-simulate --$o='$v'" refuse "--$o|$v" "${ALS[@]}" "--$o=$v"
        done
        for o in strategy diversity; do PREP=$CP_ALP run_case "cli al-round --$o='$v'" refuse "--$o|$v" "${ALR[@]}" "--$o=$v"; done
    done
    run_case "cli al-simulate --device=bogus" refuse "bogus" "${ALS[@]}" "--device=bogus"
    run_case "cli analyze --device=cuda (CPU build)" refuse "cuda|CUDA" "${AN[@]}" --data "$IDX" --device=cuda
    run_case "cli unknown option" refuse "frobnicate" "${AN[@]}" --data "$IDX" --frobnicate
    run_case "cli stray argument" refuse "stray" "${AN[@]}" --data "$IDX" stray
    run_case "cli unknown command" refuse "frobnicate" frobnicate
    run_case "cli missing required option" refuse "--project" analyze --data "$IDX"
    run_case "cli option without its value" refuse "--data" analyze --project p.lsproj --data
}

# ------------------------------------------------------------------ main
setup
printf '%-58s %-7s %4s %6s  %s\n' case expect exit s verdict
idx_cases
npy_cases
csv_label_cases
manifest_cases
folder_cases
yaml_cases
special_cases
project_cases
project_command_cases
output_cases
cli_cases
echo
echo "$N cases, $CRASH crashes, $HANG hangs, $UNNAMED unnamed errors, $WRONG wrong outcomes" \
    "(timeout ${T} s a case$( ((SKIPPED_CASES)) && echo "; $SKIPPED_CASES read-only cases left out"))"
if ((${#FAILS[@]})); then
    echo
    echo "Failing cases (command run in the case's own folder; inputs under $WORK/fix):"
    printf '%s\n' "${FAILS[@]}"
fi
((CRASH + HANG + UNNAMED + WRONG == 0))
