"""model.save / bz.load: a round trip through a .bronze file gives a Model whose outputs are
bitwise those of the original (same threads), the architecture comes back from the spec, a
damaged file raises FormatError with its load code and field path, and a model without a spec
loads as a LoadedModel."""

import numpy as np
import pytest

import bronze as bz
from bronze import layers as L


def small_cnn():
    x = L.Placeholder((None, 1, 8, 8), name="image")
    h = L.MaxPool2d(2)(L.ReLU()(L.BatchNorm2d()(L.Conv2d(4, 3, padding=1)(x))))
    return bz.Model(inputs=x, outputs=L.Linear(3)(L.Flatten()(h)))


def test_save_load_round_trip_is_bitwise(tmp_path):
    model = small_cnn()
    x = np.random.default_rng(1).standard_normal((5, 1, 8, 8)).astype(np.float32)
    path = tmp_path / "m.bronze"
    model.save(str(path), metadata={"note": "hello"})
    loaded = bz.load(str(path))
    assert isinstance(loaded, bz.Model)
    assert loaded.metadata["note"] == "hello"
    assert loaded.count_params() == model.count_params()
    assert loaded(x).tobytes() == model(x).tobytes()
    for (n1, a1), (n2, a2) in zip(model.parameters().items(), loaded.parameters().items()):
        assert n1 == n2 and a1.tobytes() == a2.tobytes()


def test_damaged_file_raises_format_error_with_code_and_path(tmp_path):
    model = small_cnn()
    path = tmp_path / "m.bronze"
    model.save(str(path))
    data = bytearray(path.read_bytes())
    bad = tmp_path / "bad.bronze"
    bad.write_bytes(bytes(data[: len(data) // 3]))
    with pytest.raises(bz.FormatError) as info:
        bz.load(str(bad))
    assert info.value.load_code > 0 and info.value.load_code_name
    with pytest.raises(bz.BronzeError):
        bz.load(str(tmp_path / "missing.bronze"))


def test_model_without_spec_loads_as_loaded_model(tmp_path):
    x = L.Placeholder((None, 4), name="x")
    model = bz.Model(inputs=x, outputs=L.Lambda(lambda t: t * 2.0 + 1.0)(L.Linear(2)(x)))
    path = tmp_path / "lam.bronze"
    model.save(str(path))
    loaded = bz.load(str(path))
    assert isinstance(loaded, bz.LoadedModel)
    a = np.ones((3, 4), np.float32)
    np.testing.assert_array_equal(loaded(a), model(a))
