#!/bin/sh
# run.sh DIR TEST... - run the unit test binaries DIR/TEST, print one line
# per binary and a final "unit: N passed, N failed" line (N counts test
# cases).  Exits non-zero when anything failed.  A binary that crashes, is
# killed by a sanitizer, or exits non-zero without reporting a failure
# counts as one more failed case.  Output of a failing binary is shown.
dir=$1
shift

passed=0
failed=0
checks=0
for t in "$@"; do
    bin=$dir/$t
    log=$dir/$t.log
    "$bin" >"$log" 2>&1
    rc=$?
    result=$(grep '^RESULT ' "$log" | tail -n 1)
    p=0 f=0 c=0
    if [ -n "$result" ]; then
        # RESULT cases_passed cases_failed checks checks_failed
        read -r _ p f c _ <<EOF
$result
EOF
    fi
    note=""
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        # crashed, or failed after its summary (e.g. LeakSanitizer)
        f=$((f + 1))
        note=" (exit status $rc)"
    fi
    if [ "$f" -ne 0 ]; then
        status=FAIL
        grep -v '^RESULT ' "$log" | sed 's/^/    /'
    else
        status=ok
    fi
    printf '%-4s %-20s %3d passed, %d failed, %6d checks%s\n' \
        "$status" "$t" "$p" "$f" "$c" "$note"
    passed=$((passed + p))
    failed=$((failed + f))
    checks=$((checks + c))
done

echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
