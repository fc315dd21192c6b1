"""Type stubs for bronze._bronze, the pybind11 extension (python/src/module.cc): a graph builder
(Graph), compiled sessions (Session), compiled training steps (Trainer), the op registry
(op_schemas), stand-alone shape inference (infer_types) and .bronze files (load, Graph.save).

Conventions of the bindings:
  * dtypes are NumPy names ("float32", "int64", "bool", ...); where a dtype is taken, a NumPy
    dtype or scalar type (np.float32) works too;
  * shapes are tuples of ints and symbolic dims: None (the batch dim, "N") or a string ("N",
    "N*T"); shapes returned hold ints and strings;
  * arrays are NumPy arrays (anything np.asarray accepts on input); inputs are viewed without a
    copy when C-contiguous, aligned and of a supported dtype;
  * errors of the C++ core arrive as the exceptions of bronze.errors.
Tests (tests/python/test_stubs.py) check that every public name of the extension is here and
vice versa.
"""

from typing import Any, Mapping, Sequence, Union

import numpy as np
import numpy.typing as npt

# A dimension as the bindings accept it: an int, None (the batch dim) or a symbol ("N*T").
_Dim = Union[int, str, None]
_ShapeIn = Union[int, Sequence[_Dim]]
# A shape as the bindings return it: ints for static dims, strings for symbolic ones.
_ShapeOut = tuple[Union[int, str], ...]
_DTypeIn = Union[str, np.dtype[Any], type]
# (name, dtype, shape) of a graph input or output.
_TensorSpec = tuple[str, str, _ShapeOut]

__version__: str


def op_schemas() -> list[dict[str, Any]]:
    """Every registered op's schema as a dict: name, id, doc, inputs, min_inputs, max_inputs,
    num_outputs, attrs (list of {name, type, required, default}), differentiable, is_source,
    has_side_effects."""


def infer_types(op: str, inputs: list[tuple[_DTypeIn, _ShapeIn]], attrs: dict[str, Any],
                name: str = "", location: str = "") -> list[tuple[str, _ShapeOut]]:
    """Output (dtype, shape) pairs of ``op`` on inputs given as (dtype, shape) pairs; raises the
    op's ShapeError / DTypeError / AttributeValueError naming ``name`` and ``location``."""


def load(path: str) -> tuple["Graph", dict[str, str]]:
    """Loads a .bronze file: (Graph, metadata dict). Raises FormatError."""


def save_checkpoint(path: str, tensors: Mapping[str, npt.ArrayLike], step: int,
                    metadata: Mapping[str, str] = ...) -> None:
    """Writes a checkpoint file atomically (temp file, fsync, rename). Raises IOError."""


def load_checkpoint(path: str) -> tuple[dict[str, np.ndarray], int, dict[str, str]]:
    """Reads a checkpoint: (tensors dict, step, metadata dict). Raises FormatError."""


class Value:
    """An output of a graph node: (node id, output index). Made by Graph methods only."""

    @property
    def node(self) -> int: ...
    @property
    def index(self) -> int: ...
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...
    def __repr__(self) -> str: ...


class Graph:
    """A graph under construction: every op is checked and typed as it is added."""

    def __init__(self, name: str = "main") -> None: ...
    @property
    def name(self) -> str: ...
    def placeholder(self, name: str, dtype: _DTypeIn, shape: _ShapeIn) -> Value: ...
    def parameter(self, name: str, value: npt.ArrayLike) -> Value:
        """A trainable weight initialized with a copy of ``value``."""
    def state(self, name: str, value: npt.ArrayLike) -> Value:
        """Non-trainable state (e.g. running statistics) initialized with a copy of ``value``."""
    def constant(self, value: npt.ArrayLike, name: str = "") -> Value: ...
    def op(self, op: str, inputs: Sequence[Value], attrs: Mapping[str, Any] = ...,
           name: str = "", location: str = "") -> list[Value]:
        """Adds a node of ``op`` (names already used get a suffix); returns its outputs."""
    def output(self, name: str, value: Value, /) -> None: ...
    def type(self, value: Value, /) -> tuple[str, _ShapeOut]: ...
    def node_name(self, value: Value, /) -> str: ...
    def push_scope(self, scope: str, /) -> None: ...
    def pop_scope(self) -> None: ...
    def parameters(self) -> list[str]: ...
    def output_names(self) -> list[str]: ...
    def num_nodes(self) -> int: ...
    def inputs(self) -> list[_TensorSpec]:
        """(name, dtype, shape) of every placeholder, in graph order."""
    def values(self) -> dict[str, np.ndarray]:
        """The initial values of every parameter and state node, by name (copies)."""
    def save(self, path: str, metadata: Mapping[str, str] = ...) -> None:
        """Writes the graph and its weights as a .bronze file (atomically)."""
    def text(self, elide_data: bool = True) -> str: ...
    def dot(self) -> str: ...
    def verify(self) -> None: ...
    def set_training(self, training: bool, /) -> None: ...
    def add_gradients(self, loss: str, wrt: Sequence[str]) -> list[str]:
        """Appends the backward graph of output ``loss`` and outputs grad/<name> for each name in
        ``wrt`` (zeros where the loss does not depend on it); returns those output names."""


class Session:
    """A graph compiled once and run on NumPy arrays (the GIL is released while kernels run)."""

    def __init__(self, graph: Graph, threads: int = 0, pipeline: str = "",
                 pass_options: str = "", backend: str = "", device: str = "cpu") -> None: ...
    def run(self, inputs: Mapping[str, npt.ArrayLike]) -> dict[str, np.ndarray]: ...
    def parameter(self, name: str, /) -> np.ndarray: ...
    def set_parameter(self, name: str, value: npt.ArrayLike, /) -> None: ...
    @property
    def inputs(self) -> list[_TensorSpec]: ...
    @property
    def outputs(self) -> list[_TensorSpec]: ...
    @property
    def threads(self) -> int: ...
    @property
    def num_compiles(self) -> int: ...
    def explain(self, input_dims: list[list[int]] = ...) -> str: ...
    def graph_text(self) -> str: ...


class Trainer:
    """A compiled training step: forward, loss, backward and the optimizer's update in place.
    ``optimizer`` is a dict: {"kind": "sgd" | "adam" | "adamw" | "rmsprop" | "adagrad", "lr": ...,
    and the optimizer's PyTorch hyperparameters ("momentum", "betas", "eps", "weight_decay",
    ...)}."""

    def __init__(self, graph: Graph, optimizer: Mapping[str, Any], loss: str = "loss",
                 clip_value: float = 0.0, clip_norm: float = 0.0, threads: int = 0) -> None: ...
    def step(self, batch: Mapping[str, npt.ArrayLike]) -> dict[str, np.ndarray]: ...
    def parameter(self, name: str, /) -> np.ndarray: ...
    def state(self) -> dict[str, np.ndarray]: ...
    def restore(self, state: Mapping[str, npt.ArrayLike], step: int) -> None: ...
    @property
    def parameters(self) -> list[str]: ...
    @property
    def steps(self) -> int: ...
    @property
    def learning_rate(self) -> float: ...
    def set_learning_rate(self, lr: float) -> None: ...
