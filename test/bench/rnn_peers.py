#!/usr/bin/python3
"""PyTorch's side of the recurrent benchmark (issue 16, "Acceptance").

Usage: /usr/bin/python3 rnn_peers.py [--epochs N] [--rows N] [--seed S]
           [--threads T] [--other-epochs K] lstm|gru

Fashion-MNIST (the split and loader of peers.py) read as a sequence: each
image is 28 steps of 28 pixels (a row of the image per step), pixels / 255 in
[0, 1], not standardized.  The network is nn.LSTM(28, 128, batch_first=True)
(or nn.GRU), its last step's output, then Linear(128, 10): softmax
cross-entropy, Adam lr 0.001, batch 128, a fresh permutation every epoch,
torch.manual_seed(seed).  The loop, the per-epoch test accuracy, the thread
counts (--threads, --other-epochs) and the output line are cnn_peers.py's;
"rec_params" counts the recurrent layer's parameters.

Output: one JSON line on stdout; progress on stderr.
"""
import sys

import cnn_peers

UNITS = 128
STEPS = FEATURES = 28


def make_net(kind):
    from torch import nn

    cells = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}
    if kind not in cells:
        sys.exit(f"rnn_peers.py: unknown network {kind!r}: lstm, gru or rnn")

    class LastStep(nn.Module):
        """the recurrent layer's output at the last step, then the output layer"""

        def __init__(self):
            super().__init__()
            self.rec = cells[kind](FEATURES, UNITS, batch_first=True)
            self.out = nn.Linear(UNITS, 10)

        def forward(self, x):
            seq, _ = self.rec(x)
            return self.out(seq[:, -1, :])

    return LastStep()


if __name__ == "__main__":
    cnn_peers.main(peer="torch_rnn", make=make_net, shape=(STEPS, FEATURES), doc=__doc__)
