"""Layers that combine several tensors: Concat (torch.cat along ``dim``) and Add (elementwise
sum with NumPy broadcasting). Both take the tensors as separate arguments or as one list."""

from __future__ import annotations

from .. import ops
from ..errors import ShapeError
from ._init import fmt_shape
from .base import Layer


def _tensors(layer, inputs) -> list:
    if len(inputs) == 1 and isinstance(inputs[0], (list, tuple)):
        inputs = tuple(inputs[0])
    if not inputs:
        raise ValueError(f"{layer.name} ({type(layer).__name__}): needs at least one input")
    return list(inputs)


class Concat(Layer):
    """Concatenates its inputs along ``dim`` (torch.cat(xs, dim); default -1, the features)."""

    def __init__(self, dim: int = -1, name: str | None = None):
        super().__init__(name=name)
        self.dim = int(dim)

    def call(self, *inputs):
        xs = _tensors(self, inputs)
        rank = xs[0].ndim
        axis = self.dim % rank if rank else 0
        for x in xs:
            if x.ndim != rank or any(a != b for i, (a, b) in enumerate(zip(x.shape, xs[0].shape))
                                     if i != axis):
                raise ShapeError(f"{self.name} (Concat): inputs must match except along dim "
                                 f"{self.dim}, got " + " and ".join(fmt_shape(t.shape) for t in xs))
        return ops.concat(*xs, axis=self.dim, name="concat")


class Add(Layer):
    """Sums its inputs elementwise (NumPy broadcasting)."""

    def __init__(self, name: str | None = None):
        super().__init__(name=name)

    def call(self, *inputs):
        xs = _tensors(self, inputs)
        y = xs[0]
        for x in xs[1:]:
            y = ops.add(y, x, name="add")
        return y
