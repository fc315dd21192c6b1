"""Training utilities from the TorchX module extras: clip_grad_value (on a gradient dict) and
soft_update (Polyak averaging of one model's parameters into another's)."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from .layers.base import bump_weights_version


def clip_grad_value(grads: dict, clip_value: float) -> "OrderedDict[str, np.ndarray]":
    """A new dict with every gradient clamped to [-clip_value, clip_value] (NumPy clip)."""
    if clip_value < 0:
        raise ValueError(f"clip_value must be >= 0, got {clip_value}")
    return OrderedDict((k, np.clip(g, -clip_value, clip_value)) for k, g in grads.items())


def _parameter_slots(obj) -> list:
    """(layer, weight name) of every trainable parameter of a Model or a Layer, in order."""
    sources = getattr(obj, "_weight_sources", None)
    if sources is not None:
        return [(s.layer, s.weight) for s in sources if s.kind == "weight"]
    return [(obj, n) for n in obj._weights if obj.trainable(n)]


def soft_update(target, source, tau: float) -> None:
    """target parameters = tau * source + (1 - tau) * target, pairing the parameters of two
    models (or layers) of the same architecture in order (TorchX's soft_update). Only
    parameters: state such as batch-norm running statistics is left as it is."""
    if not 0.0 <= tau <= 1.0:
        raise ValueError(f"tau must be in [0, 1], got {tau}")
    t_slots, s_slots = _parameter_slots(target), _parameter_slots(source)
    if len(t_slots) != len(s_slots):
        raise ValueError(f"soft_update: target has {len(t_slots)} parameters, source "
                         f"{len(s_slots)}")
    for (tl, tw), (sl, sw) in zip(t_slots, s_slots):
        t, s = tl._weights[tw], sl._weights[sw]
        if t.shape != s.shape:
            raise ValueError(f"soft_update: {tl.name}/{tw} is {t.shape}, {sl.name}/{sw} is "
                             f"{s.shape}")
    for (tl, tw), (sl, sw) in zip(t_slots, s_slots):
        t, s = tl._weights[tw], sl._weights[sw]
        tl._weights[tw] = (tau * s + (1.0 - tau) * t).astype(t.dtype)
    bump_weights_version()
