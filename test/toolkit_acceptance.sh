#!/usr/bin/env bash
# Acceptance of the training toolkit: every optimizer at its default
# learning rate, early stopping, dropout/batch-norm scoring and exact warm
# start, printed as a table (test/toolkit_acceptance.sql).  Uses the cluster
# of the caller when PGHOST is set (run_tests.sh), else builds, installs and
# starts its own.
#
# There are exactly CHECKS checks.  A check passes only with one true
# result: a missing row, a NULL or a row the table does not expect fails,
# and so does a table of another size or a script that stops on an error
# (then every check counts as failed).  The last line is "toolkit: N
# passed, N failed"; the exit status is non-zero unless all CHECKS passed.
set -euo pipefail
# shellcheck source=test/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
CHECKS=14

if [ -z "${PGHOST:-}" ]; then
    nn_ensure_packages "${NN_BASE_PACKAGES[@]}"
    nn_build_install >/dev/null
    nn_cluster_start
fi
db="nn_toolkit_$$"
nn_psql -c "CREATE DATABASE $db"
trap 'nn_psql -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true; nn_cluster_stop' EXIT
status=0
out="$(PG_ABS_SRCDIR="$REPO" nn_psql -d "$db" -c 'CREATE EXTENSION nn' -f "$REPO/test/toolkit_acceptance.sql" 2>&1)" || status=$?
echo "$out"

line="$(grep -E '^table: [0-9]+ passed, [0-9]+ failed$' <<<"$out" | tail -n 1 || true)"
if [ "$status" != 0 ] || [ -z "$line" ]; then
    echo "FAIL: the acceptance script did not finish (psql exit status $status)"
    passed=0 failed=$CHECKS
else
    passed="$(sed -E 's/^table: ([0-9]+) passed.*/\1/' <<<"$line")"
    failed="$(sed -E 's/.* ([0-9]+) failed$/\1/' <<<"$line")"
    # the table lists every check it expects and every row it did not:
    # fewer than CHECKS means checks went missing from the list itself
    if [ $((passed + failed)) != "$CHECKS" ]; then
        echo "FAIL: the table has $((passed + failed)) checks, $CHECKS expected"
        [ "$failed" -ge $((CHECKS - passed)) ] || failed=$((CHECKS - passed))
    fi
fi
echo "toolkit: $passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" = "$CHECKS" ]
