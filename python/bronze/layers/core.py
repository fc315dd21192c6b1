"""Core layers: Linear, Flatten, Reshape, Dropout and Embedding (activations, convolutions,
normalization, attention and containers are in sibling modules)."""

from __future__ import annotations

import math

import numpy as np

from .. import ops
from ._init import uniform as _uniform
from .base import Layer, rng


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


class Reshape(Layer):
    """Reshapes every sample to ``shape`` (the batch dim is kept: (N, ...) -> (N, *shape)); one
    entry may be -1 (inferred), as in torch.reshape."""

    def __init__(self, shape, name: str | None = None):
        super().__init__(name=name)
        self.target = tuple(int(d) for d in shape)

    def call(self, x):
        return ops.reshape(x, shape=(x.shape[0],) + self.target, name="reshape")


class Dropout(Layer):
    """Inverted dropout (torch.nn.Dropout): in training each element is zeroed with probability
    p and the rest scaled by 1/(1-p); at inference the identity. The op is recorded in inference
    mode; the training compile switches it on and gives it a fresh mask every step. ``seed``
    (default: drawn from bronze.seed's generator) fixes the mask sequence."""

    def __init__(self, p: float = 0.5, seed: int | None = None, name: str | None = None):
        super().__init__(name=name)
        if not 0.0 <= p < 1.0:
            raise ValueError(f"Dropout: p must be in [0, 1), got {p}")
        self.p = float(p)
        self.seed = int(rng().integers(0, 2**31)) if seed is None else int(seed)

    def call(self, x):
        return ops.dropout(x, p=self.p, seed=self.seed, training=0, name="dropout")


class Embedding(Layer):
    """A lookup table (torch.nn.Embedding): weight (num_embeddings, embedding_dim) initialized
    N(0, 1) as PyTorch, the padding_idx row zeroed; integer indices of any shape give
    indices.shape + (embedding_dim,)."""

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 name: str | None = None):
        super().__init__(name=name)
        self.num_embeddings = int(num_embeddings)
        self.embedding_dim = int(embedding_dim)
        if padding_idx is not None and padding_idx < 0:
            padding_idx += self.num_embeddings
        if padding_idx is not None and not 0 <= padding_idx < self.num_embeddings:
            raise ValueError(f"Embedding: padding_idx must be within num_embeddings, got "
                             f"{padding_idx}")
        self.padding_idx = padding_idx
        weight = rng().standard_normal((self.num_embeddings, self.embedding_dim))
        if padding_idx is not None:
            weight[padding_idx] = 0
        self.add_weight("weight", weight.astype(np.float32))
        self.built = True

    def call(self, indices):
        if indices.dtype not in ("int32", "int64"):
            from ..errors import DTypeError  # noqa: PLC0415
            raise DTypeError(f"{self.name} (Embedding): indices must be int32 or int64, got "
                             f"{indices.dtype}")
        pad = -1 if self.padding_idx is None else self.padding_idx
        return ops.embedding(self.weight_tensor("weight"), indices, padding_idx=pad,
                             name="embedding")
