"""Convolution, pooling, batch-norm and dropout layers: inferred shapes, PyTorch's parameter
layouts and initialization bounds, numerics against the float64 NumPy references in _refs.py."""

import math

import numpy as np
import pytest

import bronze as bz
from bronze import _bronze
from bronze import layers as L

import _refs

RNG = np.random.default_rng(1)
TOL = dict(rtol=1e-4, atol=1e-4)


def _x(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("kwargs", [
    dict(kernel_size=3),
    dict(kernel_size=(3, 2), stride=2, padding=1),
    dict(kernel_size=3, dilation=2, padding=(2, 1), bias=False),
    dict(kernel_size=1, groups=2),
])
def test_conv2d_matches_numpy_and_torch_layout(kwargs):
    x = _x(2, 4, 9, 8)
    conv = L.Conv2d(6, **kwargs)
    y = conv(x)
    k = conv.kernel_size
    groups = kwargs.get("groups", 1)
    assert conv.weight.shape == (6, 4 // groups) + k
    bound = 1 / math.sqrt(4 // groups * k[0] * k[1])
    assert np.abs(conv.weight).max() <= bound
    b = conv.bias if kwargs.get("bias", True) else None
    if b is not None:
        assert conv.bias.shape == (6,) and np.abs(b).max() <= bound
    ref = _refs.conv2d(x, conv.weight, b, conv.stride, conv.padding_attrs["padding"],
                       conv.dilation, groups)
    assert y.shape == ref.shape
    np.testing.assert_allclose(y, ref, **TOL)


def test_conv2d_same_padding_and_symbolic_shape():
    x = L.Placeholder((None, 3, 10, 7))
    conv = L.Conv2d(5, 3, padding="same")
    y = conv(x)
    assert y.shape == ("N", 5, 10, 7)
    a = _x(2, 3, 10, 7)
    out = bz.Model(x, y)(a)
    np.testing.assert_allclose(out, _refs.conv2d(a, conv.weight, conv.bias, padding=(1, 1)),
                               **TOL)


def test_conv2d_initialization_is_torch_kaiming_uniform():
    conv = L.Conv2d(64, 3, in_channels=32)
    bound = 1 / math.sqrt(32 * 9)
    w = conv.weight
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.02 * bound  # the std of U(-b, b)


@pytest.mark.parametrize("kwargs", [
    dict(kernel_size=3),
    dict(kernel_size=3, stride=2, padding=1, output_padding=1),
    dict(kernel_size=(2, 3), stride=(2, 1), dilation=2, groups=2, bias=False),
])
def test_conv_transpose2d_matches_numpy(kwargs):
    x = _x(2, 4, 5, 6)
    layer = L.ConvTranspose2d(6, **kwargs)
    y = layer(x)
    groups = kwargs.get("groups", 1)
    assert layer.weight.shape == (4, 6 // groups) + layer.kernel_size
    bound = 1 / math.sqrt(6 // groups * layer.kernel_size[0] * layer.kernel_size[1])
    assert np.abs(layer.weight).max() <= bound
    b = layer.bias if kwargs.get("bias", True) else None
    ref = _refs.conv_transpose2d(x, layer.weight, b, layer.stride, layer.padding,
                                 layer.output_padding, layer.dilation, groups)
    assert y.shape == ref.shape
    np.testing.assert_allclose(y, ref, **TOL)


@pytest.mark.parametrize("kwargs", [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=(3, 2), stride=1, dilation=(1, 2)),
])
def test_max_pool2d_matches_numpy(kwargs):
    x = _x(2, 3, 9, 8)
    layer = L.MaxPool2d(**kwargs)
    ref = _refs.max_pool2d(x, layer.kernel_size, layer.stride, layer.padding, layer.dilation)
    np.testing.assert_array_equal(layer(x), ref.astype(np.float32))


@pytest.mark.parametrize("kwargs", [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
])
def test_avg_pool2d_matches_numpy(kwargs):
    x = _x(2, 3, 9, 8)
    layer = L.AvgPool2d(**kwargs)
    ref = _refs.avg_pool2d(x, layer.kernel_size, layer.stride, layer.padding,
                           kwargs.get("count_include_pad", True))
    np.testing.assert_allclose(layer(x), ref, **TOL)


def test_adaptive_avg_pool2d_matches_numpy():
    x = _x(2, 3, 7, 9)
    np.testing.assert_allclose(L.AdaptiveAvgPool2d((3, 4))(x), _refs.adaptive_avg_pool2d(x, (3, 4)),
                               **TOL)
    np.testing.assert_allclose(L.AdaptiveAvgPool2d(1)(x), x.mean((2, 3), keepdims=True), **TOL)


def test_batch_norm2d_inference_uses_running_statistics():
    x = _x(4, 3, 5, 5)
    bn = L.BatchNorm2d()
    bn(x)  # builds: C inferred
    assert bn.count_params() == 6
    assert set(bn.weights()) == {"weight", "bias", "running_mean", "running_var"}
    assert not bn.trainable("running_mean") and bn.trainable("weight")
    bn.running_mean = RNG.standard_normal(3)
    bn.running_var = RNG.uniform(0.5, 2, 3)
    bn.weight = RNG.standard_normal(3)
    bn.bias = RNG.standard_normal(3)
    ref = _refs.batch_norm(x, bn.running_mean, bn.running_var, bn.weight, bn.bias, 1e-5)
    np.testing.assert_allclose(bn(x), ref, **TOL)


def test_batch_norm_training_graph_uses_batch_statistics():
    x = L.Placeholder((None, 3, 4, 4))
    bn = L.BatchNorm2d(eps=1e-3)
    model = bz.Model(x, bn(x))
    assert list(model.state()) == [f"{bn.name}/running_mean", f"{bn.name}/running_var"]
    a = _x(5, 3, 4, 4) * 3 + 1
    session = _bronze.Session(model.build_graph(training=True))
    mean = a.mean((0, 2, 3)).astype(np.float64)
    var = a.var((0, 2, 3)).astype(np.float64)
    ref = _refs.batch_norm(a, mean, var, np.ones(3), np.zeros(3), 1e-3)
    np.testing.assert_allclose(session.run({model.input_names[0]: a})["output"], ref, **TOL)


def test_batch_norm_1d_and_no_affine():
    for shape in [(6, 4), (6, 4, 5)]:
        x = _x(*shape)
        bn = L.BatchNorm1d(affine=False)
        bn(x)
        assert bn.count_params() == 0
        bn.running_mean = np.full(4, 0.5)
        ref = _refs.batch_norm(x, bn.running_mean, bn.running_var, np.ones(4), np.zeros(4), 1e-5)
        np.testing.assert_allclose(bn(x), ref, **TOL)


def test_batch_norm_rejects_wrong_channels_and_rank():
    bn = L.BatchNorm2d(num_features=3)
    with pytest.raises(bz.ShapeError, match=r"\(N, 3, H, W\).*\(None, 4, 5, 5\)"):
        bn(L.Placeholder((None, 4, 5, 5)))
    with pytest.raises(bz.ShapeError, match=bn.name):
        bn(L.Placeholder((None, 3)))


def test_dropout_is_identity_at_inference_and_drops_in_training():
    x = L.Placeholder((None, 1000))
    drop = L.Dropout(0.25)
    model = bz.Model(x, drop(x))
    a = RNG.uniform(1, 2, (8, 1000)).astype(np.float32)
    np.testing.assert_array_equal(model(a), a)
    y = _bronze.Session(model.build_graph(training=True)).run({model.input_names[0]: a})["output"]
    kept = y != 0
    assert abs(kept.mean() - 0.75) < 0.02  # 8000 Bernoulli draws: std 0.005
    np.testing.assert_allclose(y[kept], a[kept] / np.float32(0.75), rtol=1e-6)


def test_dropout_rejects_bad_p():
    with pytest.raises(ValueError, match="p must be in"):
        L.Dropout(1.0)


def test_conv_shape_errors_name_the_layer_and_both_shapes():
    conv = L.Conv2d(4, 3, in_channels=3, name="stem")
    with pytest.raises(bz.ShapeError, match=r"stem.*\(N, 3, H, W\).*\(None, 5, 8, 8\)"):
        conv(L.Placeholder((None, 5, 8, 8)))
    with pytest.raises(bz.ShapeError, match=r"stem.*\(None, 8\)"):
        conv(L.Placeholder((None, 8)))
