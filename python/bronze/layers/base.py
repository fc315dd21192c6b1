"""The Layer base class and Placeholder.

A layer is a Python object holding its configuration and its weights (NumPy arrays with
PyTorch's layouts). Called on symbolic tensors it records ops (``call``), creating its weights
on the first call from the input shapes (``build``), so input sizes are inferred as in the
TorchX seed. Called on NumPy arrays it runs eagerly (traced once per input signature into a
small model). A layer called twice shares its weights: both calls read the same weight sources,
which become one parameter of the model graph.
"""

from __future__ import annotations

import inspect
import itertools
import re
from collections import OrderedDict
from typing import Any

import numpy as np

from .. import _tensor
from .._tensor import Source, SymbolicTensor, name_scope, user_location
from ..errors import BronzeError

_name_counters: dict[str, itertools.count] = {}
_weights_version = itertools.count(1)
_current_version = [0]  # bumped whenever a weight array is replaced or trained


def weights_version() -> int:
    return _current_version[0]


def bump_weights_version() -> None:
    _current_version[0] = next(_weights_version)


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def unique_layer_name(base: str) -> str:
    counter = _name_counters.setdefault(base, itertools.count())
    i = next(counter)
    return base if i == 0 else f"{base}_{i}"


_rng = [np.random.default_rng(0)]


def seed(value: int) -> None:
    """Seeds the generator that initializes layer weights (and shuffles in fit)."""
    _rng[0] = np.random.default_rng(value)


def rng() -> np.random.Generator:
    return _rng[0]


class Layer:
    """Base class: subclasses implement ``build(*input_tensors)`` (create weights with
    ``add_weight``) and ``call(*inputs, **kwargs)`` (ops on symbolic tensors)."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is None:
            return
        signature = inspect.signature(init)

        def wrapped(self, *args, **kw):
            if not hasattr(self, "_config"):  # the outermost __init__ records the arguments
                bound = signature.bind(self, *args, **kw)
                bound.apply_defaults()
                config = dict(bound.arguments)
                config.pop("self", None)
                for k, v in list(config.items()):
                    if signature.parameters[k].kind is inspect.Parameter.VAR_KEYWORD:
                        config.update(config.pop(k))
                object.__setattr__(self, "_config", config)
            init(self, *args, **kw)

        wrapped.__signature__ = signature
        wrapped.__doc__ = init.__doc__
        cls.__init__ = wrapped

    def __init__(self, name: str | None = None):
        object.__setattr__(self, "_weights", OrderedDict())
        object.__setattr__(self, "_trainable", {})
        object.__setattr__(self, "_sources", {})
        object.__setattr__(self, "built", False)
        object.__setattr__(self, "name", name or unique_layer_name(_snake(type(self).__name__)))
        object.__setattr__(self, "_eager", {})

    # ---- weights -----------------------------------------------------------------------------
    def add_weight(self, name: str, value: np.ndarray, trainable: bool = True) -> None:
        """Creates weight ``name`` (a parameter, or non-trained state such as running stats)."""
        self._weights[name] = np.ascontiguousarray(value)
        self._trainable[name] = trainable
        bump_weights_version()

    def weight_tensor(self, name: str) -> SymbolicTensor:
        """The symbolic tensor reading weight ``name`` (one source per weight: calls share it)."""
        if name not in self._sources:
            array = self._weights[name]
            kind = "weight" if self._trainable[name] else "state"
            source = Source(kind, f"{self.name}/{name}", layer=self, weight=name,
                            location=user_location())
            self._sources[name] = SymbolicTensor(str(array.dtype), array.shape, source)
        return self._sources[name]

    def __getattr__(self, key: str):
        weights = self.__dict__.get("_weights")
        if weights is not None and key in weights:
            return weights[key]
        raise AttributeError(f"{type(self).__name__!s} has no attribute {key!r}")

    def __setattr__(self, key: str, value: Any) -> None:
        weights = self.__dict__.get("_weights")
        if weights is not None and key in weights:
            old = weights[key]
            new = np.asarray(value, dtype=old.dtype)
            if new.shape != old.shape:
                raise ValueError(f"{self.name}.{key}: expected shape {old.shape}, got {new.shape}")
            weights[key] = np.ascontiguousarray(new).copy()
            bump_weights_version()
            return
        object.__setattr__(self, key, value)

    def weights(self) -> "OrderedDict[str, np.ndarray]":
        """This layer's weights by name (parameters and state)."""
        return OrderedDict(self._weights)

    def trainable(self, name: str) -> bool:
        return self._trainable[name]

    def sublayers(self) -> list["Layer"]:
        """Layers this one is made of (containers override)."""
        return []

    # ---- calling -----------------------------------------------------------------------------
    def build(self, *inputs: SymbolicTensor) -> None:
        """Creates the weights from the first call's input tensors (shapes known)."""

    def call(self, *inputs, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} does not implement call()")

    def __call__(self, *inputs, **kwargs):
        symbolic = any(isinstance(x, SymbolicTensor) for x in _flatten(inputs))
        if not symbolic:
            return self._call_eager(*inputs, **kwargs)
        # A sublayer named "<parent>/<part>" called inside its parent's scope scopes as "<part>".
        prefix = "/".join(_tensor._scope) + "/"
        scope = self.name[len(prefix):] if _tensor._scope and self.name.startswith(prefix) \
            else self.name
        try:
            with name_scope(scope):
                if not self.built:
                    self.build(*inputs)
                    object.__setattr__(self, "built", True)
                outputs = self.call(*inputs, **kwargs)
        except BronzeError as e:
            raise _tensor.at_user(e) from None
        record_call(self, inputs, kwargs, outputs)
        return outputs

    def _call_eager(self, *arrays, **kwargs):
        """Runs the layer on NumPy arrays: traced once per input signature (batch dim symbolic)
        into a Model, then run."""
        from ..model import Model  # noqa: PLC0415 - model imports layers

        # Positional lists/tuples of arrays (Concat([a, b])) keep their structure.
        structure = [len(a) if isinstance(a, (list, tuple)) else -1 for a in arrays]
        flat = [np.asarray(x) for a in arrays
                for x in (a if isinstance(a, (list, tuple)) else [a])]

        def hashable(v):
            if isinstance(v, np.ndarray):
                return ("array", v.dtype.str, v.shape, v.tobytes())
            return v if not isinstance(v, (list, dict)) else repr(v)

        key = tuple((a.dtype.str, a.shape[1:]) for a in flat) + (tuple(structure),) + \
            (tuple(sorted((k, hashable(v)) for k, v in kwargs.items())),)
        model = self._eager.get(key)
        if model is None:
            inputs = [Placeholder((None,) + a.shape[1:], dtype=str(a.dtype)) for a in flat]
            args, i = [], 0
            for n in structure:
                args.append(inputs[i] if n < 0 else inputs[i:i + n])
                i += 1 if n < 0 else n
            model = Model(inputs=inputs, outputs=self(*args, **kwargs))
            self._eager[key] = model
        return model(*flat)

    # ---- architecture ------------------------------------------------------------------------
    def get_config(self) -> dict:
        """The constructor arguments (JSON-serializable) that rebuild this layer."""
        return dict(getattr(self, "_config", {}), name=self.name)

    def count_params(self) -> int:
        return int(sum(w.size for n, w in self._weights.items() if self._trainable[n]))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "name")
        return f"{type(self).__name__}({args})"


class LayerCall:
    """One call of a layer on symbolic tensors: the arguments (tensors inside lists/dicts kept
    in place), the keyword arguments and the flat list of output tensors. The outputs carry it
    as ``tensor._call = (record, index)`` (the outermost call wins), so specs and summaries see
    the model as layer calls instead of ops."""

    __slots__ = ("layer", "args", "kwargs", "outputs")

    def __init__(self, layer: "Layer", args: tuple, kwargs: dict, outputs: list):
        self.layer, self.args, self.kwargs, self.outputs = layer, args, kwargs, outputs

    def input_tensors(self) -> list[SymbolicTensor]:
        return [t for t in _flatten([self.args, self.kwargs]) if isinstance(t, SymbolicTensor)]


def record_call(layer: "Layer", args: tuple, kwargs: dict, outputs) -> None:
    flat = [t for t in _flatten([outputs]) if isinstance(t, SymbolicTensor)]
    inputs = {id(t) for t in _flatten([args, kwargs]) if isinstance(t, SymbolicTensor)}
    record = LayerCall(layer, tuple(args), dict(kwargs), flat)
    for i, t in enumerate(flat):
        if id(t) not in inputs:
            t._call = (record, i)
            t.__dict__.setdefault("_calls", []).append((record, i))  # innermost first


def _flatten(items) -> list:
    out = []
    for x in items:
        if isinstance(x, (list, tuple)):
            out.extend(_flatten(x))
        elif isinstance(x, dict):
            out.extend(_flatten(list(x.values())))
        else:
            out.append(x)
    return out


_placeholder_counter = itertools.count()


def Placeholder(shape, dtype: str = "float32", name: str | None = None) -> SymbolicTensor:
    """A model input: ``shape`` is a tuple whose ``None`` dims are the symbolic batch dim (or
    symbols such as ``"T"``); ``dtype`` a NumPy dtype name."""
    dtype = str(np.dtype(dtype))
    if name is None:
        i = next(_placeholder_counter)
        name = "input" if i == 0 else f"input_{i}"
    shape = tuple("N" if d is None else d for d in shape)
    for d in shape:
        if not isinstance(d, (int, np.integer, str)) or (isinstance(d, (int, np.integer)) and d < 0):
            raise ValueError(f"Placeholder {name!r}: bad dim {d!r} in shape {shape} "
                             "(non-negative ints, None for the batch dim, or symbol names)")
    shape = tuple(int(d) if isinstance(d, (int, np.integer)) else d for d in shape)
    source = Source("placeholder", name, value=(dtype, shape), location=user_location())
    return SymbolicTensor(dtype, shape, source)
