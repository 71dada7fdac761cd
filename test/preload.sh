#!/usr/bin/env bash
# nn loaded at server start (shared_preload_libraries = 'nn'), the README's
# tip for servers that score in parallel queries: every parallel worker is
# then forked with nn and OpenBLAS already loaded.  Loading OpenBLAS starts
# its thread pool, and a postmaster must stay single-threaded: nn stops the
# pool when nn.blas_threads is 1 (src/shared/settings.c), and OpenBLAS's own fork handler
# stops it before every fork anyway.  Checks, on a cluster of its own:
#   - the postmaster runs on one thread with nn loaded;
#   - a backend trains on 2 OpenBLAS threads (the pool starts again in the
#     backend), to the same bytes in two sessions;
#   - a parallel per-row query, workers launched, scores as a serial one;
#   - statement_timeout and pg_cancel_backend stop a training on 2 threads;
#   - afterwards the postmaster still has one thread and no server process
#     died.
# Each check prints PASS or FAIL; the last line is "preload: N passed, N
# failed".  NN_PGPORT (default 54348).
set -euo pipefail
# shellcheck source=test/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

nn_ensure_packages "${NN_BASE_PACKAGES[@]}"
nn_build_install >/dev/null
NN_PGPORT="${NN_PGPORT:-54348}" NN_EXTRA_CONF="shared_preload_libraries = 'nn'" \
    nn_cluster_start >/dev/null

q() { nn_psql -At -c "$1"; }
postmaster_threads() { find "/proc/$(head -n 1 "$NN_PGDATA/postmaster.pid")/task" -mindepth 1 -maxdepth 1 | wc -l; }

nn_check "nn is loaded at server start" \
    "$(q "SELECT current_setting('shared_preload_libraries') || ' ' || (current_setting('nn.blas_core') <> '')")" "nn true"
nn_check "the postmaster runs on one thread" "$(postmaster_threads)" "1"

q "CREATE EXTENSION nn" >/dev/null
q "CREATE TABLE pts AS
   SELECT ARRAY[(i % 13)::real, (i % 7)::real, (i % 5)::real, sin(i)::real] AS x,
          (i % 13 + i % 7 > 9)::int AS y
   FROM generate_series(1, 20000) i;
   ANALYZE pts" >/dev/null
train="SELECT md5(nn_train('pts', 'y', '{x}', '{256,256}',
                           '{\"epochs\": 2, \"batch_size\": 1024, \"seed\": 5}'))"
first="$(PGOPTIONS='-c nn.blas_threads=2' q "$train")"
nn_check "training on 2 threads gives the same bytes in two sessions" \
    "$(PGOPTIONS='-c nn.blas_threads=2' q "$train")" "$first"
# OpenBLAS's pool: one thread per core besides the backend's own
expected_threads=$(( $(nproc) > 1 ? 2 : 1 ))
nn_check "the backend runs OpenBLAS threads after a product on 2 threads" \
    "$(nn_psql -At -c 'SET nn.blas_threads = 2' -c "$train" \
        -c "SELECT least(count(*), 2) FROM pg_ls_dir('/proc/' || pg_backend_pid() || '/task')" | tail -n 1)" \
    "$expected_threads"

q "CREATE TABLE model AS SELECT nn_train('pts', 'y', '{x}', '{16}', '{\"epochs\": 2, \"seed\": 5}') AS m" >/dev/null
score="SELECT sum(nn_predict(m.model, p.x) * (1 + p.x[1])) FROM pts p, (SELECT m AS model FROM model) m"
parallel="SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
          SET max_parallel_workers_per_gather = 2;"
nn_check "a parallel per-row query launches workers" \
    "$(nn_psql -At -c "$parallel EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) $score" |
        grep -oE 'Workers Launched: [0-9]+' | head -n 1)" "Workers Launched: 2"
nn_check "it scores as a serial one" \
    "$(nn_psql -At -c "$parallel $score")" \
    "$(nn_psql -At -c "SET max_parallel_workers_per_gather = 0; $score")"

long="SELECT nn_train('pts', 'y', '{x}', '{1024,1024}', '{\"epochs\": 1000, \"batch_size\": 64}')"
nn_check "statement_timeout stops a training on 2 threads" \
    "$(PGOPTIONS='-c nn.blas_threads=2 -c statement_timeout=1s' q "$long" 2>&1 | grep -c 'statement timeout' || true)" "1"
PGAPPNAME=nn_preload_cancel PGOPTIONS='-c nn.blas_threads=2' q "$long" >"$NN_TMP/cancel.out" 2>&1 &
bg=$!
for _ in $(seq 1 100); do
    [ "$(q "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'nn_preload_cancel' AND state = 'active'")" = 1 ] && break
    sleep 0.1
done
sleep 0.5
q "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'nn_preload_cancel'" >/dev/null
wait "$bg" || true
nn_check "pg_cancel_backend stops a training on 2 threads" \
    "$(grep -c 'canceling statement due to user request' "$NN_TMP/cancel.out" || true)" "1"

nn_check "the postmaster still runs on one thread" "$(postmaster_threads)" "1"
nn_check "no server process died" \
    "$(grep -cE 'terminated by signal|was terminated|server process .* exited with exit code [^0]' "$NN_TMP/server.log" || true)" "0"

echo "preload: $NN_PASSED passed, $NN_FAILED failed"
[ "$NN_FAILED" = 0 ]
