#!/usr/bin/python3
"""Write Fashion-MNIST as PostgreSQL COPY text rows: label<TAB>{p1,...,p784}.

Usage: load_fashion_mnist.py train|test  > rows.tsv
Reads the idx files shipped by the Debian package dataset-fashion-mnist;
pixels are scaled to [0,1]. Standard library only.
"""
import gzip
import struct
import sys

DIR = "/usr/share/datasets/fashion-mnist"
PREFIX = {"train": "train", "test": "t10k"}


def read_idx(path, magic, ndim):
    with gzip.open(path, "rb") as f:
        data = f.read()
    got, = struct.unpack(">I", data[:4])
    if got != magic:
        sys.exit(f"{path}: bad idx magic {got}, expected {magic}")
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    body = data[4 + 4 * ndim:]
    size = 1
    for d in dims:
        size *= d
    if len(body) != size:
        sys.exit(f"{path}: {len(body)} data bytes, header says {size}")
    return dims, body


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in PREFIX:
        sys.exit("usage: load_fashion_mnist.py train|test")
    p = f"{DIR}/{PREFIX[sys.argv[1]]}"
    (n, rows, cols), images = read_idx(f"{p}-images-idx3-ubyte.gz", 2051, 3)
    (nl,), labels = read_idx(f"{p}-labels-idx1-ubyte.gz", 2049, 1)
    if n != nl:
        sys.exit(f"{n} images but {nl} labels")
    npix = rows * cols

    # Only 256 possible pixel values: format each once ('0', '1', '0.00392157').
    txt = [b"%.6g" % (v / 255) for v in range(256)]
    out = sys.stdout.buffer
    buf = []
    for i in range(n):
        px = images[i * npix:(i + 1) * npix]
        buf.append(b"%d\t{%s}\n" % (labels[i], b",".join(map(txt.__getitem__, px))))
        if len(buf) == 1000:
            out.write(b"".join(buf))
            buf.clear()
    out.write(b"".join(buf))
    out.flush()


if __name__ == "__main__":
    main()
