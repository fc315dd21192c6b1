"""bz.value_and_grad: the loss of a model and its gradients with respect to every parameter,
as NumPy arrays keyed like model.parameters() (the "model-shaped gradient").

    loss, grads = bz.value_and_grad(model, loss="cross_entropy")(x, y)

The model graph plus the loss over a target placeholder plus its backward graph
(Graph.add_gradients) is compiled once per target signature into a Session and rerun with the
layers' current weights. ``params=`` overrides weights for one call (functional use: finite
differences, meta-learning). ``dtype="float64"`` computes in float64 (placeholders, weights and
constants cast). ``training=True`` runs dropout and batch norm in training mode (batch
statistics; the running statistics are not updated).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable

import numpy as np

from . import _bronze, losses as _losses
from .layers.base import Placeholder, weights_version

TARGET = "y_true"


def value_and_grad(model, loss: Any = "cross_entropy", dtype: str | None = None,
                   training: bool = False) -> Callable:
    """A function (x, y, params=None) -> (loss as float, OrderedDict name -> gradient)."""
    loss_fn = _losses.get(loss)
    cache: dict = {}

    def target_array(y) -> np.ndarray:
        y = np.asarray(y)
        if loss_fn in _losses.CLASS_TARGET_LOSSES or np.issubdtype(y.dtype, np.integer):
            return y.astype(np.int64, copy=False)
        return y.astype(dtype or model.outputs[0].dtype, copy=False)

    def session_for(y: np.ndarray):
        key = (y.dtype.str, y.shape[1:])
        entry = cache.get(key)
        if entry is None:
            # Declared in the model's own dtypes; build_graph(dtype=) recasts it with the rest.
            declared = "int64" if y.dtype == np.int64 else model.outputs[0].dtype
            target = Placeholder((None,) + y.shape[1:], dtype=declared, name=TARGET)
            if len(model.outputs) != 1:
                raise ValueError("value_and_grad supports single-output models")
            value = loss_fn(model.outputs[0], target)
            if len(value.shape) != 0:
                raise ValueError(f"the loss must be a scalar, got shape {tuple(value.shape)}")
            graph = model.build_graph(training=training, extra_outputs={"loss": value},
                                      dtype=dtype)
            names = list(model.parameters().keys())
            graph.add_gradients("loss", names)
            entry = [_bronze.Session(graph), weights_version(), False]
            cache[key] = entry
        return entry

    def run(x, y, params: dict | None = None):
        feed = model._input_arrays(x) if dtype is None else {
            k: (a.astype(dtype) if np.issubdtype(a.dtype, np.floating) else a)
            for k, a in model._feed((x,)).items()}
        feed = {k: np.asarray(a) for k, a in feed.items()}
        y = target_array(y)
        entry = session_for(y)
        session = entry[0]
        # Push the layers' weights when they changed or an earlier call overrode some.
        if entry[1] != weights_version() or entry[2]:
            for name, array in list(model.parameters().items()) + list(model.state().items()):
                session.set_parameter(name, array.astype(dtype) if dtype else array)
            entry[1] = weights_version()
            entry[2] = False
        if params:
            known = model.parameters()
            for name, array in params.items():
                if name not in known:
                    raise ValueError(f"params: {name!r} is not a parameter of the model "
                                     f"({list(known)})")
                session.set_parameter(name, np.asarray(array, dtype=dtype or known[name].dtype))
            entry[2] = True
        feed[TARGET] = y
        out = session.run(feed)
        grads = OrderedDict((n, out[f"grad/{n}"]) for n in model.parameters())
        return float(out["loss"]), grads

    return run
