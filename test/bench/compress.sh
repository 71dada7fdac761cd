# shellcheck shell=bash
# test/bench/compress.sh - the compressed models of issue 17, sourced by
# run_bench.sh (NN_BENCH_COMPRESS=1 with the rest, only: this part alone
# after loading Fashion-MNIST, 0: skipped).
#
# compress_bench trains each network once (nn_train, Adam 0.001, batch 128,
# standardize false, seed 1), strips and quantizes it, and prints a table:
# the bytes of the model, of its stripped copy and of its int8 copy (the
# target: int8 at most 30% of stripped), test accuracy of the float and the
# int8 model (target: within 0.5 points), and per-row scoring of the 10,000
# test rows (nn_predict in a query) with the float and the int8 model,
# alternated NN_BENCH_COMPRESS_ROUNDS times (default 4; the order too) and the medians
# compared in the same run (target: int8 at least as fast).  An int8 model
# is dequantized when read, so it scores through the same float kernels;
# the speed ratio says that reading it costs nothing that shows.
#
#   NN_BENCH_COMPRESS_EPOCHS=N      the MLP's epochs (default 10, as the main run)
#   NN_BENCH_COMPRESS_CNN=1|0       the CNN of cnn.sh too (default 1)
#   NN_BENCH_COMPRESS_CNN_EPOCHS=N  its epochs (default 2: ~40 s an epoch on 2 cores)
#
# Writes $OUT/compress.md (appended to the report by run_bench.sh).
COMPRESS_EPOCHS=${NN_BENCH_COMPRESS_EPOCHS:-10}
COMPRESS_CNN=${NN_BENCH_COMPRESS_CNN:-1}
COMPRESS_CNN_EPOCHS=${NN_BENCH_COMPRESS_CNN_EPOCHS:-2}
COMPRESS_ROUNDS=${NN_BENCH_COMPRESS_ROUNDS:-4}

# compress_time SQL: seconds SQL takes (a fresh session, so no model cache
# is warm from another run)
compress_time() {
    local t0
    t0=$(now)
    nn_psql -At -c "$1" >/dev/null
    secs "$t0" "$(now)"
}

# compress_sql COLUMN: per-row scoring of the test rows with cm's model COLUMN
compress_sql() {
    printf 'SELECT count(*) FROM fm_test t, cm WHERE nn_predict(cm.%s, t.pixels) = t.label' "$1"
}

# compress_net NAME HIDDEN OPTIONS: train, compress, measure; one table row
compress_net() {
    local name=$1 hidden=$2 opts=$3 t0 train_s sizes acc tf=() tq=() r
    say "compressed models: $name (nn_train, then nn_strip and nn_quantize)"
    t0=$(now)
    nn_psql -v opts="$opts" -v hidden="$hidden" <<'SQL' >/dev/null
DROP TABLE IF EXISTS cm;
CREATE TABLE cm AS
SELECT m AS f, nn_strip(m) AS s, nn_quantize(m) AS q
FROM (SELECT nn_train('fm_train', 'label', '{pixels}', :'hidden'::int[], :'opts'::jsonb) AS m) t;
SQL
    train_s=$(secs "$t0" "$(now)")
    sizes=$(nn_psql -At -F ' ' -c "SELECT length(f), length(s), length(q),
        round(100.0 * length(q) / length(s), 1), length(nn_quantize(s)) = length(q) FROM cm")
    acc=$(nn_psql -At -F ' ' -c "SELECT round(100 * avg((nn_predict(f, pixels) = label)::int), 2),
        round(100 * avg((nn_predict(q, pixels) = label)::int), 2),
        round(100 * avg((nn_predict_class(f, pixels) = nn_predict_class(q, pixels))::int), 2)
        FROM fm_test, cm")
    # the order alternates too: float first in odd rounds, int8 in even ones
    for r in $(seq 1 "$COMPRESS_ROUNDS"); do
        if [ $((r % 2)) = 0 ]; then tq+=("$(compress_time "$(compress_sql q)")"); fi
        tf+=("$(compress_time "$(compress_sql f)")")
        if [ $((r % 2)) = 1 ]; then tq+=("$(compress_time "$(compress_sql q)")"); fi
        echo "  round $r: float ${tf[-1]} s, int8 ${tq[-1]} s"
    done
    read -r bf bs bq pct same <<<"$sizes"
    read -r af aq agree <<<"$acc"
    awk -v n="$name" -v tr="$train_s" -v bf="$bf" -v bs="$bs" -v bq="$bq" -v pct="$pct" \
        -v af="$af" -v aq="$aq" -v ag="$agree" -v mf="$(median "${tf[@]}")" -v mq="$(median "${tq[@]}")" \
        'BEGIN { printf "| %s | %d | %d | %d (%.1f%%) | %.2f | %.2f (%+.2f) | %.2f | %.0f | %.0f (%.2fx) | %.0f |\n",
                 n, bf, bs, bq, pct, af, aq, aq - af, ag, 10000 / mf, 10000 / mq, mf / mq, tr }' \
        >>"$OUT/compress.md"
    tail -n 1 "$OUT/compress.md"
    [ "$same" = t ] || echo "WARNING: the stripped model quantized to other bytes" >&2
}

compress_bench() {
    {
        echo "## Compressed models (nn_strip, nn_quantize)"
        echo
        echo "MLP: $COMPRESS_EPOCHS epochs; CNN (cnn.sh's): $COMPRESS_CNN_EPOCHS epoch(s). Scoring: nn_predict over the"
        echo "10,000 test rows in one query, median of $COMPRESS_ROUNDS runs each, alternated (which goes first too) (load average at start"
        echo "$(cut -d' ' -f1-3 /proc/loadavg): the machine is shared, so only the ratio of one run means much)."
        echo
        echo "| network | bytes | stripped | int8 (of stripped) | accuracy % | int8 accuracy % | same class % | rows/s float | rows/s int8 (ratio) | train s |"
        echo "|---|---|---|---|---|---|---|---|---|---|"
    } >"$OUT/compress.md"
    compress_net "MLP 784-256-128-10" '{256,128}' \
        "{\"optimizer\": \"adam\", \"learning_rate\": 0.001, \"batch_size\": 128, \"epochs\": $COMPRESS_EPOCHS, \"seed\": 1, \"standardize\": false}"
    if [ "$COMPRESS_CNN" = 1 ]; then
        compress_net "CNN (conv 32, pool, conv 64, pool, dense 128)" '{}' \
            "$(bench_options '[1, 28, 28]' "$CNN_LAYERS" "$COMPRESS_CNN_EPOCHS" 1 | sed 's/, "verbose": true//')"
    fi
    cat "$OUT/compress.md"
}
