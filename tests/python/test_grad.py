"""bz.value_and_grad: model-shaped gradients checked against float64 central finite differences
of the loss (computed by the same float64 graph with perturbed params=) on an MLP and a CNN,
and the float32 gradients against the float64 ones."""

from collections import OrderedDict

import numpy as np
import pytest

import bronze as bz
from bronze import layers as L


def finite_difference_check(f, x, y, params, rng, samples=6, eps=1e-6):
    """Compares grads at `params` with central differences on `samples` random entries of
    every parameter."""
    loss, grads = f(x, y, params=params)
    assert list(grads) == list(params)
    for name, p in params.items():
        assert grads[name].shape == p.shape and grads[name].dtype == np.float64
        for flat in rng.choice(p.size, size=min(samples, p.size), replace=False):
            idx = np.unravel_index(flat, p.shape)
            plus = OrderedDict((k, v.copy()) for k, v in params.items())
            minus = OrderedDict((k, v.copy()) for k, v in params.items())
            plus[name][idx] += eps
            minus[name][idx] -= eps
            fd = (f(x, y, params=plus)[0] - f(x, y, params=minus)[0]) / (2 * eps)
            assert grads[name][idx] == pytest.approx(fd, rel=1e-5, abs=1e-8), (name, idx)
    return loss, grads


def test_mlp_gradients_match_finite_differences():
    bz.seed(0)
    rng = np.random.default_rng(0)
    x_in = L.Placeholder((None, 5))
    model = bz.Model(inputs=x_in, outputs=L.Linear(4)(L.Tanh()(L.Linear(6)(x_in))))
    x = rng.standard_normal((7, 5)).astype(np.float32)
    y = rng.integers(0, 4, size=7)
    params64 = OrderedDict((k, v.astype(np.float64)) for k, v in model.parameters().items())
    f64 = bz.value_and_grad(model, loss="cross_entropy", dtype="float64")
    loss64, grads64 = finite_difference_check(f64, x, y, params64, rng)
    # The float32 version agrees with float64 to float32 precision, keyed like parameters().
    loss32, grads32 = bz.value_and_grad(model, loss="cross_entropy")(x, y)
    assert list(grads32) == list(model.parameters())
    assert loss32 == pytest.approx(loss64, rel=1e-5)
    for k in grads32:
        assert grads32[k].shape == model.parameters()[k].shape
        np.testing.assert_allclose(grads32[k], grads64[k], rtol=1e-3, atol=1e-5)


def test_cnn_gradients_match_finite_differences():
    bz.seed(1)
    rng = np.random.default_rng(1)
    x_in = L.Placeholder((None, 2, 6, 6))
    h = L.MaxPool2d(2)(L.ReLU()(L.Conv2d(3, 3, padding=1)(x_in)))
    model = bz.Model(inputs=x_in, outputs=L.Linear(3)(L.Flatten()(h)))
    x = rng.standard_normal((4, 2, 6, 6)).astype(np.float32)
    y = rng.standard_normal((4, 3)).astype(np.float32)
    params64 = OrderedDict((k, v.astype(np.float64)) for k, v in model.parameters().items())
    finite_difference_check(bz.value_and_grad(model, loss="mse", dtype="float64"), x, y,
                            params64, rng)


def test_value_and_grad_follows_layer_weights_and_rejects_unknown_params():
    x_in = L.Placeholder((None, 3))
    lin = L.Linear(1)
    model = bz.Model(inputs=x_in, outputs=lin(x_in))
    x = np.ones((2, 3), np.float32)
    y = np.zeros((2, 1), np.float32)
    f = bz.value_and_grad(model, loss="mse")
    lin.weight = np.zeros((1, 3))
    lin.bias = np.array([2.0])
    loss, grads = f(x, y)  # prediction 2 everywhere: loss 4, d/db = 2 * 2
    assert loss == pytest.approx(4.0)
    np.testing.assert_allclose(grads[f"{lin.name}/bias"], [4.0])
    np.testing.assert_allclose(grads[f"{lin.name}/weight"], [[4.0, 4.0, 4.0]])
    with pytest.raises(ValueError, match="not a parameter"):
        f(x, y, params={"nope": np.zeros(1)})
    # An override lasts one call: the next call sees the layer's weights again.
    f(x, y, params={f"{lin.name}/bias": np.array([0.0], np.float32)})
    assert f(x, y)[0] == pytest.approx(4.0)
