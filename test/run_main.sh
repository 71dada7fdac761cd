#!/usr/bin/env bash
# Command 1, the main job: load Fashion-MNIST into a throwaway cluster, train
# an nn model in the database, score it on the test set, print timings.
# Env overrides: NN_HIDDEN (default '{64}'), NN_OPTIONS (default '{"seed": 1}'),
# NN_PGPORT (default 54329).  NN_CNN=1 trains and scores the convolutional
# network of the benchmark instead (test/bench/cnn.sh: conv2d 32 - max_pool2d
# 2 - conv2d 64 - max_pool2d 2 - dense 128 with dropout 0.3; input [1, 28, 28],
# pixels as they are, Adam 0.001, batch 128, 10 epochs, seed 1, a NOTICE per
# epoch); NN_OPTIONS, when set, still replaces its options.
set -euo pipefail
# shellcheck source=test/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NN_HIDDEN=${NN_HIDDEN:-'{64}'}
if [ "${NN_CNN:-0}" = 1 ]; then
    # shellcheck source=test/bench/cnn.sh
    source "$REPO/test/bench/cnn.sh"
    NN_OPTIONS=${NN_OPTIONS:-$(cnn_options "$CNN_LAYERS" 10 1)}
fi
NN_OPTIONS=${NN_OPTIONS:-'{"seed": 1}'}

nn_ensure_packages "${NN_BASE_PACKAGES[@]}" python3 dataset-fashion-mnist
# shellcheck disable=SC2119
nn_build_install
nn_cluster_start

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

nn_psql <<'SQL'
CREATE EXTENSION nn;
CREATE TABLE fm_train (label int, pixels real[]);
CREATE TABLE fm_test  (label int, pixels real[]);
-- out-of-line but uncompressed: cheaper to read back than compressed
-- (PLAIN vs EXTERNAL is a separate benchmark)
ALTER TABLE fm_train ALTER COLUMN pixels SET STORAGE EXTERNAL;
ALTER TABLE fm_test  ALTER COLUMN pixels SET STORAGE EXTERNAL;
SQL

t0=$(now)
for split in train test; do
    /usr/bin/python3 "$REPO/test/load_fashion_mnist.py" "$split" |
        nn_psql -c "COPY fm_$split FROM STDIN"
done
nn_psql -c 'ANALYZE fm_train; ANALYZE fm_test'
t_load=$(secs "$t0" "$(now)")
n_train=$(nn_psql -Atc 'SELECT count(*) FROM fm_train')
n_test=$(nn_psql -Atc 'SELECT count(*) FROM fm_test')

# psql variables (:'x') quote the overrides safely; -c would not expand them.
t0=$(now)
nn_psql -v hidden="$NN_HIDDEN" -v options="$NN_OPTIONS" <<'SQL'
CREATE TABLE fm_model AS
SELECT nn_train('fm_train', 'label', ARRAY['pixels'], :'hidden'::int[], :'options'::jsonb) AS model;
-- statistics: without them the planner guesses 1,360 model rows, and the
-- inflated cost sends the scoring queries through JIT (100-250 ms of LLVM)
ANALYZE fm_model;
SQL
t_train=$(secs "$t0" "$(now)")

t0=$(now)
accuracy=$(nn_psql -At <<'SQL'
SELECT avg((nn_predict(m.model, t.pixels) = t.label)::int)::numeric(6,4) AS test_accuracy
FROM fm_test t, fm_model m;
SQL
)
t_score=$(secs "$t0" "$(now)")
# the same predictions through the batch path: 256 rows per matrix product
t0=$(now)
accuracy_window=$(nn_psql -At <<'SQL'
SELECT avg((p = label)::int)::numeric(6,4)
FROM (SELECT t.label, nn_predict_window(m.model, t.pixels) OVER () AS p FROM fm_test t, fm_model m) s;
SQL
)
t_window=$(secs "$t0" "$(now)")
history=$(nn_psql -Atc "SELECT nn_info(model)->'history' FROM fm_model")

cat <<EOF
hidden:           $NN_HIDDEN$([ "${NN_CNN:-0}" = 1 ] && echo ' (ignored: options.layers)')
options:          $NN_OPTIONS
rows loaded:      train $n_train, test $n_test (${t_load}s)
training seconds: $t_train
scoring seconds:  $t_score (nn_predict, one row per call)
window seconds:   $t_window (nn_predict_window, 256 rows per product; accuracy $accuracy_window)
test accuracy:    $accuracy
history:          $history
EOF
# the EXIT trap from lib.sh stops the cluster
