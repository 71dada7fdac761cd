#!/usr/bin/python3
"""PyTorch's side of the adversarial-robustness benchmark (issue 17).

Usage: /usr/bin/python3 adv_peers.py [--epochs N] [--rows N] [--seed S]
           [--threads T] [--eval-rows N]

The recipe of the issue on Fashion-MNIST (the loader of peers.py): pixels in
[0, 1], not standardized, MLP 784-256-128-10 (relu), softmax cross-entropy,
Adam 0.001, batch 128, 5 epochs, a fresh permutation every epoch.  Two
models from the same seed:

  plain:        trained on clean rows;
  adversarial:  each minibatch's first half (round(0.5 x rows)) replaced by
                its FGSM attack at epsilon 0.1 against the current
                parameters (model in eval mode for the attack), as nn's
                option {"adversarial": {"epsilon": 0.1, "clip": [0, 1]}}.

Each is evaluated on the first --eval-rows test rows (default all 10,000):
clean accuracy, FGSM-0.1 and PGD-0.1 (10 steps of 2.5 x 0.1 / 10, a uniform
random start in the ball), every attack clipped to [0, 1] and against the
true label.  Output: one JSON line on stdout; progress on stderr.
"""
import argparse
import json
import time

from peers import load, log

LR = 0.001
BATCH = 128
EPS = 0.1
PGD_STEPS = 10


def make_net():
    from torch import nn

    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128),
                         nn.ReLU(), nn.Linear(128, 10))


def fgsm(model, x, y):
    import torch
    import torch.nn.functional as F

    x = x.clone().requires_grad_(True)
    loss = F.cross_entropy(model(x), y, reduction="sum")
    g, = torch.autograd.grad(loss, x)
    return (x + EPS * g.sign()).clamp(0, 1).detach()


def pgd(model, x, y, gen):
    import torch
    import torch.nn.functional as F

    step = 2.5 * EPS / PGD_STEPS
    adv = (x + (torch.rand(x.shape, generator=gen) * 2 - 1) * EPS).clamp(0, 1)
    for _ in range(PGD_STEPS):
        adv.requires_grad_(True)
        loss = F.cross_entropy(model(adv), y, reduction="sum")
        g, = torch.autograd.grad(loss, adv)
        adv = adv.detach() + step * g.sign()
        adv = torch.min(torch.max(adv, x - EPS), x + EPS).clamp(0, 1)
    return adv.detach()


def train(xtr, ytr, epochs, seed, adversarial):
    import torch
    import torch.nn.functional as F

    torch.manual_seed(seed)
    model = make_net()
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    n = len(ytr)
    t0 = time.perf_counter()
    for epoch in range(epochs):
        perm = torch.randperm(n)
        for i in range(0, n, BATCH):
            idx = perm[i:i + BATCH]
            xb, yb = xtr[idx], ytr[idx]
            if adversarial:
                k = int(0.5 * len(idx) + 0.5)
                model.eval()
                xb = torch.cat([fgsm(model, xb[:k], yb[:k]), xb[k:]])
                model.train()
            opt.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            opt.step()
        log(f"adv_peers: {'adversarial' if adversarial else 'plain'} epoch {epoch + 1}/{epochs}")
    return model, time.perf_counter() - t0


def evaluate(model, x, y, seed):
    import torch

    model.eval()
    gen = torch.Generator().manual_seed(seed)
    out = {}
    with torch.no_grad():
        out["clean"] = (model(x).argmax(1) == y).float().mean().item()
    correct_f = correct_p = 0
    for i in range(0, len(y), 1000):
        xb, yb = x[i:i + 1000], y[i:i + 1000]
        # the attacks need gradients: made outside no_grad, then scored
        adv_f, adv_p = fgsm(model, xb, yb), pgd(model, xb, yb, gen)
        with torch.no_grad():
            correct_f += (model(adv_f).argmax(1) == yb).sum().item()
            correct_p += (model(adv_p).argmax(1) == yb).sum().item()
    out["fgsm"] = correct_f / len(y)
    out["pgd"] = correct_p / len(y)
    return out


def main():
    import torch

    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--rows", type=int, default=60000)
    ap.add_argument("--eval-rows", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    data = load()
    xtr = torch.from_numpy(data["train"][0][:a.rows])
    ytr = torch.from_numpy(data["train"][1][:a.rows])
    xte = torch.from_numpy(data["test"][0][:a.eval_rows])
    yte = torch.from_numpy(data["test"][1][:a.eval_rows])
    result = {"peer": "torch_adversarial", "epochs": a.epochs, "rows": a.rows,
              "eval_rows": a.eval_rows, "threads": a.threads}
    for name, adv in (("plain", False), ("adversarial", True)):
        model, secs = train(xtr, ytr, a.epochs, a.seed, adv)
        result[name] = evaluate(model, xte, yte, a.seed)
        result[name]["train_s"] = round(secs, 2)
        log(f"adv_peers: {name} {result[name]}")
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
