"""Sequential: layers applied one after another (torch.nn.Sequential), input sizes inferred.
It builds lazily: called on NumPy data it traces itself once per input signature (as the TorchX
seed's Sequential), called on a symbolic tensor (a Placeholder) it records its layers' ops.
``to_model(input)`` gives the equivalent bronze.Model (for summary, training, specs)."""

from __future__ import annotations

from typing import Iterator

from ..errors import BronzeError
from .base import Layer


class Sequential(Layer):
    """``Sequential(L.Conv2d(20, 5), L.ReLU(), ...)``; ``add(layer)``, ``seq[i]``, ``len(seq)``,
    iteration. Parameters are those of its layers, ordered."""

    def __init__(self, *layers: Layer, name: str | None = None):
        super().__init__(name=name)
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        object.__setattr__(self, "_layers", [])
        for layer in layers:
            self.add(layer)
        self.built = True

    def add(self, layer: Layer) -> "Sequential":
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add takes a Layer, got {type(layer).__name__}")
        self._layers.append(layer)
        self._eager.clear()  # traced models no longer match
        return self

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Sequential(*self._layers[index])
        return self._layers[index]

    def __len__(self) -> int:
        return len(self._layers)

    def __iter__(self) -> Iterator[Layer]:
        return iter(self._layers)

    def sublayers(self) -> list[Layer]:
        return list(self._layers)

    def count_params(self) -> int:
        seen, total = set(), 0
        for layer in self._layers:
            if id(layer) not in seen:
                seen.add(id(layer))
                total += layer.count_params()
        return total

    def call(self, x):
        for layer in self._layers:
            x = layer(x)
        return x

    def to_model(self, input_shape=None, dtype: str = "float32"):
        """The bronze.Model of this stack on a Placeholder of ``input_shape`` ((None, ...), the
        batch dim None); without it, the shape of the last NumPy input it was called on."""
        from ..model import Model  # noqa: PLC0415
        from .base import Placeholder  # noqa: PLC0415
        if input_shape is None:
            if not self._eager:
                raise BronzeError("Sequential.to_model: call it on data first or pass "
                                  "input_shape")
            return list(self._eager.values())[-1]
        x = Placeholder(tuple(input_shape), dtype=dtype)
        return Model(inputs=x, outputs=self(x), name=self.name)

    def get_config(self) -> dict:
        from ..spec import layer_to_spec  # noqa: PLC0415 - spec imports layers
        return {"layers": [layer_to_spec(layer) for layer in self._layers], "name": self.name}

    def __repr__(self) -> str:
        inner = ",\n".join(f"  {layer!r}" for layer in self._layers)
        return f"Sequential(\n{inner}\n)"
