"""The bindings' core: NumPy <-> tensor conversions for every dtype, zero-copy inputs, the
error mapping, the registry-generated ops, and a small functional model checked against NumPy."""

import numpy as np
import pytest

import bronze as bz
from bronze import _bronze
from bronze import layers as L


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int64", "uint8", "bool"])
def test_identity_round_trip_keeps_dtype_shape_and_values(dtype):
    g = _bronze.Graph()
    x = g.placeholder("x", dtype, (None, 3))
    g.output("y", g.op("reshape", [x], {"shape": (-1, 3)})[0])
    s = _bronze.Session(g)
    a = (np.arange(12).reshape(4, 3) % 2 == 1) if dtype == "bool" else \
        np.arange(12, dtype=dtype).reshape(4, 3)
    y = s.run({"x": a})["y"]
    assert y.dtype == a.dtype and y.shape == a.shape
    np.testing.assert_array_equal(y, a)


def test_non_contiguous_and_byte_swapped_inputs_are_copied_correctly():
    g = _bronze.Graph()
    x = g.placeholder("x", "float32", (None, 2))
    g.output("y", g.op("neg", [x])[0])
    s = _bronze.Session(g)
    base = np.arange(12, dtype=np.float32).reshape(3, 4)
    np.testing.assert_array_equal(s.run({"x": base[:, ::2]})["y"], -base[:, ::2])
    swapped = base[:, :2].astype(">f4")
    np.testing.assert_array_equal(s.run({"x": swapped})["y"], -base[:, :2])


def test_errors_map_to_the_python_hierarchy():
    assert issubclass(bz.ShapeError, ValueError)
    with pytest.raises(bz.ShapeError) as info:
        bz.ops.add(L.Placeholder((None, 3)), L.Placeholder((None, 4)))
    assert info.value.code_name == "shape"
    assert "test_core.py" in str(info.value)
    with pytest.raises(bz.NotFoundError):
        _bronze.infer_types("no_such_op", [], {})


def test_ops_module_has_every_registered_non_source_op():
    schemas = [s for s in _bronze.op_schemas() if not s["is_source"]]
    assert len(schemas) > 90
    for s in schemas:
        assert callable(getattr(bz.ops, s["name"]))
        assert s["doc"].split("\n")[0] in getattr(bz.ops, s["name"]).__doc__


def test_linear_relu_model_matches_numpy_and_sees_assigned_weights():
    x = L.Placeholder((None, 4))
    lin = L.Linear(3)
    model = bz.Model(inputs=x, outputs=L.ReLU()(lin(x)))
    a = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    np.testing.assert_allclose(model(a), np.maximum(a @ lin.weight.T + lin.bias, 0), rtol=1e-6,
                               atol=1e-6)
    lin.weight = np.ones((3, 4))
    np.testing.assert_allclose(model(a), np.maximum(a.sum(1, keepdims=True) + lin.bias, 0),
                               rtol=1e-5, atol=1e-5)
    assert model.count_params() == 15
