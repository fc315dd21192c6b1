"""Architecture specs: ``Model.to_spec()`` gives a JSON-serializable dict of a model's
architecture and ``Model.from_spec(spec)`` rebuilds it.

A spec holds the model's inputs (name, dtype, shape), its layers (class name and get_config(),
each once, shared layers included), the DAG as a list of calls in topological order (a layer
called on earlier values, or an op applied directly between layers, with its attributes), the
constants those ops read and the outputs. Values are referred to as ``["input", i]``,
``["call", j, k]`` (output k of call j) or ``["constant", c]``. Weights are not part of a spec:
from_spec initializes fresh weights unless ``weights`` ("layer/weight" -> array, as
``Model.parameters()`` and ``Model.state()`` give) is passed. A Lambda is stored by reference
(see bronze.layers.register_function).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import layers as L
from ._tensor import Node, Source, SymbolicTensor, apply
from .layers.base import Layer, Placeholder

SPEC_FORMAT = "bronze.model_spec"
SPEC_VERSION = 1

_CUSTOM: dict[str, type] = {}


def register_layer(cls: type) -> type:
    """Makes a user Layer subclass known to from_spec (by its class name); a decorator."""
    _CUSTOM[cls.__name__] = cls
    return cls


def _json(value: Any) -> Any:
    """value with tuples as lists and NumPy scalars as Python numbers (raises on the rest)."""
    if isinstance(value, (list, tuple)):
        return [_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot store {value!r} ({type(value).__name__}) in a spec")


def layer_to_spec(layer: Layer) -> dict:
    """{"class": ..., "config": ...} for one layer (a nested Model stores its own spec)."""
    from .model import Model  # noqa: PLC0415
    if isinstance(layer, Model):
        return {"class": "Model", "config": layer.to_spec()}
    cls = type(layer).__name__
    if getattr(L, cls, None) is not type(layer) and _CUSTOM.get(cls) is not type(layer):
        raise ValueError(f"layer {layer.name!r} of class {cls} is not a bronze layer: register "
                         "it with bronze.spec.register_layer to store it in a spec")
    try:
        config = _json(layer.get_config())
    except TypeError as e:
        raise ValueError(f"layer {layer.name!r} ({cls}): its config cannot be stored: {e}") from None
    return {"class": cls, "config": config}


def layer_from_spec(spec: dict) -> Layer:
    cls_name = spec["class"]
    config = dict(spec.get("config", {}))
    if cls_name == "Model":
        from .model import Model  # noqa: PLC0415
        return model_from_spec(config, Model)
    cls = _CUSTOM.get(cls_name) or getattr(L, cls_name, None)
    if not (isinstance(cls, type) and issubclass(cls, Layer)):
        raise ValueError(f"spec names unknown layer class {cls_name!r}")
    if cls_name == "TimeDistributed":
        config["layer"] = layer_from_spec(config["layer"])
    if cls_name == "Sequential":
        return L.Sequential(*[layer_from_spec(s) for s in config["layers"]], name=config.get("name"))
    return cls(**config)


class _Writer:
    def __init__(self, model):
        self.model = model
        self.inputs = {id(t.producer): i for i, t in enumerate(model.inputs)}
        self.calls: list[dict] = []
        self.call_ids: dict[int, int] = {}  # id(LayerCall or Node) -> index
        self.constants: list[dict] = []
        self.layers: dict[int, tuple[str, dict]] = {}
        self.layer_order: list[str] = []

    def ref(self, t: SymbolicTensor) -> list:
        call = getattr(t, "_call", None)
        if call is not None:
            record, index = call
            return ["call", self.visit_call(record), index]
        p = t.producer
        if isinstance(p, Source):
            if p.kind == "placeholder":
                if id(p) not in self.inputs:
                    raise ValueError(f"placeholder {p.name!r} is not a model input")
                return ["input", self.inputs[id(p)]]
            if p.kind == "constant":
                self.constants.append({"dtype": str(p.value.dtype), "shape": list(p.value.shape),
                                       "data": p.value.ravel().tolist()})
                return ["constant", len(self.constants) - 1]
            raise ValueError(f"weight {p.name!r} is read outside a layer call: a spec stores "
                             "layer calls and ops between them only")
        return ["call", self.visit_node(p), t.index]

    def encode(self, value):
        if isinstance(value, SymbolicTensor):
            return {"tensor": self.ref(value)}
        if isinstance(value, (list, tuple)):
            return [self.encode(v) for v in value]
        if isinstance(value, dict):
            return {"dict": {str(k): self.encode(v) for k, v in value.items()}}
        if isinstance(value, np.ndarray):
            return {"array": value.tolist(), "dtype": str(value.dtype)}
        return _json(value)

    def visit_call(self, record) -> int:
        if id(record) in self.call_ids:
            return self.call_ids[id(record)]
        args = self.encode(list(record.args))
        kwargs = {k: self.encode(v) for k, v in record.kwargs.items()}
        layer = record.layer
        if id(layer) not in self.layers:
            self.layers[id(layer)] = (layer.name, layer_to_spec(layer))
            self.layer_order.append(layer.name)
        self.calls.append({"layer": layer.name, "args": args, "kwargs": kwargs,
                           "outputs": len(record.outputs)})
        self.call_ids[id(record)] = len(self.calls) - 1
        return len(self.calls) - 1

    def visit_node(self, node: Node) -> int:
        if id(node) in self.call_ids:
            return self.call_ids[id(node)]
        inputs = [self.ref(t) for t in node.inputs]
        self.calls.append({"op": node.op, "attrs": _json(node.attrs), "inputs": inputs,
                           "name": node.name.split("/")[-1], "outputs": len(node.outputs)})
        self.call_ids[id(node)] = len(self.calls) - 1
        return len(self.calls) - 1


def model_to_spec(model) -> dict:
    w = _Writer(model)
    outputs = [w.ref(t) for t in model.outputs]
    layer_specs = {name: spec for name, spec in w.layers.values()}
    if len(layer_specs) != len(w.layers):
        raise ValueError("two different layers of the model share a name: give them distinct "
                         "names")
    return {
        "format": SPEC_FORMAT, "version": SPEC_VERSION, "name": model.name,
        "inputs": [{"name": n, "dtype": t.dtype, "shape": [None if d == "N" else d
                                                           for d in t.shape]}
                   for n, t in zip(model.input_names, model.inputs)],
        "input_kind": model._input_kind,
        "layers": [dict(name=n, **layer_specs[n]) for n in w.layer_order],
        "calls": w.calls,
        "constants": w.constants,
        "outputs": outputs, "output_kind": model._output_kind,
        "output_names": model.output_names,
    }


def model_from_spec(spec: dict, model_cls, weights: dict | None = None):
    if spec.get("format") != SPEC_FORMAT:
        raise ValueError(f"not a bronze model spec (format {spec.get('format')!r})")
    if spec.get("version") != SPEC_VERSION:
        raise ValueError(f"model spec version {spec.get('version')!r} is not supported "
                         f"(this bronze reads version {SPEC_VERSION})")
    inputs = [Placeholder(tuple(d for d in i["shape"]), dtype=i["dtype"], name=i["name"])
              for i in spec["inputs"]]
    layers = {entry["name"]: layer_from_spec(entry) for entry in spec["layers"]}
    constants = [np.asarray(c["data"], dtype=c["dtype"]).reshape(c["shape"])
                 for c in spec["constants"]]
    results: list[list] = []

    def deref(ref):
        kind = ref[0]
        if kind == "input":
            return inputs[ref[1]]
        if kind == "constant":
            return constants[ref[1]]
        return results[ref[1]][ref[2]]

    def decode(value):
        if isinstance(value, list):
            return [decode(v) for v in value]
        if isinstance(value, dict):
            if "tensor" in value:
                return deref(value["tensor"])
            if "dict" in value:
                return {k: decode(v) for k, v in value["dict"].items()}
            if "array" in value:
                return np.asarray(value["array"], dtype=value["dtype"])
        return value

    for call in spec["calls"]:
        if "layer" in call:
            out = layers[call["layer"]](*decode(call["args"]),
                                        **{k: decode(v) for k, v in call["kwargs"].items()})
        else:
            out = apply(call["op"], [deref(r) for r in call["inputs"]], call["attrs"],
                        name=call["name"])
        flat = [t for t in _flat(out) if isinstance(t, SymbolicTensor)]
        results.append(flat)
    outs = [deref(r) for r in spec["outputs"]]
    names_in = [i["name"] for i in spec["inputs"]]
    if spec["input_kind"] == "single":
        model_inputs = inputs[0]
    elif spec["input_kind"] == "dict":
        model_inputs = dict(zip(names_in, inputs))
    else:
        model_inputs = inputs
    if spec["output_kind"] == "single":
        model_outputs = outs[0]
    elif spec["output_kind"] == "dict":
        model_outputs = dict(zip(spec["output_names"], outs))
    else:
        model_outputs = outs
    model = model_cls(inputs=model_inputs, outputs=model_outputs, name=spec.get("name"))
    if weights:
        model.set_weights(weights)
    return model


def _flat(value) -> list:
    if isinstance(value, (list, tuple)):
        return [x for v in value for x in _flat(v)]
    if isinstance(value, dict):
        return [x for v in value.values() for x in _flat(v)]
    return [value]
