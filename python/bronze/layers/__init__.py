"""Layers with PyTorch's names, arguments and parameter layouts, input sizes inferred on the
first call (as in the TorchX seed). ``from bronze import layers as L``."""

from .base import Layer, Placeholder
from .core import Flatten, Linear, ReLU

__all__ = ["Layer", "Placeholder", "Linear", "Flatten", "ReLU"]
