#!/usr/bin/python3
"""Writes a folder of IDX files holding rows [FROM, TO) of an IDX dataset's training split (no test
split), for benchmarks that need images a run does not see: e.g. a backbone trained on the last
30,000 Fashion-MNIST training images while active learning pools the first 30,000
(`labelscope al-simulate --limit 30000`). Standard library only.

    tests/benchmarks/idx_slice.py /usr/share/datasets/fashion-mnist OUT_DIR 30000 60000
"""
import gzip
import os
import struct
import sys


def read(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        return f.read()


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    src, out, lo, hi = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    name = lambda base: next(os.path.join(src, n) for n in (base + ".gz", base) if os.path.exists(os.path.join(src, n)))
    images = read(name("train-images-idx3-ubyte"))
    labels = read(name("train-labels-idx1-ubyte"))
    magic, n, rows, cols = struct.unpack(">IIII", images[:16])
    lmagic, ln = struct.unpack(">II", labels[:8])
    if magic != 0x803 or lmagic != 0x801 or n != ln or not 0 <= lo < hi <= n:
        sys.exit("unexpected IDX files or range")
    size = rows * cols
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "train-images-idx3-ubyte"), "wb") as f:
        f.write(struct.pack(">IIII", 0x803, hi - lo, rows, cols))
        f.write(images[16 + lo * size:16 + hi * size])
    with open(os.path.join(out, "train-labels-idx1-ubyte"), "wb") as f:
        f.write(struct.pack(">II", 0x801, hi - lo))
        f.write(labels[8 + lo:8 + hi])
    print(f"{out}: training rows {lo}..{hi - 1} ({hi - lo} images {rows}x{cols})")


if __name__ == "__main__":
    main()
