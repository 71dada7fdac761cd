#!/usr/bin/env bash
# Acceptance of the training toolkit: every optimizer at its default
# learning rate, early stopping, dropout/batch-norm determinism and exact
# warm start, printed as a table.  Uses the cluster of the caller when
# PGHOST is set (run_tests.sh), else builds, installs and starts its own.
set -euo pipefail
# shellcheck source=test/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ -z "${PGHOST:-}" ]; then
    nn_ensure_packages "${NN_BASE_PACKAGES[@]}"
    nn_build_install >/dev/null
    nn_cluster_start
fi
db="nn_toolkit_$$"
nn_psql -c "CREATE DATABASE $db"
trap 'nn_psql -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true; nn_cluster_stop' EXIT
out="$(nn_psql -d "$db" -c 'CREATE EXTENSION nn' -f "$REPO/test/toolkit_acceptance.sql")"
echo "$out"
grep -q '^toolkit: [0-9]* passed, 0 failed$' <<<"$out"
