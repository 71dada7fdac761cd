#!/usr/bin/env bash
# Make the golden models: test/golden/NAME.model.hex (the model bytes as
# hex) and test/golden/NAME.expected (fixed input rows and what every
# scoring function returned for them when the model was made).  check.sh /
# sql/golden.sql verify that the current build scores them identically.
#
# Golden files are made once, for a format version, and then never
# changed: later versions must keep scoring them the same.  So this script
# only writes the models that have no files yet (GOLDEN_FORCE=1 rewrites
# every one).  To add models for a new format version, give them new names
# in train.sql.
#
#   test/golden/make_golden.sh                  build, install, throwaway cluster
#   NN_SKIP_BUILD=1 test/golden/make_golden.sh  use the installed extension
#   NN_BUILD_DIR=DIR ...     use DIR/nn.so, made but not installed there
#   PGHOST=... test/golden/make_golden.sh       use the caller's cluster
#
# .expected lines are tab-separated: model, function, input, result, with
# function one of predict (nn_predict), proba (nn_predict_proba), class
# (nn_predict_class) and batch (nn_predict_batch over all of the model's
# rows, input a 2-D array).  Floats are printed with extra_float_digits = 3,
# which gives the shortest text that reads back as the same value, so the
# check compares them exactly.
set -euo pipefail
# shellcheck source=test/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

dir="$REPO/test/golden"
if [ -z "${PGHOST:-}" ]; then
    nn_ensure_packages "${NN_BASE_PACKAGES[@]}"
    [ -n "${NN_SKIP_BUILD:-}${NN_BUILD_DIR:-}" ] || nn_build_install >/dev/null
    NN_PGPORT="${NN_PGPORT:-54343}" nn_cluster_start >/dev/null
fi
db="nn_golden_$$"
nn_psql -c "CREATE DATABASE $db"
trap 'nn_psql -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true; nn_cluster_stop' EXIT
nn_create_extension "$db"
nn_psql -d "$db" -f "$dir/train.sql"

q() { nn_psql -d "$db" -At -F $'\t' -c "SET extra_float_digits = 3" -c "$1"; }

for name in $(q "SELECT name FROM golden ORDER BY name"); do
    if [ -e "$dir/$name.model.hex" ] && [ -z "${GOLDEN_FORCE:-}" ]; then
        echo "$name: kept"
        continue
    fi
    q "SELECT encode(model, 'hex') FROM golden WHERE name = '$name'" | tr -d '\n' >"$dir/$name.model.hex"
    echo >>"$dir/$name.model.hex"
    q "
    WITH m AS (SELECT model, nn_info(model)->>'task' = 'classification' AS cls
               FROM golden WHERE name = '$name'),
         i AS (SELECT ord, x FROM golden_inputs WHERE name = '$name')
    SELECT '$name', fn, input, result FROM (
        SELECT 1 AS k, ord, 'predict' AS fn, x::text AS input, nn_predict(model, x)::text AS result FROM m, i
        UNION ALL
        SELECT 2, ord, 'proba', x::text, nn_predict_proba(model, x)::text FROM m, i WHERE cls
        UNION ALL
        SELECT 3, ord, 'class', x::text, nn_predict_class(model, x) FROM m, i WHERE cls
        UNION ALL
        SELECT 4, 0, 'batch', array_agg(x ORDER BY ord)::text,
               nn_predict_batch(model, array_agg(x ORDER BY ord))::text FROM m, i GROUP BY model
    ) r ORDER BY k, ord" >"$dir/$name.expected"
    echo "$name: $(($(wc -c <"$dir/$name.model.hex") / 2)) bytes, $(wc -l <"$dir/$name.expected") expected results"
done
