#!/usr/bin/env bash
# Check nn_export_onnx's files in a real runtime: Microsoft's onnxruntime
# (npm's onnxruntime-node, on Node.js).  The dense models of
# test/onnx/models.sql, the convolutional ones test/onnx/cnn_models.c
# builds (cnn_models.sql), those nn_train builds from images
# (cnn_train.sql) and the recurrent ones it builds from sequences
# (rnn_train.sql) are exported; each file must pass onnx.checker
# (check_onnx.py --structure-only) and give nn_predict_proba's
# probabilities and nn_predict's labels or values in onnxruntime within
# 1e-5 (run_onnxruntime.js).
#
#   test/onnx/runtime.sh                  build, install, throwaway cluster
#   NN_SKIP_BUILD=1 test/onnx/runtime.sh  use the installed extension
#   NN_BUILD_DIR=DIR ...                  use DIR/nn.so, made but not installed there
#   PGHOST=... test/onnx/runtime.sh       use the caller's cluster
#
# onnxruntime-node is installed on first use, with npm install
# --ignore-scripts (its install script would fetch GPU files), into
# NN_ONNXRUNTIME_DIR (default ${XDG_CACHE_HOME:-~/.cache}/nn-onnxruntime),
# outside the repository.  Only when npm cannot reach its registry is the
# test skipped, saying so.  Prints a line per model and check and
# "onnx_runtime: N passed, N failed" (two checks a model: checker and
# runtime); exits non-zero on any failure.
set -euo pipefail
# shellcheck source=test/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

ort_dir="${NN_ONNXRUNTIME_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/nn-onnxruntime}"
passed=0 failed=0
summary() { echo "onnx_runtime: $passed passed, $failed failed"; }

# ---------------------------------------------------------------- onnxruntime
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "onnx_runtime: FAILED: node and npm are needed (Node.js is on the machine)"
    failed=1; summary; exit 1
fi
if [ ! -f "$ort_dir/node_modules/onnxruntime-node/package.json" ]; then
    mkdir -p "$ort_dir"
    [ -f "$ort_dir/package.json" ] || echo '{"name": "nn-onnxruntime", "private": true}' >"$ort_dir/package.json"
    echo "installing onnxruntime-node into $ort_dir"
    if ! npm install --prefix "$ort_dir" --ignore-scripts --no-audit --no-fund \
            --fetch-timeout=120000 --fetch-retries=1 onnxruntime-node; then
        if ! timeout 60 npm ping >/dev/null 2>&1; then
            echo "onnx_runtime: SKIPPED: npm cannot reach its registry ($(npm config get registry)),"
            echo "onnx_runtime: SKIPPED: so onnxruntime-node cannot be installed; no model was run"
            summary; exit 0
        fi
        echo "onnx_runtime: FAILED: npm install onnxruntime-node failed with the registry reachable"
        failed=1; summary; exit 1
    fi
fi
echo "onnxruntime-node $(node -p "require('$ort_dir/node_modules/onnxruntime-node/package.json').version") from $ort_dir"

# ---------------------------------------------------------------- models
make -C "$REPO/test" build/check/cnn_models >/dev/null
# shellcheck source=test/onnx/setup.sh
source "$REPO/test/onnx/setup.sh"

onnx_setup 54346 "nn_onnx_runtime_$$"
db="$onnx_db"
cases="$(mktemp)" err="$(mktemp)"
onnx_tmp=("$cases" "$err")
"$REPO/test/build/check/cnn_models" | nn_psql -d "$db" -f "$REPO/test/onnx/cnn_models.sql"
# convolutional models trained through SQL, every spatial kind among them
# and recurrent ones: rnn, lstm, gru, bidirectional, stacked; then int8 and
# stripped copies of some of every family
for script in cnn_train.sql rnn_train.sql quant_models.sql; do
    if ! nn_psql -d "$db" -f "$REPO/test/onnx/$script" 2>"$err"; then
        cat "$err"; echo "onnx_runtime: $script: FAILED"; failed=$((failed + 1))
    fi
done
nn_psql -d "$db" -v outfile="$cases" -f "$REPO/test/onnx/cases.sql"

# ---------------------------------------------------------------- checks
count() {  # $1: the prefix of a script's "N passed, N failed" line; stdin its output
    local out line
    out="$(cat)"
    printf '%s\n' "$out"
    line="$(grep -E "^$1: [0-9]+ passed, [0-9]+ failed\$" <<<"$out" | tail -n 1 || true)"
    if [ -z "$line" ]; then failed=$((failed + 1)); return; fi
    passed=$((passed + $(sed -E 's/.*: ([0-9]+) passed.*/\1/' <<<"$line")))
    failed=$((failed + $(sed -E 's/.* ([0-9]+) failed$/\1/' <<<"$line")))
}
count onnx < <(/usr/bin/python3 "$REPO/test/onnx/check_onnx.py" --structure-only "$cases" 2>&1 || true)
count onnxruntime < <(node "$REPO/test/onnx/run_onnxruntime.js" "$ort_dir" "$cases" 2>&1 || true)
summary
[ "$failed" = 0 ]
