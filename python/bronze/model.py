"""bronze.Model: a functional model from input placeholders to output tensors.

``Model(inputs=..., outputs=...)`` takes a tensor, a list or a dict for each. It walks the
symbolic DAG from the outputs, checks every placeholder it reaches is one of the inputs, and can
then
  * run on NumPy arrays (``model(x)``): the DAG is replayed into a C++ graph, compiled once into a
    ``_bronze.Session`` and run (weights changed since are pushed before the next run);
  * be called on symbolic tensors like a layer (nested models): the DAG is replayed onto the new
    inputs, reading the same weights;
  * report ``parameters()``, ``count_params()``.
Training (compile/fit/evaluate/predict), summary and to_spec/from_spec are mixed in from their
own modules.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np

from . import _bronze
from ._tensor import Node, Source, SymbolicTensor, apply, name_scope
from .errors import BronzeError, ShapeError
from .layers.base import Layer, record_call, weights_version
from .training import TrainingMixin


def _structure(value, what: str):
    """(names, tensors, kind) for a tensor, list/tuple or dict of tensors."""
    if isinstance(value, SymbolicTensor):
        return [None], [value], "single"
    if isinstance(value, dict):
        return list(value.keys()), list(value.values()), "dict"
    if isinstance(value, (list, tuple)):
        return [None] * len(value), list(value), "list"
    raise TypeError(f"Model {what} must be a symbolic tensor, a list or a dict of them, "
                    f"got {type(value).__name__}")


def topological_nodes(outputs: list[SymbolicTensor]):
    """(nodes in topological order, sources) reachable from ``outputs``."""
    order: list[Node] = []
    sources: dict[int, Source] = {}
    seen: set[int] = set()
    stack = [(t.producer, False) for t in reversed(outputs)]
    while stack:
        item, done = stack.pop()
        if isinstance(item, Source):
            sources[item.id] = item
            continue
        if done:
            order.append(item)
            continue
        if item.id in seen:
            continue
        seen.add(item.id)
        stack.append((item, True))
        for t in reversed(item.inputs):
            if isinstance(t.producer, Source) or t.producer.id not in seen:
                stack.append((t.producer, False))
    return order, list(sources.values())


class Model(TrainingMixin, Layer):
    """A model from ``inputs`` to ``outputs`` (each a tensor, a list or a dict of tensors)."""

    def __init__(self, inputs=None, outputs=None, name: str | None = None):
        super().__init__(name=name)
        if inputs is None or outputs is None:
            raise TypeError("Model(inputs=..., outputs=...) needs both")
        in_names, in_tensors, self._input_kind = _structure(inputs, "inputs")
        out_names, out_tensors, self._output_kind = _structure(outputs, "outputs")
        for t in in_tensors:
            if not (isinstance(t, SymbolicTensor) and isinstance(t.producer, Source)
                    and t.producer.kind == "placeholder"):
                raise TypeError(f"Model inputs must be Placeholders, got {t!r}")
        for t in out_tensors:
            if not isinstance(t, SymbolicTensor):
                raise TypeError(f"Model outputs must be symbolic tensors, got {t!r}")
        self._inputs = in_tensors
        self._input_names = [n if n is not None else t.producer.name
                             for n, t in zip(in_names, in_tensors)]
        if len(set(self._input_names)) != len(self._input_names):
            raise ValueError(f"Model inputs have duplicate names: {self._input_names}")
        self._outputs = out_tensors
        if self._output_kind == "dict":
            self._output_names = [str(n) for n in out_names]
        elif self._output_kind == "single":
            self._output_names = ["output"]
        else:
            self._output_names = [f"output_{i}" for i in range(len(out_tensors))]
        self._nodes, sources = topological_nodes(out_tensors)
        given = {t.producer.id for t in in_tensors}
        for s in sources:
            if s.kind == "placeholder" and s.id not in given:
                raise ValueError(f"Model outputs depend on placeholder {s.name!r}, which is not "
                                 f"among the inputs {self._input_names}")
        self._sources = [s for s in sources if s.kind != "placeholder"]
        self._weight_sources = [s for s in self._sources if s.kind in ("weight", "state")]
        self._check_weight_names()
        self._session = None
        self._session_version = -1
        self.built = True

    def _check_weight_names(self) -> None:
        seen: dict[str, Source] = {}
        for s in self._weight_sources:
            other = seen.get(s.name)
            if other is not None and other.layer is not s.layer:
                raise ValueError(f"two different layers are both named {s.layer.name!r}: give "
                                 "them distinct names")
            seen[s.name] = s

    # ---- structure ---------------------------------------------------------------------------
    @property
    def inputs(self) -> list[SymbolicTensor]:
        return list(self._inputs)

    @property
    def outputs(self) -> list[SymbolicTensor]:
        return list(self._outputs)

    @property
    def input_names(self) -> list[str]:
        return list(self._input_names)

    @property
    def output_names(self) -> list[str]:
        return list(self._output_names)

    def layers(self) -> list[Layer]:
        """The layers whose weights the model reads, in first-use order (nested models
        contribute their own layers)."""
        out: list[Layer] = []
        for s in self._weight_sources:
            if s.layer not in out:
                out.append(s.layer)
        return out

    def parameters(self) -> "OrderedDict[str, np.ndarray]":
        """Trainable parameters, "layer/weight" -> array (the layer's own array)."""
        return OrderedDict((s.name, s.layer._weights[s.weight])
                           for s in self._weight_sources if s.kind == "weight")

    def state(self) -> "OrderedDict[str, np.ndarray]":
        """Non-trained state (batch-norm running statistics), "layer/weight" -> array."""
        return OrderedDict((s.name, s.layer._weights[s.weight])
                           for s in self._weight_sources if s.kind == "state")

    def count_params(self) -> int:
        return int(sum(a.size for a in self.parameters().values()))

    # ---- the C++ graph -----------------------------------------------------------------------
    def build_graph(self, training: bool = False, extra_outputs=None,
                    dtype: str | None = None) -> "_bronze.Graph":
        """Replays the DAG into a new ``_bronze.Graph`` with the model's outputs (and
        ``extra_outputs``: name -> symbolic tensor over the same inputs, e.g. a loss).
        ``dtype`` (e.g. "float64") casts every floating placeholder, weight and constant to it
        (gradient checks in float64)."""
        graph = _bronze.Graph(self.name)
        values: dict[int, Any] = {}

        def cast(value):
            if dtype is None:
                return value
            if isinstance(value, str):  # a placeholder's dtype name
                return dtype if np.issubdtype(np.dtype(value), np.floating) else value
            a = np.asarray(value)
            return a.astype(dtype) if np.issubdtype(a.dtype, np.floating) else a

        for t, name in zip(self._inputs, self._input_names):
            ph_dtype, shape = t.producer.value
            values[t.producer.id] = graph.placeholder(name, cast(ph_dtype), shape)
        extra = dict(extra_outputs or {})
        nodes, sources = topological_nodes(self._outputs + list(extra.values()))
        given = {t.producer.id for t in self._inputs}
        for s in sources:
            if s.id in values:
                continue
            if s.kind == "placeholder":
                if s.id not in given:
                    # An extra placeholder of a loss (the targets): it becomes a graph input too.
                    ph_dtype, shape = s.value
                    values[s.id] = graph.placeholder(s.name, cast(ph_dtype), shape)
            elif s.kind == "weight":
                values[s.id] = graph.parameter(s.name, cast(s.layer._weights[s.weight]))
            elif s.kind == "state":
                values[s.id] = graph.state(s.name, cast(s.layer._weights[s.weight]))
            else:
                values[s.id] = graph.constant(cast(s.value), s.name)

        def value_of(t: SymbolicTensor):
            v = values[t.producer.id]
            return v[t.index] if isinstance(v, list) else v

        for node in nodes:
            values[node.id] = graph.op(node.op, [value_of(t) for t in node.inputs], node.attrs,
                                       node.name, node.location)
        for name, t in zip(self._output_names, self._outputs):
            graph.output(name, value_of(t))
        for name, t in extra.items():
            graph.output(name, value_of(t))
        if training:
            graph.set_training(True)
        return graph

    def _session_for_run(self):
        if self._session is None:
            self._session = _bronze.Session(self.build_graph())
            self._session_version = weights_version()
        elif self._session_version != weights_version():
            for name, array in list(self.parameters().items()) + list(self.state().items()):
                self._session.set_parameter(name, array)
            self._session_version = weights_version()
        return self._session

    def _feed(self, arrays) -> dict:
        if self._input_kind == "dict" and len(arrays) == 1 and isinstance(arrays[0], dict):
            given = arrays[0]
            missing = [n for n in self._input_names if n not in given]
            extra = [n for n in given if n not in self._input_names]
            if missing or extra:
                raise ValueError(f"model inputs are {self._input_names}; missing {missing}, "
                                 f"unexpected {extra}")
            return {n: given[n] for n in self._input_names}
        if len(arrays) == 1 and isinstance(arrays[0], (list, tuple)) and len(self._inputs) > 1:
            arrays = tuple(arrays[0])
        if len(arrays) != len(self._inputs):
            raise ValueError(f"model takes {len(self._inputs)} input(s) {self._input_names}, "
                             f"got {len(arrays)}")
        return dict(zip(self._input_names, arrays))

    def _pack_outputs(self, named: dict):
        outs = [named[n] for n in self._output_names]
        if self._output_kind == "single":
            return outs[0]
        if self._output_kind == "dict":
            return dict(zip(self._output_names, outs))
        return outs

    def run(self, *arrays):
        """Runs the model on NumPy arrays (see __call__)."""
        feed = self._feed(arrays)
        try:
            named = self._session_for_run().run(
                {k: np.asarray(v) for k, v in feed.items()})
        except BronzeError as e:
            from ._tensor import at_user  # noqa: PLC0415
            raise at_user(e) from None
        return self._pack_outputs(named)

    def __call__(self, *inputs, **kwargs):
        if any(isinstance(x, SymbolicTensor) for x in _flat(inputs)):
            return self._call_symbolic(*inputs, **kwargs)
        return self.run(*inputs)

    def _call_symbolic(self, *inputs, **kwargs):
        """Replays the model's DAG on new symbolic inputs (a model used as a layer)."""
        feed = self._feed(inputs)
        mapping: dict[int, SymbolicTensor] = {}
        for t, name in zip(self._inputs, self._input_names):
            new = feed[name]
            if not isinstance(new, SymbolicTensor):
                new = _as_constant(new)
            if new.dtype != t.dtype or not _shapes_compatible(t.shape, new.shape):
                raise ShapeError(f"model {self.name!r} input {name!r} expects {t.dtype}"
                                 f"{_fmt(t.shape)}, got {new.dtype}{_fmt(new.shape)}")
            mapping[id(t.producer)] = new

        def mapped(t: SymbolicTensor) -> SymbolicTensor:
            if isinstance(t.producer, Source):
                return mapping.get(id(t.producer), t)
            return mapping[id(t.producer)][t.index] if isinstance(
                mapping[id(t.producer)], tuple) else mapping[id(t.producer)]

        with name_scope(self.name):
            for node in self._nodes:
                out = apply(node.op, [mapped(t) for t in node.inputs], node.attrs,
                            name=node.name.split("/")[-1], location=node.location)
                mapping[id(node)] = out
        outputs = self._pack_outputs({n: mapped(t)
                                      for n, t in zip(self._output_names, self._outputs)})
        record_call(self, inputs, kwargs, outputs)
        return outputs

    def get_config(self) -> dict:
        return {"name": self.name}

    def save(self, path: str, metadata: dict | None = None) -> None:
        """Writes the model as a .bronze file (graph, weights, architecture spec, ``metadata``
        strings), atomically; ``bronze.load(path)`` reads it back, and so do the C++ API and the
        ``bronze`` command line."""
        from .io import save_model  # noqa: PLC0415 - io imports model lazily too
        save_model(self, path, metadata)

    def explain(self, batch_size: int = 1) -> str:
        """What the compiler did for inputs of ``batch_size`` (the symbolic batch dim): the
        pipeline, each pass's remarks (which ops were fused and why others were not), the fused
        groups, the scheduler's choice and the planned arena size."""
        session = _bronze.Session(self.build_graph())
        dims = [[batch_size if isinstance(d, str) else d for d in t.shape] for t in self._inputs]
        return session.explain(dims)

    def profile(self, *arrays, runs: int = 20, warmup: int = 3):
        """Times each compiled step on these inputs (as ``run`` takes them): ``warmup``
        untimed runs, then ``runs`` timed ones, each step in plan order. Returns a
        ``ProfileReport``: ``print()`` it for the slowest steps (op, shape, median and min time,
        share, GFLOP/s and GB/s from the cost estimates), or read ``.steps`` (plan order) and
        ``.run_median_seconds``."""
        feed = self._feed(arrays)
        try:
            return self._session_for_run().profile(
                {k: np.asarray(v) for k, v in feed.items()}, runs, warmup)
        except BronzeError as e:
            from ._tensor import at_user  # noqa: PLC0415
            raise at_user(e) from None

    def set_weights(self, weights: dict) -> None:
        """Assigns weights by their "layer/weight" names (as parameters() and state() give);
        an unknown name or a wrong shape is an error."""
        sources = {s.name: s for s in self._weight_sources}
        for name, value in weights.items():
            if name not in sources:
                raise KeyError(f"model {self.name!r} has no weight {name!r}; it has "
                               f"{sorted(sources)}")
            s = sources[name]
            setattr(s.layer, s.weight, value)

    # ---- architecture specs and summaries (spec.py, summary.py) ------------------------------
    def to_spec(self) -> dict:
        """A JSON-serializable dict of the architecture (see bronze.spec): inputs, layers and
        their configs, the DAG of layer calls and ops between them, outputs. No weights."""
        from .spec import model_to_spec  # noqa: PLC0415
        return model_to_spec(self)

    @classmethod
    def from_spec(cls, spec: dict, weights: dict | None = None) -> "Model":
        """Rebuilds a model from ``to_spec()``'s dict: same structure and output shapes, fresh
        weights (initialized as new layers are) unless ``weights`` ("layer/weight" -> array) is
        given."""
        from .spec import model_from_spec  # noqa: PLC0415
        return model_from_spec(spec, cls, weights)

    def summary(self, print_fn=print) -> str:
        """Prints (with ``print_fn``; None prints nothing) and returns a Keras-style table: one
        row per layer call (output shape, parameters, FLOPs and activation bytes per sample),
        then the totals."""
        from .summary import summary_table  # noqa: PLC0415
        text = summary_table(self)
        if print_fn is not None:
            print_fn(text)
        return text


def _as_constant(value) -> SymbolicTensor:
    from ._tensor import as_tensor  # noqa: PLC0415
    return as_tensor(value)


def _shapes_compatible(expected: tuple, got: tuple) -> bool:
    if len(expected) != len(got):
        return False
    return all(isinstance(e, str) or isinstance(g, str) or e == g for e, g in zip(expected, got))


def _fmt(shape: tuple) -> str:
    return "[" + ", ".join(str(d) for d in shape) + "]"


def _flat(items) -> list:
    out = []
    for x in items:
        if isinstance(x, (list, tuple)):
            out.extend(_flat(x))
        elif isinstance(x, dict):
            out.extend(_flat(list(x.values())))
        else:
            out.append(x)
    return out
