"""Model.summary(): a Keras-style table with one row per top-level layer call (or op applied
between layers): output shape, parameters, FLOPs per sample (from the op shapes: 2 per
multiply-add) and activation bytes per sample (the row's outputs), then totals. Symbolic dims
count as 1 (per sample)."""

from __future__ import annotations

import numpy as np

from ._tensor import Node, Source, SymbolicTensor


def _numel(shape) -> int:
    n = 1
    for d in shape:
        n *= d if isinstance(d, int) else 1
    return n


def node_flops(node: Node) -> int:
    """FLOPs of one op node per sample, from its input and output shapes."""
    out = node.outputs[0]
    n_out = _numel(out.shape)
    ins = node.inputs
    op = node.op
    if op == "linear":
        return 2 * n_out * _numel(ins[0].shape[-1:])
    if op == "matmul":
        a = ins[0]
        k = a.shape[-2] if node.attrs.get("transpose_a") else a.shape[-1]
        return 2 * n_out * _numel([k])
    if op == "conv2d":
        w = ins[1].shape
        return 2 * n_out * _numel(w[1:])
    if op == "conv_transpose2d":
        w = ins[1].shape
        return 2 * _numel(ins[0].shape) * _numel(w[1:])
    if op == "scaled_dot_product_attention":
        q, k = ins[0].shape, ins[1].shape
        return 2 * _numel(q) * _numel(k[-2:-1]) + 2 * n_out * _numel(k[-2:-1])
    if op in ("max_pool2d", "avg_pool2d"):
        return n_out * _numel(node.attrs.get("kernel_size", [1]) * (
            2 if len(node.attrs.get("kernel_size", [1])) == 1 else 1))
    if op in ("batch_norm", "layer_norm", "softmax", "log_softmax"):
        return 5 * _numel(ins[0].shape)
    if op in ("reshape", "flatten", "transpose", "squeeze", "unsqueeze", "slice", "concat",
              "expand", "stop_gradient"):
        return 0
    return n_out


def _row_nodes(outputs: list[SymbolicTensor], stop: set[int]) -> list[Node]:
    """Op nodes computing ``outputs`` back to the tensors in ``stop`` (ids) and sources."""
    seen: dict[int, Node] = {}
    stack = [t for t in outputs]
    while stack:
        t = stack.pop()
        if id(t) in stop or isinstance(t.producer, Source) or id(t.producer) in seen:
            continue
        seen[id(t.producer)] = t.producer
        stack.extend(t.producer.inputs)
    return list(seen.values())


def _rows(model):
    """(name, class, output tensors, params, nodes) per top-level call, topological order."""
    rows, done = [], set()
    counted_layers: set[int] = set()

    from .layers.containers import Sequential  # noqa: PLC0415

    def visit(t: SymbolicTensor, skip: frozenset = frozenset()):
        calls = [c for c in getattr(t, "_calls", []) if id(c[0]) not in skip]
        if calls:
            record = calls[-1][0]
            if id(record) in done:
                return
            done.add(id(record))
            for i in record.input_tensors():
                visit(i)
            layer = record.layer
            if isinstance(layer, Sequential):  # one row per layer of the stack, as Keras
                for o in record.outputs:
                    visit(o, skip | {id(record)})
                return
            params = 0 if id(layer) in counted_layers else layer.count_params()
            counted_layers.add(id(layer))
            stop = {id(i) for i in record.input_tensors()}
            rows.append((layer.name, type(layer).__name__, record.outputs, params,
                         _row_nodes(record.outputs, stop)))
            return
        p = t.producer
        if isinstance(p, Source) or id(p) in done or hasattr(t, "_calls"):
            return
        done.add(id(p))
        for i in p.inputs:
            visit(i)
        rows.append((p.name, p.op, p.outputs, 0, [p]))

    for t in model.outputs:
        visit(t)
    return rows


def _shape(t: SymbolicTensor) -> str:
    return "(" + ", ".join("None" if d == "N" else str(d) for d in t.shape) + \
        ("," if len(t.shape) == 1 else "") + ")"


def _human(n: float, unit: str = "") -> str:
    for suffix in ("", "K", "M", "G", "T"):
        if abs(n) < 1000 or suffix == "T":
            return (f"{n:.0f}" if suffix == "" else f"{n:.2f}{suffix}") + unit
        n /= 1000
    return str(n)


def summary_table(model) -> str:
    rows = _rows(model)
    table = [("Layer (type)", "Output shape", "Param #", "FLOPs", "Activations")]
    total_flops = total_act = 0
    for name, kind, outs, params, nodes in rows:
        flops = sum(node_flops(n) for n in nodes)
        act = sum(_numel(t.shape) * np.dtype(t.dtype).itemsize for t in outs)
        total_flops += flops
        total_act += act
        table.append((f"{name} ({kind})", ", ".join(_shape(t) for t in outs), f"{params:,}",
                      _human(flops), _human(act, "B")))
    widths = [max(len(r[i]) for r in table) for i in range(5)]
    line = "=" * (sum(widths) + 8)
    fmt = "  ".join("{:<%d}" % w for w in widths)
    out = [f'Model: "{model.name}"', line, fmt.format(*table[0]), line]
    out += [fmt.format(*r) for r in table[1:]]
    trainable = model.count_params()
    state = int(sum(a.size for a in model.state().values()))
    out += [line, f"Total params: {trainable + state:,}", f"Trainable params: {trainable:,}",
            f"Non-trainable params: {state:,}",
            f"FLOPs per sample: {_human(total_flops)} ({total_flops:,})",
            f"Activation memory per sample: {_human(total_act, 'B')} ({total_act:,} bytes)", line]
    return "\n".join(out)
