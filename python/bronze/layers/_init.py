"""Weight initializers with PyTorch's default formulas (drawn from bronze's seeded generator)
and small argument helpers shared by the layer modules."""

from __future__ import annotations

import math

import numpy as np

from .base import rng


def uniform(shape, bound: float) -> np.ndarray:
    """U(-bound, bound) as float32 (PyTorch's kaiming_uniform_(a=sqrt(5)) and bias init both
    reduce to bound = 1/sqrt(fan_in))."""
    return rng().uniform(-bound, bound, size=shape).astype(np.float32)


def fan_in_bound(fan_in: int) -> float:
    return 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0


def pair(value, what: str) -> tuple[int, int]:
    """(a, b) from an int or a 2-sequence (PyTorch's _pair)."""
    if isinstance(value, (int, np.integer)):
        return int(value), int(value)
    items = tuple(int(v) for v in value)
    if len(items) != 2:
        raise ValueError(f"{what} must be an int or a pair, got {value!r}")
    return items


def static_dim(layer, x, axis: int, what: str) -> int:
    """x.shape[axis] as an int, or a ValueError naming the layer when it is symbolic/missing."""
    if x.ndim <= (axis if axis >= 0 else -axis - 1):
        raise _shape_error(f"{layer.name} ({type(layer).__name__}): expected an input with a "
                           f"{what} dim, got shape {_fmt(x.shape)}")
    d = x.shape[axis]
    if not isinstance(d, int):
        raise _shape_error(f"{layer.name} ({type(layer).__name__}): the {what} dim of the input "
                           f"must be static, got shape {_fmt(x.shape)}")
    return d


def _fmt(shape) -> str:
    return "(" + ", ".join("None" if d == "N" else str(d) for d in shape) + ")"


def fmt_shape(shape) -> str:
    return _fmt(shape)


def _shape_error(message: str):
    from ..errors import ShapeError  # noqa: PLC0415
    return ShapeError(message)


def check_rank(layer, x, ranks: tuple[int, ...], expected: str) -> None:
    """Raises a ShapeError naming the layer and the shapes when x's rank is not in ``ranks``."""
    if x.ndim not in ranks:
        raise _shape_error(f"{layer.name} ({type(layer).__name__}): expected input of shape "
                           f"{expected}, got {_fmt(x.shape)}")


def check_dim(layer, x, axis: int, expected: int, expected_shape: str) -> None:
    """Raises a ShapeError when x.shape[axis] differs from the size the layer was built for."""
    d = x.shape[axis]
    if isinstance(d, int) and d != expected:
        raise _shape_error(f"{layer.name} ({type(layer).__name__}): expected input of shape "
                           f"{expected_shape}, got {_fmt(x.shape)}")
