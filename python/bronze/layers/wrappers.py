"""Wrapper layers: Lambda (a Python function over symbolic tensors) and TimeDistributed (a layer
applied to every time step of (N, T, ...) inputs). A Lambda's function can be stored in a spec
only by reference: a name given to ``register_function``, or an importable module-level
function ("module:qualname")."""

from __future__ import annotations

import importlib
from typing import Callable

from ..errors import ShapeError
from ._init import fmt_shape
from .base import Layer

_FUNCTIONS: dict[str, Callable] = {}


def register_function(name: str, fn: Callable | None = None):
    """Registers ``fn`` under ``name`` so a Lambda wrapping it can be saved in a spec and rebuilt
    by from_spec. Usable as a decorator: ``@register_function("scale2")``."""
    def register(f: Callable) -> Callable:
        _FUNCTIONS[name] = f
        return f
    return register if fn is None else register(fn)


def function_reference(fn: Callable) -> str:
    """The name a spec stores for ``fn``, or a ValueError explaining how to make one."""
    for name, f in _FUNCTIONS.items():
        if f is fn:
            return name
    module, qualname = getattr(fn, "__module__", None), getattr(fn, "__qualname__", "")
    if module and "<" not in qualname and module != "__main__":
        try:
            if _resolve(f"{module}:{qualname}") is fn:
                return f"{module}:{qualname}"
        except (ImportError, AttributeError):
            pass
    raise ValueError(f"Lambda function {fn!r} cannot be stored in a spec: a spec holds functions "
                     "by reference only. Register it with bronze.layers.register_function("
                     "'name', fn) (before from_spec too), or use a module-level function of an "
                     "importable module")


def _resolve(reference: str) -> Callable:
    if reference in _FUNCTIONS:
        return _FUNCTIONS[reference]
    if ":" not in reference:
        raise ValueError(f"Lambda function {reference!r} is not registered: call "
                         f"bronze.layers.register_function({reference!r}, fn) first")
    module, qualname = reference.split(":", 1)
    obj = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


class Lambda(Layer):
    """Wraps ``function(*tensors, **arguments)`` over symbolic tensors as a layer (no weights).
    ``function`` may be a callable or a reference string (a registered name or
    "module:qualname")."""

    def __init__(self, function, arguments: dict | None = None, name: str | None = None):
        super().__init__(name=name)
        self.function = _resolve(function) if isinstance(function, str) else function
        if not callable(self.function):
            raise TypeError(f"Lambda: function must be callable, got {function!r}")
        self.arguments = dict(arguments or {})

    def call(self, *inputs):
        return self.function(*inputs, **self.arguments)

    def get_config(self) -> dict:
        return {"function": function_reference(self.function), "arguments": self.arguments,
                "name": self.name}


class TimeDistributed(Layer):
    """Applies ``layer`` to every time step: (N, T, ...) is reshaped to (N*T, ...), the layer
    applied, and the result reshaped back to (N, T, ...). The wrapped layer's weights are shared
    by all steps."""

    def __init__(self, layer: Layer, name: str | None = None):
        super().__init__(name=name)
        if not isinstance(layer, Layer):
            raise TypeError(f"TimeDistributed wraps a Layer, got {type(layer).__name__}")
        self.layer = layer

    def sublayers(self) -> list[Layer]:
        return [self.layer]

    def count_params(self) -> int:
        return self.layer.count_params()

    def call(self, x):
        if x.ndim < 3:
            raise ShapeError(f"{self.name} (TimeDistributed): expected input of shape (N, T, ...), "
                             f"got {fmt_shape(x.shape)}")
        n, t = x.shape[0], x.shape[1]
        steps = x.reshape((-1,) + tuple(x.shape[2:]))
        y = self.layer(steps)
        return y.reshape((n, t) + tuple(y.shape[1:]))

    def get_config(self) -> dict:
        from ..spec import layer_to_spec  # noqa: PLC0415 - spec imports layers
        return {"layer": layer_to_spec(self.layer), "name": self.name}
