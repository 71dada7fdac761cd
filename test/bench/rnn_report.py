#!/usr/bin/python3
"""The recurrent part of the benchmark's report (issue 16).

report.py imports section() for the report's recurrent section; the records
are cnn.sh's (net_nn, net_torch) with the family "rnn": "rnn_nn" for nn (made
by cnn_report.py combine) and "torch_rnn" for PyTorch (rnn_peers.py).  rnn.sh
explains how the numbers are taken.

Memory: the backend's peak beside 2 x the training data as float32 plus
what backpropagation through time keeps for one minibatch, by the formula
of src/kernels/recurrent_layer.c: per row, every step's gates (G H floats),
hidden state (H) and, for the LSTM, cell state and its tanh (2 H), for the
GRU its recurrent candidate part (H); plus dL/dh (H) and the LSTM's dL/dc
(H) or the GRU's recurrent product (3 H).  LSTM(128) over 28 steps: 25,344
floats a row.
"""
from cnn_report import family_records, find, net_table, run_lines, seed_lines, target_lines
from report import fmt, num

STEPS = 28
BATCH = 128
GATES = {"rnn": 1, "lstm": 4, "gru": 3}
STATES = {"rnn": 1, "lstm": 3, "gru": 2}    # per step, in units: h, and c, tanh c / R_h h + b_rh
CARRIED = {"rnn": 1, "lstm": 2, "gru": 4}   # per row, in units: dL/dh, and dL/dc / the recurrent product
NETS = {"lstm": "LSTM(128), its last step's output - softmax",
        "gru": "GRU(128), its last step's output - softmax"}


def bptt_floats(net, units=128, batch=BATCH, steps=STEPS):
    return batch * (steps * (GATES[net] + STATES[net]) + CARRIED[net]) * units


def targets(R):
    """The acceptance lines of issue 16 (printed, never asserted)"""
    rows = []
    for net in ("lstm", "gru"):
        nn, tc = find(R, "nn", net, 1, "rnn"), find(R, "torch", net, 1, "rnn")
        if not nn and not tc:
            continue
        a = num(str(nn.get("accuracy_final")))   # (psql's text)
        a = a if isinstance(a, (int, float)) else None
        rows.append([f"{net}: nn test accuracy after epoch {nn.get('epochs', '?')}, seed 1", fmt(a, 4),
                     ">= 0.88", "n/a" if a is None else ("met" if a >= 0.88 else "missed")])
        s, t = nn.get("best_epoch_s"), tc.get("best_epoch_seconds")
        rows.append([f"{net}: nn s/epoch <= PyTorch's (each at its faster thread count)", fmt(s), f"<= {fmt(t)}",
                     "n/a" if not (s and t) else ("met" if s <= t else "missed")])
    if not rows:
        return []
    return target_lines(16, rows)


def section(R):
    """The report's recurrent section (markdown lines), or [] without its records"""
    nns, tcs = family_records(R, "rnn")
    if not nns and not tcs:
        return []
    L = []
    w = L.append
    first = (tcs or nns)[0]
    w("## Recurrent networks (issue 16): nn beside PyTorch")
    w("")
    w(f"Fashion-MNIST read as a sequence of 28 steps of 28 pixels (input_shape [28, 28], a row of "
      f"the image per step), {first.get('rows', '?')} training rows, the 10,000 test rows; pixels in "
      "[0, 1] (standardize false), softmax cross-entropy, Adam lr 0.001, batch 128, "
      f"{first.get('epochs', '?')} epoch(s). nn trains through nn_train (epoch 1) and nn_continue (the "
      "rest) with a test evaluation between; PyTorch (nn.LSTM / nn.GRU with batch_first, the last "
      "step, Linear(128, 10)) evaluates after every epoch. PyTorch's recurrent layers carry two bias "
      "vectors (b_ih and b_hh) where nn's carry one (and the GRU's recurrent-candidate bias), so its "
      "counts are larger by 4 x 128 (LSTM) or 2 x 128 (GRU).")
    w("")
    for net in ("lstm", "gru"):
        nn, tc = find(R, "nn", net, 1, "rnn"), find(R, "torch", net, 1, "rnn")
        if not nn and not tc:
            continue
        w(f"### {net}: {NETS[net]} (seed 1)")
        w("")
        w(net_table(nn, tc, ("recurrent layer's parameters", "rec_params")))
        w("")
        L.extend(run_lines(nn, tc))
        if nn.get("vmhwm_mb") is not None and not nn.get("error"):
            keep = bptt_floats(net) * 4 / 1e6
            bound = 2 * nn["data_mb"] + keep
            w(f"nn memory: backend peak (VmHWM) {fmt(nn.get('vmhwm_mb'), 0)} MB, private peak (RssAnon) "
              f"{fmt(nn.get('anon_peak_mb'), 0)} MB; 2 x the training data as float32 = {2 * nn['data_mb']:.0f} MB; "
              f"backpropagation through time keeps about {bptt_floats(net):,} floats = {keep:.1f} MB per "
              f"minibatch; their sum {bound:.0f} MB: the peak is {'within' if nn['vmhwm_mb'] <= bound else 'above'} it.")
            w("")
    L.extend(targets(R))
    L.extend(seed_lines(R, "rnn", "lstm"))
    return L
