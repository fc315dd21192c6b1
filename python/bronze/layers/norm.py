"""Normalization layers (torch.nn.BatchNorm1d, BatchNorm2d, LayerNorm), the feature count
inferred from the first call. Batch norm's running statistics are non-trainable state
(``running_mean``, ``running_var``); the batch_norm op is recorded in inference mode and the
training compile switches its ``training`` attribute on (batch statistics, running ones
updated)."""

from __future__ import annotations

import numpy as np

from .. import ops
from ._init import check_dim, check_rank, fmt_shape, static_dim
from .base import Layer


class _BatchNorm(Layer):
    _ranks: tuple[int, ...] = ()
    _expected = ""

    def __init__(self, num_features: int | None = None, eps: float = 1e-5,
                 momentum: float = 0.1, affine: bool = True, track_running_stats: bool = True,
                 name: str | None = None):
        super().__init__(name=name)
        if momentum is None:
            raise ValueError(f"{type(self).__name__}: momentum=None (cumulative average) is not "
                             "supported")
        if not track_running_stats:
            raise ValueError(f"{type(self).__name__}: track_running_stats=False is not supported")
        self.eps = float(eps)
        self.momentum = float(momentum)
        self.affine = bool(affine)
        if num_features is not None:
            self._create(int(num_features))

    def _create(self, c: int) -> None:
        self.num_features = c
        if self.affine:
            self.add_weight("weight", np.ones(c, np.float32))
            self.add_weight("bias", np.zeros(c, np.float32))
        self.add_weight("running_mean", np.zeros(c, np.float32), trainable=False)
        self.add_weight("running_var", np.ones(c, np.float32), trainable=False)
        self.built = True

    def build(self, x) -> None:
        check_rank(self, x, self._ranks, self._expected)
        if "running_mean" not in self._weights:
            self._create(static_dim(self, x, 1, "channel"))

    def call(self, x):
        check_rank(self, x, self._ranks, self._expected)
        check_dim(self, x, 1, self.num_features,
                  self._expected.replace("C", str(self.num_features), 1))
        if self.affine:
            weight, bias = self.weight_tensor("weight"), self.weight_tensor("bias")
        else:
            weight = np.ones(self.num_features, x.dtype)
            bias = np.zeros(self.num_features, x.dtype)
        y, _, _ = ops.batch_norm(x, weight, bias, self.weight_tensor("running_mean"),
                                 self.weight_tensor("running_var"), training=0,
                                 momentum=self.momentum, eps=self.eps, name="batch_norm")
        return y


class BatchNorm1d(_BatchNorm):
    """Batch normalization over (N, C) or (N, C, L) inputs (torch.nn.BatchNorm1d):
    weight ones, bias zeros, running_mean zeros, running_var ones, all (C,)."""

    _ranks = (2, 3)
    _expected = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalization over (N, C, H, W) inputs (torch.nn.BatchNorm2d): weight ones, bias
    zeros, running_mean zeros, running_var ones, all (C,)."""

    _ranks = (4,)
    _expected = "(N, C, H, W)"


class LayerNorm(Layer):
    """Layer normalization over the last dims (torch.nn.LayerNorm): ``normalized_shape`` an int
    or a tuple; None infers it as the input's last dim. weight ones, bias zeros, both of
    normalized_shape (elementwise_affine)."""

    def __init__(self, normalized_shape=None, eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True, name: str | None = None):
        super().__init__(name=name)
        self.eps = float(eps)
        self.elementwise_affine = bool(elementwise_affine)
        self.use_bias = bool(bias)
        self.normalized_shape = None
        if normalized_shape is not None:
            if isinstance(normalized_shape, (int, np.integer)):
                normalized_shape = (int(normalized_shape),)
            self._create(tuple(int(d) for d in normalized_shape))

    def _create(self, shape: tuple) -> None:
        self.normalized_shape = shape
        if self.elementwise_affine:
            self.add_weight("weight", np.ones(shape, np.float32))
            if self.use_bias:
                self.add_weight("bias", np.zeros(shape, np.float32))
        self.built = True

    def build(self, x) -> None:
        if self.normalized_shape is None:
            self._create((static_dim(self, x, -1, "last"),))

    def call(self, x):
        k = len(self.normalized_shape)
        if x.ndim < k or tuple(x.shape[x.ndim - k:]) != self.normalized_shape:
            from ..errors import ShapeError  # noqa: PLC0415
            raise ShapeError(f"{self.name} (LayerNorm): expected input of shape "
                             f"(..., {', '.join(map(str, self.normalized_shape))}), got "
                             f"{fmt_shape(x.shape)}")
        args = [x]
        if self.elementwise_affine:
            args.append(self.weight_tensor("weight"))
            if self.use_bias:
                args.append(self.weight_tensor("bias"))
        return ops.layer_norm(*args, normalized_ndim=k, eps=self.eps, name="layer_norm")
