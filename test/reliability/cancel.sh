#!/usr/bin/env bash
# Cancellation: statement_timeout and pg_cancel_backend stop nn within one
# second, the session stays usable, and cancelled trainings leak nothing.
#
#   bash test/reliability/cancel.sh
#
# Builds and installs nn, starts a throwaway cluster (test/lib.sh), loads
# Fashion-MNIST (60,000 x 784, as test/run_main.sh does) and generated
# tables, then runs test/reliability/cancel.py:
#   (a) statement_timeout = 1s on large trainings (60,000 and 5,000 rows of
#       784 inputs, hidden {1024,1024} and {4096}, batch_size 1024 and 32),
#       on a slow source (pg_sleep per row), on validation and on rows
#       streamed beyond nn.train_memory, on a CNN and an LSTM; plus
#       timeouts that land after the rows are read;
#   (b) pg_cancel_backend from a second session after random delays, while
#       reading rows (a table, a slow query, 4 M narrow rows), training,
#       validating, streaming, running the nn_fit aggregate (parallel and
#       serial), convolutional and recurrent (LSTM, bidirectional GRU)
#       trainings, scoring (nn_predict_batch on a 60,000-row array, and
#       nn_predict per row) and explaining (nn_importance over every row,
#       one nn_explain of 65,536 steps);
#   (c) after every probe: SELECT 1, settings restored, a small nn_train;
#   (d) 100 trainings cancelled in one session: memory contexts, VmRSS and
#       RssAnon after 10 and after 100;
#   (e) stress: a minibatch of 5,000 rows through {4096}, and a {16384}
#       layer (the kernels check for interrupts between layers and between
#       row blocks of large products; CANCEL_STRESS=0 skips).
# It prints each probe's latency (from the timeout or the cancel to the
# ERROR reaching the client), a summary table and "cancel: PASS" or FAIL; the
# exit status is non-zero when a latency exceeds the limit, a session breaks,
# or memory grows.
#
# Environment: CANCEL_LIMIT (seconds, default 1.0), CANCEL_PROBES (random
# cancels per workload, default 4), CANCEL_LOOPS (default 100), CANCEL_SEED,
# CANCEL_STRESS (default 1),
# CANCEL_TALL_ROWS (rows of the narrow table, default 4000000), NN_PGPORT
# (default 54344).  About 4 minutes on a 2-core machine.
#
# CANCEL_QUICK=1 is the variant in the test command (under a minute): no
# Fashion-MNIST, but 10,000 generated rows of 784 features in its place,
# one probe per workload on a subset of them (the stress probes included)
# and 20 cancelled trainings in the memory part.
set -euo pipefail
# shellcheck source=test/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
export NN_PGPORT="${NN_PGPORT:-54344}"
TALL_ROWS="${CANCEL_TALL_ROWS:-4000000}"

QUICK="${CANCEL_QUICK:-0}"
if [ "$QUICK" != 0 ]; then
    TALL_ROWS="${CANCEL_TALL_ROWS:-200000}"
    export CANCEL_PROBES="${CANCEL_PROBES:-1}" CANCEL_LOOPS="${CANCEL_LOOPS:-20}"
    nn_ensure_packages "${NN_BASE_PACKAGES[@]}" python3 python3-psycopg2
else
    nn_ensure_packages "${NN_BASE_PACKAGES[@]}" python3 python3-psycopg2 dataset-fashion-mnist
fi
nn_build_install >/dev/null
nn_cluster_start

t0=$(date +%s)
nn_psql <<'SQL'
CREATE EXTENSION nn;
CREATE TABLE fm_train (label int, pixels real[]);
ALTER TABLE fm_train ALTER COLUMN pixels SET STORAGE EXTERNAL;
SQL
if [ "$QUICK" != 0 ]; then
    nn_psql -c "INSERT INTO fm_train SELECT i % 10, ARRAY(SELECT random()::real FROM generate_series(1, 784 + i * 0)) FROM generate_series(1, 10000) i"
else
    /usr/bin/python3 "$REPO/test/load_fashion_mnist.py" train | nn_psql -c "COPY fm_train FROM STDIN"
fi
nn_psql -v tall="$TALL_ROWS" <<'SQL'
CREATE TABLE fm_5k AS SELECT * FROM fm_train LIMIT 5000;
-- the 60,000 rows as one 2-D array (188 MB), for nn_predict_batch
CREATE TABLE fm_array (a real[]);
ALTER TABLE fm_array ALTER COLUMN a SET STORAGE EXTERNAL;
INSERT INTO fm_array SELECT array_agg(pixels) FROM fm_train;
-- an untrained model scores as slowly as a trained one
CREATE TABLE score_model AS SELECT nn_init(784, '{1024,1024}', 10) AS m;
-- a trained model to explain (nn_importance reads its feature columns)
CREATE TABLE explain_model AS
SELECT nn_train('fm_5k', 'label', '{pixels}', '{256}', '{"epochs": 1, "seed": 1}') AS m;
-- nn_evaluate needs a model trained from a source: one quick epoch
CREATE TABLE eval_model AS
SELECT nn_train('fm_5k', 'label', '{pixels}', '{1024,1024}', '{"epochs": 1, "batch_size": 1024}') AS m;
CREATE TABLE gen_small AS
SELECT (i % 3) AS y, (i % 7)::real AS a, (i % 11)::real AS b FROM generate_series(1, 2000) i;
CREATE TABLE gen_tall AS
SELECT (i % 2) AS y, random()::real AS a, random()::real AS b FROM generate_series(1, :tall) i;
-- 5 ms per row
CREATE FUNCTION nn_rel_slow() RETURNS boolean LANGUAGE sql VOLATILE
AS $$ SELECT pg_sleep(0.005); SELECT true $$;
VACUUM ANALYZE;
SQL
echo "data loaded in $(($(date +%s) - t0)) s: fm_train $(nn_psql -Atc 'SELECT count(*) FROM fm_train') x 784, fm_5k, fm_array, gen_small, gen_tall $TALL_ROWS rows"

status=0
/usr/bin/python3 "$REPO/test/reliability/cancel.py" || status=$?

# The server log must show no crash, no leak warning (PostgreSQL warns about
# leaked buffers, relcache or snapshot references at transaction end) and no
# internal error.
bad="$(grep -E 'PANIC|TRAP|terminated by signal|server process .* (was terminated|exited)|leak|WARNING' \
       "$NN_TMP/server.log" || true)"
if [ -n "$bad" ]; then
    echo "server log:"; head -n 20 <<<"$bad"
    echo "cancel: FAIL (server log)"
    status=1
else
    echo "server log: no crash, leak warning or internal error"
fi
exit "$status"
# the EXIT trap from lib.sh stops the cluster
