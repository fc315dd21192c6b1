"""Attention layers: MultiheadAttention (torch.nn.MultiheadAttention, batch_first=True) and
TransformerEncoderLayer (torch.nn.TransformerEncoderLayer with its defaults: post-norm, relu,
dim_feedforward 2048, dropout 0.1, batch_first=True)."""

from __future__ import annotations

import math

import numpy as np

from .. import ops
from ..errors import ShapeError
from ._init import fan_in_bound, fmt_shape, uniform
from .activations import GELU, ReLU
from .base import Layer, rng
from .core import Dropout, Linear
from .norm import LayerNorm


class MultiheadAttention(Layer):
    """Multi-head attention over (N, L, E) queries and (N, S, E) keys/values (batch_first=True
    only). Weights as torch: in_proj_weight (3E, E) (xavier-uniform), in_proj_bias (3E,)
    (zeros), out_proj_weight (E, E) (Linear's default init) and out_proj_bias (E,) (zeros) -
    torch's out_proj.weight / out_proj.bias. Returns the attention output only (torch returns
    (output, weights); need_weights is not supported). ``attn_mask`` (L, S) or (N*H, L, S): bool
    (True = masked, as torch) or float (added to the scores); ``key_padding_mask`` (N, S) bool
    (True = ignore that key). With dropout > 0 the attention weights are dropped in training
    (an explicit softmax path; otherwise the fused scaled_dot_product_attention op)."""

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 batch_first: bool = True, name: str | None = None):
        super().__init__(name=name)
        if not batch_first:
            raise ValueError("MultiheadAttention: only batch_first=True is supported")
        if embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: embed_dim={embed_dim} must be divisible by "
                             f"num_heads={num_heads}")
        self.embed_dim, self.num_heads = int(embed_dim), int(num_heads)
        self.dropout = float(dropout)
        self.use_bias = bool(bias)
        self.dropout_seed = int(rng().integers(0, 2**31))
        e = self.embed_dim
        bound = math.sqrt(6.0 / (e + 3 * e))  # xavier_uniform_ on (3E, E)
        self.add_weight("in_proj_weight", uniform((3 * e, e), bound))
        if self.use_bias:
            self.add_weight("in_proj_bias", np.zeros(3 * e, np.float32))
        self.add_weight("out_proj_weight", uniform((e, e), fan_in_bound(e)))
        if self.use_bias:
            self.add_weight("out_proj_bias", np.zeros(e, np.float32))
        self.built = True

    def _project(self, x, i: int):
        e = self.embed_dim
        w = ops.slice(self.weight_tensor("in_proj_weight"), starts=[i * e], stops=[(i + 1) * e],
                      axes=[0], name="w" + "qkv"[i])
        args = [x, w]
        if self.use_bias:
            args.append(ops.slice(self.weight_tensor("in_proj_bias"), starts=[i * e],
                                  stops=[(i + 1) * e], axes=[0], name="b" + "qkv"[i]))
        y = ops.linear(*args, name="qkv"[i] + "_proj")
        # (N, L, E) -> (N, H, L, D)
        y = y.reshape(y.shape[0], y.shape[1], self.num_heads, e // self.num_heads)
        return y.transpose(0, 2, 1, 3)

    def _check(self, x, what: str) -> None:
        if x.ndim != 3 or x.shape[-1] != self.embed_dim:
            raise ShapeError(f"{self.name} (MultiheadAttention): expected {what} of shape "
                             f"(N, L, {self.embed_dim}), got {fmt_shape(x.shape)}")

    def _mask(self, query, key, attn_mask, key_padding_mask):
        """An additive float mask broadcasting to (N, H, L, S), or None."""
        masks = []
        for m, what in ((attn_mask, "attn_mask"), (key_padding_mask, "key_padding_mask")):
            if m is None:
                continue
            if not hasattr(m, "producer"):
                m = np.asarray(m)
            if str(m.dtype) == "bool":
                m = ops.where(m, np.asarray(-np.inf, query.dtype), np.asarray(0, query.dtype),
                              name=what)
            if what == "key_padding_mask":
                m = m.reshape(m.shape[0], 1, 1, m.shape[1])
            elif len(m.shape) == 3:
                m = m.reshape(-1, self.num_heads, m.shape[1], m.shape[2])
            masks.append(m)
        if not masks:
            return None
        return masks[0] if len(masks) == 1 else ops.add(masks[0], masks[1], name="mask")

    def call(self, query, key=None, value=None, attn_mask=None, key_padding_mask=None,
             is_causal: bool = False):
        key = query if key is None else key
        value = key if value is None else value
        self._check(query, "query")
        self._check(key, "key")
        self._check(value, "value")
        q, k, v = self._project(query, 0), self._project(key, 1), self._project(value, 2)
        mask = self._mask(query, key, attn_mask, key_padding_mask)
        if self.dropout > 0:
            scores = ops.matmul(q, k, transpose_b=1, name="scores") * np.asarray(
                1 / math.sqrt(self.embed_dim // self.num_heads), query.dtype)
            if is_causal:
                n = query.shape[1]
                if not isinstance(n, int):
                    raise ShapeError(f"{self.name}: is_causal with dropout needs a static "
                                     f"sequence length, got {fmt_shape(query.shape)}")
                causal = np.where(np.tril(np.ones((n, n), bool)), 0, -np.inf)
                scores = scores + causal.astype(query.dtype)
            if mask is not None:
                scores = scores + mask
            weights = ops.dropout(ops.softmax(scores, axis=-1, name="weights"), p=self.dropout,
                                  seed=self.dropout_seed, training=0, name="dropout")
            y = ops.matmul(weights, v, name="attend")
        else:
            args = [q, k, v] + ([mask] if mask is not None else [])
            y = ops.scaled_dot_product_attention(*args, causal=int(bool(is_causal)),
                                                 name="attention")
        y = y.transpose(0, 2, 1, 3)
        y = y.reshape(y.shape[0], y.shape[1], self.embed_dim)
        args = [y, self.weight_tensor("out_proj_weight")]
        if self.use_bias:
            args.append(self.weight_tensor("out_proj_bias"))
        return ops.linear(*args, name="out_proj")


class TransformerEncoderLayer(Layer):
    """One transformer encoder block (torch.nn.TransformerEncoderLayer, batch_first=True):
    post-norm x = norm1(x + dropout1(self_attn(x))); x = norm2(x + dropout2(linear2(dropout(
    activation(linear1(x)))))), or pre-norm with norm_first=True. Sublayers (named
    "<name>/self_attn", "<name>/linear1", ...) hold the weights with torch's layouts."""

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: str = "relu", layer_norm_eps: float = 1e-5,
                 batch_first: bool = True, norm_first: bool = False, bias: bool = True,
                 name: str | None = None):
        super().__init__(name=name)
        if activation not in ("relu", "gelu"):
            raise ValueError(f"TransformerEncoderLayer: activation must be 'relu' or 'gelu', got "
                             f"{activation!r}")
        self.norm_first = bool(norm_first)
        p = f"{self.name}/"
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, name=p + "self_attn")
        self.linear1 = Linear(dim_feedforward, bias=bias, in_features=d_model, name=p + "linear1")
        self.linear2 = Linear(d_model, bias=bias, in_features=dim_feedforward, name=p + "linear2")
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, name=p + "norm1")
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, name=p + "norm2")
        self.dropout = Dropout(dropout, name=p + "dropout")
        self.dropout1 = Dropout(dropout, name=p + "dropout1")
        self.dropout2 = Dropout(dropout, name=p + "dropout2")
        self.activation = ReLU(name=p + "activation") if activation == "relu" else \
            GELU(name=p + "activation")
        self.built = True

    def sublayers(self) -> list[Layer]:
        return [self.self_attn, self.linear1, self.dropout, self.linear2, self.norm1, self.norm2,
                self.dropout1, self.dropout2, self.activation]

    def count_params(self) -> int:
        return sum(layer.count_params() for layer in self.sublayers())

    def _sa(self, x, attn_mask, key_padding_mask, is_causal):
        return self.dropout1(self.self_attn(x, attn_mask=attn_mask,
                                            key_padding_mask=key_padding_mask,
                                            is_causal=is_causal))

    def _ff(self, x):
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))

    def call(self, src, src_mask=None, src_key_padding_mask=None, is_causal: bool = False):
        x = src
        if self.norm_first:
            x = x + self._sa(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            return x + self._ff(self.norm2(x))
        x = self.norm1(x + self._sa(x, src_mask, src_key_padding_mask, is_causal))
        return self.norm2(x + self._ff(x))
