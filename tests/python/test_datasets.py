"""bz.datasets.fashion_mnist: shapes, dtypes and ranges from Debian's files (skipped when the
package is not installed), and the IDX reader against files written here."""

import gzip
import os

import numpy as np
import pytest

import bronze as bz
from bronze import datasets


@pytest.mark.skipif(not os.path.isdir(datasets.FASHION_MNIST_DIR),
                    reason="Debian package dataset-fashion-mnist not installed")
def test_fashion_mnist_shapes_and_ranges():
    (x, y), (xt, yt) = bz.datasets.fashion_mnist()
    assert x.shape == (60000, 1, 28, 28) and xt.shape == (10000, 1, 28, 28)
    assert x.dtype == np.float32 and y.dtype == np.int64 and yt.dtype == np.int64
    assert y.shape == (60000,) and yt.shape == (10000,)
    assert 0.0 <= x.min() and x.max() <= 1.0 and x.max() == 1.0
    assert np.array_equal(np.bincount(y), np.full(10, 6000))  # balanced classes
    assert np.array_equal(np.bincount(yt), np.full(10, 1000))


def write_idx(path, array, magic=None):
    header = (magic if magic is not None else 0x0800 + array.ndim).to_bytes(4, "big")
    header += b"".join(d.to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def make_dir(tmp_path, n=3, labels=None):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(n, 28, 28))
    for split in ("train", "t10k"):
        write_idx(tmp_path / f"{split}-images-idx3-ubyte.gz", images)
        write_idx(tmp_path / f"{split}-labels-idx1-ubyte.gz",
                  np.arange(n) if labels is None else labels)
    return images


def test_reader_scales_images_and_keeps_labels(tmp_path):
    images = make_dir(tmp_path)
    (x, y), _ = datasets.fashion_mnist(str(tmp_path))
    np.testing.assert_allclose(x[:, 0], images / 255.0, rtol=1e-6)
    assert y.tolist() == [0, 1, 2]


def test_reader_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="dataset-fashion-mnist"):
        datasets.fashion_mnist(str(tmp_path))
    make_dir(tmp_path, labels=np.arange(2))
    with pytest.raises(ValueError, match="labels"):
        datasets.fashion_mnist(str(tmp_path))
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", np.zeros((2, 28, 28)), magic=0x0801)
    with pytest.raises(ValueError, match="magic"):
        datasets.fashion_mnist(str(tmp_path))
