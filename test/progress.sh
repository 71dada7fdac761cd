#!/usr/bin/env bash
# Training progress seen from another session (issue 6, "Progress").
#
#   bash test/progress.sh             build, install, throwaway cluster
#   PGHOST=... bash test/progress.sh  use the caller's running cluster
#
# One session trains (verbose) for a few seconds; a second polls the
# nn_progress view meanwhile.  Checks: the watcher sees the training
# backend, its epochs advancing with losses, elapsed and ETA, and rows within
# an epoch; the verbose NOTICEs name every epoch; once training returns,
# nn_progress is empty and the backend's query text is its own again.
# Prints "progress: N passed, N failed"; exits non-zero on any failure.
set -euo pipefail
# shellcheck source=test/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ -z "${PGHOST:-}" ]; then
    nn_ensure_packages "${NN_BASE_PACKAGES[@]}"
    nn_build_install >/dev/null
    NN_PGPORT="${NN_PGPORT:-54346}" nn_cluster_start >/dev/null
fi
db="nn_progress_$$"
work="$(mktemp -d)"
nn_psql -c "CREATE DATABASE $db"
cleanup() {
    nn_psql -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$work"
    nn_cluster_stop
}
trap cleanup EXIT
nn_create_extension "$db"

passed=0 failed=0
check() {  # $1: description, $2: test expression result (0 = pass)
    if [ "$2" = 0 ]; then echo "ok   $1"; passed=$((passed + 1));
    else echo "FAIL $1"; failed=$((failed + 1)); fi
}

# 120k rows x 32 inputs: an epoch of {128,128} takes a second or more here
nn_psql -d "$db" -c "CREATE TABLE pts AS
    SELECT i, array_fill((i % 7)::real, ARRAY[32]) AS x, i % 2 AS y FROM generate_series(1, 120000) i"
nn_psql -d "$db" -c "SELECT length(nn_train('pts', 'y', '{x}', '{128,128}',
                        '{\"epochs\": 4, \"verbose\": true, \"validation_fraction\": 0.1}')) > 0" \
    >"$work/train.out" 2>"$work/train.err" &
trainer=$!

# poll every 0.2 s while the trainer runs; keep what the watcher saw
while kill -0 "$trainer" 2>/dev/null; do
    nn_psql -d "$db" -At -F '|' -c "SELECT pid, function, phase, epoch, epochs, rows_done, rows_total,
                                           train_loss, val_loss, val_metric, elapsed_s, eta_s,
                                           query LIKE 'SELECT length(nn_train(%'
                                    FROM nn_progress" >>"$work/seen" 2>>"$work/watch.err" || true
    sleep 0.2
done
wait "$trainer"; status=$?
touch "$work/seen"

check "training succeeded" "$status"
check "the watcher saw the training backend" "$([ -s "$work/seen" ]; echo $?)"
check "the function is nn_train, the query its own" \
      "$(awk -F'|' '$2 != "nn_train" || $13 != "t" {bad=1} END {exit bad}' "$work/seen"; echo $?)"
check "epochs advanced (epoch 1 of 4 seen with its losses and ETA)" \
      "$(awk -F'|' '$4 >= 1 && $5 == 4 && $8 != "" && $9 != "" && $10 != "" && $12 != "" {ok=1} END {exit !ok}' "$work/seen"; echo $?)"
check "rows within an epoch were reported" \
      "$(awk -F'|' '$6 != "" && $6 > 0 && $7 == 108000 || $7 > 100000 {ok=1} END {exit !ok}' "$work/seen"; echo $?)"
check "a verbose NOTICE for each of the 4 epochs" \
      "$([ "$(grep -cE 'NOTICE:  epoch [1-4]/4: train_loss .*, val_loss .*, val_accuracy .*, elapsed .* s, eta .* s' "$work/train.err")" = 4 ]; echo $?)"
check "nn_progress is empty once training returned" \
      "$([ "$(nn_psql -d "$db" -At -c 'SELECT count(*) FROM nn_progress')" = 0 ]; echo $?)"

echo "progress: $passed passed, $failed failed"
[ "$failed" = 0 ]
