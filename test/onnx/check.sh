#!/usr/bin/env bash
# Check nn_export_onnx end to end: train models of every dense kind
# (test/onnx/models.sql) and recurrent ones (rnn_train.sql), export each, and
# have test/onnx/check_onnx.py run onnx.checker (full check) on the files and
# evaluate them with a numpy interpreter of the ONNX operators, against
# nn_predict_proba/nn_predict.
#
#   test/onnx/check.sh                  build, install, throwaway cluster
#   NN_SKIP_BUILD=1 test/onnx/check.sh  use the installed extension
#   NN_BUILD_DIR=DIR ...                use DIR/nn.so, made but not installed there
#   PGHOST=... test/onnx/check.sh       use the caller's cluster
#
# Prints a line per model and "onnx: N passed, N failed"; exits non-zero on
# any failure.  Needs Debian's python3-onnx and python3-numpy (installed
# here when missing) and /usr/bin/python3, which sees them.
set -euo pipefail
# shellcheck source=test/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

# shellcheck source=test/onnx/setup.sh
source "$REPO/test/onnx/setup.sh"

onnx_setup 54345 "nn_onnx_check_$$"
db="$onnx_db"
cases="$(mktemp)" latin1_case="$(mktemp)"
onnx_tmp=("$cases" "$latin1_case")
nn_psql -d "$db" -f "$REPO/test/onnx/rnn_train.sql"
nn_psql -d "$db" -f "$REPO/test/onnx/quant_models.sql"
nn_psql -d "$db" -v outfile="$cases" -f "$REPO/test/onnx/cases.sql"
# non-ASCII labels and names from a LATIN1 database
nn_psql -c "CREATE DATABASE ${db}_latin1 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0"
nn_create_extension "${db}_latin1"
PGCLIENTENCODING=UTF8 nn_psql -d "${db}_latin1" -v outfile="$latin1_case" -f "$REPO/test/onnx/latin1.sql"
/usr/bin/python3 "$REPO/test/onnx/check_onnx.py" "$cases" "$latin1_case"
