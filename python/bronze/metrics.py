"""Metrics for compile(metrics=[...]): accumulated in NumPy over the model outputs of each batch
(the outputs come back from every training and evaluation step anyway), exact over an epoch
(sums over samples, divided by the count at the end).

Names: "accuracy" (argmax over the class dim 1 against int labels; for outputs shaped like the
targets, binary accuracy of logits: (y_pred > 0) == (y_true > 0.5)), "mse", "mae". A Metric
instance can be passed instead of a name.
"""

from __future__ import annotations

import numpy as np


class Metric:
    """A running metric: reset(), update(y_pred, y_true) per batch, result() -> float."""

    name = "metric"

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.total = 0.0
        self.count = 0

    def batch_values(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def update(self, y_pred: np.ndarray, y_true: np.ndarray) -> float:
        """Adds one batch; returns the batch's value."""
        values = np.asarray(self.batch_values(np.asarray(y_pred), np.asarray(y_true)),
                            dtype=np.float64)
        self.total += float(values.sum())
        self.count += int(values.size)
        return float(values.mean()) if values.size else float("nan")

    def result(self) -> float:
        return self.total / self.count if self.count else float("nan")


class Accuracy(Metric):
    name = "accuracy"

    def batch_values(self, y_pred, y_true):
        if y_pred.shape == y_true.shape:  # binary, logits
            return (y_pred > 0) == (y_true > 0.5)
        if y_pred.ndim < 2:
            raise ValueError(f"accuracy: predictions {y_pred.shape} need a class dim 1 for "
                             f"targets {y_true.shape}")
        return np.argmax(y_pred, axis=1) == y_true


class MeanSquaredError(Metric):
    name = "mse"

    def batch_values(self, y_pred, y_true):
        return (y_pred.astype(np.float64) - y_true) ** 2


class MeanAbsoluteError(Metric):
    name = "mae"

    def batch_values(self, y_pred, y_true):
        return np.abs(y_pred.astype(np.float64) - y_true)


_BY_NAME = {"accuracy": Accuracy, "acc": Accuracy, "mse": MeanSquaredError,
            "mae": MeanAbsoluteError}


def get(metric) -> Metric:
    """A fresh Metric for a name, or the Metric instance given."""
    if isinstance(metric, Metric):
        return metric
    if isinstance(metric, str) and metric in _BY_NAME:
        m = _BY_NAME[metric]()
        m.name = "accuracy" if metric == "acc" else m.name
        return m
    raise ValueError(f"unknown metric {metric!r}: one of {sorted(_BY_NAME)} or a Metric")
