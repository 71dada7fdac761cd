#!/usr/bin/env bash
# Concurrency: 8 pgbench clients scoring and 2 training at once.
#
#   bash test/reliability/concurrency.sh                  60 s
#   CONC_SECONDS=15 bash test/reliability/concurrency.sh  15 s (the test command's stage)
#
# Builds and installs nn, starts a throwaway cluster (test/lib.sh) and makes,
# every name with the prefix conc_ (the extension's objects all start with
# nn_, so none can clash; checked below):
#   conc_src             3,000 rows (a 3-class label, a real target, real[16])
#   conc_models          4 models: a trained classifier and regressor, a tiny
#                        untrained classifier stored in line, and a {512,512}
#                        one stored out of line (TOAST)
#   conc_score_rows      20,000 rows of real[16] with a model each (id % 4 + 1)
#                        and the scores one client computed: nn_predict, and
#                        for classifiers nn_predict_class and nn_predict_proba
#   conc_batch_expected  nn_predict_batch of each block of 100 rows, one client
#   conc_train_refs      4 training configurations and the model one client
#                        trained with each
#   conc_trained         the models the training clients store
# Then, for CONC_SECONDS seconds, two pgbench runs at once
# (test/reliability/pgbench/):
#   8 clients: score_one.sql (weight 4), score_mixed.sql (2), score_batch.sql (2)
#   2 clients: train.sql (nn_train, stored in a table, byte-compared with the
#              single-client model)
# Every script turns a mismatch into a division by zero, so a wrong score or
# model is a failed transaction.  The anonymous memory (RssAnon, and VmRSS)
# of every pgbench backend is sampled every half second (each sample runs a
# query, which takes a second or more on a loaded machine: at 2 s, a loaded
# 2-core machine got only 3 samples per backend in 15 s); start, middle and
# end are printed.
#
# Each assertion is a check, printed PASS or FAIL: the setup, the conc_
# prefix, for each pgbench run its exit status, failed transactions, error
# lines and transactions done (and each scoring script's), the stored models,
# the scores recomputed after the run, the memory samples, flat memory (no
# backend's peak RssAnon in the second half of the run above its peak in the
# first half by more than CONC_RSS_LIMIT_MB, default 16; peaks, because a
# backend's heap breathes with each query) and a server log without a crash,
# leak or warning.  The last line is "concurrency: N passed, N failed" (always
# CHECKS checks; a setup that fails counts every check failed); the exit
# status is non-zero on any failure.  NN_PGPORT (default 54344).
set -euo pipefail
# shellcheck source=test/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
export NN_PGPORT="${NN_PGPORT:-54344}"
SECONDS_RUN="${CONC_SECONDS:-60}"
RSS_LIMIT_MB="${CONC_RSS_LIMIT_MB:-16}"
ROWS=20000
BLOCKS=$((ROWS / 100))
SCRIPTS="$REPO/test/reliability/pgbench"
PGBENCH="$PGBIN/pgbench"
CHECKS=19

summary() {
    echo "concurrency: $NN_PASSED passed, $((CHECKS - NN_PASSED)) failed"
    [ "$NN_PASSED" = "$CHECKS" ] && [ "$NN_FAILED" = 0 ]
}

nn_ensure_packages "${NN_BASE_PACKAGES[@]}"
nn_build_install >/dev/null
nn_cluster_start

q() { nn_psql -At -c "$1"; }
relations() {
    q "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace ORDER BY 1"
}

echo "setting up (single client)"
q "CREATE EXTENSION nn" >/dev/null
before="$(relations)"
setup_ok=1
nn_psql -v rows="$ROWS" <<'SQL' || setup_ok=0
SELECT setseed(0.5);
CREATE TABLE conc_src AS
SELECT (i % 3) AS y, ((i % 3) + random())::real AS v,
       (SELECT array_agg(((i % 3) * (j % 2) + random())::real) FROM generate_series(1, 16) j) AS f
FROM generate_series(1, 3000) i;

CREATE TABLE conc_models (id int PRIMARY KEY, is_classifier boolean, m bytea);
INSERT INTO conc_models VALUES
  (1, true,  nn_train('conc_src', 'y', ARRAY['f'], '{32,16}', '{"epochs": 3, "seed": 11}')),
  (2, false, nn_train('conc_src', 'v', ARRAY['f'], '{16}', '{"epochs": 3, "seed": 12}')),
  (3, true,  nn_init(16, '{}', 3, '{"seed": 13}')),
  (4, true,  nn_init(16, '{512,512}', 10, '{"seed": 14}'));

CREATE TABLE conc_score_rows (id int PRIMARY KEY, block int, model_id int, features real[],
                              expected float8, expected_label text, expected_proba real[]);
INSERT INTO conc_score_rows (id, block, model_id, features)
SELECT i, (i - 1) / 100, i % 4 + 1,
       (SELECT array_agg((random() * 3)::real) FROM generate_series(1, 16) j WHERE i > 0)
FROM generate_series(1, :rows) i;
CREATE INDEX conc_score_rows_block ON conc_score_rows (block);
CREATE INDEX conc_score_rows_model ON conc_score_rows (model_id, id);
-- one model per statement, so each parses its model once
SELECT format('UPDATE conc_score_rows s SET expected = nn_predict(m.m, s.features),
       expected_label = CASE WHEN m.is_classifier THEN nn_predict_class(m.m, s.features) END,
       expected_proba = CASE WHEN m.is_classifier THEN nn_predict_proba(m.m, s.features) END
FROM conc_models m WHERE m.id = s.model_id AND s.model_id = %s', id) FROM conc_models ORDER BY id
\gexec

CREATE TABLE conc_batch_expected AS
SELECT b.block, b.block % 4 + 1 AS model_id,
       nn_predict_batch((SELECT m FROM conc_models WHERE id = b.block % 4 + 1), b.rows) AS expected
FROM (SELECT block, array_agg(features ORDER BY id) AS rows FROM conc_score_rows GROUP BY block) b;
ALTER TABLE conc_batch_expected ADD CONSTRAINT conc_batch_expected_pkey PRIMARY KEY (block);

CREATE TABLE conc_train_refs (k int PRIMARY KEY, source text, target text, features text[],
                              hidden int[], options jsonb, m bytea);
INSERT INTO conc_train_refs (k, source, target, features, hidden, options) VALUES
  (1, 'conc_src', 'y', '{f}', '{16}', '{"epochs": 3, "seed": 1}'),
  (2, 'conc_src', 'y', '{f}', '{32,16}', '{"epochs": 3, "seed": 2, "optimizer": "sgd", "validation_fraction": 0.2}'),
  (3, 'conc_src', 'v', '{f}', '{16}', '{"epochs": 3, "seed": 3}'),
  (4, 'SELECT y, f FROM conc_src WHERE v > 0.2', 'y', NULL, '{8}',
      '{"epochs": 2, "seed": 4, "batch_norm": true, "dropout": 0.1}');
UPDATE conc_train_refs SET m = nn_train(source, target, features, hidden, options);
CREATE TABLE conc_trained (n serial, k int, m bytea, ok boolean);
VACUUM ANALYZE;
SQL
setup="$(q "SELECT (SELECT count(*) FROM conc_models WHERE m IS NOT NULL) || ' models, ' ||
                   (SELECT count(*) FROM conc_score_rows
                    WHERE expected IS NOT NULL AND (model_id = 2 OR expected_proba IS NOT NULL)) || ' rows scored, ' ||
                   (SELECT count(*) FROM conc_batch_expected WHERE expected IS NOT NULL) || ' batches, ' ||
                   (SELECT count(*) FROM conc_train_refs WHERE m IS NOT NULL) || ' reference models'" 2>&1 || true)"
nn_check "setup (single client)" "$setup_ok: $setup" "1: 4 models, $ROWS rows scored, $BLOCKS batches, 4 reference models"
if [ "$setup_ok" != 1 ]; then
    summary || exit 1
fi
q "SELECT '  models (bytes): ' || string_agg(id || ': ' || length(m), ', ' ORDER BY id) FROM conc_models"
# every relation the test made (tables, indexes, sequences, TOAST excepted)
outside="$(comm -13 <(LC_ALL=C sort <<<"$before") <(relations | LC_ALL=C sort) | grep -v '^conc_' | paste -sd' ' || true)"
nn_check "every relation the test made is named conc_*" "${outside:-none outside}" "none outside"

# RssAnon and VmRSS (kB) of every pgbench backend, by application_name
sample_memory() {  # $1: label
    local pid app
    while IFS='|' read -r pid app; do
        [ -r "/proc/$pid/status" ] || continue
        # a backend can exit between the query and the read (at the end of
        # the run): its sample is skipped, not an error that stops the script
        awk -v l="$1" -v p="$pid" -v a="$app" '/^RssAnon:/ { anon = $2 } /^VmRSS:/ { rss = $2 }
            END { if (anon != "") print l, p, a, anon, rss }' "/proc/$pid/status" 2>/dev/null || true
    done < <(q "SELECT pid, application_name FROM pg_stat_activity
                WHERE application_name IN ('conc_score', 'conc_train') ORDER BY 2, 1")
}

out="$NN_TMP/pgbench"
mkdir -p "$out"
echo "running: 8 scoring clients and 2 training clients for $SECONDS_RUN s (load average $(cut -d' ' -f1 /proc/loadavg))"
PGAPPNAME=conc_score "$PGBENCH" -n -c 8 -j 2 -T "$SECONDS_RUN" -D rows="$ROWS" -D blocks="$BLOCKS" \
    -f "$SCRIPTS/score_one.sql@4" -f "$SCRIPTS/score_mixed.sql@2" -f "$SCRIPTS/score_batch.sql@2" \
    >"$out/score.txt" 2>&1 &
score_pid=$!
PGAPPNAME=conc_train "$PGBENCH" -n -c 2 -j 1 -T "$SECONDS_RUN" -f "$SCRIPTS/train.sql" \
    >"$out/train.txt" 2>&1 &
train_pid=$!

: >"$out/memory.txt"
# sample every half second while the runs last
t_start=$(date +%s)
while kill -0 "$score_pid" 2>/dev/null || kill -0 "$train_pid" 2>/dev/null; do
    sleep 0.5
    sample_memory "$(($(date +%s) - t_start))" >>"$out/memory.txt"
done
declare -A status=([score]=0 [train]=0) done_tx
wait "$score_pid" || status[score]=$?
wait "$train_pid" || status[train]=$?

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
    done_tx[$run]="$(sed -nE 's/^number of transactions actually processed: ([0-9]+).*/\1/p' "$out/$run.txt")"
    nn_check "pgbench $run: exit status" "${status[$run]}" 0
    nn_check "pgbench $run: failed transactions" "${failed:-none reported}" 0
    nn_check "pgbench $run: error lines" "$errs" 0
    nn_check "pgbench $run: transactions done" "$([ "${done_tx[$run]:-0}" -gt 0 ] && echo some || echo "${done_tx[$run]:-none}")" some
done
# each scoring script ran: pgbench's "SQL script N: FILE" sections, each
# followed by " - N transactions (...)"
for s in score_one score_mixed score_batch; do
    n="$(awk -v f="$s.sql" '/^SQL script [0-9]+:/ { on = index($0, f) > 0 }
         on && /^ - [0-9]+ transactions/ { print $2; exit }' "$out/score.txt")"
    nn_check "pgbench score: $s.sql transactions done" "$([ "${n:-0}" -gt 0 ] && echo some || echo "${n:-none}")" some
done

echo
echo "---- stored models ----"
n_trained=none n_bad=unknown
read -r n_trained n_bad < <(q "SELECT count(*), count(*) FILTER (WHERE t.ok IS NOT TRUE OR t.m IS DISTINCT FROM r.m)
                               FROM conc_trained t JOIN conc_train_refs r USING (k)" | tr '|' ' ') || true
echo "models trained concurrently and stored: $n_trained, differing from the single-client model: $n_bad"
nn_check "stored models differing from the single-client ones" "$n_bad" 0
nn_check "models trained and stored" "$([ "$n_trained" -gt 0 ] 2>/dev/null && echo some || echo "$n_trained")" some
# the same scores again, one client, after the run
n_diff="$(q "SELECT count(*) FROM conc_score_rows s JOIN conc_models m ON m.id = s.model_id
             WHERE nn_predict(m.m, s.features) IS DISTINCT FROM s.expected" || echo error)"
echo "scores recomputed by one client after the run, differing: $n_diff"
nn_check "scores recomputed after the run, differing" "$n_diff" 0

echo
echo "---- backend memory (kB): RssAnon (VmRSS), sampled every half second ----"
memory="$(/usr/bin/python3 - "$out/memory.txt" "$RSS_LIMIT_MB" "$SECONDS_RUN" <<'PY'
import sys
limit = int(sys.argv[2]) * 1024
duration = int(sys.argv[3])
series = {}
for line in open(sys.argv[1]):
    t, pid, app, anon, rss = line.split()
    # the last seconds, when clients disconnect, are not part of the run
    if int(t) <= duration - 1:
        series.setdefault((app, pid), []).append((int(t), int(anon), int(rss)))
short = grew = 0
print(f"  {'backend':15s} {'start':>18s} {'middle':>18s} {'end':>18s} "
      f"{'peak 1st half':>13s} {'peak 2nd half':>13s} {'growth':>8s}")
for (app, pid), s in sorted(series.items()):
    if len(s) < 4:
        print(f"  {app} {pid}: only {len(s)} samples")
        short += 1
        continue
    half = len(s) // 2
    p1, p2 = max(x[1] for x in s[:half]), max(x[1] for x in s[half:])
    growth = p2 - p1
    cell = lambda x: f"{x[1]:>8,d} ({x[2]:>7,d})"
    flag = "  GREW" if growth > limit else ""
    grew += growth > limit
    print(f"  {app + ' ' + pid:15s} {cell(s[0])} {cell(s[half])} {cell(s[-1])} "
          f"{p1:>13,d} {p2:>13,d} {growth:>+8,d}{flag}")
print(f"  {len(series)} backends; growth = peak RssAnon in the second half of the run minus "
      f"the first; limit {limit:,d} kB")
print(f"RESULT sampled={len(series) - short} grew={grew}")
PY
)" || true
grep -v '^RESULT' <<<"$memory"
sampled="$(sed -nE 's/^RESULT sampled=([0-9]+).*/\1/p' <<<"$memory")"
grew="$(sed -nE 's/^RESULT .*grew=([0-9]+)/\1/p' <<<"$memory")"
nn_check "memory: backends sampled at least 4 times" "${sampled:-none}" 10
nn_check "memory: backends whose peak grew more than $RSS_LIMIT_MB MB" "${grew:-unknown}" 0

log_re='PANIC|TRAP|terminated by signal|server process .* (was terminated|exited)|leak|WARNING'
bad_log="$(grep -cE "$log_re" "$NN_TMP/server.log" || true)"
[ "$bad_log" = 0 ] || { echo "server log:"; grep -E "$log_re" "$NN_TMP/server.log" | head -n 20; }
nn_check "server log: lines showing a crash, leak or warning" "$bad_log" 0

echo
echo "8 scoring + 2 training clients, $SECONDS_RUN s: ${done_tx[score]:-0} scoring and ${done_tx[train]:-0} training transactions, $n_trained models stored ($n_bad differing), $n_diff scores differing after the run"
summary
