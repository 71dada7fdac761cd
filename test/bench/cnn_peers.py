#!/usr/bin/python3
"""PyTorch's side of the CNN benchmark (issue 15, "Acceptance").

Usage: /usr/bin/python3 cnn_peers.py [--epochs N] [--rows N] [--seed S]
           [--threads T] [--other-epochs K] cnn|separable

The networks of the issue, on Fashion-MNIST (Debian's dataset-fashion-mnist,
the same split and loader as peers.py), pixels / 255 in [0, 1], not
standardized, input [1, 28, 28]:

  cnn:       conv2d(32, 3x3, same, relu) - max_pool2d(2) - conv2d(64, 3x3,
             same, relu) - max_pool2d(2) - dense 128 relu, dropout 0.3 - 10
  separable: the same with the second convolution depthwise-separable:
             depthwise 3x3 (groups = 32, no bias), then pointwise 1x1 to 64
             (with bias), relu

Softmax cross-entropy, Adam lr 0.001, batch 128, a fresh permutation every
epoch, torch.manual_seed(seed).  The test accuracy is taken after every epoch
(outside the epoch's clock, dropout off).  Training runs on --threads intra-op
threads (default 2: on this machine's two cores the faster for these
convolutions); with --other-epochs K > 0 a second training from the same
seed runs K epochs on the other thread count (1 <-> 2), timed only, so that
both counts are measured without two full runs.  --rows N trains on the first
N training rows (the benchmark's quick mode).

Output: one JSON line on stdout; progress on stderr.
"""
import json
import statistics
import sys
import time

from peers import load, log, peak_rss_mb

LR = 0.001
BATCH = 128
EVAL_BATCH = 1000


def make_net(kind):
    from torch import nn

    if kind == "cnn":
        second = [nn.Conv2d(32, 64, 3, padding=1)]
    elif kind == "separable":
        second = [nn.Conv2d(32, 32, 3, padding=1, groups=32, bias=False),
                  nn.Conv2d(32, 64, 1)]
    else:
        sys.exit(f"cnn_peers.py: unknown network {kind!r}: cnn or separable")
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        *second, nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Dropout(0.3),
        nn.Linear(128, 10))


def layer_params(model, kind):
    """the parameters of the model's layers of one kind (nn.Conv2d, nn.RNNBase)"""
    return sum(p.numel() for m in model.modules() if isinstance(m, kind)
               for p in m.parameters())


def accuracy(model, x, y):
    import torch

    model.eval()
    hits = 0
    with torch.no_grad():
        for i in range(0, x.shape[0], EVAL_BATCH):
            hits += int((model(x[i:i + EVAL_BATCH]).argmax(1) == y[i:i + EVAL_BATCH]).sum())
    return hits / x.shape[0]


def train(kind, seed, threads, epochs, xtr, ytr, xte=None, yte=None, make=None):
    """Train make(kind) (default make_net) from seed; seconds per epoch and,
    given test rows, the test accuracy after each epoch."""
    import torch
    from torch import nn

    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    model = (make or make_net)(kind)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    loss_fn = nn.CrossEntropyLoss()
    n = xtr.shape[0]
    epoch_s, losses, acc = [], [], []
    for e in range(epochs):
        model.train()
        t0 = time.perf_counter()
        perm = torch.randperm(n)
        total = 0.0
        for i in range(0, n, BATCH):
            idx = perm[i:i + BATCH]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xtr[idx]), ytr[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        epoch_s.append(time.perf_counter() - t0)
        losses.append(total / n)
        msg = f"torch {kind} seed {seed}, {threads} thread(s), epoch {e + 1}/{epochs}: " \
              f"loss {losses[-1]:.4f}, {epoch_s[-1]:.2f} s"
        if xte is not None:
            acc.append(accuracy(model, xte, yte))
            msg += f", test accuracy {acc[-1]:.4f}"
        log(msg)
    return model, epoch_s, losses, acc


def main(peer="torch_cnn", make=None, shape=(1, 28, 28), doc=__doc__):
    """The command line of this script, or of another that passes its own
    network factory (make), input shape per row and usage (rnn_peers.py)"""
    import torch

    args = sys.argv[1:]
    opts = {"--epochs": 10, "--rows": 0, "--seed": 1, "--threads": 2, "--other-epochs": 0}
    while args and args[0] in opts:
        opts[args[0]] = int(args[1])
        args = args[2:]
    if len(args) != 1:
        sys.exit(doc)
    kind = args[0]
    threads = opts["--threads"]
    if threads not in (1, 2):
        sys.exit(f"{sys.argv[0]}: --threads is 1 or 2")
    d = load()
    xtr, ytr = d["train"]
    if opts["--rows"] > 0:
        xtr, ytr = xtr[:opts["--rows"]], ytr[:opts["--rows"]]
    xtr = torch.from_numpy(xtr.reshape(-1, *shape).copy())
    ytr = torch.from_numpy(ytr)
    xte = torch.from_numpy(d["test"][0].reshape(-1, *shape).copy())
    yte = torch.from_numpy(d["test"][1])

    model, epoch_s, losses, acc = train(kind, opts["--seed"], threads, opts["--epochs"],
                                        xtr, ytr, xte, yte, make)
    out = {
        "peer": peer, "net": kind, "version": torch.__version__,
        "seed": opts["--seed"], "rows": int(xtr.shape[0]), "test_rows": int(xte.shape[0]),
        "epochs": opts["--epochs"], "threads": threads,
        "epoch_seconds": epoch_s, "median_epoch_seconds": statistics.median(epoch_s),
        "train_loss": losses, "test_accuracy_by_epoch": acc,
        "accuracy_epoch1": acc[0], "accuracy_final": acc[-1],
        "conv_params": layer_params(model, torch.nn.Conv2d),
        "rec_params": layer_params(model, torch.nn.RNNBase),
        "params": sum(p.numel() for p in model.parameters()),
        "peak_rss_mb": peak_rss_mb(),
    }
    if opts["--other-epochs"] > 0:
        other = 3 - threads
        _, other_s, _, _ = train(kind, opts["--seed"], other, opts["--other-epochs"], xtr, ytr, make=make)
        out.update(other_threads=other, other_epoch_seconds=other_s,
                   other_median_epoch_seconds=statistics.median(other_s))
    # the faster of the two thread counts, for the ratio against nn
    times = {threads: out["median_epoch_seconds"]}
    if "other_threads" in out:
        times[out["other_threads"]] = out["other_median_epoch_seconds"]
    out["best_threads"] = min(times, key=times.get)
    out["best_epoch_seconds"] = times[out["best_threads"]]
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
