"""Every registered op as a function over symbolic tensors, generated from the C++ op registry
(not a second hand-written list): ``bronze.ops.relu(x)``, ``bronze.ops.conv2d(x, w, b,
stride=[2, 2])``. Positional arguments are the op's inputs (symbolic tensors, NumPy arrays or
Python numbers, which become constants); keyword arguments are its attributes, with the
defaults and meaning given in each function's docstring and in docs/ops.md. ``name=`` names the
node. ``bronze.ops.schema("conv2d")`` returns the op's schema as a dict.
"""

from __future__ import annotations

from . import _bronze
from ._tensor import apply

_SCHEMAS = {s["name"]: s for s in _bronze.op_schemas()}


def schema(op: str) -> dict:
    """The registry's schema of ``op``: name, id, doc, inputs, attrs (name, type, default)."""
    return dict(_SCHEMAS[op])


def names() -> list[str]:
    """The names of every op callable from this module (source ops excluded)."""
    return sorted(n for n, s in _SCHEMAS.items() if not s["is_source"])


def _doc(s: dict) -> str:
    lines = [s["doc"], "", f"Inputs: {', '.join(s['inputs']) or '(none)'}."]
    if s["attrs"]:
        lines.append("Attributes:")
        for a in s["attrs"]:
            default = "required" if a["required"] else f"default {a['default']!r}"
            lines.append(f"    {a['name']} ({a['type']}, {default})")
    return "\n".join(lines)


def _make(s: dict):
    op_name = s["name"]

    def op(*inputs, name: str | None = None, **attrs):
        return apply(op_name, inputs, attrs, name=name)

    op.__name__ = op.__qualname__ = op_name
    op.__doc__ = _doc(s)
    return op


for _name in names():
    globals()[_name] = _make(_SCHEMAS[_name])
del _name

__all__ = names() + ["schema", "names"]
