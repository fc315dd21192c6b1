"""Symbolic tensors and the op DAG they form.

A Keras-style functional model is recorded in Python first: every op applied to a
``SymbolicTensor`` creates a ``Node`` (op name, inputs, attributes, the user's file:line, the
layer that made it) and gets its output types from the C++ shape inference at once, so a bad
shape raises ``bronze.ShapeError`` on the user's line. ``bronze.Model`` later replays the DAG
into a C++ graph (``_bronze.Graph``); a layer's weights appear as ``WeightSource`` nodes keyed by
(layer, weight name), so a layer called twice shares one parameter.
"""

from __future__ import annotations

import itertools
import operator
import os
import sys
from typing import Any, Sequence

import numpy as np

from . import _bronze
from .errors import BronzeError, DTypeError

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_ids = itertools.count()


def user_location() -> str:
    """file:line of the innermost caller outside the bronze package."""
    frame = sys._getframe(1)
    while frame is not None:
        path = os.path.abspath(frame.f_code.co_filename)
        if not path.startswith(_PACKAGE_DIR + os.sep):
            return f"{os.path.basename(path)}:{frame.f_lineno}"
        frame = frame.f_back
    return ""


def at_user(error: BaseException) -> BaseException:
    """``error`` with bronze's own frames removed from its traceback; ``raise at_user(e) from
    None`` then shows the user's frames followed by only the one bronze frame that raises."""
    tb = error.__traceback__
    kept = []
    while tb is not None:
        path = os.path.abspath(tb.tb_frame.f_code.co_filename)
        if not path.startswith(_PACKAGE_DIR + os.sep):
            kept.append(tb)
        tb = tb.tb_next
    for a, b in zip(kept, kept[1:] + [None]):
        a.tb_next = b
    return error.with_traceback(kept[0] if kept else None)


class Node:
    """One op application in the symbolic DAG."""

    __slots__ = ("id", "op", "inputs", "attrs", "outputs", "location", "name")

    def __init__(self, op: str, inputs: Sequence["SymbolicTensor"], attrs: dict, name: str,
                 location: str):
        self.id = next(_ids)
        self.op = op
        self.inputs = list(inputs)
        self.attrs = dict(attrs)
        self.outputs: list[SymbolicTensor] = []
        self.location = location
        self.name = name


class Source:
    """A DAG leaf: a placeholder, a layer's weight or a constant."""

    __slots__ = ("id", "kind", "name", "value", "layer", "weight", "location")

    def __init__(self, kind: str, name: str, value=None, layer=None, weight: str = "",
                 location: str = ""):
        self.id = next(_ids)
        self.kind = kind  # "placeholder" | "weight" | "constant"
        self.name = name
        self.value = value
        self.layer = layer
        self.weight = weight
        self.location = location


class SymbolicTensor:
    """A value of a model under construction: dtype and shape known, data not.

    ``.shape`` holds ints and symbols: the batch dim given as ``None`` is ``"N"`` (repr shows
    None). Supports ``+ - * / ** @`` (also reversed, with NumPy arrays and Python scalars, which
    take the tensor's dtype), unary ``-``, ``abs()``, ``< > <= >=`` (bool tensors; ``==`` is
    identity, use ``bronze.ops.equal``), NumPy basic indexing (ints, slices with any step, None,
    ...), ``.flatten()``, ``.reshape()``, ``.transpose()``, ``.T``, ``.sum()``, ``.mean()``;
    every registered op is in ``bronze.ops``.
    """

    __array_priority__ = 1000  # numpy_array + tensor goes to our __radd__ (tested)

    def __init__(self, dtype: str, shape: tuple, producer: Node | Source, index: int = 0):
        self.dtype = dtype
        self.shape = tuple(shape)
        self.producer = producer
        self.index = index

    # ---- introspection ---------------------------------------------------------------------
    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def name(self) -> str:
        return self.producer.name

    def __repr__(self) -> str:
        shape = ", ".join("None" if d == "N" else str(d) for d in self.shape)
        return f"<SymbolicTensor {self.name} shape=({shape}) dtype={self.dtype}>"

    def __len__(self):
        raise TypeError("a symbolic tensor has no len(); use .shape")

    def __bool__(self):
        raise TypeError("a symbolic tensor has no truth value (it holds no data yet)")

    def __iter__(self):
        raise TypeError("a symbolic tensor is not iterable; index it (x[0]) or use split ops")

    # ---- arithmetic (NumPy broadcasting) -----------------------------------------------------
    def __add__(self, o): return apply("add", [self, o])
    def __radd__(self, o): return apply("add", [o, self])
    def __sub__(self, o): return apply("sub", [self, o])
    def __rsub__(self, o): return apply("sub", [o, self])
    def __mul__(self, o): return apply("mul", [self, o])
    def __rmul__(self, o): return apply("mul", [o, self])
    def __truediv__(self, o): return apply("div", [self, o])
    def __rtruediv__(self, o): return apply("div", [o, self])
    def __pow__(self, o): return apply("pow", [self, o])
    def __rpow__(self, o): return apply("pow", [o, self])
    def __matmul__(self, o): return apply("matmul", [self, o])
    def __rmatmul__(self, o): return apply("matmul", [o, self])
    def __neg__(self): return apply("neg", [self])
    def __pos__(self): return self
    def __abs__(self): return apply("abs", [self])
    def __lt__(self, o): return apply("less", [self, o])
    def __gt__(self, o): return apply("greater", [self, o])
    # a <= b as (a < b) or (a == b): false when either is NaN, as in NumPy (not(a > b) is not).
    def __le__(self, o): return _or_equal("less", self, o)
    def __ge__(self, o): return _or_equal("greater", self, o)
    # == and != stay Python's identity: model code keeps tensors in dicts, sets and lists (and
    # `x in list` calls ==). Element-wise equality is bronze.ops.equal(a, b).
    __eq__ = object.__eq__
    __ne__ = object.__ne__
    __hash__ = object.__hash__

    # ---- shape methods -----------------------------------------------------------------------
    def flatten(self, start_dim: int = 1, end_dim: int = -1) -> "SymbolicTensor":
        """Flattens dims ``start_dim``..``end_dim`` (inclusive) into one. The default start_dim
        is 1 (the batch dim stays, as in nn.Flatten); ``flatten(0)`` flattens everything, as
        torch.flatten(x)."""
        return apply("flatten", [self], {"start_dim": start_dim, "end_dim": end_dim})

    def reshape(self, *shape) -> "SymbolicTensor":
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return apply("reshape", [self], {"shape": tuple(shape)})

    def transpose(self, *perm) -> "SymbolicTensor":
        """``x.transpose()`` reverses the dims; ``x.transpose(0, 2, 1)`` permutes them;
        ``x.transpose(1, 2)`` (two dims of a rank > 2 tensor) swaps those two, as in PyTorch."""
        if len(perm) == 1 and isinstance(perm[0], (tuple, list)):
            perm = tuple(perm[0])
        n = self.ndim
        if not perm:
            perm = tuple(reversed(range(n)))
        elif len(perm) == 2 and n != 2:
            a, b = (p % n for p in perm)
            order = list(range(n))
            order[a], order[b] = order[b], order[a]
            perm = tuple(order)
        return apply("transpose", [self], {"perm": tuple(perm)})

    @property
    def T(self) -> "SymbolicTensor":
        return self.transpose()

    def sum(self, axis: int | Sequence[int] | None = None,
            keepdims: bool = False) -> "SymbolicTensor":
        """Sum over ``axis`` (an int, a sequence of ints, or None for every axis; ``()`` reduces
        nothing, as in NumPy), keeping reduced dims as size 1 with ``keepdims``."""
        if axis is not None and not isinstance(axis, int) and len(axis) == 0:
            return self
        return apply("reduce_sum", [self], _reduce_attrs(self, axis, keepdims))

    def mean(self, axis: int | Sequence[int] | None = None,
             keepdims: bool = False) -> "SymbolicTensor":
        """Mean over ``axis``, as :meth:`sum`."""
        if axis is not None and not isinstance(axis, int) and len(axis) == 0:
            return self
        return apply("reduce_mean", [self], _reduce_attrs(self, axis, keepdims))

    def __getitem__(self, key) -> "SymbolicTensor":
        return _getitem(self, key)


def _or_equal(op: str, a: Any, b: Any) -> SymbolicTensor:
    location = user_location()
    return apply("logical_or", [apply(op, [a, b], location=location),
                                apply("equal", [a, b], location=location)], location=location)


def _reduce_attrs(x: SymbolicTensor, axis, keepdims: bool) -> dict:
    if axis is None:
        axes = list(range(x.ndim))
    elif isinstance(axis, int):
        axes = [axis]
    else:
        axes = list(axis)
    return {"axes": axes, "keepdims": int(bool(keepdims))}


_INT64_MAX = 2**63 - 1
_INT64_MIN = -2**63


def _getitem(x: SymbolicTensor, key) -> SymbolicTensor:
    """NumPy basic indexing: ints (negative count from the end), slices (any non-zero step),
    None (a new size-1 dim) and one Ellipsis, as slice + squeeze + unsqueeze ops."""
    if not isinstance(key, tuple):
        key = (key,)
    ellipses = sum(k is Ellipsis for k in key)
    if ellipses > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    indexed = sum(k is not None and k is not Ellipsis for k in key)
    if indexed > x.ndim:
        raise IndexError(f"too many indices for a tensor of rank {x.ndim}: {indexed} given")
    if ellipses:
        i = key.index(Ellipsis)
        key = key[:i] + (slice(None),) * (x.ndim - indexed) + key[i + 1:]
    starts, ends, axes, steps, squeeze, unsqueeze = [], [], [], [], [], []
    dim = 0
    out_dim = 0
    for k in key:
        if k is None:
            unsqueeze.append(out_dim)
            out_dim += 1
            continue
        if isinstance(k, slice):
            start, stop, step = (None if v is None else _index(v) for v in (k.start, k.stop,
                                                                               k.step))
            step = 1 if step is None else step
            if step == 0:
                raise IndexError("slice step cannot be zero")
            if (start, stop, step) != (None, None, 1):
                if step > 0:
                    starts.append(0 if start is None else start)
                    ends.append(_INT64_MAX if stop is None else stop)
                else:
                    starts.append(-1 if start is None else start)
                    ends.append(_INT64_MIN if stop is None else stop)
                axes.append(dim)
                steps.append(step)
            out_dim += 1
        else:
            k = _index(k)
            size = x.shape[dim]
            if isinstance(size, int):
                if not -size <= k < size:
                    raise IndexError(f"index {k} is out of bounds for dim {dim} of size {size} "
                                     f"(tensor shape {_shape_text(x.shape)})")
                k %= size
            starts.append(k)
            ends.append(k + 1 if k != -1 else _INT64_MAX)
            axes.append(dim)
            steps.append(1)
            squeeze.append(dim)
        dim += 1
    y = x
    if axes:
        y = apply("slice", [y], {"starts": starts, "stops": ends, "axes": axes, "steps": steps})
    if squeeze:
        y = apply("squeeze", [y], {"axes": squeeze})
    if unsqueeze:
        y = apply("unsqueeze", [y], {"axes": unsqueeze})
    return y


def _index(k: Any) -> int:
    """An int index (Python or NumPy int, anything with __index__ but bool)."""
    if isinstance(k, (bool, np.bool_)):
        raise IndexError("boolean indexes (masks) are not supported; use bronze.ops.where")
    try:
        return operator.index(k)
    except TypeError:
        raise IndexError(f"unsupported index {k!r}: ints, slices of ints, None and ... are "
                         "supported (gather ops index by tensors)") from None


def _shape_text(shape: tuple) -> str:
    return "(" + ", ".join("None" if d == "N" else str(d) for d in shape) + ")"


# ---- the current layer scope (names and locations of the nodes a layer creates) --------------
_scope: list[str] = []


class name_scope:
    """Nodes created inside get names prefixed with the scope ("encoder/linear")."""

    def __init__(self, name: str):
        self.name = name

    def __enter__(self):
        _scope.append(self.name)
        return self

    def __exit__(self, *exc):
        _scope.pop()


def _scoped(name: str) -> str:
    return "/".join(_scope + [name]) if _scope else name


def as_tensor(value: Any, like: SymbolicTensor | None = None) -> SymbolicTensor:
    """A symbolic tensor for ``value``: itself, or a constant (Python numbers take the dtype of
    ``like``, the other operand, as in PyTorch)."""
    if isinstance(value, SymbolicTensor):
        return value
    if isinstance(value, (bool, int, float)) and like is not None:
        _check_scalar(value, like)
        array = np.asarray(value, dtype=like.dtype)
    else:
        array = np.asarray(value)
        if array.dtype == np.float64 and like is not None and like.dtype != "float64":
            array = array.astype(like.dtype)
    source = Source("constant", _scoped("const"), value=array, location=user_location())
    return SymbolicTensor(str(array.dtype), array.shape, source)


def _check_scalar(value: bool | int | float, like: SymbolicTensor) -> None:
    """A Python scalar takes the other operand's dtype; refuses one that would change value
    (0.5 in an int32 tensor's op would silently become 0)."""
    kind = np.dtype(like.dtype).kind
    ok = (kind in "fc" or (kind in "iu" and not isinstance(value, float))
          or (kind == "b" and isinstance(value, bool)))
    if not ok:
        raise at_user(DTypeError(
            f"the Python {type(value).__name__} {value!r} cannot take the dtype {like.dtype} of "
            f"the other operand {like.name!r} without changing value (no implicit promotion): "
            f"cast the tensor first (bronze.ops.cast(x, dtype=...)) (at {user_location()})"))


def apply(op: str, inputs: Sequence[Any], attrs: dict | None = None, name: str | None = None,
          location: str | None = None):
    """Applies ``op`` to ``inputs`` symbolically: checks and infers output types now (raising
    the op's error at the user's line) and records a Node. Returns one SymbolicTensor, or a
    tuple for several outputs."""
    attrs = {k: v for k, v in (attrs or {}).items() if v is not None}
    like = next((i for i in inputs if isinstance(i, SymbolicTensor)), None)
    tensors = [as_tensor(i, like) for i in inputs]
    location = user_location() if location is None else location
    node_name = _scoped(name or op)
    try:
        types = _bronze.infer_types(op, [(t.dtype, t.shape) for t in tensors], attrs, node_name,
                                    location)
    except BronzeError as e:
        raise at_user(e) from None
    node = Node(op, tensors, attrs, node_name, location)
    node.outputs = [SymbolicTensor(d, s, node, i) for i, (d, s) in enumerate(types)]
    return node.outputs[0] if len(node.outputs) == 1 else tuple(node.outputs)
