#!/usr/bin/env bash
# Issue 19's convergence measurement: nn_train's strategy "aggregate" over
# 1, 2 and 4 partial states against strategy "memory" on digits (sklearn's
# load_digits, through /usr/bin/python3), the training loss per epoch and
# the test accuracy after the same epochs (aggregate_convergence.sql says
# how the partial states are made).  Deterministic: the same numbers on
# every run of one build and CPU.  README, "Scaling out", quotes them.
#
#   bash test/bench/aggregate_convergence.sh               installed nn
#   NN_BUILD_DIR=DIR bash test/bench/aggregate_convergence.sh   DIR's build
#
# NN_PGPORT (default 54376).  About 10 s on 2 cores.
set -euo pipefail
# shellcheck source=test/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
export NN_PGPORT="${NN_PGPORT:-54376}"

nn_cluster_start >/dev/null
nn_create_extension postgres >/dev/null
csv="$NN_TMP/digits.csv"
/usr/bin/python3 - "$csv" <<'PY'
import sys
from sklearn.datasets import load_digits
d = load_digits()
with open(sys.argv[1], "w") as f:
    for i, (x, y) in enumerate(zip(d.data, d.target)):
        f.write('%d,%d,"{%s}"\n' % (i, y, ",".join("%g" % v for v in x)))
PY
chmod a+r "$csv"
nn_psql -c "CREATE TABLE digits (id int, label int, px real[])" \
        -c "\\copy digits FROM '$csv' CSV"
nn_psql -f "$REPO/test/bench/aggregate_convergence.sql"
