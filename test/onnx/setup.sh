# shellcheck shell=bash
# What test/onnx/check.sh and runtime.sh share; source it after test/lib.sh.
#
# onnx_setup PORT DB: python3-onnx; a cluster (the caller's when PGHOST is
# set, else a throwaway one on NN_PGPORT or PORT, after building and
# installing nn unless NN_SKIP_BUILD or NN_BUILD_DIR is set); database DB
# with nn and the dense models of models.sql (ox_models, ox_rows).  On exit
# DB and DB_latin1 are dropped, the files in onnx_tmp removed and the
# throwaway cluster stopped.
onnx_tmp=()

onnx_cleanup() {
    nn_psql -c "DROP DATABASE IF EXISTS $onnx_db" >/dev/null 2>&1 || true
    nn_psql -c "DROP DATABASE IF EXISTS ${onnx_db}_latin1" >/dev/null 2>&1 || true
    rm -f "${onnx_tmp[@]}"
    nn_cluster_stop
}

onnx_setup() {
    nn_ensure_packages python3-onnx python3-numpy
    if [ -z "${PGHOST:-}" ]; then
        nn_ensure_packages "${NN_BASE_PACKAGES[@]}"
        [ -n "${NN_SKIP_BUILD:-}${NN_BUILD_DIR:-}" ] || nn_build_install >/dev/null
        NN_PGPORT="${NN_PGPORT:-$1}" nn_cluster_start >/dev/null
    fi
    onnx_db="$2"
    trap onnx_cleanup EXIT
    nn_psql -c "CREATE DATABASE $onnx_db"
    nn_create_extension "$onnx_db"
    nn_psql -d "$onnx_db" -f "$REPO/test/onnx/models.sql"
}
