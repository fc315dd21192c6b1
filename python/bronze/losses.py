"""Loss functions over symbolic tensors, built from ``bz.ops`` (PyTorch's definitions and
argument names): ``cross_entropy``, ``nll``, ``mse``, ``l1``, ``binary_cross_entropy_with_logits``.

``model.compile(loss=...)`` takes one of these names (or an alias such as ``"mse_loss"``) or any
callable ``(y_pred, y_true) -> scalar symbolic tensor``; ``get(loss)`` resolves either.
"""

from __future__ import annotations

from typing import Callable

from . import ops
from ._tensor import SymbolicTensor

LossFn = Callable[[SymbolicTensor, SymbolicTensor], SymbolicTensor]


def cross_entropy(y_pred: SymbolicTensor, y_true: SymbolicTensor, reduction: str = "mean",
                  ignore_index: int = -100, label_smoothing: float = 0.0) -> SymbolicTensor:
    """torch.nn.functional.cross_entropy: logits (N, C, ...) against int class indices."""
    return ops.cross_entropy(y_pred, y_true, reduction=reduction, ignore_index=ignore_index,
                             label_smoothing=label_smoothing, name="cross_entropy")


def nll(y_pred: SymbolicTensor, y_true: SymbolicTensor, reduction: str = "mean",
        ignore_index: int = -100) -> SymbolicTensor:
    """torch.nn.functional.nll_loss: log-probabilities (N, C, ...) against int class indices."""
    return ops.nll(y_pred, y_true, reduction=reduction, ignore_index=ignore_index, name="nll")


def mse(y_pred: SymbolicTensor, y_true: SymbolicTensor, reduction: str = "mean") -> SymbolicTensor:
    """torch.nn.functional.mse_loss (shapes must be equal: no silent broadcasting)."""
    return ops.mse(y_pred, y_true, reduction=reduction, name="mse")


def l1(y_pred: SymbolicTensor, y_true: SymbolicTensor, reduction: str = "mean") -> SymbolicTensor:
    """torch.nn.functional.l1_loss (shapes must be equal)."""
    return ops.l1(y_pred, y_true, reduction=reduction, name="l1")


def binary_cross_entropy_with_logits(y_pred: SymbolicTensor, y_true: SymbolicTensor,
                                     reduction: str = "mean") -> SymbolicTensor:
    """torch.nn.functional.binary_cross_entropy_with_logits (targets in [0, 1], same shape)."""
    return ops.binary_cross_entropy_with_logits(y_pred, y_true, reduction=reduction,
                                                name="binary_cross_entropy_with_logits")


_BY_NAME: dict[str, LossFn] = {
    "cross_entropy": cross_entropy, "crossentropy": cross_entropy,
    "sparse_categorical_crossentropy": cross_entropy,
    "nll": nll, "nll_loss": nll,
    "mse": mse, "mse_loss": mse, "mean_squared_error": mse,
    "l1": l1, "l1_loss": l1, "mae": l1, "mean_absolute_error": l1,
    "binary_cross_entropy_with_logits": binary_cross_entropy_with_logits,
    "bce_with_logits": binary_cross_entropy_with_logits,
}

# Losses whose targets are class indices (fed as int64).
CLASS_TARGET_LOSSES = {cross_entropy, nll}
BUILTIN = set(_BY_NAME.values())


def get(loss) -> LossFn:
    """The loss function for a name or a callable; ValueError naming the known names."""
    if callable(loss):
        return loss
    if isinstance(loss, str) and loss in _BY_NAME:
        return _BY_NAME[loss]
    raise ValueError(f"unknown loss {loss!r}: give a callable (y_pred, y_true) -> scalar or one "
                     f"of {sorted(set(_BY_NAME))}")
