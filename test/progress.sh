#!/usr/bin/env bash
# Training progress seen from another session (issue 6, "Progress").
#
#   bash test/progress.sh             build, install, throwaway cluster
#   PGHOST=... bash test/progress.sh  use the caller's running cluster
#
# One session trains (verbose, nn.progress_interval = 0) for a few seconds; a
# second samples the nn_progress view every 5 ms meanwhile.  Checks: the watcher sees the training
# backend, its epochs advancing with losses, elapsed and ETA (two or more
# distinct epochs, never decreasing), rows within an epoch (0 < rows_done <
# rows_total, never decreasing within an epoch); the verbose NOTICEs name every epoch; once training returns,
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
    [ -n "${PROGRESS_KEEP:-}" ] || rm -rf "$work"
    nn_cluster_stop
}
trap cleanup EXIT
nn_create_extension "$db"

passed=0 failed=0
check() {  # $1: description, $2: test expression result (0 = pass)
    if [ "$2" = 0 ]; then echo "ok   $1"; passed=$((passed + 1));
    else echo "FAIL $1"; failed=$((failed + 1)); fi
}

# 120k rows x 32 inputs, 4 epochs.  nn.progress_interval = 0 makes the
# trainer report every 1,024 rows within an epoch, so what the watcher can see
# does not depend on how fast the CPU is.
nn_psql -d "$db" -c "CREATE TABLE pts AS
    SELECT i, array_fill((i % 7)::real, ARRAY[32]) AS x, i % 2 AS y FROM generate_series(1, 120000) i"

# watch_training SETTING OUT: a watcher session samples nn_progress every
# 5 ms (a fresh statistics snapshot each time) from before the training
# starts until it ends, into OUT.seen; the training runs with SETTING in its
# own session, its output in OUT.out and OUT.err.  The trainer waits until
# the watcher is active, so no sample is lost to process start-up however
# loaded the machine.  Each waits at most 300 s.
watch_training() {
    local setting="$1" out="$2" watcher
    PGAPPNAME=nn_progress_watcher nn_psql -d "$db" -At -F '|' >"$out.seen" 2>"$out.watch.err" <<'SQL' &
CREATE TEMP TABLE seen AS SELECT 0 AS n, * FROM nn_progress WHERE false;
DO $$
DECLARE
    n int := 0;
    found_any bool := false;
    rows_now int;
BEGIN
    FOR i IN 1 .. 60000 LOOP
        PERFORM pg_stat_clear_snapshot();
        INSERT INTO seen SELECT n, * FROM nn_progress WHERE pid <> pg_backend_pid();
        GET DIAGNOSTICS rows_now = ROW_COUNT;
        n := n + 1;
        EXIT WHEN found_any AND rows_now = 0;
        found_any := found_any OR rows_now > 0;
        PERFORM pg_sleep(0.005);
    END LOOP;
END $$;
SELECT pid, function, phase, epoch, epochs, rows_done, rows_total, train_loss, val_loss,
       val_metric, elapsed_s, eta_s, query LIKE 'SELECT length(nn_train(%'
FROM seen ORDER BY n;
SQL
    watcher=$!
    nn_psql -d "$db" -c "DO \$\$ BEGIN
            FOR i IN 1 .. 30000 LOOP
                PERFORM pg_stat_clear_snapshot();
                EXIT WHEN EXISTS (SELECT FROM pg_stat_activity
                                  WHERE application_name = 'nn_progress_watcher' AND query LIKE '%DO %');
                PERFORM pg_sleep(0.01);
            END LOOP; END \$\$" \
        -c "$setting" \
        -c "SELECT length(nn_train('pts', 'y', '{x}', '{128,128}',
                        '{\"epochs\": 4, \"verbose\": true, \"validation_fraction\": 0.1}')) > 0" \
        >"$out.out" 2>"$out.err" && status=0 || status=1
    wait "$watcher" || true
    touch "$out.seen"
}

# streamed: 15 MB of rows beyond nn.train_memory = 4 MB (rows reported from
# the chunks as they pass)
watch_training "SET nn.progress_interval = 0; SET nn.train_memory = '4MB'" "$work/stream"
check "streamed: training succeeded" "$status"
check "streamed: rows within an epoch were reported (0 < rows_done < rows_total)" \
      "$(awk -F'|' '$6 != "" && $6 > 0 && $6 < $7 && $7 > 100000 && $7 < 116000 {ok=1} END {exit !ok}' "$work/stream.seen"; echo $?)"
# rows held in memory: every other check
watch_training "SET nn.progress_interval = 0" "$work/mem"
cp "$work/mem.seen" "$work/seen"; cp "$work/mem.err" "$work/train.err"

check "training succeeded" "$status"
check "the watcher saw the training backend" "$([ -s "$work/seen" ]; echo $?)"
check "the function is nn_train, the query its own" \
      "$(awk -F'|' '$2 != "nn_train" || $13 != "t" {bad=1} END {exit bad}' "$work/seen"; echo $?)"
check "epochs advanced (epoch 1 of 4 seen with its losses and ETA)" \
      "$(awk -F'|' '$4 >= 1 && $5 == 4 && $8 != "" && $9 != "" && $10 != "" && $12 != "" {ok=1} END {exit !ok}' "$work/seen"; echo $?)"
# rows_total: the training rows, about 90% of 120,000 (the hold-out is drawn
# per row)
check "rows within an epoch were reported (0 < rows_done < rows_total, about 108000)" \
      "$(awk -F'|' '$6 != "" && $6 > 0 && $6 < $7 && $7 > 100000 && $7 < 116000 {ok=1} END {exit !ok}' "$work/seen"; echo $?)"
check "at least two distinct epoch values, never decreasing" \
      "$(awk -F'|' '$4 == "" {next} $4 < last {bad=1} $4 != last {distinct++; last=$4}
                    END {exit bad || distinct < 2}' last=-1 "$work/seen"; echo $?)"
check "rows_done never decreases within an epoch" \
      "$(awk -F'|' '$6 == "" {next} $4 == ep && $6 < rows {bad=1} {ep=$4; rows=$6} END {exit bad}' "$work/seen"; echo $?)"
check "a verbose NOTICE for each of the 4 epochs" \
      "$([ "$(grep -cE 'NOTICE:  epoch [1-4]/4: train_loss .*, val_loss .*, val_accuracy .*, elapsed .* s, eta .* s' "$work/train.err")" = 4 ]; echo $?)"
check "nn_progress is empty once training returned" \
      "$([ "$(nn_psql -d "$db" -At -c 'SELECT count(*) FROM nn_progress')" = 0 ]; echo $?)"

echo "progress: $passed passed, $failed failed"
[ "$failed" = 0 ]
