# shellcheck shell=bash
# test/bench/rnn.sh - the recurrent part of the benchmark (issue 16,
# "Acceptance"), sourced by run_bench.sh after cnn.sh, whose runner it uses
# (net_bench: nn then PyTorch back to back for each network and seed).
#
# The networks: Fashion-MNIST read as a sequence, 28 steps of 28 pixels (a
# row of the image per step, input_shape [28, 28]), pixels in [0, 1]
# (standardize false); LSTM(128) (its last step's output) - softmax, and
# GRU(128) - softmax; Adam lr 0.001, batch 128.  PyTorch's side is
# rnn_peers.py: nn.LSTM(28, 128, batch_first=True) (or nn.GRU), the last
# step, Linear(128, 10).  As for the CNN:
#  - nn trains 1 epoch (nn_train), is evaluated on fm_test, trains the other
#    epochs (nn_continue) and is evaluated again; PyTorch evaluates after
#    every epoch;
#  - both sides train on RNN_THREADS threads and time RNN_OTHER_EPOCHS
#    epochs on the other count (seed 1 only); the report takes the faster
#    count of each side;
#  - the backend's peak memory beside 2 x the training data as float32 plus
#    what backpropagation through time keeps (rnn_report.py computes it).
# Knobs (run_bench.sh lists them too): NN_BENCH_RNN_SEEDS (the LSTM's seeds,
# default "1"; the GRU runs seed 1), NN_BENCH_RNN_THREADS (default 1: on
# this machine PyTorch's LSTM is several times slower on 2 threads),
# NN_BENCH_RNN_EPOCHS (default 10; 1 in a quick run, which also trains on
# 10,000 rows only), NN_BENCH_RNN_OTHER_EPOCHS (the epochs timed on the other
# thread count, default 2, 1 in a quick run; 0: none).

RNN_UNITS=128
RNN_SEEDS=${NN_BENCH_RNN_SEEDS:-1}
RNN_THREADS=${NN_BENCH_RNN_THREADS:-1}
case "$RNN_THREADS" in 1|2) ;; *) echo "NN_BENCH_RNN_THREADS is 1 or 2, not '$RNN_THREADS'" >&2; exit 2 ;; esac
if [ "${QUICK:-0}" = 1 ]; then RNN_EPOCHS=1; RNN_ROWS=10000; RNN_OTHER_EPOCHS=1
else RNN_EPOCHS=10; RNN_ROWS=60000; RNN_OTHER_EPOCHS=2; fi
RNN_EPOCHS=${NN_BENCH_RNN_EPOCHS:-$RNN_EPOCHS}
RNN_OTHER_EPOCHS=${NN_BENCH_RNN_OTHER_EPOCHS:-$RNN_OTHER_EPOCHS}
case "$RNN_EPOCHS" in [1-9]|[1-9][0-9]) ;; *) echo "NN_BENCH_RNN_EPOCHS is 1 to 99, not '$RNN_EPOCHS'" >&2; exit 2 ;; esac
case "$RNN_OTHER_EPOCHS" in [0-9]) ;; *) echo "NN_BENCH_RNN_OTHER_EPOCHS is 0 to 9, not '$RNN_OTHER_EPOCHS'" >&2; exit 2 ;; esac

# rnn_layers NET: the one recurrent layer of lstm or gru
rnn_layers() { printf '[{"type": "%s", "units": %s}]' "$1" "$RNN_UNITS"; }

# (the NET_ variables are read by net_bench, in cnn.sh)
# shellcheck disable=SC2034
rnn_bench() {
    NET_FAMILY=rnn NET_PEERS=rnn_peers.py NET_SHAPE='[28, 28]' NET_EPOCHS=$RNN_EPOCHS
    NET_ROWS=$RNN_ROWS NET_THREADS=$RNN_THREADS NET_OTHER_EPOCHS=$RNN_OTHER_EPOCHS NET_SRC=$TRAIN
    [ "$NET_ROWS" -lt 60000 ] && NET_SRC="SELECT * FROM $TRAIN LIMIT $NET_ROWS"
    net_bench "Recurrent" "$RNN_SEEDS" lstm gru
}
