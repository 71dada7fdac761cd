#!/usr/bin/env bash
# Fuzz the model reader and the pure-C scoring and training core with
# libFuzzer (clang, ASan + UBSan) for a bounded time.
#
#   test/fuzz/run.sh                     60 s over a copy of test/fuzz/corpus
#   FUZZ_SECONDS=600 test/fuzz/run.sh    longer
#   test/fuzz/run.sh -use_value_profile=1   extra arguments go to libFuzzer
#   test/fuzz/run.sh CRASH_FILE...       re-run saved inputs (reproduce)
#
# Environment:
#   FUZZ_SECONDS    run time in seconds (default 60)
#   FUZZ_BUILD      where the binary goes (default test/fuzz/build)
#   FUZZ_ARTIFACTS  where crashing inputs are saved (default test/fuzz/artifacts)
#   FUZZ_OPENBLAS=1 link the real OpenBLAS instead of the harness's plain-C
#                   cblas_sgemv/sgemm (those let ASan check the BLAS reads)
#   FUZZ_SAVE_DIR   save (up to 50) inputs whose scores come out non-finite
#                   or that a training step leaves unreadable (see fuzz_model.c)
#   FUZZ_NO_TRAIN=1 skip the training step
#   FUZZ_KEEP_CORPUS=DIR  copy the grown corpus to DIR at the end
#   FUZZ_COVERAGE=1 then build a coverage binary, run it over the grown
#                   corpus and print line coverage of src/formats/ and the
#                   kernels (llvm-cov; annotated source in FUZZ_BUILD/coverage.txt)
#   FUZZ_TOLERATE_OFFSETS=12,...  byte offsets where a re-written model may
#                   differ from its input (a known non-canonical field, to
#                   fuzz on past it until fixed)
#
# The harness compiles src/kernels/*.c and src/formats/*.c (model.c among
# them) directly (no PostgreSQL).  The corpus is copied to a temporary directory, so the
# repository's seeds do not grow; regenerate them with make_seeds.sh.
# Prints the executions, coverage and finding counts; exits non-zero when
# libFuzzer reports a crash, leak, timeout or sanitizer error.
set -euo pipefail
# shellcheck source=test/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

here="$REPO/test/fuzz"
seconds="${FUZZ_SECONDS:-60}"
build="${FUZZ_BUILD:-$here/build}"
artifacts="${FUZZ_ARTIFACTS:-$here/artifacts}"

nn_ensure_packages clang libclang-rt-14-dev libopenblas-dev
[ -z "${FUZZ_COVERAGE:-}" ] || nn_ensure_packages llvm

mkdir -p "$build" "$artifacts"
bin="$build/fuzz_model"
defs=()
[ -n "${FUZZ_OPENBLAS:-}" ] && defs+=(-DFUZZ_OPENBLAS)
echo "== building $bin"
clang -std=gnu11 -g -O1 -Wall -Wextra -Werror -fno-omit-frame-pointer \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
    "${defs[@]}" -I"$REPO/src" \
    "$here/fuzz_model.c" "$REPO"/src/kernels/*.c "$REPO"/src/formats/*.c \
    -lopenblas -lm -o "$bin"

export OPENBLAS_NUM_THREADS=1
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:allocator_may_return_null=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

# Reproduce mode: every argument is an existing file.
if [ $# -gt 0 ] && [ -f "$1" ]; then
    exec "$bin" "$@"
fi

work="$(mktemp -d -t nn-fuzz.XXXXXX)"
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus"
cp "$here"/corpus/*.bin "$work/corpus/"
log="$work/fuzz.log"

echo "== fuzzing for $seconds s over $(find "$work/corpus" -type f | wc -l) seeds (log: $log while running)"
status=0
"$bin" "$work/corpus" \
    -dict="$here/model.dict" \
    -max_len=65536 -rss_limit_mb=2048 -timeout=30 \
    -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "$@" >"$log" 2>&1 || status=$?

# the status lines, the harness's finding counts, and any error report
grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)|^stat::|^fuzz_model:|^Done ' "$log" || true
if [ "$status" != 0 ]; then
    echo "== libFuzzer failed (exit $status); the report:"
    grep -v -E '^#[0-9]+[[:space:]]+(NEW|REDUCE|pulse)' "$log" | tail -n 80
    echo "== crashing input saved under $artifacts/ (reproduce: test/fuzz/run.sh FILE)"
    exit 1
fi
if [ -n "${FUZZ_KEEP_CORPUS:-}" ]; then
    mkdir -p "$FUZZ_KEEP_CORPUS"
    cp "$work"/corpus/* "$FUZZ_KEEP_CORPUS/"
    echo "== corpus ($(find "$work/corpus" -type f | wc -l) inputs) copied to $FUZZ_KEEP_CORPUS"
fi
if [ -n "${FUZZ_COVERAGE:-}" ]; then
    echo "== line coverage over the grown corpus"
    clang -std=gnu11 -g -O0 -fsanitize=fuzzer -fprofile-instr-generate -fcoverage-mapping \
        "${defs[@]}" -I"$REPO/src" \
        "$here/fuzz_model.c" "$REPO"/src/kernels/*.c "$REPO"/src/formats/*.c \
        -lopenblas -lm -o "$build/fuzz_model_cov"
    LLVM_PROFILE_FILE="$work/cov.profraw" \
        "$build/fuzz_model_cov" -runs=0 "$work/corpus" >/dev/null 2>&1 || true
    llvm-profdata merge -sparse "$work/cov.profraw" -o "$work/cov.profdata"
    llvm-cov report "$build/fuzz_model_cov" -instr-profile="$work/cov.profdata" \
        "$REPO"/src/kernels/*.c "$REPO"/src/formats/*.c | sed "s|$REPO/||"
    llvm-cov show "$build/fuzz_model_cov" -instr-profile="$work/cov.profdata" \
        "$REPO"/src/kernels/*.c "$REPO"/src/formats/*.c >"$build/coverage.txt"
fi
execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)"
cov="$(grep -E '^#[0-9]+[[:space:]]' "$log" | tail -n 1 | sed -n 's/.* cov: \([0-9]*\).*/\1/p')"
echo "fuzz: ${execs:-?} executions in $seconds s (${rate:-?}/s), cov $cov, no crash"
