# shellcheck shell=bash disable=SC2034
# Shared helpers for the test/benchmark scripts. Source it, don't run it:
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# Functions are written with explicit `|| return 1` so they also behave when
# called in an `if` (where `set -e` is suspended), as run_tests.sh does.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# NN_PGBIN: another (relocated) copy of the PostgreSQL 15 binaries, e.g. a
# private install tree used while developing; the default is Debian's.
PGBIN="${NN_PGBIN:-/usr/lib/postgresql/15/bin}"
# Pin the PostgreSQL version for PGXS (/usr/bin/pg_config is a wrapper that
# could pick another major version if several are installed).
PG_CONFIG="$PGBIN/pg_config"
export REPO PGBIN PG_CONFIG

NN_BASE_PACKAGES=(postgresql-15 postgresql-server-dev-15 libopenblas-dev make gcc)

# ---------------------------------------------------------------- packages
NN_APT_UPDATED=0
nn_ensure_packages() {
    local pkg missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' \
            || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if [ "$NN_APT_UPDATED" = 0 ]; then
        apt-get update -qq || return 1
        NN_APT_UPDATED=1
    fi
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || return 1
}

# ---------------------------------------------------------------- build
# nn_build_install [LOGFILE]: build and install the extension; with LOGFILE,
# the combined make output is also saved there (for the warning check).
nn_build_install() {
    local log="${1:-/dev/null}"
    {
        make -C "$REPO" -j"$(nproc)" PG_CONFIG="$PG_CONFIG" 2>&1 &&
        make -C "$REPO" install PG_CONFIG="$PG_CONFIG" 2>&1
    } | tee "$log"
    # pipefail: the status is make's, not tee's
    return "${PIPESTATUS[0]}"
}

# ---------------------------------------------------------------- checks
# nn_check WHAT GOT EXPECTED: one line, PASS, or FAIL with both values;
# counted in NN_PASSED and NN_FAILED for the script's summary line
NN_PASSED=0
NN_FAILED=0
nn_check() {
    if [ "$2" = "$3" ]; then
        echo "PASS $1"; NN_PASSED=$((NN_PASSED + 1))
    else
        echo "FAIL $1: got '$2', expected '$3'"; NN_FAILED=$((NN_FAILED + 1))
    fi
}

# ---------------------------------------------------------------- cluster
NN_TMP=""
NN_PGDATA=""

# Run a command as the postgres user. runuser (no login shell) keeps the
# environment today, but pass OPENBLAS_* explicitly so the server sees them
# even if a PAM/su configuration scrubs the environment. cd / so postgres
# never starts in a directory it cannot read (e.g. /root).
nn_as_postgres() {
    local v passenv=()
    for v in OPENBLAS_CORETYPE OPENBLAS_L2_SIZE; do
        [ -n "${!v+x}" ] && passenv+=("$v=${!v}")
    done
    (cd / && runuser -u postgres -- env "${passenv[@]}" "$@")
}

nn_cluster_stop() {
    [ -n "$NN_TMP" ] || return 0
    if [ -f "$NN_PGDATA/postmaster.pid" ]; then
        nn_as_postgres "$PGBIN/pg_ctl" -D "$NN_PGDATA" -s -m fast -t 60 stop >/dev/null 2>&1 ||
            nn_as_postgres "$PGBIN/pg_ctl" -D "$NN_PGDATA" -s -m immediate stop >/dev/null 2>&1 || true
    fi
    rm -rf "$NN_TMP"
    NN_TMP=""
}

nn_cluster_log_tail() {  # $1: initdb.log or server.log
    echo "---- $1 (tail) ----" >&2
    tail -n 40 "$NN_TMP/$1" >&2 || true
}

nn_cluster_start() {
    # Install the trap first so a half-made cluster is also cleaned up.
    # INT/TERM are turned into exit so that the EXIT trap runs on Ctrl-C too.
    trap nn_cluster_stop EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM

    NN_TMP="$(mktemp -d -t nn-pg.XXXXXX)" || return 1
    NN_PGDATA="$NN_TMP/data"
    chown postgres: "$NN_TMP" || return 1
    # The socket lives in a private directory, so a fixed port cannot clash
    # with another cluster (PG >= 12 keys shared memory on the data dir inode).
    local port="${NN_PGPORT:-54329}"

    # --no-locale: C collation, so regression outputs do not depend on the
    # machine's locale.
    if ! nn_as_postgres "$PGBIN/initdb" -D "$NN_PGDATA" --auth=trust -U postgres \
            --no-locale -E UTF8 --no-sync >"$NN_TMP/initdb.log" 2>&1; then
        echo "initdb failed" >&2; nn_cluster_log_tail initdb.log; return 1
    fi
    # Throwaway cluster: durability is pointless, speed is not.
    cat >>"$NN_PGDATA/postgresql.conf" <<EOF || return 1

# --- added by test/lib.sh ---
listen_addresses = ''
unix_socket_directories = '$NN_TMP'
port = $port
shared_buffers = 256MB
max_parallel_workers_per_gather = 2
max_wal_size = 4GB
fsync = off
synchronous_commit = off
full_page_writes = off
lc_messages = 'C'
# the same output on every CPU: no advice about OpenBLAS's kernel
nn.blas_core_warning = off
${NN_EXTRA_CONF:-}
EOF
    if ! nn_as_postgres "$PGBIN/pg_ctl" -D "$NN_PGDATA" -l "$NN_TMP/server.log" \
            -s -w -t 60 start; then
        echo "server failed to start" >&2; nn_cluster_log_tail server.log; return 1
    fi
    export PGHOST="$NN_TMP" PGPORT="$port" PGUSER=postgres PGDATABASE=postgres
    echo "cluster up: socket $PGHOST port $PGPORT (log $NN_TMP/server.log)"
}

nn_psql() {
    psql -X -v ON_ERROR_STOP=1 -q "$@"
}

# CREATE EXTENSION nn in database $1; or, with NN_BUILD_DIR set to a built
# source tree (make, no install), its scripts with the functions bound to
# NN_BUILD_DIR/nn.so: a private build, e.g. of one commit, used without
# installing it over the system's.  The default version is reached as
# PostgreSQL itself would: nn--1.0.sql, then each nn--A--B.sql in turn.
nn_create_extension() {
    local db="$1" ver from=1.0 next script
    if [ -z "${NN_BUILD_DIR:-}" ]; then
        nn_psql -d "$db" -c 'CREATE EXTENSION nn'
        return
    fi
    ver="$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" "$NN_BUILD_DIR/nn.control")"
    {
        cat "$NN_BUILD_DIR/nn--$from.sql"
        while [ "$from" != "$ver" ]; do
            script="$(ls "$NN_BUILD_DIR"/nn--"$from"--*.sql 2>/dev/null | head -n 1)"
            [ -n "$script" ] || { echo "no update script from $from" >&2; return 1; }
            next="${script##*--}"; next="${next%.sql}"
            cat "$script"; from="$next"
        done
    } | sed -e "s|MODULE_PATHNAME|$NN_BUILD_DIR/nn|g" -e '/^\\echo/d' \
            -e "s|@extschema@|public|g" -e '/pg_extension_config_dump/d' | nn_psql -d "$db"
}
