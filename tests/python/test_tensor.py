"""Symbolic tensor operators and methods (bronze._tensor.SymbolicTensor), each built into a
bz.Model over Placeholders, run on random float32 data and checked against NumPy computing the
same expression in float64; plus their shapes, dtypes and errors."""

from __future__ import annotations

import operator

import numpy as np
import pytest

import bronze as bz
from bronze import layers as L

RNG = np.random.default_rng(11)
BATCH = 3


def _data(shape, positive=False):
    a = RNG.uniform(0.5, 2.0, shape)
    if not positive:
        a *= RNG.choice([-1.0, 1.0], shape)
    return a.astype(np.float32)


def check(fn, shapes, ref=None, positive=False, rtol=2e-5, atol=1e-6):
    """Builds Model(placeholders -> fn(*placeholders)) for ``shapes`` (None = the batch dim, run
    with BATCH), runs it on random float32 data and compares with ``ref`` (default ``fn``)
    applied to the same data in float64. Returns the symbolic output."""
    xs = [L.Placeholder(s) for s in shapes]
    y = fn(*xs)
    model = bz.Model(inputs=xs, outputs=y)
    data = [_data(tuple(BATCH if d is None else d for d in s), positive) for s in shapes]
    got = model(*data) if len(data) > 1 else model(data[0])
    want = (ref or fn)(*[d.astype(np.float64) for d in data])
    want = np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    if want.dtype == bool:
        assert got.dtype == bool
        np.testing.assert_array_equal(got, want)
    else:
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)
    return y


# ---- binary operators, tensor with tensor (broadcasting), NumPy arrays and Python scalars ----
BINARY = [operator.add, operator.sub, operator.mul, operator.truediv]


@pytest.mark.parametrize("op", BINARY + [operator.pow], ids=lambda f: f.__name__)
@pytest.mark.parametrize("shapes", [[(None, 4), (None, 4)], [(None, 3, 4), (4,)],
                                    [(None, 1, 4), (None, 3, 1)], [(2, 3), (2, 3)]],
                         ids=["same", "trailing", "both-broadcast", "static"])
def test_binary_operators_between_tensors(op, shapes):
    check(op, shapes, positive=op is operator.pow)


@pytest.mark.parametrize("op", BINARY + [operator.pow], ids=lambda f: f.__name__)
def test_binary_operators_with_numpy_arrays_both_sides(op):
    c = _data((3, 4), positive=True)
    y = check(lambda x: op(x, c), [(None, 3, 4)], positive=True)
    assert isinstance(y, bz.SymbolicTensor)
    y = check(lambda x: op(c, x), [(None, 3, 4)], positive=True)
    # NumPy must not turn `array op tensor` into an object array of element-wise results.
    assert isinstance(y, bz.SymbolicTensor) and y.shape == ("N", 3, 4)


@pytest.mark.parametrize("op", BINARY + [operator.pow], ids=lambda f: f.__name__)
@pytest.mark.parametrize("scalar", [2, 0.75, np.float32(1.5)], ids=["int", "float", "np"])
def test_binary_operators_with_python_scalars_both_sides(op, scalar):
    y = check(lambda x: op(x, scalar), [(None, 4)], positive=True)
    assert y.dtype == "float32"
    y = check(lambda x: op(scalar, x), [(None, 4)], positive=True)
    assert y.dtype == "float32"


def test_float64_arrays_take_the_tensor_dtype():
    c = np.linspace(-1, 1, 4)  # float64
    assert (L.Placeholder((None, 4)) * c).dtype == "float32"
    check(lambda x: x * c + c, [(None, 4)])


def test_matmul_forms():
    check(operator.matmul, [(None, 3, 4), (4, 5)])
    check(operator.matmul, [(None, 3, 4), (None, 4, 2)])
    check(operator.matmul, [(None, 4), (4,)])
    w = _data((4, 6))
    check(lambda x: x @ w, [(None, 4)])
    v = _data((2, 3))
    y = check(lambda x: v @ x, [(None, 3, 4)])
    assert y.shape == ("N", 2, 4)


def test_unary_operators():
    check(operator.neg, [(None, 4)])
    check(operator.abs, [(None, 4)])
    x = L.Placeholder((None, 4))
    assert +x is x
    check(lambda x: -abs(x) + -(x * 2), [(None, 2, 3)])


@pytest.mark.parametrize("op", [operator.lt, operator.gt, operator.le, operator.ge],
                         ids=lambda f: f.__name__)
def test_comparisons_give_bool_tensors(op):
    y = check(op, [(None, 4), (None, 4)])
    assert y.dtype == "bool"
    check(lambda x: op(x, 0.5), [(None, 4)])
    check(lambda x: op(0.5, x), [(None, 4)])
    # Ties: compare a tensor with itself.
    check(lambda x: op(x, x), [(None, 4)])


def test_comparisons_with_nan_are_false():
    x = L.Placeholder((4,))
    model = bz.Model(inputs=x, outputs=[x < 1.0, x > 1.0, x <= 1.0, x >= 1.0])
    a = np.array([np.nan, 0.0, 1.0, 2.0], np.float32)
    for got, want in zip(model(a), [a < 1, a > 1, a <= 1, a >= 1]):
        np.testing.assert_array_equal(got, want)


def test_equality_stays_identity_and_tensors_are_hashable():
    # == and != are Python's identity (tensors are dict keys and list members in model code);
    # element-wise equality is bz.ops.equal.
    x, y = L.Placeholder((None, 4)), L.Placeholder((None, 4))
    assert x == x and x != y and x in [y, x] and len({x, y, x}) == 2
    check(lambda a, b: bz.ops.equal(a, bz.ops.maximum(a, b)), [(None, 4), (None, 4)],
          ref=lambda a, b: a == np.maximum(a, b))


def test_integer_tensors_with_float_scalars_raise():
    i = L.Placeholder((None, 3), dtype="int32")
    with pytest.raises(bz.DTypeError, match="float"):
        i * 0.5
    with pytest.raises(bz.DTypeError, match="float"):
        0.5 + i
    assert (i * 2).dtype == "int32"


def test_mismatched_shapes_raise_shape_error_at_the_user_line():
    x, y = L.Placeholder((None, 3)), L.Placeholder((None, 4))
    with pytest.raises(bz.ShapeError, match="test_tensor.py"):
        x + y
    with pytest.raises(bz.ShapeError):
        x @ y


# ---- indexing and slicing --------------------------------------------------------------------
INDEXES = [
    (slice(None), 1), (slice(None), -1), (slice(None), -2), (Ellipsis, 0), (Ellipsis, -1),
    (slice(None), slice(1, 3)), (slice(None), slice(None, None, 2)),
    (slice(None), slice(-3, None)), (slice(None), slice(None, -1)), (slice(None), slice(1, -1, 2)),
    (slice(None), slice(None, None, -1)), (slice(None), slice(3, 0, -2)),
    (slice(None), slice(-1, -5, -1)), (slice(None), slice(10, 20)), (slice(None), slice(-9, 2)),
    (slice(None), 1, slice(None, None, 3)), (slice(None), None), (None,), (None, Ellipsis, None),
    (Ellipsis, None), (slice(None), 0, Ellipsis), (Ellipsis, slice(1, None), 2),
    (slice(None), slice(None), slice(None), slice(None)), (slice(None), np.int64(2), -3),
    (slice(None, None, -1),), (Ellipsis,), (slice(None), slice(2, 2)),
]


@pytest.mark.parametrize("key", INDEXES, ids=repr)
def test_indexing_and_slicing_match_numpy(key):
    check(lambda x: x[key], [(None, 4, 5, 6)])


def test_indexing_static_tensors_including_the_first_dim():
    for key in [0, -1, (1, slice(None, None, -1)), slice(1, None), (slice(None, None, -2), 2)]:
        check(lambda x: x[key], [(3, 5)])


@pytest.mark.parametrize("key", [(slice(None), 4), (slice(None), -5), (slice(None), 0, 0, 0, 0),
                                 (Ellipsis, Ellipsis), (slice(None), slice(None, None, 0)),
                                 (slice(None), [0, 1]), (slice(None), 1.0), (slice(None), True)],
                         ids=repr)
def test_bad_indexes_raise_index_error(key):
    x = L.Placeholder((None, 4, 5, 6))
    with pytest.raises((IndexError, ValueError)):
        x[key]


def test_indexing_the_batch_dim_raises():
    x = L.Placeholder((None, 4))
    with pytest.raises(bz.ShapeError):
        x[0]
    with pytest.raises(bz.ShapeError):
        x[1:]
    check(lambda x: x[::-1], [(None, 4)])  # reversing a symbolic dim whole is allowed


# ---- shape methods -----------------------------------------------------------------------------
def test_flatten():
    y = check(lambda x: x.flatten(), [(None, 2, 3, 4)], ref=lambda a: a.reshape(len(a), -1))
    assert y.shape == ("N", 24)
    check(lambda x: x.flatten(2), [(None, 2, 3, 4)], ref=lambda a: a.reshape(BATCH, 2, 12))
    check(lambda x: x.flatten(1, 2), [(None, 2, 3, 4)], ref=lambda a: a.reshape(BATCH, 6, 4))
    check(lambda x: x.flatten(-3, -2), [(None, 2, 3, 4)], ref=lambda a: a.reshape(BATCH, 6, 4))
    y = check(lambda x: x.flatten(0), [(None, 2, 3)], ref=lambda a: a.reshape(-1))
    assert y.shape == ("6*N",) or y.shape == ("N*6",)


def test_reshape_forms():
    y = check(lambda x: x.reshape(None, 12), [(None, 3, 4)], ref=lambda a: a.reshape(BATCH, 12))
    assert y.shape == ("N", 12)
    check(lambda x: x.reshape((None, 2, 6)), [(None, 3, 4)],
          ref=lambda a: a.reshape(BATCH, 2, 6))
    check(lambda x: x.reshape([-1, 4]), [(None, 3, 4)], ref=lambda a: a.reshape(-1, 4))
    check(lambda x: x.reshape(-1), [(None, 3, 4)], ref=lambda a: a.reshape(-1))
    check(lambda x: x.reshape(None, -1, 2), [(None, 3, 4)],
          ref=lambda a: a.reshape(BATCH, -1, 2))
    check(lambda x: x.reshape(3, 2, 2), [(3, 4)])
    check(lambda x: x.reshape(-1, 6), [(3, 4)])
    with pytest.raises(bz.ShapeError):
        L.Placeholder((None, 3, 4)).reshape(None, 5)


def test_transpose_forms():
    check(lambda x: x.transpose(), [(None, 3, 4)])
    check(lambda x: x.transpose(0, 2, 1), [(None, 3, 4)])
    check(lambda x: x.transpose((2, 0, 1)), [(None, 3, 4)])
    check(lambda x: x.transpose([1, 0, 2]), [(None, 3, 4)])
    check(lambda x: x.transpose(0, -1, -2), [(None, 3, 4)],
          ref=lambda a: a.transpose(0, 2, 1))
    # Two dims of a rank > 2 tensor: swapped, as torch.transpose(x, 1, 2).
    check(lambda x: x.transpose(1, 2), [(None, 3, 4, 5)], ref=lambda a: np.swapaxes(a, 1, 2))
    check(lambda x: x.transpose(-1, 1), [(None, 3, 4, 5)], ref=lambda a: np.swapaxes(a, -1, 1))
    check(lambda x: x.transpose(1, 0), [(3, 4)])
    check(lambda x: x.T, [(3, 4)])
    y = check(lambda x: x.T, [(None, 3, 4)])
    assert y.shape == (4, 3, "N")
    with pytest.raises((ValueError, bz.BronzeError)):
        L.Placeholder((None, 3, 4)).transpose(0, 1, 1)


@pytest.mark.parametrize("method", ["sum", "mean"])
@pytest.mark.parametrize("axis", [None, 0, 1, -1, (1, 2), (0, -1), [2]], ids=repr)
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions(method, axis, keepdims):
    y = check(lambda x: getattr(x, method)(axis=axis, keepdims=keepdims), [(None, 3, 4)],
              ref=lambda a: getattr(a, method)(axis=None if axis is None else tuple(np.atleast_1d(
                  axis)), keepdims=keepdims), rtol=1e-5)
    assert y.ndim == (3 if keepdims else 3 - (3 if axis is None else np.size(axis)))


def test_reductions_positional_and_empty_axes():
    check(lambda x: x.sum(1), [(None, 3, 4)])
    check(lambda x: x.mean(-1, True), [(None, 3, 4)], ref=lambda a: a.mean(-1, keepdims=True))
    # axis=() reduces nothing, as in NumPy.
    check(lambda x: x.sum(axis=()) * 1, [(None, 3, 4)])


def test_shape_ndim_dtype_and_repr():
    x = L.Placeholder((None, 3, 4))
    assert x.shape == ("N", 3, 4) and x.ndim == 3 and x.dtype == "float32"
    assert "shape=(None, 3, 4)" in repr(x)
    i = L.Placeholder((2,), dtype=np.int64)
    assert i.dtype == "int64" and i.shape == (2,) and i.ndim == 1
    y = (x[:, 1:] @ np.ones((4, 2), np.float32)).sum(-1)
    assert y.shape == ("N", 2) and y.ndim == 2 and y.dtype == "float32"
    assert (x > 0).dtype == "bool"
    d = L.Placeholder((None, 2), dtype="float64")
    assert (d * 2.5).dtype == "float64"


def test_symbolic_tensors_refuse_truth_len_and_iteration():
    x = L.Placeholder((None, 3))
    with pytest.raises(TypeError):
        bool(x)
    with pytest.raises(TypeError):
        len(x)
    with pytest.raises(TypeError):
        list(x)


def test_composite_expression_in_float64_model():
    # A longer expression mixing everything, run with float64 placeholders end to end.
    x = L.Placeholder((None, 3, 4), dtype="float64")
    w = L.Placeholder((4, 2), dtype="float64")
    y = (((x - x.mean(-1, keepdims=True)) ** 2 / 4.0) @ w)[:, ::-1].transpose(0, 2, 1)
    y = abs(-y.reshape(None, -1)).sum(1) + 1
    model = bz.Model(inputs=[x, w], outputs=y)
    a, b = RNG.standard_normal((5, 3, 4)), RNG.standard_normal((4, 2))
    want = (((a - a.mean(-1, keepdims=True)) ** 2 / 4.0) @ b)[:, ::-1].transpose(0, 2, 1)
    want = np.abs(-want.reshape(5, -1)).sum(1) + 1
    got = model(a, b)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, want, rtol=1e-12)
