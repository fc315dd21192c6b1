"""Errors (the traceback ends at the user's line followed by at most two bronze
frames, the ones that raise: Python appends the raising frames, so they cannot be removed): a shape mismatch at a layer call raises bz.ShapeError at once, naming the layer and
both shapes, its traceback ending at the user's line; a run with a wrong input names the
placeholder and the expected and actual shapes and dtypes."""

import os
import traceback

import numpy as np
import pytest

import bronze as bz
from bronze import layers as L


def _user_then_one_bronze_frame(frames) -> bool:
    bronze_dir = os.path.dirname(bz.__file__)
    users = [i for i, f in enumerate(frames) if f.filename == __file__]
    tail = frames[users[-1] + 1:]
    return 1 <= len(tail) <= 2 and all(f.filename.startswith(bronze_dir) for f in tail)


def test_layer_shape_mismatch_names_layer_and_shapes_at_user_line():
    lin = L.Linear(4, name="head")
    lin(L.Placeholder((None, 3)))
    with pytest.raises(bz.ShapeError) as info:
        lin(L.Placeholder((None, 5)))  # the line the traceback must end at
    message = str(info.value)
    assert "head" in message and "5" in message and "3" in message
    frames = traceback.extract_tb(info.value.__traceback__)
    assert _user_then_one_bronze_frame(frames)
    assert "lin(L.Placeholder((None, 5)))" in frames[-2].line


def test_conv_shape_error_traceback_is_the_users():
    conv = L.Conv2d(4, 3, in_channels=3, name="stem")
    with pytest.raises(bz.ShapeError, match=r"stem.*\(N, 3, H, W\).*\(None, 2, 8, 8\)") as info:
        conv(L.Placeholder((None, 2, 8, 8)))
    frames = traceback.extract_tb(info.value.__traceback__)
    assert _user_then_one_bronze_frame(frames)


def test_op_error_between_layers_points_at_user_line():
    a, b = L.Placeholder((None, 3)), L.Placeholder((None, 4))
    with pytest.raises(bz.ShapeError) as info:
        a + b
    assert _user_then_one_bronze_frame(traceback.extract_tb(info.value.__traceback__))
    assert "test_errors.py" in str(info.value)


def test_run_with_wrong_input_names_placeholder_shapes_and_dtypes():
    x = L.Placeholder((None, 3), name="pixels")
    model = bz.Model(x, L.Linear(2)(x))
    with pytest.raises(bz.BronzeError) as info:
        model(np.zeros((2, 5), np.float32))
    message = str(info.value)
    assert "pixels" in message and "5" in message and "3" in message
    with pytest.raises(bz.BronzeError) as info:
        model(np.zeros((2, 3), np.int32))
    message = str(info.value)
    assert "pixels" in message and ("i32" in message or "int32" in message)
    with pytest.raises(ValueError, match="takes 1 input"):
        model(np.zeros((2, 3), np.float32), np.zeros((2, 3), np.float32))
