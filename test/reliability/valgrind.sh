#!/usr/bin/env bash
# The pg_regress suite with the server under valgrind memcheck.
#
#   bash test/reliability/valgrind.sh                    the whole suite
#   VG_REGRESS="predict train_basic" bash test/reliability/valgrind.sh   a subset
#
# Builds and installs the extension, makes a throwaway cluster (test/lib.sh),
# then restarts its postmaster under valgrind through pg_ctl -p (a wrapper
# that execs valgrind ... postgres).  Backends are forked from the postmaster,
# so each one runs under memcheck and writes $VG_LOGS/vg.<pid>.log.  After
# `make installcheck` the server is stopped and every valgrind error is read
# back: errors with a frame in nn's code (nn.so, or nn's source files)
# fail the run; errors purely inside postgres, libc or OpenBLAS are counted
# and shown as information only.
#
# Debian's postgres is not built with USE_VALGRIND, so memcheck does not see
# palloc chunk boundaries inside a memory-context block, nor memory that is
# pfree'd and reused within one.  What it does see: reads and writes outside
# any malloc'd block (every allocation above 8 kB - nn's row buffers,
# weights, work areas - is its own malloc block, so overruns of those are
# caught), reads of never-written malloc'd memory that steer a branch or
# reach a syscall, invalid frees, and overlapping memcpy.
#
# Environment:
#   VG_REGRESS        space-separated pg_regress tests (default: all of sql/)
#   VG_TRACK_ORIGINS  yes: --track-origins=yes (slower; says where an
#                     uninitialised value came from)
#   VG_SUPPRESSIONS   a valgrind suppression file to add
#   VG_KEEP           directory to copy the valgrind logs to (default: none)
#   NN_PGPORT         default 54344
#
# Exit status: 0 when no error has an nn frame and the suite ran; 1 otherwise
# (a pg_regress failure under valgrind is reported too, and fails the run).
set -euo pipefail
# shellcheck source=test/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
export NN_PGPORT="${NN_PGPORT:-54344}"

nn_ensure_packages "${NN_BASE_PACKAGES[@]}" valgrind python3
nn_build_install >/dev/null
# Valgrind's CPUID hides some CPU features, so OpenBLAS's runtime dispatch
# would choose other kernels under valgrind than natively (on this project's
# machine: Haswell instead of the native Prescott). The low bits of the
# scores would then change, and tests comparing exact values, such as the
# golden models, would fail. Pin the kernels the server uses natively,
# unless the environment already chose some.
if [ -z "${OPENBLAS_CORETYPE:-}" ]; then
    OPENBLAS_CORETYPE="$(/usr/bin/python3 -c 'import ctypes, ctypes.util
lib = ctypes.CDLL(ctypes.util.find_library("openblas") or "libopenblas.so.0")
lib.openblas_get_corename.restype = ctypes.c_char_p
print(lib.openblas_get_corename().decode())' 2>/dev/null || true)"
    [ -n "$OPENBLAS_CORETYPE" ] && export OPENBLAS_CORETYPE || unset OPENBLAS_CORETYPE
fi
echo "OpenBLAS kernels: ${OPENBLAS_CORETYPE:-(dispatch)}"
nn_cluster_start

VG_LOGS="$NN_TMP/vg"
mkdir -p "$VG_LOGS"
chown postgres: "$VG_LOGS"

# No suppressions by default: every report is read back and sorted below, so
# none is hidden (VG_SUPPRESSIONS=file adds one).
supp=()
if [ -n "${VG_SUPPRESSIONS:-}" ]; then
    cp "$VG_SUPPRESSIONS" "$NN_TMP/extra.supp"
    chown postgres: "$NN_TMP/extra.supp"
    supp=(--suppressions="$NN_TMP/extra.supp")
fi

track=no
[ "${VG_TRACK_ORIGINS:-no}" = yes ] && track=yes
wrapper="$NN_TMP/postgres-vg"
cat >"$wrapper" <<EOF
#!/bin/sh
exec valgrind --tool=memcheck --leak-check=no --trace-children=yes \\
    --track-origins=$track --error-exitcode=0 --error-limit=no \\
    --num-callers=30 --fullpath-after= --read-var-info=no \\
    ${supp[*]} \\
    --log-file=$VG_LOGS/vg.%p.log \\
    $PGBIN/postgres "\$@"
EOF
chmod 755 "$wrapper"

# No JIT under valgrind (slow and noisy), and generous timeouts.
cat >>"$NN_PGDATA/postgresql.conf" <<'EOF'
# --- added by test/reliability/valgrind.sh ---
jit = off
shared_buffers = 64MB
max_parallel_workers_per_gather = 2
EOF

nn_as_postgres "$PGBIN/pg_ctl" -D "$NN_PGDATA" -s -m fast -t 120 stop
echo "restarting the server under valgrind (logs in $VG_LOGS)"
if ! nn_as_postgres "$PGBIN/pg_ctl" -D "$NN_PGDATA" -p "$wrapper" -l "$NN_TMP/server.log" \
        -s -w -t 600 start; then
    echo "server did not start under valgrind" >&2
    nn_cluster_log_tail server.log
    exit 1
fi

regress=()
if [ -n "${VG_REGRESS:-}" ]; then
    regress=(REGRESS="$VG_REGRESS")
fi
t0=$(date +%s)
rm -f "$REPO/regression.diffs"
reglog="$NN_TMP/installcheck.log"
set +e
make -C "$REPO" installcheck PG_CONFIG="$PG_CONFIG" "${regress[@]}" \
    EXTRA_REGRESS_OPTS="--outputdir=$NN_TMP/regress" >"$reglog" 2>&1
reg_status=$?
set -e
t1=$(date +%s)
cat "$reglog"
reg_ok=$(grep -cE '\.\.\. +ok' "$reglog" || true)
reg_failed=$(grep -cE '\.\.\. +FAILED' "$reglog" || true)
if [ "$reg_failed" != 0 ] && [ -f "$NN_TMP/regress/regression.diffs" ]; then
    echo "---- regression.diffs (head) ----"
    head -n 80 "$NN_TMP/regress/regression.diffs"
fi

# A stop under valgrind takes a while: the checkpoint is slow.
nn_as_postgres "$PGBIN/pg_ctl" -D "$NN_PGDATA" -s -m fast -t 600 stop ||
    nn_as_postgres "$PGBIN/pg_ctl" -D "$NN_PGDATA" -s -m immediate stop || true

if [ -n "${VG_KEEP:-}" ]; then
    mkdir -p "$VG_KEEP"
    cp "$VG_LOGS"/vg.*.log "$VG_KEEP"/
    echo "valgrind logs copied to $VG_KEEP"
fi

set +e
/usr/bin/python3 - "$VG_LOGS" <<'PY'
import collections, glob, os, re, sys

logdir = sys.argv[1]
KINDS = [
    ("invalid read", re.compile(r"^Invalid read of size")),
    ("invalid write", re.compile(r"^Invalid write of size")),
    ("uninitialised", re.compile(r"uninitialised|Uninitialised")),
    ("invalid free", re.compile(r"^(Invalid free|Mismatched free)")),
    ("overlap", re.compile(r"^Source and destination overlap")),
    ("other", re.compile(r".")),
]
# a frame of nn's own code: the library itself, or one of its source files
# in src/ or any folder below it (kernels/, formats/, ...)
NN_FRAME = re.compile(r"\(in [^)]*/nn\.so\)|/src/(?:[a-z_]+/)*[a-z_]+\.[ch]:\d+\)")


def scan(raw_lines, name, nn_errors, other):
    """Sort the error blocks of one valgrind log into nn_errors / other."""
    lines = [re.sub(r"^==\d+== ?", "", l.rstrip("\n")) for l in raw_lines]
    i = 0
    while i < len(lines):
        head = lines[i]
        kind = None
        if head and not head.startswith(" ") and not head.startswith("Memcheck") \
                and i + 1 < len(lines) and lines[i + 1].lstrip().startswith("at 0x"):
            kind = next(k for k, rx in KINDS if rx.search(head))
        if kind is None:
            i += 1
            continue
        j = i + 1
        while j < len(lines) and lines[j].strip() != "":
            j += 1
        block = lines[i:j]
        if any(NN_FRAME.search(l) for l in block):
            nn_errors.append((kind, name, block))
        else:
            other[kind] += 1
        i = j + 1


# self-check of the parser on three made-up reports: two with an nn frame
# (as valgrind prints it with --fullpath-after=), one in src/formats/; one
# inside postgres only
FIXTURE = """==1== Invalid write of size 1
==1==    at 0x8: onnx_write_tensor (/home/dev/nn/src/formats/onnx.c:77)
==1==    by 0x9: ??? (in /usr/lib/postgresql/15/bin/postgres)
==1== 
==1== Invalid read of size 4
==1==    at 0x1: memcpy (vg_replace_strmem.c:1)
==1==    by 0x2: nn_fit_state_add (/home/dev/nn/src/train/fit.c:101)
==1==    by 0x3: ??? (in /usr/lib/postgresql/15/bin/postgres)
==1==  Address 0x4 is 0 bytes after a block of size 16 alloc'd
==1==    at 0x5: malloc (vg_replace_malloc.c:1)
==1== 
==1== Syscall param write(buf) points to uninitialised byte(s)
==1==    at 0x6: write (write.c:26)
==1==    by 0x7: XLogFlush (in /usr/lib/postgresql/15/bin/postgres)
==1== 
""".splitlines(True)
fx_nn, fx_other = [], collections.Counter()
scan(FIXTURE, "fixture", fx_nn, fx_other)
if [k for k, _, _ in fx_nn] != ["invalid write", "invalid read"] \
        or dict(fx_other) != {"uninitialised": 1}:
    print(f"valgrind log parser self-check failed: {fx_nn} {fx_other}")
    sys.exit(3)

logs = sorted(glob.glob(os.path.join(logdir, "vg.*.log")))
nn_errors, other = [], collections.Counter()
processes = 0
for path in logs:
    processes += 1
    with open(path, errors="replace") as f:
        scan(f.readlines(), os.path.basename(path), nn_errors, other)

print()
print(f"valgrind: {processes} server processes logged")
print(f"errors outside nn (postgres/libc/OpenBLAS only, not counted): "
      + (", ".join(f"{k} {n}" for k, n in sorted(other.items())) or "none"))
seen = set()
for kind, log, block in nn_errors:
    key = tuple(l for l in block if l.lstrip().startswith(("at ", "by ")))[:6]
    if key in seen:
        continue
    seen.add(key)
    print(f"---- {kind} in nn code ({log}) ----")
    print("\n".join(block[:40]))
by_kind = collections.Counter(k for k, _, _ in nn_errors)
print(f"errors with an nn frame: {len(nn_errors)} ({len(seen)} distinct stacks)"
      + ("" if not by_kind else ": " + ", ".join(f"{k} {n}" for k, n in sorted(by_kind.items()))))
sys.exit(1 if nn_errors else (2 if processes == 0 else 0))
PY
vg_status=$?
set -e

echo "regress under valgrind: $reg_ok ok, $reg_failed failed (make exit $reg_status), $((t1 - t0)) s"
if [ "$vg_status" = 0 ] && [ "$reg_failed" = 0 ] && [ "$reg_ok" != 0 ]; then
    echo "valgrind: PASS"
    exit 0
fi
[ "$vg_status" = 2 ] && echo "no valgrind logs were written"
echo "valgrind: FAIL"
exit 1
