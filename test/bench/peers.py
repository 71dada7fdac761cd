#!/usr/bin/python3
"""The peers of nn's benchmark: scikit-learn and PyTorch on Fashion-MNIST.

Usage: /usr/bin/python3 peers.py [--epochs N] [--seed N] [sklearn] [torch] [torch_score]
       (no peer named: sklearn and torch; torch_score, PyTorch's batched
       inference alone, is for the benchmark's scoring rounds)

Same split (Debian's dataset-fashion-mnist: 60,000 train / 10,000 test),
pixels / 255 as float32 arrays in memory (the peers' best case), the same
model as nn's benchmark: 784-256-128-10, ReLU, softmax cross-entropy, Adam
with learning rate 0.001, batch 128, shuffled every epoch, 10 epochs, seed 1
(--seed: another seed, for the accuracy over seeds 1-3).

Each peer runs in a fresh child process (this script, re-executed) so that
its peak RSS (getrusage ru_maxrss) is its own.  Output: JSON lines on stdout,
one "env" line and one line per peer; progress goes to stderr.

scikit-learn: one fit of 10 epochs with verbose=True; the time each
"Iteration N, loss = X" line is printed splits the fit into epochs (a
warm_start loop of max_iter=1 fits would rebuild Adam's state and redraw the
same shuffle every call). tol=0 and a large n_iter_no_change: no early stop;
alpha=0: no L2 penalty, as nn's l2 = 0. Its BLAS is numpy's OpenBLAS, with
the environment as it is (threadpoolctl's view of it is in the output).
PyTorch: a plain loop over a fresh permutation each epoch; intra-op threads
from TORCH_THREADS (auto, the default: the faster of 1 and 2 on a short
calibration, see run_torch). Scoring: sklearn predict and a torch forward
under no_grad on the 10,000 test rows at once (median of 3), and torch one
row per call on 1,000 rows for context.
"""
import gzip
import json
import os
import resource
import statistics
import subprocess
import sys
import time

DIR = "/usr/share/datasets/fashion-mnist"
HIDDEN = (256, 128)
LR = 0.001
BATCH = 128
SEED = 1
SCORE_REPS = 3
PER_ROW = 1000


def log(msg):
    print(f"peers: {msg}", file=sys.stderr, flush=True)


def load():
    import numpy as np

    def idx(path, offset):
        with gzip.open(path, "rb") as f:
            return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)

    out = {}
    for split, prefix in (("train", "train"), ("test", "t10k")):
        x = idx(f"{DIR}/{prefix}-images-idx3-ubyte.gz", 16)
        y = idx(f"{DIR}/{prefix}-labels-idx1-ubyte.gz", 8)
        x = (x.reshape(len(y), 784).astype(np.float32) / np.float32(255)).copy()
        out[split] = (x, y.astype(np.int64))
    return out


def peak_rss_mb():
    # Linux: ru_maxrss is in KiB; MB here are 10^6 bytes, as everywhere in the report
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6


def median_time(fn, reps):
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


class LineClock:
    """A stdout stand-in that notes when each line starting with prefix is written."""

    def __init__(self, prefix):
        self.prefix = prefix
        self.times = []
        self.lines = []
        self._buf = ""

    def write(self, s):
        self._buf += s
        while "\n" in self._buf:
            line, self._buf = self._buf.split("\n", 1)
            if line.startswith(self.prefix):
                self.times.append(time.perf_counter())
                self.lines.append(line)
        return len(s)

    def flush(self):
        pass


def run_sklearn(epochs):
    import warnings
    import numpy as np
    import sklearn
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    d = load()
    xtr, ytr = d["train"]
    xte, yte = d["test"]
    # One fit of `epochs` epochs (warm_start with max_iter=1 would rebuild the
    # Adam state and redraw the same shuffle every call). verbose=True prints
    # "Iteration N, loss = X" after every epoch: timestamping those lines
    # gives the per-epoch seconds. tol=0 / n_iter_no_change=epochs+1: no early
    # stop; alpha=0: no L2 penalty, like nn's default l2 = 0.
    clf = MLPClassifier(hidden_layer_sizes=HIDDEN, activation="relu", solver="adam",
                        learning_rate_init=LR, batch_size=BATCH, max_iter=epochs,
                        shuffle=True, random_state=SEED, alpha=0.0, tol=0.0,
                        n_iter_no_change=epochs + 1, early_stopping=False, verbose=True)
    clock = LineClock("Iteration")
    real_stdout = sys.stdout
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        t0 = time.perf_counter()
        sys.stdout = clock
        try:
            clf.fit(xtr, ytr)
        finally:
            sys.stdout = real_stdout
        t_fit = time.perf_counter() - t0
    marks = [t0] + clock.times
    epoch_s = [b - a for a, b in zip(marks, marks[1:])]
    acc = float((clf.predict(xte) == yte).mean())
    score_s = median_time(lambda: clf.predict(xte), SCORE_REPS)
    blas = []
    try:
        import threadpoolctl
        blas = [{k: i.get(k) for k in ("internal_api", "version", "architecture",
                                        "threading_layer", "num_threads")}
                for i in threadpoolctl.threadpool_info()]
    except ImportError:
        pass
    return {
        "peer": "sklearn",
        "version": sklearn.__version__,
        "numpy": np.__version__,
        "blas": blas,
        "epochs": len(epoch_s),
        "epoch_seconds": epoch_s,
        "median_epoch_seconds": statistics.median(epoch_s),
        "fit_seconds": t_fit,
        "train_loss": [float(line.rsplit("=", 1)[1]) for line in clock.lines],
        "test_accuracy": acc,
        "score_rows": len(yte),
        "score_seconds": score_s,
        "score_rows_per_s": len(yte) / score_s,
        "peak_rss_mb": peak_rss_mb(),
    }


def torch_mlp():
    from torch import nn
    return nn.Sequential(nn.Linear(784, HIDDEN[0]), nn.ReLU(),
                         nn.Linear(HIDDEN[0], HIDDEN[1]), nn.ReLU(),
                         nn.Linear(HIDDEN[1], 10))


def run_torch_score(_epochs):
    """PyTorch's batched inference alone, for the benchmark's scoring rounds
    (run_bench.sh times it right after nn's window query): the same network,
    with seeded initial weights (the time does not depend on them), scores
    the 10,000 test rows under no_grad, median of SCORE_REPS after a warm-up
    call, with 1 and with 2 intra-op threads; the faster counts."""
    import torch

    xte = torch.from_numpy(load()["test"][0])
    torch.manual_seed(SEED)
    model = torch_mlp().eval()
    times = {}
    with torch.no_grad():
        for t in (1, 2):
            torch.set_num_threads(t)
            model(xte)
            times[t] = median_time(lambda: model(xte).argmax(1), SCORE_REPS)
    best = min(times, key=times.get)
    return {"peer": "torch_score", "num_threads": best, "thread_seconds": times,
            "score_seconds": times[best], "score_rows_per_s": xte.shape[0] / times[best]}


def run_torch(epochs):
    import torch
    from torch import nn

    make = torch_mlp

    d = load()
    xtr = torch.from_numpy(d["train"][0])
    ytr = torch.from_numpy(d["train"][1])
    xte = torch.from_numpy(d["test"][0])
    yte = torch.from_numpy(d["test"][1])
    loss_fn = nn.CrossEntropyLoss()
    n = xtr.shape[0]

    # Threads: 2 (both cores) is the obvious setting, but this Debian build
    # (OpenMP intra-op threads around OpenBLAS calls) can be several times
    # slower with 2 than with 1 on a 2-core machine. TORCH_THREADS=auto (the
    # default) times the same 100 minibatches, after 20 warm-up ones, with 1
    # and with 2 threads on a throwaway model and trains with the faster:
    # the peer's best case. TORCH_THREADS=1 or 2 forces a setting.
    want = os.environ.get("TORCH_THREADS", "auto")
    calib = {}
    if want == "auto":
        for t in (1, 2):
            torch.set_num_threads(t)
            torch.manual_seed(SEED)
            m = make()
            o = torch.optim.Adam(m.parameters(), lr=LR)
            perm = torch.randperm(n)
            for i in range(120):
                if i == 20:
                    t0 = time.perf_counter()
                idx = perm[i * BATCH:(i + 1) * BATCH]
                o.zero_grad(set_to_none=True)
                loss_fn(m(xtr[idx]), ytr[idx]).backward()
                o.step()
            calib[t] = time.perf_counter() - t0
        threads = min(calib, key=calib.get)
        note = "the faster of 1 and 2 in a calibration run (TORCH_THREADS=auto)"
    else:
        threads = int(want)
        note = f"set by TORCH_THREADS={want}"
    log(f"torch: {threads} threads ({note}; calibration {calib})")
    torch.set_num_threads(threads)
    torch.manual_seed(SEED)
    model = make()
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    epoch_s, losses = [], []
    for _ in range(epochs):
        t0 = time.perf_counter()
        model.train()
        perm = torch.randperm(n)
        total = 0.0
        for i in range(0, n, BATCH):
            idx = perm[i:i + BATCH]
            xb, yb = xtr[idx], ytr[idx]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        epoch_s.append(time.perf_counter() - t0)
        losses.append(total / n)
        log(f"torch epoch {len(epoch_s)}/{epochs}: loss {losses[-1]:.4f}, {epoch_s[-1]:.2f} s")
    model.eval()
    with torch.no_grad():
        acc = float((model(xte).argmax(1) == yte).float().mean())

        def batched():
            model(xte).argmax(1)
        score_s = median_time(batched, SCORE_REPS)
        rows = xte[:PER_ROW]

        def per_row():
            for i in range(PER_ROW):
                model(rows[i:i + 1]).argmax(1)
        per_row_s = median_time(per_row, 1)
    return {
        "peer": "torch",
        "version": torch.__version__,
        "config": torch.__config__.show().strip().splitlines()[:6],
        "num_threads": torch.get_num_threads(),
        "threads_note": note,
        "thread_calibration": calib,
        "blas": torch.__config__.show().split("BLAS_INFO=")[1].split(",")[0]
        if "BLAS_INFO=" in torch.__config__.show() else None,
        "mkldnn": torch.backends.mkldnn.is_available(),
        "epochs": epochs,
        "epoch_seconds": epoch_s,
        "median_epoch_seconds": statistics.median(epoch_s),
        "train_loss": losses,
        "test_accuracy": acc,
        "score_rows": xte.shape[0],
        "score_seconds": score_s,
        "score_rows_per_s": xte.shape[0] / score_s,
        "per_row_rows": PER_ROW,
        "per_row_seconds": per_row_s,
        "per_row_rows_per_s": PER_ROW / per_row_s,
        "peak_rss_mb": peak_rss_mb(),
    }


def main():
    global SEED
    args = sys.argv[1:]
    epochs = 10
    if args[:1] == ["--epochs"]:
        epochs = int(args[1])
        args = args[2:]
    if args[:1] == ["--seed"]:
        SEED = int(args[1])
        args = args[2:]
    if args[:1] == ["--child"]:
        peer = args[1]
        fn = {"sklearn": run_sklearn, "torch": run_torch, "torch_score": run_torch_score}[peer]
        out = fn(epochs)
        out["seed"] = SEED
        print(json.dumps(out), flush=True)
        return 0
    peers = args or ["sklearn", "torch"]
    for p in peers:
        if p not in ("sklearn", "torch", "torch_score"):
            sys.exit(f"unknown peer {p!r}: sklearn, torch or torch_score")
    env = {k: os.environ[k] for k in sorted(os.environ)
           if k.startswith(("OPENBLAS", "OMP_", "MKL_", "GOTO"))}
    print(json.dumps({"peer": "env", "python": sys.version.split()[0],
                      "executable": sys.executable, "blas_env": env}), flush=True)
    status = 0
    for p in peers:
        log(f"{p}: " + ("batched inference" if p == "torch_score" else f"training {epochs} epochs"))
        r = subprocess.run([sys.executable, os.path.abspath(__file__), "--epochs", str(epochs),
                            "--seed", str(SEED), "--child", p], stdout=subprocess.PIPE, text=True)
        if r.returncode != 0:
            log(f"{p} failed with exit code {r.returncode}")
            print(json.dumps({"peer": p, "error": f"exit code {r.returncode}"}), flush=True)
            status = 1
            continue
        sys.stdout.write(r.stdout)
        sys.stdout.flush()
        res = json.loads(r.stdout.strip().splitlines()[-1])
        if p == "torch_score":
            log(f"{p}: {res['score_rows_per_s']:.0f} rows/s on {res['num_threads']} thread(s)")
            continue
        log(f"{p}: {res['median_epoch_seconds']:.3f} s/epoch, accuracy {res['test_accuracy']:.4f}, "
            f"{res['score_rows_per_s']:.0f} rows/s, peak {res['peak_rss_mb']:.0f} MB")
    return status


if __name__ == "__main__":
    sys.exit(main())
