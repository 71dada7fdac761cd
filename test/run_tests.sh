#!/usr/bin/env bash
# Command 2, the test suite (what CI runs via .ci/run). Stages, each counted
# as one item: build (must be warning-free), unit (C unit tests), regress
# (pg_regress via make installcheck against a throwaway cluster).
# A failed stage does not stop the later ones; the last line printed is
# "tests: N passed, N failed" and the exit status is non-zero if any failed.
set -euo pipefail
# shellcheck source=test/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

passed=0 failed=0
pass() { echo "== $1: PASS"; passed=$((passed + 1)); }
fail() { echo "== $1: FAIL${2:+ ($2)}"; failed=$((failed + 1)); }

nn_ensure_packages "${NN_BASE_PACKAGES[@]}" clang

# -- build: clean first so every file is recompiled and its warnings seen.
buildlog="$(mktemp)"
installed=0
make -C "$REPO" clean PG_CONFIG="$PG_CONFIG" >/dev/null 2>&1 || true
if nn_build_install "$buildlog"; then
    installed=1
    if grep -q 'warning:' "$buildlog"; then
        echo "compiler warnings:"; grep 'warning:' "$buildlog"
        fail build "warnings"
    else
        pass build
    fi
else
    fail build "make failed"
fi
rm -f "$buildlog"

# -- unit: test/Makefile is optional, unless there are unit tests to run.
if [ -f "$REPO/test/Makefile" ]; then
    echo "== unit: make -C test check"
    if make -C "$REPO/test" check PG_CONFIG="$PG_CONFIG"; then pass unit; else fail unit; fi
elif [ -d "$REPO/test/unit" ]; then
    fail unit "test/unit exists but test/Makefile is missing"
else
    echo "== unit: skipped (no test/Makefile, no test/unit)"
fi

# -- regress: needs the freshly installed extension and a running server.
if [ "$installed" = 0 ]; then
    fail regress "not run: extension not installed"
elif ! nn_cluster_start; then
    fail regress "cluster did not start"
else
    rm -f "$REPO/regression.diffs"
    if make -C "$REPO" installcheck PG_CONFIG="$PG_CONFIG"; then
        pass regress
    else
        if [ -f "$REPO/regression.diffs" ]; then
            echo "---- regression.diffs (head) ----"
            head -n 200 "$REPO/regression.diffs"
        fi
        fail regress
    fi
fi

# Stop now (the EXIT trap would too) so nothing is printed after the summary.
nn_cluster_stop
echo "tests: $passed passed, $failed failed"
[ "$failed" = 0 ]
