"""Model training, mixed into bronze.Model: compile, fit, evaluate, predict, get/set_weights,
save_weights/load_weights, and the learning_rate property.

fit compiles one training step with the C++ Trainer (_bronze.Trainer): the model graph plus the
loss over a target placeholder "y_true" (one per output with a loss, "y_true_<output>", for
several outputs; int64 for class-index losses, else the output's dtype; the batch dim symbolic,
so the last partial batch is just a second plan of the same Trainer). With several outputs the
trained "loss" is the weighted sum of the outputs' losses, also reported as "<output>_loss".
Each step returns the losses and the model outputs; metrics are accumulated in NumPy from the
outputs (bronze.metrics). After every epoch (before the callbacks run) the trained parameters
and running statistics are copied back into the layers' arrays, so model(x), layer.weight and
parameters() see them. The Trainer (and the optimizer state in it) is kept between fit calls
unless weights were changed from outside (set_weights, load_weights, layer assignment, a
callback), which rebuilds it from the layers' arrays (with fresh optimizer state).
evaluate runs the inference graph plus the losses in a Session; predict runs the model in
batches.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
import tempfile
from collections import OrderedDict
from typing import Any

import numpy as np

from . import _bronze, losses as _losses, metrics as _metrics, optim as _optim
from .callbacks import Callback, CallbackList, History
from .errors import BronzeError
from .layers.base import Placeholder, bump_weights_version, rng, weights_version

TARGET = "y_true"


@dataclass
class _Head:
    """One output with a loss: its name and index, loss function and weight, metric specs,
    the target placeholder's name and the prefix of its log names ("" for one output)."""
    output: str
    index: int
    loss_fn: Any
    weight: float
    metrics: list
    target: str
    prefix: str


def _renamed(state: dict, mapping: dict) -> dict:
    """``state`` with every key ``old`` or ``old/...`` (a weight and its optimizer state) renamed
    to ``mapping[old]``; other keys kept."""
    out = {}
    for key, value in state.items():
        weight = key
        while weight not in mapping and "/" in weight:
            weight = weight.rsplit("/", 1)[0]
        out[mapping[weight] + key[len(weight):] if weight in mapping else key] = value
    return out


def _batch_slices(n: int, batch_size: int):
    for start in range(0, n, batch_size):
        yield start, min(start + batch_size, n)


class TrainingMixin:
    """compile/fit/evaluate/predict for Model (see the module docstring)."""

    # ---- compile -----------------------------------------------------------------------------
    def compile(self, optimizer: Any = "adam", loss: Any = None, metrics: Any = None,
                loss_weights: Any = None, clip_value: float = 0.0, clip_norm: float = 0.0,
                threads: int = 0) -> None:
        """Sets the optimizer (a bz.optim instance or name), the loss (a name from bz.losses
        or a callable (y_pred, y_true) -> scalar symbolic tensor), the metrics (names or
        bz.metrics.Metric instances), gradient clipping (by value, then by global norm) and the
        thread count of the compiled steps (0: all cores). For several outputs, ``loss``,
        ``metrics`` and ``loss_weights`` may be lists (in output order) or dicts by output name;
        one loss or metric list applies to every output; the trained loss is the weighted sum."""
        if loss is None:
            raise ValueError("compile needs a loss: a name such as 'cross_entropy' or a callable "
                             "(y_pred, y_true) -> scalar")
        if clip_value < 0 or clip_norm < 0:
            raise ValueError(f"clip_value and clip_norm must be >= 0, got {clip_value}, "
                             f"{clip_norm}")
        names = self._output_names
        multi = len(names) > 1
        losses = self._per_output(loss, "loss")
        weights = self._per_output(loss_weights if loss_weights is not None else 1.0,
                                   "loss_weights")
        if isinstance(metrics, (str, _metrics.Metric)):
            metrics = [metrics]
        metric_specs = self._per_output(metrics or [], "metrics", list_is_shared=True)
        heads = []
        for i, name in enumerate(names):
            if losses[i] is None:
                continue  # an output without a loss (dict loss naming only some outputs)
            specs = metric_specs[i] or []
            specs = [specs] if isinstance(specs, (str, _metrics.Metric)) else list(specs)
            for m in specs:
                _metrics.get(m)  # validates the names now
            weight = 1.0 if weights[i] is None else float(weights[i])
            heads.append(_Head(name, i, _losses.get(losses[i]), weight, specs,
                               f"{TARGET}_{name}" if multi else TARGET,
                               f"{name}_" if multi else ""))
        if not heads:
            raise ValueError(f"compile: no output has a loss (outputs {names})")
        self.optimizer = _optim.get(optimizer)
        self._heads = heads
        self._clip = (float(clip_value), float(clip_norm))
        self._threads = int(threads)
        self._trainer = None
        self._trainer_key = None
        self._pending_restore = None  # (state, step) from load_checkpoint, for the next Trainer
        self._eval_sessions: dict = {}
        self.stop_training = False

    def _per_output(self, value, what: str, list_is_shared: bool = False) -> list:
        """``value`` for each output: a dict by output name, a list in output order, or one
        value for every output."""
        names = self._output_names
        if isinstance(value, dict):
            unknown = [k for k in value if k not in names]
            if unknown:
                raise ValueError(f"compile {what}: unknown outputs {unknown} (outputs {names})")
            return [value.get(n) for n in names]
        if isinstance(value, (list, tuple)) and len(names) > 1 and not (
                list_is_shared and all(not isinstance(v, (list, tuple)) for v in value)):
            if len(value) != len(names):
                raise ValueError(f"compile {what}: {len(value)} entries for {len(names)} "
                                 f"outputs {names}")
            return list(value)
        return [value] * len(names)

    def _require_compiled(self, what: str) -> None:
        if getattr(self, "_heads", None) is None:
            raise RuntimeError(f"{what}: call model.compile(optimizer=..., loss=...) first")

    # ---- data --------------------------------------------------------------------------------
    def _input_arrays(self, x) -> dict:
        """Input name -> array converted to the placeholder's dtype; checks equal lengths."""
        feed = self._feed((x,))
        out = {}
        for t, name in zip(self._inputs, self._input_names):
            a = np.asarray(feed[name])
            if a.dtype != np.dtype(t.dtype):
                a = a.astype(t.dtype)
            out[name] = a
        lengths = {n: len(a) for n, a in out.items()}
        if len(set(lengths.values())) > 1:
            raise ValueError(f"inputs have different numbers of samples: {lengths}")
        return out

    def _target_arrays(self, y) -> dict:
        """Target placeholder name -> array for each output with a loss (int64 class indices
        for class losses, else the output's dtype)."""
        if len(self._output_names) == 1:
            given = {self._output_names[0]: y}
        elif isinstance(y, dict):
            given = y
        elif isinstance(y, (list, tuple)) and len(y) == len(self._output_names):
            given = dict(zip(self._output_names, y))
        else:
            raise ValueError(f"targets for outputs {self._output_names}: give a list in output "
                             "order or a dict by output name")
        out = {}
        for h in self._heads:
            if h.output not in given:
                raise ValueError(f"no targets for output {h.output!r}")
            a = np.asarray(given[h.output])
            if h.loss_fn in _losses.CLASS_TARGET_LOSSES:
                if not np.issubdtype(a.dtype, np.integer):
                    raise ValueError(f"the loss of output {h.output!r} takes integer class "
                                     f"indices as targets, got {a.dtype} targets")
                a = a.astype(np.int64, copy=False)
            elif np.issubdtype(a.dtype, np.integer) and h.loss_fn not in _losses.BUILTIN:
                a = a.astype(np.int64, copy=False)  # a custom loss on int targets
            else:
                a = a.astype(self._outputs[h.index].dtype, copy=False)
            out[h.target] = a
        lengths = {n: len(a) for n, a in out.items()}
        if len(set(lengths.values())) > 1:
            raise ValueError(f"targets have different numbers of samples: {lengths}")
        return out

    def _loss_outputs(self, targets: dict) -> dict:
        """Graph outputs "loss" (the weighted sum) and, for several outputs, "<name>_loss"."""
        out = {}
        total = None
        for h in self._heads:
            a = targets[h.target]
            t = Placeholder((None,) + a.shape[1:], dtype=str(a.dtype), name=h.target)
            value = h.loss_fn(self._outputs[h.index], t)
            if len(value.shape) != 0:
                raise ValueError(f"the loss of output {h.output!r} must be a scalar, got shape "
                                 f"{tuple(value.shape)} (use reduction='mean' or 'sum')")
            if len(self._heads) > 1 or len(self._output_names) > 1:
                out[f"{h.output}_loss"] = value
            weighted = value if h.weight == 1.0 else value * h.weight
            total = weighted if total is None else total + weighted
        out["loss"] = total
        return out

    def _metric_objects(self) -> list:
        """(head, Metric, log name) for every metric of every output."""
        out = []
        for h in self._heads:
            for spec in h.metrics:
                m = _metrics.get(spec)
                out.append((h, m, h.prefix + m.name))
        return out

    def _heads_loss_names(self) -> list[str]:
        if len(self._heads) > 1 or len(self._output_names) > 1:
            return [f"{h.output}_loss" for h in self._heads]
        return []

    def _data(self, x, y) -> tuple[dict, dict, int]:
        """(inputs, targets, number of samples), checked to have one length."""
        inputs = self._input_arrays(x)
        targets = self._target_arrays(y)
        n = len(next(iter(targets.values())))
        for name, a in inputs.items():
            if len(a) != n:
                raise ValueError(f"input {name!r} has {len(a)} samples, targets have {n}")
        return inputs, targets, n

    @staticmethod
    def _signature(targets: dict) -> tuple:
        return tuple(sorted((k, a.dtype.str, a.shape[1:]) for k, a in targets.items()))

    # ---- weights -----------------------------------------------------------------------------
    def _slots(self):
        """(source name, layer, weight name) of every parameter and state of the model."""
        return [(s.name, s.layer, s.weight) for s in self._weight_sources]

    def get_weights(self) -> "OrderedDict[str, np.ndarray]":
        """Copies of every parameter and state array, by name."""
        return OrderedDict((n, layer._weights[w].copy()) for n, layer, w in self._slots())

    def set_weights(self, weights: dict) -> None:
        """Sets parameters and state from a name -> array dict (every name, equal shapes)."""
        slots = self._slots()
        missing = [n for n, _, _ in slots if n not in weights]
        extra = [n for n in weights if n not in {s[0] for s in slots}]
        if missing or extra:
            raise ValueError(f"set_weights: missing {missing}, unexpected {extra}")
        for n, layer, w in slots:
            old = layer._weights[w]
            new = np.asarray(weights[n])
            if new.shape != old.shape:
                raise ValueError(f"set_weights: {n} has shape {old.shape}, got {new.shape}")
            layer._weights[w] = np.ascontiguousarray(new, dtype=old.dtype).copy()
        bump_weights_version()

    def save_weights(self, path: str) -> None:
        """Writes parameters and state to an .npz file atomically (temp file, fsync, rename)."""
        path = os.fspath(path)
        directory = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(prefix=".bronze-weights-", suffix=".npz", dir=directory)
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, **self.get_weights())
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def load_weights(self, path: str) -> None:
        """Reads an .npz written by save_weights (every name must match)."""
        with np.load(os.fspath(path), allow_pickle=False) as data:
            self.set_weights({k: data[k] for k in data.files})

    def save_checkpoint(self, path: str) -> None:
        """Writes a training checkpoint: every parameter and state array, the optimizer's state
        (moments, counters) and the step counter, atomically (temp file, fsync, rename), in
        bronze's checkpoint format (docs/format.md). After ``load_checkpoint`` on a model built
        and compiled the same way, ``fit`` continues bitwise-identically to an uninterrupted run
        fed the same batches (``shuffle=False``). Before any ``fit`` it holds the weights only, at
        step 0."""
        self._require_compiled("save_checkpoint")
        if self._trainer is not None:
            self._sync_from_trainer()
            state, step = self._trainer.state(), int(self._trainer.steps)
        elif self._pending_restore is not None:
            state, step = self._pending_restore
        else:
            state, step = dict(self.get_weights()), 0
        order = "\n".join(n for n, _, _ in self._slots())
        _bronze.save_checkpoint(os.fspath(path), state, step,
                                {"kind": "bronze.fit_checkpoint", "bronze.weight_order": order})

    def load_checkpoint(self, path: str) -> int:
        """Reads a checkpoint written by ``save_checkpoint``: sets the weights now and hands the
        optimizer state and step to the next training step. Returns the step counter. Raises
        ValueError when the checkpoint does not hold every weight of this model."""
        self._require_compiled("load_checkpoint")
        state, step, metadata = _bronze.load_checkpoint(os.fspath(path))
        names = [n for n, _, _ in self._slots()]
        saved = [n for n in metadata.get("bronze.weight_order", "").split("\n") if n]
        if any(n not in state for n in names) and len(saved) == len(names):
            # The same architecture built again in this process gets other layer names
            # ("linear_3"): weights (and their optimizer state, "<weight>/exp_avg") map by
            # position, as Keras maps by layer order.
            state = _renamed(state, dict(zip(saved, names)))
        missing = [n for n in names if n not in state]
        if missing:
            raise ValueError(f"load_checkpoint: {path} lacks the weights {missing}")
        self.set_weights({n: state[n] for n in names})
        self._trainer = None
        self._pending_restore = (state, int(step))
        return int(step)

    def _sync_from_trainer(self) -> None:
        """Copies the Trainer's parameters and state into the layers after steps ran."""
        if self._trainer is None or not getattr(self, "_trainer_dirty", False):
            return
        for n, layer, w in self._slots():
            layer._weights[w] = self._trainer.parameter(n)
        bump_weights_version()
        self._trainer_version = weights_version()
        self._trainer_dirty = False

    # ---- learning rate -----------------------------------------------------------------------
    @property
    def learning_rate(self) -> float:
        """The learning rate of the next training step."""
        self._require_compiled("learning_rate")
        return self.optimizer.lr

    @learning_rate.setter
    def learning_rate(self, lr: float) -> None:
        self._require_compiled("learning_rate")
        self.optimizer.lr = float(lr)
        if self._trainer is not None:
            self._trainer.set_learning_rate(float(lr))

    # ---- fit ---------------------------------------------------------------------------------
    def _trainer_for(self, targets: dict):
        key = self._signature(targets)
        stale = self._trainer is not None and (self._trainer_key != key or
                                               self._trainer_version != weights_version())
        if self._trainer is None or stale:
            graph = self.build_graph(training=True, extra_outputs=self._loss_outputs(targets))
            clip_value, clip_norm = self._clip
            self._trainer = _bronze.Trainer(graph, self.optimizer.to_dict(), loss="loss",
                                            clip_value=clip_value, clip_norm=clip_norm,
                                            threads=self._threads)
            self._trainer_key = key
            self._trainer_version = weights_version()
            self._trainer_dirty = False
            if self._pending_restore is not None:
                state, step = self._pending_restore
                self._trainer.restore(state, step)
                self._pending_restore = None
        return self._trainer

    def profile_train_step(self, x, y, runs: int = 20, warmup: int = 3):
        """Times each step of the compiled training step on the batch (x, y), all of it one
        batch: ``warmup`` + ``runs`` real training steps at the current learning rate (the
        weights change as in fit). Returns a ``ProfileReport`` as ``Model.profile`` does:
        print() it for the slowest steps of forward, backward and update."""
        self._require_compiled("profile_train_step")
        inputs, targets, _ = self._data(x, y)
        trainer = self._trainer_for(targets)
        feed = dict(inputs)
        feed.update(targets)
        try:
            report = trainer.profile(feed, runs, warmup)
        except BronzeError as e:
            from ._tensor import at_user  # noqa: PLC0415
            raise at_user(e) from None
        self._trainer_dirty = True
        self._sync_from_trainer()  # the layers hold the trained weights, as after fit
        return report

    def explain_train_step(self, x, y) -> str:
        """What the compiler did for the training step on batches shaped like (x, y), as
        ``Model.explain`` does for inference: the pipeline, every pass remark (which ops fused,
        which optimizer updates run inside their gradient's GEMM, and why the others did not),
        the fused groups, the schedule and the planned arena. Runs no step."""
        self._require_compiled("explain_train_step")
        inputs, targets, _ = self._data(x, y)
        feed = dict(inputs)
        feed.update(targets)
        try:
            return self._trainer_for(targets).explain(feed)
        except BronzeError as e:
            from ._tensor import at_user  # noqa: PLC0415
            raise at_user(e) from None

    def fit(self, x=None, y=None, batch_size: int = 32, epochs: int = 1, verbose: int = 1,
            callbacks: list[Callback] | None = None, validation_split: float = 0.0,
            validation_data=None, shuffle: bool = True, initial_epoch: int = 0) -> History:
        """Trains for ``epochs`` epochs; returns a History (history.history: per-epoch "loss",
        metrics, and "val_loss"/"val_<metric>" with validation_data=(x_val, y_val), or with
        validation_split: the last fraction of the samples, taken before shuffling, as Keras).
        verbose=1 shows one tqdm bar per epoch (loss, metrics, samples/s); 0 is silent."""
        self._require_compiled("fit")
        if batch_size <= 0 or epochs < 0:
            raise ValueError(f"batch_size must be > 0 and epochs >= 0, got {batch_size}, {epochs}")
        inputs, targets, n = self._data(x, y)
        if not 0.0 <= validation_split < 1.0:
            raise ValueError(f"validation_split must be in [0, 1), got {validation_split}")
        validation = None  # (inputs, targets) converted once
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                raise ValueError("validation_data must be a pair (x_val, y_val)")
            validation = self._data(*validation_data)[:2]
        elif validation_split:
            split = n - int(n * validation_split)
            if split in (0, n):
                raise ValueError(f"validation_split={validation_split} of {n} samples leaves "
                                 "no training or no validation samples")
            validation = ({k: a[split:] for k, a in inputs.items()},
                          {k: a[split:] for k, a in targets.items()})
            inputs = {k: a[:split] for k, a in inputs.items()}
            targets = {k: a[:split] for k, a in targets.items()}
            n = split
        trainer = self._trainer_for(targets)
        metrics = self._metric_objects()
        loss_keys = ["loss"] + self._heads_loss_names()
        history = History()
        steps = (n + batch_size - 1) // batch_size
        params = {"epochs": epochs, "steps": steps, "batch_size": batch_size, "samples": n,
                  "verbose": verbose}
        cbs = CallbackList(list(callbacks or []) + [history], model=self, params=params)
        history.params = params
        self.history = history
        self.stop_training = False
        cbs.on_train_begin({})
        try:
            for epoch in range(initial_epoch, epochs):
                cbs.on_epoch_begin(epoch, {})
                # Weights set from outside since (a callback's set_weights): train from them.
                trainer = self._trainer_for(targets)
                order = rng().permutation(n) if shuffle else None
                for _, m, _ in metrics:
                    m.reset()
                sums, seen = dict.fromkeys(loss_keys, 0.0), 0
                bar = _progress(n, f"Epoch {epoch + 1}/{epochs}", verbose)
                for b, (lo, hi) in enumerate(_batch_slices(n, batch_size)):
                    idx = order[lo:hi] if order is not None else slice(lo, hi)
                    feed = {k: a[idx] for k, a in inputs.items()}
                    feed.update((k, a[idx]) for k, a in targets.items())
                    cbs.on_train_batch_begin(b, {})
                    out = trainer.step(feed)
                    self._trainer_dirty = True
                    logs = {k: float(out[k]) for k in loss_keys}
                    for k in loss_keys:
                        sums[k] += logs[k] * (hi - lo)
                    seen += hi - lo
                    for h, m, name in metrics:
                        logs[name] = m.update(out[h.output], feed[h.target])
                    cbs.on_train_batch_end(b, logs)
                    if bar is not None:
                        post = {"loss": f"{sums['loss'] / seen:.4f}"}
                        post.update((name, f"{m.result():.4f}") for _, m, name in metrics)
                        bar.set_postfix(post, refresh=False)
                        bar.update(hi - lo)
                self._sync_from_trainer()
                logs = {k: v / max(seen, 1) for k, v in sums.items()}
                logs.update((name, m.result()) for _, m, name in metrics)
                if validation is not None:
                    val = self._evaluate_arrays(*validation, batch_size)
                    logs.update((f"val_{k}", v) for k, v in val.items())
                if bar is not None:
                    bar.set_postfix({k: f"{v:.4f}" for k, v in logs.items()}, refresh=False)
                    bar.close()
                cbs.on_epoch_end(epoch, logs)
                if self.stop_training:
                    break
        finally:
            self._sync_from_trainer()
        cbs.on_train_end({})
        return history

    # ---- evaluate / predict ------------------------------------------------------------------
    def _eval_session(self, targets: dict):
        key = self._signature(targets)
        entry = self._eval_sessions.get(key)
        if entry is None:
            graph = self.build_graph(extra_outputs=self._loss_outputs(targets))
            session = _bronze.Session(graph, threads=self._threads)
            entry = [session, weights_version()]
            self._eval_sessions[key] = entry
        elif entry[1] != weights_version():
            for name, array in self.get_weights().items():
                entry[0].set_parameter(name, array)
            entry[1] = weights_version()
        return entry[0]

    def evaluate(self, x=None, y=None, batch_size: int = 32, verbose: int = 0,
                 return_dict: bool = False):
        """The loss (and metrics) over (x, y) on the inference graph (dropout off, batch norm
        on running statistics): the loss alone without metrics, else [loss, *metrics], or a
        dict with return_dict=True. The loss is the mean of the per-batch losses weighted by
        the batch sizes (exact for "mean" losses)."""
        self._require_compiled("evaluate")
        if batch_size <= 0:
            raise ValueError(f"batch_size must be > 0, got {batch_size}")
        inputs, targets, n = self._data(x, y)
        result = self._evaluate_arrays(inputs, targets, batch_size, verbose)
        if return_dict:
            return result
        return result["loss"] if len(result) == 1 else list(result.values())

    def _evaluate_arrays(self, inputs: dict, targets: dict, batch_size: int,
                         verbose: int = 0) -> dict:
        n = len(next(iter(targets.values())))
        session = self._eval_session(targets)
        metrics = self._metric_objects()
        loss_keys = ["loss"] + self._heads_loss_names()
        sums = dict.fromkeys(loss_keys, 0.0)
        bar = _progress(n, "evaluate", verbose)
        for lo, hi in _batch_slices(n, batch_size):
            feed = {k: a[lo:hi] for k, a in inputs.items()}
            feed.update((k, a[lo:hi]) for k, a in targets.items())
            out = session.run(feed)
            for k in loss_keys:
                sums[k] += float(out[k]) * (hi - lo)
            for h, m, _ in metrics:
                m.update(out[h.output], feed[h.target])
            if bar is not None:
                bar.update(hi - lo)
        if bar is not None:
            bar.close()
        result = {k: v / n if n else float("nan") for k, v in sums.items()}
        result.update((name, m.result()) for _, m, name in metrics)
        return result

    def predict(self, x, batch_size: int = 32, verbose: int = 0):
        """The model's outputs on x, computed batch by batch and concatenated (an array, or a
        list/dict of arrays for several outputs)."""
        if batch_size <= 0:
            raise ValueError(f"batch_size must be > 0, got {batch_size}")
        inputs = self._input_arrays(x)
        n = len(next(iter(inputs.values()))) if inputs else 0
        session = self._session_for_run()
        chunks: dict[str, list[np.ndarray]] = {name: [] for name in self._output_names}
        bar = _progress(n, "predict", verbose)
        for lo, hi in _batch_slices(n, batch_size):
            out = session.run({k: a[lo:hi] for k, a in inputs.items()})
            for name in self._output_names:
                chunks[name].append(out[name])
            if bar is not None:
                bar.update(hi - lo)
        if bar is not None:
            bar.close()
        if n == 0:
            return self._pack_outputs(session.run({k: a for k, a in inputs.items()}))
        return self._pack_outputs({k: np.concatenate(v) for k, v in chunks.items()})


def _progress(total: int, desc: str, verbose: int):
    if not verbose:
        return None
    from tqdm.auto import tqdm  # noqa: PLC0415
    return tqdm(total=total, desc=desc, unit="samples", unit_scale=False, leave=True,
                dynamic_ncols=True, smoothing=0)
