#!/usr/bin/env bash
# Check that this build scores the golden models (test/golden/*.model.hex)
# exactly as recorded in test/golden/*.expected; runs sql/golden.sql (also a pg_regress test).
#
#   test/golden/check.sh                  build, install, throwaway cluster
#   NN_SKIP_BUILD=1 test/golden/check.sh  use the installed extension
#   NN_BUILD_DIR=DIR ...     use DIR/nn.so, made but not installed there
#   PGHOST=... test/golden/check.sh       use the caller's cluster
#   GOLDEN_DIR=DIR ...     check the models in DIR instead of test/golden
#
# Prints the per-model table and "golden: N models, N checks, N mismatches";
# exits non-zero on any mismatch or error.
set -euo pipefail
# shellcheck source=test/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

if [ -z "${PGHOST:-}" ]; then
    nn_ensure_packages "${NN_BASE_PACKAGES[@]}"
    [ -n "${NN_SKIP_BUILD:-}${NN_BUILD_DIR:-}" ] || nn_build_install >/dev/null
    NN_PGPORT="${NN_PGPORT:-54343}" nn_cluster_start >/dev/null
fi
db="nn_golden_check_$$"
nn_psql -c "CREATE DATABASE $db"
trap 'nn_psql -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true; nn_cluster_stop' EXIT
nn_create_extension "$db"
out="$(cd "$REPO" && nn_psql -d "$db" -v golden_dir="${GOLDEN_DIR:-test/golden}" -f sql/golden.sql)"
echo "$out"
grep -qE '^ *golden: [1-9][0-9]* models, [0-9]+ checks, 0 mismatches' <<<"$out"
