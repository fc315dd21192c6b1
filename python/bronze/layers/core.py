"""Core layers: Linear, Flatten and activations (more in sibling modules)."""

from __future__ import annotations

import math

import numpy as np

from .. import ops
from .base import Layer, rng


def _uniform(shape, bound: float) -> np.ndarray:
    return rng().uniform(-bound, bound, size=shape).astype(np.float32)


class Linear(Layer):
    """y = x W^T + b (torch.nn.Linear): weight (out_features, in_features), bias (out_features,);
    in_features is inferred from the input's last dim. Initialized as PyTorch does:
    U(-1/sqrt(in), 1/sqrt(in)) for both."""

    def __init__(self, out_features: int, bias: bool = True, in_features: int | None = None,
                 name: str | None = None):
        super().__init__(name=name)
        self.out_features = int(out_features)
        self.use_bias = bool(bias)
        if in_features is not None:
            self._create(int(in_features))

    def _create(self, in_features: int) -> None:
        bound = 1.0 / math.sqrt(in_features) if in_features > 0 else 0.0
        self.add_weight("weight", _uniform((self.out_features, in_features), bound))
        if self.use_bias:
            self.add_weight("bias", _uniform((self.out_features,), bound))
        self.built = True

    def build(self, x) -> None:
        if "weight" not in self._weights:
            in_features = x.shape[-1]
            if not isinstance(in_features, int):
                raise ValueError(f"{self.name}: the input's last dim must be static, got {x.shape}")
            self._create(in_features)

    def call(self, x):
        args = [x, self.weight_tensor("weight")]
        if self.use_bias:
            args.append(self.weight_tensor("bias"))
        return ops.linear(*args, name="linear")


class Flatten(Layer):
    """Flattens dims start_dim..end_dim (torch.nn.Flatten: start_dim=1, end_dim=-1)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1, name: str | None = None):
        super().__init__(name=name)
        self.start_dim, self.end_dim = start_dim, end_dim

    def call(self, x):
        return ops.flatten(x, start_dim=self.start_dim, end_dim=self.end_dim, name="flatten")


class ReLU(Layer):
    """max(x, 0) (torch.nn.ReLU)."""

    def __init__(self, name: str | None = None):
        super().__init__(name=name)

    def call(self, x):
        return ops.relu(x, name="relu")
