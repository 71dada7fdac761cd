#!/usr/bin/env bash
# Byte-identity check for changes to the kernels' arithmetic layout (the
# blocking of matrix products, interrupt checks between them): trains and
# scores the shapes of bytes_shapes.sql under each OpenBLAS kernel and
# prints one md5 per result.
#
#   bash test/reliability/bytes.sh > before.txt    # on the old build
#   bash test/reliability/bytes.sh > after.txt     # on the new build
#   diff before.txt after.txt                       # must be empty
#
# Environment: NN_SKIP_BUILD=1 uses the installed extension, NN_BUILD_DIR a
# private build (test/lib.sh nn_create_extension); BYTES_CORETYPES
# (default "unset Haswell SkylakeX"); NN_PGPORT (default 54345).
set -euo pipefail
# shellcheck source=test/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
export NN_PGPORT="${NN_PGPORT:-54345}"

[ -n "${NN_SKIP_BUILD:-}" ] || nn_build_install >/dev/null
for ct in ${BYTES_CORETYPES:-unset Haswell SkylakeX}; do
    (
        if [ "$ct" = unset ]; then unset OPENBLAS_CORETYPE; else export OPENBLAS_CORETYPE="$ct"; fi
        nn_cluster_start >/dev/null
        nn_create_extension postgres >/dev/null
        nn_psql -f "$REPO/test/reliability/bytes_shapes.sql" | grep -v '^$' | sed "s/^/$ct /"
    )
done
