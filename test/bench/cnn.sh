# shellcheck shell=bash
# test/bench/cnn.sh - the CNN part of the benchmark (issue 15, "Acceptance"),
# sourced by run_bench.sh, whose helpers it uses (timed_train, record, say,
# nn_psql, $PY, $RES, $OUT, $TRAIN) while the cluster is up.  test/run_main.sh
# sources it too, for the network's options (CNN_LAYERS, cnn_options).
#
# The network: conv2d(32, 3x3, same, relu) - max_pool2d(2) - conv2d(64, 3x3,
# same, relu) - max_pool2d(2) - dense 128 relu, dropout 0.3 - softmax; Adam
# lr 0.001, batch 128, pixels in [0, 1] (standardize false); and its
# depthwise-separable variant (the second convolution separable).  For each,
# nn_train over the Fashion-MNIST table and PyTorch (cnn_peers.py) back to
# back, so that both run at about the same machine speed:
#  - nn trains 1 epoch (nn_train), is evaluated on fm_test (nn_evaluate), then
#    trains the other epochs (nn_continue: the same bytes as one nn_train of
#    all the epochs) and is evaluated again: test accuracy after epoch 1 and
#    after the last; PyTorch evaluates after every epoch;
#  - both sides train on CNN_THREADS threads (nn.blas_threads; PyTorch's
#    intra-op threads) and time CNN_OTHER_EPOCHS epochs on the other count
#    (1 <-> 2), seed 1 only; the report takes the faster count of each side;
#  - seconds per epoch: nn's from its verbose NOTICEs (report.py
#    parse-train), PyTorch's from its own clock; the backend's peak memory
#    (VmHWM, the larger of the two sessions) beside 2 x the training data as
#    float32 plus the convolution workspace (cnn_report.py computes it).
# Seeds: the network for each of NN_BENCH_SEEDS (default "1"; "1 2 3" for the
# acceptance run), the separable variant for seed 1.  An nn step that fails
# (say, options this build does not know) is recorded with its error and the
# rest goes on: the PyTorch half is measured regardless.

CNN_LAYERS='[{"type": "conv2d", "filters": 32, "kernel": 3, "padding": "same", "activation": "relu"},
 {"type": "max_pool2d", "size": 2},
 {"type": "conv2d", "filters": 64, "kernel": 3, "padding": "same", "activation": "relu"},
 {"type": "max_pool2d", "size": 2},
 {"type": "dense", "units": 128, "activation": "relu", "dropout": 0.3}]'
CNN_SEP_LAYERS='[{"type": "conv2d", "filters": 32, "kernel": 3, "padding": "same", "activation": "relu"},
 {"type": "max_pool2d", "size": 2},
 {"type": "separable_conv2d", "filters": 64, "kernel": 3, "padding": "same", "activation": "relu"},
 {"type": "max_pool2d", "size": 2},
 {"type": "dense", "units": 128, "activation": "relu", "dropout": 0.3}]'

CNN_SEEDS=${NN_BENCH_SEEDS:-1}
CNN_THREADS=${NN_BENCH_CNN_THREADS:-2}
case "$CNN_THREADS" in 1|2) ;; *) echo "NN_BENCH_CNN_THREADS is 1 or 2, not '$CNN_THREADS'" >&2; exit 2 ;; esac
if [ "${QUICK:-0}" = 1 ]; then CNN_EPOCHS=1; CNN_ROWS=10000; CNN_OTHER_EPOCHS=1
else CNN_EPOCHS=${NN_BENCH_CNN_EPOCHS:-10}; CNN_ROWS=60000; CNN_OTHER_EPOCHS=2; fi

# bench_options SHAPE LAYERS EPOCHS SEED: nn_train's options for one of the
# benchmark's networks (input_shape SHAPE), on one line
bench_options() {
    printf '{"input_shape": %s, "layers": %s, "optimizer": "adam", "learning_rate": 0.001, "batch_size": 128, "epochs": %s, "seed": %s, "standardize": false, "verbose": true}' \
        "$1" "${2//$'\n'/}" "$3" "$4"
}

# cnn_options LAYERS EPOCHS SEED: the CNN's options (the main job prints them)
cnn_options() { bench_options '[1, 28, 28]' "$@"; }

# cnn_layers NET: the layers of cnn or separable
cnn_layers() { if [ "$1" = separable ]; then printf '%s' "$CNN_SEP_LAYERS"; else printf '%s' "$CNN_LAYERS"; fi; }

# ---- one network, nn then PyTorch: shared with rnn.sh.  The family's bench
# function sets NET_FAMILY (cnn or rnn: the records are {family}_nn and
# torch_{family}, the layers come from {family}_layers NET), NET_PEERS (the
# PyTorch script), NET_SHAPE, NET_EPOCHS, NET_ROWS, NET_SRC and NET_THREADS.

# net_first_error TAG: the first ERROR line of a timed_train log, for the report
net_first_error() {
    grep -m1 -o 'ERROR:.*' "$OUT/train_$1.err" 2>/dev/null || echo "failed (see $OUT/train_$1.err)"
}

# net_nn NET SEED OTHER_EPOCHS: nn's run of NET from SEED; appends a
# "{family}_nn" record (or one with "error").
net_nn() {
    local net=$1 seed=$2 other=$3 tag="${NET_FAMILY}_${1}_s$2" step acc1 accn info rec layers opts
    layers=$("${NET_FAMILY}_layers" "$net")
    opts=$(bench_options "$NET_SHAPE" "$layers" 1 "$seed")
    local eval_sql="SELECT nn_evaluate(model, 'fm_test') ->> 'accuracy' FROM bench_models WHERE tag = '$tag'"
    step=${tag}_e1
    TIMED_SETUP="SET nn.blas_threads = $NET_THREADS;" timed_train "$step" "$NET_SRC" "$opts" \
        "DELETE FROM bench_models WHERE tag = '$tag'; INSERT INTO bench_models SELECT '$tag', nn_train(:'src', 'label', '{pixels}', options => :'opts'::jsonb);" \
        "net=$net" "seed=$seed" "threads=$NET_THREADS" || { net_nn_failed "$net" "$seed" "$step"; return 1; }
    acc1=$(nn_psql -At -c "$eval_sql") || { net_nn_failed "$net" "$seed" "$step" "nn_evaluate failed"; return 1; }
    accn=$acc1
    if [ "$NET_EPOCHS" -gt 1 ]; then
        step=${tag}_rest
        TIMED_SETUP="SET nn.blas_threads = $NET_THREADS;" timed_train "$step" "$NET_SRC" \
            "{\"epochs\": $((NET_EPOCHS - 1)), \"verbose\": true}" \
            "UPDATE bench_models SET model = nn_continue(model, :'src', :'opts'::jsonb) WHERE tag = '$tag';" \
            "net=$net" "seed=$seed" "threads=$NET_THREADS" || { net_nn_failed "$net" "$seed" "$step"; return 1; }
        accn=$(nn_psql -At -c "$eval_sql") || { net_nn_failed "$net" "$seed" "$step" "nn_evaluate failed"; return 1; }
    fi
    # the whole of nn_info: the report picks the parameter counts from it
    info=$(nn_psql -At -c "SELECT nn_info(model) - 'history' FROM bench_models WHERE tag = '$tag'") || info=null
    if [ "$other" -gt 0 ]; then
        step=${tag}_other
        TIMED_SETUP="SET nn.blas_threads = $((3 - NET_THREADS));" timed_train "$step" "$NET_SRC" \
            "$(bench_options "$NET_SHAPE" "$layers" "$other" "$seed")" \
            "SELECT length(nn_train(:'src', 'label', '{pixels}', options => :'opts'::jsonb));" \
            "net=$net" "seed=$seed" "threads=$((3 - NET_THREADS))" || { net_nn_failed "$net" "$seed" "$step"; return 1; }
    fi
    rec=$("$PY" "$BENCH/cnn_report.py" combine "$RES" "$tag" kind="${NET_FAMILY}_nn" \
        net="$net" seed="$seed" rows="$NET_ROWS" epochs="$NET_EPOCHS" threads="$NET_THREADS" \
        accuracy_epoch1="$acc1" accuracy_final="$accn" layers="$layers" info="$info") ||
        { net_nn_failed "$net" "$seed" "$step" "cnn_report.py combine failed"; return 1; }
    record "$rec"
    "$PY" "$BENCH/cnn_report.py" summary "$RES"
}

# net_nn_failed NET SEED STEP [MESSAGE]: record why nn's run stopped
net_nn_failed() {
    local msg=${4:-$(net_first_error "$3")}
    echo "nn $1 seed $2: $3: $msg" >&2
    record "$(kv kind="${NET_FAMILY}_nn" net="$1" seed="$2" step="$3" error="$msg")"
}

# net_torch NET SEED OTHER_EPOCHS: PyTorch's run, its JSON line into $RES
net_torch() {
    local line peers=${NET_PEERS%.py}
    if ! line=$("$PY" "$BENCH/$NET_PEERS" --epochs "$NET_EPOCHS" --rows "$NET_ROWS" --seed "$2" \
            --threads "$NET_THREADS" --other-epochs "$3" "$1" 2>>"$OUT/$peers.err"); then
        echo "$NET_PEERS $1 seed $2 failed; see $OUT/$peers.err" >&2
        record "$(kv peer="torch_$NET_FAMILY" net="$1" seed="$2" error="$NET_PEERS failed (see $OUT/$peers.err)")"
        return 1
    fi
    record "$line"
    "$PY" "$BENCH/cnn_report.py" summary "$RES"
}

# net_bench NAME SEEDS_OF_FIRST NETS...: each network, nn then PyTorch, for
# each seed of SEEDS_OF_FIRST (the first network) or seed 1 (the others);
# seed 1 times NET_OTHER_EPOCHS epochs on the other thread count
net_bench() {
    local name=$1 first_seeds=$2 net seed seeds other first=1
    shift 2
    nn_psql -c 'CREATE TABLE IF NOT EXISTS bench_models (tag text PRIMARY KEY, model bytea)'
    for net in "$@"; do
        seeds=1
        [ "$first" = 1 ] && seeds=$first_seeds
        first=0
        for seed in $seeds; do
            other=0
            [ "$seed" = 1 ] && other=$NET_OTHER_EPOCHS
            say "$name ($net, seed $seed): nn then PyTorch, $NET_EPOCHS epoch(s) on $NET_ROWS rows at $NET_THREADS thread(s)$([ "$other" -gt 0 ] && echo ", $other epoch(s) at $((3 - NET_THREADS))")"
            net_nn "$net" "$seed" "$other" || true
            net_torch "$net" "$seed" "$other" || true
        done
    done
}

cnn_bench() {
    NET_FAMILY=cnn NET_PEERS=cnn_peers.py NET_SHAPE='[1, 28, 28]' NET_EPOCHS=$CNN_EPOCHS
    NET_ROWS=$CNN_ROWS NET_THREADS=$CNN_THREADS NET_OTHER_EPOCHS=$CNN_OTHER_EPOCHS NET_SRC=$TRAIN
    [ "$NET_ROWS" -lt 60000 ] && NET_SRC="SELECT * FROM $TRAIN LIMIT $NET_ROWS"
    net_bench CNN "$CNN_SEEDS" cnn separable
}
