"""examples/fashion_mnist.py shortened (2000 training images, 1 epoch): it learns (test
accuracy well above the 10% of chance) and saves the model."""

import importlib.util
import os
import pathlib

import pytest

from bronze import datasets

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.mark.skipif(not os.path.isdir(datasets.FASHION_MNIST_DIR),
                    reason="Debian package dataset-fashion-mnist not installed")
def test_shortened_example_learns_and_saves(tmp_path):
    spec = importlib.util.spec_from_file_location("fashion_mnist_example",
                                                  ROOT / "examples" / "fashion_mnist.py")
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    result = example.main(["--subset", "2000", "--test-subset", "1000", "--epochs", "1",
                           "--batch-size", "64", "--verbose", "0",
                           "--out", str(tmp_path / "fm.bronze")])
    assert result["accuracy"] > 0.6
    assert os.path.exists(result["path"])
