#!/usr/bin/env bash
# Command 2, the test suite (what CI runs via .ci/run). The stages, each
# described with what it proves in the README's Tests section: build (no
# warnings), unit and sanitize (C unit tests and gradient checks, plain and
# under ASan+UBSan), mutate (a sample of test/mutants.txt), fuzz (30 s of
# libFuzzer), regress (pg_regress), toolkit (the acceptance table), progress,
# onnx, onnx_runtime, catalog, upgrade (data carried through ALTER EXTENSION UPDATE),
# preload, concurrency (15 s) and cancel (quick).
# Every test case, mutant, pg_regress test and counted check counts in the
# summary. A failed stage does not stop the later ones; the last line printed
# is "tests: N passed, N failed" and the exit status is non-zero if any failed.
set -euo pipefail
# shellcheck source=test/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

passed=0 failed=0
# run_counted NAME SCRIPT: a test script printing "NAME: N passed, N failed"
run_counted() {
    local log line p f
    log="$(mktemp)"
    bash "$2" 2>&1 | tee "$log" || true
    line="$(grep -E "^$1: [0-9]+ passed, [0-9]+ failed\$" "$log" | tail -n 1 || true)"
    rm -f "$log"
    if [ -z "$line" ]; then fail "$1" "did not run"; return 0; fi
    p="$(sed -E 's/^[a-z_]+: ([0-9]+) passed.*/\1/' <<<"$line")"
    f="$(sed -E 's/.* ([0-9]+) failed$/\1/' <<<"$line")"
    passed=$((passed + p)); failed=$((failed + f))
    echo "== $1: $p passed, $f failed"
}
pass() { echo "== $1: PASS"; passed=$((passed + 1)); }
fail() { echo "== $1: FAIL${2:+ ($2)}"; failed=$((failed + 1)); }

# clang's ASan/UBSan runtime is in libclang-rt-14-dev, only a recommended
# package of clang (and recommends are not installed here)
nn_ensure_packages "${NN_BASE_PACKAGES[@]}" clang libclang-rt-14-dev

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

# -- unit: the C unit tests and gradient checks, plain and under ASan+UBSan.
# Each test case counts in the summary (the "unit: N passed, N failed" line).
run_unit() {  # $1: stage name, $2: make target
    local log status line p f
    log="$(mktemp)"
    echo "== $1: make -C test $2"
    if make -C "$REPO/test" "$2" >"$log" 2>&1; then status=0; else status=1; fi
    cat "$log"
    line="$(grep -E '^unit: [0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1 || true)"
    rm -f "$log"
    if [ -z "$line" ]; then
        fail "$1" "did not build or run"
        return 0
    fi
    p="$(sed -E 's/^unit: ([0-9]+) passed.*/\1/' <<<"$line")"
    f="$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")"
    passed=$((passed + p)); failed=$((failed + f))
    echo "== $1: $p passed, $f failed"
    # a failing make that reported no failed case still fails the stage
    if [ "$status" != 0 ] && [ "$f" = 0 ]; then fail "$1" "make failed"; fi
}
# sanitizers_work: a trivial program built with -fsanitize=address,undefined
# links and runs; otherwise says what is missing
sanitizers_work() {
    local dir status=0
    dir="$(mktemp -d)"
    printf 'int main(void) { return 0; }\n' >"$dir/t.c"
    if ! clang -fsanitize=address,undefined "$dir/t.c" -o "$dir/t" >"$dir/log" 2>&1; then
        echo "clang cannot link -fsanitize=address,undefined (is libclang-rt-14-dev installed?):"
        cat "$dir/log"; status=1
    elif ! "$dir/t" >"$dir/log" 2>&1; then
        echo "a program built with -fsanitize=address,undefined does not run:"; cat "$dir/log"; status=1
    fi
    rm -rf "$dir"
    return "$status"
}

run_unit unit check
if sanitizers_work; then
    run_unit sanitize check-sanitize
else
    fail sanitize "the ASan/UBSan toolchain does not work"
fi

# -- mutate: a fixed sample of test/mutants.txt (about a minute; the full list
# is `bash test/mutate.sh`): each mutant applied to a copy of the sources must
# fail the unit tests.  A killed mutant counts as passed, a survivor as failed.
echo "== mutate: test/mutate.sh --sample 50"
mutlog="$(mktemp)"
if bash "$REPO/test/mutate.sh" --sample 50 2>&1 | tee "$mutlog"; then mstatus=0; else mstatus=1; fi
line="$(grep -E '^mutants: [0-9]+ killed, [0-9]+ survived$' "$mutlog" | tail -n 1 || true)"
rm -f "$mutlog"
if [ -z "$line" ]; then
    fail mutate "did not run"
else
    mk="$(sed -E 's/^mutants: ([0-9]+) killed.*/\1/' <<<"$line")"
    ms="$(sed -E 's/.* ([0-9]+) survived$/\1/' <<<"$line")"
    passed=$((passed + mk)); failed=$((failed + ms))
    echo "== mutate: $mk killed, $ms survived"
    # a stale or invalid mutant fails the run without a survivor
    if [ "$mstatus" != 0 ] && [ "$ms" = 0 ]; then fail mutate "stale or invalid mutants"; fi
fi

# -- fuzz: the model reader and scoring under libFuzzer + ASan/UBSan, briefly
# (test/fuzz/run.sh with FUZZ_SECONDS runs it for longer)
echo "== fuzz: test/fuzz/run.sh (${NN_FUZZ_SECONDS:-30} s)"
if FUZZ_SECONDS="${NN_FUZZ_SECONDS:-30}" bash "$REPO/test/fuzz/run.sh"; then pass fuzz; else fail fuzz; fi

# -- regress: needs the freshly installed extension and a running server.
if [ "$installed" = 0 ]; then
    fail regress "not run: extension not installed"
elif ! nn_cluster_start; then
    fail regress "cluster did not start"
else
    rm -f "$REPO/regression.diffs"
    reglog="$(mktemp)"
    make -C "$REPO" installcheck PG_CONFIG="$PG_CONFIG" 2>&1 | tee "$reglog" || true
    # each pg_regress test counts in the summary
    rp="$(grep -cE '^(ok|test) .* \.\.\. +ok' "$reglog" || true)"
    rf="$(grep -cE '\.\.\. +FAILED' "$reglog" || true)"
    if [ "$rp" = 0 ] && [ "$rf" = 0 ]; then
        fail regress "pg_regress ran no test"
    else
        passed=$((passed + rp)); failed=$((failed + rf))
        echo "== regress: $rp passed, $rf failed"
    fi
    if [ "$rf" != 0 ] && [ -f "$REPO/regression.diffs" ]; then
        echo "---- regression.diffs (head) ----"
        head -n 200 "$REPO/regression.diffs"
    fi
    rm -f "$reglog"
    # the toolkit acceptance table (issue 3): each row a check
    run_counted toolkit "$REPO/test/toolkit_acceptance.sh"
    # training progress seen from another session
    run_counted progress "$REPO/test/progress.sh"
    # nn_export_onnx's files: onnx.checker and a numpy evaluation against
    # nn_predict_proba/nn_predict (test/onnx/check.sh); each model a check
    run_counted onnx "$REPO/test/onnx/check.sh"
    # the same files and convolutional ones in onnxruntime (npm's
    # onnxruntime-node, installed on first use outside the repository)
    run_counted onnx_runtime "$REPO/test/onnx/runtime.sh"
    # the model catalog across sessions and through pg_dump: each line a check
    run_counted catalog "$REPO/test/catalog.sh"
fi

nn_cluster_stop

# -- upgrade: CREATE EXTENSION nn VERSION '1.0', ALTER EXTENSION nn UPDATE,
# then every object compared with a fresh install (its own cluster)
if [ "$installed" = 1 ] && NN_PGPORT=54344 bash "$REPO/test/reliability/upgrade.sh"; then
    pass upgrade
else
    fail upgrade
fi

nn_cluster_stop

# -- preload: nn in shared_preload_libraries (its own cluster): a one-thread
# postmaster, training on 2 OpenBLAS threads, parallel scoring, cancel
if [ "$installed" = 1 ]; then
    run_counted preload "$REPO/test/preload.sh"
else
    fail preload "not run: extension not installed"
fi

# -- concurrency: 15 s of test/reliability/concurrency.sh (its own cluster):
# 8 pgbench clients scoring and 2 training; no error, every model
# byte-identical to a single client's, every score recomputed equal, memory
# flat
if [ "$installed" = 1 ]; then
    CONC_SECONDS=15 run_counted concurrency "$REPO/test/reliability/concurrency.sh"
else
    fail concurrency "not run: extension not installed"
fi

# -- cancel: the quick variant of test/reliability/cancel.sh (its own
# cluster): statement_timeout and pg_cancel_backend stop nn within 1 s,
# large training steps and scoring included; the session stays usable and
# 20 cancelled trainings leave memory flat.  NN_CANCEL=0 skips it.
if [ "${NN_CANCEL:-1}" = 0 ]; then
    echo "== cancel: skipped (NN_CANCEL=0)"
elif [ "$installed" = 0 ]; then
    fail cancel "not run: extension not installed"
elif CANCEL_QUICK=1 bash "$REPO/test/reliability/cancel.sh"; then
    pass cancel
else
    fail cancel
fi
echo "tests: $passed passed, $failed failed"
[ "$failed" = 0 ]
