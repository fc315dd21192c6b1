"""Activation layers (torch.nn.ReLU, LeakyReLU, GELU, SiLU, Sigmoid, Tanh, Softmax,
LogSoftmax): no weights, one op each."""

from __future__ import annotations

from .. import ops
from .base import Layer


class ReLU(Layer):
    """max(x, 0) (torch.nn.ReLU)."""

    def __init__(self, name: str | None = None):
        super().__init__(name=name)

    def call(self, x):
        return ops.relu(x, name="relu")


class LeakyReLU(Layer):
    """x if x > 0 else negative_slope * x (torch.nn.LeakyReLU)."""

    def __init__(self, negative_slope: float = 0.01, name: str | None = None):
        super().__init__(name=name)
        self.negative_slope = float(negative_slope)

    def call(self, x):
        return ops.leaky_relu(x, negative_slope=self.negative_slope, name="leaky_relu")


class GELU(Layer):
    """x * Phi(x) (torch.nn.GELU; approximate 'none' or 'tanh')."""

    def __init__(self, approximate: str = "none", name: str | None = None):
        super().__init__(name=name)
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def call(self, x):
        return ops.gelu(x, approximate=self.approximate, name="gelu")


class SiLU(Layer):
    """x * sigmoid(x) (torch.nn.SiLU)."""

    def __init__(self, name: str | None = None):
        super().__init__(name=name)

    def call(self, x):
        return ops.silu(x, name="silu")


class Sigmoid(Layer):
    """1 / (1 + exp(-x)) (torch.nn.Sigmoid)."""

    def __init__(self, name: str | None = None):
        super().__init__(name=name)

    def call(self, x):
        return ops.sigmoid(x, name="sigmoid")


class Tanh(Layer):
    """tanh(x) (torch.nn.Tanh)."""

    def __init__(self, name: str | None = None):
        super().__init__(name=name)

    def call(self, x):
        return ops.tanh(x, name="tanh")


class Softmax(Layer):
    """softmax along ``dim`` (torch.nn.Softmax; default -1 here, as PyTorch's recommended use)."""

    def __init__(self, dim: int = -1, name: str | None = None):
        super().__init__(name=name)
        self.dim = int(dim)

    def call(self, x):
        return ops.softmax(x, axis=self.dim, name="softmax")


class LogSoftmax(Layer):
    """log(softmax) along ``dim`` (torch.nn.LogSoftmax; default -1)."""

    def __init__(self, dim: int = -1, name: str | None = None):
        super().__init__(name=name)
        self.dim = int(dim)

    def call(self, x):
        return ops.log_softmax(x, axis=self.dim, name="log_softmax")
