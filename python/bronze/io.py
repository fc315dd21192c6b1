"""Saving and loading models as .bronze files (the FlatBuffers format of serialization/, read by
the C++ API and the `bronze` command line with no Python).

``model.save(path)`` writes the inference graph with its weights and, in the metadata, the
model's architecture spec (``to_spec``), so ``bronze.load(path)`` gives back a full
``bronze.Model`` with its layers. A model whose spec cannot be written (a Lambda over an
unregistered function) is saved without it; loading such a file gives a ``LoadedModel``: callable
on NumPy arrays, with its parameters and metadata, but no layers.
"""

from __future__ import annotations

import json
from collections import OrderedDict

import numpy as np

from . import _bronze

SPEC_KEY = "bronze.spec"


def save_model(model, path: str, metadata: dict | None = None) -> None:
    """Writes ``model`` (inference graph, weights, spec and ``metadata`` strings) to ``path``
    atomically (a crash leaves the old file or the new one)."""
    meta = {str(k): str(v) for k, v in (metadata or {}).items()}
    try:
        meta[SPEC_KEY] = json.dumps(model.to_spec())
    except (TypeError, ValueError) as e:
        meta["bronze.spec_missing"] = str(e)
    model.build_graph().save(str(path), meta)


class LoadedModel:
    """A model loaded from a .bronze file without an architecture spec: runs on NumPy arrays."""

    def __init__(self, graph: "_bronze.Graph", metadata: dict):
        self._graph = graph
        self.metadata = dict(metadata)
        self.input_names = [name for name, _, _ in graph.inputs()]
        self.output_names = graph.output_names()
        self._session = None

    def parameters(self) -> "OrderedDict[str, np.ndarray]":
        return OrderedDict(self._graph.values())

    def __call__(self, *arrays):
        if self._session is None:
            self._session = _bronze.Session(self._graph)
        if len(arrays) == 1 and isinstance(arrays[0], dict):
            feed = arrays[0]
        else:
            if len(arrays) != len(self.input_names):
                raise ValueError(f"model takes {len(self.input_names)} input(s) "
                                 f"{self.input_names}, got {len(arrays)}")
            feed = dict(zip(self.input_names, arrays))
        out = self._session.run({k: np.asarray(v) for k, v in feed.items()})
        outs = [out[n] for n in self.output_names]
        return outs[0] if len(outs) == 1 else outs

    def save(self, path: str) -> None:
        self._graph.save(str(path), {k: v for k, v in self.metadata.items()
                                     if k not in ("producer", "bronze_version")})


def load(path: str):
    """Loads a .bronze file: a ``bronze.Model`` when the file carries its spec (files written by
    ``model.save``), else a ``LoadedModel``. Raises ``bronze.FormatError`` (with ``load_code``
    and ``field_path``) for a damaged or hostile file, ``bronze.IOError`` when unreadable."""
    from .model import Model  # noqa: PLC0415 - model imports io

    graph, metadata = _bronze.load(str(path))
    spec = metadata.get(SPEC_KEY)
    if spec is None:
        return LoadedModel(graph, metadata)
    model = Model.from_spec(json.loads(spec), weights=graph.values())
    model.metadata = dict(metadata)
    return model
