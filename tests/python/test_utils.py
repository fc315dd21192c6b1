"""bz.utils.clip_grad_value and soft_update against NumPy."""

import numpy as np
import pytest

import bronze as bz
from bronze import layers as L


def test_clip_grad_value_clamps_every_entry():
    grads = {"a": np.array([-3.0, 0.5, 2.0]), "b": np.array([[0.1, -0.2]])}
    out = bz.utils.clip_grad_value(grads, 1.0)
    assert list(out) == ["a", "b"]
    np.testing.assert_array_equal(out["a"], [-1.0, 0.5, 1.0])
    np.testing.assert_array_equal(out["b"], grads["b"])
    assert grads["a"][0] == -3.0  # the input is not modified
    with pytest.raises(ValueError):
        bz.utils.clip_grad_value(grads, -1)


def net():
    x = L.Placeholder((None, 3))
    return bz.Model(inputs=x, outputs=L.Linear(2)(L.ReLU()(L.Linear(4)(x))))


def test_soft_update_blends_parameters_in_order_and_the_model_sees_them():
    target, source = net(), net()
    t0 = [v.copy() for v in target.parameters().values()]
    s0 = [v.copy() for v in source.parameters().values()]
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    target(x)  # compiles a session that must pick up the new weights
    bz.utils.soft_update(target, source, tau=0.25)
    for t, a, b in zip(target.parameters().values(), t0, s0):
        np.testing.assert_allclose(t, 0.25 * b + 0.75 * a, rtol=1e-6)
    for s, b in zip(source.parameters().values(), s0):
        np.testing.assert_array_equal(s, b)
    w1, b1, w2, b2 = target.parameters().values()
    np.testing.assert_allclose(target(x), np.maximum(x @ w1.T + b1, 0) @ w2.T + b2, rtol=1e-5,
                               atol=1e-6)
    bz.utils.soft_update(target, source, tau=1.0)
    for t, b in zip(target.parameters().values(), s0):
        np.testing.assert_array_equal(t, b)


def test_soft_update_rejects_different_architectures():
    x = L.Placeholder((None, 3))
    other = bz.Model(inputs=x, outputs=L.Linear(2)(x))
    with pytest.raises(ValueError, match="parameters"):
        bz.utils.soft_update(net(), other, 0.5)
    with pytest.raises(ValueError, match="tau"):
        bz.utils.soft_update(net(), net(), 1.5)
