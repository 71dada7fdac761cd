#!/usr/bin/env bash
# Regenerate the fuzz seed corpus, test/fuzz/corpus/*.bin: one valid model
# per file, made by the extension itself from test/fuzz/seeds.sql (every
# layer kind, activation, loss, optimizer, init and option), so the fuzzer
# starts from real encodings instead of guessing the layout.
#
#   test/fuzz/make_seeds.sh                 build, install, throwaway cluster
#   NN_SKIP_BUILD=1 test/fuzz/make_seeds.sh use the installed extension
#   NN_BUILD_DIR=DIR ...     use DIR/nn.so, made but not installed there
#   PGHOST=... test/fuzz/make_seeds.sh      use the caller's cluster
#
# Old seeds are replaced.  The files are small (a few hundred bytes to a
# few KB each) and meant to be committed.
set -euo pipefail
# shellcheck source=test/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

out="$REPO/test/fuzz/corpus"
if [ -z "${PGHOST:-}" ]; then
    nn_ensure_packages "${NN_BASE_PACKAGES[@]}" xxd
    [ -n "${NN_SKIP_BUILD:-}${NN_BUILD_DIR:-}" ] || nn_build_install >/dev/null
    NN_PGPORT="${NN_PGPORT:-54343}" nn_cluster_start >/dev/null
fi
db="nn_fuzz_seeds_$$"
nn_psql -c "CREATE DATABASE $db"
trap 'nn_psql -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true; nn_cluster_stop' EXIT

nn_create_extension "$db"
lines="$(nn_psql -d "$db" -f "$REPO/test/fuzz/seeds.sql")"
rm -rf "$out"
mkdir -p "$out"
n=0
while IFS='|' read -r name hex; do
    [ -n "$name" ] || continue
    xxd -r -p <<<"$hex" >"$out/$name.bin"
    n=$((n + 1))
done <<<"$lines"
[ "$n" -gt 0 ] || { echo "no seeds produced" >&2; exit 1; }
echo "wrote $n seeds to $out ($(du -sb "$out" | cut -f1) bytes)"
