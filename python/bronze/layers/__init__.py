"""Layers with PyTorch's names, arguments and parameter layouts, input sizes inferred on the
first call (as in the TorchX seed). ``from bronze import layers as L``."""

from .activations import GELU, LeakyReLU, LogSoftmax, ReLU, SiLU, Sigmoid, Softmax, Tanh
from .attention import MultiheadAttention, TransformerEncoderLayer
from .base import Layer, Placeholder
from .containers import Sequential
from .conv import AdaptiveAvgPool2d, AvgPool2d, Conv2d, ConvTranspose2d, MaxPool2d
from .core import Dropout, Embedding, Flatten, Linear, Reshape
from .merge import Add, Concat
from .norm import BatchNorm1d, BatchNorm2d, LayerNorm
from .wrappers import Lambda, TimeDistributed, register_function

__all__ = [
    "Layer", "Placeholder", "Linear", "Flatten", "Reshape", "Dropout", "Embedding", "ReLU",
    "LeakyReLU", "GELU", "SiLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Conv2d",
    "ConvTranspose2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "BatchNorm1d",
    "BatchNorm2d", "LayerNorm", "MultiheadAttention", "TransformerEncoderLayer", "Concat", "Add",
    "Lambda", "TimeDistributed", "register_function", "Sequential",
]
