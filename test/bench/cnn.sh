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
else CNN_EPOCHS=10; CNN_ROWS=60000; CNN_OTHER_EPOCHS=2; fi

# cnn_options LAYERS EPOCHS SEED: nn_train's options for the benchmark's CNN,
# on one line (the main job prints them)
cnn_options() {
    printf '{"input_shape": [1, 28, 28], "layers": %s, "optimizer": "adam", "learning_rate": 0.001, "batch_size": 128, "epochs": %s, "seed": %s, "standardize": false, "verbose": true}' \
        "${1//$'\n'/}" "$2" "$3"
}

# cnn_first_error TAG: the first ERROR line of a timed_train log, for the report
cnn_first_error() {
    grep -m1 -o 'ERROR:.*' "$OUT/train_$1.err" 2>/dev/null || echo "failed (see $OUT/train_$1.err)"
}

# cnn_nn NET SEED OTHER_EPOCHS: nn's run of NET (cnn or separable) from
# SEED; appends a "cnn_nn" record (or one with "error").
cnn_nn() {
    local net=$1 seed=$2 other=$3 layers=$CNN_LAYERS tag="cnn_${1}_s$2" step acc1 accn info rec
    [ "$net" = separable ] && layers=$CNN_SEP_LAYERS
    local opts
    opts=$(cnn_options "$layers" 1 "$seed")
    local eval_sql="SELECT nn_evaluate(model, 'fm_test') ->> 'accuracy' FROM cnn_models WHERE tag = '$tag'"
    step=${tag}_e1
    TIMED_SETUP="SET nn.blas_threads = $CNN_THREADS;" timed_train "$step" "$CNN_SRC" "$opts" \
        "DELETE FROM cnn_models WHERE tag = '$tag'; INSERT INTO cnn_models SELECT '$tag', nn_train(:'src', 'label', '{pixels}', options => :'opts'::jsonb);" \
        "net=$net" "seed=$seed" "threads=$CNN_THREADS" || { cnn_nn_failed "$net" "$seed" "$step"; return 1; }
    acc1=$(nn_psql -At -c "$eval_sql") || { cnn_nn_failed "$net" "$seed" "$step" "nn_evaluate failed"; return 1; }
    accn=$acc1
    if [ "$CNN_EPOCHS" -gt 1 ]; then
        step=${tag}_rest
        TIMED_SETUP="SET nn.blas_threads = $CNN_THREADS;" timed_train "$step" "$CNN_SRC" \
            "{\"epochs\": $((CNN_EPOCHS - 1)), \"verbose\": true}" \
            "UPDATE cnn_models SET model = nn_continue(model, :'src', :'opts'::jsonb) WHERE tag = '$tag';" \
            "net=$net" "seed=$seed" "threads=$CNN_THREADS" || { cnn_nn_failed "$net" "$seed" "$step"; return 1; }
        accn=$(nn_psql -At -c "$eval_sql") || { cnn_nn_failed "$net" "$seed" "$step" "nn_evaluate failed"; return 1; }
    fi
    # the whole of nn_info: the report picks the parameter counts from it
    info=$(nn_psql -At -c "SELECT nn_info(model) - 'history' FROM cnn_models WHERE tag = '$tag'") || info=null
    if [ "$other" -gt 0 ]; then
        step=${tag}_other
        TIMED_SETUP="SET nn.blas_threads = $((3 - CNN_THREADS));" timed_train "$step" "$CNN_SRC" \
            "$(cnn_options "$layers" "$other" "$seed")" \
            "SELECT length(nn_train(:'src', 'label', '{pixels}', options => :'opts'::jsonb));" \
            "net=$net" "seed=$seed" "threads=$((3 - CNN_THREADS))" || { cnn_nn_failed "$net" "$seed" "$step"; return 1; }
    fi
    rec=$("$PY" "$BENCH/cnn_report.py" combine "$RES" "$tag" \
        net="$net" seed="$seed" rows="$CNN_ROWS" epochs="$CNN_EPOCHS" threads="$CNN_THREADS" \
        accuracy_epoch1="$acc1" accuracy_final="$accn" layers="$layers" info="$info") ||
        { cnn_nn_failed "$net" "$seed" "$step" "cnn_report.py combine failed"; return 1; }
    record "$rec"
    "$PY" "$BENCH/cnn_report.py" summary "$RES"
}

# cnn_nn_failed NET SEED STEP [MESSAGE]: record why nn's run stopped
cnn_nn_failed() {
    local msg=${4:-$(cnn_first_error "$3")}
    echo "nn $1 seed $2: $3: $msg" >&2
    record "$(kv kind=cnn_nn net="$1" seed="$2" step="$3" error="$msg")"
}

# cnn_torch NET SEED OTHER_EPOCHS: PyTorch's run, its JSON line into $RES
cnn_torch() {
    local line
    if ! line=$("$PY" "$BENCH/cnn_peers.py" --epochs "$CNN_EPOCHS" --rows "$CNN_ROWS" --seed "$2" \
            --threads "$CNN_THREADS" --other-epochs "$3" "$1" 2>>"$OUT/cnn_peers.err"); then
        echo "cnn_peers.py $1 seed $2 failed; see $OUT/cnn_peers.err" >&2
        record "$(kv peer=torch_cnn net="$1" seed="$2" error="cnn_peers.py failed (see $OUT/cnn_peers.err)")"
        return 1
    fi
    record "$line"
    "$PY" "$BENCH/cnn_report.py" summary "$RES"
}

cnn_bench() {
    local net seed seeds other
    CNN_SRC=$TRAIN
    [ "$CNN_ROWS" -lt 60000 ] && CNN_SRC="SELECT * FROM $TRAIN LIMIT $CNN_ROWS"
    nn_psql -c 'CREATE TABLE IF NOT EXISTS cnn_models (tag text PRIMARY KEY, model bytea)'
    for net in cnn separable; do
        seeds=$CNN_SEEDS
        [ "$net" = separable ] && seeds=1
        for seed in $seeds; do
            other=0
            [ "$seed" = 1 ] && other=$CNN_OTHER_EPOCHS
            say "CNN ($net, seed $seed): nn then PyTorch, $CNN_EPOCHS epoch(s) on $CNN_ROWS rows at $CNN_THREADS thread(s)$([ "$other" -gt 0 ] && echo ", $other epoch(s) at $((3 - CNN_THREADS))")"
            cnn_nn "$net" "$seed" "$other" || true
            cnn_torch "$net" "$seed" "$other" || true
        done
    done
}
