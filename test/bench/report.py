#!/usr/bin/python3
"""Helpers of run_bench.sh: parse timed nn_train logs, build the report.

  report.py parse-train TAG STAMPED_STDERR [KEY=VALUE ...]
      one JSON line {"kind": "train", "tag": TAG, ...} from a psql stderr
      whose lines are prefixed with the client's wall-clock time (see stamp()
      in run_bench.sh); KEY=VALUE pairs are added (numbers parsed)
  report.py kv KEY=VALUE ...
      one JSON object (a VALUE that parses as JSON is taken as such, else a string)
  report.py get RESULTS.jsonl KIND TAG FIELD
      print one field of the last record of that kind and tag
  report.py summary RESULTS.jsonl
      one line about the last (train) record
  report.py best-layout RESULTS.jsonl
      the storage layout to train from (best_layout: the fastest read, the
      lowest backend peak among layouts within noise of it)
  report.py report RESULTS.jsonl
      the markdown report (its CNN section from cnn_report.py, its
      recurrent one from rnn_report.py)
  report.py report-nets RESULTS.jsonl
      its opening and the CNN and recurrent sections alone (run_bench.sh with
      NN_BENCH_CNN=only or NN_BENCH_RNN=only)

Per-epoch seconds of nn: psql prints each verbose NOTICE ("epoch k/n:
train_loss X, elapsed S s, eta E s") the moment the server sends it, and the
client stamps it; epoch k >= 2 lasts t(k) - t(k-1) (millisecond resolution).
Epoch 1's clock starts only after the rows are read, so it lasts the
server's elapsed S of the first NOTICE (0.1 s resolution), and the read
("load") is t(1) - t(start) - S.  The tail (building the bytea, storing it)
is t(end) - t(last NOTICE).
"""
import json
import re
import statistics
import sys

EPOCH_RE = re.compile(r"epoch (\d+)/(\d+): train_loss ([-+0-9.eEnaif]+).*?elapsed ([0-9.]+) s")


def num(s):
    try:
        return int(s)
    except ValueError:
        try:
            return float(s)
        except ValueError:
            return s


def parse_train(tag, path, extra):
    start = end = None
    marks, elapsed, loss = [], [], []
    with open(path) as f:
        for line in f:
            t, _, rest = line.rstrip("\n").partition(" ")
            try:
                t = float(t)
            except ValueError:
                continue
            if rest.endswith("BENCH_START"):
                start = t
            elif rest.endswith("BENCH_END"):
                end = t
            else:
                m = EPOCH_RE.search(rest)
                if m:
                    marks.append(t)
                    loss.append(float(m.group(3)))
                    elapsed.append(float(m.group(4)))
    if start is None or end is None or not marks:
        sys.exit(f"report.py: {path}: no BENCH_START/BENCH_END or no epoch NOTICE")
    epoch_s = [elapsed[0]] + [b - a for a, b in zip(marks, marks[1:])]
    rec = {
        "kind": "train", "tag": tag,
        "total_s": end - start,
        "load_s": max(0.0, marks[0] - start - elapsed[0]),
        "tail_s": end - marks[-1],
        "epochs": len(marks),
        "epoch_s": epoch_s,
        "median_epoch_s": statistics.median(epoch_s),
        # epochs 2.. only (client-timed, no first-epoch warm-up)
        "median_epoch_s_2on": statistics.median(epoch_s[1:]) if len(epoch_s) > 1 else epoch_s[0],
        "server_elapsed_s": elapsed,
        "train_loss": loss,
    }
    for kv in extra:
        k, _, v = kv.partition("=")
        rec[k] = num(v)
    return rec


def load(path):
    recs = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                recs.append(json.loads(line))
    return recs


def last(recs, kind, tag=None):
    found = None
    for r in recs:
        if r.get("kind", r.get("peer")) == kind and (tag is None or r.get("tag") == tag):
            found = r
    return found


def seed_accuracies(recs, peer):
    """{seed: test accuracy} of the accuracy row's runs of one side (last wins)"""
    out = {}
    for r in recs:
        if r.get("kind") == "accuracy_seed" and r.get("peer") == peer and "test_accuracy" in r:
            out[int(r.get("seed", 1))] = float(r["test_accuracy"])
    return out


def seed_mean(recs, peer):
    acc = seed_accuracies(recs, peer)
    return sum(acc.values()) / len(acc) if acc else None


def seeds_text(recs):
    seeds = sorted(set().union(*(seed_accuracies(recs, p).keys() for p in ("nn", "sklearn", "torch"))))
    return ", ".join(str(s) for s in seeds) if seeds else "n/a"


def fmt(x, nd=3):
    if x is None:
        return "n/a"
    if isinstance(x, str):
        return x
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.{nd}f}"


def ratio(a, b):
    if a is None or b is None or b == 0 or isinstance(a, str) or isinstance(b, str):
        return "n/a"
    return f"{a / b:.2f}"


def table(rows, header):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for r in rows:
        out.append("| " + " | ".join(str(c) for c in r) + " |")
    return "\n".join(out)


def best_layout(R):
    """The layout to train from: the fastest read, unless others come within
    30% or 0.2 s of it; then, of those, the one whose backend peak (VmHWM,
    shared buffers it touched included) was lowest.  The read is about 4% of
    the main nn_train (0.5-0.7 s of 15-30 s) and one layout's read moves by
    30% between runs on this shared machine, while TOAST fetches through
    shared buffers double the backend's peak."""
    lay = [r for r in R if r.get("kind") == "layout" and r.get("load_s") is not None]
    fastest = min(r["load_s"] for r in lay)
    close = [r for r in lay if r["load_s"] <= max(1.3 * fastest, fastest + 0.2)]

    def peak(r):
        runs = [t.get("vmhwm_mb") or 0 for t in R if t.get("kind") == "train"
                and str(t.get("tag", "")).startswith(f"layout_{r['tag']}_")]
        return max(runs) if runs else 0
    return min(close, key=lambda r: (peak(r), r["load_s"]))["tag"]


def training_rounds(R, nn_epoch, sk_e):
    """The nn/scikit-learn epoch ratios: the 10-epoch runs' and each
    back-to-back round's; and a line describing the rounds (or None)."""
    ratios = [nn_epoch / sk_e] if nn_epoch and sk_e else []
    parts = []
    for r in sorted((r for r in R if r.get("peer") == "round_sklearn"), key=lambda r: r["round"]):
        t = last(R, "train", f"round_{r['round']}") or {}
        nn_s, sk_s = t.get("median_epoch_s"), r.get("median_epoch_seconds")
        if nn_s and sk_s:
            ratios.append(nn_s / sk_s)
            parts.append(f"round {r['round']}: {nn_s:.3f} / {sk_s:.3f} s = {nn_s / sk_s:.2f}")
    if not parts:
        return ratios, None
    return ratios, ("Training in back-to-back rounds (nn_train then scikit-learn, 3 epochs each, "
                    "median epoch; the machine's speed drifts between the 10-epoch runs above): "
                    + "; ".join(parts) + f". Median nn/sklearn over the 10-epoch runs and the rounds: "
                    f"{statistics.median(ratios):.2f}.")


def scoring_rounds(R):
    """The window path's rows/s over PyTorch's batched inference in each
    back-to-back round, and a line describing the rounds (or None)."""
    ratios, parts = [], []
    for r in sorted((r for r in R if r.get("peer") == "round_torch_score"), key=lambda r: r["round"]):
        nn_r = [x for x in R if x.get("kind") == "score_round" and x.get("round") == r["round"]]
        if not nn_r or not nn_r[-1].get("window_s") or not r.get("score_rows_per_s"):
            continue
        nn_rps = nn_r[-1]["rows"] / nn_r[-1]["window_s"]
        ratios.append(nn_rps / r["score_rows_per_s"])
        parts.append(f"round {r['round']}: {nn_rps:,.0f} / {r['score_rows_per_s']:,.0f} rows/s = "
                     f"{ratios[-1]:.2f}")
    if not parts:
        return ratios, None
    return ratios, ("Scoring in back-to-back rounds (nn_predict_window over fm_test, median of the "
                    "round's runs, then PyTorch's batched inference on the same 10,000 rows, the "
                    "faster of 1 and 2 threads): " + "; ".join(parts) +
                    f". Median window/PyTorch: {statistics.median(ratios):.2f}.")


# the other architectures' rows of the main table: (family, net, name)
ARCHITECTURES = (("cnn", "cnn", "CNN of issue 15"), ("cnn", "separable", "its separable variant"),
                 ("rnn", "lstm", "LSTM(128) of issue 16"), ("rnn", "gru", "GRU(128)"))


def architecture_rows(R):
    """Rows of the main table for the CNN and recurrent networks of this run
    (their own sections give the detail): seconds per epoch at each side's
    faster thread count and the test accuracy after the last epoch, seed 1.
    scikit-learn has no such networks."""
    from cnn_report import find
    rows = []
    for family, net, name in ARCHITECTURES:
        nn, tc = find(R, "nn", net, 1, family), find(R, "torch", net, 1, family)
        if not nn and not tc:
            continue
        e = nn.get("epochs") or tc.get("epochs") or "?"
        acc = num(str(nn.get("accuracy_final")))   # (psql's text)
        acc = acc if isinstance(acc, (int, float)) else None
        rows.append([f"{name}: seconds per epoch, each at its faster of 1 and 2 threads (nn: "
                     f"{nn.get('best_threads', '?')}, PyTorch: {tc.get('best_threads', '?')})",
                     fmt(nn.get("best_epoch_s")), "n/a", fmt(tc.get("best_epoch_seconds")), "n/a",
                     ratio(nn.get("best_epoch_s"), tc.get("best_epoch_seconds"))])
        rows.append([f"{name}: test accuracy after {e} epochs", fmt(acc, 4), "n/a",
                     fmt(tc.get("accuracy_final"), 4), "n/a", ratio(acc, tc.get("accuracy_final"))])
    return rows


def header(R, L):
    """The report's opening lines: when, where, which versions"""
    env = last(R, "env") or {}
    sk = last(R, "sklearn") or {}
    tc = last(R, "torch") or {}
    w = L.append
    w("# nn benchmark: generated results")
    w("")
    w(f"- date: {env.get('date', '?')}")
    w(f"- machine: {env.get('nproc', '?')} cores, {env.get('cpu', '?')} ({env.get('cpu_id', '?')}), "
      f"{env.get('mem', '?')} memory; load average at start {env.get('loadavg', '?')}")
    w(f"- nn: commit {env.get('commit', '?')}{' with uncommitted changes' if env.get('dirty') else ''}; "
      f"PostgreSQL {env.get('pg_version', '?')}")
    w(f"- OpenBLAS {env.get('openblas', '?')}; kernel (core) chosen at run time: "
      f"{env.get('openblas_core', '?')}, {env.get('openblas_threads', '?')} threads; "
      f"environment: {env.get('blas_env') or 'no OPENBLAS_* variables set'} "
      "(the server, the peers and the floor all run with this same environment)")
    if sk:
        blas = ", ".join(f"{b.get('internal_api')} {b.get('version') or ''} "
                         f"{b.get('architecture') or ''} {b.get('num_threads')} threads".replace("  ", " ")
                         for b in sk.get("blas", []))
        w(f"- scikit-learn {sk.get('version')} (numpy {sk.get('numpy')}; threadpoolctl: {blas or 'n/a'})")
    if tc:
        w(f"- PyTorch {tc.get('version')} ({tc.get('config', ['', '', '', '?'])[3].strip(' -')}, "
          f"BLAS_INFO={tc.get('blas')}, {tc.get('num_threads')} intra-op threads: "
          f"{tc.get('threads_note', '')})")
    end = last(R, "end") or {}
    w(f"- run: {env.get('notes', '')}; {end.get('total_s', '?')} s in all; load average at the end "
      f"{end.get('loadavg', '?')} (anything else running on the machine skews every number)")
    w("")


def report(path, nets_only=False):
    import cnn_report   # (they import this module's helpers)
    import rnn_report

    R = load(path)
    sk = last(R, "sklearn") or {}
    tc = last(R, "torch") or {}
    main = last(R, "train", "main") or {}
    score = last(R, "score") or {}
    floor = last(R, "floor", "main") or {}
    loadrec = last(R, "load") or {}
    L = []
    w = L.append
    header(R, L)
    if nets_only:
        L.extend(cnn_report.section(R))
        L.extend(rnn_report.section(R))
        return "\n".join(L) + "\n"

    # ---- the table
    nn_epoch = main.get("median_epoch_s")
    nn_acc = score.get("accuracy")
    nn_row = score.get("per_row_rows_per_s")
    nn_batch = score.get("batch_rows_per_s")
    nn_window = score.get("window_rows_per_s")
    nn_mem = main.get("vmhwm_mb")
    sk_e, tc_e = sk.get("median_epoch_seconds"), tc.get("median_epoch_seconds")
    sk_a, tc_a = sk.get("test_accuracy"), tc.get("test_accuracy")
    sk_s, tc_s = sk.get("score_rows_per_s"), tc.get("score_rows_per_s")
    sk_m, tc_m = sk.get("peak_rss_mb"), tc.get("peak_rss_mb")
    w("## Side by side (784-256-128-10, ReLU, Adam lr 0.001, batch 128, 10 epochs, seed 1)")
    w("")
    rows = [
        ["seconds per epoch (median of 10)", fmt(nn_epoch), fmt(sk_e), fmt(tc_e),
         ratio(nn_epoch, sk_e), ratio(nn_epoch, tc_e)],
        ["test accuracy after 10 epochs", fmt(nn_acc, 4), fmt(sk_a, 4), fmt(tc_a, 4),
         ratio(nn_acc, sk_a), ratio(nn_acc, tc_a)],
        ["test accuracy, mean of seeds " + seeds_text(R), fmt(seed_mean(R, "nn"), 4),
         fmt(seed_mean(R, "sklearn"), 4), fmt(seed_mean(R, "torch"), 4),
         ratio(seed_mean(R, "nn"), seed_mean(R, "sklearn")),
         ratio(seed_mean(R, "nn"), seed_mean(R, "torch"))],
        ["scoring rows/s, nn per row (nn_predict in a query) vs peers batched", fmt(nn_row),
         fmt(sk_s), fmt(tc_s), ratio(nn_row, sk_s), ratio(nn_row, tc_s)],
        ["scoring rows/s, nn batch (nn_predict_batch) vs peers batched", fmt(nn_batch),
         fmt(sk_s), fmt(tc_s), ratio(nn_batch, sk_s), ratio(nn_batch, tc_s)],
        ["scoring rows/s, nn batch as a window (nn_predict_window) vs peers batched", fmt(nn_window),
         fmt(sk_s), fmt(tc_s), ratio(nn_window, sk_s), ratio(nn_window, tc_s)],
        ["scoring rows/s, one row per call (nn_predict; torch 1,000 single-row calls)", fmt(nn_row),
         "n/a", fmt(tc.get("per_row_rows_per_s")), "n/a", ratio(nn_row, tc.get("per_row_rows_per_s"))],
        ["peak memory MB (10^6 B; nn: backend VmHWM; peers: process ru_maxrss)", fmt(nn_mem, 0),
         fmt(sk_m, 0), fmt(tc_m, 0), ratio(nn_mem, sk_m), ratio(nn_mem, tc_m)],
    ]
    rows += architecture_rows(R)
    w(table(rows, ["", "nn", "scikit-learn", "PyTorch", "nn/sklearn", "nn/torch"]))
    w("")
    train_ratios, rounds_line = training_rounds(R, nn_epoch, sk_e)
    if rounds_line:
        w(rounds_line)
        w("")
    score_ratios, score_rounds_line = scoring_rounds(R)
    if score_rounds_line:
        w(score_rounds_line)
        w("")
    if floor:
        w(f"Compute floor (cblas_sgemm alone at one epoch's shapes, {floor.get('gemms')} GEMMs, "
          f"{floor.get('flops', 0) / 1e9:.1f} GFLOP): {fmt(floor.get('seconds'))} s per epoch "
          f"({floor.get('core')}, {floor.get('threads')} threads, median of {floor.get('reps')}, "
          f"min {fmt(floor.get('seconds_min'))}, "
          f"{floor.get('gflops_per_s'):.1f} GFLOP/s); nn's fraction of it: "
          f"floor / nn epoch = {ratio(floor.get('seconds'), nn_epoch)} "
          f"(best floor / nn {ratio(floor.get('seconds_min'), nn_epoch)}); "
          f"scikit-learn {ratio(floor.get('seconds'), sk_e)}, PyTorch {ratio(floor.get('seconds'), tc_e)}.")
        for f in [r for r in R if r.get("kind") == "floor" and r.get("tag") != "main"
                  and not str(r.get("tag", "")).startswith("scale")]:
            w(f"- floor variant {f.get('tag')}: {fmt(f.get('seconds'))} s, min {fmt(f.get('seconds_min'))} ({f.get('core')}, "
              f"{f.get('threads')} thread(s), {f.get('gflops_per_s'):.1f} GFLOP/s, informational)")
        w("")

    # ---- targets (issue 4)
    data_mb = 60000 * 784 * 4 / 1e6   # MB = 10^6 bytes throughout
    mem_target = 2 * data_mb + 64
    w("## Targets of issue 4")
    w("")
    tg = []

    def target(name, value, goal, ok):
        tg.append([name, value, goal, "n/a" if ok is None else ("met" if ok else "missed")])
    target("training: nn s/epoch <= 0.5 x scikit-learn's (10-epoch runs)", fmt(nn_epoch),
           f"<= {fmt(0.5 * sk_e) if sk_e else 'n/a'}",
           None if not (nn_epoch and sk_e) else nn_epoch <= 0.5 * sk_e)
    if len(train_ratios) > 1:
        med = statistics.median(train_ratios)
        target("training: median nn/sklearn ratio, 10-epoch runs and rounds", f"{med:.2f}", "<= 0.50",
               med <= 0.5)
    target("accuracy >= 0.885", fmt(nn_acc, 4), ">= 0.885", None if nn_acc is None else nn_acc >= 0.885)
    target("per-row nn_predict >= 50,000 rows/s", fmt(nn_row), ">= 50,000",
           None if nn_row is None else nn_row >= 50000)
    target("batch path >= PyTorch batched rows/s: nn_predict_batch", fmt(nn_batch), f">= {fmt(tc_s)}",
           None if (nn_batch is None or tc_s is None) else nn_batch >= tc_s)
    target("batch path >= PyTorch batched rows/s: nn_predict_window", fmt(nn_window), f">= {fmt(tc_s)}",
           None if (nn_window is None or tc_s is None) else nn_window >= tc_s)
    if score_ratios:
        med = statistics.median(score_ratios)
        target("batch path: median nn_predict_window / PyTorch ratio, back-to-back rounds", f"{med:.2f}",
               ">= 1.00", med >= 1.0)
    target(f"backend peak <= 2 x {data_mb:.0f} MB + 64 MB", f"{fmt(nn_mem, 0)} (private peak "
           f"{fmt(main.get('anon_peak_mb'), 0)})", f"<= {mem_target:.0f}",
           None if nn_mem is None else nn_mem <= mem_target)
    w(table(tg, ["target", "measured", "goal", ""]))
    w("")

    # ---- load and layouts
    w("## Loading and column storage")
    w("")
    if loadrec:
        w(f"COPY from the Debian files (Python formats the text, psql COPY): train {fmt(loadrec.get('train_s'))} s, "
          f"test {fmt(loadrec.get('test_s'))} s, ANALYZE {fmt(loadrec.get('analyze_s'))} s.")
        w("")
    lay = [r for r in R if r.get("kind") == "layout"]
    if lay:
        w("Reading fm_train in nn_train (the rows are read once, before epoch 1; every epoch then "
          "works on the float32 copy in memory), one nn_train per layout with hidden '{16}' and 1 "
          "epoch, best of " + str(lay[0].get("runs", "?")) + " runs:")
        w("")
        best = last(R, "best_layout") or {}
        rows = []
        for r in lay:
            rows.append([r["tag"] + (" (chosen)" if r["tag"] == best.get("tag") else ""),
                         fmt(r.get("load_s")), fmt(1e6 * r["load_s"] / 60000, 1) if r.get("load_s") else "n/a",
                         fmt(r.get("total_s")), fmt(r.get("table_mb"), 0), fmt(r.get("heap_mb"), 0),
                         fmt(r.get("toast_mb"), 0), str(r.get("compressed_rows")), fmt(r.get("copy_s"))])
        w(table(rows, ["layout", "read s", "us/row", "nn_train s (read+1 epoch)", "table MB",
                       "heap MB", "TOAST MB", "compressed values", "build s (INSERT)"]))
        w("")

    # ---- nn training detail
    if main:
        w("## nn training detail")
        w("")
        w(f"nn_train total {fmt(main.get('total_s'))} s = read {fmt(main.get('load_s'))} s + 10 epochs "
          f"{fmt(sum(main.get('epoch_s', [])))} s + tail (model bytea, storing) {fmt(main.get('tail_s'))} s; "
          f"source {main.get('source')}.")
        w("")
        w("per-epoch seconds: " + ", ".join(fmt(x) for x in main.get("epoch_s", [])))
        w("")
        w("train loss: " + ", ".join(f"{x:.4f}" for x in main.get("train_loss", [])))
        w("")
        w(f"backend memory: VmHWM {fmt(main.get('vmhwm_mb'), 0)} MB (peak resident, includes shared "
          f"buffers it touched), private (RssAnon, sampled every 50 ms) peak {fmt(main.get('anon_peak_mb'), 0)} MB; "
          f"the training data as float32 is {data_mb:.0f} MB.")
        w("")
    if score:
        w(f"Scoring: per row {fmt(score.get('per_row_s'))} s for {score.get('rows')} rows "
          f"(median of {score.get('reps')}: {', '.join(fmt(x) for x in score.get('per_row_all', []))}; "
          f"plan: {score.get('plan')}; nn.row_product and nn.blas_core: {score.get('row_product', '?')}; "
          f"the same query with nn.row_product = gemv {fmt(score.get('per_row_gemv_s'))} s, "
          f"= level1 {fmt(score.get('per_row_level1_s'))} s, with max_parallel_workers_per_gather = "
          f"{score.get('per_row_fit_workers', '?')} (workers + leader = cores) {fmt(score.get('per_row_fit_s'))} s, "
          f"with nn in shared_preload_libraries (workers forked with nn loaded) {fmt(score.get('per_row_preload_s'))} s "
          f"(medians); reading and detoasting the arrays alone, "
          f"SELECT sum(cardinality(pixels)): {fmt(score.get('read_s'))} s); batch: {fmt(score.get('batch_s'))} s "
          f"({score.get('batch_note', '')}); window: {score.get('window_note', '')}.")
        w("")
    if sk or tc:
        w("Peers per-epoch seconds: scikit-learn " + ", ".join(fmt(x) for x in sk.get("epoch_seconds", []))
          + "; PyTorch " + ", ".join(fmt(x) for x in tc.get("epoch_seconds", [])) + ".")
        if tc.get("thread_calibration"):
            w("")
            w("PyTorch thread calibration (seconds for the same 100 minibatches): " + ", ".join(
                f"{k} thread(s) {v:.3f} s" for k, v in tc["thread_calibration"].items()))
        w("")

    # ---- scaling
    sc = [r for r in R if r.get("kind") == "train" and str(r.get("tag", "")).startswith("scale")]
    if sc:
        w("## Scaling (nn seconds per epoch; GEMM FLOPs per epoch as defined by sgemm_floor)")
        w("")
        w("3-epoch runs: median of epochs 2 and 3 (client-timed); the 60k x {256,128} point is the "
          "main run (median of its 10 epochs). The floor is the best of 3 sgemm_floor epochs.")
        w("")
        rows = []
        for r in sc:
            fl = r.get("flops")
            # client-timed epochs 2.. (ms resolution; epoch 1 is the server's 0.1 s figure)
            e = r.get("median_epoch_s") if r["tag"] == "scale_rows_60k" else r.get("median_epoch_s_2on")
            fr = last(R, "floor", r["tag"]) or (floor if r["tag"] == "scale_rows_60k" else {})
            fs = fr.get("seconds_min")
            rows.append([r.get("rows"), r.get("hidden"), r.get("epochs"), fmt(e), fmt(fl / 1e9, 2) if fl else "n/a",
                         fmt(e / (fl / 1e9), 4) if (fl and e) else "n/a",
                         fmt(1e6 * e / r["rows"], 2) if r.get("rows") else "n/a",
                         fmt(fs), ratio(fs, e)])
        w(table(rows, ["rows", "hidden", "epochs timed", "s/epoch", "GFLOP/epoch", "s per GFLOP",
                       "us per row", "sgemm floor s (best)", "floor / nn"]))
        w("")
    L.extend(cnn_report.section(R))
    L.extend(rnn_report.section(R))
    return "\n".join(L) + "\n"


def main():
    a = sys.argv[1:]
    if not a:
        sys.exit(__doc__)
    if a[0] == "parse-train":
        print(json.dumps(parse_train(a[1], a[2], a[3:])))
    elif a[0] == "kv":
        rec = {}
        for kv in a[1:]:
            k, _, v = kv.partition("=")
            try:
                rec[k] = json.loads(v)
            except ValueError:
                rec[k] = v
        print(json.dumps(rec))
    elif a[0] == "summary":
        r = load(a[1])[-1]
        print(f"  {r['tag']}: read {r['load_s']:.2f} s, median epoch {r['median_epoch_s']:.3f} s "
              f"over {r['epochs']}, total {r['total_s']:.2f} s, VmHWM {r['vmhwm_mb']:.0f} MB, "
              f"private peak {r['anon_peak_mb']:.0f} MB")
    elif a[0] == "get":
        r = last(load(a[1]), a[2], None if a[3] == "-" else a[3])
        v = None if r is None else r.get(a[4])
        print("" if v is None else v)
    elif a[0] == "best-layout":
        print(best_layout(load(a[1])))
    elif a[0] == "report":
        sys.stdout.write(report(a[1]))
    elif a[0] == "report-nets":
        sys.stdout.write(report(a[1], nets_only=True))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
