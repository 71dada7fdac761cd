# shellcheck shell=bash
# test/bench/adversarial.sh - the adversarial-robustness part of the
# benchmark (issue 17), sourced by run_bench.sh (NN_BENCH_ADV=1|0|only),
# whose helpers it uses (say, record, nn_psql, $PY, $RES, $OUT, $BENCH)
# while the cluster is up with fm_train and fm_test loaded.
#
# The recipe of the issue: pixels in [0, 1], "standardize": false, MLP
# 784-256-128-10 (relu), Adam 0.001, batch 128, 5 epochs, seed 1.  nn trains
# a plain model and an adversarially trained one ({"adversarial":
# {"epsilon": 0.1, "clip": [0, 1]}}: FGSM, half of each minibatch), then
# nn_evaluate gives each one's clean test accuracy and its robust accuracy
# under FGSM-0.1 and PGD-0.1 (10 steps, the default step 2.5 x 0.1 / 10),
# every attack clipped to [0, 1], on the first NN_BENCH_ADV_ROWS test rows
# (default all 10,000).  PyTorch (adv_peers.py) runs the same recipe after
# it; the issue's PyTorch figures on this machine are printed beside both.
# Targets: plain FGSM-0.1 < 0.20; adversarially trained FGSM-0.1 >= 0.65
# with clean >= 0.80.

ADV_ROWS=${NN_BENCH_ADV_ROWS:-10000}
if [ "${QUICK:-0}" = 1 ]; then ADV_EPOCHS=1; ADV_TRAIN_ROWS=10000; else ADV_EPOCHS=5; ADV_TRAIN_ROWS=60000; fi
ADV_FGSM='{"adversarial": {"epsilon": 0.1, "clip": [0, 1]}}'
ADV_PGD='{"adversarial": {"method": "pgd", "epsilon": 0.1, "steps": 10, "clip": [0, 1]}}'

# adv_options ADVERSARIAL: nn_train's options, ADVERSARIAL a JSON fragment or ""
adv_options() {
    printf '{"optimizer": "adam", "learning_rate": 0.001, "batch_size": 128, "epochs": %s, "seed": 1, "standardize": false%s}' \
        "$ADV_EPOCHS" "${1:+, \"adversarial\": $1}"
}

# adv_nn TAG ADVERSARIAL: train, time, evaluate clean / FGSM / PGD; one record
adv_nn() {
    local tag=$1 opts t0 t_train t_fgsm t_pgd fgsm pgd clean test_src
    opts=$(adv_options "$2")
    test_src="SELECT label, pixels FROM fm_test ORDER BY ctid LIMIT $ADV_ROWS"
    t0=$(now)
    nn_psql -v tag="$tag" -v opts="$opts" -v src="$ADV_SRC" <<'SQL' || return 1
DELETE FROM adv_models WHERE tag = :'tag';
INSERT INTO adv_models SELECT :'tag', nn_train(:'src', 'label', '{pixels}', '{256,128}', :'opts'::jsonb);
SQL
    t_train=$(secs "$t0" "$(now)")
    t0=$(now)
    fgsm=$(echo "SELECT e->>'accuracy', e->>'robust_accuracy' FROM (SELECT nn_evaluate(model, :'src', NULL, :'o'::jsonb) AS e FROM adv_models WHERE tag = :'tag') s" |
        nn_psql -At -F ' ' -v tag="$tag" -v src="$test_src" -v o="$ADV_FGSM") || return 1
    t_fgsm=$(secs "$t0" "$(now)")
    t0=$(now)
    pgd=$(echo "SELECT nn_evaluate(model, :'src', NULL, :'o'::jsonb)->>'robust_accuracy' FROM adv_models WHERE tag = :'tag'" |
        nn_psql -At -v tag="$tag" -v src="$test_src" -v o="$ADV_PGD") || return 1
    t_pgd=$(secs "$t0" "$(now)")
    clean=${fgsm%% *}
    record "$(kv kind=adversarial side=nn model="$tag" clean="$clean" fgsm="${fgsm##* }" pgd="$pgd" \
        train_s="$t_train" eval_fgsm_s="$t_fgsm" eval_pgd_s="$t_pgd" eval_rows="$ADV_ROWS" \
        epochs="$ADV_EPOCHS" train_rows="$ADV_TRAIN_ROWS")"
    printf '  nn %-11s clean %.4f  FGSM-0.1 %.4f  PGD-0.1 %.4f  (train %s s, FGSM eval %s s, PGD eval %s s)\n' \
        "$tag" "$clean" "${fgsm##* }" "$pgd" "$t_train" "$t_fgsm" "$t_pgd"
}

adv_bench() {
    say "adversarial robustness (issue 17): nn, $ADV_EPOCHS epochs on $ADV_TRAIN_ROWS rows, attacks on $ADV_ROWS test rows"
    ADV_SRC=fm_train
    if [ "$ADV_TRAIN_ROWS" -lt 60000 ]; then ADV_SRC="SELECT label, pixels FROM fm_train ORDER BY ctid LIMIT $ADV_TRAIN_ROWS"; fi
    nn_psql -c 'CREATE TABLE IF NOT EXISTS adv_models (tag text, model bytea)'
    adv_nn plain "" || echo "nn plain model failed" >&2
    adv_nn adversarial '{"epsilon": 0.1, "clip": [0, 1]}' || echo "nn adversarial training failed" >&2
    say "adversarial robustness: PyTorch (adv_peers.py)"
    "$PY" "$BENCH/adv_peers.py" --epochs "$ADV_EPOCHS" --rows "$ADV_TRAIN_ROWS" --eval-rows "$ADV_ROWS" \
        >"$OUT/adv_peers.jsonl" 2>"$OUT/adv_peers.err" || echo "adv_peers.py failed: see $OUT/adv_peers.err" >&2
    cat "$OUT/adv_peers.jsonl" >>"$RES"
    adv_report
}

# the part's table, from the records: nn, PyTorch now, PyTorch in the issue
adv_report() {
    "$PY" - "$RES" <<'PYEOF' | tee "$OUT/adversarial.md"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
nn = {r["model"]: r for r in recs if r.get("kind") == "adversarial"}
torch = next((r for r in recs if r.get("peer") == "torch_adversarial"), {})
issue = {"plain": (0.876, 0.084, 0.034), "adversarial": (0.837, 0.692, 0.526)}
f = lambda v: "n/a" if v is None else f"{v:.3f}"
print("\n### Adversarial robustness (Fashion-MNIST, MLP 784-256-128-10, 5 epochs)\n")
print("| model | side | clean | FGSM-0.1 | PGD-0.1 (10 steps) | train s |")
print("|---|---|---|---|---|---|")
for m in ("plain", "adversarial"):
    r = nn.get(m, {})
    print(f"| {m} | nn | {f(r.get('clean') and float(r['clean']))} | {f(r.get('fgsm') and float(r['fgsm']))} "
          f"| {f(r.get('pgd') and float(r['pgd']))} | {r.get('train_s', 'n/a')} |")
    t = torch.get(m, {})
    print(f"| {m} | PyTorch, this run | {f(t.get('clean'))} | {f(t.get('fgsm'))} | {f(t.get('pgd'))} | {t.get('train_s', 'n/a')} |")
    c, a, p = issue[m]
    print(f"| {m} | PyTorch, the issue | {c:.3f} | {a:.3f} | {p:.3f} | |")
r = {m: nn.get(m, {}) for m in nn}
ok = lambda m, k: m in r and r[m].get(k) not in (None, "")
if ok("plain", "fgsm") and ok("adversarial", "fgsm"):
    t1 = float(r["plain"]["fgsm"]) < 0.20
    t2 = float(r["adversarial"]["fgsm"]) >= 0.65 and float(r["adversarial"]["clean"]) >= 0.80
    print(f"\nTargets: plain FGSM-0.1 < 0.20: {'met' if t1 else 'MISSED'}; "
          f"adversarially trained FGSM-0.1 >= 0.65 with clean >= 0.80: {'met' if t2 else 'MISSED'}.")
rows = next(iter(nn.values()), {}).get("eval_rows")
print(f"Attacks on {rows} test rows, clipped to [0, 1], against the true labels.")
PYEOF
}
