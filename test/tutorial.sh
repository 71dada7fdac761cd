#!/usr/bin/env bash
# The README tutorial, end to end on Fashion-MNIST: builds and installs nn,
# starts a throwaway cluster, loads the data, runs doc/tutorial.sql (queries
# echoed with their output), then saves the learning curve as SVG and the
# model as ONNX in a directory it prints.  Not part of the test command.
#
#   bash test/tutorial.sh          (as root; about a minute on 2 cores)
set -euo pipefail
# shellcheck source=test/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

nn_ensure_packages "${NN_BASE_PACKAGES[@]}" python3 dataset-fashion-mnist
nn_build_install >/dev/null
NN_PGPORT="${NN_PGPORT:-54347}" nn_cluster_start >/dev/null
out="$(mktemp -d -t nn-tutorial.XXXXXX)"

nn_psql -c 'CREATE EXTENSION nn' -c 'CREATE TABLE fm_train (label int, pixels real[])' \
        -c 'CREATE TABLE fm_test (label int, pixels real[])'
for split in train test; do
    /usr/bin/python3 "$REPO/test/load_fashion_mnist.py" "$split" | nn_psql -c "COPY fm_$split FROM STDIN"
done
nn_psql -c 'ANALYZE fm_train, fm_test'

psql -X -v ON_ERROR_STOP=1 -f "$REPO/doc/tutorial.sql"
psql -X -At -c "SELECT nn_plot(nn_model('fashion'))" >"$out/fashion.svg"
psql -X -At -c "SELECT encode(nn_export_onnx(nn_model('fashion')), 'base64')" | base64 -d >"$out/fashion.onnx"
ls -l "$out"
