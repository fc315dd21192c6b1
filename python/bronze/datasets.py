"""Datasets read from Debian packages (nothing is downloaded).

fashion_mnist(): Fashion-MNIST from the package dataset-fashion-mnist
(/usr/share/datasets/fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz).
"""

from __future__ import annotations

import gzip
import os

import numpy as np

FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"
FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                         "Sneaker", "Bag", "Ankle boot")


_CACHE: dict[tuple, np.ndarray] = {}


def _read_idx(path: str, rank: int) -> np.ndarray:
    """An IDX file (optionally gzipped) of unsigned bytes with ``rank`` dims (a read-only array
    cached per path, modification time and size: decompressing the training set takes seconds)."""
    st = os.stat(path)
    key = (os.path.abspath(path), st.st_mtime_ns, st.st_size, rank)
    if key not in _CACHE:
        array = _read_idx_uncached(path, rank)
        array.flags.writeable = False
        _CACHE[key] = array
    return _CACHE[key]


def _read_idx_uncached(path: str, rank: int) -> np.ndarray:
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 + 4 * rank:
        raise ValueError(f"{path}: truncated IDX header")
    magic = int.from_bytes(data[:4], "big")
    if magic != 0x0800 + rank:
        raise ValueError(f"{path}: not an IDX file of rank {rank} unsigned bytes (magic "
                         f"{magic:#x}, expected {0x0800 + rank:#x})")
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(rank)]
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank)
    if body.size != int(np.prod(dims)):
        raise ValueError(f"{path}: {body.size} data bytes, the header says {dims}")
    return body.reshape(dims)


def fashion_mnist(path: str | None = None):
    """((x_train, y_train), (x_test, y_test)): images float32 in [0, 1] shaped (N, 1, 28, 28),
    labels int64 in [0, 10) (60000 train, 10000 test). ``path`` defaults to Debian's
    /usr/share/datasets/fashion-mnist; FileNotFoundError names the package when it is absent."""
    root = path or FASHION_MNIST_DIR
    out = []
    for split in ("train", "t10k"):
        files = []
        for kind in ("images-idx3", "labels-idx1"):
            name = f"{split}-{kind}-ubyte"
            found = [os.path.join(root, name + ext) for ext in (".gz", "")
                     if os.path.exists(os.path.join(root, name + ext))]
            if not found:
                raise FileNotFoundError(
                    f"Fashion-MNIST file {name}.gz not found in {root}: install the Debian "
                    "package dataset-fashion-mnist (scripts/setup.sh does)")
            files.append(found[0])
        images = _read_idx(files[0], 3)
        labels = _read_idx(files[1], 1)
        if len(images) != len(labels):
            raise ValueError(f"{files[0]} has {len(images)} images, {files[1]} {len(labels)} "
                             "labels")
        x = (images.astype(np.float32) / np.float32(255.0))[:, None, :, :]
        out.append((x, labels.astype(np.int64)))
    return out[0], out[1]
