#!/usr/bin/env bash
# Proof that a refactor changed no model and no score: trains the fixed
# matrix of model_md5s.sql, 67 models (every optimizer, schedule, activation,
# initialization, clipping mode, loss, impute mode; batch norm, dropout,
# L1/L2, class and row weights, categorical and scalar features, validation
# with early stopping, nn_continue, the nn_fit aggregate serial and through a
# parallel plan, the catalog, rows streamed beyond nn.train_memory) and
# prints a header line (OpenBLAS core, threads) and one line per model:
#
#   name  md5(model bytes)  md5(scores)  md5(nn_info, nn_plot, nn_evaluate)
#
# The scores are every scoring function (per row under both nn.row_product
# ways, whole-row, window, batch, by name) over the training table.  Then
# "check" lines say the matrix did what it says (rows streamed, early
# stopping stopped, the plan was parallel, ...).  Training is seeded and
# reads every table from its start, so on one machine, OpenBLAS core and
# thread count, equal code gives equal lines, run after run; a change in the
# bytes of a model, a prediction or the inspection output changes its line.
#
#   bash test/reliability/model_md5s.sh > out.txt          build, install, run
#   NN_SKIP_BUILD=1 bash test/reliability/model_md5s.sh    the installed nn
#   NN_BUILD_DIR=DIR bash test/reliability/model_md5s.sh   DIR/nn.so, built
#                                       there (make, no install), not installed
#
# Before and after a refactor: build both commits outside the tree, run this
# script (from the newer checkout) against each, compare.
#   git archive OLD | (mkdir -p /tmp/old && tar -x -C /tmp/old)
#   git archive NEW | (mkdir -p /tmp/new && tar -x -C /tmp/new)
#   make -C /tmp/old -j2 PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
#   make -C /tmp/new -j2 PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
#   NN_BUILD_DIR=/tmp/old bash test/reliability/model_md5s.sh > before.txt
#   NN_BUILD_DIR=/tmp/new bash test/reliability/model_md5s.sh > after.txt
#   diff before.txt after.txt                          must print nothing
#
# ONNX export is left out (the file records the extension version, which a
# release changes; test/onnx checks the exporter).  Exits non-zero on an
# error or a false check.  NN_PGPORT (default 54375).  5-15 s on 2 cores.
set -euo pipefail
# shellcheck source=test/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
export NN_PGPORT="${NN_PGPORT:-54375}"

# shellcheck disable=SC2119
[ -n "${NN_SKIP_BUILD:-}${NN_BUILD_DIR:-}" ] || nn_build_install >/dev/null
nn_cluster_start >/dev/null
nn_create_extension postgres >/dev/null
out="$(nn_psql -f "$REPO/test/reliability/model_md5s.sql" | grep -v '^$')"
echo "$out"
if grep -E '^check .* false$' <<<"$out" >&2; then
    echo "model_md5s: a check above is false" >&2
    exit 1
fi
