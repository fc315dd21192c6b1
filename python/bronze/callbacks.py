"""Keras-style training callbacks for ``Model.fit``: Callback (the hooks), CallbackList, History
(the record fit returns), EarlyStopping, ModelCheckpoint, CSVLogger, LearningRateScheduler.

Hooks: on_train_begin/end(logs), on_epoch_begin(epoch, logs), on_epoch_end(epoch, logs) with
logs {"loss", metrics..., "val_loss", "val_<metric>"...}, on_train_batch_begin/end(batch, logs).
The model's layer arrays hold the trained weights whenever on_epoch_end runs (fit copies them
back from the compiled training step first). ``model.stop_training = True`` ends fit after the
current epoch.
"""

from __future__ import annotations

import csv
import math
import os
from collections import OrderedDict
from typing import Callable

import numpy as np


class Callback:
    """Base class: every hook does nothing. ``self.model`` and ``self.params`` are set by fit."""

    def __init__(self) -> None:
        self.model = None
        self.params: dict = {}

    def set_model(self, model) -> None:
        self.model = model

    def set_params(self, params: dict) -> None:
        self.params = params

    def on_train_begin(self, logs: dict | None = None) -> None: ...
    def on_train_end(self, logs: dict | None = None) -> None: ...
    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None: ...
    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None: ...
    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None: ...
    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None: ...


class CallbackList(Callback):
    """Calls every hook of a list of callbacks in order."""

    def __init__(self, callbacks, model=None, params: dict | None = None) -> None:
        super().__init__()
        self.callbacks = list(callbacks or [])
        for c in self.callbacks:
            if not isinstance(c, Callback):
                raise TypeError(f"callbacks must be bz.callbacks.Callback instances, got {c!r}")
            if model is not None:
                c.set_model(model)
            c.set_params(dict(params or {}))

    def _each(self, hook: str, *args) -> None:
        for c in self.callbacks:
            getattr(c, hook)(*args)

    def on_train_begin(self, logs=None): self._each("on_train_begin", logs)
    def on_train_end(self, logs=None): self._each("on_train_end", logs)
    def on_epoch_begin(self, epoch, logs=None): self._each("on_epoch_begin", epoch, logs)
    def on_epoch_end(self, epoch, logs=None): self._each("on_epoch_end", epoch, logs)
    def on_train_batch_begin(self, batch, logs=None):
        self._each("on_train_batch_begin", batch, logs)
    def on_train_batch_end(self, batch, logs=None): self._each("on_train_batch_end", batch, logs)


class History(Callback):
    """What fit returns: ``history`` (name -> list of per-epoch values), ``epoch`` (the epoch
    indices run) and ``params`` (epochs, steps, batch_size, samples)."""

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)

    def __repr__(self) -> str:
        return f"History(epochs={len(self.epoch)}, keys={list(self.history)})"


def _resolve_mode(mode: str, monitor: str) -> str:
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode == "auto":
        return "max" if ("acc" in monitor or monitor.endswith("auc")) else "min"
    return mode


def _monitored(logs: dict | None, monitor: str, who: str) -> float | None:
    logs = logs or {}
    if monitor not in logs:
        import warnings  # noqa: PLC0415
        warnings.warn(f"{who}: monitored metric {monitor!r} is not available; available: "
                      f"{sorted(logs)}", RuntimeWarning, stacklevel=3)
        return None
    return float(logs[monitor])


class EarlyStopping(Callback):
    """Stops training when ``monitor`` has not improved by more than ``min_delta`` for
    ``patience`` epochs (Keras semantics); ``restore_best_weights`` puts back the weights of
    the best epoch when it stops (or at the end of training)."""

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0.0, patience: int = 0,
                 mode: str = "auto", baseline: float | None = None,
                 restore_best_weights: bool = False) -> None:
        super().__init__()
        self.monitor = monitor
        self.min_delta = abs(float(min_delta))
        self.patience = int(patience)
        self.mode = _resolve_mode(mode, monitor)
        self.baseline = baseline
        self.restore_best_weights = bool(restore_best_weights)
        self.stopped_epoch = 0
        self.best_epoch = 0

    def _better(self, value: float, reference: float) -> bool:
        if self.mode == "min":
            return value < reference - self.min_delta
        return value > reference + self.min_delta

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best_epoch = 0
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_weights = None

    def on_epoch_end(self, epoch, logs=None):
        value = _monitored(logs, self.monitor, "EarlyStopping")
        if value is None:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
        self.wait += 1
        if self._better(value, self.best):
            self.best = value
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._better(value, self.baseline):
                self.wait = 0
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.restore_best_weights and self.best_weights is not None:
            self.model.set_weights(self.best_weights)


class ModelCheckpoint(Callback):
    """Saves the model after each epoch to ``filepath`` (formatted with ``epoch`` (1-based)
    and the logs: "ckpt-{epoch:02d}-{val_loss:.3f}.npz"). ``save_best_only`` saves only when
    ``monitor`` improved; ``save_weights_only`` writes ``model.save_weights`` (an .npz of the
    parameters and state), otherwise ``model.save`` (the .bronze file) when the model has it,
    else the weights."""

    def __init__(self, filepath: str, monitor: str = "val_loss", verbose: int = 0,
                 save_best_only: bool = False, save_weights_only: bool = False,
                 mode: str = "auto") -> None:
        super().__init__()
        self.filepath = os.fspath(filepath)
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = bool(save_best_only)
        self.save_weights_only = bool(save_weights_only)
        self.mode = _resolve_mode(mode, monitor)
        self.best = math.inf if self.mode == "min" else -math.inf
        self.saved: list[str] = []

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        if self.save_best_only:
            value = _monitored(logs, self.monitor, "ModelCheckpoint")
            if value is None:
                return
            better = value < self.best if self.mode == "min" else value > self.best
            if not better:
                return
            self.best = value
        try:
            path = self.filepath.format(epoch=epoch + 1, **logs)
        except KeyError as e:
            raise KeyError(f"ModelCheckpoint: filepath {self.filepath!r} names {e}, which is not "
                           f"among epoch and the logs {sorted(logs)}") from None
        if self.save_weights_only or not callable(getattr(self.model, "save", None)):
            self.model.save_weights(path)
        else:
            self.model.save(path)
        self.saved.append(path)
        if self.verbose:
            print(f"Epoch {epoch + 1}: saved the model to {path}")


class CSVLogger(Callback):
    """Writes one CSV row per epoch (epoch, then the logs' keys sorted) to ``filename``;
    ``append`` keeps an existing file's rows (no second header)."""

    def __init__(self, filename: str, separator: str = ",", append: bool = False) -> None:
        super().__init__()
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = bool(append)
        self.keys: list[str] | None = None
        self._file = None
        self._writer = None

    def on_train_begin(self, logs=None):
        exists = self.append and os.path.exists(self.filename) and \
            os.path.getsize(self.filename) > 0
        self._header_written = exists
        self._file = open(self.filename, "a" if self.append else "w", newline="")  # noqa: SIM115

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            self._writer = csv.DictWriter(self._file, fieldnames=["epoch"] + self.keys,
                                          delimiter=self.sep)
            if not self._header_written:
                self._writer.writeheader()
        row = OrderedDict(epoch=epoch)
        row.update((k, logs.get(k, "NA")) for k in self.keys)
        self._writer.writerow(row)
        self._file.flush()

    def on_train_end(self, logs=None):
        if self._file is not None:
            self._file.close()
            self._file = None
        self._writer = None
        self.keys = None


class LearningRateScheduler(Callback):
    """Sets the learning rate at the start of each epoch to ``schedule(epoch, lr)`` (epoch
    0-based, lr the current rate); the rate used is logged as "lr"."""

    def __init__(self, schedule: Callable[[int, float], float], verbose: int = 0) -> None:
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        lr = float(self.schedule(epoch, float(self.model.learning_rate)))
        if not np.isfinite(lr) or lr < 0:
            raise ValueError(f"LearningRateScheduler: schedule returned {lr!r} for epoch {epoch}")
        self.model.learning_rate = lr
        if self.verbose:
            print(f"Epoch {epoch + 1}: learning rate {lr:g}")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["lr"] = float(self.model.learning_rate)
