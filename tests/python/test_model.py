"""Model structure: both TorchX README examples (outputs (8, 10), PyTorch's parameter counts by
formula), multi-input/multi-output models, shared layers, nested models, summary, to_spec /
from_spec round trips and errors."""

import json

import numpy as np
import pytest

import bronze as bz
from bronze import layers as L

RNG = np.random.default_rng(3)


def conv_params(cin, cout, k):
    return cin * cout * k * k + cout


def lin_params(i, o):
    return i * o + o


def test_torchx_sequential_cnn():
    model = L.Sequential(
        L.Conv2d(20, kernel_size=5, stride=2, padding=1), L.ReLU(),
        L.Conv2d(30, kernel_size=7), L.BatchNorm2d(), L.ReLU(),
        L.Conv2d(40, kernel_size=3), L.BatchNorm2d(), L.ReLU(),
        L.Flatten(), L.Linear(80), L.ReLU(), L.Linear(10))
    x = RNG.standard_normal((8, 3, 32, 32)).astype(np.float32)
    assert model(x).shape == (8, 10)
    torch_count = (conv_params(3, 20, 5) + conv_params(20, 30, 7) + 2 * 30 +
                   conv_params(30, 40, 3) + 2 * 40 + lin_params(1960, 80) + lin_params(80, 10))
    assert model.count_params() == torch_count
    assert model.to_model().count_params() == torch_count


def _diamond():
    x = L.Placeholder((None, 3, 32, 32))
    h = L.Conv2d(10, kernel_size=5, stride=2)(x)
    y = L.Conv2d(30, kernel_size=7, padding=2)(h) * L.Conv2d(30, kernel_size=5, padding=1)(h)
    y = L.Linear(10)(L.Linear(80)(y.flatten()))
    return bz.Model(inputs=x, outputs=y)


def test_torchx_diamond_functional_model():
    model = _diamond()
    assert model(RNG.standard_normal((8, 3, 32, 32)).astype(np.float32)).shape == (8, 10)
    assert model.count_params() == (conv_params(3, 10, 5) + conv_params(10, 30, 7) +
                                    conv_params(10, 30, 5) + lin_params(4320, 80) +
                                    lin_params(80, 10))


def test_multi_input_multi_output_dict_and_list():
    a, b = L.Placeholder((None, 4), name="a"), L.Placeholder((None, 3), name="b")
    lin = L.Linear(2)
    cat = L.Concat()([a, b])
    model = bz.Model(inputs={"a": a, "b": b}, outputs={"y": lin(cat), "s": cat.sum(1)})
    xa, xb = RNG.standard_normal((5, 4)).astype(np.float32), \
        RNG.standard_normal((5, 3)).astype(np.float32)
    out = model({"a": xa, "b": xb})
    full = np.concatenate([xa, xb], 1).astype(np.float64)
    np.testing.assert_allclose(out["y"], full @ lin.weight.T + lin.bias, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(out["s"], full.sum(1), rtol=1e-5, atol=1e-5)
    listed = bz.Model([a, b], [lin(cat), cat])
    y, c = listed(xa, xb)
    np.testing.assert_allclose(c, full, rtol=1e-6)


def test_shared_layer_and_nested_model_share_weights():
    x1, x2 = L.Placeholder((None, 4)), L.Placeholder((None, 4))
    shared = L.Linear(3)
    model = bz.Model([x1, x2], shared(x1) + shared(x2))
    assert model.count_params() == 15 and len(model.parameters()) == 2
    a, b = RNG.standard_normal((2, 5, 4)).astype(np.float32)
    np.testing.assert_allclose(model(a, b), (a + b) @ shared.weight.T + 2 * shared.bias,
                               rtol=1e-5, atol=1e-5)
    inner_in = L.Placeholder((None, 4))
    inner = bz.Model(inner_in, L.ReLU()(shared(inner_in)))
    outer_in = L.Placeholder((None, 4))
    outer = bz.Model(outer_in, L.Linear(2)(inner(outer_in)))
    assert f"{shared.name}/weight" in outer.parameters()
    assert outer.count_params() == 15 + 8
    shared.weight = np.zeros((3, 4))  # seen by every model reading it
    np.testing.assert_allclose(inner(a), np.maximum(np.broadcast_to(shared.bias, (5, 3)), 0),
                               rtol=1e-6)


def test_summary_rows_params_flops_and_memory():
    model = _diamond()
    lines = []
    text = model.summary(print_fn=lines.append)
    assert lines == [text]
    assert "(None, 10, 14, 14)" in text and "(None, 4320)" in text
    assert f"Trainable params: {model.count_params():,}" in text
    conv1 = 2 * 10 * 14 * 14 * 3 * 25
    fc1 = 2 * 80 * 4320
    assert f"{conv1 / 1000:.2f}K" in text and f"{fc1 / 1000:.2f}K" in text
    act = 4 * (10 * 14 * 14 + 2 * 30 * 12 * 12 + 30 * 12 * 12 + 4320 + 80 + 10)
    assert f"({act:,} bytes)" in text


def _roundtrip(model, *arrays):
    spec = json.loads(json.dumps(model.to_spec()))
    weights = {**model.parameters(), **model.state()}
    rebuilt = bz.Model.from_spec(spec, weights=weights)
    out, ref = rebuilt(*arrays), model(*arrays)
    for o, r in zip(out if isinstance(out, list) else [out], ref if isinstance(ref, list) else [ref]):
        assert o.shape == r.shape
        np.testing.assert_allclose(o, r, rtol=1e-5, atol=1e-6)
    fresh = bz.Model.from_spec(spec)
    assert fresh.count_params() == model.count_params()
    return spec


@bz.layers.register_function("double_plus_one")
def _double_plus_one(t):
    return t * 2 + 1


@pytest.mark.parametrize("make", [
    lambda x: L.Linear(3)(x), lambda x: L.ReLU()(x), lambda x: L.LeakyReLU(0.3)(x),
    lambda x: L.GELU("tanh")(x), lambda x: L.SiLU()(x), lambda x: L.Sigmoid()(x),
    lambda x: L.Tanh()(x), lambda x: L.Softmax()(x), lambda x: L.LogSoftmax()(x),
    lambda x: L.Dropout(0.3)(x), lambda x: L.LayerNorm()(x), lambda x: L.BatchNorm1d()(x),
    lambda x: L.Flatten()(x), lambda x: L.Reshape((4, 2))(x),
    lambda x: L.Lambda("double_plus_one")(x), lambda x: L.Lambda(_double_plus_one)(x),
    lambda x: L.Add()(x, x), lambda x: L.Concat()([x, x]),
    lambda x: L.Sequential(L.Linear(4), L.Tanh())(x),
    lambda x: L.Embedding(5, 3)(L.Lambda("to_index")(x)),
])
def test_spec_round_trip_vector_layers(make):
    L.register_function("to_index", lambda t: bz.ops.cast(bz.ops.abs(t) * 2, dtype="i64"))
    x = L.Placeholder((None, 8))
    _roundtrip(bz.Model(x, make(x)), RNG.uniform(0, 2, (3, 8)).astype(np.float32))


@pytest.mark.parametrize("make", [
    lambda x: L.Conv2d(4, 3, padding="same")(x), lambda x: L.ConvTranspose2d(2, 3, stride=2)(x),
    lambda x: L.MaxPool2d(2)(x), lambda x: L.AvgPool2d(3, 1, 1)(x),
    lambda x: L.AdaptiveAvgPool2d(2)(x), lambda x: L.BatchNorm2d()(x),
])
def test_spec_round_trip_image_layers(make):
    x = L.Placeholder((None, 3, 6, 6))
    _roundtrip(bz.Model(x, make(x)), RNG.standard_normal((2, 3, 6, 6)).astype(np.float32))


def test_spec_round_trip_sequence_layers_and_functional_graphs():
    x = L.Placeholder((None, 5, 8))
    y = L.TransformerEncoderLayer(8, 2, dim_feedforward=16)(x)
    y = L.TimeDistributed(L.Linear(3))(y) - 0.5
    z = L.MultiheadAttention(8, 4)(x, is_causal=True)
    _roundtrip(bz.Model(x, [y, z[:, 1:, ::2].mean(1)]),
               RNG.standard_normal((2, 5, 8)).astype(np.float32))
    spec = _roundtrip(_diamond(), RNG.standard_normal((2, 3, 32, 32)).astype(np.float32))
    assert [c.get("op") for c in spec["calls"] if "op" in c] == ["mul", "flatten"]
    inner_in = L.Placeholder((None, 4))
    inner = bz.Model(inner_in, L.Linear(4)(inner_in))
    o = L.Placeholder((None, 4))
    _roundtrip(bz.Model(o, inner(inner(o))), RNG.standard_normal((2, 4)).astype(np.float32))


def test_spec_errors():
    x = L.Placeholder((None, 3))
    model = bz.Model(x, L.Lambda(lambda t: t * 3)(x))
    with pytest.raises(ValueError, match="register_function"):
        model.to_spec()
    with pytest.raises(ValueError, match="not a bronze model spec"):
        bz.Model.from_spec({"format": "other"})


def test_profile_times_each_step_and_leaves_outputs_alone():
    x = L.Placeholder((None, 64), name="x")
    y = L.Linear(10)(L.ReLU()(L.Linear(128)(x)))
    model = bz.Model(x, y, name="prof")
    data = RNG.standard_normal((32, 64)).astype(np.float32)
    expected = model(data)
    report = model.profile(data, runs=3, warmup=1)
    assert report.runs == 3
    assert len(report.steps) >= 2
    for s in report.steps:
        assert 0 < s.min_seconds <= s.median_seconds, s
        assert s.op and s.node and s.shape.startswith("(")
    assert report.steps[-1].shape == "(32, 10)"
    assert report.step_seconds == pytest.approx(sum(s.median_seconds for s in report.steps))
    table = str(report)
    assert "profile: 3 runs" in table
    for s in report.steps:
        assert s.node in table
    parsed = json.loads(report.to_json())
    assert [s["node"] for s in parsed["steps"]] == [s.node for s in report.steps]
    np.testing.assert_array_equal(model(data), expected)
    with pytest.raises(bz.errors.InvalidArgumentError, match="runs must be >= 1"):
        model.profile(data, runs=0)
    with pytest.raises(ValueError, match="takes 1 input"):
        model.profile(data, data)
