#!/usr/bin/python3
"""The CNN part of the benchmark's records and report (issue 15).

  cnn_report.py combine RESULTS.jsonl TAG [KEY=VALUE ...]
      one "cnn_nn" record from the timed steps of nn's run TAG (TAG_e1: the
      first epoch; TAG_rest: the other epochs through nn_continue; TAG_other:
      the epochs timed on the other thread count), with KEY=VALUE pairs added
      (values parsed as JSON when they are)
  cnn_report.py summary RESULTS.jsonl
      one line about the last CNN record (nn's or PyTorch's)
  cnn_report.py workspace LAYERS_JSON [BATCH]
      the convolution workspace of a layer list on a [1, 28, 28] input

report.py imports section() for the report's CNN section (cnn.sh explains
how the numbers are taken).

The convolution workspace is the issue's formula for nn's conv2d layers
(src/kernels/conv2d_layer.c runs a batch in groups of images, lowering an
image a piece at a time): for each conv2d layer, patch = input channels x
kernel height x kernel width, piece = min(output positions, 262144 / patch)
columns, groups = min(batch, 8), and its training buffers hold, for each
group, a piece of patches and the group's sums of the weight and bias
gradients: groups x (piece x patch + filters x patch + filters) floats; the
total is the sum over the layers.  A separable layer's workspace is not
part of the formula.
"""
import json
import statistics
import sys

from report import fmt, last, load, num, ratio, table

PIECE_FLOATS = 256 * 1024
GROUPS = 8
INPUT_SHAPE = (1, 28, 28)
CONV_KINDS = ("conv2d", "depthwise_conv2d", "separable_conv2d")
REC_KINDS = ("rnn", "lstm", "gru")
NETS = {"cnn": "conv2d(32, 3x3, same, relu) - max_pool2d(2) - conv2d(64, 3x3, same, relu) - "
               "max_pool2d(2) - dense 128 relu, dropout 0.3 - softmax",
        "separable": "the same with the second convolution depthwise-separable (depthwise 3x3, "
                     "pointwise 1x1 to 64)"}


def out_size(n, k, stride, padding):
    if padding == "same":
        return -(-n // stride)
    pad = 0 if padding == "valid" else 2 * int(padding)
    return (n + pad - k) // stride + 1


def workspace(layers, batch=128, shape=INPUT_SHAPE):
    """[(layer position, patch, piece, floats)] for the conv2d layers"""
    c, h, w = shape
    out = []
    for i, L in enumerate(layers, 1):
        kind = L.get("type", "dense")
        if kind in CONV_KINDS + ("max_pool2d", "avg_pool2d"):
            k = L.get("kernel", L.get("size"))
            kh, kw = (k, k) if isinstance(k, int) else k
            stride = L.get("stride", 1 if kind in CONV_KINDS else kh)
            pad = L.get("padding", "valid")
            oh, ow = out_size(h, kh, stride, pad), out_size(w, kw, stride, pad)
            if kind == "conv2d":
                patch = c * kh * kw
                piece = min(oh * ow, PIECE_FLOATS // patch if patch <= PIECE_FLOATS else 1)
                # each group's piece of patches and its gradient sums
                out.append((i, patch, piece,
                            min(batch, GROUPS) * (piece * patch + L["filters"] * (patch + 1))))
            c = L.get("filters", c)
            h, w = oh, ow
        elif kind == "dense":
            break
    return out


def combine(path, tag, extra):
    R = load(path)
    steps = [last(R, "train", f"{tag}_{s}") for s in ("e1", "rest")]
    steps = [s for s in steps if s]
    other = last(R, "train", f"{tag}_other")
    rec = {"kind": "cnn_nn", "tag": tag}
    for kv in extra:
        k, _, v = kv.partition("=")
        try:
            rec[k] = json.loads(v)
        except ValueError:
            rec[k] = num(v)
    epoch_s = [e for s in steps for e in s["epoch_s"]]
    rec["epoch_s"] = epoch_s
    rec["median_epoch_s"] = statistics.median(epoch_s)
    rec["train_loss"] = [x for s in steps for x in s["train_loss"]]
    rec["load_s"] = steps[0]["load_s"]
    rec["vmhwm_mb"] = max(s["vmhwm_mb"] for s in steps)
    rec["anon_peak_mb"] = max(s["anon_peak_mb"] for s in steps)
    times = {rec.get("threads"): rec["median_epoch_s"]}
    if other:
        rec["other_threads"] = other.get("threads")
        rec["other_epoch_s"] = other["epoch_s"]
        rec["other_median_epoch_s"] = statistics.median(other["epoch_s"])
        times[rec["other_threads"]] = rec["other_median_epoch_s"]
    rec["best_threads"] = min(times, key=times.get)
    rec["best_epoch_s"] = times[rec["best_threads"]]
    info = rec.pop("info", None) or {}
    rec["params"] = info.get("parameters")
    rec["info_layers"] = info.get("layers")
    # (each layer's count under "parameters", or "params")
    for key, kinds in (("conv_params", CONV_KINDS), ("rec_params", REC_KINDS)):
        per = [L.get("parameters", L.get("params")) for L in info.get("layers") or []
               if isinstance(L, dict) and L.get("type") in kinds]
        rec[key] = sum(per) if per and None not in per else None
    ws = workspace(rec.get("layers") or [])
    rec["workspace_floats"] = sum(f for _, _, _, f in ws)
    rec["data_mb"] = rec.get("rows", 0) * 784 * 4 / 1e6
    return rec


def summary(path):
    r = [x for x in load(path) if x.get("kind") in ("cnn_nn", "rnn_nn")
         or x.get("peer") in ("torch_cnn", "torch_rnn")][-1]
    side = "nn" if r.get("kind") in ("cnn_nn", "rnn_nn") else "PyTorch"
    what, key = (("recurrent", "rec_params") if r.get("kind") == "rnn_nn" or r.get("peer") == "torch_rnn"
                 else ("convolution", "conv_params"))
    if r.get("error"):
        return f"  {side} {r.get('net')} seed {r.get('seed')}: {r['error']}"
    if side == "nn":
        return (f"  nn {r['net']} seed {r['seed']}: accuracy {r['accuracy_epoch1']} after epoch 1, "
                f"{r['accuracy_final']} after {r['epochs']}; {r['median_epoch_s']:.2f} s/epoch at "
                f"{r['threads']} thread(s)" + (f", {r['other_median_epoch_s']:.2f} at {r['other_threads']}"
                                              if r.get("other_threads") else "")
                + f"; VmHWM {r['vmhwm_mb']:.0f} MB")
    return (f"  PyTorch {r['net']} seed {r['seed']}: accuracy {r['accuracy_epoch1']:.4f} after epoch 1, "
            f"{r['accuracy_final']:.4f} after {r['epochs']}; {r['median_epoch_seconds']:.2f} s/epoch at "
            f"{r['threads']} thread(s)" + (f", {r['other_median_epoch_seconds']:.2f} at {r['other_threads']}"
                                          if r.get("other_threads") else "")
            + f"; {r.get(key)} {what} parameters")


def find(R, side, net, seed, family="cnn"):
    key = "kind" if side == "nn" else "peer"
    want = f"{family}_nn" if side == "nn" else f"torch_{family}"
    found = None
    for r in R:
        if r.get(key) == want and r.get("net") == net and r.get("seed") == seed:
            found = r
    return found or {}


def net_table(nn, tc, params=("convolution parameters", "conv_params")):
    e = nn.get("epochs") or tc.get("epochs") or "?"
    th, oth = nn.get("threads") or tc.get("threads"), nn.get("other_threads") or tc.get("other_threads")
    nn_acc = [num(str(nn[k])) if nn.get(k) is not None else None for k in ("accuracy_epoch1", "accuracy_final")]
    rows = [
        ["test accuracy after epoch 1", fmt(nn_acc[0], 4), fmt(tc.get("accuracy_epoch1"), 4),
         ratio(nn_acc[0], tc.get("accuracy_epoch1"))],
    ]
    if e != 1:
        rows.append([f"test accuracy after epoch {e}", fmt(nn_acc[1], 4), fmt(tc.get("accuracy_final"), 4),
                     ratio(nn_acc[1], tc.get("accuracy_final"))])
    rows += [
        [f"s/epoch at {th} thread(s), median of {e}", fmt(nn.get("median_epoch_s")),
         fmt(tc.get("median_epoch_seconds")), ratio(nn.get("median_epoch_s"), tc.get("median_epoch_seconds"))],
        [f"s/epoch at {oth} thread(s), median of the epochs timed there", fmt(nn.get("other_median_epoch_s")),
         fmt(tc.get("other_median_epoch_seconds")),
         ratio(nn.get("other_median_epoch_s"), tc.get("other_median_epoch_seconds"))],
        [f"s/epoch, the faster of 1 and 2 threads (nn: {nn.get('best_threads', '?')}, "
         f"PyTorch: {tc.get('best_threads', '?')})", fmt(nn.get("best_epoch_s")),
         fmt(tc.get("best_epoch_seconds")), ratio(nn.get("best_epoch_s"), tc.get("best_epoch_seconds"))],
        [params[0], fmt(nn.get(params[1]), 0), fmt(tc.get(params[1]), 0),
         ratio(nn.get(params[1]), tc.get(params[1]))],
        ["parameters", fmt(nn.get("params"), 0), fmt(tc.get("params"), 0), ratio(nn.get("params"), tc.get("params"))],
        ["peak memory MB (nn: backend VmHWM; PyTorch: process ru_maxrss)", fmt(nn.get("vmhwm_mb"), 0),
         fmt(tc.get("peak_rss_mb"), 0), ratio(nn.get("vmhwm_mb"), tc.get("peak_rss_mb"))],
    ]
    return table(rows, ["", "nn", "PyTorch", "nn/PyTorch"])


def run_lines(nn, tc):
    """markdown lines under a network's table: errors, per-epoch seconds, PyTorch's accuracies"""
    L = []
    for side, r in (("nn", nn), ("PyTorch", tc)):
        if r.get("error"):
            L += [f"**{side} did not run to the end**: {r.get('step', '')} {r['error']}", ""]
    if nn.get("epoch_s"):
        L += ["nn per-epoch seconds: " + ", ".join(fmt(x) for x in nn["epoch_s"]) +
              (f"; at {nn.get('other_threads')} thread(s): " + ", ".join(fmt(x) for x in nn["other_epoch_s"])
               if nn.get("other_epoch_s") else "") + f"; read before epoch 1 {fmt(nn.get('load_s'))} s.", ""]
    if tc.get("epoch_seconds"):
        L += ["PyTorch per-epoch seconds: " + ", ".join(fmt(x) for x in tc["epoch_seconds"]) +
              (f"; at {tc.get('other_threads')} thread(s): " +
               ", ".join(fmt(x) for x in tc["other_epoch_seconds"]) if tc.get("other_epoch_seconds") else "") +
              "; test accuracy by epoch: " + ", ".join(fmt(x, 4) for x in tc.get("test_accuracy_by_epoch", [])) +
              ".", ""]
    return L


def seed_lines(R, family, net):
    """a table of the test accuracies of NET by seed, when it ran more than one"""
    runs = [r for r in R if r.get("net") == net and
            (r.get("kind") == f"{family}_nn" or r.get("peer") == f"torch_{family}")]
    seeds = sorted({r.get("seed") for r in runs} - {None})
    if len(seeds) < 2:
        return []
    rows = []
    for s in seeds:
        nn, tc = find(R, "nn", net, s, family), find(R, "torch", net, s, family)
        rows.append([s, nn.get("accuracy_epoch1", nn.get("error", "n/a")), nn.get("accuracy_final", "n/a"),
                     fmt(tc.get("accuracy_epoch1"), 4), fmt(tc.get("accuracy_final"), 4)])
    return [f"### {net} by seed (test accuracy)", "",
            table(rows, ["seed", "nn epoch 1", "nn last epoch", "PyTorch epoch 1", "PyTorch last epoch"]), ""]


def targets(R):
    """The acceptance lines of issue 15 (printed, never asserted)"""
    cnn, sep = find(R, "nn", "cnn", 1), find(R, "nn", "separable", 1)
    tcnn, tsep = find(R, "torch", "cnn", 1), find(R, "torch", "separable", 1)
    rows = []

    def target(name, value, goal, ok):
        rows.append([name, value, goal, "n/a" if ok is None else ("met" if ok else "missed")])

    def at_least(r, goal):
        a = r.get("accuracy_final")
        return fmt(a, 4), f">= {goal}", None if not isinstance(a, (int, float)) else a >= goal

    target(f"cnn: nn test accuracy after epoch {cnn.get('epochs', '?')}, seed 1", *at_least(cnn, 0.91))
    target(f"separable: nn test accuracy after epoch {sep.get('epochs', '?')}, seed 1", *at_least(sep, 0.89))
    c, s = cnn.get("conv_params"), sep.get("conv_params")
    target("separable: convolution parameters <= 1/4 of cnn's (nn)", fmt(s, 0),
           f"<= {fmt(c / 4 if c else None, 0)}", None if not (c and s) else s <= c / 4)
    for net, nn, tc in (("cnn", cnn, tcnn), ("separable", sep, tsep)):
        a, b = nn.get("best_epoch_s"), tc.get("best_epoch_seconds")
        target(f"{net}: nn s/epoch <= PyTorch's (each at its faster thread count)", fmt(a), f"<= {fmt(b)}",
               None if not (a and b) else a <= b)
    for net, nn in (("cnn", cnn), ("separable", sep)):
        if nn.get("vmhwm_mb") is None:
            continue
        bound = 2 * nn["data_mb"] + nn.get("workspace_floats", 0) * 4 / 1e6
        target(f"{net}: backend peak <= 2 x data + convolution workspace (MB)", fmt(nn["vmhwm_mb"], 0),
               f"<= {bound:.0f}", nn["vmhwm_mb"] <= bound)
    return target_lines(15, rows)


def target_lines(issue, rows):
    """the markdown table of an issue's targets: [target, measured, goal, met/missed/n/a] rows"""
    return [f"### Targets of issue {issue} (measured, not asserted)", "",
            table(rows, ["target", "measured", "goal", ""]), ""]


def family_records(R, family):
    """nn's records and PyTorch's of one family of networks (cnn, rnn)"""
    return ([r for r in R if r.get("kind") == f"{family}_nn"],
            [r for r in R if r.get("peer") == f"torch_{family}"])


def section(R):
    """The report's CNN section (markdown lines), or [] without CNN records"""
    nns, tcs = family_records(R, "cnn")
    if not nns and not tcs:
        return []
    L = []
    w = L.append
    first = (tcs or nns)[0]
    w("## CNN (issue 15): nn beside PyTorch")
    w("")
    w(f"Fashion-MNIST, {first.get('rows', '?')} training rows, the 10,000 test rows; input [1, 28, 28], "
      "pixels in [0, 1] (standardize false), softmax cross-entropy, Adam lr 0.001, batch 128, "
      f"{first.get('epochs', '?')} epoch(s). nn trains through nn_train (epoch 1) and nn_continue (the "
      "rest) with a test evaluation (nn_evaluate) between; PyTorch evaluates after every epoch. "
      "Each network runs on nn then on PyTorch back to back.")
    w("")
    for net in ("cnn", "separable"):
        nn, tc = find(R, "nn", net, 1), find(R, "torch", net, 1)
        if not nn and not tc:
            continue
        w(f"### {net}: {NETS[net]} (seed 1)")
        w("")
        w(net_table(nn, tc))
        w("")
        L.extend(run_lines(nn, tc))
        if nn.get("layers") and not nn.get("error"):
            ws = workspace(nn["layers"])
            total = sum(f for _, _, _, f in ws)
            parts = "; ".join(f"layer {i}: patch {p}, piece {c} columns, {f:,} floats" for i, p, c, f in ws)
            parts = f" ({parts}; batch 128)" if parts else ""
            bound = 2 * nn["data_mb"] + total * 4 / 1e6
            w(f"nn memory: backend peak (VmHWM) {fmt(nn.get('vmhwm_mb'), 0)} MB, private peak (RssAnon) "
              f"{fmt(nn.get('anon_peak_mb'), 0)} MB; 2 x the training data as float32 = "
              f"{2 * nn['data_mb']:.0f} MB; convolution workspace {total:,} floats = {total * 4 / 1e6:.1f} MB"
              f"{parts}; their sum {bound:.0f} MB: the peak is "
              f"{'within' if nn['vmhwm_mb'] <= bound else 'above'} it.")
            w("")
    L.extend(targets(R))
    L.extend(seed_lines(R, "cnn", "cnn"))
    return L


def main():
    a = sys.argv[1:]
    if a[:1] == ["combine"] and len(a) >= 3:
        print(json.dumps(combine(a[1], a[2], a[3:])))
    elif a[:1] == ["summary"] and len(a) == 2:
        print(summary(a[1]))
    elif a[:1] == ["workspace"] and len(a) in (2, 3):
        for i, p, c, f in workspace(json.loads(a[1]), int(a[2]) if len(a) == 3 else 128):
            print(f"layer {i}: patch {p}, piece {c}, {f} floats")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
