#!/usr/bin/env bash
# test/bench/run_bench.sh - nn against scikit-learn and PyTorch, side by side
# (issue 4, "The benchmark"). Not part of the test command.
#
#   bash test/bench/run_bench.sh          (as root, from anywhere; ~10-15 min on 2 cores)
#
# What it does, in order:
#  1. installs what is missing, builds and installs nn, starts a throwaway
#     cluster (test/lib.sh), loads Fashion-MNIST into fm_train / fm_test
#     (timed), copies fm_train into one table per column storage (PLAIN,
#     EXTERNAL, MAIN, EXTENDED = the default) and times nn_train's read of
#     each; the fastest layout is used from then on (fm_test gets it too);
#     reads within noise of the fastest (30% or 0.2 s) tie, and the tie goes
#     to the lowest backend peak (TOAST fetches fill shared buffers, which
#     the backend's VmHWM counts);
#  2. trains 784-256-128-10 with nn_train (10 epochs, Adam 0.001, batch 128,
#     standardize false, seed 1, verbose): per-epoch seconds from the verbose
#     NOTICEs (report.py explains how), the read time, the backend's peak
#     memory; test accuracy, per-row scoring (nn_predict in a query; at the
#     default nn.row_product = auto, and again at gemv and at level1), the
#     batch path (nn_predict_batch) and the window path (nn_predict_window);
#  2b. rounds: nn_train and scikit-learn alternate, 3 epochs each, so that
#     the training ratio is also measured at one machine speed;
#  2c. scoring rounds: nn_predict_window and PyTorch's batched inference
#     (peers.py torch_score) alternate, 5 rounds, for the batch path's ratio
#     (issue 18: the median of 5 back-to-back rounds);
#  3. the peers (peers.py, /usr/bin/python3): scikit-learn MLPClassifier and
#     a plain PyTorch loop, same split, model, optimizer, batch and epochs;
#  4. the compute floor: sgemm_floor.c times cblas_sgemm alone at one epoch's
#     shapes;
#  5. scaling: nn's seconds per epoch for 10k / 30k / 60k rows and for one
#     hidden layer of 64 / 256 / 1024 units, against GEMM FLOPs;
#  2d. the CNN of issue 15 and its depthwise-separable variant, nn_train and
#     PyTorch (cnn_peers.py) back to back: accuracy after epoch 1 and 10,
#     seconds per epoch at 1 and 2 threads, parameters, the backend's peak
#     memory beside 2 x the data plus the convolution workspace (cnn.sh
#     explains how; cnn_report.py writes its section of the report);
#  2e. the recurrent networks of issue 16, LSTM(128) and GRU(128) over
#     Fashion-MNIST read as 28 steps of 28 pixels, nn_train and PyTorch
#     (rnn_peers.py) back to back, as for the CNN (rnn.sh explains how;
#     rnn_report.py writes its section of the report);
#  2f. adversarial robustness (issue 17): the MLP trained plainly and
#     adversarially (FGSM 0.1, half of each minibatch), clean / FGSM-0.1 /
#     PGD-0.1 test accuracy from nn_evaluate, beside PyTorch's same recipe
#     (adv_peers.py); adversarial.sh explains how and writes its table;
#  6. prints the markdown report and writes it to test/bench/RESULTS.generated.md
#     (test/bench/RESULTS.md is the edited, committed write-up).
# Raw logs and results.jsonl are kept in the directory printed at the end.
#
# Environment: OPENBLAS_* variables are left as they are: the server
# inherits them (test/lib.sh passes them to postgres), and so do the peers
# and the floor, so every contestant runs the same OpenBLAS kernel; the
# report names the kernel OpenBLAS picked. Knobs:
#   NN_BENCH_QUICK=1     fewer repetitions and no scaling/variant floors (a smoke
#                        run); the CNN part trains 1 epoch on 10,000 rows
#   NN_BENCH_CNN=1|0|only  the CNN part (2d): run it (default), skip it, or run
#                        only it (load the data, the CNN part, its report)
#   NN_BENCH_RNN=1|0|only  the recurrent part (2e): run it (default), skip it,
#                        or run only it; with NN_BENCH_CNN=only too, both and
#                        nothing else
#   NN_BENCH_ADV=1|0|only  the adversarial part (2f): run it (default), skip
#                        it, or run only it (load the data, the part, its table)
#   NN_BENCH_ADV_ROWS=N  test rows the attacks are evaluated on (default 10000)
#   NN_BENCH_COMPRESS=1|0|only  the compressed models of issue 17 (compress.sh:
#                        nn_strip and nn_quantize of the MLP and the CNN; bytes,
#                        accuracy, per-row scoring float against int8): run it
#                        (default), skip it, or run only it
#   NN_BENCH_CNN_EPOCHS=N  the CNN runs' epochs (default 10; a speed check can take 2)
#   NN_BENCH_RNN_EPOCHS=N  the recurrent runs' epochs (default 10, 1 in a quick run)
#   NN_BENCH_RNN_SEEDS="1 2 3"  the LSTM's seeds (default "1"; the GRU: seed 1)
#   NN_BENCH_RNN_THREADS=1|2  the thread count of the recurrent full runs
#                        (default 1); the other count is timed on
#                        NN_BENCH_RNN_OTHER_EPOCHS epochs (default 2)
#   NN_BENCH_ACC_SEEDS="1 2 3"  the seeds of the main network's accuracy row,
#                        a mean over them for nn and each peer (seed 1 is the
#                        main run; each other seed adds a 10-epoch run of each)
#   NN_BENCH_SEEDS="1 2 3"   the seeds of the CNN runs (default "1"; the
#                        separable variant and the other thread count: seed 1)
#   NN_BENCH_CNN_THREADS=2|1  the thread count of the CNN's full runs, on both
#                        sides (default 2); the other count is timed on 2
#                        epochs (1 in a quick run)
#   TORCH_THREADS=auto|1|2   PyTorch intra-op threads (default auto: the faster of 1 and 2)
#   NN_PGPORT            the throwaway cluster's port (default 54329)
#   NN_BENCH_OUT         directory for logs (default: a new /tmp/nn-bench.XXXXXX)
#   NN_BENCH_SKIP_BUILD=1  benchmark the nn already installed (no make / make install)
#   NN_BENCH_REPORT      where to write the report (default test/bench/RESULTS.generated.md)
#   OPENBLAS_CORETYPE    e.g. SkylakeX: OpenBLAS 0.3.21 does not know every recent
#                        CPU and may fall back to a slow generic kernel (Prescott);
#                        set, it applies to nn, the peers and the floor alike
set -euo pipefail
BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=test/lib.sh
source "$BENCH/../lib.sh"

PY=/usr/bin/python3   # Debian's interpreter: it sees python3-sklearn / -torch / -numpy
QUICK=${NN_BENCH_QUICK:-0}
ACC_SEEDS=${NN_BENCH_ACC_SEEDS:-1 2 3}
CNN=${NN_BENCH_CNN:-1}
case "$CNN" in 0|1|only) ;; *) echo "NN_BENCH_CNN is 1, 0 or only, not '$CNN'" >&2; exit 2 ;; esac
RNN=${NN_BENCH_RNN:-1}
case "$RNN" in 0|1|only) ;; *) echo "NN_BENCH_RNN is 1, 0 or only, not '$RNN'" >&2; exit 2 ;; esac
ADV=${NN_BENCH_ADV:-1}
case "$ADV" in 0|1|only) ;; *) echo "NN_BENCH_ADV is 1, 0 or only, not '$ADV'" >&2; exit 2 ;; esac
# "only" for one part: that part (or the "only" parts) and nothing else
if [ "$ADV" = only ]; then
    [ "$CNN" != only ] && CNN=0
    [ "$RNN" != only ] && RNN=0
fi
if [ "$CNN" = only ] && [ "$RNN" != only ]; then RNN=0; fi
if [ "$RNN" = only ] && [ "$CNN" != only ]; then CNN=0; fi
if [ "$CNN" = only ] || [ "$RNN" = only ]; then [ "$ADV" != only ] && ADV=0; fi
ONLY=0
if [ "$CNN" = only ] || [ "$RNN" = only ] || [ "$ADV" = only ]; then ONLY=1; fi
COMPRESS=${NN_BENCH_COMPRESS:-1}
case "$COMPRESS" in 0|1|only) ;; *) echo "NN_BENCH_COMPRESS is 1, 0 or only, not '$COMPRESS'" >&2; exit 2 ;; esac
OUT=${NN_BENCH_OUT:-$(mktemp -d -t nn-bench.XXXXXX)}
mkdir -p "$OUT"
RES="$OUT/results.jsonl"
: >"$RES"
T_SCRIPT=$(date +%s)

if [ "$QUICK" = 1 ]; then LAYOUT_RUNS=1; SCORE_REPS=1; FLOOR_REPS=2; ROUNDS=0; SCORE_ROUNDS=0; else LAYOUT_RUNS=3; SCORE_REPS=3; FLOOR_REPS=5; ROUNDS=3; SCORE_ROUNDS=5; fi

# each phase line shows the load average: other work on the machine skews every timing
say() { printf '\n=== [%4ss] %s   (load average %s)\n' "$(( $(date +%s) - T_SCRIPT ))" "$*" "$(cut -d' ' -f1-3 /proc/loadavg)"; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
record() { printf '%s\n' "$1" >>"$RES"; }
# prefix each line with the wall-clock time it was read (microseconds)
stamp() { local line; while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
json_list() { local IFS=,; printf '[%s]' "$*"; }
kv() { "$PY" "$BENCH/report.py" kv "$@"; }   # kv k=v ...: one JSON object (values parsed as JSON if they are)
# write_report report|report-cnn: the markdown report (report.py's command) to
# NN_BENCH_REPORT and the terminal
write_report() {
    say "report"
    record "$(kv kind=end loadavg="$(cut -d' ' -f1-3 /proc/loadavg)" total_s="$(( $(date +%s) - T_SCRIPT ))")"
    local report=${NN_BENCH_REPORT:-$BENCH/RESULTS.generated.md}
    "$PY" "$BENCH/report.py" "$1" "$RES" >"$report"
    # the adversarial part writes its own table (adversarial.sh)
    if [ -s "$OUT/adversarial.md" ]; then cat "$OUT/adversarial.md" >>"$report"; fi
    cat "$report"
    echo "written: $report; logs and results.jsonl: $OUT"
    echo "total: $(( $(date +%s) - T_SCRIPT )) s"
}
# shellcheck source=test/bench/cnn.sh
source "$BENCH/cnn.sh"
# shellcheck source=test/bench/rnn.sh
source "$BENCH/rnn.sh"
# shellcheck source=test/bench/adversarial.sh
source "$BENCH/adversarial.sh"
# shellcheck source=test/bench/compress.sh
source "$BENCH/compress.sh"

POLL_PID=""
bench_cleanup() {
    if [ -n "$POLL_PID" ]; then kill "$POLL_PID" 2>/dev/null || true; wait "$POLL_PID" 2>/dev/null || true; fi
    nn_cluster_stop
}

# ---------------------------------------------------------------- 0. setup
say "packages, build, install"
nn_ensure_packages "${NN_BASE_PACKAGES[@]}" python3 dataset-fashion-mnist \
    python3-numpy python3-sklearn python3-torch python3-threadpoolctl
if [ "${NN_BENCH_SKIP_BUILD:-0}" = 1 ]; then
    echo "NN_BENCH_SKIP_BUILD=1: using the nn already installed"
else
    nn_build_install "$OUT/build.log" >/dev/null || { tail -n 30 "$OUT/build.log"; exit 1; }
fi
gcc -std=c11 -O2 -Wall -Wextra -o "$OUT/sgemm_floor" "$BENCH/sgemm_floor.c" -lopenblas

blas_env=$(env | grep -E '^(OPENBLAS|GOTO|OMP)_' | tr '\n' ' ' | sed 's/ $//' || true)
core_info=$("$OUT/sgemm_floor" --reps 1 1 1 1 1)   # a trivial run just to ask OpenBLAS
openblas_core=$(printf '%s' "$core_info" | sed -n 's/.*"core": "\([^"]*\)".*/\1/p')
openblas_threads=$(printf '%s' "$core_info" | sed -n 's/.*"threads": \([0-9]*\).*/\1/p')
notes="full run: $LAYOUT_RUNS runs per storage layout, scoring median of $SCORE_REPS, floor median of $FLOOR_REPS, scaling 3 epochs per point"
[ "$QUICK" = 1 ] && notes="QUICK run (NN_BENCH_QUICK=1): 1 run per layout, 1 scoring run, floor median of 2, no scaling: numbers are rough"
if [ "$ONLY" = 1 ]; then
    notes="alone (NN_BENCH_CNN=$CNN, NN_BENCH_RNN=$RNN):"
    if [ "$CNN" = only ]; then notes="$notes the CNN part, $CNN_EPOCHS epoch(s);"; fi
    if [ "$RNN" = only ]; then notes="$notes the recurrent part, $RNN_EPOCHS epoch(s);"; fi
    if [ "$ADV" = only ]; then notes="$notes the adversarial part, $ADV_EPOCHS epoch(s);"; fi
    if [ "$QUICK" = 1 ]; then notes="$notes QUICK: 10,000 rows"; fi
    notes=${notes%;}
fi
record "$("$PY" - "$blas_env" "$openblas_core" "$openblas_threads" "$notes" <<'PYEOF'
import json, os, subprocess, sys
def sh(c):
    try:
        return subprocess.run(c, shell=True, capture_output=True, text=True).stdout.strip()
    except Exception:
        return "?"
mem_kb = int(open("/proc/meminfo").read().split("MemTotal:")[1].split()[0])
info = {}
for l in open("/proc/cpuinfo"):
    k, _, v = l.partition(":")
    info.setdefault(k.strip(), v.strip())
flags = info.get("flags", "").split()
cpu_id = (f"family {info.get('cpu family', '?')}, model {info.get('model', '?')}; "
          + (", ".join(n for f, n in (("avx2", "AVX2"), ("fma", "FMA"), ("avx512f", "AVX-512F"))
                       if f in flags) or "no AVX2"))
print(json.dumps({
    "kind": "env",
    "date": sh("date -u"),
    "nproc": os.cpu_count(),
    "cpu": info.get("model name", "?"),
    "cpu_id": cpu_id,
    "mem": f"{mem_kb / 2**20:.1f} GiB",
    "loadavg": open("/proc/loadavg").read().split()[:3],
    "openblas": sh("dpkg-query -W -f='${Version}' libopenblas0-pthread 2>/dev/null || dpkg-query -W -f='${Version}' libopenblas0"),
    "openblas_core": sys.argv[2], "openblas_threads": sys.argv[3],
    "blas_env": sys.argv[1],
    "pg_version": sh("/usr/lib/postgresql/15/bin/postgres --version"),
    "commit": sh("git -C " + os.environ["REPO"] + " rev-parse --short HEAD"),
    "dirty": bool(sh("git -C " + os.environ["REPO"] + " status --porcelain -- src sql nn--1.0.sql Makefile")),
    "notes": sys.argv[4],
}))
PYEOF
)"
if awk -v l="$(cut -d' ' -f1 /proc/loadavg)" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }'; then
    echo "WARNING: the machine is busy (load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores): every timing below is skewed"
fi
echo "OpenBLAS core: $openblas_core, $openblas_threads threads; BLAS environment: ${blas_env:-none}"
[ -z "${OPENBLAS_CORETYPE+x}" ] && echo "note: OPENBLAS_CORETYPE is not set; OpenBLAS picked '$openblas_core' by itself"

nn_cluster_start
# Both cores for nn's training and batch scoring (nn.blas_threads: the
# default, 0, resolves to 2 on a 2-core machine; 2 is set so that a machine
# with other settings measures the same).  NN_BLAS_THREADS=1 measures one.
export PGOPTIONS="${PGOPTIONS:-} -c nn.blas_threads=${NN_BLAS_THREADS:-2}"
echo "nn.blas_threads = ${NN_BLAS_THREADS:-2}"
trap bench_cleanup EXIT
nn_psql -c 'CREATE EXTENSION nn'

# ---------------------------------------------------------------- 1. load, layouts
say "loading Fashion-MNIST"
nn_psql <<'SQL'
CREATE TABLE fm_train (label int, pixels real[]);
CREATE TABLE fm_test  (label int, pixels real[]);
SQL
declare -A load_s
for split in train test; do
    t0=$(now)
    "$PY" "$REPO/test/load_fashion_mnist.py" "$split" | nn_psql -c "COPY fm_$split FROM STDIN"
    load_s[$split]=$(secs "$t0" "$(now)")
done
t0=$(now)
nn_psql -c 'VACUUM (ANALYZE) fm_train' -c 'VACUUM (ANALYZE) fm_test'
t_analyze=$(secs "$t0" "$(now)")
record "{\"kind\": \"load\", \"train_s\": ${load_s[train]}, \"test_s\": ${load_s[test]}, \"analyze_s\": $t_analyze}"
echo "COPY train ${load_s[train]} s, test ${load_s[test]} s, VACUUM ANALYZE $t_analyze s"

# make_layout NEW SRC STORAGE: a copy of SRC whose pixels are stored as
# STORAGE. pixels[1:784] builds a fresh, uncompressed array: INSERT ... SELECT
# of the value itself would keep the source's (possibly compressed) bytes.
make_layout() {
    nn_psql -v new="$1" -v src="$2" -v st="$3" <<'SQL'
CREATE TABLE :"new" (label int, pixels real[]);
ALTER TABLE :"new" ALTER COLUMN pixels SET STORAGE :st;
INSERT INTO :"new" SELECT label, pixels[1:784] FROM :"src";
VACUUM (ANALYZE) :"new";
SQL
}

# ---- timed training runs
# timed_train TAG SRC OPTS SQL [KEY=VALUE...]: SQL (a training statement
# that may use the psql variables :'src' and :'opts') in a fresh session
# named nn_bench_TAG, after $TIMED_SETUP (SQL, untimed) when set.  Appends a
# "train" record (per-epoch seconds from the verbose NOTICEs, read time,
# backend memory) to $RES; on an error prints it, leaves the log in
# $OUT/train_TAG.err and returns 1.
timed_train() {
    local tag=$1 src=$2 opts=$3 sql=$4; shift 4
    local log="$OUT/train_$tag"
    rm -f "$log.mem"
    mem_poll "nn_bench_$tag" "$log.mem" &
    POLL_PID=$!
    # stdout to a file, stderr (the NOTICEs and \warn marks) stamped on arrival
    if ! printf '%s\n' "${TIMED_SETUP:-}" '\warn BENCH_START' "$sql" '\warn BENCH_END' \
            "SELECT 'vmhwm_kb=' || substring(pg_read_file('/proc/self/status') from 'VmHWM:\\s*(\\d+)');" |
        PGAPPNAME="nn_bench_$tag" nn_psql -At -v src="$src" -v opts="$opts" \
            2>&1 >"$log.out" | stamp >"$log.err"; then
        # (the poller may still be looking for a session that has ended)
        kill "$POLL_PID" 2>/dev/null || true
        wait "$POLL_PID" 2>/dev/null || true
        POLL_PID=""
        echo "nn_train ($tag) failed:" >&2; cat "$log.err" "$log.out" >&2; return 1
    fi
    wait "$POLL_PID" || true
    POLL_PID=""
    local hwm anon=""
    hwm=$(sed -n 's/^vmhwm_kb=//p' "$log.out")
    [ -s "$log.mem" ] && read -r anon _ <"$log.mem"
    "$PY" "$BENCH/report.py" parse-train "$tag" "$log.err" "source=$src" "$@" \
        "vmhwm_mb=$(awk -v k="${hwm:-0}" 'BEGIN { printf "%.1f", k * 1024 / 1e6 }')" \
        "anon_peak_mb=$(awk -v k="${anon:-0}" 'BEGIN { printf "%.1f", k * 1024 / 1e6 }')" >>"$RES" || return 1
    "$PY" "$BENCH/report.py" summary "$RES"
}

# train_run TAG SOURCE HIDDEN OPTIONS STORE [KEY=VALUE...]: nn_train, timed
# (timed_train); STORE=1 keeps the model in table models.
train_run() {
    local tag=$1 src=$2 hidden=$3 opts=$4 store=$5; shift 5
    local call="nn_train(:'src', 'label', '{pixels}', '$hidden'::int[], :'opts'::jsonb)"
    if [ "$store" = 1 ]; then
        timed_train "$tag" "$src" "$opts" \
            "DROP TABLE IF EXISTS models; CREATE TABLE models AS SELECT $call AS model; ANALYZE models;" \
            "hidden=$hidden" "$@"
    else
        timed_train "$tag" "$src" "$opts" "SELECT length($call);" "hidden=$hidden" "$@"
    fi
}

# mem_poll APPNAME OUTFILE: find the backend of that session, sample its
# RssAnon (private memory) every 50 ms until it exits; write "peak_kB".
mem_poll() {
    set +e
    local pid="" k v peak=0
    for _ in $(seq 1 600); do
        pid=$(nn_psql -Atc "SELECT pid FROM pg_stat_activity WHERE application_name = '$1'" 2>/dev/null)
        [ -n "$pid" ] && break
        sleep 0.05
    done
    [ -n "$pid" ] || exit 0
    while [ -r "/proc/$pid/status" ]; do
        while read -r k v _; do
            if [ "$k" = RssAnon: ] && [ "$v" -gt "$peak" ]; then peak=$v; fi
        done <"/proc/$pid/status" 2>/dev/null
        echo "$peak" >"$2"
        sleep 0.05
    done
    exit 0
}

# ---------------------------------------------------------------- compression alone
if [ "$COMPRESS" = only ]; then
    compress_bench
    exit 0
fi

# ---------------------------------------------------------------- 2d, 2e alone
if [ "$ONLY" = 1 ]; then
    TRAIN=fm_train
    [ "$CNN" = only ] && cnn_bench
    [ "$RNN" = only ] && rnn_bench
    [ "$ADV" = only ] && adv_bench
    nn_cluster_stop
    trap - EXIT
    write_report report-nets
    exit 0
fi

say "column storage layouts: nn_train read time (hidden {16}, 1 epoch, best of $LAYOUT_RUNS)"
LAYOUTS=(plain external main extended)
declare -A build_s
for st in "${LAYOUTS[@]}"; do
    t0=$(now)
    make_layout "fm_train_$st" fm_train "$st"
    build_s[$st]=$(secs "$t0" "$(now)")
done
declare -A best_load best_total
for run in $(seq 1 "$LAYOUT_RUNS"); do
    for st in "${LAYOUTS[@]}"; do
        train_run "layout_${st}_$run" "fm_train_$st" '{16}' \
            '{"epochs": 1, "batch_size": 128, "standardize": false, "seed": 1, "verbose": true}' 0
        l=$("$PY" "$BENCH/report.py" get "$RES" train "layout_${st}_$run" load_s)
        tt=$("$PY" "$BENCH/report.py" get "$RES" train "layout_${st}_$run" total_s)
        if [ -z "${best_load[$st]:-}" ] || awk -v a="$l" -v b="${best_load[$st]}" 'BEGIN { exit !(a < b) }'; then
            best_load[$st]=$l; best_total[$st]=$tt
        fi
    done
done
for st in "${LAYOUTS[@]}"; do
    IFS='|' read -r table_mb heap_mb toast_mb compressed < <(nn_psql -At -F '|' -c "
        SELECT round(pg_table_size('fm_train_$st') / 1048576.0, 1),
               round(pg_relation_size('fm_train_$st') / 1048576.0, 1),
               round(coalesce(pg_total_relation_size(nullif(reltoastrelid, 0)), 0) / 1048576.0, 1),
               (SELECT count(*) FROM fm_train_$st WHERE pg_column_compression(pixels) IS NOT NULL)
        FROM pg_class WHERE oid = 'fm_train_$st'::regclass")
    record "{\"kind\": \"layout\", \"tag\": \"$st\", \"runs\": $LAYOUT_RUNS, \"load_s\": ${best_load[$st]}, \"total_s\": ${best_total[$st]}, \"table_mb\": $table_mb, \"heap_mb\": $heap_mb, \"toast_mb\": $toast_mb, \"compressed_rows\": $compressed, \"copy_s\": ${build_s[$st]}}"
    printf '  %-9s read %6.3f s  (nn_train %6.3f s)  table %6s MB (heap %s, TOAST %s), %s compressed values\n' \
        "$st" "${best_load[$st]}" "${best_total[$st]}" "$table_mb" "$heap_mb" "$toast_mb" "$compressed"
done
BEST=$("$PY" "$BENCH/report.py" best-layout "$RES")
record "{\"kind\": \"best_layout\", \"tag\": \"$BEST\"}"
echo "chosen layout (fastest read; of reads within 30% or 0.2 s of it, the lowest backend peak): $BEST; fm_train_$BEST is the training source, fm_test is rebuilt as $BEST"
for st in "${LAYOUTS[@]}"; do
    [ "$st" = "$BEST" ] || nn_psql -c "DROP TABLE fm_train_$st"
done
make_layout fm_test_b fm_test "$BEST"
nn_psql -c 'DROP TABLE fm_test' -c 'ALTER TABLE fm_test_b RENAME TO fm_test'
TRAIN="fm_train_$BEST"

# ---------------------------------------------------------------- 2. nn
say "nn_train 784-256-128-10, 10 epochs"
MAIN_OPTS='{"epochs": 10, "batch_size": 128, "learning_rate": 0.001, "optimizer": "adam", "standardize": false, "seed": 1, "verbose": true}'
train_run main "$TRAIN" '{256,128}' "$MAIN_OPTS" 1 rows=60000

say "scoring fm_test (accuracy, per row, batch)"
accuracy=$(nn_psql -At -c "SELECT avg((nn_predict(m.model, t.pixels) = t.label)::int) FROM fm_test t, models m")
n_test=$(nn_psql -At -c 'SELECT count(*) FROM fm_test')
model_kb=$(nn_psql -At -c 'SELECT length(model) / 1024 FROM models')
plan=$(nn_psql -At -c "EXPLAIN SELECT count(*) FROM fm_test t, models m WHERE nn_predict(m.model, t.pixels) = t.label" |
    grep -oE 'Workers Planned: [0-9]+' || echo 'not parallel')
echo "test accuracy $accuracy ($n_test rows, model $model_kb kB); per-row plan: $plan"
record "$(kv kind=accuracy_seed peer=nn seed=1 test_accuracy="$accuracy")"
# the same network with the other seeds of the accuracy row (model, shuffle)
for s in $ACC_SEEDS; do
    [ "$s" = 1 ] && continue
    acc_s=$(nn_psql -At -c "SELECT avg((nn_predict(m, t.pixels) = t.label)::int)
        FROM fm_test t, (SELECT nn_train('$TRAIN', 'label', '{pixels}', '{256,128}',
            '${MAIN_OPTS/\"seed\": 1, \"verbose\": true/\"seed\": $s}') AS m) s")
    echo "test accuracy with seed $s: $acc_s"
    record "$(kv kind=accuracy_seed peer=nn seed="$s" test_accuracy="$acc_s")"
done

# time_sql REPS SQL [SETUP]: one session (SETUP run first, untimed), \timing
# on, results discarded; prints seconds, one per line
time_sql() {
    local reps=$1 sql=$2 setup=${3:-}
    {
        [ -z "$setup" ] || printf '%s;\n' "$setup"
        printf '%s\n' '\timing on' '\o /dev/null'
        for _ in $(seq 1 "$reps"); do printf '%s;\n' "$sql"; done
    } | nn_psql | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | awk '{ printf "%.4f\n", $1 / 1000 }'
}
# Per-row scoring runs in parallel workers (the plan below), one row per
# call, each layer one matrix-vector product (nn.row_product: sgemv, or
# OpenBLAS's level-1 routines); OpenBLAS threads on top of the workers
# oversubscribe the 2 cores (measured with sgemv: 0.62 s with 2 threads
# against 0.40-0.54 s with 1), so it is timed at nn.blas_threads = 1, the
# default.
mapfile -t per_row < <(time_sql "$SCORE_REPS" \
    "SELECT count(*) FROM fm_test t, models m WHERE nn_predict(m.model, t.pixels) = t.label" \
    "SET nn.blas_threads = 1")
per_row_s=$(median "${per_row[@]}")
# nn.row_product: auto (the default, timed above) picks by the OpenBLAS
# kernel; the per-row query again with each explicit choice, for the record
row_product=$(nn_psql -At -c "SELECT length(nn_init(1, '{1}', 1)) > 0" -c "SHOW nn.row_product" -c "SHOW nn.blas_core" | tail -n 2 | paste -sd ' ')
mapfile -t per_row_gemv < <(time_sql "$SCORE_REPS" \
    "SELECT count(*) FROM fm_test t, models m WHERE nn_predict(m.model, t.pixels) = t.label" \
    "SET nn.blas_threads = 1; SET nn.row_product = gemv")
mapfile -t per_row_level1 < <(time_sql "$SCORE_REPS" \
    "SELECT count(*) FROM fm_test t, models m WHERE nn_predict(m.model, t.pixels) = t.label" \
    "SET nn.blas_threads = 1; SET nn.row_product = level1")
echo "per row by row product: gemv ${per_row_gemv[*]} s, level1 ${per_row_level1[*]} s (setting, kernel: $row_product)"
# PostgreSQL plans 2 workers for fm_test whatever the core count: with the
# leader that is 3 processes on this machine's cores; again with workers +
# leader = cores, for the record
cores=$(nproc)
mapfile -t per_row_fit < <(time_sql "$SCORE_REPS" \
    "SELECT count(*) FROM fm_test t, models m WHERE nn_predict(m.model, t.pixels) = t.label" \
    "SET nn.blas_threads = 1; SET max_parallel_workers_per_gather = $((cores > 1 ? cores - 1 : 1))")
echo "per row with max_parallel_workers_per_gather = $((cores > 1 ? cores - 1 : 1)): ${per_row_fit[*]} s"
mapfile -t rd < <(time_sql "$SCORE_REPS" "SELECT sum(cardinality(pixels)) FROM fm_test")
read_s=$(median "${rd[@]}")
echo "per row: ${per_row[*]} s (median $per_row_s s); reading the arrays alone: $read_s s"
has_batch=$(nn_psql -At -c "SELECT EXISTS (SELECT 1 FROM pg_proc WHERE proname = 'nn_predict_batch')")
BATCH_SQL="SELECT cardinality(nn_predict_batch(m.model, (SELECT array_agg(pixels ORDER BY ctid) FROM fm_test))) FROM models m"
batch_s=null; batch_rps=null; batch_note="nn_predict_batch does not exist in this build"
if [ "$has_batch" = t ]; then
    if mapfile -t bt < <(time_sql "$SCORE_REPS" "$BATCH_SQL") && [ "${#bt[@]}" -gt 0 ]; then
        batch_s=$(median "${bt[@]}")
        batch_rps=$(awk -v n="$n_test" -v s="$batch_s" 'BEGIN { printf "%.1f", n / s }')
        # (scalar subqueries: each runs once; a CTE referenced in a join could be
        # inlined and call nn_predict_batch once per output row)
        batch_acc=$(nn_psql -At -c "
            SELECT avg((p.v = l.v)::int)
            FROM unnest((SELECT nn_predict_batch(m.model, (SELECT array_agg(pixels ORDER BY ctid) FROM fm_test)) FROM models m))
                   WITH ORDINALITY p(v, i)
            JOIN unnest((SELECT array_agg(label ORDER BY ctid) FROM fm_test)) WITH ORDINALITY l(v, i) USING (i)" 2>&1) ||
            batch_acc="error"
        mapfile -t agg < <(time_sql "$SCORE_REPS" "SELECT cardinality(array_agg(pixels ORDER BY ctid)) FROM fm_test")
        batch_note="one call on a 2-D real[] of all $n_test rows, array_agg included, median of ${#bt[@]}: ${bt[*]} s, of which building the array (array_agg alone) $(median "${agg[@]}") s; accuracy of its predictions $batch_acc"
    else
        batch_note="nn_predict_batch exists but the query failed (see $OUT)"
        time_sql 1 "$BATCH_SQL" >"$OUT/batch_error.txt" 2>&1 || true
    fi
fi
echo "batch: $batch_note"
# The window path (nn 1.2): each row's prediction in an ordinary query, the
# rows scored 256 at a time, no array built.  Checked against the labels too.
WINDOW_SQL="SELECT count(*) FROM (SELECT t.label, nn_predict_window(m.model, t.pixels) OVER () AS p FROM fm_test t, models m) s WHERE p = label"
window_s=null; window_rps=null; window_note="nn_predict_window does not exist in this build"
has_window=$(nn_psql -At -c "SELECT EXISTS (SELECT 1 FROM pg_proc WHERE proname = 'nn_predict_window')")
if [ "$has_window" = t ]; then
    mapfile -t wt < <(time_sql "$SCORE_REPS" "$WINDOW_SQL" "SET nn.blas_threads = 2")
    window_s=$(median "${wt[@]}")
    window_rps=$(awk -v n="$n_test" -v s="$window_s" 'BEGIN { printf "%.1f", n / s }')
    window_hits=$(nn_psql -At -c "$WINDOW_SQL")
    window_note="nn_predict_window(model, pixels) OVER () over all $n_test rows, median of ${#wt[@]}: ${wt[*]} s; $window_hits rows predicted right"
fi
echo "window: $window_note"
# nn in shared_preload_libraries (a restart): parallel workers are forked
# with nn and OpenBLAS loaded instead of loading them in every query; the
# per-row query again, then the setting is taken back (another restart)
bench_restart() {
    nn_as_postgres "$PGBIN/pg_ctl" -D "$NN_PGDATA" -l "$NN_TMP/server.log" -s -w -t 60 -m fast restart
}
per_row_preload=()
if nn_psql -c "ALTER SYSTEM SET shared_preload_libraries = 'nn'" && bench_restart; then
    mapfile -t per_row_preload < <(time_sql "$SCORE_REPS" \
        "SELECT count(*) FROM fm_test t, models m WHERE nn_predict(m.model, t.pixels) = t.label" \
        "SET nn.blas_threads = 1")
fi
nn_psql -c "ALTER SYSTEM RESET shared_preload_libraries"
bench_restart
echo "per row with shared_preload_libraries = 'nn': ${per_row_preload[*]:-not measured} s"
record "$(kv kind=score rows="$n_test" accuracy="$accuracy" model_kb="$model_kb" reps="${#per_row[@]}" \
    per_row_all="$(json_list "${per_row[@]}")" per_row_s="$per_row_s" \
    per_row_rows_per_s="$(awk -v n="$n_test" -v s="$per_row_s" 'BEGIN { printf "%.1f", n / s }')" \
    row_product="$row_product" per_row_gemv_s="$(median "${per_row_gemv[@]}")" \
    per_row_level1_s="$(median "${per_row_level1[@]}")" \
    per_row_fit_s="$(median "${per_row_fit[@]}")" per_row_fit_workers="$((cores > 1 ? cores - 1 : 1))" \
    per_row_preload_s="$( [ ${#per_row_preload[@]} -gt 0 ] && median "${per_row_preload[@]}" || echo null)" \
    plan="$plan" read_s="$read_s" batch_s="$batch_s" batch_rows_per_s="$batch_rps" batch_note="$batch_note" \
    window_s="$window_s" window_rows_per_s="$window_rps" window_note="$window_note")"

# ---------------------------------------------------------------- 5. scaling
# (before the peers: the cluster is still up; the peers and the floor don't need it)
if [ "$QUICK" != 1 ]; then
    SCALE_OPTS='{"epochs": 3, "batch_size": 128, "learning_rate": 0.001, "optimizer": "adam", "standardize": false, "seed": 1, "verbose": true}'
    say "scaling: rows 10k / 30k with {256,128}, widths 64 / 256 / 1024 at 60k (3 epochs each; 60k x {256,128} is the main run)"
    scale_point() {  # TAG ROWS HIDDEN(csv)
        local tag=$1 rows=$2 hidden=$3 src flops
        if [ "$rows" = 60000 ]; then src=$TRAIN; else src="SELECT * FROM $TRAIN LIMIT $rows"; fi
        # shellcheck disable=SC2086
        flops=$("$OUT/sgemm_floor" --flops-only "$rows" 128 784 ${hidden//,/ } 10 | sed -n 's/.*"flops": \([0-9]*\).*/\1/p')
        train_run "$tag" "$src" "{$hidden}" "$SCALE_OPTS" 0 rows="$rows" flops="$flops"
        # shellcheck disable=SC2086
        "$OUT/sgemm_floor" --reps 3 "$rows" 128 784 ${hidden//,/ } 10 |
            sed "s/^{/{\"kind\": \"floor\", \"tag\": \"$tag\", /" >>"$RES"
    }
    scale_point scale_rows_10k 10000 256,128
    scale_point scale_rows_30k 30000 256,128
    # the 60k point of the row series is the main run, re-recorded with its FLOPs
    flops_main=$("$OUT/sgemm_floor" --flops-only 60000 128 784 256 128 10 | sed -n 's/.*"flops": \([0-9]*\).*/\1/p')
    rec60=$("$PY" - "$RES" "$flops_main" <<'PYEOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
m = [r for r in recs if r.get("kind") == "train" and r.get("tag") == "main"][-1]
m = dict(m, tag="scale_rows_60k", flops=int(sys.argv[2]), rows=60000)
print(json.dumps(m))
PYEOF
)
    record "$rec60"
    scale_point scale_width_64 60000 64
    scale_point scale_width_256 60000 256
    scale_point scale_width_1024 60000 1024
fi

# ---------------------------------------------------------------- 2b. rounds
# The machine's speed drifts by tens of percent within minutes, and the
# 10-epoch runs of nn (above) and of the peers (below) are minutes apart.
# Each round trains nn and scikit-learn for 3 epochs back to back, so its
# ratio compares the two at about the same machine speed; the report gives
# every round's ratio and the median of them and the main runs' ratio.
if [ "$QUICK" != 1 ]; then
    say "training rounds: nn_train then scikit-learn, 3 epochs each, back to back ($ROUNDS rounds)"
    ROUND_OPTS=${MAIN_OPTS/\"epochs\": 10/\"epochs\": 3}
    for round in $(seq 1 "$ROUNDS"); do
        train_run "round_$round" "$TRAIN" '{256,128}' "$ROUND_OPTS" 0 "round=$round"
        "$PY" "$BENCH/peers.py" --epochs 3 sklearn 2>>"$OUT/peers.err" |
            sed -n "s/^{\"peer\": \"sklearn\"/{\"peer\": \"round_sklearn\", \"round\": $round/p" | tee -a "$RES" |
            "$PY" -c 'import json, sys; r = json.loads(sys.stdin.read()); print("  scikit-learn round %d: median epoch %.3f s" % (r["round"], r["median_epoch_seconds"]))'
    done
fi

# ---------------------------------------------------------------- 2c. scoring rounds
# The same for the batch path: nn's window query (median of a few runs) and
# PyTorch's batched inference (peers.py torch_score) back to back.
if [ "$QUICK" != 1 ] && [ "$has_window" = t ]; then
    say "scoring rounds: nn_predict_window then PyTorch batched inference, back to back ($SCORE_ROUNDS rounds)"
    for round in $(seq 1 "$SCORE_ROUNDS"); do
        mapfile -t rw < <(time_sql "$SCORE_REPS" "$WINDOW_SQL" "SET nn.blas_threads = 2")
        record "$(kv kind=score_round round="$round" rows="$n_test" window_s="$(median "${rw[@]}")")"
        echo "  round $round: nn_predict_window ${rw[*]} s"
        "$PY" "$BENCH/peers.py" torch_score 2>>"$OUT/peers.err" |
            sed -n "s/^{\"peer\": \"torch_score\"/{\"peer\": \"round_torch_score\", \"round\": $round/p" >>"$RES"
    done
fi

# ---------------------------------------------------------------- 2d. CNN
[ "$CNN" = 1 ] && cnn_bench

# ---------------------------------------------------------------- 2e. recurrent
[ "$RNN" = 1 ] && rnn_bench

# ---------------------------------------------------------------- 2f. adversarial
[ "$ADV" = 1 ] && adv_bench
# ---------------------------------------------------------------- compressed models
[ "$COMPRESS" = 1 ] && compress_bench

nn_cluster_stop
trap - EXIT

# ---------------------------------------------------------------- 3. peers
say "peers: scikit-learn and PyTorch (10 epochs each)"
# a failed peer is reported as n/a, not fatal: the rest of the report still matters
"$PY" "$BENCH/peers.py" >"$OUT/peers.jsonl" 2> >(tee "$OUT/peers.err" >&2) ||
    echo "WARNING: peers.py failed (exit $?); see $OUT/peers.err" >&2
sed 's/"peer": "env"/"peer": "peers_env"/' "$OUT/peers.jsonl" >>"$RES"
grep -E '"peer": "(sklearn|torch)"' "$OUT/peers.jsonl" |
    sed 's/^{/{"kind": "accuracy_seed", /' >>"$RES" || true
for s in $ACC_SEEDS; do
    [ "$s" = 1 ] && continue
    say "peers with seed $s (the accuracy row)"
    "$PY" "$BENCH/peers.py" --seed "$s" sklearn torch 2>>"$OUT/peers.err" |
        grep -E '"peer": "(sklearn|torch)"' | sed 's/^{/{"kind": "accuracy_seed", /' >>"$RES" ||
        echo "WARNING: peers.py --seed $s failed; see $OUT/peers.err" >&2
done

# ---------------------------------------------------------------- 4. floor
say "compute floor: cblas_sgemm at one epoch's shapes (median of $FLOOR_REPS)"
"$OUT/sgemm_floor" --reps "$FLOOR_REPS" 60000 128 784 256 128 10 |
    sed 's/^{/{"kind": "floor", "tag": "main", /' | tee -a "$RES"
if [ "$QUICK" != 1 ]; then
    "$OUT/sgemm_floor" --reps 3 --threads 1 60000 128 784 256 128 10 |
        sed 's/^{/{"kind": "floor", "tag": "1 thread", /' | tee -a "$RES"
    "$OUT/sgemm_floor" --reps 3 --w-in-out 60000 128 784 256 128 10 |
        sed 's/^{/{"kind": "floor", "tag": "W stored in x out", /' | tee -a "$RES"
    if [ -z "${OPENBLAS_CORETYPE+x}" ] && [ "$openblas_core" != SkylakeX ]; then
        OPENBLAS_CORETYPE=SkylakeX "$OUT/sgemm_floor" --reps 3 60000 128 784 256 128 10 |
            sed 's/^{/{"kind": "floor", "tag": "OPENBLAS_CORETYPE=SkylakeX", /' | tee -a "$RES"
    fi
fi

# ---------------------------------------------------------------- 6. report
write_report report
if [ "$COMPRESS" = 1 ]; then
    { echo; cat "$OUT/compress.md"; } >>"${NN_BENCH_REPORT:-$BENCH/RESULTS.generated.md}"
fi
