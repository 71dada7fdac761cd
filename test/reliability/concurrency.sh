#!/usr/bin/env bash
# Concurrency: 8 pgbench clients scoring and 2 training at once.
#
#   bash test/reliability/concurrency.sh            60 s
#   DURATION=20 bash test/reliability/concurrency.sh
#
# Builds and installs nn, starts a throwaway cluster (test/lib.sh) and makes:
#   conc_src        3,000 rows (a 3-class label, a real target, real[16])
#   nn_models       4 models: a trained classifier and regressor, a tiny
#                   untrained classifier stored in line, and a {512,512} one
#                   stored out of line (TOAST)
#   score_rows      20,000 rows of real[16] with a model each (id % 4 + 1) and
#                   the scores one client computed: nn_predict, and for
#                   classifiers nn_predict_class and nn_predict_proba
#   batch_expected  nn_predict_batch of each block of 100 rows, one client
#   train_refs      4 training configurations and the model one client
#                   trained with each
# Then, for DURATION seconds, two pgbench runs at once
# (test/reliability/pgbench/):
#   8 clients: score_one.sql (weight 4), score_mixed.sql (2), score_batch.sql (2)
#   2 clients: train.sql (nn_train, stored in a table, byte-compared with the
#              single-client model)
# Every script turns a mismatch into a division by zero, so a wrong score or
# model is a failed transaction.  The anonymous memory (RssAnon, and VmRSS)
# of every pgbench backend is sampled every 2 s; start, middle and end are
# printed.
#
# Passes when both pgbench runs end with zero failed transactions and no
# aborted client, every stored model matches, the server log shows no crash
# or leak warning, and no backend's peak RssAnon in the second half of the
# run exceeds its peak in the first half by more than CONC_RSS_LIMIT_MB
# (default 16; peaks, because a backend's heap breathes with each query).
set -euo pipefail
# shellcheck source=test/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
export NN_PGPORT="${NN_PGPORT:-54344}"
DURATION="${DURATION:-60}"
RSS_LIMIT_MB="${CONC_RSS_LIMIT_MB:-16}"
ROWS=20000
BLOCKS=$((ROWS / 100))
SCRIPTS="$REPO/test/reliability/pgbench"
PGBENCH="$PGBIN/pgbench"

nn_ensure_packages "${NN_BASE_PACKAGES[@]}"
nn_build_install >/dev/null
nn_cluster_start

echo "setting up (single client)"
nn_psql -v rows="$ROWS" <<'SQL'
CREATE EXTENSION nn;
SELECT setseed(0.5);
CREATE TABLE conc_src AS
SELECT (i % 3) AS y, ((i % 3) + random())::real AS v,
       (SELECT array_agg(((i % 3) * (j % 2) + random())::real) FROM generate_series(1, 16) j) AS f
FROM generate_series(1, 3000) i;

CREATE TABLE nn_models (id int PRIMARY KEY, is_classifier boolean, m bytea);
INSERT INTO nn_models VALUES
  (1, true,  nn_train('conc_src', 'y', ARRAY['f'], '{32,16}', '{"epochs": 3, "seed": 11}')),
  (2, false, nn_train('conc_src', 'v', ARRAY['f'], '{16}', '{"epochs": 3, "seed": 12}')),
  (3, true,  nn_init(16, '{}', 3, '{"seed": 13}')),
  (4, true,  nn_init(16, '{512,512}', 10, '{"seed": 14}'));

CREATE TABLE score_rows (id int PRIMARY KEY, block int, model_id int, features real[],
                         expected float8, expected_label text, expected_proba real[]);
INSERT INTO score_rows (id, block, model_id, features)
SELECT i, (i - 1) / 100, i % 4 + 1,
       (SELECT array_agg((random() * 3)::real) FROM generate_series(1, 16) j WHERE i > 0)
FROM generate_series(1, :rows) i;
CREATE INDEX ON score_rows (block);
CREATE INDEX ON score_rows (model_id, id);
-- one model per statement, so each parses its model once
SELECT format('UPDATE score_rows s SET expected = nn_predict(m.m, s.features),
       expected_label = CASE WHEN m.is_classifier THEN nn_predict_class(m.m, s.features) END,
       expected_proba = CASE WHEN m.is_classifier THEN nn_predict_proba(m.m, s.features) END
FROM nn_models m WHERE m.id = s.model_id AND s.model_id = %s', id) FROM nn_models ORDER BY id
\gexec

CREATE TABLE batch_expected AS
SELECT b.block, b.block % 4 + 1 AS model_id,
       nn_predict_batch((SELECT m FROM nn_models WHERE id = b.block % 4 + 1), b.rows) AS expected
FROM (SELECT block, array_agg(features ORDER BY id) AS rows FROM score_rows GROUP BY block) b;
ALTER TABLE batch_expected ADD PRIMARY KEY (block);

CREATE TABLE train_refs (k int PRIMARY KEY, source text, target text, features text[],
                         hidden int[], options jsonb, m bytea);
INSERT INTO train_refs (k, source, target, features, hidden, options) VALUES
  (1, 'conc_src', 'y', '{f}', '{16}', '{"epochs": 3, "seed": 1}'),
  (2, 'conc_src', 'y', '{f}', '{32,16}', '{"epochs": 3, "seed": 2, "optimizer": "sgd", "validation_fraction": 0.2}'),
  (3, 'conc_src', 'v', '{f}', '{16}', '{"epochs": 3, "seed": 3}'),
  (4, 'SELECT y, f FROM conc_src WHERE v > 0.2', 'y', NULL, '{8}',
      '{"epochs": 2, "seed": 4, "batch_norm": true, "dropout": 0.1}');
UPDATE train_refs SET m = nn_train(source, target, features, hidden, options);
CREATE TABLE trained (n serial, k int, m bytea, ok boolean);
VACUUM ANALYZE;
SQL
nn_psql -Atc "SELECT '  models (bytes): ' || string_agg(id || ': ' || length(m), ', ' ORDER BY id) FROM nn_models"

# RssAnon and VmRSS (kB) of every pgbench backend, by application_name
sample_memory() {  # $1: label
    local pid app
    while IFS='|' read -r pid app; do
        [ -r "/proc/$pid/status" ] || continue
        awk -v l="$1" -v p="$pid" -v a="$app" '/^RssAnon:/ { anon = $2 } /^VmRSS:/ { rss = $2 }
            END { print l, p, a, anon, rss }' "/proc/$pid/status"
    done < <(nn_psql -Atc "SELECT pid, application_name FROM pg_stat_activity
                           WHERE application_name IN ('nn_score', 'nn_train') ORDER BY 2, 1")
}

out="$NN_TMP/pgbench"
mkdir -p "$out"
echo "running: 8 scoring clients and 2 training clients for $DURATION s (load average $(cut -d' ' -f1 /proc/loadavg))"
PGAPPNAME=nn_score "$PGBENCH" -n -c 8 -j 2 -T "$DURATION" -D rows="$ROWS" -D blocks="$BLOCKS" \
    -f "$SCRIPTS/score_one.sql@4" -f "$SCRIPTS/score_mixed.sql@2" -f "$SCRIPTS/score_batch.sql@2" \
    >"$out/score.txt" 2>&1 &
score_pid=$!
PGAPPNAME=nn_train "$PGBENCH" -n -c 2 -j 1 -T "$DURATION" -f "$SCRIPTS/train.sql" \
    >"$out/train.txt" 2>&1 &
train_pid=$!

: >"$out/memory.txt"
# sample every 2 s while the runs last (the first after 2 s of warm-up)
t_start=$(date +%s)
while kill -0 "$score_pid" 2>/dev/null || kill -0 "$train_pid" 2>/dev/null; do
    sleep 2
    sample_memory "$(($(date +%s) - t_start))" >>"$out/memory.txt"
done
score_status=0; train_status=0
wait "$score_pid" || score_status=$?
wait "$train_pid" || train_status=$?

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

for run in score train; do
    echo
    echo "---- pgbench: $run ----"
    # the summary, without the per-client noise of a long error list
    grep -vE '^(pgbench: )?(client|error|.*DETAIL)' "$out/$run.txt" | grep -v '^$' || true
    errs="$(grep -cE '^(pgbench: )?(error|client [0-9]+ (script|aborted))' "$out/$run.txt" || true)"
    if [ "$errs" != 0 ]; then
        echo "first errors:"; grep -E '^(pgbench: )?(error|client [0-9]+)' "$out/$run.txt" | head -n 5
    fi
    failed="$(sed -nE 's/^number of failed transactions: ([0-9]+).*/\1/p' "$out/$run.txt")"
    done_tx="$(sed -nE 's/^number of transactions actually processed: ([0-9]+).*/\1/p' "$out/$run.txt")"
    status_var="${run}_status"
    [ "${!status_var}" = 0 ] || fail "pgbench $run exited with ${!status_var}"
    [ "${failed:-x}" = 0 ] || fail "pgbench $run: failed transactions: ${failed:-unknown}"
    [ "$errs" = 0 ] || fail "pgbench $run: $errs error lines"
    [ "${done_tx:-0}" -gt 0 ] || fail "pgbench $run processed no transaction"
done

echo
echo "---- stored models ----"
read -r n_trained n_bad < <(nn_psql -AtF' ' -c "SELECT count(*), count(*) FILTER (WHERE NOT t.ok OR t.m <> r.m)
                                               FROM trained t JOIN train_refs r USING (k)")
echo "models trained concurrently and stored: $n_trained, differing from the single-client model: $n_bad"
[ "$n_bad" = 0 ] || fail "$n_bad stored models differ from the single-client ones"
[ "$n_trained" -gt 0 ] || fail "no model was trained"
# the same scores again, one client, after the run
n_diff="$(nn_psql -Atc "SELECT count(*) FROM score_rows s JOIN nn_models m ON m.id = s.model_id
                        WHERE nn_predict(m.m, s.features) IS DISTINCT FROM s.expected")"
echo "scores recomputed by one client after the run, differing: $n_diff"
[ "$n_diff" = 0 ] || fail "$n_diff scores differ after the run"

echo
echo "---- backend memory (kB): RssAnon (VmRSS), sampled every 2 s ----"
/usr/bin/python3 - "$out/memory.txt" "$RSS_LIMIT_MB" "$DURATION" <<'PY' || failures=$((failures + 1))
import sys
limit = int(sys.argv[2]) * 1024
duration = int(sys.argv[3])
series = {}
for line in open(sys.argv[1]):
    t, pid, app, anon, rss = line.split()
    # the last seconds, when clients disconnect, are not part of the run
    if int(t) <= duration - 1:
        series.setdefault((app, pid), []).append((int(t), int(anon), int(rss)))
bad = 0
print(f"  {'backend':15s} {'start':>18s} {'middle':>18s} {'end':>18s} "
      f"{'peak 1st half':>13s} {'peak 2nd half':>13s} {'growth':>8s}")
for (app, pid), s in sorted(series.items()):
    if len(s) < 4:
        print(f"  {app} {pid}: only {len(s)} samples")
        bad += 1
        continue
    half = len(s) // 2
    p1, p2 = max(x[1] for x in s[:half]), max(x[1] for x in s[half:])
    growth = p2 - p1
    cell = lambda x: f"{x[1]:>8,d} ({x[2]:>7,d})"
    flag = "  GREW" if growth > limit else ""
    bad += growth > limit
    print(f"  {app + ' ' + pid:15s} {cell(s[0])} {cell(s[half])} {cell(s[-1])} "
          f"{p1:>13,d} {p2:>13,d} {growth:>+8,d}{flag}")
print(f"  {len(series)} backends; growth = peak RssAnon in the second half of the run minus "
      f"the first; limit {limit:,d} kB")
sys.exit(1 if bad or not series else 0)
PY

bad_log="$(grep -E 'PANIC|TRAP|terminated by signal|server process .* (was terminated|exited)|leak|WARNING' \
           "$NN_TMP/server.log" || true)"
if [ -n "$bad_log" ]; then
    echo "server log:"; head -n 20 <<<"$bad_log"
    fail "server log shows a crash, leak or warning"
fi

echo
if [ "$failures" = 0 ]; then
    echo "concurrency: PASS (8 scoring + 2 training clients, ${DURATION} s, zero errors, identical scores and models, flat memory)"
    exit 0
fi
echo "concurrency: FAIL ($failures)"
exit 1
