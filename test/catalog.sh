#!/usr/bin/env bash
# The model catalog across sessions and through pg_dump, which pg_regress
# (one session, one database) cannot test:
#   - session A scores by name, session B deploys another version, and A's
#     next statement scores with it (the relcache invalidation the trigger
#     on nn_models sends), also when A read the catalog inside a REPEATABLE
#     READ transaction that started before the deployment;
#   - two sessions registering the same name at once both succeed, one
#     after the other (the advisory lock), and four sessions registering in
#     a loop number their versions 1..N without a gap;
#   - pg_dump keeps nn_models' rows: a restored database scores by name the
#     same as the original.
# Each check prints PASS or FAIL; the last line is "catalog: N passed, N
# failed".  Uses the cluster of the caller when PGHOST is set
# (run_tests.sh), else builds, installs and starts its own.
set -euo pipefail
# shellcheck source=test/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ -z "${PGHOST:-}" ]; then
    nn_ensure_packages "${NN_BASE_PACKAGES[@]}"
    nn_build_install >/dev/null
    nn_cluster_start
fi
db="nn_catalog_$$"
restored="nn_catalog_restored_$$"
work="$(mktemp -d)"
chmod 755 "$work"
a_pid=""
cleanup() {
    [ -n "$a_pid" ] && kill "$a_pid" 2>/dev/null || true
    exec 3>&- 2>/dev/null || true
    nn_psql -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
    nn_psql -c "DROP DATABASE IF EXISTS $restored" >/dev/null 2>&1 || true
    rm -rf "$work"
    nn_cluster_stop
}
trap cleanup EXIT

q() { nn_psql -d "$db" -At -c "$1"; }

nn_psql -c "CREATE DATABASE $db"
nn_create_extension "$db"
q "CREATE TABLE pts AS
   SELECT (i % 7)::real AS a, (i % 5)::real AS b, ((i % 7) + 2 * (i % 5))::real AS y
   FROM generate_series(1, 200) i;
   CREATE TABLE trained AS
   SELECT e AS epochs, nn_train('SELECT a, b, y FROM pts', 'y', NULL, '{8}',
                                jsonb_build_object('epochs', e, 'seed', 1)) AS m
   FROM (VALUES (2), (60)) v(e);
   SELECT nn_register('m', m) FROM trained WHERE epochs = 2;
   SELECT nn_register('m', m) FROM trained WHERE epochs = 60;" >/dev/null
score="round(nn_predict('m', ARRAY[3, 4]::real[])::numeric, 5)"
v1="$(q "SELECT round(nn_predict(m, ARRAY[3, 4]::real[])::numeric, 5) FROM trained WHERE epochs = 2")"
v2="$(q "SELECT round(nn_predict(m, ARRAY[3, 4]::real[])::numeric, 5) FROM trained WHERE epochs = 60")"
if [ "$v1" = "$v2" ]; then
    echo "FAIL setup: versions 1 and 2 predict the same ($v1)"; NN_FAILED=$((NN_FAILED + 1))
fi

# ---- session A: one psql kept open, fed through a FIFO
mkfifo "$work/a.in"
psql -X -q -At -d "$db" <"$work/a.in" >"$work/a.out" 2>&1 &
a_pid=$!
exec 3>"$work/a.in"
a() {  # run SQL in session A and print what it printed (callers use $(a ...),
       # a subshell: the step number comes from the markers in the file)
    local start tries=0 a_step
    a_step=$(( $(grep -c '^@@' "$work/a.out" || true) + 1 ))
    start="$(wc -l <"$work/a.out")"
    printf '%s\n\\echo @@%d\n' "$1" "$a_step" >&3
    until grep -q "^@@$a_step\$" "$work/a.out"; do
        sleep 0.1; tries=$((tries + 1))
        if [ "$tries" -gt 600 ]; then echo "session A did not answer" >&2; return 1; fi
    done
    tail -n +"$((start + 1))" "$work/a.out" | grep -v '^@@' || true
}
a_pid_pg="$(a "SELECT pg_backend_pid();")"

nn_check "A scores the first (deployed) version" "$(a "SELECT $score;")" "$v1"
q "SELECT nn_deploy('m', 2)" >/dev/null
nn_check "A's next statement scores the version B deployed" "$(a "SELECT $score;")" "$v2"
q "SELECT nn_deploy('m', 1)" >/dev/null
nn_check "and again after B deploys back" "$(a "SELECT $score;")" "$v1"

# A reads the catalog inside a transaction whose snapshot predates B's
# deployment: what it caches must still be the deployed version afterwards
a "BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT 1;" >/dev/null
q "SELECT nn_deploy('m', 2)" >/dev/null
a "SELECT count(*) FROM nn_models;" >/dev/null
a "SELECT $score;" >/dev/null
a "COMMIT;" >/dev/null
nn_check "after a REPEATABLE READ transaction, A scores the deployed version" \
    "$(a "SELECT $score;")" "$v2"
nn_check "all in one backend of A" "$(a "SELECT pg_backend_pid();")" "$a_pid_pg"

# ---- two registrations of one name at once: B waits for A's lock
a "BEGIN; SELECT nn_register('c', m) FROM trained WHERE epochs = 2;" >/dev/null
nn_psql -d "$db" -At -c "SELECT nn_register('c', m) FROM trained WHERE epochs = 60" \
    >"$work/b.out" 2>&1 &
b_pid=$!
waited=no
for _ in $(seq 1 100); do
    if [ "$(q "SELECT count(*) FROM pg_stat_activity
               WHERE datname = current_database() AND wait_event_type = 'Lock'
                 AND query LIKE '%nn_register(''c''%'")" = 1 ]; then
        waited=yes; break
    fi
    sleep 0.1
done
nn_check "B waits while A holds the name's lock" "$waited" "yes"
a "COMMIT;" >/dev/null
b_status=0; wait "$b_pid" || b_status=$?
nn_check "B's registration succeeds after A commits" "$b_status:$(cat "$work/b.out")" "0:2"
nn_check "versions of c" "$(q "SELECT string_agg(version || ':' || deployed, ' ' ORDER BY version)
                            FROM nn_models WHERE name = 'c'")" "1:true 2:false"

# ---- four sessions registering the same name in a loop
pids=()
for s in 1 2 3 4; do
    nn_psql -d "$db" -At -c "SELECT nn_register('r', m) FROM trained WHERE epochs = 2" \
        -c "SELECT nn_register('r', m) FROM trained WHERE epochs = 2" \
        -c "SELECT nn_register('r', m) FROM trained WHERE epochs = 2" \
        -c "SELECT nn_register('r', m) FROM trained WHERE epochs = 2" \
        -c "SELECT nn_register('r', m) FROM trained WHERE epochs = 2" \
        >"$work/r$s.out" 2>&1 &
    pids+=($!)
done
failures=0
for p in "${pids[@]}"; do wait "$p" || failures=$((failures + 1)); done
nn_check "four sessions registering at once all succeed" "$failures" "0"
nn_check "their 20 versions are 1..20, one deployed" \
    "$(q "SELECT count(*) || ' ' || min(version) || ' ' || max(version) || ' ' ||
                 count(*) FILTER (WHERE deployed) FROM nn_models WHERE name = 'r'")" "20 1 20 1"

# ---- pg_dump keeps the catalog's rows
q "SELECT nn_train('SELECT a, b, y FROM pts', 'y', NULL, '{4}',
                   '{\"epochs\": 5, \"seed\": 2, \"name\": \"trained_named\"}') IS NOT NULL" >/dev/null
listing="SELECT string_agg(concat_ws(' ', name, version, deployed, task, n_inputs, bytes, metrics,
                                     created_at, created_by, description), E'\n' ORDER BY name, version)
         FROM nn_list_models()"
scores="SELECT string_agg(name || ' ' || round(nn_predict(name, ARRAY[3, 4]::real[])::numeric, 5),
                          ' ' ORDER BY name)
        FROM (SELECT DISTINCT name FROM nn_models) n"
before_list="$(q "$listing")"
before_scores="$(q "$scores")"
"$PGBIN/pg_dump" -d "$db" -f "$work/dump.sql"
nn_check "the dump has nn_models' rows" \
    "$(grep -c '^COPY public.nn_models ' "$work/dump.sql" || true)" "1"
nn_psql -c "CREATE DATABASE $restored"
nn_psql -d "$restored" -f "$work/dump.sql" >/dev/null 2>"$work/restore.err" || true
nn_check "the dump restores without errors" "$(cat "$work/restore.err")" ""
rq() { nn_psql -d "$restored" -At -c "$1"; }
nn_check "the restored catalog lists the same models" "$(rq "$listing")" "$before_list"
nn_check "the restored catalog scores by name the same" "$(rq "$scores")" "$before_scores"
nn_check "registering in the restored database continues the versions" \
    "$(rq "SELECT nn_register('m', nn_model('m', 1))")" "3"

echo "catalog: $NN_PASSED passed, $NN_FAILED failed"
[ "$NN_FAILED" = 0 ]
